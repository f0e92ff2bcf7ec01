//! 统计: the figures of brief §6 as tables and charts, each number leading to the matters behind it; the
//! bulletins to download. The figures come from `GET /api/v1/stats`'s own function.

use axum::Json;
use axum::extract::{Query, State};
use chrono::{Datelike, NaiveDate};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{PageError, PageResult, Viewer, render, today};
use crate::AppState;
use crate::auth::Auth;
use crate::extract::ApiQuery;
use crate::stats::{StatsMattersParams, StatsPage, StatsParams};

/// The figures shown, in the order of the brief: counts, then ratios.
const COUNTS: [(&str, &str); 3] = [
    ("contacts", "信访总量（件次）"),
    ("persons", "人次"),
    ("matters", "事项（件）"),
];
const RATIOS: [(&str, &str); 8] = [
    ("online_share", "网上信访占比"),
    ("repeat_rate", "重复信访率"),
    ("timely_acceptance", "及时受理率"),
    ("on_time_answer", "按期答复率"),
    ("participation", "参评率"),
    ("satisfaction", "群众满意率"),
    ("proxy_satisfaction", "代评满意率"),
    ("one_time_resolution", "一次性化解率"),
];

const GROUPS: [(&str, &str); 6] = [
    ("unit", "按单位"),
    ("region", "按地区"),
    ("domain", "按内容领域"),
    ("channel", "按信访形式"),
    ("purpose", "按信访目的"),
    ("total", "合计"),
];

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

async fn figures(
    state: &AppState,
    auth: &Auth,
    params: StatsParams,
) -> Result<StatsPage, PageError> {
    let Json(page) =
        crate::stats::stats(State(state.clone()), auth.clone(), ApiQuery(params)).await?;
    Ok(page)
}

/// One figure for a template: its label, its value as people read it, and the parts a click lists.
fn figure_cells(figures: &serde_json::Value) -> Vec<Value> {
    let mut cells = Vec::new();
    for (key, label) in COUNTS {
        cells.push(context! {
            key => key,
            label => label,
            text => figures[key].as_u64().unwrap_or(0).to_string(),
        });
    }
    for (key, label) in RATIOS {
        let ratio = &figures[key];
        let text = match ratio["value"].as_f64() {
            Some(v) => format!("{:.1}%", v * 100.0),
            None => "—".to_owned(),
        };
        let parts = |side: &str| -> String {
            ratio[side]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default()
        };
        cells.push(context! {
            key => key,
            label => label,
            text => text,
            value => ratio["value"].as_f64(),
            numerator => ratio["numerator"].as_u64().unwrap_or(0),
            denominator => ratio["denominator"].as_u64().unwrap_or(0),
            numerator_parts => parts("numerator_parts"),
            denominator_parts => parts("denominator_parts"),
        });
    }
    cells
}

/// The daily monitor on the 工作台: this month so far, and today, for the user's unit.
pub(crate) async fn day_monitor(state: &AppState, auth: &Auth) -> Result<Value, PageError> {
    let today = today();
    let month = figures(
        state,
        auth,
        StatsParams {
            from: first_of_month(today),
            to: today,
            ..StatsParams::default()
        },
    )
    .await?;
    let today_contacts = crate::stats::contacts_series(state, auth, &[(today, today)]).await?;
    let total = |p: &StatsPage| {
        p.rows
            .first()
            .map(|r| r.figures.clone())
            .unwrap_or_default()
    };
    Ok(context! {
        from => first_of_month(today).to_string(),
        to => today.to_string(),
        month => figure_cells(&total(&month)),
        today_contacts => today_contacts.first().copied().unwrap_or(0),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct StatsQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    group_by: Option<String>,
    /// The figure the chart shows.
    figure: Option<String>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Viewer(auth): Viewer,
    Query(q): Query<StatsQuery>,
) -> PageResult {
    let today = today();
    let to = q.to.unwrap_or(today);
    let from = q.from.unwrap_or_else(|| first_of_month(to));
    let group = q
        .group_by
        .filter(|g| GROUPS.iter().any(|(code, _)| code == g))
        .unwrap_or_else(|| "unit".to_owned());
    let figure = q
        .figure
        .filter(|f| COUNTS.iter().chain(&RATIOS).any(|(k, _)| k == f))
        .unwrap_or_else(|| "contacts".to_owned());
    let total = figures(
        &state,
        &auth,
        StatsParams {
            from,
            to,
            ..StatsParams::default()
        },
    )
    .await?;
    // Grouped by 合计 is the total: asked once.
    let by_group;
    let grouped = if group == "total" {
        &total
    } else {
        by_group = figures(
            &state,
            &auth,
            StatsParams {
                from,
                to,
                group_by: Some(group.clone()),
                rank_by: Some("contacts".into()),
                ..StatsParams::default()
            },
        )
        .await?;
        &by_group
    };
    let rows: Vec<Value> = grouped
        .rows
        .iter()
        .map(|r| context! { key => r.key.clone(), name => row_name(r), cells => figure_cells(&r.figures) })
        .collect();
    let bars = bar_chart(grouped, &figure);
    let trend = trend(&state, &auth, from, to).await?;
    let shares = pie(&total.domain_shares);
    let figure_label = COUNTS
        .iter()
        .chain(&RATIOS)
        .find(|(k, _)| *k == figure)
        .map(|(_, l)| *l)
        .unwrap_or_default();
    render(
        &auth,
        "/stats",
        "stats.html",
        context! {
            from => from.to_string(),
            to => to.to_string(),
            group => group,
            groups => GROUPS.iter().map(|(c, l)| context! { code => *c, label => *l }).collect::<Vec<_>>(),
            figure => figure,
            figure_label => figure_label,
            figure_choices => COUNTS.iter().chain(&RATIOS).map(|(k, l)| context! { key => *k, label => *l }).collect::<Vec<_>>(),
            total => total.rows.first().map(|r| figure_cells(&r.figures)).unwrap_or_default(),
            rows => rows,
            bars => bars,
            trend => trend,
            shares => shares,
            counts_len => COUNTS.len(),
        },
    )
}

/// A group's name, or its key where it has none (a channel or purpose code, a domain).
fn row_name(r: &crate::stats::StatsRow) -> String {
    if r.name.is_empty() {
        r.key.clone()
    } else {
        r.name.clone()
    }
}

/// Bars of one figure by group, widths relative to the largest.
fn bar_chart(page: &StatsPage, figure: &str) -> Vec<Value> {
    let value_of = |f: &serde_json::Value| -> f64 {
        match f[figure].as_u64() {
            Some(n) => n as f64,
            None => f[figure]["value"].as_f64().unwrap_or(0.0) * 100.0,
        }
    };
    let max = page
        .rows
        .iter()
        .map(|r| value_of(&r.figures))
        .fold(0.0, f64::max)
        .max(1e-9);
    let is_ratio = RATIOS.iter().any(|(k, _)| *k == figure);
    page.rows
        .iter()
        .take(20)
        .map(|r| {
            let v = value_of(&r.figures);
            context! {
                name => row_name(r),
                key => r.key.clone(),
                width => format!("{:.1}", v / max * 100.0),
                text => if is_ratio { format!("{v:.1}%") } else { format!("{v:.0}") },
            }
        })
        .collect()
}

/// 件次 through the period, as the points of a line: by day for a period of up to a month, else by month
/// (the last twelve). Each point is its own period seen as of its last day, like every figure here.
async fn trend(
    state: &AppState,
    auth: &Auth,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Value, PageError> {
    let mut periods = Vec::new();
    let daily = (to - from).num_days() < 31;
    if daily {
        let mut day = from;
        while day <= to {
            periods.push((day, day));
            day = day.succ_opt().expect("a next day");
        }
    } else {
        let mut start = first_of_month(to).max(from);
        let mut end = to;
        while periods.len() < 12 {
            periods.push((start, end));
            if start <= from {
                break;
            }
            end = start - chrono::Days::new(1);
            start = first_of_month(end).max(from);
        }
        periods.reverse();
    }
    let counts = crate::stats::contacts_series(state, auth, &periods).await?;
    let values: Vec<(String, u64)> = periods
        .iter()
        .zip(counts)
        .map(|((f, _), n)| {
            let label = if daily {
                f.format("%m-%d")
            } else {
                f.format("%Y-%m")
            };
            (label.to_string(), n)
        })
        .collect();
    let max = values.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let (w, h) = (600.0, 160.0);
    let step = w / (values.len().max(2) - 1) as f64;
    let label_every = values.len().div_ceil(8).max(1);
    let points: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(i, (label, n))| {
            context! {
                x => format!("{:.1}", 30.0 + i as f64 * step),
                y => format!("{:.1}", 10.0 + h - *n as f64 / max * h),
                label => label,
                n => n,
                shown => i % label_every == 0,
            }
        })
        .collect();
    let line = points
        .iter()
        .map(|p| {
            format!(
                "{},{}",
                p.get_attr("x").unwrap_or_default(),
                p.get_attr("y").unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    Ok(context! { points => points, line => line, daily => daily })
}

/// Each domain's share of contacts as the slices of a pie (SVG paths on a circle of radius 80).
fn pie(shares: &serde_json::Value) -> Vec<Value> {
    const COLOURS: [&str; 8] = [
        "#1f5fa8", "#d9822b", "#3a9d5d", "#b8433c", "#7b5ea7", "#2a9fa8", "#a8891f", "#8a8f98",
    ];
    let Some(list) = shares.as_array() else {
        return Vec::new();
    };
    let share = |s: &serde_json::Value| s["contacts"]["value"].as_f64().unwrap_or(0.0);
    let mut angle = -std::f64::consts::FRAC_PI_2;
    list.iter()
        .filter(|s| share(s) > 0.0)
        .take(8)
        .enumerate()
        .map(|(i, s)| {
            let part = share(s);
            let (x0, y0) = (100.0 + 80.0 * angle.cos(), 100.0 + 80.0 * angle.sin());
            angle += part * std::f64::consts::TAU;
            let (x1, y1) = (100.0 + 80.0 * angle.cos(), 100.0 + 80.0 * angle.sin());
            let large = i32::from(part > 0.5);
            let path = if part >= 0.9999 {
                "M 100 20 A 80 80 0 1 1 99.99 20 Z".to_owned()
            } else {
                format!("M 100 100 L {x0:.2} {y0:.2} A 80 80 0 {large} 1 {x1:.2} {y1:.2} Z")
            };
            context! {
                path => path,
                colour => COLOURS[i % COLOURS.len()],
                domain => s["domain"].as_str().unwrap_or_default(),
                text => format!("{:.1}%", part * 100.0),
            }
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub(crate) struct DrillQuery {
    from: NaiveDate,
    to: NaiveDate,
    parts: String,
    label: Option<String>,
    page: Option<i64>,
}

/// The matters behind a number: listed as the 事项 page lists them.
pub(crate) async fn drill_down(
    State(state): State<AppState>,
    Viewer(auth): Viewer,
    Query(q): Query<DrillQuery>,
) -> PageResult {
    const PER_PAGE: i64 = 50;
    let page = q.page.unwrap_or(1).max(1);
    let Json(found) = crate::stats::stats_matters(
        State(state.clone()),
        auth.clone(),
        ApiQuery(StatsMattersParams {
            from: q.from,
            to: q.to,
            parts: q.parts.clone(),
            limit: Some(PER_PAGE),
            offset: Some((page - 1) * PER_PAGE),
            ..StatsMattersParams::default()
        }),
    )
    .await?;
    let items = super::matters::items_of_ids(&state, &auth, &found.matters).await?;
    render(
        &auth,
        "/stats",
        "matters.html",
        context! {
            title => format!("{}：{} 至 {}", q.label.clone().unwrap_or_else(|| "统计明细".into()), q.from, q.to),
            items => items,
            total => found.total,
            exact => true,
            drill => true,
            page => page,
            pages => (found.total + PER_PAGE - 1) / PER_PAGE,
            query => format!(
                "from={}&to={}&parts={}&label={}",
                q.from,
                q.to,
                super::percent_encode(&q.parts),
                super::percent_encode(q.label.as_deref().unwrap_or_default())
            ),
        },
    )
}
