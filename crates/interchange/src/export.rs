//! The export: every matter's contacts as rows of the import format, with the events that followed each
//! contact, read from the event log. With a viewer, only the matters they may see, and petitioners'
//! identities as the access rules allow them (full, masked or hidden).

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet};
use serde::Serialize;
use serde_json::Value;
use xinfang_domain::access::{self, IdentityView, mask_name};
use xinfang_domain::catalog::{Channel, DomainPath, Purpose};
use xinfang_domain::ids::{ContactId, MatterId, UnitId};
use xinfang_domain::org::Org;
use xinfang_domain::petition::{
    Attachment, Contact, ContactRelation, DeclaredFlags, Location, Petitioner, Target,
};
use xinfang_domain::workflow::{Triage, china_date};
use xinfang_domain::{Command, EventBody, Matter, Principal, Status, StoredEvent};
use xinfang_store::Ledger;

use crate::columns::{COLUMNS, value_to_flat};

/// Matters read per page of the export.
const PAGE: i64 = 500;
/// Excel's limit per cell; longer text is cut in XLSX (JSON Lines keeps it whole).
const XLSX_CELL_CHARS: usize = 32_000;
const XLSX_MAX_ROWS: u32 = 1_048_576;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Jsonl,
    Xlsx,
}

impl ExportFormat {
    pub fn from_name(name: &str) -> Option<ExportFormat> {
        match name.trim().to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json" => Some(ExportFormat::Jsonl),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }

    pub fn from_path(path: &std::path::Path) -> Option<ExportFormat> {
        ExportFormat::from_name(path.extension()?.to_str()?)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] xinfang_store::StoreError),
    #[error("写出失败：{0}")]
    Io(#[from] std::io::Error),
    #[error("生成XLSX失败：{0}")]
    Xlsx(String),
    #[error("导出行数超过XLSX的上限（1,048,576 行），请改用 JSON Lines 格式")]
    TooManyRows,
    #[error("第 {seq} 号事件无法解析：{reason}")]
    Corrupt { seq: i64, reason: String },
}

impl From<rust_xlsxwriter::XlsxError> for ExportError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        ExportError::Xlsx(e.to_string())
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub matters: usize,
    pub contacts: usize,
    /// Matters whose petitioners' identities went to a viewer in full: to be recorded in the audit
    /// trail. Empty for an export without a viewer (the operator's, which has the database anyway).
    pub full_identity: Vec<String>,
}

/// One row as exported: the import format, in reading order.
#[derive(Serialize)]
struct ExportRow<'a> {
    source_id: &'a ContactId,
    matter: &'a MatterId,
    relation: ContactRelation,
    channel: Channel,
    received_at: DateTime<Utc>,
    registered_by: &'a UnitId,
    registered_at: DateTime<Utc>,
    petitioners: Vec<Value>,
    person_count: u32,
    location: &'a Location,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a Target>,
    purpose: Purpose,
    domain: &'a DomainPath,
    summary: &'a str,
    full_text: &'a str,
    demands: &'a str,
    attachments: &'a [Attachment],
    flags: &'a DeclaredFlags,
    events: &'a [Value],
    /// `masked` or `hidden` when identities were not exported in full; such rows cannot be imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<&'static str>,
}

/// A contact and the events of its matter that followed it, up to the next contact.
struct ContactEvents {
    contact: Contact,
    events: Vec<Value>,
}

fn corrupt(seq: i64, reason: impl ToString) -> ExportError {
    ExportError::Corrupt {
        seq,
        reason: reason.to_string(),
    }
}

/// The command that, given by the event's unit at the event's time, would produce `body` again.
fn command_of(before: &Matter, body: &EventBody, at: DateTime<Utc>) -> Option<(Command, bool)> {
    let today = china_date(at);
    let days_until = |d: &NaiveDate| u32::try_from((*d - today).num_days()).unwrap_or(0);
    let matter = before.id.clone();
    let command = match body.clone() {
        EventBody::Transferred {
            to,
            co_handlers,
            report_back_due,
            ..
        } => Command::Triage {
            matter,
            triage: match report_back_due {
                None => Triage::Transfer { to, co_handlers },
                Some(d) => Triage::Assign {
                    to,
                    co_handlers,
                    report_back_days: Some(days_until(&d)),
                },
            },
        },
        EventBody::AcceptedDirectly { .. } => Command::Triage {
            matter,
            triage: Triage::AcceptDirectly,
        },
        EventBody::NotAccepted { reason, .. } if before.status == Status::AwaitingTriage => {
            Command::Triage {
                matter,
                triage: Triage::Reject { reason },
            }
        }
        EventBody::NotAccepted { reason, .. } => Command::DeclineAcceptance { matter, reason },
        EventBody::RedirectedToLegal { route, reason, .. } => Command::Triage {
            matter,
            triage: Triage::RedirectToLegal { route, reason },
        },
        EventBody::ReturnedToBureau { reason, .. } => Command::ReturnToBureau { matter, reason },
        EventBody::Accepted { .. } => Command::Accept { matter },
        EventBody::ExtensionRequested { days, reason, .. } => Command::RequestExtension {
            matter,
            days,
            reason,
        },
        EventBody::ExtensionDecided { approved, note, .. } => Command::DecideExtension {
            matter,
            approve: approved,
            note,
        },
        EventBody::Answered {
            outcome, opinion, ..
        } => Command::Answer {
            matter,
            outcome,
            opinion,
        },
        EventBody::Evaluated {
            target,
            rating,
            proxy,
            ..
        } => {
            return Some((
                Command::Evaluate {
                    matter,
                    target,
                    rating,
                },
                proxy,
            ));
        }
        EventBody::ReviewRequested { authority, .. } => {
            Command::RequestReview { matter, authority }
        }
        EventBody::HearingHeld { days, .. } => Command::HoldHearing { matter, days },
        EventBody::ReviewAnswered {
            decision, opinion, ..
        } => Command::AnswerReview {
            matter,
            decision,
            opinion,
        },
        EventBody::Resolved { note, .. } => Command::Resolve { matter, note },
        EventBody::SupervisionIssued {
            order, due, note, ..
        } => Command::IssueSupervision {
            matter,
            order,
            days: days_until(&due),
            note,
        },
        EventBody::SupervisionClosed { order, note, .. } => Command::CloseSupervision {
            matter,
            order,
            note,
        },
        EventBody::Reminded { note, .. } => Command::Remind { matter, note },
        EventBody::LeaderAssigned {
            leader, team, plan, ..
        } => Command::AssignLeader {
            matter,
            leader,
            team,
            plan,
        },
        EventBody::CoHandlerAdded { unit, .. } => Command::AddCoHandler { matter, unit },
        EventBody::LinkReviewed {
            contact, decision, ..
        } => Command::ReviewLink {
            matter,
            contact,
            decision,
        },
        EventBody::MatterOpened { .. }
        | EventBody::ContactRegistered { .. }
        | EventBody::RegionDefined(_)
        | EventBody::UnitCreated(_)
        | EventBody::UnitUpdated { .. }
        | EventBody::UserCreated(_)
        | EventBody::UserRolesSet { .. }
        | EventBody::UserActiveSet { .. }
        | EventBody::PasswordSet { .. }
        | EventBody::TemplateSet { .. } => return None,
        // A document's number belongs to the office that issued it: importing elsewhere must not issue it
        // again under that office's next number. Its text stays in the source's log.
        EventBody::DocumentIssued { .. } => return None,
    };
    Some((command, false))
}

fn event_value(command: &Command, proxy: bool, e: &StoredEvent) -> Value {
    let mut v = serde_json::to_value(command).expect("commands serialize");
    if let Value::Object(map) = &mut v {
        map.remove("matter");
        map.insert(
            "at".into(),
            serde_json::to_value(e.at).expect("times serialize"),
        );
        map.insert("unit".into(), Value::String(e.actor.unit.to_string()));
        if proxy {
            map.insert("proxy".into(), Value::Bool(true));
        }
    }
    v
}

/// Fold a matter's events, splitting them into its contacts with the events that followed each.
fn fold(events: &[StoredEvent]) -> Result<Option<(Matter, Vec<ContactEvents>)>, ExportError> {
    let mut matter: Option<Matter> = None;
    let mut rows: Vec<ContactEvents> = Vec::new();
    for e in events {
        let body = e.body().map_err(|err| corrupt(e.seq, err))?;
        let Some(m) = &mut matter else {
            matter = Matter::open(&body, e.at);
            continue;
        };
        match &body {
            EventBody::ContactRegistered { contact } => rows.push(ContactEvents {
                contact: (**contact).clone(),
                events: Vec::new(),
            }),
            other => {
                if let (Some((command, proxy)), Some(last)) =
                    (command_of(m, other, e.at), rows.last_mut())
                {
                    last.events.push(event_value(&command, proxy, e));
                }
            }
        }
        m.apply(&body, e.at, &e.actor);
    }
    Ok(matter.map(|m| (m, rows)))
}

fn petitioner_value(p: &Petitioner, view: IdentityView) -> Value {
    match view {
        IdentityView::Full => serde_json::to_value(p).expect("petitioners serialize"),
        _ => {
            let mut map = serde_json::Map::new();
            map.insert("name".into(), Value::String(mask_name(&p.name)));
            if let Some(id) = &p.id_number {
                map.insert("id_number".into(), Value::String(id.masked()));
            }
            if let Some(phone) = &p.phone {
                map.insert("phone".into(), Value::String(phone.masked()));
            }
            if !p.address.is_empty() {
                map.insert(
                    "address".into(),
                    Value::String(access::mask_address(&p.address)),
                );
            }
            Value::Object(map)
        }
    }
}

fn row_value(c: &ContactEvents, view: IdentityView) -> Value {
    let d = &c.contact.draft;
    let hidden = view == IdentityView::Hidden;
    let row = ExportRow {
        source_id: &d.id,
        matter: &c.contact.matter,
        relation: c.contact.relation,
        channel: d.channel,
        received_at: d.received_at,
        registered_by: &c.contact.registered_by,
        registered_at: c.contact.registered_at,
        petitioners: if hidden {
            Vec::new()
        } else {
            d.petitioners
                .iter()
                .map(|p| petitioner_value(p, view))
                .collect()
        },
        person_count: d.person_count,
        location: &d.location,
        target: d.target.as_ref(),
        purpose: d.purpose,
        domain: &d.domain,
        summary: &d.summary,
        // The letter itself and its scans identify the writer as surely as a name does.
        full_text: if hidden { "" } else { &d.full_text },
        demands: &d.demands,
        attachments: if hidden { &[] } else { &d.attachments },
        flags: &d.flags,
        events: &c.events,
        identity: match view {
            IdentityView::Full => None,
            IdentityView::Masked => Some("masked"),
            IdentityView::Hidden => Some("hidden"),
        },
    };
    serde_json::to_value(&row).expect("rows serialize")
}

/// Walk every matter the viewer may see, page by page, handing each with its rows to `each`.
async fn walk(
    ledger: &Ledger,
    viewer: Option<&Principal>,
    mut each: impl FnMut(&Matter, Vec<Value>, &Org) -> Result<(), ExportError>,
) -> Result<ExportSummary, ExportError> {
    let org = ledger.org().await?;
    let store = ledger.store();
    let mut summary = ExportSummary::default();
    let mut after: Option<MatterId> = None;
    loop {
        let ids = store.matter_ids_after(after.as_ref(), PAGE).await?;
        let Some(last) = ids.last() else { break };
        after = Some(last.clone());
        let mut by_matter: HashMap<String, Vec<StoredEvent>> = HashMap::new();
        for e in store.events_of_matters(&ids).await? {
            let body = e.body().map_err(|err| corrupt(e.seq, err))?;
            if let Some(m) = body.matter() {
                by_matter.entry(m.to_string()).or_default().push(e);
            }
        }
        for id in &ids {
            let events = by_matter.remove(id.as_str()).unwrap_or_default();
            let Some((matter, contacts)) = fold(&events)? else {
                continue;
            };
            let view = match viewer {
                None => IdentityView::Full,
                Some(p) if !access::can_see(p, &matter, &org) => continue,
                Some(p) => access::identity_view(p, &matter, &org),
            };
            if viewer.is_some()
                && view == IdentityView::Full
                && contacts
                    .iter()
                    .any(|c| !c.contact.draft.petitioners.is_empty())
            {
                summary.full_identity.push(matter.id.to_string());
            }
            summary.matters += 1;
            summary.contacts += contacts.len();
            let rows: Vec<Value> = contacts.iter().map(|c| row_value(c, view)).collect();
            if view == IdentityView::Full {
                each(&matter, rows, &org)?;
                continue;
            }
            // Names, ID numbers and phones also turn up in summaries, demands and opinions: mask or
            // hide them wherever they are, as the API does.
            let everyone: Vec<Petitioner> = contacts
                .iter()
                .flat_map(|c| c.contact.draft.petitioners.iter().cloned())
                .collect();
            let redact = |v: Value| -> Value {
                let text = access::redact_identities(&v.to_string(), &everyone, view);
                serde_json::from_str(&text).expect("redaction keeps JSON valid")
            };
            let rows = rows.into_iter().map(redact).collect();
            let mut shown = matter.clone();
            shown.summary = access::redact_identities(&matter.summary, &everyone, view);
            each(&shown, rows, &org)?;
        }
    }
    Ok(summary)
}

/// Write JSON Lines: one contact per line, in the import format.
pub async fn export_jsonl(
    ledger: &Ledger,
    viewer: Option<&Principal>,
    out: &mut impl Write,
) -> Result<ExportSummary, ExportError> {
    walk(ledger, viewer, |_, rows, _| {
        for row in rows {
            serde_json::to_writer(&mut *out, &row).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    })
    .await
}

fn cell(text: &str) -> String {
    if text.chars().count() > XLSX_CELL_CHARS {
        let cut: String = text.chars().take(XLSX_CELL_CHARS).collect();
        format!("{cut}……（超出表格单元格长度，已截断；完整内容请导出 JSON Lines）")
    } else {
        text.to_owned()
    }
}

fn beijing(t: DateTime<Utc>) -> String {
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("valid offset"))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

const MATTER_HEADERS: [&str; 17] = [
    "事项编号",
    "状态",
    "信访部门",
    "承办单位",
    "信访目的",
    "内容分类",
    "问题发生地",
    "摘要",
    "收到日期",
    "分流期限",
    "受理期限",
    "答复期限",
    "当前环节期限",
    "办结日期",
    "处理结果",
    "化解日期",
    "件次数",
];

fn matter_cells(m: &Matter, org: &Org) -> Vec<String> {
    let unit_name = |u: &UnitId| {
        org.unit(u)
            .map_or_else(|| u.to_string(), |x| x.name.clone())
    };
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    vec![
        m.id.to_string(),
        m.status.label().to_owned(),
        unit_name(&m.bureau),
        m.handler.as_ref().map(unit_name).unwrap_or_default(),
        m.purpose.label().to_owned(),
        m.domain.to_string(),
        org.region(&m.region)
            .map_or_else(|| m.region.to_string(), |r| r.name.clone()),
        m.summary.clone(),
        m.received_on.to_string(),
        m.triage_due.to_string(),
        date(m.acceptance_due),
        date(m.answer_due),
        date(m.next_due()),
        date(m.answer.as_ref().map(|a| a.on)),
        m.answer
            .as_ref()
            .map(|a| a.outcome.label().to_owned())
            .unwrap_or_default(),
        date(m.resolved_on),
        m.contacts.len().to_string(),
    ]
}

fn write_row(ws: &mut Worksheet, row: u32, cells: &[String]) -> Result<(), ExportError> {
    if row >= XLSX_MAX_ROWS {
        return Err(ExportError::TooManyRows);
    }
    for (col, text) in cells.iter().enumerate() {
        if !text.is_empty() {
            ws.write_string(row, col as u16, cell(text))?;
        }
    }
    Ok(())
}

/// Write XLSX for people: a sheet of contacts (the import columns, Chinese headers; it can be imported
/// again) and a sheet of matters with their status and deadlines.
pub async fn export_xlsx(
    ledger: &Ledger,
    viewer: Option<&Principal>,
) -> Result<(Vec<u8>, ExportSummary), ExportError> {
    let bold = CellFormat::new().set_bold();
    let mut contacts = Worksheet::new();
    contacts.set_name("件次")?;
    let mut matters = Worksheet::new();
    matters.set_name("信访事项")?;
    for (col, (_, label)) in COLUMNS.iter().enumerate() {
        contacts.write_string_with_format(0, col as u16, *label, &bold)?;
    }
    for (col, label) in MATTER_HEADERS.iter().enumerate() {
        matters.write_string_with_format(0, col as u16, *label, &bold)?;
    }
    contacts.set_freeze_panes(1, 1)?;
    matters.set_freeze_panes(1, 1)?;
    let (mut contact_row, mut matter_row) = (1u32, 1u32);
    let summary = walk(ledger, viewer, |m, rows, org| {
        for row in rows {
            let mut cells = value_to_flat(&row);
            // People read times in Beijing time; the importer reads them back as such.
            for (col, (code, _)) in COLUMNS.iter().enumerate() {
                if matches!(*code, "received_at" | "registered_at")
                    && let Some(t) = crate::parse::parse_time(&cells[col])
                {
                    cells[col] = beijing(t);
                }
            }
            write_row(&mut contacts, contact_row, &cells)?;
            contact_row += 1;
        }
        write_row(&mut matters, matter_row, &matter_cells(m, org))?;
        matter_row += 1;
        Ok(())
    })
    .await?;
    for ws in [&mut contacts, &mut matters] {
        ws.set_column_width(0, 18)?;
    }
    let mut book = Workbook::new();
    book.push_worksheet(contacts);
    book.push_worksheet(matters);
    Ok((book.save_to_buffer()?, summary))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use xinfang_domain::fixtures;
    use xinfang_domain::ids::UserId;
    use xinfang_domain::petition::Flags;

    use super::*;

    fn contact() -> ContactEvents {
        let at = Utc.with_ymd_and_hms(2025, 3, 3, 1, 0, 0).unwrap();
        let mut draft = fixtures::draft("C-1", at);
        draft.attachments.push(Attachment {
            name: "信件.pdf".into(),
            media_type: "application/pdf".into(),
            size: 10,
            sha256: "00".repeat(32),
        });
        ContactEvents {
            contact: Contact {
                matter: MatterId::parse("XF-1").unwrap(),
                relation: ContactRelation::First,
                draft,
                registered_by: UnitId::parse(fixtures::DISTRICT_BUREAU).unwrap(),
                clerk: UserId::parse("clerk").unwrap(),
                registered_at: at,
                flags: Flags::default(),
            },
            events: Vec::new(),
        }
    }

    #[test]
    fn hidden_rows_carry_nothing_that_identifies_the_petitioner() {
        let row = row_value(&contact(), IdentityView::Hidden);
        assert_eq!(row["identity"], "hidden");
        assert_eq!(row["petitioners"], serde_json::json!([]));
        assert_eq!(row["full_text"], "");
        assert_eq!(row["attachments"], serde_json::json!([]));
        let text = row.to_string();
        for personal in [
            "张建国",
            "11010519491231002X",
            "13800138000",
            "江川市上城区望江街道",
        ] {
            assert!(!text.contains(personal), "{personal}");
        }
        // The problem itself is still there to be worked on.
        assert_eq!(row["summary"], contact().contact.draft.summary);
    }

    #[test]
    fn masked_rows_mask_and_full_rows_do_not() {
        let masked = row_value(&contact(), IdentityView::Masked);
        assert_eq!(masked["identity"], "masked");
        assert_eq!(masked["petitioners"][0]["name"], "张**");
        assert_eq!(masked["petitioners"][0]["id_number"], "110***********002X");
        assert_eq!(masked["petitioners"][0]["phone"], "138****8000");
        let full = row_value(&contact(), IdentityView::Full);
        assert!(full.get("identity").is_none());
        assert_eq!(full["petitioners"][0]["id_number"], "11010519491231002X");
    }
}
