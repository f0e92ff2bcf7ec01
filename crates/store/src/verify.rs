//! `xinfang verify`: recompute the hash chain and the projections from the log, and name the first event
//! where either breaks.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;
use xinfang_domain::event::Hash;
use xinfang_domain::ids::{ContactId, MatterId};
use xinfang_domain::org::Org;
use xinfang_domain::petition::Contact;
use xinfang_domain::{EventBody, Matter};

use crate::log;
use crate::projection::{self, ContactRow, MatterRow, load_org};
use crate::{Result, Store, StoreError};

/// Where verification found the first break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// The event at fault, when one can be named.
    pub seq: Option<i64>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub events: i64,
    pub matters: usize,
    pub contacts: usize,
    pub units: usize,
    pub head_hash: String,
    pub chain_break: Option<Break>,
    pub projection_break: Option<Break>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.chain_break.is_none() && self.projection_break.is_none()
    }
}

/// The state the log folds to.
#[derive(Default)]
pub(crate) struct Folded {
    pub org: Org,
    pub matters: HashMap<MatterId, Matter>,
    /// The event that last changed each matter's projected row.
    pub changed: HashMap<MatterId, i64>,
    pub contacts: HashMap<ContactId, (Contact, i64)>,
}

const PAGE: i64 = 20_000;

/// The shape of the projections this code writes. When a migration adds projected columns it raises this,
/// and `Store::open` rebuilds the projections of a database written by older code.
pub(crate) const PROJECTION_VERSION: i64 = 2;

impl Store {
    /// Check the whole chain, then compare every projection row with the fold of the events.
    pub async fn verify(&self) -> Result<VerifyReport> {
        let mut conn = self.pool.acquire().await?;
        let mut folded = Folded::default();
        let mut prev = Hash::GENESIS;
        let mut last = 0i64;
        let mut chain_break = None;
        'pages: loop {
            let page = log::read_events(&mut conn, last, PAGE).await?;
            if page.is_empty() {
                break;
            }
            for e in page {
                let fail = |reason: String| Break {
                    seq: Some(e.seq),
                    reason,
                };
                if e.seq != last + 1 {
                    chain_break = Some(Break {
                        seq: Some(last + 1),
                        reason: format!("第 {} 号事件缺失（下一个是第 {} 号）", last + 1, e.seq),
                    });
                    break 'pages;
                }
                if e.prev_hash != prev {
                    chain_break = Some(fail(format!(
                        "第 {} 号事件记录的前序哈希与第 {} 号事件的哈希不一致",
                        e.seq, last
                    )));
                    break 'pages;
                }
                if e.expected_hash() != e.hash {
                    chain_break = Some(fail(format!(
                        "第 {} 号事件的内容与其哈希不符（事件被改动过）",
                        e.seq
                    )));
                    break 'pages;
                }
                let body = match e.body() {
                    Ok(b) if b.kind() == e.kind => b,
                    Ok(_) => {
                        chain_break = Some(fail(format!("第 {} 号事件的类型与内容不符", e.seq)));
                        break 'pages;
                    }
                    Err(err) => {
                        chain_break = Some(fail(format!("第 {} 号事件无法解析：{err}", e.seq)));
                        break 'pages;
                    }
                };
                folded.apply(&body, &e);
                prev = e.hash;
                last = e.seq;
            }
        }
        let head = log::read_head(&mut conn).await?;
        if chain_break.is_none() && (head.seq != last || head.hash != prev) {
            chain_break = Some(Break {
                seq: Some(head.seq),
                reason: format!(
                    "链头记录为第 {} 号事件，但日志的最后一个事件是第 {last} 号",
                    head.seq
                ),
            });
        }
        let projection_break = if chain_break.is_none() {
            compare_projection(&mut conn, &folded, &self.figure_rules).await?
        } else {
            None
        };
        Ok(VerifyReport {
            events: last,
            matters: folded.matters.len(),
            contacts: folded.contacts.len(),
            units: folded.org.units().count(),
            head_hash: prev.to_hex(),
            chain_break,
            projection_break,
        })
    }
}

impl Folded {
    pub(crate) fn apply(&mut self, body: &EventBody, e: &xinfang_domain::StoredEvent) {
        if let EventBody::ContactRegistered { contact } = body {
            self.contacts
                .insert(contact.draft.id.clone(), ((**contact).clone(), e.seq));
        }
        if projection::fold_event(&mut self.org, &mut self.matters, body, e.at, &e.actor).any()
            && let Some(id) = body.matter()
        {
            self.changed.insert(id.clone(), e.seq);
        }
    }

    pub(crate) fn matter_rows(&self) -> impl Iterator<Item = MatterRow> + '_ {
        self.matters.values().map(|m| {
            MatterRow::of(
                m,
                self.changed.get(&m.id).copied().unwrap_or_default(),
                &self.org,
            )
        })
    }
}

async fn compare_projection(
    conn: &mut sqlx::AnyConnection,
    folded: &Folded,
    figure_rules: &xinfang_domain::rules::FigureRules,
) -> Result<Option<Break>> {
    let mut breaks: Vec<Break> = Vec::new();

    let mut stored: HashMap<String, Vec<crate::figures::FactRow>> = HashMap::new();
    for row in crate::figures::all_fact_rows(&mut *conn).await? {
        stored.entry(row.matter_id.clone()).or_default().push(row);
    }
    let mut want = crate::rollups::Rollup::default();
    for m in folded.matters.values() {
        let mut rows = stored.remove(m.id.as_str()).unwrap_or_default();
        rows.sort_by_key(|r| r.ordinal);
        if rows != crate::figures::rows_adding_steps(m, figure_rules, &mut want) {
            breaks.push(Break {
                seq: folded.changed.get(&m.id).copied(),
                reason: format!("事项 {} 的统计明细与其事件重放的结果不一致", m.id),
            });
        }
    }
    breaks.extend(stored.into_keys().map(|id| Break {
        seq: None,
        reason: format!("统计明细中的事项 {id} 在事件日志中不存在"),
    }));
    want.drop_zeros();
    let rollup = crate::rollups::Rollup::read(&mut *conn).await?;
    if rollup != want {
        breaks.push(Break {
            seq: None,
            reason: format!(
                "统计汇总表（{} 行）与事件重放得出的汇总（{} 行）不一致",
                rollup.len(),
                want.len()
            ),
        });
    }

    let mut expected: HashMap<String, MatterRow> = folded
        .matter_rows()
        .map(|row| (row.id.clone(), row))
        .collect();
    for row in projection::matter_rows(&mut *conn).await? {
        match expected.remove(&row.id) {
            None => breaks.push(Break {
                seq: Some(row.changed_seq),
                reason: format!("投影中的事项 {} 在事件日志中不存在", row.id),
            }),
            Some(want) if want != row => breaks.push(Break {
                seq: Some(want.changed_seq),
                reason: format!(
                    "事项 {} 的当前状态与其事件重放的结果不一致（最后改变它的事件为第 {} 号）",
                    row.id, want.changed_seq
                ),
            }),
            Some(_) => {}
        }
    }
    breaks.extend(expected.into_values().map(|want| Break {
        seq: Some(want.changed_seq),
        reason: format!("事项 {} 在投影中缺失", want.id),
    }));

    let mut expected: HashMap<String, ContactRow> = folded
        .contacts
        .values()
        .map(|(c, seq)| (c.draft.id.as_str().to_owned(), ContactRow::of(c, *seq)))
        .collect();
    for row in projection::contact_rows(&mut *conn).await? {
        match expected.remove(&row.id) {
            Some(want) if want == row => {}
            want => breaks.push(Break {
                seq: Some(want.map_or(row.seq, |w| w.seq)),
                reason: format!("件次 {} 的登记信息与事件日志不一致", row.id),
            }),
        }
    }
    breaks.extend(expected.into_values().map(|want| Break {
        seq: Some(want.seq),
        reason: format!("件次 {} 在投影中缺失", want.id),
    }));

    let mut stored: Vec<_> = crate::documents::all_document_rows(&mut *conn).await?;
    stored.sort_by(|a, b| (&a.matter_id, a.ordinal).cmp(&(&b.matter_id, b.ordinal)));
    let mut expected: Vec<_> = document_rows(folded).collect();
    expected.sort_by(|a, b| (&a.matter_id, a.ordinal).cmp(&(&b.matter_id, b.ordinal)));
    if stored != expected {
        breaks.push(Break {
            seq: None,
            reason: "文书编号表与事件日志不一致".into(),
        });
    }

    let org = load_org(&mut *conn).await?;
    if org != folded.org {
        breaks.push(Break {
            seq: None,
            reason: "单位、行政区划或用户表与事件日志不一致".into(),
        });
    }
    // The earliest event named wins; breaks that name none come last.
    breaks.sort_by_key(|b| b.seq.unwrap_or(i64::MAX));
    Ok(breaks.into_iter().next())
}

/// The `documents` rows the folded matters call for.
fn document_rows(folded: &Folded) -> impl Iterator<Item = crate::documents::DocumentRow> + '_ {
    folded.matters.values().flat_map(|m| {
        m.documents
            .iter()
            .enumerate()
            .map(|(i, d)| crate::documents::DocumentRow::of(&m.id, i, d))
    })
}

/// Counts for an operator's overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub events: i64,
    pub matters: i64,
    pub contacts: i64,
    pub units: i64,
    pub by_status: Vec<(String, i64)>,
    /// Matters whose pending step is past its deadline on `today`.
    pub overdue: i64,
}

impl Store {
    /// Rebuild every projection table from the log, in one transaction.
    pub async fn rebuild_projections(&self) -> Result<usize> {
        // Holding the chain head keeps every writer out until the projections match the log again.
        let mut tx = self.pool.begin().await?;
        log::lock_head(&mut tx).await?;
        let conn = &mut *tx;
        let mut folded = Folded::default();
        let mut last = 0i64;
        loop {
            let page = log::read_events(&mut *conn, last, PAGE).await?;
            let Some(end) = page.last().map(|e| e.seq) else {
                break;
            };
            for e in &page {
                let body = e.body().map_err(|err| {
                    StoreError::Corrupt(format!("第 {} 号事件无法解析：{err}", e.seq))
                })?;
                folded.apply(&body, e);
            }
            last = end;
        }
        for table in [
            "matters",
            "matter_units",
            "matter_flags",
            "contacts",
            "units",
            "regions",
            "users",
            "figure_facts",
            "figure_rollups",
            "document_templates",
            "documents",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *tx)
                .await?;
        }
        let matters: Vec<MatterRow> = folded.matter_rows().collect();
        projection::insert_matters(&mut tx, &matters.iter().collect::<Vec<_>>()).await?;
        let contacts: Vec<ContactRow> = folded
            .contacts
            .values()
            .map(|(c, s)| ContactRow::of(c, *s))
            .collect();
        projection::insert_contacts(&mut tx, &contacts).await?;
        let mut rollup = crate::rollups::Rollup::default();
        let facts: Vec<_> = folded
            .matters
            .values()
            .flat_map(|m| crate::figures::rows_adding_steps(m, &self.figure_rules, &mut rollup))
            .collect();
        crate::figures::insert_facts(&mut tx, &facts).await?;
        rollup.add_to(&mut tx).await?;
        crate::figures::set_facts_rules(&mut tx, &self.figure_rules).await?;
        for r in folded.org.regions() {
            projection::upsert_region(&mut tx, r, 0).await?;
        }
        for u in folded.org.units() {
            projection::upsert_unit(&mut tx, u, 0).await?;
        }
        for u in folded.org.users() {
            projection::upsert_user(&mut tx, u, 0).await?;
        }
        for (unit, kind, template) in folded.org.templates() {
            crate::documents::write_template(&mut tx, unit, kind, Some(template)).await?;
        }
        let documents: Vec<_> = document_rows(&folded).collect();
        crate::documents::insert_documents(&mut tx, &documents).await?;
        sqlx::query("UPDATE projection_version SET version = $1 WHERE id = 1")
            .bind(PROJECTION_VERSION)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(matters.len())
    }

    pub async fn summary(&self, today: chrono::NaiveDate) -> Result<Summary> {
        let mut conn = self.pool.acquire().await?;
        let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
        let events = count("SELECT COUNT(*) FROM events")
            .fetch_one(&mut *conn)
            .await?;
        let matters = count("SELECT COUNT(*) FROM matters")
            .fetch_one(&mut *conn)
            .await?;
        let contacts = count("SELECT COUNT(*) FROM contacts")
            .fetch_one(&mut *conn)
            .await?;
        let units = count("SELECT COUNT(*) FROM units")
            .fetch_one(&mut *conn)
            .await?;
        let by_status = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM matters GROUP BY status ORDER BY status",
        )
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
        .collect::<Result<Vec<_>>>()?;
        let overdue = sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM matters WHERE next_due IS NOT NULL AND next_due < $1",
        )
        .bind(today.to_string())
        .fetch_one(&mut *conn)
        .await?;
        Ok(Summary {
            events,
            matters,
            contacts,
            units,
            by_status,
            overdue,
        })
    }
}
