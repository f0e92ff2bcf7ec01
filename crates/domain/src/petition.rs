//! Contacts (件次) and the people in them (brief §4).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{Channel, DomainPath, Purpose};
use crate::ids::{ContactId, IdNumber, MatterId, Phone, RegionCode, UnitId, UserId};

/// A person in a contact. Personal data: masked and audited at the edges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Petitioner {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<IdNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub address: String,
}

/// Where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    pub region: RegionCode,
    #[serde(default)]
    pub address: String,
}

/// The unit or person complained about (反映对象). In 检举控告 matters the petitioner's identity never
/// reaches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Target {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitId>,
}

/// A scanned or uploaded file, referenced by content hash; the bytes live outside the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub name: String,
    pub media_type: String,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

/// Flags the clerk sets on a contact (brief §4). Flags that follow from other fields (初信初访, 重复,
/// 集体, 匿名) are derived by the domain, not entered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeclaredFlags {
    /// 越级
    pub skip_level: bool,
    /// 进京 (registered at national level)
    pub national: bool,
    /// 赴省 (registered at provincial level)
    pub provincial: bool,
    /// 联名
    pub joint: bool,
    /// 同意公开
    pub consent_publication: bool,
    /// 重大紧急
    pub urgent: bool,
}

/// All flags of a registered contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    #[serde(flatten)]
    pub declared: DeclaredFlags,
    /// 初信初访
    pub first: bool,
    /// 重复信访
    pub repeat: bool,
    /// 一信多投
    pub multi_submission: bool,
    /// 集体访
    pub collective: bool,
    /// 匿名
    pub anonymous: bool,
}

/// How a contact relates to the matter it is linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ContactRelation {
    /// The contact that opened the matter.
    First,
    /// 重复信访: the same people about the same problem again.
    Repeat,
    /// 一信多投: the same letter sent to several offices.
    MultiSubmission,
}

/// What the clerk or the petitioner enters for one contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactDraft {
    /// The source system's id; the API makes one when it is left out.
    #[cfg_attr(feature = "openapi", schema(required = false))]
    pub id: ContactId,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    #[serde(default)]
    pub petitioners: Vec<Petitioner>,
    /// 人次: people in the contact (at least the named petitioners; at least 1).
    pub person_count: u32,
    pub location: Location,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    pub purpose: Purpose,
    pub domain: DomainPath,
    /// 摘要
    pub summary: String,
    /// 全文
    #[serde(default)]
    pub full_text: String,
    /// 诉求
    #[serde(default)]
    pub demands: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub flags: DeclaredFlags,
}

/// A registered contact: the draft plus who registered it, when, to which matter, and derived flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub matter: MatterId,
    pub relation: ContactRelation,
    pub draft: ContactDraft,
    pub registered_by: UnitId,
    pub clerk: UserId,
    pub registered_at: DateTime<Utc>,
    pub flags: Flags,
}
