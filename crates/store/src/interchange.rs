//! Reads for import and export: which contacts exist already (so a re-import skips them), and the
//! matters' own events, page by page, so an export never holds the whole log in memory.

use std::collections::HashSet;

use sqlx::Row;
use xinfang_domain::StoredEvent;
use xinfang_domain::ids::{ContactId, MatterId};

use crate::log::ROWS_PER_STATEMENT;
use crate::{Result, Store, StoreError};

/// Ids per `IN (…)` list: well below either engine's parameter limit.
const IDS_PER_STATEMENT: usize = ROWS_PER_STATEMENT * 8;

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Those of `ids` that are registered contacts.
    pub async fn existing_contacts(&self, ids: &[ContactId]) -> Result<HashSet<String>> {
        let mut conn = self.pool.acquire().await?;
        let mut found = HashSet::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let sql = format!(
                "SELECT id FROM contacts WHERE id IN ({})",
                placeholders(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.as_str().to_owned());
            }
            for row in q.fetch_all(&mut *conn).await? {
                found.insert(row.try_get::<String, _>("id")?);
            }
        }
        Ok(found)
    }

    /// Matter ids in id order, after `after`, at most `limit`: the pages of an export.
    pub async fn matter_ids_after(
        &self,
        after: Option<&MatterId>,
        limit: i64,
    ) -> Result<Vec<MatterId>> {
        let mut conn = self.pool.acquire().await?;
        let rows = match after {
            Some(a) => {
                sqlx::query("SELECT id FROM matters WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(a.as_str().to_owned())
                    .bind(limit)
                    .fetch_all(&mut *conn)
                    .await?
            }
            None => {
                sqlx::query("SELECT id FROM matters ORDER BY id LIMIT $1")
                    .bind(limit)
                    .fetch_all(&mut *conn)
                    .await?
            }
        };
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                MatterId::parse(&id)
                    .map_err(|_| StoreError::Corrupt(format!("事项编号无法解析：{id}")))
            })
            .collect()
    }

    /// Every event of these matters, in log order.
    pub async fn events_of_matters(&self, ids: &[MatterId]) -> Result<Vec<StoredEvent>> {
        let mut conn = self.pool.acquire().await?;
        let mut events = Vec::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let sql = format!(
                "SELECT seq, at_ms, actor_user, actor_unit, kind, payload, prev_hash, hash \
                 FROM events WHERE stream IN ({}) ORDER BY seq",
                placeholders(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(format!("matter:{id}"));
            }
            for row in q.fetch_all(&mut *conn).await? {
                events.push(crate::log::event_from_row(&row)?);
            }
        }
        events.sort_by_key(|e| e.seq);
        Ok(events)
    }
}
