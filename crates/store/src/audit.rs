//! The audit trail: every read of personal data in full and every change, with who, from which unit and
//! address, and when. Append-only (the database refuses UPDATE and DELETE); not part of the event log,
//! because reads change nothing and the figures must not depend on who looked.

use sqlx::{AnyConnection, Row};

use crate::log::{ROWS_PER_STATEMENT, multi_row_insert};
use crate::{Result, Store};

/// One entry of the trail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub at_ms: i64,
    pub user: String,
    pub unit: String,
    /// What was done: `read_matter`, `list_matters`, `export`, a workflow action code, …
    pub action: String,
    /// What it was done to: a matter id, or a description of a list.
    pub subject: String,
    /// More, for people: the matters a list showed, the event numbers a change wrote.
    pub detail: String,
    pub address: String,
}

/// Which entries to return, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user: Option<String>,
    pub unit: Option<String>,
    pub action: Option<String>,
    /// Entries whose subject is this, or whose detail names it (a matter shown in a list).
    pub subject: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

pub(crate) async fn insert(conn: &mut AnyConnection, entries: &[AuditEntry]) -> Result<()> {
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let sql = multi_row_insert(
            "audit",
            "at_ms, user_id, unit_id, action, subject, detail, address",
            7,
            chunk.len(),
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(e.at_ms)
                .bind(e.user.clone())
                .bind(e.unit.clone())
                .bind(e.action.clone())
                .bind(e.subject.clone())
                .bind(e.detail.clone())
                .bind(e.address.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

impl Store {
    /// Append entries to the trail.
    pub async fn audit(&self, entries: &[AuditEntry]) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        insert(&mut conn, entries).await
    }

    /// Entries matching the filter, newest first, and how many match in all.
    pub async fn audit_entries(&self, f: &AuditFilter) -> Result<(Vec<AuditEntry>, i64)> {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let mut bind = |clause: &str, value: String, binds: &mut Vec<String>| {
            binds.push(value);
            clauses.push(clause.replace('?', &format!("${}", binds.len())));
        };
        if let Some(v) = &f.user {
            bind("user_id = ?", v.clone(), &mut binds);
        }
        if let Some(v) = &f.unit {
            bind("unit_id = ?", v.clone(), &mut binds);
        }
        if let Some(v) = &f.action {
            bind("action = ?", v.clone(), &mut binds);
        }
        if let Some(v) = &f.subject {
            binds.push(v.clone());
            let n = binds.len();
            binds.push(format!("%{}%", v.replace(['%', '_'], "")));
            clauses.push(format!("(subject = ${n} OR detail LIKE ${})", n + 1));
        }
        let mut numbers: Vec<(String, i64)> = Vec::new();
        if let Some(v) = f.from_ms {
            numbers.push(("at_ms >= ".into(), v));
        }
        if let Some(v) = f.to_ms {
            numbers.push(("at_ms < ".into(), v));
        }
        for (i, (clause, _)) in numbers.iter().enumerate() {
            clauses.push(format!("{clause}${}", binds.len() + i + 1));
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let mut conn = self.pool.acquire().await?;
        let count_sql = format!("SELECT COUNT(*) AS n FROM audit {filter}");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(count_sql));
        for b in &binds {
            q = q.bind(b.clone());
        }
        for (_, n) in &numbers {
            q = q.bind(*n);
        }
        let total: i64 = q.fetch_one(&mut *conn).await?.try_get("n")?;
        let sql = format!(
            "SELECT at_ms, user_id, unit_id, action, subject, detail, address FROM audit {filter} \
             ORDER BY id DESC LIMIT {} OFFSET {}",
            f.limit.clamp(1, 1000),
            f.offset.max(0)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in &binds {
            q = q.bind(b.clone());
        }
        for (_, n) in &numbers {
            q = q.bind(*n);
        }
        let rows = q.fetch_all(&mut *conn).await?;
        let entries = rows
            .iter()
            .map(|r| {
                Ok(AuditEntry {
                    at_ms: r.try_get("at_ms")?,
                    user: r.try_get("user_id")?,
                    unit: r.try_get("unit_id")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get("detail")?,
                    address: r.try_get("address")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((entries, total))
    }
}
