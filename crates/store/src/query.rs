//! Reads for people: matter lists with filters, a matter's contacts and timeline. Scope is applied here,
//! in SQL, by the paths of the units that hold each matter (`matter_units`), so a page never loads
//! matters the user may not see.

use chrono::NaiveDate;
use sqlx::Row;
use xinfang_domain::access::MatterFacts;
use xinfang_domain::catalog::Purpose;
use xinfang_domain::ids::{MatterId, UnitId};
use xinfang_domain::org::UNIT_PATH_SEPARATOR;
use xinfang_domain::petition::Contact;
use xinfang_domain::{EventBody, StoredEvent};

use crate::projection::MatterRow;
use crate::{Result, Store, StoreError};

/// How a list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MatterSort {
    /// 收到日期
    #[default]
    Received,
    /// 下一个期限: only matters that have one (someone must still act).
    NextDue,
    /// Last change.
    Changed,
}

/// Which matters to list. Text filters are exact codes except where noted.
#[derive(Debug, Clone, Default)]
pub struct MatterQuery {
    /// The user's unit path ([`xinfang_domain::org::Org::unit_path`]): only matters held at or below
    /// it. `None` lists everything (operators' tools only).
    pub scope: Option<String>,
    /// Only matters held at or below this unit path.
    pub unit: Option<String>,
    pub statuses: Vec<String>,
    pub channel: Option<String>,
    pub purpose: Option<String>,
    /// The domain or any of its subdomains (`劳动社保` matches `劳动社保/工资拖欠`).
    pub domain: Option<String>,
    /// The region or any region inside it (a GB/T 2260 prefix).
    pub region: Option<String>,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    /// Only matters whose next deadline is before this day (overdue on it).
    pub overdue_on: Option<NaiveDate>,
    /// Every one of these flag codes must be set.
    pub flags: Vec<String>,
    /// Words the summary must contain.
    pub text: Option<String>,
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
    pub sort: MatterSort,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

/// One matter of a list, with what the access rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatterListRow {
    pub id: String,
    pub status: String,
    pub bureau: String,
    pub handler: Option<String>,
    pub purpose: Purpose,
    pub domain: String,
    pub region: String,
    pub received_on: String,
    pub next_due: Option<String>,
    pub channel: String,
    pub flags: Vec<String>,
    pub target_unit: Option<UnitId>,
    /// Personal data (every petitioner's name, the first first): apply `identity_view` before showing it.
    pub petitioners: Vec<String>,
    pub persons: i64,
    pub summary: String,
    pub holders: Vec<UnitId>,
}

impl MatterFacts for MatterListRow {
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

/// Below this many (matter, holder) pairs in a scope, a list collects the scope's matters first.
const FEW_HELD: i64 = 2_000;
/// Lists count matches up to this many; beyond, they say "more than" (the figures count exactly).
pub const COUNT_CAP: i64 = 1_000;

/// How many matters a list matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    /// At most [`COUNT_CAP`].
    pub count: i64,
    /// False when more than [`COUNT_CAP`] matched.
    pub exact: bool,
}

/// The range `[path, path with its last separator raised by one)`: every path that starts with `path`.
pub(crate) fn path_range(path: &str) -> (String, String) {
    let mut upper = path.trim_end_matches(UNIT_PATH_SEPARATOR).to_owned();
    upper.push(char::from_u32(UNIT_PATH_SEPARATOR as u32 + 1).expect("a valid char"));
    (path.to_owned(), upper)
}

/// A WHERE clause under construction, with its parameters in order.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    texts: Vec<String>,
}

impl Where {
    /// Add a clause whose `?` marks are the next parameters, in order.
    fn add(&mut self, clause: &str, values: impl IntoIterator<Item = String>) {
        let mut clause = clause.to_owned();
        for v in values {
            self.texts.push(v);
            clause = clause.replacen('?', &format!("${}", self.texts.len()), 1);
        }
        self.clauses.push(clause);
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// `%` and `_` in user text are matched literally.
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Store {
    /// A page of matters matching the query, and how many match in all.
    pub async fn list_matters(&self, q: &MatterQuery) -> Result<(Vec<MatterListRow>, Total)> {
        let mut conn = self.pool.acquire().await?;
        let w = matter_filter(&mut conn, q).await?;
        let total = count_where(&mut conn, &w).await?;
        let filter = w.sql();
        let direction = if q.descending { "DESC" } else { "ASC" };
        // Each order has an index giving exactly it, ties broken by id (migration 0004).
        let order = match q.sort {
            MatterSort::Received => "received_on",
            MatterSort::NextDue => "next_due",
            MatterSort::Changed => "changed_seq",
        };

        let sql = format!(
            "SELECT id, status, bureau, handler, purpose, domain, region, received_on, next_due, \
             opened_ms, changed_seq, summary, channel, flags, target_unit, petitioner, persons, \
             bureau_path \
             FROM matters {filter} ORDER BY {order} {direction}, id {direction} LIMIT {} OFFSET {}",
            q.limit.clamp(1, 1000),
            q.offset.max(0)
        );
        let mut page = sqlx::query(sqlx::AssertSqlSafe(sql));
        for t in &w.texts {
            page = page.bind(t.clone());
        }
        let rows: Vec<MatterRow> = page
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(MatterRow::from_row)
            .collect::<Result<_>>()?;
        let mut holders = self.holders_of(&mut conn, &rows).await?;
        let list = rows
            .into_iter()
            .map(|r| {
                let corrupt = || StoreError::Corrupt(format!("事项 {} 的投影无法解析", r.id));
                Ok(MatterListRow {
                    holders: holders.remove(&r.id).unwrap_or_default(),
                    purpose: serde_json::from_value(serde_json::Value::String(r.purpose))
                        .map_err(|_| corrupt())?,
                    target_unit: r
                        .target_unit
                        .map(|u| UnitId::parse(&u).map_err(|_| corrupt()))
                        .transpose()?,
                    flags: r.flags.split_whitespace().map(str::to_owned).collect(),
                    id: r.id,
                    status: r.status,
                    bureau: r.bureau,
                    handler: r.handler,
                    domain: r.domain,
                    region: r.region,
                    received_on: r.received_on,
                    next_due: r.next_due,
                    channel: r.channel,
                    petitioners: r
                        .petitioner
                        .unwrap_or_default()
                        .split('\u{1f}')
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    persons: r.persons,
                    summary: r.summary,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((list, total))
    }

    async fn holders_of(
        &self,
        conn: &mut sqlx::AnyConnection,
        rows: &[MatterRow],
    ) -> Result<std::collections::HashMap<String, Vec<UnitId>>> {
        let mut out: std::collections::HashMap<String, Vec<UnitId>> = Default::default();
        if rows.is_empty() {
            return Ok(out);
        }
        let marks: Vec<String> = (1..=rows.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT matter_id, unit_path FROM matter_units WHERE matter_id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in rows {
            q = q.bind(r.id.clone());
        }
        for row in q.fetch_all(&mut *conn).await? {
            let path: String = row.try_get("unit_path")?;
            let unit = path
                .trim_end_matches(UNIT_PATH_SEPARATOR)
                .rsplit(UNIT_PATH_SEPARATOR)
                .next()
                .and_then(|u| UnitId::parse(u).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("单位路径无法解析：{path:?}")))?;
            out.entry(row.try_get("matter_id")?).or_default().push(unit);
        }
        Ok(out)
    }

    /// The contacts of a matter, in the order they were registered, as registered.
    pub async fn contacts_of(&self, matter: &MatterId) -> Result<Vec<Contact>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT e.payload, e.seq FROM contacts c JOIN events e ON e.seq = c.seq \
             WHERE c.matter_id = $1 ORDER BY e.seq",
        )
        .bind(matter.as_str().to_owned())
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                let seq: i64 = r.try_get("seq")?;
                match serde_json::from_str::<EventBody>(&payload) {
                    Ok(EventBody::ContactRegistered { contact }) => Ok(*contact),
                    _ => Err(StoreError::Corrupt(format!("第 {seq} 号事件不是件次登记"))),
                }
            })
            .collect()
    }

    /// Every event of a matter, in order.
    pub async fn matter_events(&self, matter: &MatterId) -> Result<Vec<StoredEvent>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor_user, actor_unit, kind, payload, prev_hash, hash \
             FROM events WHERE stream = $1 ORDER BY seq",
        )
        .bind(format!("matter:{matter}"))
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(crate::log::event_from_row).collect()
    }
}

impl Store {
    /// How many matters match, up to [`COUNT_CAP`], without reading any: for to-do counts, which need
    /// no page (a page sorted by date over a common flag can cost more than the count).
    pub async fn count_matters(&self, q: &MatterQuery) -> Result<Total> {
        let mut conn = self.pool.acquire().await?;
        let w = matter_filter(&mut conn, q).await?;
        count_where(&mut conn, &w).await
    }
}

/// The WHERE clause of a list query: scope, then filters.
async fn matter_filter(conn: &mut sqlx::AnyConnection, q: &MatterQuery) -> Result<Where> {
    let mut w = Where::default();
    for path in [&q.scope, &q.unit].into_iter().flatten() {
        let (lo, hi) = path_range(path);
        // A unit holding few matters: collect them first. A unit holding many (a city bureau holds
        // nearly all): walk the matters in the order asked and check each one's holders, so a page
        // costs a page, not the whole city.
        let held: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM matter_units \
                 WHERE unit_path >= $1 AND unit_path < $2 LIMIT $3) AS held",
        )
        .bind(lo.clone())
        .bind(hi.clone())
        .bind(FEW_HELD)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
        if held < FEW_HELD {
            w.add(
                "id IN (SELECT matter_id FROM matter_units WHERE unit_path >= ? AND unit_path < ?)",
                [lo, hi],
            );
        } else {
            // The bureau is a holder of every matter and its path is in the row: for a bureau's
            // users that settles most rows without looking further.
            w.add(
                "((bureau_path >= ? AND bureau_path < ?) OR EXISTS (SELECT 1 FROM matter_units mu \
                     WHERE mu.matter_id = matters.id AND mu.unit_path >= ? AND mu.unit_path < ?))",
                [lo.clone(), hi.clone(), lo, hi],
            );
        }
    }
    if !q.statuses.is_empty() {
        let marks = vec!["?"; q.statuses.len()].join(", ");
        w.add(&format!("status IN ({marks})"), q.statuses.clone());
    }
    if let Some(v) = &q.channel {
        w.add("channel = ?", [v.clone()]);
    }
    if let Some(v) = &q.purpose {
        w.add("purpose = ?", [v.clone()]);
    }
    if let Some(v) = &q.domain {
        w.add(
            "(domain = ? OR domain LIKE ? ESCAPE '\\')",
            [v.clone(), format!("{}/%", like_escaped(v))],
        );
    }
    if let Some(v) = &q.region {
        // Codes are padded with zeros: 330106 is inside 330100 and 330000.
        let prefix = v.trim_end_matches("00");
        w.add(
            "region LIKE ? ESCAPE '\\'",
            [format!("{}%", like_escaped(prefix))],
        );
    }
    if let Some(d) = q.due_from {
        w.add("next_due >= ?", [d.to_string()]);
    }
    if let Some(d) = q.due_to {
        w.add("next_due <= ?", [d.to_string()]);
    }
    if q.sort == MatterSort::NextDue {
        w.add("next_due IS NOT NULL", []);
    }
    if let Some(d) = q.overdue_on {
        w.add("next_due < ?", [d.to_string()]);
    }
    if let Some(d) = q.received_from {
        w.add("received_on >= ?", [d.to_string()]);
    }
    if let Some(d) = q.received_to {
        w.add("received_on <= ?", [d.to_string()]);
    }
    for flag in &q.flags {
        w.add(
            "id IN (SELECT matter_id FROM matter_flags WHERE flag = ?)",
            [flag.clone()],
        );
    }
    if let Some(text) = &q.text {
        for word in text.split_whitespace() {
            w.add(
                "summary LIKE ? ESCAPE '\\'",
                [format!("%{}%", like_escaped(word))],
            );
        }
    }
    Ok(w)
}

async fn count_where(conn: &mut sqlx::AnyConnection, w: &Where) -> Result<Total> {
    let mut count = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM matters {} LIMIT {}) AS hits",
        w.sql(),
        COUNT_CAP + 1
    )));
    for t in &w.texts {
        count = count.bind(t.clone());
    }
    let counted: i64 = count.fetch_one(&mut *conn).await?.try_get("n")?;
    Ok(Total {
        count: counted.min(COUNT_CAP),
        exact: counted <= COUNT_CAP,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_range_holds_exactly_the_subtree() {
        let (lo, hi) = super::path_range("a\u{1f}b\u{1f}");
        for inside in ["a\u{1f}b\u{1f}", "a\u{1f}b\u{1f}c\u{1f}"] {
            assert!(inside >= lo.as_str() && inside < hi.as_str(), "{inside:?}");
        }
        for outside in [
            "a\u{1f}",
            "a\u{1f}bc\u{1f}",
            "a\u{1f}b2\u{1f}",
            "a\u{1f}c\u{1f}",
        ] {
            assert!(
                !(outside >= lo.as_str() && outside < hi.as_str()),
                "{outside:?}"
            );
        }
    }
}
