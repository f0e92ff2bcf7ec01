//! The figures of brief §6 over HTTP: `GET /api/v1/stats` for any period, as of any day, sliced and
//! grouped, with the change against a year earlier and a base year and a ranking; and
//! `GET /api/v1/stats/matters`, the matters behind any part of a figure. Definitions are
//! `xinfang_domain::figures` (docs/metrics.md); sums come from the store's facts. Figures hold no
//! personal data; they count the work of the user's unit's jurisdiction (`Org::jurisdiction`: a bureau's region).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::catalog::{Channel, Purpose};
use xinfang_domain::figures::{
    Counts, Figures, GroupBy, Metric, Part, Period, RankBy, Slice, Window, domain_shares, rank,
};
use xinfang_domain::ids::{RegionCode, UnitId};
use xinfang_domain::org::Org;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::matters::may_read_matters;

/// Which figures: the period, the day they are seen from, the slice.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// First day of the period (YYYY-MM-DD).
    pub from: NaiveDate,
    /// Last day of the period.
    pub to: NaiveDate,
    /// Count only what was known by the end of this day; default `to`, so a closed period's figures stay
    /// as they were when it closed. A later day shows the later corrections.
    pub as_of: Option<NaiveDate>,
    /// Only things counted for this unit and the units below it; default the user's unit.
    pub unit: Option<String>,
    /// Only problems in this region (GB/T 2260 code) and inside it.
    pub region: Option<String>,
    /// Only this first-level content domain.
    pub domain: Option<String>,
    /// Only this channel (online, letter, phone, fax, visit, mailbox, hotline).
    pub channel: Option<Channel>,
    /// Only this purpose (suggestion, accusation, demand, enquiry).
    pub purpose: Option<Purpose>,
    /// Rows by: total (default), region, unit, domain, channel or purpose.
    pub group_by: Option<String>,
    /// With `group_by=region`: digits of the code to group by, 2, 4, 6 (default) or 9.
    pub region_digits: Option<usize>,
    /// Compare with the same period in this base year too.
    pub base_year: Option<i32>,
    /// Order the rows by a figure (contacts, online_share, repeat_rate, timely_acceptance, on_time_answer,
    /// participation, satisfaction, bureau_satisfaction, unit_satisfaction, one_time_resolution) or by
    /// `composite`, the weighted score; default composite.
    pub rank_by: Option<String>,
}

/// One row of figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsRow {
    /// The group's key (empty for the total): a region code, unit id, domain, channel or purpose code.
    pub key: String,
    /// The group's name where there is one (the unit's or region's name).
    pub name: String,
    /// The figures (ratios with their numerator and denominator parts).
    #[schema(value_type = Object)]
    pub figures: serde_json::Value,
    /// Every part's count: what the figures are made of.
    #[schema(value_type = Object)]
    pub counts: serde_json::Value,
    /// Each figure now, a year earlier and the change.
    #[schema(value_type = Object)]
    pub year_on_year: serde_json::Value,
    /// Each figure now, in the base year and the change; null without `base_year`.
    #[schema(value_type = Option<Object>)]
    pub against_base_year: Option<serde_json::Value>,
    /// The weighted composite score, 0 to 100.
    pub composite: Option<f64>,
    /// Place in the ranking (1 best); absent when the row has no value for it.
    pub rank: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsPage {
    pub from: String,
    pub to: String,
    pub as_of: String,
    /// Rows best first by `rank_by`.
    pub rows: Vec<StatsRow>,
    /// Each domain's share of contacts, of 进京 contacts and of collective visits, largest first.
    #[schema(value_type = Vec<Object>)]
    pub domain_shares: serde_json::Value,
    /// The parts' codes and names, for the drill-down (`GET /api/v1/stats/matters?parts=…`).
    pub parts: Vec<PartName>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartName {
    pub code: String,
    pub label: String,
}

/// The matters behind parts of a figure.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsMattersParams {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: Option<NaiveDate>,
    pub unit: Option<String>,
    pub region: Option<String>,
    pub domain: Option<String>,
    pub channel: Option<Channel>,
    pub purpose: Option<Purpose>,
    /// Part codes, separated by commas (see `parts` of `GET /api/v1/stats`).
    pub parts: String,
    /// At most 1,000; default 100.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsMatters {
    /// Matters counted in the parts, in all.
    pub total: i64,
    /// Their ids, in order; each opens with `GET /api/v1/matters/{id}`.
    pub matters: Vec<String>,
}

pub(crate) fn bad(field: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        field: Some(field.to_owned()),
        message: message.into(),
    }
}

/// What a request asks to count: its period, as-of day and filters.
struct Asked<'a> {
    from: NaiveDate,
    to: NaiveDate,
    as_of: Option<NaiveDate>,
    unit: Option<&'a str>,
    region: Option<&'a str>,
    domain: Option<&'a str>,
    channel: Option<Channel>,
    purpose: Option<Purpose>,
}

/// The window a request asks for: its period and as-of day, checked.
pub(crate) fn window_of(
    from: NaiveDate,
    to: NaiveDate,
    as_of: Option<NaiveDate>,
) -> Result<Window, ApiError> {
    use chrono::Datelike;
    if from.year() < 1900 || to.year() > 2200 {
        return Err(bad("from", "统计期应在 1900 年至 2200 年之间"));
    }
    if as_of.is_some_and(|d| d.year() > 2200) {
        return Err(bad("as_of", "统计截止日期应早于 2200 年"));
    }
    let period = Period::new(from, to).map_err(|e| bad("from", e.to_string()))?;
    if (to - from).num_days() > 3660 {
        return Err(bad("from", "统计期最长十年"));
    }
    Window::new(period, as_of.unwrap_or(to)).map_err(|e| bad("as_of", e.to_string()))
}

/// The unit a request counts for (with its [`Org::jurisdiction`]): the one asked for if it is in the
/// user's unit's jurisdiction, else the user's own.
pub(crate) fn scope_unit(org: &Org, own: &UnitId, unit: Option<&str>) -> Result<UnitId, ApiError> {
    match unit {
        Some(u) => {
            let u = UnitId::parse(u).map_err(|_| bad("unit", "单位编号无效"))?;
            if org.unit(&u).is_none() || !org.jurisdiction(own).contains(&u) {
                return Err(bad("unit", "该单位不在本账号的查看范围内"));
            }
            Ok(u)
        }
        None => Ok(own.clone()),
    }
}

/// The window and the slice a request asks for, checked against the user's scope.
fn window_and_slice(
    org: &Org,
    own: &UnitId,
    asked: Asked<'_>,
) -> Result<(Window, Slice), ApiError> {
    let Asked {
        from,
        to,
        as_of,
        unit,
        region,
        domain,
        channel,
        purpose,
    } = asked;
    let window = window_of(from, to, as_of)?;
    let top = scope_unit(org, own, unit)?;
    let units = org.jurisdiction(&top);
    let region = region
        .map(|r| {
            RegionCode::parse(r).map_err(|_| bad("region", "地区代码无效（6、9 或 12 位数字）"))
        })
        .transpose()?;
    let domain = domain.map(str::trim).filter(|d| !d.is_empty());
    if domain.is_some_and(|d| d.chars().count() > 100) {
        return Err(bad("domain", "内容分类过长"));
    }
    Ok((
        window,
        Slice {
            region,
            units: Some(units),
            domain: domain.map(str::to_owned),
            channel,
            purpose,
        },
    ))
}

fn group_of(params: &StatsParams) -> Result<GroupBy, ApiError> {
    Ok(match params.group_by.as_deref().unwrap_or("total") {
        "total" => GroupBy::Total,
        "region" => {
            let digits = params.region_digits.unwrap_or(6);
            if ![2, 4, 6, 9].contains(&digits) {
                return Err(bad("region_digits", "按地区分组的位数应为 2、4、6 或 9"));
            }
            GroupBy::Region { digits }
        }
        "unit" => GroupBy::Unit,
        "domain" => GroupBy::Domain,
        "channel" => GroupBy::Channel,
        "purpose" => GroupBy::Purpose,
        _ => {
            return Err(bad(
                "group_by",
                "分组方式应为 total、region、unit、domain、channel 或 purpose",
            ));
        }
    })
}

fn rank_of(code: Option<&str>) -> Result<RankBy, ApiError> {
    match code.unwrap_or("composite") {
        "composite" => Ok(RankBy::Composite),
        other => Metric::ALL
            .iter()
            .find(|m| xinfang_domain::catalog::code(*m) == other)
            .map(|m| RankBy::Metric(*m))
            .ok_or_else(|| bad("rank_by", "排名依据不是已知的指标")),
    }
}

fn json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// The figures of brief §6 for a period, as of a day, in the user's scope.
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    tag = "统计",
    params(StatsParams),
    responses(
        (status = 200, body = StatsPage),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)
    )
)]
pub async fn stats(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<StatsParams>,
) -> Result<Json<StatsPage>, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let (window, slice) = window_and_slice(
        &auth.org,
        &principal.unit,
        Asked {
            from: params.from,
            to: params.to,
            as_of: params.as_of,
            unit: params.unit.as_deref(),
            region: params.region.as_deref(),
            domain: params.domain.as_deref(),
            channel: params.channel,
            purpose: params.purpose,
        },
    )?;
    let group = group_of(&params)?;
    let by = rank_of(params.rank_by.as_deref())?;
    let store = state.ledger.store();
    let rules = store.figure_rules().clone();
    let not_yet_due = rules.answers_count_not_yet_due;
    let figures_of = |rows: BTreeMap<String, Counts>| -> BTreeMap<String, (Counts, Figures)> {
        rows.into_iter()
            .map(|(k, c)| {
                let f = Figures::of(&c, &rules);
                (k, (c, f))
            })
            .collect()
    };
    let now = figures_of(
        store
            .figure_counts(&window, &slice, group, not_yet_due)
            .await?,
    );
    let year_earlier = figures_of(
        store
            .figure_counts(&window.years_earlier(1), &slice, group, not_yet_due)
            .await?,
    );
    let base = match params.base_year {
        Some(y) if !(1990..=2100).contains(&y) => {
            return Err(bad("base_year", "基期年份应在 1990 到 2100 之间"));
        }
        Some(y) => Some(figures_of(
            store
                .figure_counts(&window.in_year(y), &slice, group, not_yet_due)
                .await?,
        )),
        None => None,
    };
    let by_domain = store
        .figure_counts(&window, &slice, GroupBy::Domain, false)
        .await?;

    let empty = Figures::of(&Counts::default(), &rules);
    let ranked_input: BTreeMap<String, Figures> = now
        .iter()
        .map(|(k, (_, f))| (k.clone(), f.clone()))
        .collect();
    let ranking = rank(&ranked_input, by, &rules.weights);
    let rows = ranking
        .into_iter()
        .map(|r| {
            let (counts, figures) = &now[&r.key];
            let earlier = year_earlier.get(&r.key).map_or(&empty, |(_, f)| f);
            let name = match group {
                GroupBy::Unit => UnitId::parse(&r.key)
                    .ok()
                    .and_then(|u| auth.org.unit(&u).map(|u| u.name.clone())),
                GroupBy::Region { .. } => RegionCode::parse(&r.key)
                    .ok()
                    .and_then(|c| auth.org.region(&c).map(|r| r.name.clone())),
                _ => None,
            };
            StatsRow {
                name: name.unwrap_or_default(),
                figures: json(figures),
                counts: json(counts),
                year_on_year: json(&figures.change_from(earlier)),
                against_base_year: base
                    .as_ref()
                    .map(|b| json(&figures.change_from(b.get(&r.key).map_or(&empty, |(_, f)| f)))),
                composite: figures.composite(&rules.weights),
                rank: r.rank,
                key: r.key,
            }
        })
        .collect();
    Ok(Json(StatsPage {
        from: window.period.from.to_string(),
        to: window.period.to.to_string(),
        as_of: window.as_of.to_string(),
        rows,
        domain_shares: json(&domain_shares(&by_domain)),
        parts: Part::ALL
            .iter()
            .map(|p| PartName {
                code: p.code().to_owned(),
                label: p.label().to_owned(),
            })
            .collect(),
    }))
}

/// The matters behind parts of a figure: the drill-down of every number `GET /api/v1/stats` gives.
#[utoipa::path(
    get,
    path = "/api/v1/stats/matters",
    tag = "统计",
    params(StatsMattersParams),
    responses(
        (status = 200, body = StatsMatters),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)
    )
)]
pub async fn stats_matters(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<StatsMattersParams>,
) -> Result<Json<StatsMatters>, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let (window, slice) = window_and_slice(
        &auth.org,
        &principal.unit,
        Asked {
            from: params.from,
            to: params.to,
            as_of: params.as_of,
            unit: params.unit.as_deref(),
            region: params.region.as_deref(),
            domain: params.domain.as_deref(),
            channel: params.channel,
            purpose: params.purpose,
        },
    )?;
    let parts = params
        .parts
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Part::parse(p).ok_or_else(|| bad("parts", format!("未知的统计项：{p}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if parts.is_empty() {
        return Err(bad("parts", "请至少指定一个统计项"));
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(bad("limit", "每页条数应在 1 到 1000 之间"));
    }
    let offset = params.offset.unwrap_or(0);
    if offset < 0 {
        return Err(bad("offset", "偏移量不能为负数"));
    }
    let (ids, total) = state
        .ledger
        .store()
        .figure_matters(&window, &slice, &parts, limit, offset)
        .await?;
    Ok(Json(StatsMatters {
        total,
        matters: ids.into_iter().map(|id| id.as_str().to_owned()).collect(),
    }))
}

/// 件次 of each of several periods (each seen as of its last day), in the user's scope: the points of a
/// trend line, one figure query per period and nothing else.
pub(crate) async fn contacts_series(
    state: &AppState,
    auth: &Auth,
    periods: &[(NaiveDate, NaiveDate)],
) -> Result<Vec<u64>, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let store = state.ledger.store();
    let rules = store.figure_rules().clone();
    let mut out = Vec::with_capacity(periods.len());
    for (from, to) in periods {
        let (window, slice) = window_and_slice(
            &auth.org,
            &principal.unit,
            Asked {
                from: *from,
                to: *to,
                as_of: None,
                unit: None,
                region: None,
                domain: None,
                channel: None,
                purpose: None,
            },
        )?;
        let counts = store
            .figure_counts(&window, &slice, GroupBy::Total, false)
            .await?;
        out.push(
            counts
                .values()
                .next()
                .map(|c| Figures::of(c, &rules).contacts)
                .unwrap_or(0),
        );
    }
    Ok(out)
}
