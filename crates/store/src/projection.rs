//! Projection tables: current state, derived from the log and rebuildable from it. They hold only what
//! queries filter and list on; a matter's full state is the fold of its events, and a contact's full
//! record is the payload of the event that registered it.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xinfang_domain::catalog::code as tag;
use xinfang_domain::ids::{MatterId, UnitId, UserId};
use xinfang_domain::org::{Org, Region, Unit, User};
use xinfang_domain::petition::Contact;
use xinfang_domain::{EventBody, Matter, Status, access};

use crate::log::{ROWS_PER_STATEMENT, multi_row_insert};
use crate::{Result, StoreError};

/// What a matter's projection looks like apart from its id and `changed_seq`. An event that leaves it
/// as it was (a rating, a reminder) does not rewrite the matter's row; `changed_seq` names the last event
/// that did change it. The ledger and `verify` both decide this here, so they agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Projected {
    status: Status,
    handler: Option<UnitId>,
    next_due: Option<NaiveDate>,
    flags: Vec<&'static str>,
    persons: u32,
    holders: Vec<UnitId>,
}

impl Projected {
    pub(crate) fn of(m: &Matter) -> Self {
        let mut holders: Vec<UnitId> = access::holders(m).cloned().collect();
        holders.sort();
        holders.dedup();
        Self {
            status: m.status,
            handler: m.handler.clone(),
            next_due: m.next_due(),
            flags: m.flag_codes(),
            persons: m.contacts.iter().map(|c| c.person_count).sum(),
            holders,
        }
    }
}

/// How an event changed a matter's projection: which tables must be rewritten for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RowChange {
    /// Columns of `matters`.
    pub columns: bool,
    /// The units that hold it: `matter_units`.
    pub holders: bool,
    /// Its flags: `matter_flags`.
    pub flags: bool,
}

impl RowChange {
    const OPENED: Self = Self {
        columns: true,
        holders: true,
        flags: true,
    };

    pub(crate) fn any(self) -> bool {
        self != Self::default()
    }

    /// What two events changed together.
    pub(crate) fn and(self, other: Self) -> Self {
        Self {
            columns: self.columns || other.columns,
            holders: self.holders || other.holders,
            flags: self.flags || other.flags,
        }
    }
}

/// Fold one event into the organisation or the matter it concerns, saying how the matter's projection
/// changed. The ledger and `verify` both fold with this.
pub(crate) fn fold_event(
    org: &mut Org,
    matters: &mut HashMap<MatterId, Matter>,
    body: &EventBody,
    at: chrono::DateTime<chrono::Utc>,
    actor: &xinfang_domain::Actor,
) -> RowChange {
    if body.is_org() {
        org.apply(body);
        return RowChange::default();
    }
    if let EventBody::MatterOpened { matter, .. } = body {
        return match Matter::open(body, at) {
            Some(m) => {
                matters.insert(matter.clone(), m);
                RowChange::OPENED
            }
            None => RowChange::default(),
        };
    }
    match body.matter().and_then(|id| matters.get_mut(id)) {
        Some(m) => {
            let before = Projected::of(m);
            m.apply(body, at, actor);
            let after = Projected::of(m);
            RowChange {
                columns: after != before,
                holders: after.holders != before.holders,
                flags: after.flags != before.flags,
            }
        }
        None => RowChange::default(),
    }
}

/// One row of `matters`, with the paths of the units that hold it (`matter_units`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MatterRow {
    pub id: String,
    pub status: String,
    pub bureau: String,
    pub handler: Option<String>,
    pub purpose: String,
    pub domain: String,
    pub region: String,
    pub received_on: String,
    pub next_due: Option<String>,
    pub opened_ms: i64,
    pub changed_seq: i64,
    pub summary: String,
    pub channel: String,
    pub flags: String,
    pub target_unit: Option<String>,
    /// Every petitioner's name, the first petitioner first, each ended by U+001F; `None` if anonymous.
    pub petitioner: Option<String>,
    pub persons: i64,
    /// The bureau's path from the top of the organisation (it never changes).
    pub bureau_path: String,
    pub holder_paths: Vec<String>,
    /// The matter's rows of `matter_flags`, sorted.
    pub flag_rows: Vec<String>,
}

const MATTER_COLUMNS: &str = "id, status, bureau, handler, purpose, domain, region, received_on, \
                              next_due, opened_ms, changed_seq, summary, channel, flags, target_unit, \
                              petitioner, persons, bureau_path";

/// Names as stored: each ended by U+001F, so that no name can run into the next.
pub(crate) fn names_column(names: &[String]) -> Option<String> {
    (!names.is_empty()).then(|| names.iter().map(|n| format!("{n}\u{1f}")).collect())
}

/// Flag codes as stored: separated and surrounded by spaces, so `LIKE '% code %'` finds one.
pub(crate) fn flags_column(codes: &[&str]) -> String {
    format!(" {} ", codes.join(" "))
}

impl MatterRow {
    pub fn of(m: &Matter, changed_seq: i64, org: &Org) -> Self {
        let projected = Projected::of(m);
        let mut holder_paths: Vec<String> =
            projected.holders.iter().map(|u| org.unit_path(u)).collect();
        holder_paths.sort();
        let mut flag_rows: Vec<String> = projected.flags.iter().map(|f| (*f).to_owned()).collect();
        flag_rows.sort();
        Self {
            id: m.id.as_str().to_owned(),
            status: m.status.as_str().to_owned(),
            bureau: m.bureau.as_str().to_owned(),
            handler: m.handler.as_ref().map(|h| h.as_str().to_owned()),
            purpose: tag(&m.purpose),
            domain: m.domain.to_string(),
            region: m.region.as_str().to_owned(),
            received_on: m.received_on.to_string(),
            next_due: m.next_due().map(|d| d.to_string()),
            opened_ms: m.opened_at.timestamp_millis(),
            changed_seq,
            summary: m.summary.clone(),
            channel: m
                .contacts
                .first()
                .map(|c| tag(&c.channel))
                .unwrap_or_default(),
            flags: flags_column(&projected.flags),
            target_unit: m.target_unit.as_ref().map(|u| u.as_str().to_owned()),
            petitioner: names_column(&m.petitioner_names()),
            persons: i64::from(projected.persons),
            bureau_path: org.unit_path(&m.bureau),
            holder_paths,
            flag_rows,
        }
    }

    pub(crate) fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            status: r.try_get("status")?,
            bureau: r.try_get("bureau")?,
            handler: r.try_get("handler")?,
            purpose: r.try_get("purpose")?,
            domain: r.try_get("domain")?,
            region: r.try_get("region")?,
            received_on: r.try_get("received_on")?,
            next_due: r.try_get("next_due")?,
            opened_ms: r.try_get("opened_ms")?,
            changed_seq: r.try_get("changed_seq")?,
            summary: r.try_get("summary")?,
            channel: r.try_get("channel")?,
            flags: r.try_get("flags")?,
            target_unit: r.try_get("target_unit")?,
            petitioner: r.try_get("petitioner")?,
            persons: r.try_get("persons")?,
            bureau_path: r.try_get("bureau_path")?,
            holder_paths: Vec::new(),
            flag_rows: Vec::new(),
        })
    }
}

/// One row of `contacts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContactRow {
    pub id: String,
    pub matter_id: String,
    pub channel: String,
    pub relation: String,
    pub registered_by: String,
    pub received_ms: i64,
    pub person_count: i64,
    pub seq: i64,
}

const CONTACT_COLUMNS: &str =
    "id, matter_id, channel, relation, registered_by, received_ms, person_count, seq";

impl ContactRow {
    pub fn of(c: &Contact, seq: i64) -> Self {
        Self {
            id: c.draft.id.as_str().to_owned(),
            matter_id: c.matter.as_str().to_owned(),
            channel: tag(&c.draft.channel),
            relation: tag(&c.relation),
            registered_by: c.registered_by.as_str().to_owned(),
            received_ms: c.draft.received_at.timestamp_millis(),
            person_count: i64::from(c.draft.person_count),
            seq,
        }
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            matter_id: r.try_get("matter_id")?,
            channel: r.try_get("channel")?,
            relation: r.try_get("relation")?,
            registered_by: r.try_get("registered_by")?,
            received_ms: r.try_get("received_ms")?,
            person_count: r.try_get("person_count")?,
            seq: r.try_get("seq")?,
        })
    }
}

/// Rows for matters that do not exist yet.
pub(crate) async fn insert_matters(conn: &mut AnyConnection, rows: &[&MatterRow]) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = multi_row_insert("matters", MATTER_COLUMNS, 18, chunk.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(r.id.clone())
                .bind(r.status.clone())
                .bind(r.bureau.clone())
                .bind(r.handler.clone())
                .bind(r.purpose.clone())
                .bind(r.domain.clone())
                .bind(r.region.clone())
                .bind(r.received_on.clone())
                .bind(r.next_due.clone())
                .bind(r.opened_ms)
                .bind(r.changed_seq)
                .bind(r.summary.clone())
                .bind(r.channel.clone())
                .bind(r.flags.clone())
                .bind(r.target_unit.clone())
                .bind(r.petitioner.clone())
                .bind(r.persons)
                .bind(r.bureau_path.clone());
        }
        q.execute(&mut *conn).await?;
    }
    insert_holders(conn, rows).await?;
    insert_flags(conn, rows).await
}

async fn insert_flags(conn: &mut AnyConnection, rows: &[&MatterRow]) -> Result<()> {
    let pairs: Vec<(&String, &String)> = rows
        .iter()
        .flat_map(|r| r.flag_rows.iter().map(move |f| (f, &r.id)))
        .collect();
    for chunk in pairs.chunks(ROWS_PER_STATEMENT * 4) {
        let sql = multi_row_insert("matter_flags", "flag, matter_id", 2, chunk.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (flag, id) in chunk {
            q = q.bind((*flag).clone()).bind((*id).clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Delete the rows of `table` that belong to these matters.
async fn delete_rows_of(conn: &mut AnyConnection, table: &str, rows: &[&MatterRow]) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT * 8) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "DELETE FROM {table} WHERE matter_id IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            q = q.bind(r.id.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_holders(conn: &mut AnyConnection, rows: &[&MatterRow]) -> Result<()> {
    let pairs: Vec<(&String, &String)> = rows
        .iter()
        .flat_map(|r| r.holder_paths.iter().map(move |p| (p, &r.id)))
        .collect();
    for chunk in pairs.chunks(ROWS_PER_STATEMENT * 4) {
        let sql = multi_row_insert("matter_units", "unit_path, matter_id", 2, chunk.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (path, id) in chunk {
            q = q.bind((*path).clone()).bind((*id).clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// New values of the columns that change after a matter opens, many rows per statement; the holders
/// of `new_holders` and the flags of `new_flags` are rewritten.
pub(crate) async fn update_matters(
    conn: &mut AnyConnection,
    rows: &[&MatterRow],
    new_holders: &[&MatterRow],
    new_flags: &[&MatterRow],
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT * 2) {
        // `VALUES` names its columns column1, column2, … on both engines.
        let values = multi_row_insert("x", "x", 7, chunk.len());
        let values = &values[values.find("VALUES").expect("built above")..];
        let sql = format!(
            "UPDATE matters SET status = v.column2, handler = v.column3, next_due = v.column4, \
             changed_seq = v.column5, flags = v.column6, persons = v.column7 \
             FROM ({values}) AS v WHERE matters.id = v.column1"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(r.id.clone())
                .bind(r.status.clone())
                .bind(r.handler.clone())
                .bind(r.next_due.clone())
                .bind(r.changed_seq)
                .bind(r.flags.clone())
                .bind(r.persons);
        }
        q.execute(&mut *conn).await?;
    }
    delete_rows_of(conn, "matter_units", new_holders).await?;
    insert_holders(conn, new_holders).await?;
    delete_rows_of(conn, "matter_flags", new_flags).await?;
    insert_flags(conn, new_flags).await
}

pub(crate) async fn insert_contacts(conn: &mut AnyConnection, rows: &[ContactRow]) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT * 2) {
        let sql = multi_row_insert("contacts", CONTACT_COLUMNS, 8, chunk.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(r.id.clone())
                .bind(r.matter_id.clone())
                .bind(r.channel.clone())
                .bind(r.relation.clone())
                .bind(r.registered_by.clone())
                .bind(r.received_ms)
                .bind(r.person_count)
                .bind(r.seq);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Which of these contact ids are registered already.
pub(crate) async fn existing_contacts(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<std::collections::HashSet<String>> {
    let mut found = std::collections::HashSet::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 8) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT id FROM contacts WHERE id IN ({})", marks.join(", "));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.clone());
        }
        for row in q.fetch_all(&mut *conn).await? {
            found.insert(row.try_get("id")?);
        }
    }
    Ok(found)
}

/// The `value` column of each matter's rows of a side table.
async fn by_matter(
    conn: &mut AnyConnection,
    sql: &'static str,
) -> Result<HashMap<String, Vec<String>>> {
    let mut of_matter: HashMap<String, Vec<String>> = HashMap::new();
    for r in sqlx::query(sql).fetch_all(&mut *conn).await? {
        of_matter
            .entry(r.try_get("matter_id")?)
            .or_default()
            .push(r.try_get("value")?);
    }
    Ok(of_matter)
}

/// Every matter row with its holders and flags.
pub(crate) async fn matter_rows(conn: &mut AnyConnection) -> Result<Vec<MatterRow>> {
    let sql = format!("SELECT {MATTER_COLUMNS} FROM matters");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    let mut rows: Vec<MatterRow> = rows
        .iter()
        .map(MatterRow::from_row)
        .collect::<Result<_>>()?;
    let mut paths = by_matter(
        &mut *conn,
        "SELECT unit_path AS value, matter_id FROM matter_units",
    )
    .await?;
    let mut flags = by_matter(
        &mut *conn,
        "SELECT flag AS value, matter_id FROM matter_flags",
    )
    .await?;
    for row in &mut rows {
        row.holder_paths = paths.remove(&row.id).unwrap_or_default();
        row.holder_paths.sort();
        row.flag_rows = flags.remove(&row.id).unwrap_or_default();
        row.flag_rows.sort();
    }
    // Holders or flags of matters that have no row are a break too: keep them visible to `verify`.
    for (id, holder_paths) in paths {
        rows.push(MatterRow {
            id,
            holder_paths,
            ..MatterRow::orphan()
        });
    }
    for (id, flag_rows) in flags {
        rows.push(MatterRow {
            id,
            flag_rows,
            ..MatterRow::orphan()
        });
    }
    Ok(rows)
}

impl MatterRow {
    /// A row with nothing in it, for holders whose matter has no row.
    fn orphan() -> Self {
        Self {
            id: String::new(),
            status: String::new(),
            bureau: String::new(),
            handler: None,
            purpose: String::new(),
            domain: String::new(),
            region: String::new(),
            received_on: String::new(),
            next_due: None,
            opened_ms: 0,
            changed_seq: 0,
            summary: String::new(),
            channel: String::new(),
            flags: String::new(),
            target_unit: None,
            petitioner: None,
            persons: 0,
            bureau_path: String::new(),
            holder_paths: Vec::new(),
            flag_rows: Vec::new(),
        }
    }
}

pub(crate) async fn contact_rows(conn: &mut AnyConnection) -> Result<Vec<ContactRow>> {
    let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(ContactRow::from_row).collect()
}

/// Bring the organisation tables up to date with one organisation event, from the already-updated `org`.
pub(crate) async fn write_org_event(
    conn: &mut AnyConnection,
    org: &Org,
    body: &EventBody,
    seq: i64,
) -> Result<()> {
    match body {
        EventBody::RegionDefined(r) => upsert_region(conn, r, seq).await,
        EventBody::UnitCreated(Unit { id: unit, .. }) | EventBody::UnitUpdated { unit, .. } => {
            match org.unit(unit) {
                Some(u) => upsert_unit(conn, u, seq).await,
                None => Ok(()),
            }
        }
        EventBody::UserCreated(User { id: user, .. })
        | EventBody::UserRolesSet { user, .. }
        | EventBody::UserActiveSet { user, .. } => match org.user(user) {
            Some(u) => upsert_user(conn, u, seq).await,
            None => Ok(()),
        },
        EventBody::TemplateSet {
            unit,
            kind,
            template,
        } => crate::documents::write_template(conn, unit, *kind, template.as_ref()).await,
        _ => Ok(()),
    }
}

pub(crate) async fn upsert_user(conn: &mut AnyConnection, user: &User, seq: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (id, unit, name, roles, active, seq) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (id) DO UPDATE SET unit = excluded.unit, name = excluded.name, \
         roles = excluded.roles, active = excluded.active, seq = excluded.seq",
    )
    .bind(user.id.as_str().to_owned())
    .bind(user.unit.as_str().to_owned())
    .bind(user.name.clone())
    .bind(serde_json::to_string(&user.roles).expect("roles serialize"))
    .bind(i64::from(user.active))
    .bind(seq)
    .execute(&mut *conn)
    .await?;
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

/// The current state of these matters (those that exist): the fold of their events.
pub(crate) async fn load_matters(
    conn: &mut AnyConnection,
    ids: &[&MatterId],
) -> Result<Vec<Matter>> {
    let mut states: HashMap<String, Matter> = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 8) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT seq, at_ms, actor_user, actor_unit, kind, payload, prev_hash, hash, stream \
             FROM events WHERE stream IN ({}) ORDER BY seq",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(format!("matter:{id}"));
        }
        for row in q.fetch_all(&mut *conn).await? {
            let stream: String = row.try_get("stream")?;
            let e = crate::log::event_from_row(&row)?;
            let body: EventBody = e.body().map_err(|err| {
                StoreError::Corrupt(format!("第 {} 号事件无法解析：{err}", e.seq))
            })?;
            match states.get_mut(&stream) {
                Some(m) => m.apply(&body, e.at, &e.actor),
                None => {
                    if let Some(m) = Matter::open(&body, e.at) {
                        states.insert(stream, m);
                    }
                }
            }
        }
    }
    Ok(states.into_values().collect())
}

/// A matter's current state: the fold of its events.
pub(crate) async fn load_matter(conn: &mut AnyConnection, id: &MatterId) -> Result<Option<Matter>> {
    Ok(load_matters(conn, &[id]).await?.pop())
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
    for row in sqlx::query("SELECT id, unit, name, roles, active FROM users")
        .fetch_all(&mut *conn)
        .await?
    {
        let id: String = row.try_get("id")?;
        let unit: String = row.try_get("unit")?;
        let roles: String = row.try_get("roles")?;
        let active: i64 = row.try_get("active")?;
        let corrupt = || StoreError::Corrupt(format!("用户 {id} 的数据无法解析"));
        org.insert_user(User {
            id: UserId::parse(&id).map_err(|_| corrupt())?,
            name: row.try_get("name")?,
            unit: UnitId::parse(&unit).map_err(|_| corrupt())?,
            roles: serde_json::from_str(&roles).map_err(|_| corrupt())?,
            active: active == 1,
        });
    }
    crate::documents::load_templates(conn, &mut org).await?;
    Ok(org)
}
