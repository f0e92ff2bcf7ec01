//! Signing in and out, the current user, and the `Auth` extractor that every protected route takes.
//! Sessions are server-side rows found by the hash of a random token kept in an HttpOnly, SameSite=Strict
//! cookie; requests that change something must also carry the session's CSRF token in `X-CSRF-Token`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xinfang_domain::ids::UserId;
use xinfang_domain::org::Org;
use xinfang_domain::{Principal, Role};
use xinfang_store::accounts::PasswordCheck;
use xinfang_store::audit::AuditEntry;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;

pub const SESSION_COOKIE: &str = "xinfang_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
const SESSION_LIFETIME_MS: i64 = 12 * 3600 * 1000;
/// Failed sign-ins allowed per user name, and per address, within the window.
const FAILURES_PER_USER: i64 = 5;
const FAILURES_PER_ADDRESS: i64 = 30;
const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The signed-in user of a request: a person with a session, or a system with an API token.
#[derive(Debug, Clone)]
pub struct Auth {
    pub principal: Principal,
    pub name: String,
    pub must_change_password: bool,
    /// Where the request came from, for the audit trail.
    pub address: String,
    /// The organisation as of this request, read with the session or token: handlers use it rather than
    /// reading it again.
    pub org: Arc<Org>,
    /// The session token; empty for API tokens.
    token: String,
    /// The session's CSRF token, which the console's pages carry for their scripts; empty for API tokens.
    pub(crate) csrf: String,
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn peer_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip().to_string())
        .unwrap_or_default()
}

/// The system an API token acts for: the bearer header's, or Open311's `api_key`.
pub(crate) async fn token_auth(
    state: &AppState,
    secret: &str,
    address: String,
) -> Result<Auth, ApiError> {
    let (token, org_seq) = state
        .ledger
        .store()
        .use_token(secret, now_ms())
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let org = state.ledger.org_at(org_seq).await?;
    // A token dies with the account it acts for.
    if !org.user(&token.user).is_some_and(|u| u.active) {
        return Err(ApiError::Unauthenticated);
    }
    Ok(Auth {
        principal: Principal {
            user: UserId::parse(&format!("api:{}", token.id))
                .map_err(|_| ApiError::Unauthenticated)?,
            unit: token.unit,
            roles: token.roles,
        },
        name: token.name,
        must_change_password: false,
        address,
        org,
        token: String::new(),
        csrf: String::new(),
    })
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let store = state.ledger.store();
        let address = peer_address(parts);
        if let Some(secret) = bearer_token(&parts.headers) {
            // Systems send no cookies, so there is no cross-site request to guard against.
            return token_auth(state, secret, address).await;
        }
        let token = session_token(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let session = store
            .session(&token, now_ms())
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != Some(session.csrf_token.as_str()) {
                return Err(ApiError::Forbidden {
                    code: "csrf",
                    message: "请求缺少有效的 CSRF 令牌",
                });
            }
        }
        let org = state.ledger.org_at(session.org_seq).await?;
        let user = org
            .user(&session.user)
            .filter(|u| u.active)
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Auth {
            principal: user.principal(),
            name: user.name.clone(),
            must_change_password: session.must_change_password,
            address,
            org: Arc::clone(&org),
            token,
            csrf: session.csrf_token,
        })
    }
}

impl Auth {
    /// An audit entry for something this user does now.
    pub fn audit(&self, action: &str, subject: &str, detail: String) -> AuditEntry {
        AuditEntry {
            at_ms: now_ms(),
            user: self.principal.user.to_string(),
            unit: self.principal.unit.to_string(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            detail,
            address: self.address.clone(),
        }
    }

    /// For administrators' routes.
    pub fn admin(&self) -> Result<&Principal, ApiError> {
        let principal = self.ready()?;
        if principal.roles.contains(&Role::Admin) {
            Ok(principal)
        } else {
            Err(ApiError::Forbidden {
                code: "admin_required",
                message: "需要「管理员」角色",
            })
        }
    }

    /// For every route but the account's own: a one-time password must be replaced first.
    pub fn ready(&self) -> Result<&Principal, ApiError> {
        if self.must_change_password {
            Err(ApiError::Forbidden {
                code: "password_change_required",
                message: "请先修改一次性密码",
            })
        } else {
            Ok(&self.principal)
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// User name.
    pub user: String,
    pub password: String,
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: String,
    pub name: String,
    pub unit: String,
    pub unit_name: String,
    /// Role codes: registrar, dispatcher, handler, supervisor, leader, analyst, admin.
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    /// True after a one-time password: only this page and the password change work until it is replaced.
    pub must_change_password: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    #[serde(flatten)]
    pub me: Me,
    /// Send it back in the X-CSRF-Token header with every request that changes something.
    pub csrf_token: String,
}

fn me_of(org: &Org, principal: &Principal, name: &str, must_change: bool) -> Me {
    Me {
        user: principal.user.to_string(),
        name: name.to_owned(),
        unit: principal.unit.to_string(),
        unit_name: org
            .unit(&principal.unit)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        roles: principal.roles.clone(),
        must_change_password: must_change,
    }
}

/// Sign in with user name and password.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "账号",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse, description = "Signed in; the session cookie is set"),
        (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Too many failed attempts")
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let store = state.ledger.store();
    let now = now_ms();
    let keys = [
        format!("user:{}", request.user.trim()),
        format!("addr:{}", peer.ip()),
    ];
    let since = now - FAILURE_WINDOW_MS;
    if store.login_failures(&keys[0], since).await? >= FAILURES_PER_USER
        || store.login_failures(&keys[1], since).await? >= FAILURES_PER_ADDRESS
    {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: (FAILURE_WINDOW_MS / 1000) as u64,
        });
    }
    let user = UserId::parse(&request.user).ok();
    let check = match &user {
        Some(u) => store.check_password(u, &request.password).await?,
        None => PasswordCheck::Invalid,
    };
    let (PasswordCheck::Valid { must_change }, Some(user)) = (check, user) else {
        store.record_login_failure(&keys, now).await?;
        return Err(ApiError::InvalidCredentials);
    };
    let org = state.ledger.org().await?;
    let account = org.user(&user).ok_or(ApiError::InvalidCredentials)?;
    let principal = account.principal();
    let (token, csrf_token) = store
        .create_session(&user, now, SESSION_LIFETIME_MS, &peer.ip().to_string())
        .await?;
    state
        .ledger
        .record(AuditEntry {
            at_ms: now,
            user: user.to_string(),
            unit: principal.unit.to_string(),
            action: "sign_in".into(),
            subject: user.to_string(),
            detail: String::new(),
            address: peer.ip().to_string(),
        })
        .await?;
    let me = me_of(&org, &principal, &account.name, must_change);
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_LIFETIME_MS / 1000
    );
    let mut response = Json(LoginResponse { me, csrf_token }).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("cookie is ASCII"),
    );
    Ok(response)
}

/// Sign out: the session ends on the server and the cookie is cleared.
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "账号",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn logout(State(state): State<AppState>, auth: Auth) -> Result<Response, ApiError> {
    if !auth.token.is_empty() {
        state.ledger.store().end_session(&auth.token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("xinfang_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(response)
}

/// The signed-in user, unit and roles.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "账号",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody))
)]
pub async fn me(auth: Auth) -> Result<Json<Me>, ApiError> {
    let org = auth.org.clone();
    Ok(Json(me_of(
        &org,
        &auth.principal,
        &auth.name,
        auth.must_change_password,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 10 characters.
    pub new_password: String,
}

/// Replace one's own password (required after a one-time password).
#[utoipa::path(
    put,
    path = "/api/v1/me/password",
    tag = "账号",
    request_body = PasswordChange,
    responses(
        (status = 204),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(change): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let store = state.ledger.store();
    let user = &auth.principal.user;
    if !matches!(
        store.check_password(user, &change.current_password).await?,
        PasswordCheck::Valid { .. }
    ) {
        return Err(ApiError::Invalid {
            field: "current_password",
            message: "当前密码不正确".into(),
        });
    }
    if change.new_password == change.current_password {
        return Err(ApiError::Invalid {
            field: "new_password",
            message: "新密码不能与当前密码相同".into(),
        });
    }
    state
        .ledger
        .set_password(
            &auth.principal,
            chrono::Utc::now(),
            user,
            change.new_password,
        )
        .await?;
    state
        .ledger
        .record(auth.audit("change_password", user.as_str(), String::new()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
