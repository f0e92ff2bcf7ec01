//! Staff choices for retraining the classifier: every registered contact's text with the domain and
//! purpose its matter carries now. The matter's row is the projection of its events, so it holds what was
//! chosen at registration and whatever later events changed; the text is the contact's own, from its
//! `contact_registered` event. Read in pages of the log, so a large database is never held in memory.

use std::collections::HashMap;

use sqlx::Row;
use xinfang_domain::EventBody;
use xinfang_domain::catalog::Purpose;

use crate::{Result, Store, StoreError};

/// One registered contact as a training example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffChoice {
    /// The contact's event in the log: pages continue after the last one.
    pub seq: i64,
    /// Summary, full text and demands, one per line (those not empty).
    pub text: String,
    /// The matter's domain path: `城乡建设` or `城乡建设/物业`.
    pub domain: String,
    pub purpose: Purpose,
}

impl Store {
    /// Up to `limit` contacts registered after event `after_seq`, in log order.
    pub async fn staff_choices_after(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<StaffChoice>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT seq, payload FROM events WHERE seq > $1 AND kind = 'contact_registered' \
             ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        let mut contacts = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq: i64 = row.try_get("seq")?;
            let payload: String = row.try_get("payload")?;
            match serde_json::from_str::<EventBody>(&payload) {
                Ok(EventBody::ContactRegistered { contact }) => contacts.push((seq, contact)),
                _ => {
                    return Err(StoreError::Corrupt(format!(
                        "第 {seq} 号事件不是有效的登记事件"
                    )));
                }
            }
        }
        let mut matters: Vec<String> = contacts
            .iter()
            .map(|(_, c)| c.matter.as_str().to_owned())
            .collect();
        matters.sort();
        matters.dedup();
        let mut labels: HashMap<String, (String, String)> = HashMap::new();
        for chunk in matters.chunks(crate::log::ROWS_PER_STATEMENT * 8) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("SELECT id, domain, purpose FROM matters WHERE id IN ({list})");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.clone());
            }
            for row in q.fetch_all(&mut *conn).await? {
                labels.insert(
                    row.try_get("id")?,
                    (row.try_get("domain")?, row.try_get("purpose")?),
                );
            }
        }
        let mut out = Vec::with_capacity(contacts.len());
        for (seq, contact) in contacts {
            let Some((domain, purpose)) = labels.get(contact.matter.as_str()) else {
                return Err(StoreError::Corrupt(format!(
                    "第 {seq} 号事件登记的事项 {} 不在当前状态中",
                    contact.matter.as_str()
                )));
            };
            let purpose: Purpose = serde_json::from_value(serde_json::Value::String(
                purpose.clone(),
            ))
            .map_err(|_| StoreError::Corrupt(format!("事项的信访目的无法解析：{purpose}")))?;
            let d = &contact.draft;
            let text = [&d.summary, &d.full_text, &d.demands]
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            out.push(StaffChoice {
                seq,
                text,
                domain: domain.clone(),
                purpose,
            });
        }
        Ok(out)
    }
}
