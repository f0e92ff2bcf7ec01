//! From the JSON form of a row to what the ledger needs, with a Chinese reason and the field at fault
//! for anything that does not parse. The domain's own checks (regions, units, text limits, the workflow's
//! guards) come later, when the row is written.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};
use xinfang_domain::catalog::{Channel, DomainPath, Purpose, code};
use xinfang_domain::ids::{ContactId, IdNumber, MatterId, Phone, RegionCode, UnitId};
use xinfang_domain::petition::{
    Attachment, ContactDraft, ContactRelation, DeclaredFlags, Location, Petitioner, Target,
};
use xinfang_domain::workflow::{Command, Filing, Role};

use crate::columns::FLAG_KEYS;

/// Why a row was not imported: the field at fault (a JSON path such as `petitioners[0].id_number` or
/// `events[2]`) and the reason in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub field: Option<String>,
    pub reason: String,
}

fn reject(field: impl Into<String>, reason: impl Into<String>) -> Rejection {
    Rejection {
        field: Some(field.into()),
        reason: reason.into(),
    }
}

/// One historical event of a row's matter.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportEvent {
    pub at: DateTime<Utc>,
    pub unit: UnitId,
    /// An evaluation entered by staff for the petitioner (代评).
    pub proxy: bool,
    pub command: Command,
}

/// One parsed row: a contact, where it is filed, and the events that followed it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub draft: ContactDraft,
    pub registered_by: UnitId,
    pub registered_at: DateTime<Utc>,
    pub filing: Filing,
    pub events: Vec<ImportEvent>,
}

impl ImportRow {
    pub fn source_id(&self) -> &ContactId {
        &self.draft.id
    }
}

const KNOWN_KEYS: &[&str] = &[
    "source_id",
    "matter",
    "relation",
    "channel",
    "received_at",
    "registered_by",
    "registered_at",
    "petitioners",
    "person_count",
    "location",
    "target",
    "purpose",
    "domain",
    "summary",
    "full_text",
    "demands",
    "attachments",
    "flags",
    "events",
    "identity",
];

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// RFC 3339 with an offset, or a local date and time in Beijing time (`2025-03-03 09:00[:00]`,
/// `2025/3/3 9:00`, or a date alone, meaning midnight).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        ["%Y-%m-%d", "%Y/%m/%d"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    beijing()
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Fields<'a> {
    fn new(map: &'a Map<String, Value>, prefix: &str) -> Self {
        Self {
            map,
            prefix: prefix.to_owned(),
        }
    }

    fn path(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// A value as text: strings as they are, numbers written out (spreadsheets turn codes into numbers).
    fn text(&self, key: &str) -> Result<Option<String>, Rejection> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(reject(self.path(key), format!("「{key}」应为文本"))),
        }
    }

    /// Free text kept exactly as written (only an all-blank value counts as absent).
    fn raw(&self, key: &str) -> Result<String, Rejection> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(reject(self.path(key), format!("「{key}」应为文本"))),
        }
    }

    fn required(&self, key: &str, label: &str) -> Result<String, Rejection> {
        self.text(key)?.ok_or_else(|| {
            reject(
                self.path(key),
                format!("缺少必填字段「{label}」（{}）", self.path(key)),
            )
        })
    }

    fn parsed<T, E: std::fmt::Display>(
        &self,
        key: &str,
        label: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, Rejection> {
        let s = self.required(key, label)?;
        parse(&s).map_err(|e| reject(self.path(key), format!("{label}「{s}」无效：{e}")))
    }

    fn time(&self, key: &str, label: &str) -> Result<Option<DateTime<Utc>>, Rejection> {
        match self.text(key)? {
            None => Ok(None),
            Some(s) => parse_time(&s).map(Some).ok_or_else(|| {
                reject(
                    self.path(key),
                    format!("{label}「{s}」不是可识别的时间（应如 2025-03-03 09:00 或 RFC 3339）"),
                )
            }),
        }
    }

    fn boolean(&self, key: &str) -> Result<bool, Rejection> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(false),
            Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(true),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "" | "否" | "false" | "0" | "n" | "no" => Ok(false),
                "是" | "true" | "1" | "y" | "yes" => Ok(true),
                _ => Err(reject(
                    self.path(key),
                    format!("「{key}」应为「是」或「否」"),
                )),
            },
            Some(_) => Err(reject(
                self.path(key),
                format!("「{key}」应为「是」或「否」"),
            )),
        }
    }
}

fn by_code_or_label<T: Copy + serde::Serialize>(
    all: &[T],
    label: impl Fn(T) -> &'static str,
    s: &str,
) -> Option<T> {
    all.iter()
        .copied()
        .find(|v| code(v) == s.to_ascii_lowercase() || label(*v) == s)
}

fn relation_of(s: &str) -> Option<ContactRelation> {
    match s {
        "first" | "初次" | "初信初访" => Some(ContactRelation::First),
        "repeat" | "重复" | "重复信访" => Some(ContactRelation::Repeat),
        "multi_submission" | "一信多投" => Some(ContactRelation::MultiSubmission),
        _ => None,
    }
}

fn domain_of(v: &Value) -> Option<DomainPath> {
    match v {
        Value::String(s) => {
            let mut parts = s.splitn(2, ['/', '／']).map(str::trim);
            let first = parts.next().filter(|f| !f.is_empty())?;
            let second = parts.next().filter(|s| !s.is_empty());
            Some(DomainPath::new(first, second))
        }
        Value::Object(_) => serde_json::from_value(v.clone()).ok(),
        _ => None,
    }
}

fn petitioner(v: &Value, i: usize) -> Result<Petitioner, Rejection> {
    let prefix = format!("petitioners[{i}].");
    let Value::Object(map) = v else {
        return Err(reject(format!("petitioners[{i}]"), "信访人应为对象"));
    };
    let f = Fields::new(map, &prefix);
    let name = f.required("name", "信访人姓名")?;
    let id_number = match f.text("id_number")? {
        None => None,
        Some(_) => Some(f.parsed("id_number", "身份证号码", IdNumber::parse)?),
    };
    let phone = match f.text("phone")? {
        None => None,
        Some(_) => Some(f.parsed("phone", "联系电话", Phone::parse)?),
    };
    Ok(Petitioner {
        name,
        id_number,
        phone,
        address: f.raw("address")?,
    })
}

/// The staff roles an act needed; a petitioner's own evaluation or review request needs the petitioner.
pub fn roles_for(event: &ImportEvent) -> Vec<Role> {
    let role = match &event.command {
        Command::Register { .. } | Command::ReviewLink { .. } | Command::IssueDocument { .. } => {
            Role::Registrar
        }
        Command::Triage { .. } | Command::AddCoHandler { .. } => Role::Dispatcher,
        Command::ReturnToBureau { .. }
        | Command::Accept { .. }
        | Command::DeclineAcceptance { .. }
        | Command::RequestExtension { .. }
        | Command::Answer { .. }
        | Command::HoldHearing { .. }
        | Command::AnswerReview { .. }
        | Command::Resolve { .. } => Role::Handler,
        Command::DecideExtension { .. } | Command::AssignLeader { .. } => Role::Leader,
        Command::IssueSupervision { .. }
        | Command::CloseSupervision { .. }
        | Command::Remind { .. } => Role::Supervisor,
        Command::Evaluate { .. } if event.proxy => Role::Registrar,
        Command::Evaluate { .. } | Command::RequestReview { .. } => Role::Petitioner,
    };
    vec![role]
}

fn event(v: &Value, i: usize, matter: &MatterId) -> Result<ImportEvent, Rejection> {
    let path = format!("events[{i}]");
    let Value::Object(map) = v else {
        return Err(reject(path, "办理记录应为对象"));
    };
    let f = Fields::new(map, &format!("{path}."));
    let at = f.time("at", "办理时间")?.ok_or_else(|| {
        reject(
            f.path("at"),
            format!("第{}条办理记录缺少办理时间（at）", i + 1),
        )
    })?;
    let unit = f.parsed("unit", "办理单位", UnitId::parse)?;
    let proxy = f.boolean("proxy")?;
    let mut command = map.clone();
    command.remove("at");
    command.remove("unit");
    command.remove("proxy");
    if command.get("action").and_then(Value::as_str) == Some("register") {
        return Err(reject(
            f.path("action"),
            "办理记录中不能再次登记：另一个件次应单独成行",
        ));
    }
    // The row names the matter; an event cannot point elsewhere.
    command.insert("matter".into(), Value::String(matter.to_string()));
    let command: Command = serde_json::from_value(Value::Object(command)).map_err(|e| {
        reject(
            path.clone(),
            format!("第{}条办理记录格式不正确：{e}", i + 1),
        )
    })?;
    Ok(ImportEvent {
        at,
        unit,
        proxy,
        command,
    })
}

/// Parse the JSON form of one row.
pub fn parse_row(map: &Map<String, Value>) -> Result<ImportRow, Rejection> {
    if let Some(unknown) = map.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
        return Err(reject(unknown.clone(), format!("未知字段「{unknown}」")));
    }
    let f = Fields::new(map, "");
    if let Some(identity) = f.text("identity")?
        && identity != "full"
    {
        return Err(reject(
            "identity",
            "该行来自脱敏或隐去身份的导出，不能作为原始数据导入",
        ));
    }
    let id = f.parsed("source_id", "来源编号", ContactId::parse)?;
    let channel = f.parsed("channel", "信访形式", |s| {
        by_code_or_label(&Channel::ALL, Channel::label, s).ok_or("不是可识别的信访形式")
    })?;
    let received_at = f
        .time("received_at", "收到时间")?
        .ok_or_else(|| reject("received_at", "缺少必填字段「收到时间」（received_at）"))?;
    let registered_by = f.parsed("registered_by", "登记单位", UnitId::parse)?;
    let registered_at = f.time("registered_at", "登记时间")?.unwrap_or(received_at);
    let purpose = f.parsed("purpose", "信访目的", |s| {
        by_code_or_label(&Purpose::ALL, Purpose::label, s).ok_or("不是可识别的信访目的")
    })?;
    let domain = match map.get("domain") {
        None | Some(Value::Null) => {
            return Err(reject("domain", "缺少必填字段「内容分类」（domain）"));
        }
        Some(v) => domain_of(v).ok_or_else(|| {
            reject(
                "domain",
                "内容分类应写作「一级分类/二级分类」或「一级分类」",
            )
        })?,
    };
    f.required("summary", "摘要")?;
    let summary = f.raw("summary")?;
    let petitioners = match map.get("petitioners") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, p)| petitioner(p, i))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(reject("petitioners", "信访人应为数组")),
    };
    let person_count = match f.text("person_count")? {
        None => (petitioners.len() as u32).max(1),
        Some(s) => s
            .parse::<u32>()
            .map_err(|_| reject("person_count", format!("人数「{s}」应为正整数")))?,
    };
    let location = match map.get("location") {
        Some(Value::Object(loc)) => {
            let l = Fields::new(loc, "location.");
            Location {
                region: l.parsed("region", "问题发生地区划代码", RegionCode::parse)?,
                address: l.raw("address")?,
            }
        }
        None | Some(Value::Null) => {
            return Err(reject(
                "location.region",
                "缺少必填字段「问题发生地区划代码」（location.region）",
            ));
        }
        Some(_) => return Err(reject("location", "问题发生地应为对象")),
    };
    let target = match map.get("target") {
        None | Some(Value::Null) => None,
        Some(Value::Object(t)) => {
            let t = Fields::new(t, "target.");
            Some(Target {
                name: t.required("name", "反映对象")?,
                unit: match t.text("unit")? {
                    None => None,
                    Some(_) => Some(t.parsed("unit", "反映对象单位编号", UnitId::parse)?),
                },
            })
        }
        Some(_) => return Err(reject("target", "反映对象应为对象")),
    };
    let attachments: Vec<Attachment> = match map.get("attachments") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| reject("attachments", format!("附件信息格式不正确：{e}")))?,
    };
    let flags = match map.get("flags") {
        None | Some(Value::Null) => DeclaredFlags::default(),
        Some(Value::Object(fl)) => {
            if let Some(k) = fl.keys().find(|k| !FLAG_KEYS.contains(&k.as_str())) {
                return Err(reject(format!("flags.{k}"), format!("未知标记「{k}」")));
            }
            let fl = Fields::new(fl, "flags.");
            DeclaredFlags {
                skip_level: fl.boolean("skip_level")?,
                national: fl.boolean("national")?,
                provincial: fl.boolean("provincial")?,
                joint: fl.boolean("joint")?,
                consent_publication: fl.boolean("consent_publication")?,
                urgent: fl.boolean("urgent")?,
            }
        }
        Some(_) => return Err(reject("flags", "标记应为对象")),
    };
    let relation = match f.text("relation")? {
        None => ContactRelation::First,
        Some(s) => relation_of(&s).ok_or_else(|| {
            reject(
                "relation",
                format!("件次关系「{s}」应为 first（初信初访）、repeat（重复信访）或 multi_submission（一信多投）"),
            )
        })?,
    };
    let matter = match f.text("matter")? {
        None => None,
        Some(_) => Some(f.parsed("matter", "事项编号", MatterId::parse)?),
    };
    let filing = match (relation, matter) {
        (ContactRelation::First, Some(matter)) => Filing::NewMatter { matter },
        // A new matter without an id takes the source id, so a second import finds the same matter.
        (ContactRelation::First, None) => Filing::NewMatter {
            matter: MatterId::parse(id.as_str()).map_err(|e| reject("source_id", e.to_string()))?,
        },
        (relation, Some(matter)) => Filing::Existing { matter, relation },
        (_, None) => {
            return Err(reject(
                "matter",
                "重复信访或一信多投的件次应填写所关联的事项编号",
            ));
        }
    };
    let matter_id = match &filing {
        Filing::NewMatter { matter } | Filing::Existing { matter, .. } => matter.clone(),
    };
    let events = match map.get("events") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, e)| event(e, i, &matter_id))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(reject("events", "办理记录应为数组")),
    };
    Ok(ImportRow {
        draft: ContactDraft {
            id,
            channel,
            received_at,
            petitioners,
            person_count,
            location,
            target,
            purpose,
            domain,
            summary,
            full_text: f.raw("full_text")?,
            demands: f.raw("demands")?,
            attachments,
            flags,
        },
        registered_by,
        registered_at,
        filing,
        events,
    })
}
