//! 督办: what is overdue and what falls due soon, the matters under a 督办单, and those a leader owns
//! (包案) with the 五个一 checklist.

use axum::Json;
use axum::extract::State;
use minijinja::{Value, context};

use super::matters::items_of_ids;
use super::workbench::Todo;
use super::{PageError, PageResult, Viewer, render};
use crate::AppState;
use crate::auth::Auth;
use crate::extract::ApiQuery;
use crate::matters::{ListParams, visible_matter};

const SHOWN: u32 = 20;

async fn ids_of(
    state: &AppState,
    auth: &Auth,
    params: ListParams,
) -> Result<(Vec<String>, i64), PageError> {
    let Json(page) = crate::matters::list(
        State(state.clone()),
        auth.clone(),
        ApiQuery(ListParams {
            per_page: Some(SHOWN),
            sort: params.sort.clone().or_else(|| Some("changed".into())),
            ..params
        }),
    )
    .await?;
    Ok((page.items.into_iter().map(|i| i.id).collect(), page.total))
}

async fn section(
    state: &AppState,
    auth: &Auth,
    code: &str,
    label: &str,
    params: ListParams,
) -> Result<Value, PageError> {
    let (ids, total) = ids_of(state, auth, params).await?;
    Ok(context! {
        code => code,
        label => label,
        total => total,
        items => items_of_ids(state, auth, &ids).await?,
    })
}

pub(crate) async fn page(State(state): State<AppState>, Viewer(auth): Viewer) -> PageResult {
    super::may_open(&auth, "/supervision")?;
    let overdue = Todo::by_code("overdue").expect("a to-do list").params();
    let due_soon = Todo::by_code("due_soon").expect("a to-do list").params();
    let sections = vec![
        section(&state, &auth, "overdue", "已超期", overdue).await?,
        section(&state, &auth, "due_soon", "三日内到期", due_soon).await?,
        section(
            &state,
            &auth,
            "supervised",
            "督办中",
            ListParams {
                flags: Some("supervised".into()),
                ..ListParams::default()
            },
        )
        .await?,
    ];
    let (owned, owned_total) = ids_of(
        &state,
        &auth,
        ListParams {
            flags: Some("leader".into()),
            ..ListParams::default()
        },
    )
    .await?;
    let principal = auth.ready()?;
    let mut leader_matters = Vec::new();
    for id in &owned {
        let m = visible_matter(&state, principal, &auth.org, id).await?;
        let Some(leader) = &m.leader else { continue };
        // 五个一: one leader, one team, one plan, one complete case file, one set of measures.
        let checklist = [
            ("一名包案领导", !leader.leader.trim().is_empty()),
            ("一个工作班子", !leader.team.is_empty()),
            ("一套化解方案", !leader.plan.trim().is_empty()),
            ("一份完整案卷", !m.documents.is_empty()),
            (
                "一套解决措施",
                m.reminders > 0 || !m.supervision.is_empty() || m.answer.is_some(),
            ),
        ];
        leader_matters.push(context! {
            id => m.id.to_string(),
            summary => m.summary.clone(),
            status_label => m.status.label(),
            leader => leader.leader.clone(),
            team => leader.team.join("、"),
            since => leader.since.to_string(),
            checklist => checklist.iter().map(|(l, done)| context! { label => *l, done => *done }).collect::<Vec<_>>(),
            resolved => m.resolved_on.is_some(),
        });
    }
    render(
        &auth,
        "/supervision",
        "supervision.html",
        context! { sections => sections, leader_matters => leader_matters, leader_total => owned_total },
    )
}
