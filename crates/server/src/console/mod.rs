//! The staff console (工作台): server-rendered pages in Chinese for every role.
//!
//! Pages read through the same functions as the API, with the same scope, masking and audit. They change
//! nothing themselves: their forms send JSON to the API through a small script of ours (`console.js`),
//! and the actions a matter's page offers come from `domain::offers`, which asks the workflow itself. So
//! a page cannot offer what the API would refuse, and a refusal reads the same in both.

mod admin;
mod matters;
mod stats;
mod supervision;
mod workbench;

use std::sync::LazyLock;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::{Environment, Value, context};
use xinfang_domain::Role;

use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;

/// The console's routes. They are pages, not API operations, so they stay out of the OpenAPI document.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(workbench::page))
        .route("/login", get(login))
        .route("/account/password", get(password))
        .route("/matters", get(matters::list))
        .route("/matters/export.xlsx", get(matters::export))
        .route("/matters/{id}", get(matters::detail))
        .route("/matters/{id}/receipt", get(matters::receipt))
        .route("/register", get(matters::register))
        .route("/supervision", get(supervision::page))
        .route("/stats", get(stats::page))
        .route("/stats/matters", get(stats::drill_down))
        .route("/admin", get(admin::page))
        .route("/static/console.css", get(stylesheet))
        .route("/static/console.js", get(script))
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    macro_rules! add {
        ($($name:literal),*) => {$(
            env.add_template($name, include_str!(concat!("../../console/templates/", $name)))
                .expect(concat!("template ", $name, " parses"));
        )*};
    }
    add!(
        "base.html",
        "error.html",
        "login.html",
        "password.html",
        "workbench.html",
        "matters.html",
        "matter.html",
        "register.html",
        "receipt.html",
        "supervision.html",
        "stats.html",
        "admin.html"
    );
    env
});

/// A signed-in staff member on a page. Without a session the browser goes to the sign-in page and comes
/// back; with a one-time password, to the password page first.
pub(crate) struct Viewer(pub Auth);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match Auth::from_request_parts(parts, state).await {
            Ok(auth) if auth.must_change_password && parts.uri.path() != "/account/password" => {
                Err(Redirect::to("/account/password").into_response())
            }
            Ok(auth) => Ok(Viewer(auth)),
            Err(ApiError::Unauthenticated) => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                Err(Redirect::to(&format!("/login?next={}", percent_encode(here))).into_response())
            }
            Err(e) => Err(PageError(e).into_response()),
        }
    }
}

/// An error shown as a page: the API's status and Chinese message, with the way back.
pub(crate) struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<xinfang_store::StoreError> for PageError {
    fn from(e: xinfang_store::StoreError) -> Self {
        PageError(ApiError::Internal(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        match &self.0 {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error on a console page")
            }
            ApiError::Render(e) => tracing::error!(error = %e, "a console page failed to render"),
            _ => {}
        }
        let body = TEMPLATES
            .get_template("error.html")
            .and_then(|t| {
                t.render(context! {
                    status => status.as_u16(),
                    message => self.0.to_string(),
                })
            })
            .unwrap_or_else(|_| self.0.to_string());
        (status, Html(body)).into_response()
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

/// The sections of the console, each for the roles that work there.
const SECTIONS: [(&str, &str, &[Role]); 6] = [
    ("/", "工作台", &[]),
    ("/register", "登记", &[Role::Registrar]),
    ("/matters", "事项", &[]),
    (
        "/supervision",
        "督办",
        &[Role::Supervisor, Role::Leader, Role::Dispatcher],
    ),
    ("/stats", "统计", &[]),
    ("/admin", "管理", &[Role::Admin]),
];

pub(crate) fn has_any(auth: &Auth, roles: &[Role]) -> bool {
    roles.is_empty() || roles.iter().any(|r| auth.principal.roles.contains(r))
}

/// A section's page opens only for the roles that work in it, as the navigation shows it.
pub(crate) fn may_open(auth: &Auth, section: &str) -> Result<(), PageError> {
    match SECTIONS.iter().find(|(href, _, _)| *href == section) {
        Some((_, _, roles)) if !has_any(auth, roles) => Err(PageError(ApiError::Forbidden {
            code: "missing_role",
            message: "您的角色不使用此页面",
        })),
        _ => Ok(()),
    }
}

/// Render a page of the frame: the signed-in user, the sections they work in, the CSRF token for the
/// page's forms.
pub(crate) fn render(auth: &Auth, section: &str, name: &str, page: Value) -> PageResult {
    let nav: Vec<Value> = SECTIONS
        .iter()
        .filter(|(_, _, roles)| has_any(auth, roles))
        .map(|(href, label, _)| {
            context! { href => *href, label => *label, active => *href == section }
        })
        .collect();
    let unit_name = auth
        .org
        .unit(&auth.principal.unit)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let roles: Vec<&str> = auth.principal.roles.iter().map(|r| r.label()).collect();
    let frame = context! {
        user => context! {
            name => auth.name.clone(),
            unit => unit_name,
            roles => roles.join("、"),
        },
        nav => nav,
        csrf => auth.csrf.clone(),
    };
    render_plain(name, context! { ..frame, ..page })
}

fn render_plain(name: &str, ctx: Value) -> PageResult {
    let html = TEMPLATES
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| ApiError::Render(format!("{name}: {e:#}")))?;
    Ok(Html(html).into_response())
}

async fn login() -> PageResult {
    render_plain("login.html", context! {})
}

async fn password(Viewer(auth): Viewer) -> PageResult {
    render(
        &auth,
        "",
        "password.html",
        context! { required => auth.must_change_password },
    )
}

async fn stylesheet() -> Response {
    asset(
        include_str!("../../console/static/console.css"),
        "text/css; charset=utf-8",
    )
}

async fn script() -> Response {
    asset(
        include_str!("../../console/static/console.js"),
        "text/javascript; charset=utf-8",
    )
}

fn asset(body: &'static str, media: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Percent-encoding for a path and query carried in a query parameter.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_./".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Today in Beijing, the day every deadline is counted in.
pub(crate) fn today() -> chrono::NaiveDate {
    xinfang_domain::workflow::china_date(chrono::Utc::now())
}

/// Anything serializable, for a template.
pub(crate) fn ser<T: serde::Serialize>(value: &T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// The regions for a `<select>`, ordered by code so that a county follows its city; `keep` says which.
pub(crate) fn region_options(
    org: &xinfang_domain::org::Org,
    keep: impl Fn(&xinfang_domain::org::Region) -> bool,
) -> Vec<Value> {
    let mut regions: Vec<&xinfang_domain::org::Region> =
        org.regions().filter(|r| keep(r)).collect();
    regions.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
    regions
        .into_iter()
        .map(|r| context! { code => r.code.to_string(), name => r.name.clone() })
        .collect()
}

/// The domain tree for a `<select>` with its second levels grouped under the first.
pub(crate) fn domain_options(rules: &xinfang_domain::rules::Rules) -> Vec<Value> {
    rules
        .domains
        .domains
        .iter()
        .map(|d| context! { name => d.name.clone(), children => d.children.clone() })
        .collect()
}
