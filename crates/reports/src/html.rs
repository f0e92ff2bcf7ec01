//! The report as one self-contained web page (minijinja, autoescaped), charts inline as SVG, every
//! figure linked to the matters behind it (`GET /api/v1/stats/matters`).

use minijinja::value::Value;
use minijinja::{Environment, context};

use crate::ReportError;
use crate::charts::Chart;
use crate::model::Report;
use crate::sections::sections;

/// The drill-down of a figure of `report`: the matters counted in its parts.
pub(crate) fn drill_link(report: &Report, parts: &[&str]) -> String {
    format!(
        "/api/v1/stats/matters?from={}&to={}&as_of={}&unit={}&parts={}",
        report.from,
        report.to,
        report.as_of,
        report.unit,
        parts.join(",")
    )
}

/// The page.
pub(crate) fn page(report: &Report, charts: &[Chart]) -> Result<String, ReportError> {
    let failed = |e: minijinja::Error| ReportError::Write {
        format: "HTML",
        message: format!("{e:#}"),
    };
    let mut env = Environment::new();
    env.add_template("report", include_str!("../templates/report.html"))
        .map_err(failed)?;
    let sections: Vec<Value> = sections(report, &|parts| drill_link(report, parts))
        .into_iter()
        .map(|s| {
            let tables: Vec<Value> = s
                .tables
                .into_iter()
                .map(|t| {
                    let rows: Vec<Value> = t
                        .rows
                        .into_iter()
                        .map(|r| context! { cells => r.cells, link => r.link })
                        .collect();
                    context! { caption => t.caption, header => t.header, rows => rows, note => t.note }
                })
                .collect();
            context! { heading => s.heading, paragraphs => s.paragraphs, tables => tables, charts => s.charts }
        })
        .collect();
    let charts: Vec<Value> = charts
        .iter()
        .map(|c| context! { title => c.title.clone(), svg => c.svg.clone() })
        .collect();
    env.get_template("report")
        .and_then(|t| {
            t.render(context! {
                r => Value::from(minijinja::value::Serde(report)),
                sections => sections,
                charts => charts,
                signed => crate::narrative::date(report.as_of),
            })
        })
        .map_err(failed)
}
