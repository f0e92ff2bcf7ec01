//! Accounts, API tokens and the audit trail. Administrators see and manage their own unit and the units
//! below it, never sideways; other staff see the accounts of their own unit (to pick a colleague).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::Role;
use xinfang_domain::ids::UnitId;
use xinfang_domain::org::Org;
use xinfang_store::audit::{AuditEntry, AuditFilter};
use xinfang_store::tokens::ApiToken;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, page_window};

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub name: String,
    pub unit: String,
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    pub active: bool,
}

/// The units at or below `unit`.
fn subtree(org: &Org, unit: &UnitId) -> Vec<UnitId> {
    org.units()
        .filter(|u| org.is_same_or_above(unit, &u.id))
        .map(|u| u.id.clone())
        .collect()
}

/// Accounts: for administrators, those of their unit and the units below; for others, their own unit's.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "账号",
    responses((status = 200, body = Vec<UserView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn users(auth: Auth) -> Result<Json<Vec<UserView>>, ApiError> {
    let principal = auth.ready()?;
    let org = auth.org.clone();
    let admin = principal.roles.contains(&Role::Admin);
    let mut users: Vec<UserView> = org
        .users()
        .filter(|u| {
            if admin {
                org.is_same_or_above(&principal.unit, &u.unit)
            } else {
                u.unit == principal.unit
            }
        })
        .map(|u| UserView {
            id: u.id.to_string(),
            name: u.name.clone(),
            unit: u.unit.to_string(),
            roles: u.roles.clone(),
            active: u.active,
        })
        .collect();
    users.sort_by(|a, b| (&a.unit, &a.id).cmp(&(&b.unit, &b.id)));
    Ok(Json(users))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    /// User name (login), e.g. zhangsan.
    pub id: String,
    /// Full name.
    pub name: String,
    /// The administrator's unit or one below.
    pub unit: String,
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: UserView,
    /// To hand to the person; shown only now, replaced at the first sign-in.
    pub one_time_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UserChange {
    /// The new roles (at least one).
    #[schema(value_type = Option<Vec<String>>)]
    pub roles: Option<Vec<Role>>,
    /// False disables the account (its sessions and tokens stop working); true enables it again.
    pub active: Option<bool>,
}

fn user_view(u: &xinfang_domain::org::User) -> UserView {
    UserView {
        id: u.id.to_string(),
        name: u.name.clone(),
        unit: u.unit.to_string(),
        roles: u.roles.clone(),
        active: u.active,
    }
}

pub(crate) fn unit_in_scope(org: &Org, admin: &UnitId, unit: &str) -> Result<UnitId, ApiError> {
    UnitId::parse(unit)
        .ok()
        .filter(|u| org.unit(u).is_some() && org.is_same_or_above(admin, u))
        .ok_or(ApiError::Invalid {
            field: "unit",
            message: "单位不存在，或不在本单位及下级单位之中".into(),
        })
}

/// An account of the administrator's scope, or 404.
fn user_in_scope(
    org: &Org,
    admin: &UnitId,
    id: &str,
) -> Result<xinfang_domain::org::User, ApiError> {
    xinfang_domain::ids::UserId::parse(id)
        .ok()
        .and_then(|id| org.user(&id).cloned())
        .filter(|u| org.is_same_or_above(admin, &u.unit))
        .ok_or(ApiError::NotFound)
}

/// Create a staff account; its one-time password is in the answer, once.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "账号",
    request_body = NewUser,
    responses(
        (status = 201, body = CreatedUser),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A bad or taken user name, no role, or a unit outside the administrator's")
    )
)]
pub async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    let principal = auth.admin()?;
    let unit = unit_in_scope(&auth.org, &principal.unit, &request.unit)?;
    let id =
        xinfang_domain::ids::UserId::parse(request.id.trim()).map_err(|e| ApiError::Invalid {
            field: "id",
            message: e.to_string(),
        })?;
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(ApiError::Invalid {
            field: "name",
            message: "姓名应为1至50个字符".into(),
        });
    }
    if request.roles.is_empty() || request.roles.contains(&Role::Petitioner) {
        return Err(ApiError::Invalid {
            field: "roles",
            message: "工作人员账号至少需要一个角色，且不能是信访人".into(),
        });
    }
    let user = xinfang_domain::org::User {
        id: id.clone(),
        name: name.to_owned(),
        unit,
        roles: request.roles,
        active: true,
    };
    let now = Utc::now();
    state
        .ledger
        .execute(
            principal,
            now,
            xinfang_domain::Change::Org(xinfang_domain::org::OrgCommand::CreateUser(user.clone())),
        )
        .await?;
    let password = xinfang_store::accounts::one_time_password();
    state
        .ledger
        .set_password(principal, now, &id, password.clone())
        .await?;
    state
        .ledger
        .record(auth.audit("create_user", id.as_str(), user.name.clone()))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: user_view(&user),
            one_time_password: password,
        }),
    ))
}

/// Change an account's roles, or disable or enable it.
#[utoipa::path(
    put,
    path = "/api/v1/users/{id}",
    tag = "账号",
    params(("id" = String, Path)),
    request_body = UserChange,
    responses(
        (status = 200, body = UserView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub async fn change_user(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(change): ApiJson<UserChange>,
) -> Result<Json<UserView>, ApiError> {
    use xinfang_domain::org::OrgCommand;
    let principal = auth.admin()?;
    let user = user_in_scope(&auth.org, &principal.unit, &id)?;
    if user.id == principal.user && change.active == Some(false) {
        return Err(ApiError::Invalid {
            field: "active",
            message: "不能停用自己的账号".into(),
        });
    }
    // A change to what already holds is no change: PUT is idempotent.
    let mut commands = Vec::new();
    if let Some(roles) = change.roles {
        if roles.is_empty() || roles.contains(&Role::Petitioner) {
            return Err(ApiError::Invalid {
                field: "roles",
                message: "工作人员账号至少需要一个角色，且不能是信访人".into(),
            });
        }
        if user.id == principal.user && !roles.contains(&Role::Admin) {
            return Err(ApiError::Invalid {
                field: "roles",
                message: "不能取消自己的管理员角色".into(),
            });
        }
        if roles != user.roles {
            commands.push(OrgCommand::SetUserRoles {
                user: user.id.clone(),
                roles,
            });
        }
    }
    if let Some(active) = change.active.filter(|a| *a != user.active) {
        commands.push(OrgCommand::SetUserActive {
            user: user.id.clone(),
            active,
        });
    }
    let now = Utc::now();
    for command in commands {
        state
            .ledger
            .execute(principal, now, xinfang_domain::Change::Org(command))
            .await?;
    }
    state
        .ledger
        .record(auth.audit("change_user", user.id.as_str(), String::new()))
        .await?;
    let org = state.ledger.org().await?;
    let after = org.user(&user.id).ok_or(ApiError::NotFound)?;
    Ok(Json(user_view(after)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    /// What the token is for, e.g. 市12345热线平台.
    pub name: String,
    /// The unit it acts as: the administrator's own or one below.
    pub unit: String,
    /// The roles it acts with (not admin): they decide which actions it may take.
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub unit: String,
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    /// The administrator who made it; the token stops working when that account is disabled.
    pub created_by: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// To the minute.
    pub last_used_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: TokenView,
    /// Send as `Authorization: Bearer <secret>`. Shown only now.
    pub secret: String,
}

fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

fn token_view(t: ApiToken) -> TokenView {
    TokenView {
        id: t.id,
        name: t.name,
        unit: t.unit.to_string(),
        roles: t.roles,
        created_by: t.created_by.to_string(),
        created_at: time(t.created_ms),
        revoked_at: t.revoked_ms.map(time),
        last_used_at: t.last_used_ms.map(time),
    }
}

/// Make an API token for a system.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "账号",
    request_body = NewToken,
    responses(
        (status = 201, body = CreatedToken),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let principal = auth.admin()?;
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::Invalid {
            field: "name",
            message: "令牌名称应为1至100个字符".into(),
        });
    }
    if request.roles.is_empty() || request.roles.contains(&Role::Admin) {
        return Err(ApiError::Invalid {
            field: "roles",
            message: "令牌至少需要一个角色，且不能是管理员".into(),
        });
    }
    let org = auth.org.clone();
    let unit = UnitId::parse(&request.unit)
        .ok()
        .filter(|u| org.unit(u).is_some() && org.is_same_or_above(&principal.unit, u))
        .ok_or(ApiError::Invalid {
            field: "unit",
            message: "单位不存在，或不在本单位及下级单位之中".into(),
        })?;
    let now = Utc::now().timestamp_millis();
    let store = state.ledger.store();
    let (token, secret) = store
        .create_token(
            name,
            &principal.user,
            &unit,
            &request.roles,
            &principal.user,
            now,
        )
        .await?;
    state
        .ledger
        .record(auth.audit("create_token", &token.id, name.to_owned()))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: token_view(token),
            secret,
        }),
    ))
}

/// API tokens of the administrator's unit and the units below.
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "账号",
    responses((status = 200, body = Vec<TokenView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn tokens(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let principal = auth.admin()?;
    let org = auth.org.clone();
    let tokens = state.ledger.store().tokens().await?;
    Ok(Json(
        tokens
            .into_iter()
            .filter(|t| org.is_same_or_above(&principal.unit, &t.unit))
            .map(token_view)
            .collect(),
    ))
}

/// Revoke a token: it stops working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "账号",
    params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let principal = auth.admin()?;
    let org = auth.org.clone();
    let store = state.ledger.store();
    let token = store
        .token(&id)
        .await?
        .filter(|t| org.is_same_or_above(&principal.unit, &t.unit))
        .ok_or(ApiError::NotFound)?;
    store
        .revoke_token(&token.id, Utc::now().timestamp_millis())
        .await?;
    state
        .ledger
        .record(auth.audit("revoke_token", &token.id, token.name.clone()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    pub user: Option<String>,
    /// A unit at or below the administrator's.
    pub unit: Option<String>,
    /// read_matter, list_matters, register, a workflow action code, create_token, …
    pub action: Option<String>,
    /// A matter id: entries about it, including lists that showed it.
    pub subject: Option<String>,
    /// From this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    pub page: Option<u32>,
    /// 1 to 500, default 100.
    pub per_page: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub at: String,
    pub user: String,
    pub unit: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub address: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub items: Vec<AuditView>,
}

/// The audit trail of the administrator's unit and the units below: who read which personal data and
/// who changed what, when, from where. Newest first.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "审计",
    params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn audit(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let principal = auth.admin()?;
    let org = auth.org.clone();
    let (page, per_page, offset) = page_window(p.page, p.per_page, 100, 500)?;
    let units: Vec<String> = match &p.unit {
        Some(u) => {
            let unit = UnitId::parse(u)
                .ok()
                .filter(|u| org.is_same_or_above(&principal.unit, u))
                .ok_or(ApiError::BadRequest {
                    field: Some("unit".into()),
                    message: "单位不存在，或不在本单位及下级单位之中".into(),
                })?;
            vec![unit.to_string()]
        }
        None => subtree(&org, &principal.unit)
            .iter()
            .map(ToString::to_string)
            .collect(),
    };
    let filter = AuditFilter {
        user: p.user.clone(),
        units: Some(units),
        action: p.action.clone(),
        subject: p.subject.clone(),
        from_ms: p.from.map(|t| t.timestamp_millis()),
        to_ms: p.to.map(|t| t.timestamp_millis()),
        limit: i64::from(per_page),
        offset,
    };
    let (entries, total) = state.ledger.store().audit_entries(&filter).await?;
    Ok(Json(AuditPage {
        total,
        page,
        per_page,
        items: entries.into_iter().map(audit_view).collect(),
    }))
}

fn audit_view(e: AuditEntry) -> AuditView {
    AuditView {
        at: time(e.at_ms),
        user: e.user,
        unit: e.unit,
        action: e.action,
        subject: e.subject,
        detail: e.detail,
        address: e.address,
    }
}
