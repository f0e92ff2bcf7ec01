//! Reads for the full-text index (`xinfang-search`): the matters changed since a point of the log, and
//! everything the index needs of a batch of matters, in a few queries per batch. One SQL code path for
//! both engines, like the rest of the store.

use std::collections::HashMap;

use sqlx::Row;
use xinfang_domain::EventBody;
use xinfang_domain::access::MatterFacts;
use xinfang_domain::catalog::Purpose;
use xinfang_domain::ids::UnitId;
use xinfang_domain::org::UNIT_PATH_SEPARATOR;
use xinfang_domain::petition::Contact;

use crate::{Result, Store, StoreError};

/// A matter as the search index sees it: what it filters on, who holds it and its contacts' texts.
#[derive(Debug, Clone)]
pub struct MatterDoc {
    pub id: String,
    pub status: String,
    pub purpose: Purpose,
    pub domain: String,
    pub region: String,
    /// YYYY-MM-DD
    pub received_on: String,
    pub flags: Vec<String>,
    pub target_unit: Option<UnitId>,
    /// The paths ([`xinfang_domain::org::Org::unit_path`]) of the units holding the matter.
    pub holder_paths: Vec<String>,
    pub holders: Vec<UnitId>,
    /// The matter's 摘要.
    pub summary: String,
    /// Every contact, as registered, in order.
    pub contacts: Vec<Contact>,
    /// The last event that changed the matter's row (a linked contact always does: it adds 人次).
    pub changed_seq: i64,
}

impl MatterFacts for MatterDoc {
    fn purpose(&self) -> Purpose {
        self.purpose
    }
    fn target_unit(&self) -> Option<&UnitId> {
        self.target_unit.as_ref()
    }
    fn holders(&self) -> Vec<&UnitId> {
        self.holders.iter().collect()
    }
}

/// Where a walk over matters stands: the last (changed_seq, id) returned, or (with no id) every
/// matter changed up to and including `changed_seq`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedCursor {
    pub changed_seq: i64,
    pub id: Option<String>,
}

/// Binding many parameters in one statement costs SQLite a linear lookup per name; batches of ids are
/// split into statements of at most this many.
const IDS_PER_STATEMENT: usize = 500;

impl Store {
    /// The sequence number at the end of the chain, without locking it: a cheap "has anything been
    /// written since?" check.
    pub async fn head_seq(&self) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        Ok(crate::log::read_head(&mut conn).await?.seq)
    }

    /// Up to `limit` matters whose row changed after `after`, in (changed_seq, id) order, with their
    /// contacts. Pass the last returned cursor to continue; an empty batch means the walk is done.
    pub async fn matters_changed_after(
        &self,
        after: &FeedCursor,
        limit: i64,
    ) -> Result<Vec<MatterDoc>> {
        let mut conn = self.pool.acquire().await?;
        let columns = "SELECT id, status, purpose, domain, region, received_on, flags, target_unit, \
                       summary, changed_seq FROM matters";
        let rows = match &after.id {
            Some(id) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{columns} WHERE changed_seq > $1 OR (changed_seq = $2 AND id > $3) \
                     ORDER BY changed_seq, id LIMIT $4"
                )))
                .bind(after.changed_seq)
                .bind(after.changed_seq)
                .bind(id.clone())
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{columns} WHERE changed_seq > $1 ORDER BY changed_seq, id LIMIT $2"
                )))
                .bind(after.changed_seq)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
            }
        };
        let mut docs = rows
            .iter()
            .map(doc_of_row)
            .collect::<Result<Vec<MatterDoc>>>()?;
        fill(&mut conn, &mut docs).await?;
        Ok(docs)
    }

    /// These matters (those that exist), in the order asked, with their contacts.
    pub async fn matter_docs(&self, ids: &[String]) -> Result<Vec<MatterDoc>> {
        let mut conn = self.pool.acquire().await?;
        let mut found: HashMap<String, MatterDoc> = HashMap::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let sql = format!(
                "SELECT id, status, purpose, domain, region, received_on, flags, target_unit, \
                 summary, changed_seq FROM matters WHERE id IN ({})",
                marks(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.clone());
            }
            for row in q.fetch_all(&mut *conn).await? {
                let doc = doc_of_row(&row)?;
                found.insert(doc.id.clone(), doc);
            }
        }
        let mut docs: Vec<MatterDoc> = ids.iter().filter_map(|id| found.remove(id)).collect();
        fill(&mut conn, &mut docs).await?;
        Ok(docs)
    }
}

fn marks(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn doc_of_row(r: &sqlx::any::AnyRow) -> Result<MatterDoc> {
    let id: String = r.try_get("id")?;
    let purpose: String = r.try_get("purpose")?;
    let corrupt = || StoreError::Corrupt(format!("事项 {id} 的投影无法解析"));
    let target: Option<String> = r.try_get("target_unit")?;
    let flags: String = r.try_get("flags")?;
    Ok(MatterDoc {
        purpose: serde_json::from_value(serde_json::Value::String(purpose))
            .map_err(|_| corrupt())?,
        target_unit: target
            .map(|u| UnitId::parse(&u).map_err(|_| corrupt()))
            .transpose()?,
        status: r.try_get("status")?,
        domain: r.try_get("domain")?,
        region: r.try_get("region")?,
        received_on: r.try_get("received_on")?,
        flags: flags.split_whitespace().map(str::to_owned).collect(),
        summary: r.try_get("summary")?,
        changed_seq: r.try_get("changed_seq")?,
        holder_paths: Vec::new(),
        holders: Vec::new(),
        contacts: Vec::new(),
        id,
    })
}

/// Add holders and contacts to a batch of matters: two queries per statement-sized chunk.
async fn fill(conn: &mut sqlx::AnyConnection, docs: &mut [MatterDoc]) -> Result<()> {
    let at: HashMap<String, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.clone(), i))
        .collect();
    let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let sql = format!(
            "SELECT matter_id, unit_path FROM matter_units WHERE matter_id IN ({})",
            marks(chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.clone());
        }
        for row in q.fetch_all(&mut *conn).await? {
            let matter: String = row.try_get("matter_id")?;
            let path: String = row.try_get("unit_path")?;
            let unit = path
                .trim_end_matches(UNIT_PATH_SEPARATOR)
                .rsplit(UNIT_PATH_SEPARATOR)
                .next()
                .and_then(|u| UnitId::parse(u).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("单位路径无法解析：{path:?}")))?;
            if let Some(&i) = at.get(&matter) {
                docs[i].holders.push(unit);
                docs[i].holder_paths.push(path);
            }
        }
        let sql = format!(
            "SELECT c.matter_id, e.seq, e.payload FROM contacts c JOIN events e ON e.seq = c.seq \
             WHERE c.matter_id IN ({}) ORDER BY e.seq",
            marks(chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.clone());
        }
        for row in q.fetch_all(&mut *conn).await? {
            let matter: String = row.try_get("matter_id")?;
            let seq: i64 = row.try_get("seq")?;
            let payload: String = row.try_get("payload")?;
            let contact = match serde_json::from_str::<EventBody>(&payload) {
                Ok(EventBody::ContactRegistered { contact }) => *contact,
                _ => return Err(StoreError::Corrupt(format!("第 {seq} 号事件不是件次登记"))),
            };
            if let Some(&i) = at.get(&matter) {
                docs[i].contacts.push(contact);
            }
        }
    }
    Ok(())
}
