//! Projection tables: current state, derived from the log and rebuildable from it. They carry the state
//! as JSON (the exact fold) plus the columns that queries filter on.

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use xinfang_domain::Matter;
use xinfang_domain::ids::MatterId;
use xinfang_domain::org::{Org, Region, Unit};
use xinfang_domain::petition::Contact;

use crate::log::multi_row_insert;
use crate::{Result, StoreError};

/// The snake_case tag serde gives a unit enum variant.
pub(crate) fn tag<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum variant: {other:?}"),
    }
}

const ROWS_PER_STATEMENT: usize = 100;

pub(crate) async fn upsert_matters(
    conn: &mut AnyConnection,
    matters: &[(&Matter, i64)],
) -> Result<()> {
    const COLUMNS: &str = "id, status, bureau, handler, purpose, domain, region, received_on, \
                           next_due, opened_ms, last_seq, state";
    for chunk in matters.chunks(ROWS_PER_STATEMENT) {
        let mut sql = multi_row_insert("matters", COLUMNS, 12, chunk.len());
        sql.push_str(
            " ON CONFLICT (id) DO UPDATE SET status = excluded.status, handler = excluded.handler, \
             next_due = excluded.next_due, last_seq = excluded.last_seq, state = excluded.state",
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (m, last_seq) in chunk {
            q = q
                .bind(m.id.as_str().to_owned())
                .bind(m.status.as_str())
                .bind(m.bureau.as_str().to_owned())
                .bind(m.handler.as_ref().map(|h| h.as_str().to_owned()))
                .bind(tag(&m.purpose))
                .bind(m.domain.to_string())
                .bind(m.region.as_str().to_owned())
                .bind(m.received_on.to_string())
                .bind(m.next_due().map(|d| d.to_string()))
                .bind(m.opened_at.timestamp_millis())
                .bind(*last_seq)
                .bind(serde_json::to_string(m).expect("matters serialize"));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub(crate) async fn insert_contacts(
    conn: &mut AnyConnection,
    contacts: &[(&Contact, i64)],
) -> Result<()> {
    const COLUMNS: &str =
        "id, matter_id, channel, relation, registered_by, received_ms, person_count, seq, data";
    for chunk in contacts.chunks(ROWS_PER_STATEMENT) {
        let sql = multi_row_insert("contacts", COLUMNS, 9, chunk.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (c, seq) in chunk {
            q = q
                .bind(c.draft.id.as_str().to_owned())
                .bind(c.matter.as_str().to_owned())
                .bind(tag(&c.draft.channel))
                .bind(tag(&c.relation))
                .bind(c.registered_by.as_str().to_owned())
                .bind(c.draft.received_at.timestamp_millis())
                .bind(i64::from(c.draft.person_count))
                .bind(*seq)
                .bind(serde_json::to_string(c).expect("contacts serialize"));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub(crate) async fn upsert_unit(conn: &mut AnyConnection, unit: &Unit, seq: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO units (id, parent, name, kind, region, seq, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (id) DO UPDATE SET parent = excluded.parent, name = excluded.name, \
         kind = excluded.kind, region = excluded.region, seq = excluded.seq, data = excluded.data",
    )
    .bind(unit.id.as_str().to_owned())
    .bind(unit.parent.as_ref().map(|p| p.as_str().to_owned()))
    .bind(unit.name.clone())
    .bind(tag(&unit.kind))
    .bind(unit.region.as_str().to_owned())
    .bind(seq)
    .bind(serde_json::to_string(unit).expect("units serialize"))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn upsert_region(
    conn: &mut AnyConnection,
    region: &Region,
    seq: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO regions (code, name, seq) VALUES ($1, $2, $3) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, seq = excluded.seq",
    )
    .bind(region.code.as_str().to_owned())
    .bind(region.name.clone())
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn load_matter(conn: &mut AnyConnection, id: &MatterId) -> Result<Option<Matter>> {
    let row = sqlx::query("SELECT state FROM matters WHERE id = $1")
        .bind(id.as_str().to_owned())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        let state: String = r.try_get("state")?;
        serde_json::from_str(&state)
            .map_err(|e| StoreError::Corrupt(format!("事项 {id} 的状态无法解析：{e}")))
    })
    .transpose()
}

pub(crate) async fn load_org(conn: &mut AnyConnection) -> Result<Org> {
    let mut org = Org::default();
    for row in sqlx::query("SELECT data FROM units")
        .fetch_all(&mut *conn)
        .await?
    {
        let data: String = row.try_get("data")?;
        let unit: Unit = serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("单位数据无法解析：{e}")))?;
        org.insert_unit(unit);
    }
    for row in sqlx::query("SELECT code, name FROM regions")
        .fetch_all(&mut *conn)
        .await?
    {
        let code: String = row.try_get("code")?;
        let code = code
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("行政区划代码无法解析：{code}")))?;
        org.insert_region(Region {
            code,
            name: row.try_get("name")?,
        });
    }
    Ok(org)
}
