//! Reads for hot spots (热点): the matters received in a period within the user's scope, each with what
//! its contacts say. Scope is applied in SQL as in the matter list, so no matter outside it is read.

use chrono::NaiveDate;
use sqlx::Row;
use xinfang_domain::EventBody;

use crate::query::path_range;
use crate::{Result, Store, StoreError};

/// Which matters to read.
#[derive(Debug, Clone)]
pub struct HotspotQuery {
    /// The user's unit path: only matters held at or below it.
    pub scope: String,
    /// Received on or after this day.
    pub from: NaiveDate,
    /// Received on or before this day.
    pub to: NaiveDate,
    /// A GB/T 2260 region code: only matters in it.
    pub region: Option<String>,
    /// A domain: only matters in it or its subdomains.
    pub domain: Option<String>,
    /// At most this many matters, the most recent first.
    pub limit: i64,
}

/// One matter as hot spots read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotspotRow {
    pub id: String,
    pub received_on: NaiveDate,
    pub region: String,
    /// The content domain, as registered ("城乡建设/物业" or "城乡建设").
    pub domain: String,
    pub collective: bool,
    pub national: bool,
    pub persons: i64,
    /// The matter's summary and each contact's summary, text and demands. Personal data: never shown.
    pub text: String,
    /// Every petitioner's name: for redacting what is shown. Personal data: never shown.
    pub petitioners: Vec<String>,
}

impl Store {
    /// The matters the query asks for, the most recent first, with all their contacts' texts.
    pub async fn hotspot_matters(&self, q: &HotspotQuery) -> Result<Vec<HotspotRow>> {
        let mut conn = self.pool.acquire().await?;
        let (lo, hi) = path_range(&q.scope);
        let mut binds: Vec<String> = vec![q.from.to_string(), q.to.to_string(), lo, hi];
        let mut filter = String::from(
            "m.received_on >= $1 AND m.received_on <= $2 \
             AND ((m.bureau_path >= $3 AND m.bureau_path < $4) OR EXISTS (SELECT 1 FROM matter_units mu \
             WHERE mu.matter_id = m.id AND mu.unit_path >= $3 AND mu.unit_path < $4))",
        );
        if let Some(region) = &q.region {
            // Codes are padded with zeros: 330106 is inside 330100 and 330000.
            binds.push(format!("{}%", region.trim_end_matches("00")));
            filter.push_str(&format!(" AND m.region LIKE ${}", binds.len()));
        }
        if let Some(domain) = &q.domain {
            binds.push(domain.clone());
            binds.push(format!(
                "{}/%",
                domain
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            ));
            filter.push_str(&format!(
                " AND (m.domain = ${} OR m.domain LIKE ${} ESCAPE '\\')",
                binds.len() - 1,
                binds.len()
            ));
        }
        // The matters first (newest, up to the limit), then their contacts in one join.
        let sql = format!(
            "SELECT m.id, m.received_on, m.region, m.domain, m.flags, m.persons, m.summary, m.petitioner, \
             e.payload FROM (SELECT id FROM matters m WHERE {filter} \
             ORDER BY received_on DESC, id DESC LIMIT {}) AS picked \
             JOIN matters m ON m.id = picked.id \
             JOIN contacts c ON c.matter_id = m.id JOIN events e ON e.seq = c.seq \
             ORDER BY m.received_on DESC, m.id DESC, c.seq",
            q.limit.max(0)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            query = query.bind(b);
        }
        let mut out: Vec<HotspotRow> = Vec::new();
        for row in query.fetch_all(&mut *conn).await? {
            let id: String = row.try_get("id")?;
            let payload: String = row.try_get("payload")?;
            let contact = match serde_json::from_str::<EventBody>(&payload) {
                Ok(EventBody::ContactRegistered { contact }) => contact,
                _ => return Err(StoreError::Corrupt(format!("事项 {id} 的件次无法解析"))),
            };
            let d = &contact.draft;
            let said = format!("{}\n{}\n{}", d.summary, d.full_text, d.demands);
            if out.last().is_some_and(|last| last.id == id) {
                let last = out.last_mut().expect("checked");
                last.text.push('\n');
                last.text.push_str(&said);
                continue;
            }
            let received: String = row.try_get("received_on")?;
            let flags: String = row.try_get("flags")?;
            let summary: String = row.try_get("summary")?;
            let petitioner: Option<String> = row.try_get("petitioner")?;
            out.push(HotspotRow {
                received_on: received
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("事项 {id} 的收到日期无法解析")))?,
                region: row.try_get("region")?,
                domain: row.try_get("domain")?,
                collective: flags.split_whitespace().any(|f| f == "collective"),
                national: flags.split_whitespace().any(|f| f == "national"),
                persons: row.try_get("persons")?,
                text: format!("{summary}\n{said}"),
                petitioners: petitioner
                    .unwrap_or_default()
                    .split('\u{1f}')
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned)
                    .collect(),
                id,
            });
        }
        Ok(out)
    }
}
