//! Documents (文书) over HTTP: issue one on a matter, list and download them (DOCX, PDF or JSON), and the
//! templates administrators edit. What a document says and when it may be issued is the domain's
//! (`xinfang_domain::documents`); numbering is the store's; this module fills in what only the server
//! knows (the petitioners' names from the matter, a fresh 查询码) and applies the identity rules when a
//! document is read.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::access::{self, IdentityView};
use xinfang_domain::documents::{DocumentKind, DocumentRequest, IssuedDocument, Template};
use xinfang_domain::ids::UnitId;
use xinfang_domain::org::OrgCommand;
use xinfang_domain::petition::ContactRelation;
use xinfang_domain::{Change, Command, Matter, Role};
use xinfang_reports::Format;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::matters::{may_read_matters, visible_matter};
use crate::reports::{compile_pdf, file_response};
use crate::stats::bad;

/// What to issue.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueRequest {
    /// acceptance_notice 受理告知书, non_acceptance_notice 不予受理告知书, transfer_slip 转送单,
    /// assignment_slip 交办单, extension_notice 延期告知书, handling_opinion 处理意见书, review_opinion
    /// 复查意见书, re_review_opinion 复核意见书, supervision_order 督办单, risk_warning 风险警示函,
    /// accountability_recommendation 问责建议函, receipt 登记回执.
    pub kind: String,
    /// The supervision order (督办单) or contact (回执) it is about.
    pub about: Option<String>,
    /// The 事由 of a 风险警示函 or 问责建议函.
    pub reason: Option<String>,
}

/// A document of a matter, as lists show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentItem {
    /// Its place among the matter's documents, from 1: the `{n}` of its download.
    pub n: usize,
    pub kind: DocumentKind,
    pub kind_label: String,
    /// 〔年〕号 with the 机关代字.
    pub number: String,
    pub title: String,
    pub issuer: String,
    pub issued_on: String,
    /// The 查询码 of a receipt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_code: Option<String>,
    /// The 查询密码 that opens the receipt's petition in the portal with its 查询码: in the answer to
    /// issuing a receipt only, once; only its hash is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal_secret: Option<String>,
}

fn item(n: usize, d: &IssuedDocument) -> DocumentItem {
    DocumentItem {
        n,
        kind: d.kind,
        kind_label: d.kind.label().to_owned(),
        number: d.number.to_string(),
        title: d.title.clone(),
        issuer: d.issuer_name.clone(),
        issued_on: d.issued_on.to_string(),
        query_code: d.query_code.clone(),
        portal_secret: None,
    }
}

/// A 查询码: 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 59 bits: too many
/// to guess, few enough to read out on the phone.
pub(crate) fn query_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The names a document to the petitioner is addressed to: those of the contact it is about (a receipt),
/// else those of the matter's first contact.
fn petitioner_names(m: &Matter, about: Option<&str>) -> Vec<String> {
    let contact = match about {
        Some(id) => m.contacts.iter().find(|c| c.id.as_str() == id),
        None => m
            .contacts
            .iter()
            .find(|c| c.relation == ContactRelation::First)
            .or(m.contacts.first()),
    };
    contact
        .map(|c| c.petitioner_names.clone())
        .unwrap_or_default()
}

/// Issue a document (出具文书) on a matter: numbered, its text fixed as issued, recorded as an event.
#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/documents",
    tag = "文书",
    params(("id" = String, Path, description = "信访事项编号")),
    request_body = IssueRequest,
    responses(
        (status = 201, body = DocumentItem),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not this user's unit or role to issue it"),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "The matter has not reached the step this document records (field `kind`), or `about`/`reason` is missing or wrong")
    )
)]
pub async fn issue(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<IssueRequest>,
) -> Result<Response, ApiError> {
    let principal = auth.ready()?;
    let org = auth.org.clone();
    let matter = visible_matter(&state, principal, &org, &id).await?;
    let kind = DocumentKind::parse(&body.kind).ok_or_else(|| bad("kind", "文书种类不存在"))?;
    let request = DocumentRequest {
        kind,
        about: body.about.clone(),
        reason: body.reason.clone(),
        petitioner_names: if kind.to_petitioner() {
            petitioner_names(
                &matter,
                body.about
                    .as_deref()
                    .filter(|_| kind == DocumentKind::Receipt),
            )
        } else {
            Vec::new()
        },
        query_code: (kind == DocumentKind::Receipt).then(query_code),
    };
    // A receipt's petition can be followed in the portal: its access is written before the receipt
    // and taken back if the receipt is refused, so no receipt lacks one.
    let portal = match (&request.query_code, &request.about) {
        (Some(code), Some(contact)) => {
            let secret = xinfang_store::portal::portal_secret();
            let access = xinfang_store::portal::PortalAccess {
                matter: matter.id.to_string(),
                contact: contact.clone(),
            };
            state
                .ledger
                .store()
                .add_portal_access(code, &access, secret.clone(), Utc::now().timestamp_millis())
                .await?;
            Some((code.clone(), secret))
        }
        _ => None,
    };
    let audit = auth.audit(
        "issue_document",
        matter.id.as_str(),
        kind.label().to_owned(),
    );
    let issued = state
        .ledger
        .execute_audited(
            principal,
            Utc::now(),
            Change::Matter(Command::IssueDocument {
                matter: matter.id.clone(),
                request,
            }),
            audit,
        )
        .await;
    if let Err(e) = issued {
        if let Some((code, _)) = &portal {
            state.ledger.store().remove_portal_access(code).await?;
        }
        return Err(e.into());
    }
    let after = state
        .ledger
        .matter(&matter.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let issued = after.documents.last().ok_or(ApiError::NotFound)?;
    let mut shown = item(after.documents.len(), issued);
    shown.title = redacted(issued, access::identity_view(principal, &after, &org)).title;
    shown.portal_secret = portal.map(|(_, secret)| secret);
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

/// The documents of a matter, in the order issued.
#[utoipa::path(
    get,
    path = "/api/v1/matters/{id}/documents",
    tag = "文书",
    params(("id" = String, Path, description = "信访事项编号")),
    responses(
        (status = 200, body = Vec<DocumentItem>),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<DocumentItem>>, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let matter = visible_matter(&state, principal, &auth.org, &id).await?;
    Ok(Json(
        matter
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| item(i + 1, d))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadParams {
    /// pdf (default), docx or json.
    pub format: Option<String>,
}

/// The document with the petitioners' names as this viewer may see them.
fn redacted(d: &IssuedDocument, view: IdentityView) -> IssuedDocument {
    let mut d = d.clone();
    if view != IdentityView::Full && !d.petitioner_names.is_empty() {
        let names = std::mem::take(&mut d.petitioner_names);
        let redact = |t: &str| access::redact_names(t, &names, view);
        d.title = redact(&d.title);
        d.addressee = redact(&d.addressee);
        d.paragraphs = d.paragraphs.iter().map(|p| redact(p)).collect();
    }
    d
}

/// One document as a file: as issued, to print and send (names masked for a viewer who may not see them).
#[utoipa::path(
    get,
    path = "/api/v1/matters/{id}/documents/{n}",
    tag = "文书",
    params(
        ("id" = String, Path, description = "信访事项编号"),
        ("n" = usize, Path, description = "文书序号，从1起"),
        DownloadParams
    ),
    responses(
        (status = 200, description = "文书：PDF、DOCX 或 JSON", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (IssuedDocument = "application/json")
        )),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 500, body = ErrorBody, description = "The file could not be written")
    )
)]
pub async fn download(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((id, n)): ApiPath<(String, usize)>,
    ApiQuery(params): ApiQuery<DownloadParams>,
) -> Result<Response, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let org = auth.org.clone();
    let matter = visible_matter(&state, principal, &org, &id).await?;
    let format = match params.format.as_deref() {
        None => Format::Pdf,
        Some(f) => Format::parse(f)
            .filter(|f| matches!(f, Format::Pdf | Format::Docx | Format::Json))
            .ok_or_else(|| bad("format", "文书格式应为 pdf、docx 或 json"))?,
    };
    let issued = n
        .checked_sub(1)
        .and_then(|i| matter.documents.get(i))
        .ok_or(ApiError::NotFound)?;
    let view = access::identity_view(principal, &matter, &org);
    let shown = redacted(issued, view);
    if view == IdentityView::Full && !issued.petitioner_names.is_empty() {
        state
            .ledger
            .record(auth.audit(
                "read_document",
                matter.id.as_str(),
                issued.number.to_string(),
            ))
            .await?;
    }
    let bytes = tokio::task::spawn_blocking(move || {
        xinfang_reports::render_document(&shown, format, &compile_pdf)
    })
    .await
    .map_err(|e| ApiError::Render(e.to_string()))?
    .map_err(|e| ApiError::Render(e.to_string()))?;
    let name = format!(
        "{}-{}-{n}.{}",
        matter.id,
        issued.kind.code(),
        format.extension()
    );
    Ok(file_response(bytes, format, &name))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateParams {
    /// The unit whose templates to show (default: the user's).
    pub unit: Option<String>,
}

/// A variable a template may use.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateVariable {
    pub name: String,
    pub description: String,
}

/// The template a unit issues one kind of document from.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub kind: DocumentKind,
    pub kind_label: String,
    /// The unit whose template this is, or null for the system's default.
    pub set_by: Option<String>,
    pub template: Template,
    pub variables: Vec<TemplateVariable>,
}

fn template_view(
    org: &xinfang_domain::org::Org,
    unit: &UnitId,
    kind: DocumentKind,
) -> TemplateView {
    TemplateView {
        kind,
        kind_label: kind.label().to_owned(),
        set_by: org.template_source(unit, kind).map(|u| u.to_string()),
        template: org.template(unit, kind),
        variables: kind
            .variables()
            .into_iter()
            .map(|(name, description)| TemplateVariable {
                name: name.to_owned(),
                description: description.to_owned(),
            })
            .collect(),
    }
}

fn unit_param(
    org: &xinfang_domain::org::Org,
    own: &UnitId,
    given: Option<&str>,
) -> Result<UnitId, ApiError> {
    match given {
        None => Ok(own.clone()),
        Some(text) => {
            let unit = UnitId::parse(text).map_err(|_| bad("unit", "单位编号无效"))?;
            if org.unit(&unit).is_none() {
                return Err(bad("unit", format!("单位 {unit} 不存在")));
            }
            Ok(unit)
        }
    }
}

/// The document templates a unit issues from, each with the variables it may use.
#[utoipa::path(
    get,
    path = "/api/v1/document-templates",
    tag = "文书",
    params(TemplateParams),
    responses(
        (status = 200, body = Vec<TemplateView>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)
    )
)]
pub async fn templates(
    auth: Auth,
    ApiQuery(params): ApiQuery<TemplateParams>,
) -> Result<Json<Vec<TemplateView>>, ApiError> {
    let principal = auth.ready()?;
    if principal.roles == [Role::Petitioner] {
        return Err(ApiError::Forbidden {
            code: "staff_only",
            message: "仅工作人员可以查看文书模板",
        });
    }
    let unit = unit_param(&auth.org, &principal.unit, params.unit.as_deref())?;
    Ok(Json(
        DocumentKind::ALL
            .iter()
            .map(|k| template_view(&auth.org, &unit, *k))
            .collect(),
    ))
}

/// A change to a template.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetTemplateRequest {
    /// The unit it is for, with the units below it (default: the administrator's).
    pub unit: Option<String>,
    /// The new template, or null to go back to the one above (or the default).
    pub template: Option<Template>,
}

/// Set (or, with `template: null`, remove) a unit's template for one kind of document. Administrators
/// only; the template is checked against the kind's variables before it is accepted.
#[utoipa::path(
    put,
    path = "/api/v1/document-templates/{kind}",
    tag = "文书",
    params(("kind" = String, Path, description = "文书种类")),
    request_body = SetTemplateRequest,
    responses(
        (status = 200, body = TemplateView),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)
    )
)]
pub async fn set_template(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(kind): ApiPath<String>,
    ApiJson(body): ApiJson<SetTemplateRequest>,
) -> Result<Json<TemplateView>, ApiError> {
    let principal = auth.admin()?;
    let kind = DocumentKind::parse(&kind).ok_or(ApiError::NotFound)?;
    let unit = unit_param(&auth.org, &principal.unit, body.unit.as_deref())?;
    let audit = auth.audit("set_template", unit.as_str(), kind.label().to_owned());
    state
        .ledger
        .execute_audited(
            principal,
            Utc::now(),
            Change::Org(OrgCommand::SetTemplate {
                unit: unit.clone(),
                kind,
                template: body.template,
            }),
            audit,
        )
        .await?;
    let org = state.ledger.org().await?;
    Ok(Json(template_view(&org, &unit, kind)))
}
