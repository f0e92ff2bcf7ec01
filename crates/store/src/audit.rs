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
    /// Entries of these units only.
    pub units: Option<Vec<String>>,
    pub action: Option<String>,
    /// Entries whose subject is this, or whose detail names it (a matter shown in a list).
    pub subject: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

enum Bind {
    Text(String),
    Int(i64),
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

impl Bind {
    fn bind_to<'q>(&self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        match self {
            Bind::Text(t) => q.bind(t.clone()),
            Bind::Int(n) => q.bind(*n),
        }
    }
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
    /// Entries matching the filter, newest first, and how many match in all.
    pub async fn audit_entries(&self, f: &AuditFilter) -> Result<(Vec<AuditEntry>, i64)> {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<Bind> = Vec::new();
        // Each `?` of a clause becomes the next parameter.
        let mut add = |clause: &str, values: Vec<Bind>| {
            let mut clause = clause.to_owned();
            for v in values {
                binds.push(v);
                clause = clause.replacen('?', &format!("${}", binds.len()), 1);
            }
            clauses.push(clause);
        };
        if let Some(v) = &f.user {
            add("user_id = ?", vec![Bind::Text(v.clone())]);
        }
        if let Some(units) = &f.units {
            let marks = vec!["?"; units.len()].join(", ");
            if units.is_empty() {
                add("1 = 0", vec![]);
            } else {
                add(
                    &format!("unit_id IN ({marks})"),
                    units.iter().cloned().map(Bind::Text).collect(),
                );
            }
        }
        if let Some(v) = &f.action {
            add("action = ?", vec![Bind::Text(v.clone())]);
        }
        if let Some(v) = &f.subject {
            let words = format!("%{}%", v.replace(['%', '_'], ""));
            add(
                "(subject = ? OR detail LIKE ?)",
                vec![Bind::Text(v.clone()), Bind::Text(words)],
            );
        }
        if let Some(v) = f.from_ms {
            add("at_ms >= ?", vec![Bind::Int(v)]);
        }
        if let Some(v) = f.to_ms {
            add("at_ms < ?", vec![Bind::Int(v)]);
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
            q = b.bind_to(q);
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
            q = b.bind_to(q);
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
