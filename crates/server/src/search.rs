//! Full-text search over matters (`xinfang-search`), with the list's rules: staff only, own unit and
//! below, identities as `access::identity_view` allows, reads of identities audited. The index is asked
//! to match each matter on the text its viewer may read; each hit is then checked again here against the
//! domain's rules and dropped if this viewer could only have found it through what they may not see.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::Status;
use xinfang_domain::access::{self, IdentityView};
use xinfang_domain::petition::Petitioner;
use xinfang_search::{SearchError, SearchIndex, SearchQuery, SortOrder, Viewer, matter_text};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::matters::may_read_matters;

const MAX_LIMIT: u32 = 100;

/// Words, filters, order and page of a search.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words (Chinese or not) separated by spaces; every word must occur. Text in double quotes is one
    /// word. At most 200 characters.
    pub q: Option<String>,
    /// Status codes, comma-separated.
    pub status: Option<String>,
    /// A content domain; its subdomains are included.
    pub domain: Option<String>,
    /// A GB/T 2260 region code; regions inside it are included.
    pub region: Option<String>,
    /// Matters held by this unit or a unit below it.
    pub unit: Option<String>,
    /// Received on or after this day (YYYY-MM-DD).
    pub received_from: Option<NaiveDate>,
    /// Received on or before this day.
    pub received_to: Option<NaiveDate>,
    /// relevance (default) or received (newest first).
    pub order: Option<String>,
    /// 1 to 100, default 20.
    pub limit: Option<u32>,
    /// Hits to skip, default 0.
    pub offset: Option<u32>,
}

/// One matter found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub id: String,
    pub received_on: String,
    pub status: String,
    pub status_label: String,
    pub domain: String,
    pub region: String,
    /// Relevance (BM25); 0 when ordered by date.
    pub score: f32,
    /// A passage of the matter's text as this viewer may read it.
    pub snippet: String,
    /// The matched words in `snippet`: [start, end) in characters (Unicode scalar values).
    pub highlights: Vec<[usize; 2]>,
    /// full, masked or hidden: how the petitioners' identities are shown in the snippet.
    pub identity: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    /// Matters matching, counted up to 1,000 (as the matter lists count).
    pub total: usize,
    /// False when more than 1,000 matched: `total` is then 1,000, a lower bound ("1000+"; narrow the
    /// words or filters to count exactly).
    pub total_is_exact: bool,
    pub limit: u32,
    pub offset: u32,
    pub items: Vec<SearchHit>,
}

fn bad(field: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        field: Some(field.to_owned()),
        message: message.into(),
    }
}

fn failed(e: SearchError) -> ApiError {
    match e {
        SearchError::Query(q) => bad("q", q.to_string()),
        SearchError::Store(s) => ApiError::Internal(s),
        other => {
            tracing::error!(error = %other, "full-text search failed");
            ApiError::Unavailable("全文检索")
        }
    }
}

fn query_of(p: &SearchParams, org: &xinfang_domain::org::Org) -> Result<SearchQuery, ApiError> {
    let statuses: Vec<String> = p
        .status
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(s) = statuses.iter().find(|s| status_of(s).is_none()) {
        return Err(bad("status", format!("未知的状态代码：{s}")));
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
    let order = match p.order.as_deref() {
        None | Some("relevance") => SortOrder::Relevance,
        Some("received") => SortOrder::Received,
        Some(other) => {
            return Err(bad(
                "order",
                format!("排序方式应为 relevance 或 received，而不是 {other}"),
            ));
        }
    };
    let limit = p.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad("limit", format!("每页条数应在 1 到 {MAX_LIMIT} 之间")));
    }
    let offset = p.offset.unwrap_or(0);
    if offset > 10_000 {
        return Err(bad("offset", "最多翻到第 10000 条"));
    }
    Ok(SearchQuery {
        text: p.q.clone().unwrap_or_default(),
        statuses,
        domain: p.domain.clone().filter(|d| !d.trim().is_empty()),
        region: p.region.clone().filter(|r| !r.trim().is_empty()),
        unit,
        received_from: p.received_from,
        received_to: p.received_to,
        order,
        limit: limit as usize,
        offset: offset as usize,
    })
}

fn status_of(code: &str) -> Option<Status> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

/// A snippet as the detail would show it: the same last redaction pass, applied between highlight
/// boundaries so the ranges stay true.
fn redacted(
    text: &str,
    highlights: &[(usize, usize)],
    everyone: &[Petitioner],
    view: IdentityView,
) -> (String, Vec<[usize; 2]>) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut len = 0;
    let mut ranges = Vec::new();
    let mut at = 0;
    let push = |from: usize, to: usize, out: &mut String, len: &mut usize| {
        let part: String = chars[from.min(chars.len())..to.min(chars.len())]
            .iter()
            .collect();
        let part = access::redact_identities(&part, everyone, view);
        *len += part.chars().count();
        out.push_str(&part);
    };
    for &(start, end) in highlights {
        push(at, start, &mut out, &mut len);
        let before = len;
        push(start, end, &mut out, &mut len);
        ranges.push([before, len]);
        at = end;
    }
    push(at, chars.len(), &mut out, &mut len);
    (out, ranges)
}

/// Search matters in the user's scope by words of their texts, with filters and highlighted snippets.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "信访事项",
    params(SearchParams),
    responses(
        (status = 200, body = SearchPage),
        (status = 400, body = ErrorBody, description = "No words, too many or too long, or a bad filter"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "Full-text search is not enabled on this server")
    )
)]
pub async fn search(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchPage>, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let index: Arc<SearchIndex> = state
        .search
        .clone()
        .ok_or(ApiError::Unavailable("全文检索未启用"))?;
    let org = auth.org.clone();
    let query = query_of(&params, &org)?;
    let store = state.ledger.store();
    // Read your writes: a matter registered a moment ago (here or by another process) is found.
    index.catch_up(store).await.map_err(failed)?;
    let viewer = Viewer::of(principal, &org);
    let found = {
        let index = Arc::clone(&index);
        let query = query.clone();
        tokio::task::spawn_blocking(move || index.search(&query, &viewer))
            .await
            .map_err(|_| ApiError::Unavailable("全文检索"))?
            .map_err(failed)?
    };
    let ids: Vec<String> = found.hits.iter().map(|h| h.matter.clone()).collect();
    let docs = store.matter_docs(&ids).await?;
    let mut items = Vec::with_capacity(docs.len());
    let mut shown_in_full = Vec::new();
    for hit in &found.hits {
        let Some(doc) = docs.iter().find(|d| d.id == hit.matter) else {
            continue;
        };
        if !access::can_see(principal, doc, &org) {
            continue;
        }
        let view = access::identity_view(principal, doc, &org);
        let text = matter_text(doc, view);
        let snippet = found.snippet(view, &text).map_err(failed)?;
        if snippet.highlights.is_empty() {
            // Found only through text this viewer may not read (or the index is a moment behind).
            continue;
        }
        let everyone: Vec<Petitioner> = doc
            .contacts
            .iter()
            .flat_map(|c| c.draft.petitioners.iter().cloned())
            .collect();
        let (snippet, highlights) = redacted(&snippet.text, &snippet.highlights, &everyone, view);
        if view == IdentityView::Full {
            shown_in_full.push(doc.id.as_str());
        }
        items.push(SearchHit {
            id: doc.id.clone(),
            received_on: doc.received_on.clone(),
            status_label: status_of(&doc.status)
                .map(|s| s.label().to_owned())
                .unwrap_or_default(),
            status: doc.status.clone(),
            domain: doc.domain.clone(),
            region: doc.region.clone(),
            score: hit.score,
            snippet,
            highlights,
            identity: match view {
                IdentityView::Full => "full",
                IdentityView::Masked => "masked",
                IdentityView::Hidden => "hidden",
            }
            .to_owned(),
        });
    }
    if !shown_in_full.is_empty() {
        state
            .ledger
            .record(auth.audit("search_matters", "全文检索", shown_in_full.join(" ")))
            .await?;
    }
    Ok(Json(SearchPage {
        total: found.total,
        total_is_exact: found.total_is_exact,
        limit: query.limit as u32,
        offset: query.offset as u32,
        items,
    }))
}
