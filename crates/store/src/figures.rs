//! The figures of brief §6 from the `figure_facts` table: the rows are the domain's [`Fact`]s, kept with
//! the projections, and each [`Part`] is summed in SQL with the condition [`Fact::count`] applies, so a
//! bulletin reads only the rows of its period. The tests check both give the same counts.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xinfang_domain::Matter;
use xinfang_domain::catalog::{code as tag, from_code};
use xinfang_domain::figures::{
    CONTACT_FLAGS, Counts, Fact, FactKind, GroupBy, PART_OUTSIDE_ROLLUPS, Part, RATING_PARTS,
    Slice, Window, facts,
};
use xinfang_domain::ids::{Level, MatterId, RegionCode, UnitId};
use xinfang_domain::rules::FigureRules;

use crate::log::multi_row_insert;
use crate::rollups::{self, Rollup};
use crate::{Result, Store, StoreError};

const FACT_COLUMNS: &str = "matter_id, ordinal, kind, day, known_on, done_on, changed_on, \
                            changed_day, region, domain, purpose, channel, unit, amount, flags";
const FACT_WIDTH: usize = 15;
/// Rows per INSERT: SQLite looks `$n` names up in a linear list, so wide statements cost quadratically
/// (see docs/performance.md); as many parameters as the event rows' statements use.
const FACT_ROWS_PER_STATEMENT: usize = crate::log::ROWS_PER_STATEMENT * 9 / FACT_WIDTH;

/// One row of `figure_facts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FactRow {
    pub(crate) matter_id: String,
    pub(crate) ordinal: i64,
    kind: String,
    day: String,
    known_on: String,
    done_on: Option<String>,
    changed_on: Option<String>,
    changed_day: Option<String>,
    region: String,
    domain: String,
    purpose: String,
    channel: String,
    unit: String,
    amount: i64,
    flags: i64,
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl FactRow {
    fn of(matter: &MatterId, ordinal: usize, f: &Fact) -> Self {
        Self {
            matter_id: matter.as_str().to_owned(),
            ordinal: ordinal as i64,
            kind: f.kind.code().to_owned(),
            day: day_text(f.day),
            known_on: day_text(f.known_on),
            done_on: f.done_on.map(day_text),
            changed_on: f.changed_on.map(day_text),
            changed_day: f.changed_day.map(day_text),
            region: f.region.as_str().to_owned(),
            domain: f.domain.clone(),
            purpose: tag(&f.purpose),
            channel: tag(&f.channel),
            unit: f.unit.as_str().to_owned(),
            amount: f.amount as i64,
            flags: i64::from(f.flags),
        }
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            matter_id: r.try_get("matter_id")?,
            ordinal: r.try_get("ordinal")?,
            kind: r.try_get("kind")?,
            day: r.try_get("day")?,
            known_on: r.try_get("known_on")?,
            done_on: r.try_get("done_on")?,
            changed_on: r.try_get("changed_on")?,
            changed_day: r.try_get("changed_day")?,
            region: r.try_get("region")?,
            domain: r.try_get("domain")?,
            purpose: r.try_get("purpose")?,
            channel: r.try_get("channel")?,
            unit: r.try_get("unit")?,
            amount: r.try_get("amount")?,
            flags: r.try_get("flags")?,
        })
    }
}

/// The rows of one matter, in order, with its facts' steps added to `rollup`: each fact derived once
/// for both tables.
pub(crate) fn rows_adding_steps(
    m: &Matter,
    rules: &FigureRules,
    rollup: &mut Rollup,
) -> Vec<FactRow> {
    let facts = facts(m, rules);
    for f in &facts {
        rollup.add(f, 1);
    }
    facts
        .iter()
        .enumerate()
        .map(|(i, f)| FactRow::of(&m.id, i, f))
        .collect()
}

/// What a transaction does to `figure_facts`: a row is written only where a matter's fact at that
/// ordinal differs from the one the table holds. Most commands change one or two of a matter's rows;
/// rewriting all of them made the bulk path (demo, import) half as fast.
#[derive(Default)]
pub(crate) struct FactChanges {
    /// Rows whose fact changed or is new.
    written: Vec<FactRow>,
    /// Matters with fewer facts than rows, and how many they have: ordinals are dense, so the rows
    /// past that many are the ones gone.
    shrunk: Vec<(String, i64)>,
    /// What the changed facts take from and add to `figure_rollups`.
    rollup: Rollup,
}

impl FactChanges {
    /// `before`: the matter's facts as its rows stand; `after`: its facts now.
    pub(crate) fn add(&mut self, matter: &MatterId, before: &[Fact], after: &[Fact]) {
        for (ordinal, fact) in after.iter().enumerate() {
            let was = before.get(ordinal);
            if was != Some(fact) {
                self.written.push(FactRow::of(matter, ordinal, fact));
                if let Some(was) = was {
                    self.rollup.add(was, -1);
                }
                self.rollup.add(fact, 1);
            }
        }
        for gone in before.iter().skip(after.len()) {
            self.rollup.add(gone, -1);
        }
        if before.len() > after.len() {
            self.shrunk
                .push((matter.as_str().to_owned(), after.len() as i64));
        }
    }

    pub(crate) async fn write(&self, conn: &mut AnyConnection) -> Result<()> {
        // One statement per matter: no step of the workflow takes a fact away today.
        for (matter, facts) in &self.shrunk {
            sqlx::query("DELETE FROM figure_facts WHERE matter_id = $1 AND ordinal >= $2")
                .bind(matter.clone())
                .bind(*facts)
                .execute(&mut *conn)
                .await?;
        }
        // A changed row is updated in place: deleting and inserting it again would touch each of the
        // table's indexes twice.
        let columns: Vec<String> = FACT_COLUMNS
            .split(", ")
            .skip(2) // the key
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let upsert = format!(
            " ON CONFLICT (matter_id, ordinal) DO UPDATE SET {}",
            columns.join(", ")
        );
        write_rows(conn, &self.written, &upsert).await?;
        self.rollup.add_to(conn).await
    }
}

pub(crate) async fn insert_facts(conn: &mut AnyConnection, rows: &[FactRow]) -> Result<()> {
    write_rows(conn, rows, "").await
}

/// `INSERT` the rows, with `conflict` (an `ON CONFLICT` clause or nothing) after the values.
async fn write_rows(conn: &mut AnyConnection, rows: &[FactRow], conflict: &str) -> Result<()> {
    for chunk in rows.chunks(FACT_ROWS_PER_STATEMENT) {
        let mut sql = multi_row_insert("figure_facts", FACT_COLUMNS, FACT_WIDTH, chunk.len());
        sql.push_str(conflict);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(r.matter_id.clone())
                .bind(r.ordinal)
                .bind(r.kind.clone())
                .bind(r.day.clone())
                .bind(r.known_on.clone())
                .bind(r.done_on.clone())
                .bind(r.changed_on.clone())
                .bind(r.changed_day.clone())
                .bind(r.region.clone())
                .bind(r.domain.clone())
                .bind(r.purpose.clone())
                .bind(r.channel.clone())
                .bind(r.unit.clone())
                .bind(r.amount)
                .bind(r.flags);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub(crate) async fn all_fact_rows(conn: &mut AnyConnection) -> Result<Vec<FactRow>> {
    let sql = format!("SELECT {FACT_COLUMNS} FROM figure_facts");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(FactRow::from_row)
        .collect()
}

/// Every fact the table holds, as the domain's facts.
pub(crate) async fn all_facts(conn: &mut AnyConnection) -> Result<Vec<Fact>> {
    all_fact_rows(conn)
        .await?
        .iter()
        .map(|r| r.to_fact().map(|(_, f)| f))
        .collect()
}

pub(crate) async fn facts_rules(conn: &mut AnyConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT repeat_window_days FROM figure_facts_rules WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?,
    )
}

pub(crate) async fn set_facts_rules(conn: &mut AnyConnection, rules: &FigureRules) -> Result<()> {
    sqlx::query("UPDATE figure_facts_rules SET repeat_window_days = $1 WHERE id = 1")
        .bind(i64::from(rules.repeat_window_days))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The SQL of one part: the kind of row it counts, the condition on the row, what it adds.
struct PartSql {
    kind: FactKind,
    condition: String,
    amount: &'static str,
}

/// The conditions of [`Fact::count`] in SQL, with the window's days written in (they are dates, never
/// text from a request).
fn part_sql(part: Part, w: &Window) -> PartSql {
    let from = day_text(w.period.from);
    let to = day_text(w.period.to);
    let as_of = day_text(w.as_of);
    let end = day_text(w.period.to.min(w.as_of));
    let in_period = |col: &str| format!("({col} >= '{from}' AND {col} <= '{to}')");
    let due = format!(
        "(CASE WHEN changed_on IS NOT NULL AND changed_on <= '{as_of}' THEN changed_day ELSE day END)"
    );
    let done = format!("(CASE WHEN done_on <= '{as_of}' THEN done_on END)");
    let counted = format!(
        "({p} AND ({done} IS NOT NULL OR {due} < '{as_of}'))",
        p = in_period(&due)
    );
    let simple = |kind, cond: String| PartSql {
        kind,
        condition: cond,
        amount: "1",
    };
    let on_time = format!(
        "{} AND {done} IS NOT NULL AND {done} <= {due}",
        in_period(&due)
    );
    let late = format!(
        "{} AND {done} IS NOT NULL AND {done} > {due}",
        in_period(&due)
    );
    let overdue = format!(
        "{} AND {done} IS NULL AND {due} < '{as_of}'",
        in_period(&due)
    );
    let rated = format!("done_on <= '{as_of}'");
    let expired = format!("(done_on IS NULL OR done_on > '{as_of}') AND day < '{as_of}'");
    let contact_flag = |part: Part| {
        let bit = CONTACT_FLAGS
            .iter()
            .position(|p| *p == part)
            .expect("a contact part");
        simple(FactKind::Contact, format!("(flags & {}) <> 0", 1 << bit))
    };
    match part {
        Part::Contacts => simple(FactKind::Contact, "1 = 1".into()),
        Part::Persons => PartSql {
            kind: FactKind::Contact,
            condition: "1 = 1".into(),
            amount: "amount",
        },
        Part::Matters
        | Part::Online
        | Part::Repeat
        | Part::Collective
        | Part::National
        | Part::Provincial => contact_flag(part),
        Part::DecisionOnTime => simple(FactKind::Decision, on_time),
        Part::DecisionLate => simple(FactKind::Decision, late),
        Part::DecisionOverdue => simple(FactKind::Decision, overdue),
        Part::AnswerOnTime => simple(FactKind::Answer, on_time),
        Part::AnswerLate => simple(FactKind::Answer, late),
        Part::AnswerOverdue => simple(FactKind::Answer, overdue),
        Part::AnswerNotYetDue => simple(
            FactKind::Answer,
            format!(
                "NOT {counted} AND known_on <= '{end}' AND (done_on IS NULL OR done_on > '{end}') \
                 AND {due} >= '{end}'"
            ),
        ),
        Part::BureauRated => simple(FactKind::Window, format!("flags = 0 AND {rated}")),
        Part::BureauExpired => simple(FactKind::Window, format!("flags = 0 AND {expired}")),
        Part::UnitRated => simple(FactKind::Window, format!("flags = 1 AND {rated}")),
        Part::UnitExpired => simple(FactKind::Window, format!("flags = 1 AND {expired}")),
        Part::OneTimeResolved => simple(
            FactKind::OneTime,
            format!("(done_on IS NULL OR done_on > '{as_of}')"),
        ),
        Part::OneTimeNotResolved => simple(FactKind::OneTime, format!("done_on <= '{as_of}'")),
        Part::OneTimeWatching => simple(
            FactKind::OneTime,
            format!("(done_on IS NULL OR done_on > '{as_of}') AND changed_day > '{as_of}'"),
        ),
        rating => {
            let index = RATING_PARTS
                .iter()
                .position(|p| *p == rating)
                .expect("every other part is a rating");
            simple(FactKind::Rating, format!("flags = {index}"))
        }
    }
}

/// Which rows of a kind can count in the window at all (the part conditions narrow further); written
/// so that the `(kind, day)` and `(kind, changed_day)` indexes find them.
fn kind_rows(kind: FactKind, w: &Window, not_yet_due: bool) -> String {
    let from = day_text(w.period.from);
    let to = day_text(w.period.to);
    let as_of = day_text(w.as_of);
    let end = day_text(w.period.to.min(w.as_of));
    let k = kind.code();
    let days = format!("day >= '{from}' AND day <= '{to}'");
    match kind {
        FactKind::Decision | FactKind::Answer => {
            let moved = format!("changed_day >= '{from}' AND changed_day <= '{to}'");
            let mut rows =
                format!("(kind = '{k}' AND known_on <= '{as_of}' AND ({days} OR ({moved})))");
            if kind == FactKind::Answer && not_yet_due {
                // Pending at the period's end: any deadline after it, so no index narrows these.
                rows = format!(
                    "({rows} OR (kind = '{k}' AND known_on <= '{end}' \
                     AND (done_on IS NULL OR done_on > '{end}')))"
                );
            }
            rows
        }
        _ => format!("(kind = '{k}' AND known_on <= '{as_of}' AND {days})"),
    }
}

/// The slice as SQL conditions with `$n` placeholders from `first`, and the values to bind.
fn slice_sql(slice: &Slice, first: usize) -> (String, Vec<String>) {
    let mut conds = Vec::new();
    let mut binds = Vec::new();
    let mark = |value: String, binds: &mut Vec<String>| {
        binds.push(value);
        format!("${}", first + binds.len() - 1)
    };
    if let Some(r) = &slice.region {
        let code = r.as_str();
        let prefix = match r.level() {
            Level::Province => &code[..2],
            Level::City => &code[..4],
            _ => code,
        };
        let m = mark(format!("{prefix}%"), &mut binds);
        conds.push(format!("region LIKE {m}"));
    }
    if let Some(units) = &slice.units {
        if units.is_empty() {
            conds.push("1 = 0".into());
        } else {
            let marks: Vec<String> = units
                .iter()
                .map(|u| mark(u.as_str().to_owned(), &mut binds))
                .collect();
            conds.push(format!("unit IN ({})", marks.join(", ")));
        }
    }
    if let Some(d) = &slice.domain {
        let m = mark(d.clone(), &mut binds);
        conds.push(format!("domain = {m}"));
    }
    if let Some(c) = &slice.channel {
        let m = mark(tag(c), &mut binds);
        conds.push(format!("channel = {m}"));
    }
    if let Some(p) = &slice.purpose {
        let m = mark(tag(p), &mut binds);
        conds.push(format!("purpose = {m}"));
    }
    let sql = conds
        .iter()
        .map(|c| format!(" AND {c}"))
        .collect::<String>();
    (sql, binds)
}

/// The rows counted in any of `parts` for `w` in `slice`, as a WHERE condition and its values.
fn parts_filter(w: &Window, slice: &Slice, parts: &[Part]) -> (String, Vec<String>) {
    let not_yet_due = parts.contains(&Part::AnswerNotYetDue);
    let conds: Vec<String> = parts
        .iter()
        .map(|p| {
            let s = part_sql(*p, w);
            format!(
                "({} AND ({}))",
                kind_rows(s.kind, w, not_yet_due),
                s.condition
            )
        })
        .collect();
    let (slice_cond, binds) = slice_sql(slice, 1);
    (format!("({}){slice_cond}", conds.join(" OR ")), binds)
}

fn group_sql(group: GroupBy) -> String {
    match group {
        GroupBy::Total => "''".into(),
        GroupBy::Region { digits } => format!("substr(region, 1, {})", digits.clamp(1, 12)),
        GroupBy::Unit => "unit".into(),
        GroupBy::Domain => "domain".into(),
        GroupBy::Channel => "channel".into(),
        GroupBy::Purpose => "purpose".into(),
    }
}

fn group_key(group: GroupBy, raw: String) -> String {
    match group {
        GroupBy::Region { .. } => format!("{raw:0<6}"),
        _ => raw,
    }
}

/// One statement of a scan of `figure_facts`: its SQL (standard enough for any SQL engine over a copy
/// of the table), the values of its `$n` parameters, and the part each column after the group sums.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScanStatement {
    pub sql: String,
    pub binds: Vec<String>,
    pub parts: Vec<Part>,
}

/// The statements that count `wanted` for `w` in `slice` by `group` from every fact row: one per kind.
pub fn scan_statements(
    w: &Window,
    slice: &Slice,
    group: GroupBy,
    wanted: &[Part],
) -> Vec<ScanStatement> {
    let not_yet_due = wanted.contains(&Part::AnswerNotYetDue);
    let mut by_kind: BTreeMap<FactKind, Vec<(Part, PartSql)>> = BTreeMap::new();
    for part in wanted {
        let sql = part_sql(*part, w);
        by_kind.entry(sql.kind).or_default().push((*part, sql));
    }
    let (slice_cond, binds) = slice_sql(slice, 1);
    let g = group_sql(group);
    // PostgreSQL refuses to group by a constant: the total is one aggregate row.
    let group_by = match group {
        GroupBy::Total => String::new(),
        _ => format!(" GROUP BY {g}"),
    };
    by_kind
        .into_iter()
        .map(|(kind, parts)| {
            let sums: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(i, (_, p))| {
                    format!(
                        "CAST(SUM(CASE WHEN {} THEN {} ELSE 0 END) AS BIGINT) AS p{i}",
                        p.condition, p.amount
                    )
                })
                .collect();
            ScanStatement {
                sql: format!(
                    "SELECT {g} AS g, {} FROM figure_facts WHERE {}{slice_cond}{group_by}",
                    sums.join(", "),
                    kind_rows(kind, w, not_yet_due),
                ),
                binds: binds.clone(),
                parts: parts.into_iter().map(|(p, _)| p).collect(),
            }
        })
        .collect()
}

impl Store {
    /// The counts of every part for `w`, one row per group, only things in `slice`: what
    /// [`xinfang_domain::figures::tally`] gives for the same matters. `not_yet_due` also counts
    /// [`Part::AnswerNotYetDue`] (the 按期办结率 variant), which reads every answer pending at the period's end.
    ///
    /// Windows seen on or after their last day read the day-by-day roll-ups where they hold the slice
    /// and the grouping; others, and the not-yet-due answers, read the facts.
    pub async fn figure_counts(
        &self,
        w: &Window,
        slice: &Slice,
        group: GroupBy,
        not_yet_due: bool,
    ) -> Result<BTreeMap<String, Counts>> {
        if !rollups::serve(w, slice, group) {
            return self
                .figure_counts_by_scan(w, slice, group, not_yet_due)
                .await;
        }
        let mut conn = self.pool.acquire().await?;
        let mut out = rollups::counts(&mut conn, w, slice, group).await?;
        drop(conn);
        if not_yet_due {
            let pending = self
                .scan_counts(w, slice, group, &[PART_OUTSIDE_ROLLUPS])
                .await?;
            for (key, counts) in pending {
                out.entry(key).or_default().merge(&counts);
            }
        }
        Ok(out)
    }

    /// What [`Store::figure_counts`] gives, always from every fact row of the window: the reference the
    /// roll-ups are tested and benchmarked against.
    pub async fn figure_counts_by_scan(
        &self,
        w: &Window,
        slice: &Slice,
        group: GroupBy,
        not_yet_due: bool,
    ) -> Result<BTreeMap<String, Counts>> {
        let parts: Vec<Part> = Part::ALL
            .iter()
            .copied()
            .filter(|p| not_yet_due || *p != Part::AnswerNotYetDue)
            .collect();
        self.scan_counts(w, slice, group, &parts).await
    }

    async fn scan_counts(
        &self,
        w: &Window,
        slice: &Slice,
        group: GroupBy,
        wanted: &[Part],
    ) -> Result<BTreeMap<String, Counts>> {
        let mut out: BTreeMap<String, Counts> = BTreeMap::new();
        let mut conn = self.pool.acquire().await?;
        for statement in scan_statements(w, slice, group, wanted) {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(statement.sql));
            for b in &statement.binds {
                q = q.bind(b.clone());
            }
            for row in q.fetch_all(&mut *conn).await? {
                let key = group_key(group, row.try_get("g")?);
                let counts = out.entry(key).or_default();
                for (i, part) in statement.parts.iter().enumerate() {
                    let n: Option<i64> = row.try_get(i + 1)?;
                    let n = n.unwrap_or(0);
                    if n < 0 {
                        return Err(StoreError::Corrupt(format!("统计结果为负数：{n}")));
                    }
                    if n > 0 {
                        counts.add(*part, n as u64);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The matters behind parts of a figure in `w` and `slice` (its drill-down), in id order, at most
    /// `limit` after `offset`, with how many there are in all.
    pub async fn figure_matters(
        &self,
        w: &Window,
        slice: &Slice,
        parts: &[Part],
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<MatterId>, i64)> {
        if parts.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let (filter, binds) = parts_filter(w, slice, parts);
        let mut conn = self.pool.acquire().await?;
        let count_sql =
            format!("SELECT COUNT(DISTINCT matter_id) FROM figure_facts WHERE {filter}");
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql));
        for b in &binds {
            q = q.bind(b.clone());
        }
        let total = q.fetch_one(&mut *conn).await?;
        let list_sql = format!(
            "SELECT DISTINCT matter_id FROM figure_facts WHERE {filter} ORDER BY matter_id \
             LIMIT {} OFFSET {}",
            limit.max(0),
            offset.max(0)
        );
        let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(list_sql));
        for b in &binds {
            q = q.bind(b.clone());
        }
        let ids = q
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|s| {
                MatterId::parse(&s)
                    .map_err(|e| StoreError::Corrupt(format!("统计表中的事项编号 {s} 无效：{e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((ids, total))
    }
}

impl Store {
    /// Write the figure facts and their roll-ups of matters folded outside the ledger, in id order, a
    /// transaction per 100,000 matters: only for `xinfang bench --build`, whose ten-million-matter
    /// database holds the figures' tables without the event log (see docs/performance.md). `verify`
    /// reports such a database as broken, rightly: its facts have no events behind them.
    pub async fn load_facts_without_events(&self, matters: &mut [&Matter]) -> Result<usize> {
        matters.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        let mut rollup = Rollup::default();
        let mut written = 0;
        for chunk in matters.chunks(100_000) {
            let rows: Vec<FactRow> = chunk
                .iter()
                .flat_map(|m| rows_adding_steps(m, self.figure_rules(), &mut rollup))
                .collect();
            let mut tx = self.writer.begin().await?;
            insert_facts(&mut tx, &rows).await?;
            tx.commit().await?;
            written += rows.len();
        }
        let mut tx = self.writer.begin().await?;
        rollup.add_to(&mut tx).await?;
        tx.commit().await?;
        Ok(written)
    }
}

fn parse_day(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| StoreError::Corrupt(format!("统计表中的日期 {text} 无效")))
}

impl FactRow {
    /// The domain's fact again, as the row was written from it.
    fn to_fact(&self) -> Result<(MatterId, Fact)> {
        let corrupt = |what: &str, value: &str| {
            StoreError::Corrupt(format!(
                "统计表中事项 {} 的{what} {value} 无效",
                self.matter_id
            ))
        };
        let day = |d: &Option<String>| d.as_deref().map(parse_day).transpose();
        let fact = Fact {
            kind: FactKind::parse(&self.kind).ok_or_else(|| corrupt("类别", &self.kind))?,
            day: parse_day(&self.day)?,
            known_on: parse_day(&self.known_on)?,
            done_on: day(&self.done_on)?,
            changed_on: day(&self.changed_on)?,
            changed_day: day(&self.changed_day)?,
            region: RegionCode::parse(&self.region).map_err(|_| corrupt("地区", &self.region))?,
            domain: self.domain.clone(),
            purpose: from_code(&self.purpose).ok_or_else(|| corrupt("目的", &self.purpose))?,
            channel: from_code(&self.channel).ok_or_else(|| corrupt("形式", &self.channel))?,
            unit: UnitId::parse(&self.unit).map_err(|_| corrupt("单位", &self.unit))?,
            amount: u64::try_from(self.amount).map_err(|_| corrupt("数量", "负数"))?,
            flags: u32::try_from(self.flags).map_err(|_| corrupt("标记", "越界"))?,
        };
        let id = MatterId::parse(&self.matter_id).map_err(|_| corrupt("编号", &self.matter_id))?;
        Ok((id, fact))
    }
}

impl Store {
    /// The decisions and answers in `slice` still owed at the end of `as_of` whose deadline (as known
    /// then) is on or before `due_until`, earliest deadline first: the overdue and due-soon lists. Reads
    /// only steps not done by `as_of`, so a past day's list comes out as it was on that day.
    pub async fn owed_steps(
        &self,
        slice: &Slice,
        as_of: NaiveDate,
        due_until: NaiveDate,
    ) -> Result<Vec<(MatterId, Fact)>> {
        let as_of_text = day_text(as_of);
        let (slice_cond, binds) = slice_sql(slice, 1);
        let mut out = Vec::new();
        let mut conn = self.pool.acquire().await?;
        for kind in [FactKind::Decision, FactKind::Answer] {
            // Two index ranges rather than an OR the planner might scan for.
            for open in ["done_on IS NULL", &format!("done_on > '{as_of_text}'")] {
                let sql = format!(
                    "SELECT {FACT_COLUMNS} FROM figure_facts WHERE kind = '{k}' AND {open} \
                     AND known_on <= '{as_of_text}'{slice_cond}",
                    k = kind.code()
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for b in &binds {
                    q = q.bind(b.clone());
                }
                for row in q.fetch_all(&mut *conn).await? {
                    let (id, fact) = FactRow::from_row(&row)?.to_fact()?;
                    if fact.owed_as_of(as_of).is_some_and(|due| due <= due_until) {
                        out.push((id, fact));
                    }
                }
            }
        }
        out.sort_by(|(a, fa), (b, fb)| {
            (fa.owed_as_of(as_of), a.as_str()).cmp(&(fb.owed_as_of(as_of), b.as_str()))
        });
        Ok(out)
    }

    /// The facts counted in any of `parts` for `w` in `slice`, by matter id, at most `limit`: the rows
    /// of a report's lists (the unsatisfied ratings, say), with the days and dimensions they were counted by.
    pub async fn counted_facts(
        &self,
        w: &Window,
        slice: &Slice,
        parts: &[Part],
        limit: i64,
    ) -> Result<Vec<(MatterId, Fact)>> {
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        let (filter, binds) = parts_filter(w, slice, parts);
        let sql = format!(
            "SELECT {FACT_COLUMNS} FROM figure_facts WHERE {filter} ORDER BY matter_id, ordinal \
             LIMIT {}",
            limit.max(0)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in &binds {
            q = q.bind(b.clone());
        }
        let mut conn = self.pool.acquire().await?;
        let rows = q.fetch_all(&mut *conn).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let (id, fact) = FactRow::from_row(row)?.to_fact()?;
            // The SQL picks the fact's rows; a fact of a kind with several parts counts only if in one of these.
            let mut counted = false;
            fact.count(w, |p, _| counted |= parts.contains(&p));
            if counted {
                out.push((id, fact));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use xinfang_domain::catalog::{Channel, Purpose};
    use xinfang_domain::ids::{RegionCode, UnitId};

    use super::*;
    use crate::StoreOptions;

    fn fact(day: u32) -> Fact {
        let date = NaiveDate::from_ymd_opt(2026, 3, day).expect("a day of March");
        Fact {
            kind: FactKind::Decision,
            day: date,
            known_on: date,
            done_on: None,
            changed_on: None,
            changed_day: None,
            region: RegionCode::parse("330102").expect("a district"),
            domain: "劳动和社会保障".into(),
            purpose: Purpose::Demand,
            channel: Channel::Letter,
            unit: UnitId::parse(xinfang_domain::fixtures::DISTRICT_LABOUR).expect("a unit"),
            amount: 1,
            flags: 0,
        }
    }

    /// Only differences are written, so after each change the table must hold exactly the matter's
    /// facts, and another matter's rows must stay as they are: facts changed, added, and fewer.
    async fn rows_follow_the_facts(store: Store) {
        let matter = MatterId::parse("XF-A1").expect("an id");
        let other = MatterId::parse("XF-A2").expect("an id");
        let done = |mut f: Fact, day| {
            f.done_on = NaiveDate::from_ymd_opt(2026, 3, day);
            f
        };
        let history = [
            vec![],
            vec![fact(1), fact(2)],
            vec![done(fact(1), 5), fact(2), fact(3)],
            vec![done(fact(1), 5), done(fact(2), 9), fact(3), fact(4)],
            vec![fact(7)],
            vec![],
        ];
        let mut conn = store.writer.acquire().await.expect("a connection");
        let mut first = FactChanges::default();
        first.add(&other, &[], &[fact(1), fact(2)]);
        first.write(&mut conn).await.expect("written");
        let mut other_rows = all_fact_rows(&mut conn).await.expect("read");
        other_rows.sort_by_key(|r| r.ordinal);
        for step in history.windows(2) {
            let mut changes = FactChanges::default();
            changes.add(&matter, &step[0], &step[1]);
            changes.write(&mut conn).await.expect("written");
            let mut rows = all_fact_rows(&mut conn).await.expect("read");
            rows.sort_by_key(|r| (r.matter_id.clone(), r.ordinal));
            let mut want: Vec<FactRow> = step[1]
                .iter()
                .enumerate()
                .map(|(i, f)| FactRow::of(&matter, i, f))
                .collect();
            want.extend(other_rows.iter().cloned());
            assert_eq!(rows, want, "after {:?}", step[1]);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rows_follow_the_facts_on_sqlite() {
        let dir = tempfile::tempdir().expect("a directory");
        let store = Store::open_dir(dir.path(), &StoreOptions::default())
            .await
            .expect("a store");
        rows_follow_the_facts(store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rows_follow_the_facts_on_postgres() {
        let name = xinfang_testkit::unique_name("xf");
        let url = xinfang_testkit::shared_pg()
            .fresh_database(&name)
            .expect("a database");
        let store = Store::open(&url, &StoreOptions::default())
            .await
            .expect("a store");
        rows_follow_the_facts(store).await;
    }
}
