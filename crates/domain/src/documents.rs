//! The documents (文书) of brief §7: what each says, when it may be issued and by whom, and its number.
//!
//! A document is a template filled with the matter's facts on the day it is issued. Templates are the
//! organisation's (an administrator edits them; each edit is an event, see [`crate::org::OrgCommand`]) and
//! fall back to the defaults here. The issued text is kept in the event that records the issue, so a
//! document printed again years later is the document that was sent, whatever the templates say by then.
//!
//! Numbers: 〔year〕serial号 after the template's 机关代字, counted per issuing unit, kind and year. The
//! serial is the store's to assign (the next one in the log, inside the writing transaction); [`draft`]
//! leaves it at 0.
//!
//! Documents addressed to a unit (转送单, 交办单, 督办单, 风险警示函, 问责建议函) carry no personal data: they
//! name the matter, and the unit sees the petitioner only as the access rules allow, in the system.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::WorkflowError;
use crate::ids::UnitId;
use crate::org::UnitKind;
use crate::workflow::{Ctx, ExtensionState, Matter, ReviewStage, Role, china_date};

/// Every kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DocumentKind {
    /// 受理告知书
    AcceptanceNotice,
    /// 不予受理告知书 (also after 导入法定途径, naming the route)
    NonAcceptanceNotice,
    /// 转送单
    TransferSlip,
    /// 交办单
    AssignmentSlip,
    /// 延期告知书
    ExtensionNotice,
    /// 处理意见书
    HandlingOpinion,
    /// 复查意见书
    ReviewOpinion,
    /// 复核意见书
    ReReviewOpinion,
    /// 督办单
    SupervisionOrder,
    /// 风险警示函
    RiskWarning,
    /// 问责建议函
    AccountabilityRecommendation,
    /// 回执, with the 查询码 the petitioner follows the matter by
    Receipt,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 12] = [
        DocumentKind::AcceptanceNotice,
        DocumentKind::NonAcceptanceNotice,
        DocumentKind::TransferSlip,
        DocumentKind::AssignmentSlip,
        DocumentKind::ExtensionNotice,
        DocumentKind::HandlingOpinion,
        DocumentKind::ReviewOpinion,
        DocumentKind::ReReviewOpinion,
        DocumentKind::SupervisionOrder,
        DocumentKind::RiskWarning,
        DocumentKind::AccountabilityRecommendation,
        DocumentKind::Receipt,
    ];

    pub fn code(self) -> String {
        crate::catalog::code(&self)
    }

    pub fn parse(code: &str) -> Option<DocumentKind> {
        crate::catalog::from_code(code)
    }

    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::AcceptanceNotice => "受理告知书",
            DocumentKind::NonAcceptanceNotice => "不予受理告知书",
            DocumentKind::TransferSlip => "转送单",
            DocumentKind::AssignmentSlip => "交办单",
            DocumentKind::ExtensionNotice => "延期告知书",
            DocumentKind::HandlingOpinion => "处理意见书",
            DocumentKind::ReviewOpinion => "复查意见书",
            DocumentKind::ReReviewOpinion => "复核意见书",
            DocumentKind::SupervisionOrder => "督办单",
            DocumentKind::RiskWarning => "风险警示函",
            DocumentKind::AccountabilityRecommendation => "问责建议函",
            DocumentKind::Receipt => "信访事项登记回执",
        }
    }

    /// Whether the document goes to the petitioner (and so names them) rather than to a unit.
    pub fn to_petitioner(self) -> bool {
        !matches!(
            self,
            DocumentKind::TransferSlip
                | DocumentKind::AssignmentSlip
                | DocumentKind::SupervisionOrder
                | DocumentKind::RiskWarning
                | DocumentKind::AccountabilityRecommendation
        )
    }

    /// The variables its template may use, each with what it holds.
    pub fn variables(self) -> Vec<(&'static str, &'static str)> {
        let mut v = vec![
            ("matter_id", "信访事项编号"),
            ("received_on", "收到信访事项的日期"),
            ("summary", "信访事项摘要"),
            ("domain", "问题分类"),
            ("issuer", "出具文书的单位"),
            ("issued_on", "出具日期"),
        ];
        if self.to_petitioner() {
            v.push(("petitioner", "信访人姓名（多人时以顿号分隔）"));
        }
        v.extend(match self {
            DocumentKind::AcceptanceNotice => {
                vec![("accepted_on", "受理日期"), ("answer_due", "答复期限")]
            }
            DocumentKind::NonAcceptanceNotice => vec![
                ("reason", "不予受理的理由"),
                ("route", "应当通过的法定途径（未导入法定途径时为空）"),
            ],
            DocumentKind::TransferSlip => {
                vec![("handler", "承办单位"), ("acceptance_due", "受理期限")]
            }
            DocumentKind::AssignmentSlip => vec![
                ("handler", "承办单位"),
                ("acceptance_due", "受理期限"),
                ("report_back_due", "报告办理结果的期限"),
            ],
            DocumentKind::ExtensionNotice => vec![
                ("days", "延长的天数"),
                ("reason", "延期理由"),
                ("answer_due", "延长后的答复期限"),
            ],
            DocumentKind::HandlingOpinion => vec![
                ("outcome", "处理结果"),
                ("opinion", "处理意见"),
                ("review_due", "申请复查的截止日期"),
            ],
            DocumentKind::ReviewOpinion | DocumentKind::ReReviewOpinion => vec![
                ("decision", "复查复核结论"),
                ("opinion", "复查复核意见"),
                ("next_due", "申请复核的截止日期（复核意见书为空）"),
            ],
            DocumentKind::SupervisionOrder => vec![
                ("handler", "被督办单位"),
                ("order", "督办单编号"),
                ("order_due", "督办期限"),
                ("note", "督办事项"),
            ],
            DocumentKind::RiskWarning | DocumentKind::AccountabilityRecommendation => {
                vec![("handler", "收函单位"), ("reason", "事由")]
            }
            DocumentKind::Receipt => vec![
                ("contact_id", "件次编号"),
                ("channel", "信访形式"),
                ("query_code", "查询码"),
                ("triage_due", "分流期限"),
            ],
        });
        v
    }

    /// The template offices start from.
    pub fn default_template(self) -> Template {
        let (prefix, addressee, body) = match self {
            DocumentKind::AcceptanceNotice => (
                "信受告",
                "{{ petitioner }}：",
                "你（你们）于{{ received_on }}提出的信访事项（编号{{ matter_id }}：{{ summary }}）已收悉。\
                 经审查，该事项属于本机关职责范围，本机关决定予以受理，并于{{ answer_due }}前出具处理意见。\
                 \n特此告知。",
            ),
            DocumentKind::NonAcceptanceNotice => (
                "信不受告",
                "{{ petitioner }}：",
                "你（你们）于{{ received_on }}提出的信访事项（编号{{ matter_id }}：{{ summary }}）已收悉。\
                 经审查，{{ reason }}，本机关决定不予受理。\
                 {% if route %}\n该事项请依法通过{{ route }}途径解决。{% endif %}\n特此告知。",
            ),
            DocumentKind::TransferSlip => (
                "信转",
                "{{ handler }}：",
                "现将{{ received_on }}收到的信访事项（编号{{ matter_id }}，{{ domain }}：{{ summary }}）转送你单位，\
                 请依法处理，并于{{ acceptance_due }}前将是否受理的决定告知信访人。\
                 信访人信息请在信访信息系统中查看。",
            ),
            DocumentKind::AssignmentSlip => (
                "信交",
                "{{ handler }}：",
                "现将{{ received_on }}收到的信访事项（编号{{ matter_id }}，{{ domain }}：{{ summary }}）交办你单位，\
                 请于{{ acceptance_due }}前决定是否受理，依法办理，并于{{ report_back_due }}前将办理结果报告本机关。\
                 信访人信息请在信访信息系统中查看。",
            ),
            DocumentKind::ExtensionNotice => (
                "信延告",
                "{{ petitioner }}：",
                "你（你们）提出的信访事项（编号{{ matter_id }}）情况复杂，{{ reason }}，\
                 经本机关负责人批准，办理期限延长{{ days }}日，将于{{ answer_due }}前出具处理意见。\n特此告知。",
            ),
            DocumentKind::HandlingOpinion => (
                "信处意",
                "{{ petitioner }}：",
                "你（你们）于{{ received_on }}提出的信访事项（编号{{ matter_id }}：{{ summary }}），本机关已依法办理。\
                 处理结果：{{ outcome }}。\n{{ opinion }}\n\
                 如对本处理意见不服，可以自收到本意见书之日起30日内（{{ review_due }}前）请求原办理机关的上一级机关复查。",
            ),
            DocumentKind::ReviewOpinion => (
                "信复查",
                "{{ petitioner }}：",
                "你（你们）对信访事项（编号{{ matter_id }}）的处理意见不服，请求复查。经复查，本机关{{ decision }}。\
                 \n{{ opinion }}\n如对本复查意见不服，可以自收到本意见书之日起30日内（{{ next_due }}前）向复查机关的上一级机关请求复核。",
            ),
            DocumentKind::ReReviewOpinion => (
                "信复核",
                "{{ petitioner }}：",
                "你（你们）对信访事项（编号{{ matter_id }}）的复查意见不服，请求复核。经复核，本机关{{ decision }}。\
                 \n{{ opinion }}\n本复核意见为终结意见。你（你们）以同一事实和理由提出的信访事项，信访工作机构和有关机关不再受理。",
            ),
            DocumentKind::SupervisionOrder => (
                "信督",
                "{{ handler }}：",
                "信访事项（编号{{ matter_id }}，{{ domain }}：{{ summary }}）办理中存在以下问题：{{ note }}。\
                 现予督办，请你单位高度重视，认真研究解决，并于{{ order_due }}前将办理情况书面报告本机关。",
            ),
            DocumentKind::RiskWarning => (
                "信警",
                "{{ handler }}：",
                "经分析，你单位承办的信访事项（编号{{ matter_id }}，{{ domain }}：{{ summary }}）反映的问题{{ reason }}。\
                 请你单位及时研判，采取有效措施解决问题，防止矛盾激化，并将处理情况报告本机关。",
            ),
            DocumentKind::AccountabilityRecommendation => (
                "信问",
                "{{ handler }}：",
                "你单位在办理信访事项（编号{{ matter_id }}，{{ domain }}：{{ summary }}）中，{{ reason }}。\
                 根据《信访工作条例》有关规定，建议对相关责任人员依规依纪依法追究责任，并将处理结果报告本机关。",
            ),
            DocumentKind::Receipt => (
                "信回执",
                "{{ petitioner }}：",
                "你（你们）于{{ received_on }}以{{ channel }}形式提出的信访事项已登记（件次编号{{ contact_id }}，\
                 事项编号{{ matter_id }}）。本机关将于{{ triage_due }}前依法作出分流处理。\
                 \n查询码：{{ query_code }}。请妥善保存，凭查询码可查询办理进展、评价办理结果。",
            ),
        };
        Template {
            prefix: prefix.into(),
            title: self.label().into(),
            addressee: addressee.into(),
            body: body.into(),
        }
    }
}

/// What an administrator edits: the 机关代字 before the number, the title, the addressee line and the body.
/// The addressee and body are minijinja text over the kind's [`DocumentKind::variables`]; a line break in
/// the body starts a new paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Template {
    pub prefix: String,
    pub title: String,
    pub addressee: String,
    pub body: String,
}

impl Template {
    /// Whether the template can be used for `kind`: it must render with the kind's variables and name no
    /// other. Checked when it is set, so issuing never fails on a template.
    pub fn check(&self, kind: DocumentKind) -> Result<(), WorkflowError> {
        let invalid =
            |field: &'static str, message: String| WorkflowError::Invalid { field, message };
        if self.title.trim().is_empty() {
            return Err(invalid("title", "文书标题不能为空".into()));
        }
        if self.body.trim().is_empty() {
            return Err(invalid("body", "文书正文不能为空".into()));
        }
        if self.prefix.chars().count() > 20 || self.prefix.contains(['〔', '〕']) {
            return Err(invalid(
                "prefix",
                "机关代字最多20个字，且不含〔〕（年份和序号由系统编排）".into(),
            ));
        }
        let sample: BTreeMap<&str, String> = kind
            .variables()
            .into_iter()
            .map(|(name, _)| (name, format!("〈{name}〉")))
            .collect();
        for (field, text) in [
            ("title", &self.title),
            ("addressee", &self.addressee),
            ("body", &self.body),
        ] {
            fill(text, &sample).map_err(|e| {
                invalid(
                    field,
                    format!(
                        "模板无法使用：{e}。可用的变量：{}",
                        kind.variables()
                            .iter()
                            .map(|(n, d)| format!("{n}（{d}）"))
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                )
            })?;
        }
        Ok(())
    }
}

/// `text` with the variables put in. Strict: a variable the kind does not have is an error, not a blank.
fn fill(text: &str, vars: &BTreeMap<&str, String>) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // Documents are plain text: nothing is escaped.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.render_str(text, vars).map_err(|e| {
        let mut message = e.kind().to_string();
        if let Some(detail) = e.detail() {
            message.push('：');
            message.push_str(detail);
        }
        message
    })
}

/// 〔2026〕12号, after the 机关代字.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentNumber {
    pub prefix: String,
    pub year: i32,
    /// 1 for a unit's first document of its kind in the year; assigned by the store.
    pub serial: u32,
}

impl std::fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}〔{}〕{}号", self.prefix, self.year, self.serial)
    }
}

/// A document as issued: its text is fixed when it is issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedDocument {
    pub kind: DocumentKind,
    pub number: DocumentNumber,
    pub issued_by: UnitId,
    pub issuer_name: String,
    pub issued_on: NaiveDate,
    pub title: String,
    pub addressee: String,
    pub paragraphs: Vec<String>,
    /// The names written into it (for masking when someone without the right to see them reads it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub petitioner_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_code: Option<String>,
    /// The supervision order or contact the document is about, for the kinds that need one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
}

/// What someone asks to issue. `petitioner_names` and `query_code` are the server's to fill: the names from
/// the matter's contact records, the code freshly drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentRequest {
    pub kind: DocumentKind,
    /// The supervision order (督办单) or the contact (回执) it is about.
    #[serde(default)]
    pub about: Option<String>,
    /// The 事由 of a 风险警示函 or 问责建议函.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub petitioner_names: Vec<String>,
    #[serde(default)]
    pub query_code: Option<String>,
}

/// "2026年3月5日", as documents write dates.
pub fn date_text(day: NaiveDate) -> String {
    format!("{}年{}月{}日", day.year(), day.month(), day.day())
}

/// The document `req` asks for, filled from the matter as it stands, or why it cannot be issued now or by
/// this user. Its serial is 0: the store assigns it.
pub fn draft(
    m: &Matter,
    req: &DocumentRequest,
    ctx: &Ctx<'_>,
) -> Result<IssuedDocument, WorkflowError> {
    let kind = req.kind;
    let action = kind.label();
    let me = &ctx.principal.unit;
    let today = china_date(ctx.at);
    let not_yet = |what: &str| WorkflowError::Invalid {
        field: "kind",
        message: format!("{what}，不能出具{action}"),
    };
    let unit_name = |id: &UnitId| {
        ctx.org
            .unit(id)
            .map_or_else(|| id.to_string(), |u| u.name.clone())
    };
    let issuer_must_be = |unit: Option<&UnitId>, capacity: &'static str| {
        if unit == Some(me) {
            Ok(())
        } else {
            Err(WorkflowError::WrongUnit { capacity, action })
        }
    };
    let staff = [
        Role::Registrar,
        Role::Dispatcher,
        Role::Handler,
        Role::Supervisor,
        Role::Leader,
    ];
    // A petitioner filing online gets the receipt of their own contact, as a visitor gets it at the desk.
    let receipt = [Role::Registrar, Role::Petitioner];
    let required = match kind {
        DocumentKind::RiskWarning
        | DocumentKind::AccountabilityRecommendation
        | DocumentKind::SupervisionOrder => &[Role::Supervisor, Role::Leader][..],
        DocumentKind::Receipt if ctx.principal.has(Role::Petitioner) => &receipt[..],
        _ => &staff[..],
    };
    if !required.iter().any(|r| ctx.principal.roles.contains(r)) {
        return Err(WorkflowError::MissingRole {
            action,
            role: required[0],
        });
    }

    let mut vars: BTreeMap<&str, String> = BTreeMap::new();
    vars.insert("matter_id", m.id.to_string());
    vars.insert("received_on", date_text(m.received_on));
    vars.insert("summary", m.summary.clone());
    vars.insert("domain", m.domain.to_string());
    vars.insert("issuer", unit_name(me));
    vars.insert("issued_on", date_text(today));
    let names = req.petitioner_names.join("、");
    if kind.to_petitioner() {
        vars.insert(
            "petitioner",
            if names.is_empty() {
                "信访人".into()
            } else {
                names
            },
        );
    }
    let handler = m.handler.as_ref();
    let mut about = None;
    let mut query_code = None;
    match kind {
        DocumentKind::AcceptanceNotice => {
            let accepted = m.accepted_on.ok_or_else(|| not_yet("该事项尚未受理"))?;
            issuer_must_be(handler, "承办单位")?;
            vars.insert("accepted_on", date_text(accepted));
            vars.insert(
                "answer_due",
                m.answer_due.map(date_text).unwrap_or_default(),
            );
        }
        DocumentKind::NonAcceptanceNotice => {
            let closure = m
                .closure
                .as_ref()
                .ok_or_else(|| not_yet("该事项没有不予受理的决定"))?;
            issuer_must_be(Some(&closure.by), "作出不予受理决定的单位")?;
            vars.insert("reason", closure.reason.clone());
            vars.insert(
                "route",
                closure
                    .route
                    .map(|r| r.label().to_owned())
                    .unwrap_or_default(),
            );
        }
        DocumentKind::TransferSlip | DocumentKind::AssignmentSlip => {
            let to = handler.ok_or_else(|| not_yet("该事项尚未转送或交办"))?;
            if to == &m.bureau {
                return Err(not_yet("该事项由信访部门直接受理"));
            }
            issuer_must_be(Some(&m.bureau), "负责分流的信访部门")?;
            let assigned = m.report_back_due.is_some();
            if assigned != (kind == DocumentKind::AssignmentSlip) {
                return Err(not_yet(if assigned {
                    "该事项是交办而非转送"
                } else {
                    "该事项是转送而非交办"
                }));
            }
            vars.insert("handler", unit_name(to));
            vars.insert(
                "acceptance_due",
                m.acceptance_due.map(date_text).unwrap_or_default(),
            );
            if let Some(due) = m.report_back_due {
                vars.insert("report_back_due", date_text(due));
            }
        }
        DocumentKind::ExtensionNotice => {
            let ext = m
                .extension
                .as_ref()
                .filter(|e| e.state == ExtensionState::Approved)
                .ok_or_else(|| not_yet("该事项没有获批的延期"))?;
            issuer_must_be(handler, "承办单位")?;
            vars.insert("days", ext.days.to_string());
            vars.insert("reason", ext.reason.clone());
            vars.insert(
                "answer_due",
                m.answer_due.map(date_text).unwrap_or_default(),
            );
        }
        DocumentKind::HandlingOpinion => {
            let answer = m
                .answer
                .as_ref()
                .ok_or_else(|| not_yet("该事项尚未出具处理意见"))?;
            issuer_must_be(Some(&answer.by), "出具处理意见的单位")?;
            vars.insert("outcome", answer.outcome.label().into());
            vars.insert("opinion", answer.opinion.clone());
            vars.insert(
                "review_due",
                m.review_request_due.map(date_text).unwrap_or_default(),
            );
        }
        DocumentKind::ReviewOpinion | DocumentKind::ReReviewOpinion => {
            let stage = if kind == DocumentKind::ReviewOpinion {
                ReviewStage::Review
            } else {
                ReviewStage::ReReview
            };
            let review = m
                .reviews
                .iter()
                .rev()
                .find(|r| r.stage == stage && r.decision.is_some())
                .ok_or_else(|| not_yet(&format!("该事项尚无{}意见", stage.label())))?;
            issuer_must_be(Some(&review.authority), "复查复核机关")?;
            vars.insert(
                "decision",
                review
                    .decision
                    .map(|d| d.label().to_owned())
                    .unwrap_or_default(),
            );
            vars.insert("opinion", review.opinion.clone().unwrap_or_default());
            let next_due = match stage {
                ReviewStage::Review => m.review_request_due.map(date_text).unwrap_or_default(),
                ReviewStage::ReReview => String::new(),
            };
            vars.insert("next_due", next_due);
        }
        DocumentKind::SupervisionOrder => {
            let id = req.about.as_deref().ok_or_else(|| WorkflowError::Invalid {
                field: "about",
                message: "请指明督办单编号".into(),
            })?;
            let order = m
                .supervision
                .iter()
                .find(|o| o.id.as_str() == id)
                .ok_or_else(|| WorkflowError::Invalid {
                    field: "about",
                    message: format!("该事项没有编号为 {id} 的督办"),
                })?;
            issuer_must_be(Some(&order.issued_by), "督办单位")?;
            vars.insert("handler", unit_name(&order.to));
            vars.insert("order", order.id.to_string());
            vars.insert("order_due", date_text(order.due));
            vars.insert("note", order.note.clone());
            about = Some(order.id.to_string());
        }
        DocumentKind::RiskWarning | DocumentKind::AccountabilityRecommendation => {
            let to = handler
                .filter(|h| *h != me)
                .ok_or_else(|| not_yet("该事项没有其他承办单位"))?;
            // The bureau of the handler's region or one above it: the one that counts its figures.
            let covers = match (ctx.org.unit(me), ctx.org.unit(to)) {
                (Some(bureau), Some(unit)) => {
                    bureau.kind == UnitKind::PetitionBureau && unit.region.is_within(&bureau.region)
                }
                _ => false,
            };
            if !covers {
                return Err(WorkflowError::WrongUnit {
                    capacity: "承办单位所在地区或上级的信访部门",
                    action,
                });
            }
            let reason = req
                .reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .ok_or_else(|| WorkflowError::Invalid {
                    field: "reason",
                    message: format!("请写明{action}的事由"),
                })?;
            vars.insert("handler", unit_name(to));
            vars.insert("reason", reason.to_owned());
        }
        DocumentKind::Receipt => {
            let id = req.about.as_deref().ok_or_else(|| WorkflowError::Invalid {
                field: "about",
                message: "请指明件次编号".into(),
            })?;
            let contact = m
                .contacts
                .iter()
                .find(|c| c.id.as_str() == id)
                .ok_or_else(|| WorkflowError::Invalid {
                    field: "about",
                    message: format!("该事项没有编号为 {id} 的件次"),
                })?;
            issuer_must_be(Some(&contact.registered_by), "登记该件次的单位")?;
            let code = req
                .query_code
                .clone()
                .ok_or_else(|| WorkflowError::Invalid {
                    field: "query_code",
                    message: "回执需要查询码".into(),
                })?;
            vars.insert("contact_id", contact.id.to_string());
            vars.insert("received_on", date_text(china_date(contact.received_at)));
            vars.insert("channel", contact.channel.label().into());
            vars.insert("query_code", code.clone());
            vars.insert("triage_due", date_text(m.triage_due));
            about = Some(contact.id.to_string());
            query_code = Some(code);
        }
    }

    let template = ctx.org.template(me, kind);
    let render = |field: &'static str, text: &str| {
        fill(text, &vars).map_err(|e| WorkflowError::Invalid {
            field,
            message: format!("文书模板无法使用：{e}"),
        })
    };
    let body = render("body", &template.body)?;
    Ok(IssuedDocument {
        kind,
        number: DocumentNumber {
            prefix: template.prefix.clone(),
            year: today.year(),
            serial: 0,
        },
        issued_by: me.clone(),
        issuer_name: unit_name(me),
        issued_on: today,
        title: render("title", &template.title)?,
        addressee: render("addressee", &template.addressee)?,
        paragraphs: body
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        petitioner_names: if kind.to_petitioner() {
            req.petitioner_names.clone()
        } else {
            Vec::new()
        },
        query_code,
        about,
    })
}
