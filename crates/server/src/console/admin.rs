//! 管理: units and regions, accounts and roles, API tokens, the domain tree, the holiday calendar, the
//! deadlines in force and the document templates. Units, regions, accounts, tokens and templates change
//! through the API from this page. The domain tree, the calendar and the deadlines are configuration
//! (`xinfang.toml` and the calendar file), shown here as in force: every app server reads the same files.

use axum::Json;
use axum::extract::State;
use chrono::Datelike;
use minijinja::{Value, context};
use xinfang_domain::Role;
use xinfang_domain::calendar::{DayCount, DayKind, Period};

use super::{PageResult, Viewer, render, today};
use crate::AppState;

fn period_text(p: Period) -> String {
    match p.count {
        DayCount::Calendar => format!("{} 日", p.days),
        DayCount::Working => format!("{} 个工作日", p.days),
    }
}

pub(crate) async fn page(State(state): State<AppState>, Viewer(auth): Viewer) -> PageResult {
    let principal = auth.admin()?.clone();
    let org = auth.org.clone();
    let mut units: Vec<Value> = org
        .units()
        .filter(|u| org.is_same_or_above(&principal.unit, &u.id))
        .map(|u| {
            context! {
                id => u.id.to_string(),
                name => u.name.clone(),
                kind => u.kind.label(),
                region => u.region.to_string(),
                parent => u.parent.as_ref().map(|p| p.to_string()),
                depth => org.chain_up(&u.id).count(),
                path => org.unit_path(&u.id),
                domains => u.domains.join("、"),
                domain_list => u.domains.clone(),
            }
        })
        .collect();
    units.sort_by_key(|u| {
        u.get_attr("path")
            .map(|p| p.to_string())
            .unwrap_or_default()
    });
    let Json(users) = crate::admin::users(auth.clone()).await?;
    let users: Vec<Value> = users
        .iter()
        .map(|u| {
            let roles: Vec<&str> = u.roles.iter().map(|r| r.label()).collect();
            let codes: Vec<String> = u.roles.iter().map(xinfang_domain::catalog::code).collect();
            context! { id => u.id.clone(), name => u.name.clone(), unit => u.unit.clone(), roles => roles.join("、"), codes => codes, active => u.active }
        })
        .collect();
    let Json(tokens) = crate::admin::tokens(State(state.clone()), auth.clone()).await?;
    let rules = state.ledger.rules();
    let d = &rules.deadlines;
    let deadlines = vec![
        ("分流", period_text(d.triage)),
        ("受理", period_text(d.acceptance)),
        ("退回信访部门", period_text(d.return_to_bureau)),
        ("办理答复", period_text(d.answer)),
        ("延期（最多）", format!("{} 日", d.max_extension_days)),
        ("评价", period_text(d.evaluation)),
        ("申请复查", period_text(d.review_request)),
        ("复查答复", period_text(d.review_answer)),
        ("申请复核", period_text(d.rereview_request)),
        ("复核答复", period_text(d.rereview_answer)),
    ];
    let year = today().year();
    let calendar = state.ledger.calendar();
    let mut holidays = Vec::new();
    let mut day = chrono::NaiveDate::from_ymd_opt(year, 1, 1).expect("a first of January");
    while day.year() == year {
        match calendar.day_kind(day) {
            DayKind::Holiday(name) => {
                holidays.push(context! { day => day.to_string(), name => name, work => false })
            }
            DayKind::MakeUpWorkday(name) => {
                holidays.push(context! { day => day.to_string(), name => name, work => true })
            }
            _ => {}
        }
        day = day.succ_opt().expect("a next day");
    }
    let templates: Vec<Value> = xinfang_domain::documents::DocumentKind::ALL
        .iter()
        .map(|k| {
            let source = org.template_source(&principal.unit, *k);
            let template = org.template(&principal.unit, *k);
            context! {
                code => k.code(),
                label => k.label(),
                own => source.as_ref() == Some(&principal.unit),
                source => source.map(|s| s.to_string()),
                prefix => template.prefix,
                title => template.title,
                addressee => template.addressee,
                body => template.body,
                variables => k.variables().into_iter().map(|(name, description)| format!("{{{{ {name} }}}} {description}")).collect::<Vec<_>>(),
            }
        })
        .collect();
    let own_region = org.unit(&principal.unit).map(|u| u.region.clone());
    // An administrator whose unit is unknown sees no region rather than all of them.
    let regions = match &own_region {
        Some(own) => super::region_options(&org, |r| r.code.is_within(own)),
        None => Vec::new(),
    };
    let kinds: Vec<Value> = xinfang_domain::org::UnitKind::ALL
        .iter()
        .map(|k| context! { code => xinfang_domain::catalog::code(k), label => k.label() })
        .collect();
    let levels: Vec<Value> = xinfang_domain::ids::Level::ALL
        .iter()
        .map(|l| context! { code => xinfang_domain::catalog::code(l), label => l.label() })
        .collect();
    let first_levels: Vec<String> = rules.domains.first_levels().map(str::to_owned).collect();
    let roles: Vec<Value> = Role::ALL
        .iter()
        .filter(|r| !matches!(r, Role::Petitioner))
        .map(|r| context! { code => xinfang_domain::catalog::code(r), label => r.label() })
        .collect();
    render(
        &auth,
        "/admin",
        "admin.html",
        context! {
            units => units,
            regions => regions,
            kinds => kinds,
            levels => levels,
            first_levels => first_levels,
            users => users,
            tokens => super::ser(&tokens),
            roles => roles,
            domains => super::ser(&rules.domains.domains.iter().map(|d| (d.name.clone(), d.children.clone())).collect::<Vec<_>>()),
            deadlines => deadlines,
            year => year,
            holidays => holidays,
            templates => templates,
            own_unit => principal.unit.to_string(),
        },
    )
}
