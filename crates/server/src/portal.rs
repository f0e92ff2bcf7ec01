//! The petitioner portal (网上信访): public pages, no staff sign-in, mobile-first, no script (decision
//! 0031). A petitioner files a petition and gets a 查询码 with a secret; with both they follow it, read the
//! notices and the written opinion, rate it and ask for 复查/复核 inside the windows.
//!
//! The pages are plain HTML forms, so they work on any phone browser. Every write goes through the same
//! workflow as the staff's, as the petitioner (`Role::Petitioner`) at the petition bureau of the place the
//! petition is about. Guessing is throttled per address and per 查询码 in the database, so every app
//! server of a province counts the same attempts; a wrong code and a wrong secret read the same.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use minijinja::{Environment, Value, context};
use serde::Deserialize;
use xinfang_domain::catalog::{DomainPath, EvaluationTarget, Purpose, Rating, code, from_code};
use xinfang_domain::documents::DocumentRequest;
use xinfang_domain::ids::{ContactId, IdNumber, MatterId, Phone, RegionCode, UnitId, UserId};
use xinfang_domain::petition::{
    Attachment, ContactDraft, DeclaredFlags, Location, Petitioner, Target,
};
use xinfang_domain::workflow::{Change, Command, Filing, china_date};
use xinfang_domain::{Principal, Role};
use xinfang_store::audit::AuditEntry;
use xinfang_store::portal::{PortalAccess, portal_secret};

use crate::AppState;
use crate::error::ApiError;

/// A filing's whole body: its text and up to [`MAX_FILES`] files of [`FILE_LIMIT`] each.
const FILING_LIMIT: usize = 16 * 1024 * 1024;
const FILE_LIMIT: usize = 5 * 1024 * 1024;
const MAX_FILES: usize = 3;
/// A text field larger than this is not a petition's text; the domain's own limits are smaller.
const TEXT_FIELD_LIMIT: usize = 64 * 1024;

/// Failed look-ups allowed per address and per 查询码 in the window; then the page says to wait.
const LOOKUP_FAILURES_PER_ADDRESS: i64 = 10;
const LOOKUP_FAILURES_PER_CODE: i64 = 5;
const LOOKUP_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Filings allowed per address and per phone number in a day: generous for a family or a village
/// office sharing one connection, small for a script.
const FILINGS_PER_ADDRESS: i64 = 10;
const FILINGS_PER_PHONE: i64 = 3;
const FILING_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// The account every portal write is recorded under; the petitioner is not a staff user.
const PORTAL_USER: &str = "portal";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(home))
        .route(
            "/portal/file",
            get(file_form)
                .post(file)
                .layer(DefaultBodyLimit::max(FILING_LIMIT)),
        )
        .route("/portal/track", get(track_form).post(track))
        .route("/portal/rate", axum::routing::post(rate))
        .route("/portal/review", axum::routing::post(review))
        .route("/portal/static/portal.css", get(stylesheet))
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // Dates as an official letter writes them: 2026年12月8日.
    env.add_filter("date", |day: String| {
        chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map(xinfang_domain::documents::date_text)
            .unwrap_or(day)
    });
    macro_rules! add {
        ($($name:literal),*) => {$(
            env.add_template($name, include_str!(concat!("../portal/templates/", $name)))
                .expect(concat!("template ", $name, " parses"));
        )*};
    }
    add!(
        "base.html",
        "home.html",
        "file.html",
        "filed.html",
        "track.html",
        "progress.html",
        "error.html"
    );
    env
});

/// An error as a page: what went wrong in plain words and the way back, with the API's status.
struct PortalError(ApiError);

impl<E: Into<ApiError>> From<E> for PortalError {
    fn from(e: E) -> Self {
        PortalError(e.into())
    }
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if let ApiError::Internal(e) = &self.0 {
            tracing::error!(error = ?e, "internal error on a portal page");
        }
        let message = match &self.0 {
            ApiError::Internal(_) | ApiError::Render(_) => {
                "系统暂时无法处理，请稍后再试".to_owned()
            }
            ApiError::PayloadTooLarge => format!(
                "提交的内容过大：每个附件不超过{}MB，合计不超过{}MB",
                FILE_LIMIT >> 20,
                FILING_LIMIT >> 20
            ),
            other => other.to_string(),
        };
        let mut response = page(
            "error.html",
            context! { status => status.as_u16(), message => message },
        );
        *response.status_mut() = status;
        if let ApiError::TooManyRequests { retry_after_secs } = self.0
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

type PortalResult = Result<Response, PortalError>;

/// A page with the headers every portal page carries: no script may run (there is none of ours), no
/// framing, no referrer, and nothing kept in caches, since a page may show a petition.
fn page(name: &str, ctx: Value) -> Response {
    let html = TEMPLATES
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, template = name, "a portal page failed to render");
            "系统暂时无法处理，请稍后再试".to_owned()
        });
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn bad(field: &'static str, message: impl Into<String>) -> PortalError {
    PortalError(ApiError::Invalid {
        field,
        message: message.into(),
    })
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

async fn home() -> Response {
    page("home.html", context! {})
}

async fn stylesheet() -> Response {
    let mut response =
        (StatusCode::OK, include_str!("../portal/static/portal.css")).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The filing form: the places that have a petition bureau to receive it, the purposes and the
/// domain tree.
async fn file_form(State(state): State<AppState>) -> PortalResult {
    let org = state.ledger.org().await?;
    // Only places whose petitions some bureau receives.
    let regions = crate::console::region_options(&org, |r| org.bureau_of_region(&r.code).is_some());
    let purposes: Vec<Value> = Purpose::ALL
        .iter()
        .map(|p| context! { code => code(p), label => p.label() })
        .collect();
    let domains = crate::console::domain_options(state.ledger.rules());
    Ok(page(
        "file.html",
        context! { regions => regions, purposes => purposes, domains => domains },
    ))
}

/// A file as uploaded, before it is stored.
struct Upload {
    name: String,
    media_type: &'static str,
    content: Vec<u8>,
}

/// What the file is by its first bytes, whatever the browser claims: only scans and photos (JPEG, PNG)
/// and PDF are taken, so nothing a browser would run ever reaches a staff member's screen.
fn sniff(content: &[u8]) -> Option<&'static str> {
    if content.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if content.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else {
        None
    }
}

/// The form's fields and files. A field sent twice keeps its first value.
async fn read_filing(
    mut form: Multipart,
) -> Result<(HashMap<String, String>, Vec<Upload>), PortalError> {
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            PortalError(ApiError::PayloadTooLarge)
        } else {
            bad("form", "提交的表单无法读取，请重新填写后提交")
        }
    };
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    while let Some(field) = form.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "attachment" {
            let file_name = field.file_name().unwrap_or_default().trim().to_owned();
            let content = field.bytes().await.map_err(too_large)?;
            if file_name.is_empty() && content.is_empty() {
                continue; // an empty file input
            }
            if files.len() == MAX_FILES {
                return Err(bad("attachment", format!("附件最多{MAX_FILES}个")));
            }
            if content.len() > FILE_LIMIT {
                return Err(bad(
                    "attachment",
                    format!("附件「{file_name}」超过{}MB", FILE_LIMIT >> 20),
                ));
            }
            let media_type = sniff(&content).ok_or_else(|| {
                bad(
                    "attachment",
                    format!("附件「{file_name}」不是JPG、PNG图片或PDF文件"),
                )
            })?;
            let name: String = file_name
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect();
            files.push(Upload {
                name: if name.is_empty() {
                    "附件".into()
                } else {
                    name
                },
                media_type,
                content: content.to_vec(),
            });
        } else {
            let text = field.text().await.map_err(too_large)?;
            if text.len() > TEXT_FIELD_LIMIT {
                return Err(PortalError(ApiError::PayloadTooLarge));
            }
            fields.entry(name).or_insert(text);
        }
    }
    Ok((fields, files))
}

/// Throttle key of an address or a phone number, in the table sign-ins use.
fn key(kind: &str, value: &str) -> String {
    format!("portal-{kind}:{value}")
}

async fn over_limit(
    state: &AppState,
    keys: &[(String, i64)],
    window_ms: i64,
) -> Result<bool, PortalError> {
    let since = now_ms() - window_ms;
    for (key, limit) in keys {
        if state.ledger.store().login_failures(key, since).await? >= *limit {
            return Ok(true);
        }
    }
    Ok(false)
}

/// File a petition: checked as the desk checks it, registered with its receipt in one group, answered
/// with the 查询码 and the secret, shown this once.
async fn file(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    form: Multipart,
) -> PortalResult {
    let (fields, files) = read_filing(form).await?;
    let get = |name: &str| fields.get(name).map(|s| s.trim()).unwrap_or_default();
    if get("consent") != "yes" {
        return Err(bad("consent", "请阅读并同意《个人信息处理告知》后再提交"));
    }
    let name = get("name");
    if name.is_empty() {
        return Err(bad("name", "请填写信访人姓名"));
    }
    let phone = Phone::parse(get("phone")).map_err(|_| bad("phone", "请填写正确的手机号码"))?;
    let id_number = match get("id_number") {
        "" => None,
        s => Some(IdNumber::parse(s).map_err(|_| bad("id_number", "身份证号码有误，请核对"))?),
    };
    let purpose: Purpose =
        from_code(get("purpose")).ok_or_else(|| bad("purpose", "请选择信访目的"))?;
    let domain = match get("domain").split_once('/') {
        Some((first, second)) => DomainPath::new(first, Some(second)),
        None if !get("domain").is_empty() => DomainPath::new(get("domain"), None),
        None => return Err(bad("domain", "请选择问题类别")),
    };
    let region = RegionCode::parse(get("region")).map_err(|_| bad("region", "请选择问题发生地"))?;
    let org = state.ledger.org().await?;
    let bureau = org
        .bureau_of_region(&region)
        .ok_or_else(|| bad("region", "该地区暂未开通网上信访"))?
        .id
        .clone();
    let text = get("full_text");
    if text.is_empty() {
        return Err(bad("full_text", "请写明反映的问题"));
    }
    let summary = match get("summary") {
        "" => text.chars().take(60).collect(),
        s => s.to_owned(),
    };

    let address = peer.ip().to_string();
    let limits = [
        (key("file-addr", &address), FILINGS_PER_ADDRESS),
        (key("file-phone", phone.as_str()), FILINGS_PER_PHONE),
    ];
    if over_limit(&state, &limits, FILING_WINDOW_MS).await? {
        return Err(PortalError(ApiError::TooManyRequests {
            retry_after_secs: (FILING_WINDOW_MS / 1000) as u64,
        }));
    }

    let mut attachments = Vec::with_capacity(files.len());
    for f in files {
        let size = f.content.len() as u64;
        let sha256 = state
            .ledger
            .store()
            .put_file(f.media_type, f.content, now_ms())
            .await?;
        attachments.push(Attachment {
            name: f.name,
            media_type: f.media_type.to_owned(),
            size,
            sha256,
        });
    }
    let now = Utc::now();
    let matter = MatterId::parse(&crate::matters::new_id("XF")).expect("a valid id");
    let contact = ContactId::parse(&crate::matters::new_id("C")).expect("a valid id");
    let draft = ContactDraft {
        id: contact.clone(),
        channel: xinfang_domain::catalog::Channel::Online,
        received_at: now,
        petitioners: vec![Petitioner {
            name: name.to_owned(),
            id_number,
            phone: Some(phone.clone()),
            address: get("address").to_owned(),
        }],
        person_count: 1,
        location: Location {
            region,
            address: get("place").to_owned(),
        },
        target: match get("target") {
            "" => None,
            t => Some(Target {
                name: t.to_owned(),
                unit: None,
            }),
        },
        purpose,
        domain,
        summary,
        full_text: text.to_owned(),
        demands: get("demands").to_owned(),
        attachments,
        flags: DeclaredFlags {
            consent_publication: get("publication") == "yes",
            ..DeclaredFlags::default()
        },
    };
    let principal = petitioner_at(bureau.clone());
    let query_code = crate::documents::query_code();
    let secret = portal_secret();
    let access = PortalAccess {
        matter: matter.to_string(),
        contact: contact.to_string(),
    };
    let store = state.ledger.store();
    store
        .add_portal_access(&query_code, &access, secret.clone(), now_ms())
        .await?;
    let changes = vec![
        Change::Matter(Command::Register {
            filing: Filing::NewMatter {
                matter: matter.clone(),
            },
            contact: Box::new(draft),
        }),
        Change::Matter(Command::IssueDocument {
            matter: matter.clone(),
            request: DocumentRequest {
                kind: xinfang_domain::documents::DocumentKind::Receipt,
                about: Some(contact.to_string()),
                reason: None,
                petitioner_names: vec![name.to_owned()],
                query_code: Some(query_code.clone()),
            },
        }),
    ];
    let audit = audit(
        &principal,
        "portal_file",
        matter.as_str(),
        contact.to_string(),
        &address,
    );
    if let Err(e) = state
        .ledger
        .execute_group_audited(&principal, now, changes, audit)
        .await
    {
        store.remove_portal_access(&query_code).await?;
        return Err(e.into());
    }
    store
        .record_login_failure(&[limits[0].0.clone(), limits[1].0.clone()], now_ms())
        .await?;
    let m = state
        .ledger
        .matter(&matter)
        .await?
        .ok_or(ApiError::NotFound)?;
    let bureau_name = org
        .unit(&bureau)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    Ok(page(
        "filed.html",
        context! {
            query_code => query_code,
            secret => secret,
            bureau => bureau_name,
            triage_due => xinfang_domain::documents::date_text(m.triage_due),
        },
    ))
}

fn petitioner_at(unit: UnitId) -> Principal {
    Principal {
        user: UserId::parse(PORTAL_USER).expect("a valid id"),
        unit,
        roles: vec![Role::Petitioner],
    }
}

fn audit(
    principal: &Principal,
    action: &str,
    subject: &str,
    detail: String,
    address: &str,
) -> AuditEntry {
    AuditEntry {
        at_ms: now_ms(),
        user: principal.user.to_string(),
        unit: principal.unit.to_string(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        detail,
        address: address.to_owned(),
    }
}

async fn track_form() -> Response {
    page("track.html", context! {})
}

/// The 查询码 and secret every tracking form carries back.
#[derive(Debug, Deserialize)]
struct Key {
    #[serde(default)]
    code: String,
    #[serde(default)]
    secret: String,
}

impl Key {
    /// As a petitioner types them: spaces and case do not matter.
    fn normalized(&self) -> (String, String) {
        let clean = |s: &str| -> String {
            s.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .flat_map(char::to_uppercase)
                .collect()
        };
        (clean(&self.code), clean(&self.secret))
    }
}

/// The petition a key opens. Past the failure limits nothing is checked at all, and every wrong key
/// reads the same, so trying codes teaches nothing.
async fn open(state: &AppState, key: &Key, address: &str) -> Result<PortalAccess, PortalError> {
    let (code, secret) = key.normalized();
    if code.is_empty() || secret.is_empty() {
        return Err(bad("code", "请填写查询码和查询密码"));
    }
    let keys = [
        (
            self::key("lookup-addr", address),
            LOOKUP_FAILURES_PER_ADDRESS,
        ),
        (self::key("lookup-code", &code), LOOKUP_FAILURES_PER_CODE),
    ];
    if over_limit(state, &keys, LOOKUP_WINDOW_MS).await? {
        return Err(PortalError(ApiError::TooManyRequests {
            retry_after_secs: (LOOKUP_WINDOW_MS / 1000) as u64,
        }));
    }
    match state
        .ledger
        .store()
        .open_portal_access(&code, &secret)
        .await?
    {
        Some(access) => Ok(access),
        None => {
            state
                .ledger
                .store()
                .record_login_failure(&[keys[0].0.clone(), keys[1].0.clone()], now_ms())
                .await?;
            Err(PortalError(ApiError::BadRequest {
                field: Some("code".into()),
                message: "查询码或查询密码不正确".into(),
            }))
        }
    }
}

/// The progress page of an opened petition, with a line saying what was just done, if anything.
async fn progress_page(
    state: &AppState,
    access: &PortalAccess,
    key: &Key,
    address: &str,
    done: Option<&str>,
) -> PortalResult {
    let id = MatterId::parse(&access.matter).map_err(|_| ApiError::NotFound)?;
    let m = state.ledger.matter(&id).await?.ok_or(ApiError::NotFound)?;
    let org = state.ledger.org().await?;
    let today = china_date(Utc::now());
    let progress = xinfang_domain::portal::progress(
        &m,
        &org,
        today,
        state.ledger.rules(),
        state.ledger.calendar(),
    );
    let principal = petitioner_at(m.bureau.clone());
    state
        .ledger
        .record(audit(
            &principal,
            "portal_view",
            m.id.as_str(),
            access.contact.clone(),
            address,
        ))
        .await?;
    let (query_code, secret) = key.normalized();
    let ratings: Vec<Value> = Rating::ALL
        .iter()
        .map(|r| context! { code => code(r), label => r.label() })
        .collect();
    Ok(page(
        "progress.html",
        context! {
            p => crate::console::ser(&progress),
            code => query_code,
            secret => secret,
            ratings => ratings,
            done => done,
        },
    ))
}

async fn track(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    form: Result<Form<Key>, axum::extract::rejection::FormRejection>,
) -> PortalResult {
    let Form(key) = form.map_err(|_| bad("code", "请填写查询码和查询密码"))?;
    let address = peer.ip().to_string();
    let access = open(&state, &key, &address).await?;
    progress_page(&state, &access, &key, &address, None).await
}

#[derive(Debug, Deserialize)]
struct RateForm {
    #[serde(flatten)]
    key: Key,
    #[serde(default)]
    target: String,
    #[serde(default)]
    rating: String,
}

/// Rate the bureau's or the responsible unit's handling, inside the window.
async fn rate(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    form: Result<Form<RateForm>, axum::extract::rejection::FormRejection>,
) -> PortalResult {
    let Form(form) = form.map_err(|_| bad("rating", "请选择评价"))?;
    let target: EvaluationTarget =
        from_code(&form.target).ok_or_else(|| bad("target", "请选择评价对象"))?;
    let rating: Rating = from_code(&form.rating).ok_or_else(|| bad("rating", "请选择评价"))?;
    let command = |matter: MatterId| Command::Evaluate {
        matter,
        target,
        rating,
    };
    let done = "评价已提交，感谢您的评价";
    act(&state, peer, &form.key, command, "portal_evaluate", done).await
}

#[derive(Debug, Deserialize)]
struct ReviewForm {
    #[serde(flatten)]
    key: Key,
    #[serde(default)]
    authority: String,
}

/// Ask for 复查 (or 复核) inside the window, to one of the units above the one that answered.
async fn review(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    form: Result<Form<ReviewForm>, axum::extract::rejection::FormRejection>,
) -> PortalResult {
    let Form(form) = form.map_err(|_| bad("authority", "请选择复查（复核）机关"))?;
    let authority =
        UnitId::parse(&form.authority).map_err(|_| bad("authority", "请选择复查（复核）机关"))?;
    let command = |matter: MatterId| Command::RequestReview { matter, authority };
    let done = "申请已提交，请留意办理进展";
    act(
        &state,
        peer,
        &form.key,
        command,
        "portal_request_review",
        done,
    )
    .await
}

/// A petitioner's action on the matter their key opens, through the workflow like any other; then the
/// progress page saying it was done.
async fn act(
    state: &AppState,
    peer: SocketAddr,
    key: &Key,
    command: impl FnOnce(MatterId) -> Command,
    action: &str,
    done: &str,
) -> PortalResult {
    let address = peer.ip().to_string();
    let access = open(state, key, &address).await?;
    let id = MatterId::parse(&access.matter).map_err(|_| ApiError::NotFound)?;
    let m = state.ledger.matter(&id).await?.ok_or(ApiError::NotFound)?;
    let principal = petitioner_at(m.bureau.clone());
    let entry = audit(
        &principal,
        action,
        id.as_str(),
        access.contact.clone(),
        &address,
    );
    state
        .ledger
        .execute_audited(&principal, Utc::now(), Change::Matter(command(id)), entry)
        .await?;
    progress_page(state, &access, key, &address, Some(done)).await
}
