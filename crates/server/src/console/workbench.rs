//! 工作台: each role's to-do lists with their counts, and the day's figures.

use axum::extract::State;
use minijinja::context;
use xinfang_domain::Role;

use super::{PageResult, Viewer, render, today};
use crate::AppState;
use crate::matters::ListParams;

/// One to-do list: the roles that work it and the list's filters, as the 事项 page takes them.
pub(crate) struct Todo {
    pub code: &'static str,
    pub label: &'static str,
    pub roles: &'static [Role],
    pub status: Option<&'static str>,
    pub flags: Option<&'static str>,
    pub due_within_days: Option<u64>,
    pub overdue: bool,
}

const STAFF_WHO_FOLLOW_DEADLINES: &[Role] = &[
    Role::Dispatcher,
    Role::Handler,
    Role::Supervisor,
    Role::Leader,
];

pub(crate) const TODOS: [Todo; 7] = [
    Todo {
        code: "triage",
        label: "待分流",
        roles: &[Role::Dispatcher],
        status: Some("awaiting_triage"),
        flags: None,
        due_within_days: None,
        overdue: false,
    },
    Todo {
        code: "accept",
        label: "待受理",
        roles: &[Role::Handler],
        status: Some("awaiting_acceptance"),
        flags: None,
        due_within_days: None,
        overdue: false,
    },
    Todo {
        code: "handle",
        label: "待办理",
        roles: &[Role::Handler],
        status: Some("handling"),
        flags: None,
        due_within_days: None,
        overdue: false,
    },
    Todo {
        code: "due_soon",
        label: "三日内到期",
        roles: STAFF_WHO_FOLLOW_DEADLINES,
        status: None,
        flags: None,
        due_within_days: Some(3),
        overdue: false,
    },
    Todo {
        code: "overdue",
        label: "已超期",
        roles: STAFF_WHO_FOLLOW_DEADLINES,
        status: None,
        flags: None,
        due_within_days: None,
        overdue: true,
    },
    Todo {
        code: "evaluate",
        label: "待评价",
        roles: &[Role::Registrar, Role::Dispatcher, Role::Supervisor],
        status: Some("answered"),
        flags: None,
        due_within_days: None,
        overdue: false,
    },
    Todo {
        code: "revisit",
        label: "不满意待回访",
        roles: &[
            Role::Registrar,
            Role::Dispatcher,
            Role::Supervisor,
            Role::Leader,
        ],
        status: None,
        flags: Some("unsatisfied"),
        due_within_days: None,
        overdue: false,
    },
];

impl Todo {
    /// The list's filters, for the API's list and for the link to the 事项 page.
    pub(crate) fn params(&self) -> ListParams {
        let today = today();
        ListParams {
            status: self.status.map(str::to_owned),
            flags: self.flags.map(str::to_owned),
            due_from: self.due_within_days.map(|_| today),
            due_to: self
                .due_within_days
                .map(|days| today + chrono::Days::new(days)),
            overdue: self.overdue.then_some(true),
            // Lists of deadlines read most urgent first, which is also the order their index serves.
            sort: (self.overdue || self.due_within_days.is_some()).then(|| "next_due".to_owned()),
            order: (self.overdue || self.due_within_days.is_some()).then(|| "asc".to_owned()),
            ..ListParams::default()
        }
    }

    pub(crate) fn by_code(code: &str) -> Option<&'static Todo> {
        TODOS.iter().find(|t| t.code == code)
    }
}

pub(crate) async fn page(State(state): State<AppState>, Viewer(auth): Viewer) -> PageResult {
    let mut todos = Vec::new();
    for todo in TODOS.iter().filter(|t| super::has_any(&auth, t.roles)) {
        let (count, exact) =
            crate::matters::count(&state, auth.ready()?, &auth.org, &todo.params()).await?;
        todos.push(context! {
            code => todo.code,
            label => todo.label,
            count => count,
            exact => exact,
            urgent => todo.overdue,
        });
    }
    let monitor = super::stats::day_monitor(&state, &auth).await?;
    render(
        &auth,
        "/",
        "workbench.html",
        context! { todos => todos, monitor => monitor, today => today().to_string() },
    )
}
