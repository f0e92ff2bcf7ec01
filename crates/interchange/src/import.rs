//! The import: read, parse, skip what is already there, write each good row as one all-or-nothing group.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use xinfang_domain::ids::UserId;
use xinfang_domain::workflow::china_date;
use xinfang_domain::{Change, Command, Principal, Role};
use xinfang_store::Ledger;

use crate::parse::{ImportRow, Rejection, parse_row, roles_for};
use crate::read::read;
use crate::{Format, ImportError};

/// Rows per transaction: large enough for bulk speed, small enough that one transaction stays short.
const ROWS_PER_BATCH: usize = 2_000;

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    /// 1-based row number in the file (CSV and XLSX: the header is row 1).
    pub row: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// The field at fault, as a JSON path (`petitioners[0].id_number`, `events[2]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why, in Chinese.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Rows read (blank lines not counted).
    pub rows: usize,
    /// Rows written, each with all its events.
    pub imported: usize,
    /// Rows whose source id was already imported: left as they are (已导入，跳过).
    pub skipped: usize,
    /// Rows refused, in row order.
    pub rejected: Vec<RejectedRow>,
}

impl ImportReport {
    /// The report as an operator reads it.
    pub fn summary_text(&self) -> String {
        let mut out = format!(
            "共读取 {} 行：导入 {} 行，已导入跳过 {} 行，拒绝 {} 行。",
            self.rows,
            self.imported,
            self.skipped,
            self.rejected.len()
        );
        for r in &self.rejected {
            out.push_str(&format!("\n  第 {} 行", r.row));
            if let Some(id) = &r.source_id {
                out.push_str(&format!("（来源编号 {id}）"));
            }
            if let Some(f) = &r.field {
                out.push_str(&format!("［{f}］"));
            }
            out.push_str(&format!("：{}", r.reason));
        }
        out
    }
}

fn rejected(row: usize, source_id: Option<String>, r: Rejection) -> RejectedRow {
    RejectedRow {
        row,
        source_id,
        field: r.field,
        reason: r.reason,
    }
}

/// The changes of one row: its registration by the registering unit, then each event by its unit. The
/// importing administrator is the user of every act; the roles are those each act needed.
fn group(row: &ImportRow, user: &UserId) -> Vec<(Principal, DateTime<Utc>, Change)> {
    let mut changes = Vec::with_capacity(row.events.len() + 1);
    changes.push((
        Principal {
            user: user.clone(),
            unit: row.registered_by.clone(),
            roles: vec![Role::Registrar],
        },
        row.registered_at,
        Change::Matter(Command::Register {
            filing: row.filing.clone(),
            contact: Box::new(row.draft.clone()),
        }),
    ));
    for e in &row.events {
        changes.push((
            Principal {
                user: user.clone(),
                unit: e.unit.clone(),
                roles: roles_for(e),
            },
            e.at,
            Change::Matter(e.command.clone()),
        ));
    }
    changes
}

/// Import a file. `user` is the administrator recorded as the user of every imported act; callers
/// check that they are one. Bad rows are reported, never fatal; only an unreadable file (or a database
/// failure) is an error.
pub async fn import(
    ledger: &Ledger,
    user: &UserId,
    format: Format,
    bytes: &[u8],
) -> Result<ImportReport, ImportError> {
    let raw = read(format, bytes)?;
    let mut report = ImportReport {
        rows: raw.len(),
        ..ImportReport::default()
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut good: Vec<(usize, ImportRow)> = Vec::new();
    for r in raw {
        let map = match r.value {
            Ok(map) => map,
            Err(e) => {
                report.rejected.push(rejected(r.row, None, e));
                continue;
            }
        };
        let source_id = map
            .get("source_id")
            .and_then(|v| v.as_str())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        match parse_row(&map) {
            Err(e) => report.rejected.push(rejected(r.row, source_id, e)),
            Ok(row) => {
                let id = row.source_id().to_string();
                if let Some(first) = seen.get(&id) {
                    report.rejected.push(rejected(
                        r.row,
                        Some(id),
                        Rejection {
                            field: Some("source_id".into()),
                            reason: format!("来源编号与第 {first} 行重复"),
                        },
                    ));
                } else {
                    seen.insert(id, r.row);
                    good.push((r.row, row));
                }
            }
        }
    }
    for batch in good.chunks(ROWS_PER_BATCH) {
        let ids: Vec<_> = batch.iter().map(|(_, r)| r.source_id().clone()).collect();
        let existing = ledger.store().existing_contacts(&ids).await?;
        let todo: Vec<&(usize, ImportRow)> = batch
            .iter()
            .filter(|(_, r)| !existing.contains(r.source_id().as_str()))
            .collect();
        report.skipped += batch.len() - todo.len();
        if todo.is_empty() {
            continue;
        }
        let groups = todo.iter().map(|(_, r)| group(r, user)).collect();
        let results = ledger.execute_groups(groups).await?;
        for ((row_no, row), result) in todo.into_iter().zip(results) {
            match result {
                Ok(_) => report.imported += 1,
                Err(refusal) => {
                    let rejection = if refusal.index == 0 {
                        Rejection {
                            field: refusal.error.field().map(str::to_owned),
                            reason: format!("登记被拒绝：{}", refusal.error),
                        }
                    } else {
                        let i = refusal.index - 1;
                        let e = &row.events[i];
                        Rejection {
                            field: Some(match refusal.error.field() {
                                Some(f) => format!("events[{i}].{f}"),
                                None => format!("events[{i}]"),
                            }),
                            reason: format!(
                                "第{}条办理记录（{} {}，{}）被拒绝：{}",
                                refusal.index,
                                china_date(e.at),
                                e.unit,
                                e.command.label(),
                                refusal.error
                            ),
                        }
                    };
                    report.rejected.push(rejected(
                        *row_no,
                        Some(row.source_id().to_string()),
                        rejection,
                    ));
                }
            }
        }
    }
    report.rejected.sort_by_key(|r| r.row);
    Ok(report)
}
