//! Reads for processes that keep their own view of the log up to date (the near-duplicate and repeat
//! lookup of each server process): what was registered after the point they reached.

use sqlx::Row;
use xinfang_domain::EventBody;
use xinfang_domain::petition::Contact;

use crate::{Result, Store, StoreError};

impl Store {
    /// Contacts registered after event `after`, in log order, at most `limit`, each with the sequence
    /// number of its registration.
    pub async fn contacts_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, Contact)>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT e.seq, e.payload FROM contacts c JOIN events e ON e.seq = c.seq \
             WHERE c.seq > $1 ORDER BY c.seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.try_get("seq")?;
                let payload: String = r.try_get("payload")?;
                match serde_json::from_str::<EventBody>(&payload) {
                    Ok(EventBody::ContactRegistered { contact }) => Ok((seq, *contact)),
                    _ => Err(StoreError::Corrupt(format!("第 {seq} 号事件不是件次登记"))),
                }
            })
            .collect()
    }
}
