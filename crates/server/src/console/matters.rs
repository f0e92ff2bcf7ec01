//! 事项 and 登记: the matter list (filters, full-text search, the to-do lists, XLSX of the list), a
//! matter's page with exactly the actions this user may take now, registration and its receipt.

use axum::Json;
use axum::body::to_bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use xinfang_domain::catalog::{EvaluationTarget, LegalRoute, Outcome, Purpose, Rating};
use xinfang_domain::offers::{
    co_handler_choices, offer_code, offered, review_authorities, triage_targets,
};
use xinfang_domain::org::Unit;
use xinfang_domain::workflow::{Command, Ctx, ReviewDecision};

use super::workbench::Todo;
use super::{PageError, PageResult, Viewer, render, today};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::matters::{ListParams, MatterItem, item_of, list_row_of, visible_matter};
use crate::search::SearchParams;

/// Flag codes as staff read them.
pub(crate) fn flag_label(code: &str) -> &'static str {
    match code {
        "first" => "首次",
        "repeat" => "重复",
        "multi_submission" => "一信多投",
        "collective" => "集体访",
        "anonymous" => "匿名",
        "skip_level" => "越级",
        "national" => "进京",
        "provincial" => "赴省",
        "joint" => "联名",
        "urgent" => "紧急",
        "supervised" => "督办中",
        "leader" => "领导包案",
        "co_handled" => "协办",
        "unsatisfied" => "不满意待回访",
        _ => "",
    }
}

fn status_choices() -> Vec<Value> {
    xinfang_domain::Status::ALL
        .iter()
        .map(|s| context! { code => s.as_str(), label => s.label() })
        .collect()
}

/// The query string without its empty fields: a filter form sends every field, filled or not.
fn filled_uri(uri: &Uri) -> Uri {
    let query: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| pair.split_once('=').is_some_and(|(_, v)| !v.is_empty()))
        .map(str::to_owned)
        .collect();
    format!("{}?{}", uri.path(), query.join("&"))
        .parse()
        .unwrap_or_else(|_| uri.clone())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListExtras {
    /// A to-do list of the 工作台.
    todo: Option<String>,
}

fn parse_list(uri: &Uri) -> Result<(ListParams, ListExtras), PageError> {
    let uri = filled_uri(uri);
    let Query(params) = Query::<ListParams>::try_from_uri(&uri).map_err(ApiError::from)?;
    let Query(extras) = Query::<ListExtras>::try_from_uri(&uri).map_err(ApiError::from)?;
    let params = match extras.todo.as_deref().and_then(Todo::by_code) {
        Some(todo) => {
            let base = todo.params();
            ListParams {
                status: params.status.or(base.status),
                flags: params.flags.or(base.flags),
                due_from: params.due_from.or(base.due_from),
                due_to: params.due_to.or(base.due_to),
                overdue: params.overdue.or(base.overdue),
                sort: params.sort.or(base.sort),
                order: params.order.or(base.order),
                ..params
            }
        }
        None => params,
    };
    Ok((params, extras))
}

fn item_value(item: &MatterItem) -> Value {
    let flags: Vec<&str> = item.flags.iter().map(|f| flag_label(f)).collect();
    context! {
        id => item.id.clone(),
        status => item.status.clone(),
        status_label => item.status_label.clone(),
        purpose_label => item.purpose_label.clone(),
        domain => item.domain.clone(),
        region => item.region.clone(),
        received_on => item.received_on.clone(),
        next_due => item.next_due.clone(),
        overdue => item.overdue,
        channel => item.channel.clone(),
        flags => flags,
        summary => item.summary.clone(),
        persons => item.persons,
        petitioner => item.petitioner.clone(),
        handler => item.handler.clone(),
    }
}

/// Matters by id as a list shows them, skipping any the user may not see.
pub(crate) async fn items_of_ids(
    state: &AppState,
    auth: &Auth,
    ids: &[String],
) -> Result<Vec<Value>, PageError> {
    let principal = auth.ready()?;
    let today = today();
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        match visible_matter(state, principal, &auth.org, id).await {
            Ok(m) => items.push(item_value(&item_of(
                list_row_of(&m),
                principal,
                &auth.org,
                today,
            ))),
            Err(ApiError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(items)
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Viewer(auth): Viewer,
    uri: Uri,
) -> PageResult {
    let (params, extras) = parse_list(&uri)?;
    let page = params.page.unwrap_or(1).max(1);
    let todo = extras.todo.as_deref().and_then(Todo::by_code);
    let words = params.q.clone().filter(|q| !q.trim().is_empty());
    let (items, total, exact, per_page, snippets) = match (&words, &state.search) {
        (Some(q), Some(_)) => {
            let per_page = 20u32;
            let Json(found) = crate::search::search(
                State(state.clone()),
                auth.clone(),
                ApiQuery(SearchParams {
                    q: Some(q.clone()),
                    status: params.status.clone(),
                    domain: params.domain.clone(),
                    region: params.region.clone(),
                    unit: params.unit.clone(),
                    received_from: params.received_from,
                    received_to: params.received_to,
                    limit: Some(per_page),
                    offset: Some((page - 1) * per_page),
                    order: None,
                }),
            )
            .await?;
            let ids: Vec<String> = found.items.iter().map(|h| h.id.clone()).collect();
            let snippets: Vec<String> = found.items.iter().map(|h| h.snippet.clone()).collect();
            let items = items_of_ids(&state, &auth, &ids).await?;
            (
                items,
                found.total as i64,
                found.total_is_exact,
                per_page,
                snippets,
            )
        }
        _ => {
            let Json(found) = crate::matters::list(
                State(state.clone()),
                auth.clone(),
                ApiQuery(ListParams {
                    page: Some(page),
                    ..params.clone()
                }),
            )
            .await?;
            let items = found.items.iter().map(item_value).collect();
            (
                items,
                found.total,
                found.total_is_exact,
                found.per_page,
                Vec::new(),
            )
        }
    };
    let pages = (total + i64::from(per_page) - 1) / i64::from(per_page);
    let query_without_page: String = filled_uri(&uri)
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.starts_with("page=") && !p.is_empty())
        .collect::<Vec<_>>()
        .join("&");
    render(
        &auth,
        "/matters",
        "matters.html",
        context! {
            title => todo.map(|t| t.label).unwrap_or("信访事项"),
            todo => extras.todo,
            filters => context! {
                q => params.q.clone(),
                status => params.status.clone(),
                purpose => params.purpose.clone(),
                domain => params.domain.clone(),
                region => params.region.clone(),
                received_from => params.received_from.map(|d| d.to_string()),
                received_to => params.received_to.map(|d| d.to_string()),
                overdue => params.overdue.unwrap_or(false),
                sort => params.sort.clone(),
            },
            statuses => status_choices(),
            purposes => Purpose::ALL.iter().map(|p| context! { code => code_of(p), label => p.label() }).collect::<Vec<_>>(),
            search_on => state.search.is_some(),
            items => items,
            snippets => snippets,
            total => total,
            exact => exact,
            page => page,
            pages => pages,
            query => query_without_page,
        },
    )
}

fn code_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The list as it is filtered, every page of it up to 5,000 rows, as a workbook.
pub(crate) async fn export(
    State(state): State<AppState>,
    Viewer(auth): Viewer,
    uri: Uri,
) -> PageResult {
    const MOST: u32 = 5_000;
    let (params, _) = parse_list(&uri)?;
    let mut items = Vec::new();
    for page in 1..=MOST / 200 {
        let Json(found) = crate::matters::list(
            State(state.clone()),
            auth.clone(),
            ApiQuery(ListParams {
                page: Some(page),
                per_page: Some(200),
                ..params.clone()
            }),
        )
        .await?;
        let last = found.items.len() < 200;
        items.extend(found.items);
        if last {
            break;
        }
    }
    let bytes = workbook(&items).map_err(|e| ApiError::Render(e.to_string()))?;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"xinfang-matters.xlsx\""),
    );
    Ok(response)
}

fn workbook(items: &[MatterItem]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("信访事项")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let headers = [
        "事项编号",
        "登记日期",
        "状态",
        "信访目的",
        "内容分类",
        "问题属地",
        "主办单位",
        "下一期限",
        "是否超期",
        "标记",
        "信访人",
        "人次",
        "摘要",
    ];
    for (col, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *h, &bold)?;
    }
    for (i, m) in items.iter().enumerate() {
        let row = i as u32 + 1;
        let flags: Vec<&str> = m.flags.iter().map(|f| flag_label(f)).collect();
        let cells = [
            m.id.clone(),
            m.received_on.clone(),
            m.status_label.clone(),
            m.purpose_label.clone(),
            m.domain.clone(),
            m.region.clone(),
            m.handler.clone().unwrap_or_default(),
            m.next_due.clone().unwrap_or_default(),
            if m.overdue {
                "是".into()
            } else {
                "否".into()
            },
            flags.join("、"),
            m.petitioner.clone().unwrap_or_default(),
            m.persons.to_string(),
            m.summary.clone(),
        ];
        for (col, text) in cells.iter().enumerate() {
            sheet.write_string(row, col as u16, text)?;
        }
    }
    sheet.set_column_width(12, 60)?;
    sheet.autofilter(0, 0, items.len() as u32, headers.len() as u16 - 1)?;
    book.save_to_buffer()
}

async fn json_of(response: Response) -> Result<serde_json::Value, PageError> {
    let bytes = to_bytes(response.into_body(), 64 * 1024 * 1024)
        .await
        .map_err(|e| ApiError::Render(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| PageError(ApiError::Render(e.to_string())))
}

fn unit_choices(units: Vec<&Unit>) -> Vec<Value> {
    units
        .into_iter()
        .map(|u| context! { id => u.id.to_string(), name => u.name.clone() })
        .collect()
}

/// Triage's choices, the units competent for the matter's domain marked as the suggestion.
fn triage_choices(m: &xinfang_domain::Matter, org: &xinfang_domain::org::Org) -> Vec<Value> {
    triage_targets(m, org)
        .into_iter()
        .map(|u| {
            let suggested = xinfang_domain::offers::is_competent(u, m);
            context! {
                id => u.id.to_string(),
                name => if suggested { format!("{}（建议：主管{}）", u.name, m.domain.first) } else { u.name.clone() },
            }
        })
        .collect()
}

/// The actions offered, each with what its form needs: the command's code, the JSON a filled form starts
/// from, the probe the workflow accepted (for the tests), and the form's choices.
fn action_forms(m: &xinfang_domain::Matter, ctx: &Ctx<'_>) -> Vec<Value> {
    let org = ctx.org;
    offered(m, ctx)
        .into_iter()
        .map(|command| {
            let code = offer_code(&command);
            let probe = serde_json::to_string(&command).expect("commands serialize");
            let mut base = serde_json::to_value(&command).expect("commands serialize");
            // The form sends only the action's identity; the person fills in the rest.
            let keep = ["action", "decision", "target", "order"];
            if let Some(obj) = base.as_object_mut() {
                obj.retain(|k, _| keep.contains(&k.as_str()));
                if matches!(command, Command::IssueSupervision { .. }) {
                    obj.remove("order");
                }
            }
            let choices = match &command {
                Command::Triage { .. } => triage_choices(m, org),
                Command::RequestReview { .. } => unit_choices(review_authorities(m, org)),
                Command::AddCoHandler { .. } => unit_choices(co_handler_choices(m, org)),
                _ => Vec::new(),
            };
            context! {
                code => code,
                label => form_label(&command),
                base => base.to_string(),
                probe => probe,
                units => choices,
                max_extension_days => ctx.rules.deadlines.max_extension_days,
                order_id => format!("DB-{}-{}", today().format("%Y%m%d"), m.supervision.len() + 1),
            }
        })
        .collect()
}

fn form_label(command: &Command) -> String {
    match command {
        Command::Evaluate { target, .. } => format!("评价（{}）", target_label(*target)),
        Command::CloseSupervision { order, .. } => format!("办结督办单 {order}"),
        other => other.label().to_owned(),
    }
}

fn target_label(target: EvaluationTarget) -> &'static str {
    match target {
        EvaluationTarget::Bureau => "信访部门",
        EvaluationTarget::ResponsibleUnit => "责任单位",
    }
}

pub(crate) async fn detail(
    State(state): State<AppState>,
    Viewer(auth): Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let principal = auth.ready()?.clone();
    let response =
        crate::matters::detail(State(state.clone()), auth.clone(), ApiPath(id.clone())).await?;
    let detail = json_of(response).await?;
    let matter = visible_matter(&state, &principal, &auth.org, &id).await?;
    let ctx = Ctx {
        principal: &principal,
        at: chrono::Utc::now(),
        org: &auth.org,
        rules: state.ledger.rules(),
        calendar: state.ledger.calendar(),
    };
    let forms = action_forms(&matter, &ctx);
    let unit_name = |id: &str| {
        xinfang_domain::ids::UnitId::parse(id)
            .ok()
            .and_then(|u| auth.org.unit(&u).map(|u| u.name.clone()))
            .unwrap_or_else(|| id.to_owned())
    };
    let timeline: Vec<Value> = detail["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            context! {
                at => e["at"].as_str().unwrap_or_default().chars().take(16).collect::<String>().replace('T', " "),
                label => e["label"].as_str().unwrap_or_default(),
                unit => unit_name(e["unit"].as_str().unwrap_or_default()),
                note => e["note"].as_str(),
            }
        })
        .collect();
    let documents = crate::documents::list(State(state.clone()), auth.clone(), ApiPath(id.clone()))
        .await?
        .0;
    let flags: Vec<&str> = detail["flags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str())
        .map(flag_label)
        .collect();
    let deadlines = deadlines(&matter);
    render(
        &auth,
        "/matters",
        "matter.html",
        context! {
            m => super::ser(&detail),
            handler_name => matter.handler.as_ref().map(|u| unit_name(u.as_str())),
            bureau_name => unit_name(matter.bureau.as_str()),
            region_name => auth.org.region(&matter.region).map(|r| r.name.clone()),
            flags => flags,
            deadlines => deadlines,
            timeline => timeline,
            forms => forms,
            documents => super::ser(&documents),
            outcomes => Outcome::allowed_for(matter.purpose).iter().map(|o| context! { code => code_of(o), label => o.label() }).collect::<Vec<_>>(),
            ratings => [Rating::Satisfied, Rating::BasicallySatisfied, Rating::Unsatisfied].iter().map(|r| context! { code => code_of(r), label => r.label() }).collect::<Vec<_>>(),
            routes => [LegalRoute::Litigation, LegalRoute::Arbitration, LegalRoute::AdministrativeReconsideration, LegalRoute::Other].iter().map(|r| context! { code => code_of(r), label => r.label() }).collect::<Vec<_>>(),
            review_decisions => [ReviewDecision::Upheld, ReviewDecision::Changed, ReviewDecision::Revoked].iter().map(|d| context! { code => code_of(d), label => d.label() }).collect::<Vec<_>>(),
            channel_labels => super::ser(&xinfang_domain::catalog::Channel::ALL.iter().map(|c| (code_of(c), c.label())).collect::<std::collections::BTreeMap<_, _>>()),
            receipt_contact => matter.contacts.last().map(|c| c.id.to_string()),
            may_issue_receipt => principal.roles.contains(&xinfang_domain::Role::Registrar),
        },
    )
}

/// The clocks running on the matter, as a table: what is due, by when, and whether it has passed.
fn deadlines(m: &xinfang_domain::Matter) -> Vec<Value> {
    let today = today();
    let soon = today + chrono::Days::new(3);
    m.clocks()
        .into_iter()
        .map(|c| {
            context! {
                label => c.label,
                due => c.due.to_string(),
                done => c.done,
                overdue => !c.done && c.due < today,
                soon => !c.done && c.due >= today && c.due <= soon,
            }
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReceiptQuery {
    n: usize,
}

/// The printable receipt (登记回执) with its 查询码.
pub(crate) async fn receipt(
    State(state): State<AppState>,
    Viewer(auth): Viewer,
    Path(id): Path<String>,
    Query(q): Query<ReceiptQuery>,
) -> PageResult {
    let response = crate::documents::download(
        State(state.clone()),
        auth.clone(),
        ApiPath((id.clone(), q.n)),
        ApiQuery(crate::documents::DownloadParams {
            format: Some("json".into()),
        }),
    )
    .await?;
    let document = json_of(response).await?;
    let listed = crate::documents::list(State(state.clone()), auth.clone(), ApiPath(id.clone()))
        .await?
        .0;
    let number = listed.iter().find(|d| d.n == q.n).map(|d| d.number.clone());
    render(
        &auth,
        "/register",
        "receipt.html",
        context! { id => id, n => q.n, number => number, d => super::ser(&document) },
    )
}

/// The registration form.
pub(crate) async fn register(State(state): State<AppState>, Viewer(auth): Viewer) -> PageResult {
    super::may_open(&auth, "/register")?;
    let org = &auth.org;
    let regions = super::region_options(org, |_| true);
    let domains = super::domain_options(state.ledger.rules());
    let units: Vec<Value> = org
        .units()
        .map(|u| context! { id => u.id.to_string(), name => u.name.clone() })
        .collect();
    render(
        &auth,
        "/register",
        "register.html",
        context! {
            regions => regions,
            domains => domains,
            units => units,
            purposes => Purpose::ALL.iter().map(|p| context! { code => code_of(p), label => p.label() }).collect::<Vec<_>>(),
            channels => xinfang_domain::catalog::Channel::ALL.iter().map(|c| context! { code => code_of(c), label => c.label() }).collect::<Vec<_>>(),
            now => chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).format("%Y-%m-%dT%H:%M").to_string(),
        },
    )
}
