//! Reading and appending rows of the event log.

use chrono::DateTime;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xinfang_domain::event::{Hash, Stream};
use xinfang_domain::ids::{UnitId, UserId};
use xinfang_domain::{Actor, EventBody, StoredEvent};

use crate::{Result, StoreError};

/// The end of the chain as the database holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    pub seq: i64,
    pub hash: Hash,
    /// Sequence number of the last organisation event, so caches of the unit tree know when to reload.
    pub org_seq: i64,
}

/// Lock the chain head for this transaction and read it. The statement is a write, so on SQLite it takes
/// the write lock at once and on PostgreSQL it locks the row: concurrent writers, in this process or
/// another, queue here and each sees the head the previous one left.
pub(crate) async fn lock_head(conn: &mut AnyConnection) -> Result<Head> {
    let row =
        sqlx::query("UPDATE chain_head SET seq = seq WHERE id = 1 RETURNING seq, hash, org_seq")
            .fetch_one(&mut *conn)
            .await?;
    head_from_row(&row)
}

pub(crate) async fn read_head(conn: &mut AnyConnection) -> Result<Head> {
    let row = sqlx::query("SELECT seq, hash, org_seq FROM chain_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    head_from_row(&row)
}

fn head_from_row(row: &AnyRow) -> Result<Head> {
    let hash: String = row.try_get("hash")?;
    Ok(Head {
        seq: row.try_get("seq")?,
        hash: Hash::from_hex(&hash)
            .ok_or_else(|| StoreError::Corrupt(format!("链头哈希无法解析：{hash}")))?,
        org_seq: row.try_get("org_seq")?,
    })
}

pub(crate) async fn write_head(conn: &mut AnyConnection, head: &Head) -> Result<()> {
    sqlx::query("UPDATE chain_head SET seq = $1, hash = $2, org_seq = $3 WHERE id = 1")
        .bind(head.seq)
        .bind(head.hash.to_hex())
        .bind(head.org_seq)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub fn stream_key(body: &EventBody) -> String {
    match body.stream() {
        Stream::Org => "org".to_owned(),
        Stream::Matter(m) => format!("matter:{m}"),
    }
}

const EVENT_COLUMNS: &str =
    "seq, at_ms, actor_user, actor_unit, kind, stream, payload, prev_hash, hash";
/// Rows per INSERT statement. Many rows per statement save round trips, but SQLite looks up each `$n`
/// parameter by name in a linear list, so the cost of binding grows with the square of the parameter
/// count: a few hundred parameters per statement is the sweet spot (measured with `xinfang bench`).
pub(crate) const ROWS_PER_STATEMENT: usize = 16;

/// Insert sealed events, many rows per statement.
pub(crate) async fn insert_events(
    conn: &mut AnyConnection,
    events: &[(StoredEvent, String)],
) -> Result<()> {
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let sql = multi_row_insert("events", EVENT_COLUMNS, 9, chunk.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (e, stream) in chunk {
            q = q
                .bind(e.seq)
                .bind(e.at.timestamp_millis())
                .bind(e.actor.user.as_str().to_owned())
                .bind(e.actor.unit.as_str().to_owned())
                .bind(e.kind.clone())
                .bind(stream.clone())
                .bind(e.payload.clone())
                .bind(e.prev_hash.to_hex())
                .bind(e.hash.to_hex());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `INSERT INTO table (cols) VALUES ($1, …), (…)` with `$n` placeholders, which both engines accept.
pub(crate) fn multi_row_insert(table: &str, columns: &str, width: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * width + c + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// Events with `seq > after`, in order, at most `limit` of them.
pub(crate) async fn read_events(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>> {
    let rows = sqlx::query(
        "SELECT seq, at_ms, actor_user, actor_unit, kind, payload, prev_hash, hash \
         FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(event_from_row).collect()
}

pub(crate) fn event_from_row(row: &AnyRow) -> Result<StoredEvent> {
    let seq: i64 = row.try_get("seq")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("第 {seq} 号事件的{what}无法解析"));
    let at_ms: i64 = row.try_get("at_ms")?;
    let user: String = row.try_get("actor_user")?;
    let unit: String = row.try_get("actor_unit")?;
    let prev: String = row.try_get("prev_hash")?;
    let hash: String = row.try_get("hash")?;
    Ok(StoredEvent {
        seq,
        at: DateTime::from_timestamp_millis(at_ms).ok_or_else(|| corrupt("时间"))?,
        actor: Actor {
            user: UserId::parse(&user).map_err(|_| corrupt("操作人"))?,
            unit: UnitId::parse(&unit).map_err(|_| corrupt("操作单位"))?,
        },
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        prev_hash: Hash::from_hex(&prev).ok_or_else(|| corrupt("前序哈希"))?,
        hash: Hash::from_hex(&hash).ok_or_else(|| corrupt("哈希"))?,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn multi_row_insert_numbers_placeholders_across_rows() {
        assert_eq!(
            super::multi_row_insert("t", "a, b", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
    }
}
