//! The petition workflow of brief §5 as an explicit state machine.
//!
//! `decide` checks a command against the matter's state, the actor's unit and roles, and the clocks, and
//! returns the events it causes, or a [`WorkflowError`] that says in Chinese why not. `Matter::apply`
//! folds events into state and never fails: the log is the truth, so replay never re-judges history.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, Period};
use crate::catalog::{Channel, DomainPath, EvaluationTarget, LegalRoute, Outcome, Purpose, Rating};
use crate::error::WorkflowError;
use crate::event::{Actor, EventBody};
use crate::ids::{ContactId, MatterId, OrderId, RegionCode, UnitId, UserId};
use crate::links::LinkDecision;
use crate::org::Org;
use crate::petition::{Contact, ContactDraft, ContactRelation, Flags};
use crate::rules::Rules;

/// Roles of brief §2. A user may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Petitioner,
    Registrar,
    Dispatcher,
    Handler,
    Supervisor,
    Leader,
    Analyst,
    Admin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Petitioner,
        Role::Registrar,
        Role::Dispatcher,
        Role::Handler,
        Role::Supervisor,
        Role::Leader,
        Role::Analyst,
        Role::Admin,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Role::Petitioner => "信访人",
            Role::Registrar => "登记员",
            Role::Dispatcher => "交办转送人员",
            Role::Handler => "承办人",
            Role::Supervisor => "督查人员",
            Role::Leader => "领导",
            Role::Analyst => "分析人员",
            Role::Admin => "管理员",
        }
    }
}

/// The person acting, with the unit they act for and their roles there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: UserId,
    pub unit: UnitId,
    pub roles: Vec<Role>,
}

impl Principal {
    pub fn actor(&self) -> Actor {
        Actor {
            user: self.user.clone(),
            unit: self.unit.clone(),
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Everything `decide` may consult besides the matter.
pub struct Ctx<'a> {
    pub principal: &'a Principal,
    pub at: DateTime<Utc>,
    pub org: &'a Org,
    pub rules: &'a Rules,
    pub calendar: &'a Calendar,
}

/// Dates of the petition system are dates in Beijing time.
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    let offset = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    at.with_timezone(&offset).date_naive()
}

impl Ctx<'_> {
    fn today(&self) -> NaiveDate {
        china_date(self.at)
    }

    fn due(&self, start: NaiveDate, period: Period) -> NaiveDate {
        self.calendar
            .due_date(start, period, self.rules.deadlines.roll_to_working_day)
    }

    fn require(&self, role: Role, action: &'static str) -> Result<(), WorkflowError> {
        if self.principal.has(role) {
            Ok(())
        } else {
            Err(WorkflowError::MissingRole { action, role })
        }
    }

    fn require_any(&self, roles: &[Role], action: &'static str) -> Result<(), WorkflowError> {
        match roles.iter().find(|r| self.principal.has(**r)) {
            Some(_) => Ok(()),
            None => Err(WorkflowError::MissingRole {
                action,
                role: roles[0],
            }),
        }
    }

    fn require_unit(
        &self,
        unit: Option<&UnitId>,
        capacity: &'static str,
        action: &'static str,
    ) -> Result<(), WorkflowError> {
        if unit == Some(&self.principal.unit) {
            Ok(())
        } else {
            Err(WorkflowError::WrongUnit { capacity, action })
        }
    }

    fn known_unit(&self, unit: &UnitId) -> Result<(), WorkflowError> {
        match self.org.unit(unit) {
            Some(_) => Ok(()),
            None => Err(WorkflowError::UnknownUnit(unit.clone())),
        }
    }
}

/// The main line of a matter's life. Overlays (督办, 包案, 协办, 化解) do not change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 待分流
    AwaitingTriage,
    /// 待受理 (转送/交办 to a unit)
    AwaitingAcceptance,
    /// 办理中
    Handling,
    /// 已办结 (written opinion given)
    Answered,
    /// 复查中
    UnderReview,
    /// 已复查
    Reviewed,
    /// 复核中
    UnderReReview,
    /// 已终结 (复核 answered; the same request is not accepted again)
    Final,
    /// 不予受理
    NotAccepted,
    /// 已导入法定途径
    Redirected,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::AwaitingTriage,
        Status::AwaitingAcceptance,
        Status::Handling,
        Status::Answered,
        Status::UnderReview,
        Status::Reviewed,
        Status::UnderReReview,
        Status::Final,
        Status::NotAccepted,
        Status::Redirected,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Status::AwaitingTriage => "待分流",
            Status::AwaitingAcceptance => "待受理",
            Status::Handling => "办理中",
            Status::Answered => "已办结",
            Status::UnderReview => "复查中",
            Status::Reviewed => "已复查",
            Status::UnderReReview => "复核中",
            Status::Final => "已终结",
            Status::NotAccepted => "不予受理",
            Status::Redirected => "已导入法定途径",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::AwaitingTriage => "awaiting_triage",
            Status::AwaitingAcceptance => "awaiting_acceptance",
            Status::Handling => "handling",
            Status::Answered => "answered",
            Status::UnderReview => "under_review",
            Status::Reviewed => "reviewed",
            Status::UnderReReview => "under_rereview",
            Status::Final => "final",
            Status::NotAccepted => "not_accepted",
            Status::Redirected => "redirected",
        }
    }

    /// The transitions the workflow allows; every other change of status is forbidden.
    pub fn may_become(self, next: Status) -> bool {
        use Status::*;
        self == next
            || matches!(
                (self, next),
                (
                    AwaitingTriage,
                    AwaitingAcceptance | Handling | NotAccepted | Redirected
                ) | (AwaitingAcceptance, Handling | NotAccepted | AwaitingTriage)
                    | (Handling, Answered)
                    | (Answered, UnderReview)
                    | (UnderReview, Reviewed)
                    | (Reviewed, UnderReReview)
                    | (UnderReReview, Final)
            )
    }

    /// 办结: a written answer (or a closing notice) has been given.
    pub fn is_concluded(self) -> bool {
        matches!(
            self,
            Status::Answered
                | Status::UnderReview
                | Status::Reviewed
                | Status::UnderReReview
                | Status::Final
                | Status::NotAccepted
                | Status::Redirected
        )
    }
}

/// 复查 or 复核.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStage {
    Review,
    ReReview,
}

impl ReviewStage {
    pub fn label(self) -> &'static str {
        match self {
            ReviewStage::Review => "复查",
            ReviewStage::ReReview => "复核",
        }
    }
}

/// What a review authority decides about the opinion under review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReviewDecision {
    /// 维持
    Upheld,
    /// 变更
    Changed,
    /// 撤销
    Revoked,
}

impl ReviewDecision {
    pub fn label(self) -> &'static str {
        match self {
            ReviewDecision::Upheld => "维持",
            ReviewDecision::Changed => "变更",
            ReviewDecision::Revoked => "撤销",
        }
    }
}

/// 转送, 交办, 直接受理, 不予受理 or 导入法定途径.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Triage {
    Transfer {
        to: UnitId,
        #[serde(default)]
        co_handlers: Vec<UnitId>,
    },
    Assign {
        to: UnitId,
        #[serde(default)]
        co_handlers: Vec<UnitId>,
        /// Days until the unit must report back; defaults to the answer period.
        #[serde(default)]
        report_back_days: Option<u32>,
    },
    AcceptDirectly,
    Reject {
        reason: String,
    },
    RedirectToLegal {
        route: LegalRoute,
        reason: String,
    },
}

/// Where a newly registered contact goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Filing {
    /// Opens a new matter with this id.
    NewMatter { matter: MatterId },
    /// Links to an existing matter as a repeat or as one letter sent to several offices.
    Existing {
        matter: MatterId,
        relation: ContactRelation,
    },
}

/// Everything a person can ask the workflow to do with a matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Command {
    Register {
        filing: Filing,
        contact: Box<ContactDraft>,
    },
    Triage {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        #[serde(flatten)]
        triage: Triage,
    },
    ReturnToBureau {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        reason: String,
    },
    Accept {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
    },
    DeclineAcceptance {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        reason: String,
    },
    RequestExtension {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        days: u32,
        reason: String,
    },
    DecideExtension {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        approve: bool,
        note: String,
    },
    Answer {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        outcome: Outcome,
        opinion: String,
    },
    Evaluate {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        target: EvaluationTarget,
        rating: Rating,
    },
    RequestReview {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        authority: UnitId,
    },
    HoldHearing {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        days: u32,
    },
    AnswerReview {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        decision: ReviewDecision,
        opinion: String,
    },
    Resolve {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        note: String,
    },
    IssueSupervision {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        order: OrderId,
        days: u32,
        note: String,
    },
    CloseSupervision {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        order: OrderId,
        note: String,
    },
    Remind {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        note: String,
    },
    AssignLeader {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        leader: String,
        team: Vec<String>,
        plan: String,
    },
    AddCoHandler {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        unit: UnitId,
    },
    /// Staff's decision on a proposed link of one of this matter's contacts to an earlier matter
    /// (重复信访 / 一信多投): confirmed when the contact was registered to it, rejected when it is another
    /// problem.
    ReviewLink {
        /// Filled in from the path by the API.
        #[cfg_attr(feature = "openapi", schema(required = false))]
        matter: MatterId,
        contact: ContactId,
        #[serde(flatten)]
        decision: LinkDecision,
    },
    /// 出具文书. Built by the server (which adds the petitioners' names and the 查询码), not taken from
    /// clients as an action.
    IssueDocument {
        matter: MatterId,
        request: crate::documents::DocumentRequest,
    },
}

impl Command {
    pub fn matter(&self) -> &MatterId {
        match self {
            Command::Register { filing, .. } => match filing {
                Filing::NewMatter { matter } | Filing::Existing { matter, .. } => matter,
            },
            Command::Triage { matter, .. }
            | Command::ReturnToBureau { matter, .. }
            | Command::Accept { matter }
            | Command::DeclineAcceptance { matter, .. }
            | Command::RequestExtension { matter, .. }
            | Command::DecideExtension { matter, .. }
            | Command::Answer { matter, .. }
            | Command::Evaluate { matter, .. }
            | Command::RequestReview { matter, .. }
            | Command::HoldHearing { matter, .. }
            | Command::AnswerReview { matter, .. }
            | Command::Resolve { matter, .. }
            | Command::IssueSupervision { matter, .. }
            | Command::CloseSupervision { matter, .. }
            | Command::Remind { matter, .. }
            | Command::AssignLeader { matter, .. }
            | Command::AddCoHandler { matter, .. }
            | Command::ReviewLink { matter, .. }
            | Command::IssueDocument { matter, .. } => matter,
        }
    }

    /// The action's name as users read it in messages.
    pub fn label(&self) -> &'static str {
        match self {
            Command::Register { .. } => "登记",
            Command::Triage { triage, .. } => match triage {
                Triage::Transfer { .. } => "转送",
                Triage::Assign { .. } => "交办",
                Triage::AcceptDirectly => "直接受理",
                Triage::Reject { .. } => "不予受理",
                Triage::RedirectToLegal { .. } => "导入法定途径",
            },
            Command::ReturnToBureau { .. } => "退回",
            Command::Accept { .. } => "受理",
            Command::DeclineAcceptance { .. } => "不予受理",
            Command::RequestExtension { .. } => "申请延期",
            Command::DecideExtension { .. } => "审批延期",
            Command::Answer { .. } => "出具处理意见",
            Command::Evaluate { .. } => "评价",
            Command::RequestReview { .. } => "申请复查复核",
            Command::HoldHearing { .. } => "记录听证",
            Command::AnswerReview { .. } => "出具复查复核意见",
            Command::Resolve { .. } => "确认化解",
            Command::IssueSupervision { .. } => "督办",
            Command::CloseSupervision { .. } => "办结督办单",
            Command::Remind { .. } => "催办",
            Command::AssignLeader { .. } => "领导包案",
            Command::AddCoHandler { .. } => "增加协办单位",
            Command::IssueDocument { .. } => "出具文书",
            Command::ReviewLink { decision, .. } => {
                if decision.confirmed {
                    "确认关联"
                } else {
                    "否定关联"
                }
            }
        }
    }
}

/// One change someone asks for: to a matter, or to the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Change {
    Matter(Command),
    Org(crate::org::OrgCommand),
}

/// A contact as the matter keeps it; the full contact is its own record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRef {
    pub id: ContactId,
    pub relation: ContactRelation,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub registered_by: UnitId,
    pub person_count: u32,
    /// The day (Beijing time) it was registered: when the system learnt of it.
    pub registered_on: NaiveDate,
    #[serde(default)]
    pub flags: Flags,
    /// The names of the contact's petitioners: personal data, for lists that show who wrote and for
    /// masking names in free text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub petitioner_names: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionState {
    Requested,
    Approved,
    Denied,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub requested_on: NaiveDate,
    pub days: u32,
    pub reason: String,
    pub state: ExtensionState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRecord {
    pub outcome: Outcome,
    pub opinion: String,
    pub on: NaiveDate,
    pub by: UnitId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub target: EvaluationTarget,
    pub rating: Rating,
    pub proxy: bool,
    pub on: NaiveDate,
    pub by: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub stage: ReviewStage,
    pub authority: UnitId,
    pub requested_on: NaiveDate,
    pub answer_due: NaiveDate,
    pub hearing_days: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<ReviewDecision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opinion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionOrder {
    pub id: OrderId,
    pub issued_by: UnitId,
    pub to: UnitId,
    pub issued_on: NaiveDate,
    pub due: NaiveDate,
    pub note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderOwnership {
    pub leader: String,
    pub team: Vec<String>,
    pub plan: String,
    pub since: NaiveDate,
}

/// How a matter left the workflow without an answer (不予受理, 导入法定途径).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub by: UnitId,
    pub on: NaiveDate,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<LegalRoute>,
}

/// Where a petitioner's evaluation of one target stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationStatus {
    NotOpen,
    Open {
        until: Option<NaiveDate>,
    },
    Rated(Rating),
    /// 超期未评价
    Expired,
}

/// One of a matter's clocks: a step's deadline and whether the step was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    pub label: String,
    pub due: NaiveDate,
    pub done: bool,
}

/// The current state of a matter: the fold of its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matter {
    pub id: MatterId,
    pub status: Status,
    pub bureau: UnitId,
    pub purpose: Purpose,
    pub domain: DomainPath,
    pub region: RegionCode,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_unit: Option<UnitId>,
    pub opened_at: DateTime<Utc>,
    pub received_on: NaiveDate,
    pub last_event_at: DateTime<Utc>,
    pub contacts: Vec<ContactRef>,
    pub triage_due: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triaged_on: Option<NaiveDate>,
    /// 主办: the unit that must answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<UnitId>,
    /// 协办
    #[serde(default)]
    pub co_handlers: Vec<UnitId>,
    /// Units that held the matter before and returned it, in order.
    #[serde(default)]
    pub previous_handlers: Vec<UnitId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance_due: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_due: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_back_due: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_due: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<Extension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<AnswerRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_due: Option<NaiveDate>,
    #[serde(default)]
    pub evaluations: Vec<Evaluation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_request_due: Option<NaiveDate>,
    #[serde(default)]
    pub reviews: Vec<Review>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure: Option<Closure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_note: Option<String>,
    #[serde(default)]
    pub supervision: Vec<SupervisionOrder>,
    #[serde(default)]
    pub reminders: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<LeaderOwnership>,
    /// Staff decisions on proposed links of this matter's contacts, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub link_reviews: Vec<LinkReview>,
    /// Every time-limited step the matter has owed, in the order they arose: the history the
    /// timeliness figures (及时受理率, 按期答复率) are counted from.
    #[serde(default)]
    pub duties: Vec<Duty>,
    /// The documents issued on it, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<crate::documents::IssuedDocument>,
}

/// Which time-limited step a [`Duty`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyKind {
    /// 分流 by the bureau (转送, 交办, 直接受理, 不予受理, 导入法定途径).
    Triage,
    /// The competent unit's decision to accept or not (or to return the matter).
    Acceptance,
    /// The written opinion (处理意见书).
    Answer,
    /// The 复查 opinion.
    Review,
    /// The 复核 opinion.
    ReReview,
}

/// A later change of a duty's deadline (an approved extension, a hearing), known from `on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueChange {
    pub on: NaiveDate,
    pub due: NaiveDate,
}

/// One step a unit owed by a deadline, and when it was done. A deadline changed more than once keeps
/// its first and its last value: enough for every figure "as of" a day, which the store keeps the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duty {
    pub kind: DutyKind,
    /// The unit that owed it.
    pub unit: UnitId,
    pub opened_on: NaiveDate,
    pub due: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<DueChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_on: Option<NaiveDate>,
}

impl Duty {
    /// The deadline as it stood at the end of day `as_of`.
    pub fn due_as_of(&self, as_of: NaiveDate) -> NaiveDate {
        match self.changed {
            Some(c) if c.on <= as_of => c.due,
            _ => self.due,
        }
    }

    /// When it was done, if it was by the end of day `as_of`.
    pub fn done_as_of(&self, as_of: NaiveDate) -> Option<NaiveDate> {
        self.done_on.filter(|d| *d <= as_of)
    }
}

/// One staff decision on a proposed link (see [`crate::links`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkReview {
    pub contact: ContactId,
    pub candidate: MatterId,
    pub confirmed: bool,
}

/// The flags a matter can be filtered on, as codes: those of its contacts (any contact carrying one) and
/// its overlays.
pub const MATTER_FLAGS: [&str; 14] = [
    "first",
    "repeat",
    "multi_submission",
    "collective",
    "anonymous",
    "skip_level",
    "national",
    "provincial",
    "joint",
    "urgent",
    "supervised",
    "leader",
    "co_handled",
    // 不满意待回访: rated 不满意 (either target) and not yet 化解.
    "unsatisfied",
];

impl Matter {
    /// The matter's flags (codes of [`MATTER_FLAGS`]), in that order.
    pub fn flag_codes(&self) -> Vec<&'static str> {
        let any = |f: fn(&Flags) -> bool| self.contacts.iter().any(|c| f(&c.flags));
        let set = [
            any(|f| f.first),
            any(|f| f.repeat),
            any(|f| f.multi_submission),
            any(|f| f.collective),
            any(|f| f.anonymous),
            any(|f| f.declared.skip_level),
            any(|f| f.declared.national),
            any(|f| f.declared.provincial),
            any(|f| f.declared.joint),
            any(|f| f.declared.urgent),
            self.supervision.iter().any(|o| o.closed_on.is_none()),
            self.leader.is_some(),
            !self.co_handlers.is_empty(),
            self.resolved_on.is_none()
                && self
                    .evaluations
                    .iter()
                    .any(|e| e.rating == Rating::Unsatisfied),
        ];
        MATTER_FLAGS
            .iter()
            .zip(set)
            .filter_map(|(code, on)| on.then_some(*code))
            .collect()
    }

    /// Everyone named in the matter's contacts, first petitioner first, each once.
    pub fn petitioner_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for name in self.contacts.iter().flat_map(|c| &c.petitioner_names) {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }

    /// A matter is born from its `MatterOpened` event.
    pub fn open(body: &EventBody, at: DateTime<Utc>) -> Option<Matter> {
        let EventBody::MatterOpened {
            matter,
            bureau,
            purpose,
            domain,
            region,
            summary,
            target_unit,
            received_on,
            triage_due,
        } = body
        else {
            return None;
        };
        Some(Matter {
            id: matter.clone(),
            status: Status::AwaitingTriage,
            bureau: bureau.clone(),
            purpose: *purpose,
            domain: domain.clone(),
            region: region.clone(),
            summary: summary.clone(),
            target_unit: target_unit.clone(),
            opened_at: at,
            received_on: *received_on,
            last_event_at: at,
            contacts: Vec::new(),
            triage_due: *triage_due,
            triaged_on: None,
            handler: None,
            co_handlers: Vec::new(),
            previous_handlers: Vec::new(),
            acceptance_due: None,
            return_due: None,
            report_back_due: None,
            accepted_on: None,
            answer_due: None,
            extension: None,
            answer: None,
            evaluation_due: None,
            evaluations: Vec::new(),
            review_request_due: None,
            reviews: Vec::new(),
            closure: None,
            resolved_on: None,
            resolution_note: None,
            supervision: Vec::new(),
            reminders: 0,
            leader: None,
            link_reviews: Vec::new(),
            documents: Vec::new(),
            duties: vec![Duty {
                kind: DutyKind::Triage,
                unit: bureau.clone(),
                opened_on: *received_on,
                due: *triage_due,
                changed: None,
                done_on: None,
            }],
        })
    }

    fn open_duty(&mut self, kind: DutyKind, unit: UnitId, on: NaiveDate, due: NaiveDate) {
        self.duties.push(Duty {
            kind,
            unit,
            opened_on: on,
            due,
            changed: None,
            done_on: None,
        });
    }

    fn pending_duty(&mut self, kinds: &[DutyKind]) -> Option<&mut Duty> {
        self.duties
            .iter_mut()
            .rev()
            .find(|d| d.done_on.is_none() && kinds.contains(&d.kind))
    }

    fn close_duty(&mut self, kinds: &[DutyKind], on: NaiveDate) {
        if let Some(d) = self.pending_duty(kinds) {
            d.done_on = Some(on);
        }
    }

    fn move_due(&mut self, kinds: &[DutyKind], on: NaiveDate, due: NaiveDate) {
        if let Some(d) = self.pending_duty(kinds)
            && d.due_as_of(on) != due
        {
            d.changed = Some(DueChange { on, due });
        }
    }

    /// Fold one event of this matter into its state. `actor` is the event's actor.
    pub fn apply(&mut self, body: &EventBody, at: DateTime<Utc>, actor: &Actor) {
        let on = china_date(at);
        self.last_event_at = at;
        match body {
            EventBody::ContactRegistered { contact } => self.contacts.push(ContactRef {
                id: contact.draft.id.clone(),
                relation: contact.relation,
                channel: contact.draft.channel,
                received_at: contact.draft.received_at,
                registered_by: contact.registered_by.clone(),
                person_count: contact.draft.person_count,
                registered_on: china_date(contact.registered_at),
                flags: contact.flags.clone(),
                petitioner_names: contact
                    .draft
                    .petitioners
                    .iter()
                    .map(|p| p.name.clone())
                    .collect(),
            }),
            EventBody::Transferred {
                to,
                co_handlers,
                acceptance_due,
                return_due,
                report_back_due,
                ..
            } => {
                self.status = Status::AwaitingAcceptance;
                self.triaged_on = Some(on);
                self.close_duty(&[DutyKind::Triage], on);
                self.open_duty(DutyKind::Acceptance, to.clone(), on, *acceptance_due);
                self.handler = Some(to.clone());
                self.co_handlers = co_handlers.clone();
                self.acceptance_due = Some(*acceptance_due);
                self.return_due = Some(*return_due);
                self.report_back_due = *report_back_due;
            }
            EventBody::AcceptedDirectly { answer_due, .. } => {
                self.status = Status::Handling;
                self.triaged_on = Some(on);
                self.close_duty(&[DutyKind::Triage], on);
                self.open_duty(DutyKind::Answer, self.bureau.clone(), on, *answer_due);
                self.handler = Some(self.bureau.clone());
                self.accepted_on = Some(on);
                self.answer_due = Some(*answer_due);
            }
            EventBody::NotAccepted { reason, .. } => {
                if self.status == Status::AwaitingTriage {
                    self.triaged_on = Some(on);
                }
                self.close_duty(&[DutyKind::Triage, DutyKind::Acceptance], on);
                self.status = Status::NotAccepted;
                self.closure = Some(Closure {
                    by: actor.unit.clone(),
                    on,
                    reason: reason.clone(),
                    route: None,
                });
            }
            EventBody::RedirectedToLegal { route, reason, .. } => {
                self.status = Status::Redirected;
                self.triaged_on = Some(on);
                self.close_duty(&[DutyKind::Triage], on);
                self.closure = Some(Closure {
                    by: actor.unit.clone(),
                    on,
                    reason: reason.clone(),
                    route: Some(*route),
                });
            }
            EventBody::ReturnedToBureau { triage_due, .. } => {
                self.status = Status::AwaitingTriage;
                self.close_duty(&[DutyKind::Acceptance], on);
                self.open_duty(DutyKind::Triage, self.bureau.clone(), on, *triage_due);
                if let Some(h) = self.handler.take() {
                    self.previous_handlers.push(h);
                }
                self.co_handlers.clear();
                self.triaged_on = None;
                self.triage_due = *triage_due;
                self.acceptance_due = None;
                self.return_due = None;
                self.report_back_due = None;
            }
            EventBody::Accepted { answer_due, .. } => {
                self.close_duty(&[DutyKind::Acceptance], on);
                let unit = self.handler.clone().unwrap_or_else(|| actor.unit.clone());
                self.open_duty(DutyKind::Answer, unit, on, *answer_due);
                self.status = Status::Handling;
                self.accepted_on = Some(on);
                self.answer_due = Some(*answer_due);
            }
            EventBody::ExtensionRequested { days, reason, .. } => {
                self.extension = Some(Extension {
                    requested_on: on,
                    days: *days,
                    reason: reason.clone(),
                    state: ExtensionState::Requested,
                    decided_by: None,
                    decided_on: None,
                });
            }
            EventBody::ExtensionDecided {
                approved,
                answer_due,
                ..
            } => {
                if let Some(ext) = &mut self.extension {
                    ext.state = if *approved {
                        ExtensionState::Approved
                    } else {
                        ExtensionState::Denied
                    };
                    ext.decided_by = Some(actor.user.clone());
                    ext.decided_on = Some(on);
                }
                self.move_due(&[DutyKind::Answer], on, *answer_due);
                self.answer_due = Some(*answer_due);
            }
            EventBody::Answered {
                outcome,
                opinion,
                evaluation_due,
                review_request_due,
                ..
            } => {
                self.status = Status::Answered;
                self.close_duty(&[DutyKind::Answer], on);
                self.answer = Some(AnswerRecord {
                    outcome: *outcome,
                    opinion: opinion.clone(),
                    on,
                    by: actor.unit.clone(),
                });
                self.evaluation_due = Some(*evaluation_due);
                self.review_request_due = Some(*review_request_due);
            }
            EventBody::Evaluated {
                target,
                rating,
                proxy,
                ..
            } => self.evaluations.push(Evaluation {
                target: *target,
                rating: *rating,
                proxy: *proxy,
                on,
                by: actor.user.clone(),
            }),
            EventBody::ReviewRequested {
                stage,
                authority,
                answer_due,
                ..
            } => {
                self.status = match stage {
                    ReviewStage::Review => Status::UnderReview,
                    ReviewStage::ReReview => Status::UnderReReview,
                };
                self.review_request_due = None;
                let kind = match stage {
                    ReviewStage::Review => DutyKind::Review,
                    ReviewStage::ReReview => DutyKind::ReReview,
                };
                self.open_duty(kind, authority.clone(), on, *answer_due);
                self.reviews.push(Review {
                    stage: *stage,
                    authority: authority.clone(),
                    requested_on: on,
                    answer_due: *answer_due,
                    hearing_days: 0,
                    decision: None,
                    opinion: None,
                    answered_on: None,
                });
            }
            EventBody::HearingHeld {
                days, answer_due, ..
            } => {
                if let Some(r) = self.reviews.last_mut() {
                    r.hearing_days += days;
                    r.answer_due = *answer_due;
                }
                self.move_due(&[DutyKind::Review, DutyKind::ReReview], on, *answer_due);
            }
            EventBody::ReviewAnswered {
                stage,
                decision,
                opinion,
                next_request_due,
                ..
            } => {
                self.status = match stage {
                    ReviewStage::Review => Status::Reviewed,
                    ReviewStage::ReReview => Status::Final,
                };
                self.review_request_due = *next_request_due;
                self.close_duty(&[DutyKind::Review, DutyKind::ReReview], on);
                if let Some(r) = self.reviews.last_mut() {
                    r.decision = Some(*decision);
                    r.opinion = Some(opinion.clone());
                    r.answered_on = Some(on);
                }
            }
            EventBody::Resolved { note, .. } => {
                self.resolved_on = Some(on);
                self.resolution_note = Some(note.clone());
            }
            EventBody::SupervisionIssued {
                order,
                to,
                due,
                note,
                ..
            } => self.supervision.push(SupervisionOrder {
                id: order.clone(),
                issued_by: actor.unit.clone(),
                to: to.clone(),
                issued_on: on,
                due: *due,
                note: note.clone(),
                closed_on: None,
            }),
            EventBody::SupervisionClosed { order, .. } => {
                if let Some(o) = self.supervision.iter_mut().find(|o| &o.id == order) {
                    o.closed_on = Some(on);
                }
            }
            EventBody::Reminded { .. } => self.reminders += 1,
            EventBody::LeaderAssigned {
                leader, team, plan, ..
            } => {
                self.leader = Some(LeaderOwnership {
                    leader: leader.clone(),
                    team: team.clone(),
                    plan: plan.clone(),
                    since: on,
                });
            }
            EventBody::CoHandlerAdded { unit, .. } => {
                if !self.co_handlers.contains(unit) {
                    self.co_handlers.push(unit.clone());
                }
            }
            EventBody::LinkReviewed {
                contact, decision, ..
            } => self.link_reviews.push(LinkReview {
                contact: contact.clone(),
                candidate: decision.candidate.clone(),
                confirmed: decision.confirmed,
            }),
            EventBody::MatterOpened { .. }
            | EventBody::RegionDefined(_)
            | EventBody::UnitCreated(_)
            | EventBody::UnitUpdated { .. }
            | EventBody::UserCreated(_)
            | EventBody::UserRolesSet { .. }
            | EventBody::UserActiveSet { .. }
            | EventBody::PasswordSet { .. }
            | EventBody::TemplateSet { .. } => {}
            EventBody::DocumentIssued { document, .. } => self.documents.push((**document).clone()),
        }
    }

    /// Where the evaluation of `target` stands on day `on`.
    pub fn evaluation_status(
        &self,
        target: EvaluationTarget,
        on: NaiveDate,
        rules: &Rules,
        calendar: &Calendar,
    ) -> EvaluationStatus {
        if let Some(e) = self.evaluations.iter().find(|e| e.target == target) {
            return EvaluationStatus::Rated(e.rating);
        }
        if let Some(due) = self.evaluation_due {
            return if on <= due {
                EvaluationStatus::Open { until: Some(due) }
            } else {
                EvaluationStatus::Expired
            };
        }
        let late_opens = calendar.due_date(
            self.received_on,
            rules.deadlines.evaluation_without_answer,
            false,
        );
        if self.answer.is_none() && self.status.is_concluded() {
            EvaluationStatus::NotOpen
        } else if on > late_opens {
            EvaluationStatus::Open { until: None }
        } else {
            EvaluationStatus::NotOpen
        }
    }

    /// The unit currently answerable for the next step.
    pub fn responsible_unit(&self) -> &UnitId {
        match self.status {
            Status::UnderReview | Status::UnderReReview => self
                .reviews
                .last()
                .map(|r| &r.authority)
                .unwrap_or(&self.bureau),
            Status::AwaitingTriage => &self.bureau,
            _ => self.handler.as_ref().unwrap_or(&self.bureau),
        }
    }

    /// Every clock the matter has run, in the order of the workflow, with whether its step was taken:
    /// what a matter's page lists as its 期限.
    pub fn clocks(&self) -> Vec<Clock> {
        let mut clocks = Vec::new();
        let mut add = |label: String, due: Option<NaiveDate>, done: bool| {
            if let Some(due) = due {
                clocks.push(Clock { label, due, done });
            }
        };
        add(
            "分流期限".into(),
            Some(self.triage_due),
            self.triaged_on.is_some(),
        );
        add(
            "受理期限".into(),
            self.acceptance_due,
            self.accepted_on.is_some() || self.closure.is_some(),
        );
        add("答复期限".into(), self.answer_due, self.answer.is_some());
        add(
            "评价期限".into(),
            self.evaluation_due,
            self.evaluations.len() >= EvaluationTarget::BOTH.len(),
        );
        add(
            "申请复查复核期限".into(),
            self.review_request_due,
            !matches!(self.status, Status::Answered | Status::Reviewed),
        );
        for r in &self.reviews {
            add(
                "复查复核答复期限".into(),
                Some(r.answer_due),
                r.answered_on.is_some(),
            );
        }
        for o in &self.supervision {
            add(
                format!("督办单 {} 期限", o.id),
                Some(o.due),
                o.closed_on.is_some(),
            );
        }
        clocks
    }

    /// The deadline of the step the matter is waiting for, if any.
    pub fn next_due(&self) -> Option<NaiveDate> {
        match self.status {
            Status::AwaitingTriage => Some(self.triage_due),
            Status::AwaitingAcceptance => self.acceptance_due,
            Status::Handling => self.answer_due,
            Status::UnderReview | Status::UnderReReview => {
                self.reviews.last().map(|r| r.answer_due)
            }
            _ => None,
        }
    }
}

/// The events caused by `command`, or why it may not be done.
pub fn decide(
    matter: Option<&Matter>,
    command: &Command,
    ctx: &Ctx<'_>,
) -> Result<Vec<EventBody>, WorkflowError> {
    let action = command.label();
    if let Command::Register { filing, contact } = command {
        return register(matter, filing, contact, ctx);
    }
    let m = matter.ok_or_else(|| WorkflowError::MatterNotFound(command.matter().clone()))?;
    if ctx.at < m.last_event_at {
        return Err(WorkflowError::BeforeLastEvent);
    }
    let today = ctx.today();
    let id = m.id.clone();
    let wrong_state = || WorkflowError::WrongState {
        action,
        status: m.status,
    };
    let d = &ctx.rules.deadlines;
    let events = match command {
        Command::Register { .. } => unreachable!("handled above"),
        Command::Triage { triage, .. } => {
            ctx.require(Role::Dispatcher, action)?;
            if m.status != Status::AwaitingTriage {
                return Err(wrong_state());
            }
            ctx.require_unit(Some(&m.bureau), "分流", action)?;
            vec![triage_event(m, triage, ctx, today)?]
        }
        Command::ReturnToBureau { reason, .. } => {
            ctx.require(Role::Handler, action)?;
            if m.status != Status::AwaitingAcceptance {
                return Err(wrong_state());
            }
            ctx.require_unit(m.handler.as_ref(), "承办", action)?;
            let due = m.return_due.expect("set on transfer");
            if today > due {
                return Err(WorkflowError::WindowClosed { action, due });
            }
            non_empty(reason, "reason", "退回理由")?;
            vec![EventBody::ReturnedToBureau {
                matter: id,
                reason: reason.clone(),
                triage_due: ctx.due(today, d.triage),
            }]
        }
        Command::Accept { .. } => {
            ctx.require(Role::Handler, action)?;
            if m.status != Status::AwaitingAcceptance {
                return Err(wrong_state());
            }
            ctx.require_unit(m.handler.as_ref(), "承办", action)?;
            vec![EventBody::Accepted {
                matter: id,
                answer_due: ctx.due(today, d.answer),
            }]
        }
        Command::DeclineAcceptance { reason, .. } => {
            ctx.require(Role::Handler, action)?;
            if m.status != Status::AwaitingAcceptance {
                return Err(wrong_state());
            }
            ctx.require_unit(m.handler.as_ref(), "承办", action)?;
            non_empty(reason, "reason", "不予受理理由")?;
            vec![EventBody::NotAccepted {
                matter: id,
                reason: reason.clone(),
            }]
        }
        Command::RequestExtension { days, reason, .. } => {
            ctx.require(Role::Handler, action)?;
            if m.status != Status::Handling {
                return Err(wrong_state());
            }
            ctx.require_unit(m.handler.as_ref(), "承办", action)?;
            if m.extension.is_some() {
                return Err(WorkflowError::AlreadyDone(
                    "该事项已申请过延期，只能延期一次",
                ));
            }
            if *days == 0 || *days > d.max_extension_days {
                return Err(WorkflowError::Invalid {
                    field: "days",
                    message: format!("延期天数应为1至{}天", d.max_extension_days),
                });
            }
            let due = m.answer_due.expect("set on acceptance");
            if today > due {
                return Err(WorkflowError::WindowClosed { action, due });
            }
            non_empty(reason, "reason", "延期理由")?;
            vec![EventBody::ExtensionRequested {
                matter: id,
                days: *days,
                reason: reason.clone(),
            }]
        }
        Command::DecideExtension { approve, note, .. } => {
            // The unit's head approves (brief §5 step 4).
            ctx.require(Role::Leader, action)?;
            if m.status != Status::Handling {
                return Err(wrong_state());
            }
            ctx.require_unit(m.handler.as_ref(), "承办", action)?;
            let ext = match &m.extension {
                Some(e) if e.state == ExtensionState::Requested => e,
                _ => return Err(WorkflowError::AlreadyDone("没有待审批的延期申请")),
            };
            let current = m.answer_due.expect("set on acceptance");
            let answer_due = if *approve {
                ctx.calendar.due_date(
                    current,
                    Period {
                        days: ext.days,
                        count: d.extension_count,
                    },
                    d.roll_to_working_day,
                )
            } else {
                current
            };
            vec![EventBody::ExtensionDecided {
                matter: id,
                approved: *approve,
                note: note.clone(),
                answer_due,
            }]
        }
        Command::Answer {
            outcome, opinion, ..
        } => {
            ctx.require(Role::Handler, action)?;
            if m.status != Status::Handling {
                return Err(wrong_state());
            }
            ctx.require_unit(m.handler.as_ref(), "承办", action)?;
            if !Outcome::allowed_for(m.purpose).contains(outcome) {
                return Err(WorkflowError::Invalid {
                    field: "outcome",
                    message: format!(
                        "「{}」类事项的处理结果不能是「{}」",
                        m.purpose.label(),
                        outcome.label()
                    ),
                });
            }
            non_empty(opinion, "opinion", "处理意见")?;
            vec![EventBody::Answered {
                matter: id,
                outcome: *outcome,
                opinion: opinion.clone(),
                evaluation_due: ctx.due(today, d.evaluation),
                review_request_due: ctx.due(today, d.review_request),
            }]
        }
        Command::Evaluate { target, rating, .. } => {
            let staff = [Role::Registrar, Role::Dispatcher, Role::Supervisor];
            let proxy = !ctx.principal.has(Role::Petitioner);
            if proxy {
                ctx.require_any(&staff, action)?;
            }
            match m.evaluation_status(*target, today, ctx.rules, ctx.calendar) {
                EvaluationStatus::Open { .. } => {}
                EvaluationStatus::Rated(_) => {
                    return Err(WorkflowError::AlreadyDone(
                        "已对该对象作出评价，不能重复评价",
                    ));
                }
                EvaluationStatus::Expired => {
                    return Err(WorkflowError::WindowClosed {
                        action,
                        due: m.evaluation_due.expect("expired implies a due date"),
                    });
                }
                EvaluationStatus::NotOpen => return Err(WorkflowError::EvaluationNotOpen),
            }
            vec![EventBody::Evaluated {
                matter: id,
                target: *target,
                rating: *rating,
                proxy,
            }]
        }
        Command::RequestReview { authority, .. } => {
            ctx.require_any(&[Role::Petitioner, Role::Registrar], action)?;
            let (stage, below) = match m.status {
                Status::Answered => (ReviewStage::Review, m.handler.as_ref()),
                Status::Reviewed => (
                    ReviewStage::ReReview,
                    m.reviews.last().map(|r| &r.authority),
                ),
                _ => return Err(wrong_state()),
            };
            let due = m.review_request_due.ok_or_else(wrong_state)?;
            if today > due {
                return Err(WorkflowError::WindowClosed { action, due });
            }
            ctx.known_unit(authority)?;
            let below = below.expect("answered matters have a handler");
            if !ctx.org.is_above(authority, below) {
                return Err(WorkflowError::Invalid {
                    field: "authority",
                    message: format!("{}机关应为原办理机关的上级机关", stage.label()),
                });
            }
            let period = match stage {
                ReviewStage::Review => d.review_answer,
                ReviewStage::ReReview => d.rereview_answer,
            };
            vec![EventBody::ReviewRequested {
                matter: id,
                stage,
                authority: authority.clone(),
                answer_due: ctx.due(today, period),
            }]
        }
        Command::HoldHearing { days, .. } => {
            ctx.require_any(&[Role::Handler, Role::Leader], action)?;
            let review = match (m.status, m.reviews.last()) {
                (Status::UnderReview | Status::UnderReReview, Some(r)) => r,
                _ => return Err(wrong_state()),
            };
            ctx.require_unit(Some(&review.authority), "复查复核", action)?;
            if *days == 0 || *days > 60 {
                return Err(WorkflowError::Invalid {
                    field: "days",
                    message: "听证天数应为1至60天".into(),
                });
            }
            vec![EventBody::HearingHeld {
                matter: id,
                stage: review.stage,
                days: *days,
                answer_due: review.answer_due + chrono::Days::new(u64::from(*days)),
            }]
        }
        Command::AnswerReview {
            decision, opinion, ..
        } => {
            ctx.require_any(&[Role::Handler, Role::Leader], action)?;
            let review = match (m.status, m.reviews.last()) {
                (Status::UnderReview | Status::UnderReReview, Some(r)) => r,
                _ => return Err(wrong_state()),
            };
            ctx.require_unit(Some(&review.authority), "复查复核", action)?;
            non_empty(opinion, "opinion", "复查复核意见")?;
            let next_request_due = match review.stage {
                ReviewStage::Review => Some(ctx.due(today, d.rereview_request)),
                ReviewStage::ReReview => None,
            };
            vec![EventBody::ReviewAnswered {
                matter: id,
                stage: review.stage,
                decision: *decision,
                opinion: opinion.clone(),
                next_request_due,
            }]
        }
        Command::Resolve { note, .. } => {
            ctx.require_any(&[Role::Handler, Role::Supervisor, Role::Leader], action)?;
            if !m.status.is_concluded() || m.closure.is_some() {
                return Err(wrong_state());
            }
            if m.resolved_on.is_some() {
                return Err(WorkflowError::AlreadyDone("该事项已确认化解"));
            }
            in_charge(m, ctx, action)?;
            non_empty(note, "note", "化解情况")?;
            vec![EventBody::Resolved {
                matter: id,
                note: note.clone(),
            }]
        }
        Command::IssueSupervision {
            order, days, note, ..
        } => {
            ctx.require(Role::Supervisor, action)?;
            open_matter(m, action)?;
            let to = m.responsible_unit().clone();
            if !ctx.org.is_above(&ctx.principal.unit, &to) && ctx.principal.unit != m.bureau {
                return Err(WorkflowError::WrongUnit {
                    capacity: "上级或信访",
                    action,
                });
            }
            if m.supervision.iter().any(|o| &o.id == order) {
                return Err(WorkflowError::AlreadyDone("督办单编号已存在"));
            }
            if *days == 0 || *days > 90 {
                return Err(WorkflowError::Invalid {
                    field: "days",
                    message: "督办期限应为1至90天".into(),
                });
            }
            non_empty(note, "note", "督办事由")?;
            vec![EventBody::SupervisionIssued {
                matter: id,
                order: order.clone(),
                to,
                due: ctx.due(today, Period::calendar(*days)),
                note: note.clone(),
            }]
        }
        Command::CloseSupervision { order, note, .. } => {
            ctx.require(Role::Supervisor, action)?;
            let o = m
                .supervision
                .iter()
                .find(|o| &o.id == order)
                .ok_or(WorkflowError::AlreadyDone("没有该督办单"))?;
            if o.closed_on.is_some() {
                return Err(WorkflowError::AlreadyDone("该督办单已办结"));
            }
            ctx.require_unit(Some(&o.issued_by), "督办", action)?;
            vec![EventBody::SupervisionClosed {
                matter: id,
                order: order.clone(),
                note: note.clone(),
            }]
        }
        Command::Remind { note, .. } => {
            ctx.require_any(&[Role::Supervisor, Role::Dispatcher, Role::Leader], action)?;
            open_matter(m, action)?;
            let to = m.responsible_unit().clone();
            if to == ctx.principal.unit {
                return Err(WorkflowError::WrongUnit {
                    capacity: "上级或信访",
                    action,
                });
            }
            in_charge(m, ctx, action)?;
            vec![EventBody::Reminded {
                matter: id,
                to,
                note: note.clone(),
            }]
        }
        Command::AssignLeader {
            leader, team, plan, ..
        } => {
            ctx.require(Role::Leader, action)?;
            in_charge(m, ctx, action)?;
            if m.status == Status::Final && m.resolved_on.is_some() {
                return Err(wrong_state());
            }
            non_empty(leader, "leader", "包案领导")?;
            non_empty(plan, "plan", "化解方案")?;
            vec![EventBody::LeaderAssigned {
                matter: id,
                leader: leader.clone(),
                team: team.clone(),
                plan: plan.clone(),
            }]
        }
        Command::AddCoHandler { unit, .. } => {
            ctx.require_any(&[Role::Dispatcher, Role::Handler], action)?;
            if !matches!(m.status, Status::AwaitingAcceptance | Status::Handling) {
                return Err(wrong_state());
            }
            in_charge(m, ctx, action)?;
            ctx.known_unit(unit)?;
            if Some(unit) == m.handler.as_ref() || m.co_handlers.contains(unit) {
                return Err(WorkflowError::AlreadyDone(
                    "该单位已是本事项的主办或协办单位",
                ));
            }
            vec![EventBody::CoHandlerAdded {
                matter: id,
                unit: unit.clone(),
            }]
        }
        Command::ReviewLink {
            contact, decision, ..
        } => {
            ctx.require_any(&[Role::Registrar, Role::Dispatcher], action)?;
            let Some(c) = m.contacts.iter().find(|c| &c.id == contact) else {
                return Err(WorkflowError::Invalid {
                    field: "contact",
                    message: "该件次不属于本事项".into(),
                });
            };
            if c.registered_by != ctx.principal.unit {
                in_charge(m, ctx, action)?;
            }
            if decision.relation == ContactRelation::First {
                return Err(WorkflowError::Invalid {
                    field: "relation",
                    message: "关联方式应为「重复信访」或「一信多投」".into(),
                });
            }
            if m.link_reviews
                .iter()
                .any(|r| &r.contact == contact && r.candidate == decision.candidate)
            {
                return Err(WorkflowError::AlreadyDone("该关联提示已经处理过"));
            }
            let linked_here = decision.candidate == m.id;
            if decision.confirmed && !(linked_here && c.relation == decision.relation) {
                return Err(WorkflowError::Invalid {
                    field: "confirmed",
                    message: "该件次未按所提示的关联登记到该事项，不能确认关联".into(),
                });
            }
            if !decision.confirmed && linked_here {
                return Err(WorkflowError::Invalid {
                    field: "candidate",
                    message: "件次已登记在该事项中，不能否定这一关联".into(),
                });
            }
            vec![EventBody::LinkReviewed {
                matter: id,
                contact: contact.clone(),
                decision: decision.clone(),
            }]
        }
        Command::IssueDocument { request, .. } => vec![EventBody::DocumentIssued {
            matter: id,
            document: Box::new(crate::documents::draft(m, request, ctx)?),
        }],
    };
    Ok(events)
}

fn triage_event(
    m: &Matter,
    triage: &Triage,
    ctx: &Ctx<'_>,
    today: NaiveDate,
) -> Result<EventBody, WorkflowError> {
    let d = &ctx.rules.deadlines;
    let id = m.id.clone();
    Ok(match triage {
        Triage::Transfer { to, co_handlers }
        | Triage::Assign {
            to, co_handlers, ..
        } => {
            ctx.known_unit(to)?;
            for c in co_handlers {
                ctx.known_unit(c)?;
            }
            if to == &m.bureau {
                return Err(WorkflowError::Invalid {
                    field: "to",
                    message: "本单位有权处理的事项应直接受理，不能转送给自己".into(),
                });
            }
            if co_handlers.contains(to) {
                return Err(WorkflowError::Invalid {
                    field: "co_handlers",
                    message: "主办单位不能同时是协办单位".into(),
                });
            }
            let report_back_due = match triage {
                Triage::Assign {
                    report_back_days, ..
                } => Some(match report_back_days {
                    Some(days) if *days == 0 || *days > 90 => {
                        return Err(WorkflowError::Invalid {
                            field: "report_back_days",
                            message: "报结期限应为1至90天".into(),
                        });
                    }
                    Some(days) => ctx.due(today, Period::calendar(*days)),
                    None => ctx.due(ctx.due(today, d.acceptance), d.answer),
                }),
                _ => None,
            };
            EventBody::Transferred {
                matter: id,
                to: to.clone(),
                co_handlers: co_handlers.clone(),
                acceptance_due: ctx.due(today, d.acceptance),
                return_due: ctx.due(today, d.return_to_bureau),
                report_back_due,
            }
        }
        Triage::AcceptDirectly => EventBody::AcceptedDirectly {
            matter: id,
            answer_due: ctx.due(today, d.answer),
        },
        Triage::Reject { reason } => {
            non_empty(reason, "reason", "不予受理理由")?;
            EventBody::NotAccepted {
                matter: id,
                reason: reason.clone(),
            }
        }
        Triage::RedirectToLegal { route, reason } => {
            non_empty(reason, "reason", "导入法定途径的告知内容")?;
            EventBody::RedirectedToLegal {
                matter: id,
                route: *route,
                reason: reason.clone(),
            }
        }
    })
}

fn register(
    matter: Option<&Matter>,
    filing: &Filing,
    draft: &ContactDraft,
    ctx: &Ctx<'_>,
) -> Result<Vec<EventBody>, WorkflowError> {
    let action = "登记";
    ctx.require_any(&[Role::Registrar, Role::Petitioner], action)?;
    validate_draft(draft, ctx)?;
    let today = ctx.today();
    let received_on = china_date(draft.received_at);
    if received_on > today {
        return Err(WorkflowError::Invalid {
            field: "received_at",
            message: "收到日期不能晚于登记日期".into(),
        });
    }
    let collective =
        draft.channel == Channel::Visit && draft.person_count >= ctx.rules.collective_threshold;
    if collective && draft.petitioners.len() > ctx.rules.max_representatives as usize {
        return Err(WorkflowError::Invalid {
            field: "petitioners",
            message: format!("集体访应推选不超过{}名代表", ctx.rules.max_representatives),
        });
    }
    let (matter_id, relation) = match filing {
        Filing::NewMatter { matter: id } => {
            if matter.is_some() {
                return Err(WorkflowError::MatterExists(id.clone()));
            }
            (id.clone(), ContactRelation::First)
        }
        Filing::Existing {
            matter: id,
            relation,
        } => {
            let m = matter.ok_or_else(|| WorkflowError::MatterNotFound(id.clone()))?;
            if *relation == ContactRelation::First {
                return Err(WorkflowError::Invalid {
                    field: "relation",
                    message: "关联已有事项时应选择「重复信访」或「一信多投」".into(),
                });
            }
            if m.contacts.iter().any(|c| c.id == draft.id) {
                return Err(WorkflowError::ContactExists(draft.id.clone()));
            }
            (id.clone(), *relation)
        }
    };
    let mut events = Vec::with_capacity(2);
    if relation == ContactRelation::First {
        events.push(EventBody::MatterOpened {
            matter: matter_id.clone(),
            bureau: ctx.principal.unit.clone(),
            purpose: draft.purpose,
            domain: draft.domain.clone(),
            region: draft.location.region.clone(),
            summary: draft.summary.trim().to_owned(),
            target_unit: draft.target.as_ref().and_then(|t| t.unit.clone()),
            received_on,
            triage_due: ctx.due(received_on, ctx.rules.deadlines.triage),
        });
    }
    let flags = Flags {
        declared: draft.flags.clone(),
        first: relation == ContactRelation::First,
        repeat: relation == ContactRelation::Repeat,
        multi_submission: relation == ContactRelation::MultiSubmission,
        collective,
        anonymous: draft.petitioners.is_empty(),
    };
    events.push(EventBody::ContactRegistered {
        contact: Box::new(Contact {
            matter: matter_id,
            relation,
            draft: draft.clone(),
            registered_by: ctx.principal.unit.clone(),
            clerk: ctx.principal.user.clone(),
            registered_at: ctx.at,
            flags,
        }),
    });
    Ok(events)
}

/// Text limits of a contact: generous for real letters, small enough that one contact cannot swamp the
/// log or a page.
pub const MAX_FULL_TEXT_CHARS: usize = 50_000;
pub const MAX_DEMANDS_CHARS: usize = 5_000;
pub const MAX_ADDRESS_CHARS: usize = 200;
pub const MAX_NAME_CHARS: usize = 50;

fn validate_draft(draft: &ContactDraft, ctx: &Ctx<'_>) -> Result<(), WorkflowError> {
    non_empty(&draft.summary, "summary", "摘要")?;
    if draft.summary.chars().count() > 500 {
        return Err(WorkflowError::Invalid {
            field: "summary",
            message: "摘要不得超过500字".into(),
        });
    }
    for (text, field, label, max) in [
        (&draft.full_text, "full_text", "全文", MAX_FULL_TEXT_CHARS),
        (&draft.demands, "demands", "诉求", MAX_DEMANDS_CHARS),
        (
            &draft.location.address,
            "location",
            "问题发生地址",
            MAX_ADDRESS_CHARS,
        ),
    ] {
        if text.chars().count() > max {
            return Err(WorkflowError::Invalid {
                field,
                message: format!("{label}不得超过{max}字"),
            });
        }
    }
    if draft.petitioners.iter().any(|p| {
        p.name.chars().count() > MAX_NAME_CHARS || p.address.chars().count() > MAX_ADDRESS_CHARS
    }) {
        return Err(WorkflowError::Invalid {
            field: "petitioners",
            message: format!(
                "信访人姓名不得超过{MAX_NAME_CHARS}字，住址不得超过{MAX_ADDRESS_CHARS}字"
            ),
        });
    }
    if ctx.org.region(&draft.location.region).is_none() {
        return Err(WorkflowError::Invalid {
            field: "location",
            message: format!("行政区划代码 {} 不在区划表中", draft.location.region),
        });
    }
    if !ctx.rules.domains.contains(&draft.domain) {
        return Err(WorkflowError::Invalid {
            field: "domain",
            message: format!("内容分类「{}」不在分类表中", draft.domain),
        });
    }
    let named = draft.petitioners.len() as u32;
    if draft.person_count == 0 || draft.person_count < named {
        return Err(WorkflowError::Invalid {
            field: "person_count",
            message: "人数应至少为1，且不少于登记的信访人数".into(),
        });
    }
    if draft.petitioners.iter().any(|p| p.name.trim().is_empty()) {
        return Err(WorkflowError::Invalid {
            field: "petitioners",
            message: "信访人姓名不能为空".into(),
        });
    }
    if let Some(t) = &draft.target {
        non_empty(&t.name, "target", "反映对象名称")?;
        if let Some(u) = &t.unit {
            ctx.known_unit(u)?;
        }
    }
    Ok(())
}

/// The acting unit is the matter's bureau, its handler or review authority, or above one of them.
fn in_charge(m: &Matter, ctx: &Ctx<'_>, action: &'static str) -> Result<(), WorkflowError> {
    let me = &ctx.principal.unit;
    let related = [
        Some(&m.bureau),
        m.handler.as_ref(),
        Some(m.responsible_unit()),
    ];
    if related
        .into_iter()
        .flatten()
        .any(|u| ctx.org.is_same_or_above(me, u))
    {
        Ok(())
    } else {
        Err(WorkflowError::WrongUnit {
            capacity: "相关",
            action,
        })
    }
}

fn open_matter(m: &Matter, action: &'static str) -> Result<(), WorkflowError> {
    if matches!(
        m.status,
        Status::NotAccepted | Status::Redirected | Status::Final
    ) {
        Err(WorkflowError::WrongState {
            action,
            status: m.status,
        })
    } else {
        Ok(())
    }
}

fn non_empty(text: &str, field: &'static str, what: &str) -> Result<(), WorkflowError> {
    if text.trim().is_empty() {
        Err(WorkflowError::Invalid {
            field,
            message: format!("{what}不能为空"),
        })
    } else {
        Ok(())
    }
}
