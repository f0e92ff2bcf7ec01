//! Hot spots (热点): groups of matters about one problem in one place within a time window, with their
//! figures and the matters behind them. Read within the user's scope (own unit and below) like the
//! matter list; the clustering is `xinfang_text::hotspots`. Nothing personal is answered: the label is
//! made of phrases found in several matters and run through the redaction of names all the same.

use axum::Json;
use axum::extract::State;
use chrono::{Datelike, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::access::{self, IdentityView};
use xinfang_domain::ids::RegionCode;
use xinfang_domain::workflow::china_date;
use xinfang_store::hotspots::{HotspotQuery, HotspotRow};
use xinfang_text::hotspots::{Matter, Params, hotspots};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::matters::may_read_matters;

/// Days in the default window.
const DEFAULT_DAYS: u64 = 30;
/// The longest window.
const MAX_DAYS: i64 = 366;
/// Days before the window whose matters tell which wording is common (a kind of letter that comes every
/// month is not a hot spot).
const HISTORY_DAYS: u64 = 180;
/// Matters read from the window at most; a wider query must narrow its window, region or domain.
const WINDOW_CAP: i64 = 50_000;
/// Matters read from the history at most (the most recent).
const HISTORY_CAP: i64 = 20_000;

/// Which hot spots.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotspotParams {
    /// First day of the window (YYYY-MM-DD); default 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day of the window; default today (Beijing time).
    pub to: Option<NaiveDate>,
    /// A GB/T 2260 region code: only matters in it.
    pub region: Option<String>,
    /// A content domain; its subdomains are included.
    pub domain: Option<String>,
    /// Smallest hot spot, in matters: 2 to 1,000, default 5.
    pub min_size: Option<u32>,
    /// How alike two matters must be to count as one problem (cosine of their weighted 2-grams): 0.1 to
    /// 0.95, default 0.5. Lower finds looser hot spots (letters written quite differently).
    pub similarity: Option<f32>,
}

/// One hot spot.
#[derive(Debug, Serialize, ToSchema)]
pub struct HotspotItem {
    /// 事项数
    pub size: usize,
    /// 人次 over its matters.
    pub people: u64,
    /// The region all its matters lie in (GB/T 2260; empty when they share none).
    pub region: String,
    /// The most telling phrases of its matters, joined by "、".
    pub label: String,
    pub first_received: String,
    pub last_received: String,
    /// Matters received in the earlier half of the window.
    pub earlier_half: usize,
    /// Matters received in the later half.
    pub later_half: usize,
    /// Later half over earlier half; absent when nothing came in the earlier half.
    pub growth: Option<f64>,
    /// Share of its matters with a collective visit (集体访), 0 to 1.
    pub collective_share: f64,
    /// Share of its matters taken to the national level (进京), 0 to 1.
    pub national_share: f64,
    /// How alike its matters are, 0 to 1.
    pub cohesion: f32,
    /// The matters behind it, oldest first.
    pub matters: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HotspotPage {
    pub from: String,
    pub to: String,
    /// Matters received in the window within the filters and the user's scope.
    pub matters: usize,
    /// Largest first.
    pub hotspots: Vec<HotspotItem>,
}

fn bad(field: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        field: Some(field.to_owned()),
        message: message.into(),
    }
}

fn matter_of(row: &HotspotRow) -> Matter<String> {
    Matter {
        id: row.id.clone(),
        text: row.text.clone(),
        day: row.received_on.num_days_from_ce(),
        region: row.region.clone(),
        domain: row.domain.clone(),
        collective: row.collective,
        national: row.national,
        persons: u32::try_from(row.persons).unwrap_or(0),
    }
}

fn date_of(day: i32) -> String {
    NaiveDate::from_num_days_from_ce_opt(day)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// Hot spots in the user's scope: clusters of matters about one problem in one place within the window.
#[utoipa::path(
    get,
    path = "/api/v1/hotspots",
    tag = "分析",
    params(HotspotParams),
    responses(
        (status = 200, body = HotspotPage),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)
    )
)]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<HotspotParams>,
) -> Result<Json<HotspotPage>, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let to = params.to.unwrap_or_else(|| china_date(Utc::now()));
    let from = match params.from {
        Some(from) => from,
        None => to
            .checked_sub_days(Days::new(DEFAULT_DAYS - 1))
            .ok_or_else(|| bad("to", "日期超出范围"))?,
    };
    if from > to {
        return Err(bad("from", "开始日期不能晚于结束日期"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(bad("from", format!("时间窗口最长 {MAX_DAYS} 天")));
    }
    let history_from = from
        .checked_sub_days(Days::new(HISTORY_DAYS))
        .ok_or_else(|| bad("from", "日期超出范围"))?;
    if let Some(region) = &params.region {
        RegionCode::parse(region)
            .map_err(|_| bad("region", "地区代码无效（6、9 或 12 位数字）"))?;
    }
    let domain = params
        .domain
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    if domain.is_some_and(|d| d.chars().count() > 100) {
        return Err(bad("domain", "内容分类过长"));
    }
    let min_size = params.min_size.unwrap_or(5);
    if !(2..=1000).contains(&min_size) {
        return Err(bad("min_size", "最小事项数应在 2 到 1000 之间"));
    }

    let similarity = params.similarity.unwrap_or(0.5);
    if !(0.1..=0.95).contains(&similarity) {
        return Err(bad("similarity", "相似度应在 0.1 到 0.95 之间"));
    }

    let store = state.ledger.store();
    let query = HotspotQuery {
        scope: auth.org.unit_path(&principal.unit),
        from,
        to,
        region: params.region.clone(),
        domain: domain.map(str::to_owned),
        limit: WINDOW_CAP + 1,
    };
    let window = store.hotspot_matters(&query).await?;
    if window.len() as i64 > WINDOW_CAP {
        return Err(bad(
            "from",
            format!("时间窗口内的信访事项超过 {WINDOW_CAP} 件，请缩小时间范围、地区或内容分类"),
        ));
    }
    let history = store
        .hotspot_matters(&HotspotQuery {
            from: history_from,
            to: from.pred_opt().unwrap_or(from),
            limit: HISTORY_CAP,
            ..query
        })
        .await?;
    let counted = window.len();
    let clustering = Params {
        min_size: min_size as usize,
        threshold: similarity,
        ..Params::window(from.num_days_from_ce(), to.num_days_from_ce())
    };
    // Clustering is CPU work of up to seconds: off the async threads.
    let found = tokio::task::spawn_blocking(move || {
        let rows: Vec<&HotspotRow> = window.iter().chain(&history).collect();
        let matters: Vec<Matter<String>> = rows.iter().map(|r| matter_of(r)).collect();
        let names: std::collections::HashMap<&str, &[String]> = rows
            .iter()
            .map(|r| (r.id.as_str(), r.petitioners.as_slice()))
            .collect();
        hotspots(&matters, &clustering)
            .into_iter()
            .map(|h| {
                let people: Vec<String> = h
                    .members
                    .iter()
                    .flat_map(|m| names.get(m.as_str()).copied().unwrap_or_default())
                    .cloned()
                    .collect();
                let label = h
                    .label
                    .iter()
                    .map(|p| access::redact_names(p, &people, IdentityView::Hidden))
                    .collect::<Vec<_>>()
                    .join("、");
                HotspotItem {
                    size: h.size(),
                    people: h.people,
                    region: h.region.clone(),
                    label,
                    first_received: date_of(h.first_day),
                    last_received: date_of(h.last_day),
                    earlier_half: h.earlier,
                    later_half: h.later,
                    growth: h.growth(),
                    collective_share: h.collective_share,
                    national_share: h.national_share,
                    cohesion: h.cohesion,
                    matters: h.members,
                }
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|_| ApiError::Unavailable("热点分析未能完成"))?;
    Ok(Json(HotspotPage {
        from: from.to_string(),
        to: to.to_string(),
        matters: counted,
        hotspots: found,
    }))
}
