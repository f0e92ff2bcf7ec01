//! `figure_rollups`: the figure facts' steps ([`Fact::steps`]) summed by day, the unit counted for, the
//! domain and the county, so a period's figures seen on or after its last day read one row per day,
//! unit, domain and county rather than every fact of the period (slices and groupings by channel,
//! purpose or a region finer than a county read the facts). Kept with the facts in the same transaction, by adding
//! the steps of the facts that changed (minus those of what they were), rebuilt and verified with them.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};
use xinfang_domain::figures::{Counts, Fact, GroupBy, PART_OUTSIDE_ROLLUPS, Part, Slice, Window};
use xinfang_domain::ids::Level;

use crate::{Result, StoreError};

/// The parts a row holds, one column each, named by the part's code.
fn parts() -> impl Iterator<Item = Part> {
    Part::ALL
        .iter()
        .copied()
        .filter(|p| *p != PART_OUTSIDE_ROLLUPS)
}

fn part_count() -> usize {
    Part::ALL.len() - 1
}

/// The column of a part among [`parts`].
fn column(part: Part) -> usize {
    let i = Part::ALL.iter().position(|p| *p == part).expect("a part");
    let outside = Part::ALL
        .iter()
        .position(|p| *p == PART_OUTSIDE_ROLLUPS)
        .expect("a part");
    if i > outside { i - 1 } else { i }
}

/// Regions are rolled up to the county: finer slices and groupings read the facts.
const COUNTY_DIGITS: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    key_day: String,
    from_day: String,
    unit: String,
    domain: String,
    county: String,
}

/// Sums of steps by row; rows that sum to nothing are left out.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Rollup(BTreeMap<Key, Vec<i64>>);

fn day_text(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl Rollup {
    /// Add the fact's steps, or take them away (`sign` -1).
    pub(crate) fn add(&mut self, f: &Fact, sign: i64) {
        let county: String = f.region.as_str().chars().take(COUNTY_DIGITS).collect();
        for s in f.steps() {
            let key = Key {
                key_day: day_text(s.key),
                from_day: day_text(s.from),
                unit: f.unit.as_str().to_owned(),
                domain: f.domain.clone(),
                county: county.clone(),
            };
            let row = self.0.entry(key).or_insert_with(|| vec![0; part_count()]);
            row[column(s.part)] += sign * s.amount;
        }
    }

    pub(crate) fn of<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> Rollup {
        let mut r = Rollup::default();
        for f in facts {
            r.add(f, 1);
        }
        r.drop_zeros();
        r
    }

    /// Leave out the rows that sum to nothing, as the table's are read.
    pub(crate) fn drop_zeros(&mut self) {
        self.0.retain(|_, v| v.iter().any(|n| *n != 0));
    }

    /// Add these sums to the table's rows (new rows start from zero).
    pub(crate) async fn add_to(&self, conn: &mut AnyConnection) -> Result<()> {
        let columns: Vec<&str> = parts().map(Part::code).collect();
        let added: Vec<String> = columns
            .iter()
            .map(|c| format!("{c} = figure_rollups.{c} + excluded.{c}"))
            .collect();
        let conflict = format!(
            " ON CONFLICT (key_day, from_day, unit, domain, county) DO UPDATE SET {}",
            added.join(", ")
        );
        let rows: Vec<(&Key, &Vec<i64>)> = self
            .0
            .iter()
            .filter(|(_, v)| v.iter().any(|n| *n != 0))
            .collect();
        let width = 5 + part_count();
        let names = format!(
            "key_day, from_day, unit, domain, county, {}",
            columns.join(", ")
        );
        for chunk in rows.chunks(crate::log::ROWS_PER_STATEMENT * 9 / width) {
            let mut sql =
                crate::log::multi_row_insert("figure_rollups", &names, width, chunk.len());
            sql.push_str(&conflict);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (k, sums) in chunk {
                q = q
                    .bind(k.key_day.clone())
                    .bind(k.from_day.clone())
                    .bind(k.unit.clone())
                    .bind(k.domain.clone())
                    .bind(k.county.clone());
                for n in sums.iter() {
                    q = q.bind(*n);
                }
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// The table's rows that hold something.
    pub(crate) async fn read(conn: &mut AnyConnection) -> Result<Rollup> {
        let columns: Vec<String> = parts()
            .map(|p| format!("CAST({} AS BIGINT)", p.code()))
            .collect();
        let sql = format!(
            "SELECT key_day, from_day, unit, domain, county, {} FROM figure_rollups",
            columns.join(", ")
        );
        let mut out = Rollup::default();
        for row in sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?
        {
            let key = Key {
                key_day: row.try_get(0)?,
                from_day: row.try_get(1)?,
                unit: row.try_get(2)?,
                domain: row.try_get(3)?,
                county: row.try_get(4)?,
            };
            let sums = (0..part_count())
                .map(|i| row.try_get::<i64, _>(5 + i))
                .collect::<Result<Vec<i64>, _>>()?;
            if sums.iter().any(|n| *n != 0) {
                out.0.insert(key, sums);
            }
        }
        Ok(out)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// Whether the roll-ups answer `w` for `slice` grouped by `group`: windows seen on or after their last
/// day, slices and groupings by unit, domain and regions no finer than a county.
pub(crate) fn serve(w: &Window, slice: &Slice, group: GroupBy) -> bool {
    let coarse = |level: Level| matches!(level, Level::Province | Level::City | Level::County);
    w.as_of >= w.period.to
        && slice.region.as_ref().is_none_or(|r| coarse(r.level()))
        && slice.channel.is_none()
        && slice.purpose.is_none()
        && match group {
            GroupBy::Total | GroupBy::Unit | GroupBy::Domain => true,
            GroupBy::Region { digits } => digits <= COUNTY_DIGITS,
            GroupBy::Channel | GroupBy::Purpose => false,
        }
}

/// The counts of the roll-up rows for what [`serve`] accepts, one entry per group (keys as the facts'
/// query gives them).
pub(crate) async fn counts(
    conn: &mut AnyConnection,
    w: &Window,
    slice: &Slice,
    group: GroupBy,
) -> Result<BTreeMap<String, Counts>> {
    let mut conds = vec![
        format!("key_day >= '{}'", day_text(w.period.from)),
        format!("key_day <= '{}'", day_text(w.period.to)),
        format!("from_day <= '{}'", day_text(w.as_of)),
    ];
    let mut binds: Vec<String> = Vec::new();
    let mut mark = |value: String| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(r) = &slice.region {
        let code = r.as_str();
        let prefix = match r.level() {
            Level::Province => &code[..2],
            Level::City => &code[..4],
            _ => code,
        };
        conds.push(format!("county LIKE {}", mark(format!("{prefix}%"))));
    }
    if let Some(units) = &slice.units {
        if units.is_empty() {
            return Ok(BTreeMap::new());
        }
        let marks: Vec<String> = units.iter().map(|u| mark(u.as_str().to_owned())).collect();
        conds.push(format!("unit IN ({})", marks.join(", ")));
    }
    if let Some(d) = &slice.domain {
        conds.push(format!("domain = {}", mark(d.clone())));
    }
    let g = match group {
        GroupBy::Total => "''".to_owned(),
        GroupBy::Unit => "unit".to_owned(),
        GroupBy::Region { digits } => format!("substr(county, 1, {})", digits.clamp(1, 6)),
        GroupBy::Domain => "domain".to_owned(),
        GroupBy::Channel | GroupBy::Purpose => {
            return Err(StoreError::Corrupt(
                "统计汇总表不按信访形式或目的汇总".into(),
            ));
        }
    };
    let group_by = match group {
        GroupBy::Total => String::new(),
        _ => format!(" GROUP BY {g}"),
    };
    let sums: Vec<String> = parts()
        .map(|p| format!("CAST(SUM({}) AS BIGINT)", p.code()))
        .collect();
    let sql = format!(
        "SELECT {g} AS g, {} FROM figure_rollups WHERE {}{group_by}",
        sums.join(", "),
        conds.join(" AND ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in &binds {
        q = q.bind(b.clone());
    }
    let mut out = BTreeMap::new();
    for row in q.fetch_all(&mut *conn).await? {
        let key: String = row.try_get("g")?;
        let key = match group {
            GroupBy::Region { .. } => format!("{key:0<6}"),
            _ => key,
        };
        let counts: &mut Counts = out.entry(key).or_default();
        for (i, part) in parts().enumerate() {
            let n: Option<i64> = row.try_get(i + 1)?;
            let n = n.unwrap_or(0);
            if n < 0 {
                return Err(StoreError::Corrupt(format!(
                    "统计汇总表的 {} 为负数：{n}",
                    part.code()
                )));
            }
            if n > 0 {
                counts.add(part, n as u64);
            }
        }
    }
    Ok(out)
}

/// A database from before the roll-ups (migration 0010) has facts and no roll-up rows: sum its facts'
/// steps once, on opening, so its figures are the same as before.
pub(crate) async fn fill_if_missing(writer: &sqlx::AnyPool) -> Result<()> {
    let mut tx = writer.begin().await?;
    let has_rollups: Option<i64> = sqlx::query_scalar("SELECT 1 FROM figure_rollups LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    if has_rollups.is_some() {
        return Ok(());
    }
    let facts = crate::figures::all_facts(&mut tx).await?;
    if facts.is_empty() {
        return Ok(());
    }
    tracing::info!(facts = facts.len(), "按统计明细生成按日汇总");
    Rollup::of(&facts).add_to(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
