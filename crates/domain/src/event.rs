//! Events: every change to xinfang is one event in a hash-chained, append-only log.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::{DomainPath, EvaluationTarget, LegalRoute, Outcome, Purpose, Rating};
use crate::documents::{DocumentKind, IssuedDocument, Template};
use crate::ids::{ContactId, MatterId, OrderId, RegionCode, UnitId, UserId};
use crate::links::LinkDecision;
use crate::org::{Region, Unit, User};
use crate::petition::Contact;
use crate::workflow::{ReviewDecision, ReviewStage, Role};

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: UserId,
    pub unit: UnitId,
}

/// What happened. The serialized form (tagged by `event`) is the event's payload in the log, so renaming a
/// variant or field is a data migration, not a refactoring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventBody {
    RegionDefined(Region),
    UnitCreated(Unit),
    /// A unit's name or the domains it is competent for (its routing rule) changed.
    UnitUpdated {
        unit: UnitId,
        name: String,
        domains: Vec<String>,
    },
    UserCreated(User),
    UserRolesSet {
        user: UserId,
        roles: Vec<Role>,
    },
    UserActiveSet {
        user: UserId,
        active: bool,
    },
    /// A password was set: by an administrator (a one-time password) or by the user. No hash here.
    PasswordSet {
        user: UserId,
        by_admin: bool,
    },
    /// A unit's document template was set, or (`None`) removed so the one above applies again.
    TemplateSet {
        unit: UnitId,
        kind: DocumentKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template: Option<Template>,
    },
    MatterOpened {
        matter: MatterId,
        bureau: UnitId,
        purpose: Purpose,
        domain: DomainPath,
        region: RegionCode,
        summary: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_unit: Option<UnitId>,
        received_on: NaiveDate,
        triage_due: NaiveDate,
    },
    ContactRegistered {
        contact: Box<Contact>,
    },
    /// 转送 or, with a report-back deadline, 交办.
    Transferred {
        matter: MatterId,
        to: UnitId,
        #[serde(default)]
        co_handlers: Vec<UnitId>,
        acceptance_due: NaiveDate,
        return_due: NaiveDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report_back_due: Option<NaiveDate>,
    },
    /// 直接受理 by the bureau itself.
    AcceptedDirectly {
        matter: MatterId,
        answer_due: NaiveDate,
    },
    /// 不予受理, by the bureau at triage or by the unit at acceptance; a notice goes to the petitioner.
    NotAccepted {
        matter: MatterId,
        reason: String,
    },
    /// 导入法定途径 (诉访分离), with a notice telling where and how.
    RedirectedToLegal {
        matter: MatterId,
        route: LegalRoute,
        reason: String,
    },
    /// A unit outside its competence sends the matter back to the bureau for re-routing.
    ReturnedToBureau {
        matter: MatterId,
        reason: String,
        triage_due: NaiveDate,
    },
    Accepted {
        matter: MatterId,
        answer_due: NaiveDate,
    },
    ExtensionRequested {
        matter: MatterId,
        days: u32,
        reason: String,
    },
    ExtensionDecided {
        matter: MatterId,
        approved: bool,
        note: String,
        answer_due: NaiveDate,
    },
    Answered {
        matter: MatterId,
        outcome: Outcome,
        opinion: String,
        evaluation_due: NaiveDate,
        review_request_due: NaiveDate,
    },
    Evaluated {
        matter: MatterId,
        target: EvaluationTarget,
        rating: Rating,
        /// 代评: entered by staff on the petitioner's behalf; reported apart.
        proxy: bool,
    },
    ReviewRequested {
        matter: MatterId,
        stage: ReviewStage,
        authority: UnitId,
        answer_due: NaiveDate,
    },
    /// 听证: its days do not count in the review period.
    HearingHeld {
        matter: MatterId,
        stage: ReviewStage,
        days: u32,
        answer_due: NaiveDate,
    },
    ReviewAnswered {
        matter: MatterId,
        stage: ReviewStage,
        decision: ReviewDecision,
        opinion: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_request_due: Option<NaiveDate>,
    },
    /// 化解: the problem is actually solved, which may come after 办结.
    Resolved {
        matter: MatterId,
        note: String,
    },
    SupervisionIssued {
        matter: MatterId,
        order: OrderId,
        to: UnitId,
        due: NaiveDate,
        note: String,
    },
    SupervisionClosed {
        matter: MatterId,
        order: OrderId,
        note: String,
    },
    /// 催办
    Reminded {
        matter: MatterId,
        to: UnitId,
        note: String,
    },
    /// 领导包案
    LeaderAssigned {
        matter: MatterId,
        leader: String,
        team: Vec<String>,
        plan: String,
    },
    /// 协办 unit added after triage.
    CoHandlerAdded {
        matter: MatterId,
        unit: UnitId,
    },
    /// Staff confirmed or rejected a proposed link of a contact to an earlier matter.
    LinkReviewed {
        matter: MatterId,
        contact: ContactId,
        decision: LinkDecision,
    },
    /// A document (文书) was issued on the matter: its number and its text as issued.
    DocumentIssued {
        matter: MatterId,
        document: Box<IssuedDocument>,
    },
}

/// The aggregate an event belongs to: the organisation, or one matter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Stream<'a> {
    Org,
    Matter(&'a MatterId),
}

impl EventBody {
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::RegionDefined(_) => "region_defined",
            EventBody::UnitCreated(_) => "unit_created",
            EventBody::UnitUpdated { .. } => "unit_updated",
            EventBody::UserCreated(_) => "user_created",
            EventBody::UserRolesSet { .. } => "user_roles_set",
            EventBody::UserActiveSet { .. } => "user_active_set",
            EventBody::PasswordSet { .. } => "password_set",
            EventBody::TemplateSet { .. } => "template_set",
            EventBody::MatterOpened { .. } => "matter_opened",
            EventBody::ContactRegistered { .. } => "contact_registered",
            EventBody::Transferred { .. } => "transferred",
            EventBody::AcceptedDirectly { .. } => "accepted_directly",
            EventBody::NotAccepted { .. } => "not_accepted",
            EventBody::RedirectedToLegal { .. } => "redirected_to_legal",
            EventBody::ReturnedToBureau { .. } => "returned_to_bureau",
            EventBody::Accepted { .. } => "accepted",
            EventBody::ExtensionRequested { .. } => "extension_requested",
            EventBody::ExtensionDecided { .. } => "extension_decided",
            EventBody::Answered { .. } => "answered",
            EventBody::Evaluated { .. } => "evaluated",
            EventBody::ReviewRequested { .. } => "review_requested",
            EventBody::HearingHeld { .. } => "hearing_held",
            EventBody::ReviewAnswered { .. } => "review_answered",
            EventBody::Resolved { .. } => "resolved",
            EventBody::SupervisionIssued { .. } => "supervision_issued",
            EventBody::SupervisionClosed { .. } => "supervision_closed",
            EventBody::Reminded { .. } => "reminded",
            EventBody::LeaderAssigned { .. } => "leader_assigned",
            EventBody::CoHandlerAdded { .. } => "co_handler_added",
            EventBody::LinkReviewed { .. } => "link_reviewed",
            EventBody::DocumentIssued { .. } => "document_issued",
        }
    }

    /// The event as a timeline names it.
    pub fn label(&self) -> &'static str {
        match self {
            EventBody::RegionDefined(_) => "设立行政区划",
            EventBody::UnitCreated(_) => "设立单位",
            EventBody::UnitUpdated { .. } => "修改单位",
            EventBody::UserCreated(_) => "创建用户",
            EventBody::UserRolesSet { .. } => "设置角色",
            EventBody::UserActiveSet { .. } => "启用或停用用户",
            EventBody::PasswordSet { .. } => "设置密码",
            EventBody::TemplateSet { .. } => "修改文书模板",
            EventBody::MatterOpened { .. } => "立项",
            EventBody::ContactRegistered { .. } => "登记",
            EventBody::Transferred { .. } => "转送交办",
            EventBody::AcceptedDirectly { .. } => "直接受理",
            EventBody::NotAccepted { .. } => "不予受理",
            EventBody::RedirectedToLegal { .. } => "导入法定途径",
            EventBody::ReturnedToBureau { .. } => "退回",
            EventBody::Accepted { .. } => "受理",
            EventBody::ExtensionRequested { .. } => "申请延期",
            EventBody::ExtensionDecided { .. } => "审批延期",
            EventBody::Answered { .. } => "出具处理意见",
            EventBody::Evaluated { .. } => "评价",
            EventBody::ReviewRequested { .. } => "申请复查复核",
            EventBody::HearingHeld { .. } => "听证",
            EventBody::ReviewAnswered { .. } => "出具复查复核意见",
            EventBody::Resolved { .. } => "确认化解",
            EventBody::SupervisionIssued { .. } => "督办",
            EventBody::SupervisionClosed { .. } => "办结督办单",
            EventBody::Reminded { .. } => "催办",
            EventBody::LeaderAssigned { .. } => "领导包案",
            EventBody::CoHandlerAdded { .. } => "增加协办单位",
            EventBody::LinkReviewed { decision, .. } => {
                if decision.confirmed {
                    "确认关联"
                } else {
                    "否定关联"
                }
            }
            EventBody::DocumentIssued { .. } => "出具文书",
        }
    }

    pub fn stream(&self) -> Stream<'_> {
        match self {
            EventBody::RegionDefined(_)
            | EventBody::UnitCreated(_)
            | EventBody::UnitUpdated { .. }
            | EventBody::UserCreated(_)
            | EventBody::UserRolesSet { .. }
            | EventBody::UserActiveSet { .. }
            | EventBody::PasswordSet { .. }
            | EventBody::TemplateSet { .. } => Stream::Org,
            EventBody::ContactRegistered { contact } => Stream::Matter(&contact.matter),
            EventBody::MatterOpened { matter, .. }
            | EventBody::Transferred { matter, .. }
            | EventBody::AcceptedDirectly { matter, .. }
            | EventBody::NotAccepted { matter, .. }
            | EventBody::RedirectedToLegal { matter, .. }
            | EventBody::ReturnedToBureau { matter, .. }
            | EventBody::Accepted { matter, .. }
            | EventBody::ExtensionRequested { matter, .. }
            | EventBody::ExtensionDecided { matter, .. }
            | EventBody::Answered { matter, .. }
            | EventBody::Evaluated { matter, .. }
            | EventBody::ReviewRequested { matter, .. }
            | EventBody::HearingHeld { matter, .. }
            | EventBody::ReviewAnswered { matter, .. }
            | EventBody::Resolved { matter, .. }
            | EventBody::SupervisionIssued { matter, .. }
            | EventBody::SupervisionClosed { matter, .. }
            | EventBody::Reminded { matter, .. }
            | EventBody::LeaderAssigned { matter, .. }
            | EventBody::CoHandlerAdded { matter, .. }
            | EventBody::LinkReviewed { matter, .. }
            | EventBody::DocumentIssued { matter, .. } => Stream::Matter(matter),
        }
    }

    /// Whether this event changes the organisation (units, regions, users).
    pub fn is_org(&self) -> bool {
        self.stream() == Stream::Org
    }

    pub fn matter(&self) -> Option<&MatterId> {
        match self.stream() {
            Stream::Matter(m) => Some(m),
            Stream::Org => None,
        }
    }
}

/// A SHA-256 digest in the chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The hash before the first event.
    pub const GENESIS: Hash = Hash([0; 32]);

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(s: &str) -> Option<Hash> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Hash(out))
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hash({})", &self.to_hex()[..12])
    }
}

/// The stored form of an event: exactly the fields the chain hash covers. The payload is kept as the
/// text that was hashed, so verification never depends on how a later release serializes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub kind: String,
    pub payload: String,
    pub prev_hash: Hash,
    pub hash: Hash,
}

impl StoredEvent {
    /// Seal a new event onto the chain after `prev_hash`.
    pub fn seal(
        seq: i64,
        at: DateTime<Utc>,
        actor: Actor,
        body: &EventBody,
        prev_hash: Hash,
    ) -> Self {
        // The log keeps milliseconds; truncate now so the sealed event equals its stored copy.
        let at = DateTime::from_timestamp_millis(at.timestamp_millis()).expect("in range");
        let payload = serde_json::to_string(body).expect("event bodies always serialize");
        let kind = body.kind().to_owned();
        let hash = chain_hash(&prev_hash, seq, at, &actor, &kind, &payload);
        Self {
            seq,
            at,
            actor,
            kind,
            payload,
            prev_hash,
            hash,
        }
    }

    /// The hash these fields should carry.
    pub fn expected_hash(&self) -> Hash {
        chain_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            &self.actor,
            &self.kind,
            &self.payload,
        )
    }

    pub fn body(&self) -> Result<EventBody, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }
}

/// SHA-256 over the previous hash and length-prefixed fields, so no two field lists share an encoding.
pub fn chain_hash(
    prev: &Hash,
    seq: i64,
    at: DateTime<Utc>,
    actor: &Actor,
    kind: &str,
    payload: &str,
) -> Hash {
    let mut h = Sha256::new();
    h.update(b"xinfang-event-v1");
    h.update(prev.0);
    h.update(seq.to_be_bytes());
    h.update(at.timestamp_millis().to_be_bytes());
    for field in [actor.user.as_str(), actor.unit.as_str(), kind, payload] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    Hash(h.finalize().into())
}
