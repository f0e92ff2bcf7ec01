//! The vocabularies of a petition: channels, purposes, the content-domain tree, outcomes and ratings.

use serde::{Deserialize, Serialize};

/// The stable code of a unit enum variant, as it appears in JSON and in the database (`visit`,
/// `awaiting_triage`, `registrar` …).
pub fn code<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum variant: {other:?}"),
    }
}

/// The unit enum variant a stable code names: the inverse of [`code`].
pub fn from_code<T: serde::de::DeserializeOwned>(code: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

/// How a contact arrived (信访形式). The first five are named by the 信访工作条例 (2022).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    /// 信息网络 (online)
    Online,
    /// 书信
    Letter,
    /// 电话
    Phone,
    /// 传真
    Fax,
    /// 走访
    Visit,
    /// 领导信箱等信箱
    Mailbox,
    /// 12345 等热线
    Hotline,
}

impl Channel {
    pub const ALL: [Channel; 7] = [
        Channel::Online,
        Channel::Letter,
        Channel::Phone,
        Channel::Fax,
        Channel::Visit,
        Channel::Mailbox,
        Channel::Hotline,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Channel::Online => "网上信访",
            Channel::Letter => "来信",
            Channel::Phone => "来电",
            Channel::Fax => "传真",
            Channel::Visit => "来访",
            Channel::Mailbox => "信箱",
            Channel::Hotline => "热线",
        }
    }

    /// Counted in 网上信访占比.
    pub fn is_online(self) -> bool {
        matches!(self, Channel::Online | Channel::Mailbox)
    }
}

/// 信访目的: drives which outcomes an answer may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Purpose {
    /// 建议意见
    Suggestion,
    /// 检举控告
    Accusation,
    /// 申诉求决
    Demand,
    /// 咨询
    Enquiry,
}

impl Purpose {
    pub const ALL: [Purpose; 4] = [
        Purpose::Suggestion,
        Purpose::Accusation,
        Purpose::Demand,
        Purpose::Enquiry,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Purpose::Suggestion => "建议意见",
            Purpose::Accusation => "检举控告",
            Purpose::Demand => "申诉求决",
            Purpose::Enquiry => "咨询",
        }
    }
}

/// The result of handling, which must fit the purpose (brief §5 step 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    /// 支持
    Supported,
    /// 部分支持
    PartlySupported,
    /// 不支持
    NotSupported,
    /// 采纳
    Adopted,
    /// 不采纳
    NotAdopted,
    /// 查处结果: 属实 / 部分属实 / 不属实
    Substantiated,
    PartlySubstantiated,
    Unsubstantiated,
    /// 已解答 (enquiries)
    Explained,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Supported => "支持",
            Outcome::PartlySupported => "部分支持",
            Outcome::NotSupported => "不支持",
            Outcome::Adopted => "采纳",
            Outcome::NotAdopted => "不采纳",
            Outcome::Substantiated => "属实",
            Outcome::PartlySubstantiated => "部分属实",
            Outcome::Unsubstantiated => "不属实",
            Outcome::Explained => "已解答",
        }
    }

    pub fn allowed_for(purpose: Purpose) -> &'static [Outcome] {
        match purpose {
            Purpose::Demand => &[
                Outcome::Supported,
                Outcome::PartlySupported,
                Outcome::NotSupported,
            ],
            Purpose::Suggestion => &[Outcome::Adopted, Outcome::NotAdopted],
            Purpose::Accusation => &[
                Outcome::Substantiated,
                Outcome::PartlySubstantiated,
                Outcome::Unsubstantiated,
            ],
            Purpose::Enquiry => &[Outcome::Explained],
        }
    }
}

/// 满意 / 基本满意 / 不满意
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Rating {
    Satisfied,
    BasicallySatisfied,
    Unsatisfied,
}

impl Rating {
    pub const ALL: [Rating; 3] = [
        Rating::Satisfied,
        Rating::BasicallySatisfied,
        Rating::Unsatisfied,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::BasicallySatisfied => "基本满意",
            Rating::Unsatisfied => "不满意",
        }
    }
}

/// Who is rated: the petition bureau and the responsible unit are rated separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EvaluationTarget {
    /// 信访部门
    Bureau,
    /// 责任单位
    ResponsibleUnit,
}

impl EvaluationTarget {
    pub const BOTH: [EvaluationTarget; 2] =
        [EvaluationTarget::Bureau, EvaluationTarget::ResponsibleUnit];

    pub fn label(self) -> &'static str {
        match self {
            EvaluationTarget::Bureau => "信访部门",
            EvaluationTarget::ResponsibleUnit => "责任单位",
        }
    }
}

/// Where a matter that belongs in another legal procedure is directed (诉访分离).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LegalRoute {
    /// 诉讼
    Litigation,
    /// 仲裁
    Arbitration,
    /// 行政复议
    AdministrativeReconsideration,
    /// 其他法定途径
    Other,
}

impl LegalRoute {
    pub fn label(self) -> &'static str {
        match self {
            LegalRoute::Litigation => "诉讼",
            LegalRoute::Arbitration => "仲裁",
            LegalRoute::AdministrativeReconsideration => "行政复议",
            LegalRoute::Other => "其他法定途径",
        }
    }
}

/// A node of the content-domain tree (内容分类).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainNode {
    pub name: String,
    #[serde(default)]
    pub children: Vec<String>,
}

/// The configurable content-domain tree, two levels deep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainTree {
    pub domains: Vec<DomainNode>,
}

/// A domain path as registered: first level, optionally second level.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DomainPath {
    pub first: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second: Option<String>,
}

impl DomainPath {
    pub fn new(first: &str, second: Option<&str>) -> Self {
        Self {
            first: first.to_owned(),
            second: second.map(str::to_owned),
        }
    }
}

impl std::fmt::Display for DomainPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.second {
            Some(s) => write!(f, "{}/{}", self.first, s),
            None => f.write_str(&self.first),
        }
    }
}

const DEFAULT_DOMAINS: &[(&str, &[&str])] = &[
    (
        "城乡建设",
        &["问题楼盘", "拆迁安置", "物业", "拖欠工程款", "城市更新"],
    ),
    ("自然资源", &["土地征收", "征地补偿"]),
    (
        "劳动和社会保障",
        &["拖欠农民工工资", "社保待遇", "劳动关系"],
    ),
    ("农业农村", &["土地承包", "涉灾及灾后重建"]),
    ("集资融资", &["非法集资", "网贷"]),
    ("涉法涉诉", &["司法裁判", "执行难", "立案侦查"]),
    ("生态环境", &[]),
    ("交通运输", &[]),
    ("教育", &[]),
    ("卫生健康", &[]),
    ("民政", &[]),
    ("退役军人事务", &[]),
    ("企业改制", &[]),
    ("商贸旅游", &[]),
    ("纪检监察", &[]),
    ("组织人事", &[]),
    ("其他", &[]),
];

impl Default for DomainTree {
    /// The first level of brief §4 with the second-level examples it names.
    fn default() -> Self {
        Self {
            domains: DEFAULT_DOMAINS
                .iter()
                .map(|(name, children)| DomainNode {
                    name: (*name).to_owned(),
                    children: children.iter().map(|c| (*c).to_owned()).collect(),
                })
                .collect(),
        }
    }
}

impl DomainTree {
    /// Whether the path names a node of this tree. A second level is optional, but when given it must
    /// belong to the first; a first level with listed children may also stand alone.
    pub fn contains(&self, path: &DomainPath) -> bool {
        self.domains.iter().any(|d| {
            d.name == path.first
                && path
                    .second
                    .as_ref()
                    .is_none_or(|s| d.children.iter().any(|c| c == s))
        })
    }

    pub fn first_levels(&self) -> impl Iterator<Item = &str> {
        self.domains.iter().map(|d| d.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_tree_has_the_brief_first_level() {
        let tree = DomainTree::default();
        assert_eq!(tree.domains.len(), 17);
        assert!(tree.contains(&DomainPath::new("城乡建设", Some("问题楼盘"))));
        assert!(tree.contains(&DomainPath::new("生态环境", None)));
        assert!(!tree.contains(&DomainPath::new("城乡建设", Some("网贷"))));
        assert!(!tree.contains(&DomainPath::new("天气", None)));
    }

    #[test]
    fn outcomes_fit_purposes() {
        assert!(Outcome::allowed_for(Purpose::Demand).contains(&Outcome::PartlySupported));
        assert!(!Outcome::allowed_for(Purpose::Suggestion).contains(&Outcome::Supported));
    }
}
