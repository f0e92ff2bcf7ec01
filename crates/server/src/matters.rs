//! Matters: the list with its filters, one matter with its contacts and timeline, registration and every
//! workflow action. Scope and identity rules come from `xinfang_domain::access`; a matter out of scope
//! answers 404, as if it did not exist. Every response that shows a petitioner's identity in full is
//! recorded in the audit trail.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::access::{self, IdentityView};
use xinfang_domain::catalog::code as tag;
use xinfang_domain::ids::{ContactId, MatterId};
use xinfang_domain::links::LinkDecision;
use xinfang_domain::org::Org;
use xinfang_domain::petition::{Contact, ContactDraft, ContactRelation, Petitioner};
use xinfang_domain::workflow::{Filing, china_date};
use xinfang_domain::{Change, Command, EventBody, Matter, Principal, Status};
use xinfang_store::query::{MatterListRow, MatterQuery, MatterSort};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, page_window, shape_error};

const MAX_PER_PAGE: u32 = 200;

/// Filters, order and page of the matter list. Lists take comma-separated codes.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Status codes, e.g. `awaiting_triage,handling`.
    pub status: Option<String>,
    /// Channel code of the first contact: letter, visit, online, hotline.
    pub channel: Option<String>,
    /// Purpose code: suggestion, complaint, demand, accusation.
    pub purpose: Option<String>,
    /// A content domain; its subdomains are included.
    pub domain: Option<String>,
    /// A GB/T 2260 region code; regions inside it are included.
    pub region: Option<String>,
    /// Matters held by this unit or a unit below it.
    pub unit: Option<String>,
    /// Next deadline on or after this day (YYYY-MM-DD).
    pub due_from: Option<NaiveDate>,
    /// Next deadline on or before this day.
    pub due_to: Option<NaiveDate>,
    /// Only matters whose next deadline has passed.
    pub overdue: Option<bool>,
    /// Received on or after this day.
    pub received_from: Option<NaiveDate>,
    /// Received on or before this day.
    pub received_to: Option<NaiveDate>,
    /// Flag codes that must all be set: first, repeat, multi_submission, collective, anonymous,
    /// skip_level, national, provincial, joint, urgent, supervised, leader, co_handled, unsatisfied (rated 不满意 and not yet 化解).
    pub flags: Option<String>,
    /// Words the summary must contain (separated by spaces).
    pub q: Option<String>,
    /// received (default), next_due (only matters with a pending deadline) or changed.
    pub sort: Option<String>,
    /// asc or desc (default desc, newest first).
    pub order: Option<String>,
    /// From 1.
    pub page: Option<u32>,
    /// 1 to 200, default 50.
    pub per_page: Option<u32>,
}

/// How the petitioner's identity is shown: full, masked, or hidden (the matter is about the viewer's unit,
/// or it is a 检举控告 the viewer's unit does not handle).
fn identity_code(view: IdentityView) -> &'static str {
    match view {
        IdentityView::Full => "full",
        IdentityView::Masked => "masked",
        IdentityView::Hidden => "hidden",
    }
}

/// One matter in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatterItem {
    pub id: String,
    pub status: String,
    /// 状态
    pub status_label: String,
    pub purpose: String,
    pub purpose_label: String,
    pub domain: String,
    pub region: String,
    /// The petition bureau that registered it.
    pub bureau: String,
    /// 主办单位
    pub handler: Option<String>,
    pub received_on: String,
    /// The next deadline of whoever must act now.
    pub next_due: Option<String>,
    pub overdue: bool,
    /// Channel of the first contact.
    pub channel: String,
    pub flags: Vec<String>,
    /// 摘要
    pub summary: String,
    /// 人次 over all contacts.
    pub persons: i64,
    /// The first named petitioner, as the viewer may see it; absent when hidden or anonymous.
    pub petitioner: Option<String>,
    /// full, masked or hidden.
    pub identity: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatterPage {
    /// Matters matching the filters, counted up to 1,000.
    pub total: i64,
    /// False when more than 1,000 matched (narrow the filters, or see the figures for exact counts).
    pub total_is_exact: bool,
    pub page: u32,
    pub per_page: u32,
    pub items: Vec<MatterItem>,
}

fn label_of<T: Serialize + for<'de> Deserialize<'de>>(
    code: &str,
    label: fn(T) -> &'static str,
) -> String {
    serde_json::from_value::<T>(serde_json::Value::String(code.to_owned()))
        .map(|v| label(v).to_owned())
        .unwrap_or_default()
}

pub(crate) fn item_of(
    row: MatterListRow,
    principal: &Principal,
    org: &Org,
    today: NaiveDate,
) -> MatterItem {
    let view = access::identity_view(principal, &row, org);
    let petitioner = row.petitioners.first().and_then(|name| match view {
        IdentityView::Full => Some(name.clone()),
        IdentityView::Masked => Some(access::mask_name(name)),
        IdentityView::Hidden => None,
    });
    let summary = access::redact_names(&row.summary, &row.petitioners, view);
    MatterItem {
        status_label: label_of::<Status>(&row.status, Status::label),
        purpose: tag(&row.purpose),
        purpose_label: row.purpose.label().to_owned(),
        overdue: row
            .next_due
            .as_deref()
            .and_then(|d| d.parse::<NaiveDate>().ok())
            .is_some_and(|d| d < today),
        id: row.id,
        status: row.status,
        domain: row.domain,
        region: row.region,
        bureau: row.bureau,
        handler: row.handler,
        received_on: row.received_on,
        next_due: row.next_due,
        channel: row.channel,
        flags: row.flags,
        summary,
        persons: row.persons,
        petitioner,
        identity: identity_code(view).to_owned(),
    }
}

fn bad(field: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        field: Some(field.to_owned()),
        message: message.into(),
    }
}

fn codes(list: &Option<String>) -> Vec<String> {
    list.iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn query_of(
    p: &ListParams,
    scope: String,
    org: &Org,
    today: NaiveDate,
) -> Result<MatterQuery, ApiError> {
    let statuses = codes(&p.status);
    if let Some(s) = statuses
        .iter()
        .find(|s| label_of::<Status>(s, Status::label).is_empty())
    {
        return Err(bad("status", format!("未知的状态代码：{s}")));
    }
    let flags = codes(&p.flags);
    if let Some(f) = flags
        .iter()
        .find(|f| !xinfang_domain::workflow::MATTER_FLAGS.contains(&f.as_str()))
    {
        return Err(bad("flags", format!("未知的标记代码：{f}")));
    }
    let unit = match &p.unit {
        Some(u) => {
            let id =
                xinfang_domain::ids::UnitId::parse(u).map_err(|_| bad("unit", "单位代码无效"))?;
            if org.unit(&id).is_none() {
                return Err(bad("unit", format!("单位 {u} 不存在")));
            }
            Some(org.unit_path(&id))
        }
        None => None,
    };
    let (_, per_page, offset) = page_window(p.page, p.per_page, 50, MAX_PER_PAGE)?;
    let sort = match p.sort.as_deref() {
        None | Some("received") => MatterSort::Received,
        Some("next_due") => MatterSort::NextDue,
        Some("changed") => MatterSort::Changed,
        Some(other) => return Err(bad("sort", format!("不支持的排序方式：{other}"))),
    };
    let descending = match p.order.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(other) => {
            return Err(bad(
                "order",
                format!("排序方向应为 asc 或 desc，而不是 {other}"),
            ));
        }
    };
    Ok(MatterQuery {
        scope: Some(scope),
        unit,
        statuses,
        channel: p.channel.clone(),
        purpose: p.purpose.clone(),
        domain: p.domain.clone(),
        region: p.region.clone(),
        due_from: p.due_from,
        due_to: p.due_to,
        overdue_on: p.overdue.unwrap_or(false).then_some(today),
        flags,
        text: p.q.clone().filter(|q| !q.trim().is_empty()),
        received_from: p.received_from,
        received_to: p.received_to,
        sort,
        descending,
        limit: i64::from(per_page),
        offset,
    })
}

/// Staff read matters (administrators and analysts masked); a petitioner's account reads only its own
/// matters, through the petitioner portal, not these routes.
pub(crate) fn may_read_matters(principal: &Principal) -> Result<(), ApiError> {
    if principal
        .roles
        .iter()
        .any(|r| *r != xinfang_domain::Role::Petitioner)
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            code: "missing_role",
            message: "本账号的角色不能查看信访事项",
        })
    }
}

/// List matters in the user's scope (own unit and below), filtered, sorted and paginated.
#[utoipa::path(
    get,
    path = "/api/v1/matters",
    tag = "信访事项",
    params(ListParams),
    responses(
        (status = 200, body = MatterPage),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)
    )
)]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<MatterPage>, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let org = auth.org.clone();
    let today = china_date(Utc::now());
    let query = query_of(&params, org.unit_path(&principal.unit), &org, today)?;
    let store = state.ledger.store();
    let (rows, total) = store.list_matters(&query).await?;
    let items: Vec<MatterItem> = rows
        .into_iter()
        .map(|r| item_of(r, principal, &org, today))
        .collect();
    let shown: Vec<&str> = items
        .iter()
        .filter(|i| i.identity == "full" && i.petitioner.is_some())
        .map(|i| i.id.as_str())
        .collect();
    if !shown.is_empty() {
        state
            .ledger
            .record(auth.audit("list_matters", "信访事项列表", shown.join(" ")))
            .await?;
    }
    Ok(Json(MatterPage {
        total: total.count,
        total_is_exact: total.exact,
        page: params.page.unwrap_or(1),
        per_page: query.limit as u32,
        items,
    }))
}

/// How many matters a list holds (counted up to 1,000, as the list counts), without reading or showing
/// any of them: for the console's to-do counts.
pub(crate) async fn count(
    state: &AppState,
    principal: &Principal,
    org: &Org,
    params: &ListParams,
) -> Result<(i64, bool), ApiError> {
    may_read_matters(principal)?;
    let query = query_of(
        params,
        org.unit_path(&principal.unit),
        org,
        china_date(Utc::now()),
    )?;
    let total = state.ledger.store().count_matters(&query).await?;
    Ok((total.count, total.exact))
}

/// A person in a contact, as the viewer may see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PetitionerView {
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    /// Where to fetch it.
    pub url: String,
}

/// One contact (件次) of a matter.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    pub id: String,
    /// first, repeat or multi_submission.
    pub relation: String,
    pub channel: String,
    pub received_at: String,
    pub registered_by: String,
    pub registered_at: String,
    pub person_count: u32,
    pub flags: Vec<String>,
    pub region: String,
    pub address: String,
    /// 反映对象
    pub target: Option<String>,
    pub purpose: String,
    pub domain: String,
    pub summary: String,
    pub demands: String,
    /// 全文; absent when the viewer may not see who wrote it.
    pub full_text: Option<String>,
    /// Empty when the identity is hidden.
    pub petitioners: Vec<PetitionerView>,
    /// Files; listed only for viewers who may see the identity (a scan shows who wrote).
    pub attachments: Vec<AttachmentView>,
    /// Files held back from this viewer.
    pub attachments_withheld: usize,
}

/// One entry of a matter's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub seq: i64,
    pub at: String,
    /// Event code, e.g. `transferred`.
    pub event: String,
    pub label: String,
    pub unit: String,
    pub user: String,
    /// The reason, opinion or note written with it.
    pub note: Option<String>,
}

/// A matter with its contacts and timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatterDetail {
    #[serde(flatten)]
    pub item: MatterItem,
    /// 反映对象单位
    pub target_unit: Option<String>,
    pub co_handlers: Vec<String>,
    /// The matter's whole current state (deadlines, answer, evaluations, reviews, supervision,
    /// 包案), without the people in it.
    #[schema(value_type = Object)]
    pub state: serde_json::Value,
    pub contacts: Vec<ContactView>,
    pub timeline: Vec<TimelineEntry>,
}

fn petitioner_view(p: &Petitioner, view: IdentityView) -> PetitionerView {
    match view {
        IdentityView::Full => PetitionerView {
            name: p.name.clone(),
            id_number: p.id_number.as_ref().map(|i| i.as_str().to_owned()),
            phone: p.phone.as_ref().map(|i| i.as_str().to_owned()),
            address: p.address.clone(),
        },
        _ => PetitionerView {
            name: access::mask_name(&p.name),
            id_number: p.id_number.as_ref().map(|i| i.masked()),
            phone: p.phone.as_ref().map(|i| i.masked()),
            address: access::mask_address(&p.address),
        },
    }
}

/// A contact as the viewer may see it; `everyone` is every petitioner of the matter, whose identities
/// are masked or hidden in its free text.
fn contact_view(
    matter: &MatterId,
    c: &Contact,
    view: IdentityView,
    everyone: &[Petitioner],
) -> ContactView {
    let d = &c.draft;
    let flag = |on: bool, code: &str| on.then(|| code.to_owned());
    let flags = [
        flag(c.flags.first, "first"),
        flag(c.flags.repeat, "repeat"),
        flag(c.flags.multi_submission, "multi_submission"),
        flag(c.flags.collective, "collective"),
        flag(c.flags.anonymous, "anonymous"),
        flag(c.flags.declared.skip_level, "skip_level"),
        flag(c.flags.declared.national, "national"),
        flag(c.flags.declared.provincial, "provincial"),
        flag(c.flags.declared.joint, "joint"),
        flag(c.flags.declared.urgent, "urgent"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let (petitioners, full_text, attachments) = match view {
        IdentityView::Full => (
            d.petitioners
                .iter()
                .map(|p| petitioner_view(p, view))
                .collect(),
            Some(d.full_text.clone()),
            d.attachments
                .iter()
                .map(|a| AttachmentView {
                    name: a.name.clone(),
                    media_type: a.media_type.clone(),
                    size: a.size,
                    sha256: a.sha256.clone(),
                    url: format!("/api/v1/matters/{matter}/attachments/{}", a.sha256),
                })
                .collect(),
        ),
        IdentityView::Masked => (
            d.petitioners
                .iter()
                .map(|p| petitioner_view(p, view))
                .collect(),
            Some(access::redact_identities(&d.full_text, everyone, view)),
            Vec::new(),
        ),
        IdentityView::Hidden => (Vec::new(), None, Vec::new()),
    };
    ContactView {
        id: d.id.to_string(),
        relation: tag(&c.relation),
        channel: tag(&d.channel),
        received_at: d.received_at.to_rfc3339(),
        registered_by: c.registered_by.to_string(),
        registered_at: c.registered_at.to_rfc3339(),
        person_count: d.person_count,
        flags,
        region: d.location.region.to_string(),
        address: d.location.address.clone(),
        target: d.target.as_ref().map(|t| t.name.clone()),
        purpose: tag(&d.purpose),
        domain: d.domain.to_string(),
        summary: access::redact_identities(&d.summary, everyone, view),
        demands: access::redact_identities(&d.demands, everyone, view),
        full_text,
        petitioners,
        attachments_withheld: d.attachments.len() - attachments.len(),
        attachments,
    }
}

fn note_of(body: &EventBody) -> Option<String> {
    let value = serde_json::to_value(body).ok()?;
    ["reason", "opinion", "note", "plan"]
        .iter()
        .find_map(|k| value.get(*k).and_then(|v| v.as_str()).map(str::to_owned))
        .filter(|s| !s.is_empty())
}

/// Load a matter the user may see; anything else is 404.
pub(crate) async fn visible_matter(
    state: &AppState,
    principal: &Principal,
    org: &Org,
    id: &str,
) -> Result<Matter, ApiError> {
    let id = MatterId::parse(id).map_err(|_| ApiError::NotFound)?;
    let matter = state.ledger.matter(&id).await?.ok_or(ApiError::NotFound)?;
    if access::can_see(principal, &matter, org) {
        Ok(matter)
    } else {
        Err(ApiError::NotFound)
    }
}

/// One matter with its contacts, people (as the viewer may see them), files and timeline.
#[utoipa::path(
    get,
    path = "/api/v1/matters/{id}",
    tag = "信访事项",
    params(("id" = String, Path, description = "信访事项编号")),
    responses(
        (status = 200, body = MatterDetail),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such matter, or not in the user's scope")
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let org = auth.org.clone();
    let matter = visible_matter(&state, principal, &org, &id).await?;
    let view = access::identity_view(principal, &matter, &org);
    let store = state.ledger.store();
    let contacts = store.contacts_of(&matter.id).await?;
    let everyone: Vec<Petitioner> = contacts
        .iter()
        .flat_map(|c| c.draft.petitioners.iter().cloned())
        .collect();
    let events = store.matter_events(&matter.id).await?;
    let timeline = events
        .iter()
        .filter_map(|e| {
            let body = e.body().ok()?;
            Some(TimelineEntry {
                seq: e.seq,
                at: e.at.to_rfc3339(),
                event: body.kind().to_owned(),
                label: body.label().to_owned(),
                unit: e.actor.unit.to_string(),
                user: e.actor.user.to_string(),
                note: note_of(&body),
            })
        })
        .collect();
    let today = china_date(Utc::now());
    let mut state_value = serde_json::to_value(&matter).unwrap_or_default();
    if let Some(obj) = state_value.as_object_mut() {
        obj.remove("contacts");
    }
    let row = list_row_of(&matter);
    let detail = MatterDetail {
        item: item_of(row, principal, &org, today),
        target_unit: matter.target_unit.as_ref().map(ToString::to_string),
        co_handlers: matter.co_handlers.iter().map(ToString::to_string).collect(),
        state: state_value,
        contacts: contacts
            .iter()
            .map(|c| contact_view(&matter.id, c, view, &everyone))
            .collect(),
        timeline,
    };
    if view == IdentityView::Full {
        state
            .ledger
            .record(auth.audit("read_matter", matter.id.as_str(), String::new()))
            .await?;
        return Ok(Json(detail).into_response());
    }
    // Staff write names into opinions, notes and plans too: one last pass over everything sent.
    let text = serde_json::to_string(&detail).expect("a detail serializes");
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        access::redact_identities(&text, &everyone, view),
    )
        .into_response())
}

/// The list view of a full matter, so a detail shows the same fields as a list.
pub(crate) fn list_row_of(m: &Matter) -> MatterListRow {
    MatterListRow {
        id: m.id.to_string(),
        status: m.status.as_str().to_owned(),
        bureau: m.bureau.to_string(),
        handler: m.handler.as_ref().map(ToString::to_string),
        purpose: m.purpose,
        domain: m.domain.to_string(),
        region: m.region.to_string(),
        received_on: m.received_on.to_string(),
        next_due: m.next_due().map(|d| d.to_string()),
        channel: m
            .contacts
            .first()
            .map(|c| tag(&c.channel))
            .unwrap_or_default(),
        flags: m.flag_codes().into_iter().map(str::to_owned).collect(),
        target_unit: m.target_unit.clone(),
        petitioners: m.petitioner_names(),
        persons: m.contacts.iter().map(|c| i64::from(c.person_count)).sum(),
        summary: m.summary.clone(),
        holders: access::holders(m).cloned().collect(),
    }
}

/// A new contact: a letter, visit, online petition or call, as the clerk enters it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// The contact: channel, received_at, petitioners, person_count, location, target, purpose, domain,
    /// summary, full_text, demands, attachments, flags. An `id` may be given (a source system's id):
    /// registering the same id twice answers 409.
    #[schema(value_type = xinfang_domain::petition::ContactDraft)]
    pub contact: serde_json::Value,
    /// Link to an existing matter instead of opening one: 重复信访 or 一信多投.
    pub link: Option<LinkRequest>,
    /// The clerk's decisions on the links `POST /api/v1/similar` proposed: the one followed
    /// (`confirmed`: the same matter and relation as `link`) and those rejected as another problem. Each
    /// is recorded as an event with the registration, all or nothing.
    #[serde(default)]
    pub reviews: Vec<LinkDecision>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkRequest {
    pub matter: String,
    /// repeat or multi_submission.
    pub relation: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    pub matter: String,
    pub contact: String,
    /// Sequence numbers of the events written.
    pub events: Vec<i64>,
}

/// An id nobody else will pick, in the order ids are made: the Beijing date and time to the millisecond,
/// then 24 random bits against another server process picking the same millisecond. Ids that grow keep
/// the database's indexes appending at their ends instead of touching pages all over a large file.
pub(crate) fn new_id(prefix: &str) -> String {
    let now = Utc::now().with_timezone(&chrono_tz_beijing());
    let random: u32 = rand::random::<u32>() >> 8;
    format!("{prefix}{}{random:06X}", now.format("%Y%m%d%H%M%S%3f"))
}

fn chrono_tz_beijing() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

/// Register a contact: open a matter, or link it to an existing one.
#[utoipa::path(
    post,
    path = "/api/v1/matters",
    tag = "信访事项",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = Registered),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "The matter to link to does not exist or is out of scope"),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub async fn register(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<RegisterRequest>,
) -> Result<Response, ApiError> {
    let principal = auth.ready()?;
    let mut contact = request.contact;
    let object = contact
        .as_object_mut()
        .ok_or_else(|| bad("contact", "件次内容应为对象"))?;
    if !object.contains_key("id") {
        object.insert("id".into(), serde_json::Value::String(new_id("C")));
    }
    let draft: ContactDraft =
        serde_json::from_value(contact).map_err(|e| shape_error(&e, "contact", "件次内容"))?;
    check_files(&state, &draft).await?;
    let filing = match &request.link {
        None => Filing::NewMatter {
            matter: MatterId::parse(&new_id("XF")).expect("a valid id"),
        },
        Some(link) => {
            let relation = match link.relation.as_str() {
                "repeat" => ContactRelation::Repeat,
                "multi_submission" => ContactRelation::MultiSubmission,
                _ => {
                    return Err(bad(
                        "relation",
                        "关联方式应为 repeat（重复信访）或 multi_submission（一信多投）",
                    ));
                }
            };
            let org = auth.org.clone();
            let matter = visible_matter(&state, principal, &org, &link.matter).await?;
            Filing::Existing {
                matter: matter.id,
                relation,
            }
        }
    };
    let contact_id: ContactId = draft.id.clone();
    let command = Command::Register {
        filing,
        contact: Box::new(draft),
    };
    let matter = command.matter().clone();
    let mut changes = vec![Change::Matter(command)];
    for decision in request.reviews {
        let org = auth.org.clone();
        if visible_matter(&state, principal, &org, decision.candidate.as_str())
            .await
            .is_err()
        {
            return Err(ApiError::Invalid {
                field: "reviews",
                message: format!("提示关联的事项 {} 不存在", decision.candidate),
            });
        }
        changes.push(Change::Matter(Command::ReviewLink {
            matter: matter.clone(),
            contact: contact_id.clone(),
            decision,
        }));
    }
    let audit = auth.audit("register", matter.as_str(), contact_id.to_string());
    let events = state
        .ledger
        .execute_group_audited(principal, Utc::now(), changes, audit)
        .await
        .map_err(conflict_on_duplicate)?;
    let body = Registered {
        matter: matter.to_string(),
        contact: contact_id.to_string(),
        events: events.iter().map(|e| e.seq).collect(),
    };
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(location) = format!("/api/v1/matters/{matter}").parse() {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The ledger refuses a contact id registered before; a second server process registering the same id
/// at the same moment meets the database's unique key instead. Either way it is the client's conflict.
fn conflict_on_duplicate(e: xinfang_store::LedgerError) -> ApiError {
    if let xinfang_store::LedgerError::Store(xinfang_store::StoreError::Db(db)) = &e
        && db
            .as_database_error()
            .is_some_and(|d| d.is_unique_violation())
    {
        return ApiError::Conflict {
            code: "contact_exists",
            message: "该件次编号已经登记过".into(),
        };
    }
    e.into()
}

/// A workflow action on a matter. The body names the action and its fields, e.g.
/// `{"action": "accept"}`, `{"action": "triage", "kind": "transfer", "to": "dist-zjj"}`,
/// `{"action": "answer", "outcome": "supported", "opinion": "…"}`. See docs/workflow.md for every action.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(value_type = xinfang_domain::Command)]
pub struct ActionRequest(pub serde_json::Value);

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDone {
    pub matter: String,
    /// The matter's status after the action.
    pub status: String,
    pub status_label: String,
    /// Sequence numbers of the events written.
    pub events: Vec<i64>,
}

/// Carry out a workflow action (分流, 受理, 延期, 答复, 评价, 复查复核, 督办, 催办, 包案, …).
#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/actions",
    tag = "信访事项",
    params(("id" = String, Path, description = "信访事项编号")),
    request_body = ActionRequest,
    responses(
        (status = 200, body = ActionDone),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Not possible in the matter's state or past its window"),
        (status = 422, body = ErrorBody)
    )
)]
pub async fn act(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(ActionRequest(mut body)): ApiJson<ActionRequest>,
) -> Result<Json<ActionDone>, ApiError> {
    let principal = auth.ready()?;
    let org = auth.org.clone();
    let matter = visible_matter(&state, principal, &org, &id).await?;
    let object = body
        .as_object_mut()
        .ok_or_else(|| bad("action", "请求体应为对象，并以 action 指明操作"))?;
    if object.get("action").and_then(|a| a.as_str()) == Some("register") {
        return Err(bad("action", "登记请使用 POST /api/v1/matters"));
    }
    if object.get("action").and_then(|a| a.as_str()) == Some("issue_document") {
        return Err(bad(
            "action",
            "出具文书请使用 POST /api/v1/matters/{id}/documents",
        ));
    }
    // The path names the matter; a body that names another (or names it wrongly) is a mistake.
    match object.get("matter") {
        None => {}
        Some(serde_json::Value::String(named)) if named == matter.id.as_str() => {}
        Some(_) => return Err(bad("matter", "请求体中的 matter 与路径中的事项编号不一致")),
    }
    object.insert(
        "matter".into(),
        serde_json::Value::String(matter.id.to_string()),
    );
    let command: Command =
        serde_json::from_value(body).map_err(|e| shape_error(&e, "action", "操作内容"))?;
    let action = tag_of_action(&command);
    let audit = auth.audit(&action, matter.id.as_str(), command.label().to_owned());
    let events = state
        .ledger
        .execute_audited(principal, Utc::now(), Change::Matter(command), audit)
        .await?;
    let after = state
        .ledger
        .matter(&matter.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(ActionDone {
        matter: matter.id.to_string(),
        status: after.status.as_str().to_owned(),
        status_label: after.status.label().to_owned(),
        events: events.iter().map(|e| e.seq).collect(),
    }))
}

fn tag_of_action(command: &Command) -> String {
    serde_json::to_value(command)
        .ok()
        .and_then(|v| v.get("action").and_then(|a| a.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// Files may be larger than JSON bodies; this is the most a scan or recording may weigh.
pub const FILE_LIMIT: usize = 20 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name as the petitioner gave it.
    pub name: String,
}

/// What to put in a contact's `attachments` to attach an uploaded file.
#[derive(Debug, Serialize, ToSchema)]
pub struct Uploaded {
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
}

/// Upload a file (the body, as is) before registering the contact it belongs to.
#[utoipa::path(
    post,
    path = "/api/v1/files",
    tag = "信访事项",
    params(UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 201, body = Uploaded),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody)
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<UploadParams>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Uploaded>), ApiError> {
    let principal = auth.ready()?;
    if !principal.roles.iter().any(|r| {
        matches!(
            r,
            xinfang_domain::Role::Registrar | xinfang_domain::Role::Petitioner
        )
    }) {
        return Err(ApiError::Forbidden {
            code: "missing_role",
            message: "需要「登记员」角色才能上传附件",
        });
    }
    let name = params.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(bad("name", "文件名应为1至200个字符"));
    }
    if body.is_empty() {
        return Err(bad("body", "文件内容为空"));
    }
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 100)
        .unwrap_or("application/octet-stream")
        .to_owned();
    let size = body.len() as u64;
    let sha256 = state
        .ledger
        .store()
        .put_file(&media_type, body.to_vec(), Utc::now().timestamp_millis())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Uploaded {
            name: name.to_owned(),
            media_type,
            size,
            sha256,
        }),
    ))
}

/// A file attached to one of the matter's contacts. Only viewers who may see the petitioner's identity
/// may fetch it (a scanned letter shows who wrote it); each fetch is audited.
#[utoipa::path(
    get,
    path = "/api/v1/matters/{id}/attachments/{sha256}",
    tag = "信访事项",
    params(("id" = String, Path, description = "信访事项编号"), ("sha256" = String, Path)),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub async fn attachment(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((id, sha256)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let org = auth.org.clone();
    let matter = visible_matter(&state, principal, &org, &id).await?;
    let store = state.ledger.store();
    let listed = store
        .contacts_of(&matter.id)
        .await?
        .into_iter()
        .flat_map(|c| c.draft.attachments)
        .find(|a| a.sha256 == sha256)
        .ok_or(ApiError::NotFound)?;
    if access::identity_view(principal, &matter, &org) != IdentityView::Full {
        return Err(ApiError::Forbidden {
            code: "identity_withheld",
            message: "附件可能显示信访人身份，本账号不能查看",
        });
    }
    let file = store.file(&sha256).await?.ok_or(ApiError::NotFound)?;
    state
        .ledger
        .record(auth.audit("read_attachment", matter.id.as_str(), listed.name.clone()))
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, file.media_type),
            (header::CONTENT_DISPOSITION, "attachment".to_owned()),
        ],
        file.content,
    )
        .into_response())
}

/// Every attachment of a draft must be a stored file of the size given.
async fn check_files(state: &AppState, draft: &ContactDraft) -> Result<(), ApiError> {
    for a in &draft.attachments {
        let size = state.ledger.store().file_size(&a.sha256).await?;
        if size != Some(a.size as i64) {
            return Err(ApiError::Invalid {
                field: "attachments",
                message: format!("附件「{}」尚未上传，或大小不符", a.name),
            });
        }
    }
    Ok(())
}
