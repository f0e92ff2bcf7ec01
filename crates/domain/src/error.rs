//! Why the workflow refused a command. Messages are for the people using xinfang, so they are in Chinese;
//! `code` is the stable machine code an API client can branch on.

use chrono::NaiveDate;
use thiserror::Error;

use crate::ids::{ContactId, MatterId, UnitId};
use crate::workflow::{Role, Status};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkflowError {
    #[error("信访事项 {0} 不存在")]
    MatterNotFound(MatterId),
    #[error("信访事项编号 {0} 已存在")]
    MatterExists(MatterId),
    #[error("件次编号 {0} 已登记")]
    ContactExists(ContactId),
    #[error("单位 {0} 不存在")]
    UnknownUnit(UnitId),
    #[error("事项当前状态为「{}」，不能{action}", status.label())]
    WrongState {
        action: &'static str,
        status: Status,
    },
    #[error("本单位不是该事项的{capacity}单位，不能{action}")]
    WrongUnit {
        capacity: &'static str,
        action: &'static str,
    },
    #[error("需要「{}」角色才能{action}", role.label())]
    MissingRole { action: &'static str, role: Role },
    #[error("{action}期限已于 {due} 届满")]
    WindowClosed {
        action: &'static str,
        due: NaiveDate,
    },
    #[error("尚未出具处理意见，且自登记之日起未满规定期限，暂不能评价")]
    EvaluationNotOpen,
    #[error("{0}")]
    AlreadyDone(&'static str),
    #[error("操作时间不能早于该事项上一次操作的时间")]
    BeforeLastEvent,
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Org(String),
}

impl WorkflowError {
    pub fn code(&self) -> &'static str {
        match self {
            WorkflowError::MatterNotFound(_) => "matter_not_found",
            WorkflowError::MatterExists(_) => "matter_exists",
            WorkflowError::ContactExists(_) => "contact_exists",
            WorkflowError::UnknownUnit(_) => "unknown_unit",
            WorkflowError::WrongState { .. } => "wrong_state",
            WorkflowError::WrongUnit { .. } => "wrong_unit",
            WorkflowError::MissingRole { .. } => "missing_role",
            WorkflowError::WindowClosed { .. } => "window_closed",
            WorkflowError::EvaluationNotOpen => "evaluation_not_open",
            WorkflowError::AlreadyDone(_) => "already_done",
            WorkflowError::BeforeLastEvent => "before_last_event",
            WorkflowError::Invalid { .. } => "invalid",
            WorkflowError::Org(_) => "org",
        }
    }

    /// The input field at fault, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            WorkflowError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}
