//! `xinfang bench`: events appended per second through the workflow ledger on SQLite, beside a raw batched
//! INSERT of the same rows into the same kind of database, measured in the same run. The machines are
//! shared and noisy, so rounds alternate and medians are reported.

use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use xinfang_demo::{Simulation, Step};
use xinfang_domain::calendar::Calendar;
use xinfang_domain::rules::Rules;
use xinfang_store::{Ledger, Store, StoreOptions};

pub async fn run(matters: u32, rounds: u32, batch: usize) -> anyhow::Result<()> {
    anyhow::ensure!(
        rounds > 0 && matters > 0 && batch > 0,
        "--matters、--rounds 与 --batch 应大于 0"
    );
    let until = NaiveDate::from_ymd_opt(2026, 6, 30).expect("valid date");
    let mut sim = Simulation::new(7, matters, until);
    let mut batches: Vec<Vec<Step>> = Vec::new();
    loop {
        let b = sim.next_batch(batch);
        if b.is_empty() {
            break;
        }
        batches.push(b);
    }
    let rules = Rules {
        domains: xinfang_demo::domain_tree(),
        ..Rules::default()
    };
    println!(
        "xinfang bench：SQLite（WAL，synchronous=FULL），{matters} 件事项的一年演示数据，每个事务 {batch} 个操作，每轮新建数据库"
    );
    println!(
        "{:>4}  {:>14}  {:>14}  {:>7}",
        "轮次", "账本 事件/秒", "裸插入 事件/秒", "比值"
    );
    let mut ledger_rates = Vec::new();
    let mut raw_rates = Vec::new();
    let mut ratios = Vec::new();
    let mut total_events = 0;
    for round in 1..=rounds {
        let dir = tempdir()?;
        let store = Store::open_dir(dir.path(), &StoreOptions::default()).await?;
        let ledger = Ledger::new(store.clone(), rules.clone(), Calendar::mainland());
        // The input is ready before the clock starts, as the raw rows are below.
        let inputs: Vec<Vec<_>> = batches
            .iter()
            .map(|b| {
                b.iter()
                    .cloned()
                    .map(|s| (s.principal, s.at, s.change))
                    .collect()
            })
            .collect();
        let started = Instant::now();
        let mut per_batch = Vec::with_capacity(batches.len());
        for changes in inputs {
            let results = ledger.execute_batch(changes).await?;
            per_batch.push(
                results
                    .iter()
                    .map(|r| r.as_ref().map_or(0, Vec::len))
                    .sum::<usize>(),
            );
        }
        let ledger_secs = started.elapsed().as_secs_f64();
        let events: usize = per_batch.iter().sum();
        total_events = events;

        // The same rows, grouped into the same transactions, into a fresh database of the same kind.
        let mut rows = Vec::with_capacity(events);
        let mut after = 0;
        loop {
            let page = store.events_after(after, 50_000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in page {
                let stream = xinfang_store::log::stream_key(&e.body()?);
                rows.push((e, stream));
            }
        }
        store.close().await;
        let raw_dir = tempdir()?;
        let raw = Store::open_dir(raw_dir.path(), &StoreOptions::default()).await?;
        let started = Instant::now();
        let mut start = 0;
        for n in &per_batch {
            raw.insert_raw_events(&rows[start..start + n]).await?;
            start += n;
        }
        let raw_secs = started.elapsed().as_secs_f64();
        raw.close().await;

        let ledger_rate = events as f64 / ledger_secs;
        let raw_rate = events as f64 / raw_secs;
        println!(
            "{round:>4}  {ledger_rate:>14.0}  {raw_rate:>14.0}  {:>7.2}",
            ledger_rate / raw_rate
        );
        ledger_rates.push(ledger_rate);
        raw_rates.push(raw_rate);
        ratios.push(ledger_rate / raw_rate);
    }
    println!(
        "中位数 {:>12.0}  {:>14.0}  {:>7.2}   （{total_events} 个事件，{} 个事务）",
        median(&mut ledger_rates),
        median(&mut raw_rates),
        median(&mut ratios),
        batches.len()
    );
    Ok(())
}

pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn tempdir() -> anyhow::Result<tempfile::TempDir> {
    Ok(tempfile::Builder::new()
        .prefix("xinfang-bench-")
        .tempdir()?)
}

/// `xinfang bench --figures`: on an existing database, warm, medians of `rounds`, each beside the same
/// computed from every fact row in the same run:
/// - the half-month bulletin's figures: the nine tallies `reports::gather` makes (headline figures now, a
///   year earlier and in the base year; by domain, county and unit now and a year earlier), from the
///   roll-ups, and the same tallies scanning the period's facts;
/// - the dashboard's figures (the month to date's headline figures), both ways;
/// - the whole bulletin as `reports::gather` builds it (figures and the overdue, due-soon and
///   unsatisfied lists);
/// - a baseline: one plain pass over every row of `figure_facts` (`COUNT`/`SUM`).
///
/// With `dump`, the tallies' scan statements and their results are written there as JSON for
/// `scripts/bench/figures_vs_duckdb`, which runs the same statements in DuckDB over an export of the
/// facts and checks it gets the same numbers.
pub async fn figures(
    settings: &crate::config::Settings,
    from: NaiveDate,
    to: NaiveDate,
    rounds: u32,
    dump: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use xinfang_domain::figures::{GroupBy, Part, Period, Slice, Window};
    use xinfang_reports::{ReportKind, ReportRequest};

    anyhow::ensure!(rounds > 0, "--rounds 应大于 0");
    let ledger = crate::open_ledger(settings).await?;
    let store = ledger.store();
    let org = ledger.org().await?;
    let unit =
        crate::report::top_bureau(&org).ok_or_else(|| anyhow::anyhow!("数据库中还没有信访部门"))?;
    let window = Window::closing(Period::new(from, to)?);
    let bulletin = ReportRequest {
        kind: ReportKind::Bulletin,
        window,
        unit: unit.clone(),
        base_year: Some(2019),
    };
    let month_start = to.with_day(1).expect("the first of a month");
    let dashboard = Window::closing(Period::new(month_start, to)?);
    let slice = Slice {
        units: Some(org.jurisdiction(&unit)),
        ..Slice::default()
    };
    let county = GroupBy::Region { digits: 6 };
    let tallies: Vec<(&str, Window, GroupBy)> = vec![
        ("now", window, GroupBy::Total),
        ("a year earlier", window.years_earlier(1), GroupBy::Total),
        ("2019", window.in_year(2019), GroupBy::Total),
        ("by domain", window, GroupBy::Domain),
        (
            "by domain a year earlier",
            window.years_earlier(1),
            GroupBy::Domain,
        ),
        ("by county", window, county),
        ("by county a year earlier", window.years_earlier(1), county),
        ("by unit", window, GroupBy::Unit),
        (
            "by unit a year earlier",
            window.years_earlier(1),
            GroupBy::Unit,
        ),
    ];
    let facts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM figure_facts")
        .fetch_one(store.pool())
        .await?;
    let rollup_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM figure_rollups")
        .fetch_one(store.pool())
        .await?;
    println!(
        "xinfang bench --figures：{facts} 条统计明细，{rollup_rows} 行按日汇总；{} 的半月通报（{from} 至 {to}）与本月看板（{month_start} 至 {to}），预热后每项 {rounds} 轮取中位数",
        org.unit(&unit).map_or("", |u| u.name.as_str()),
    );
    let mut results = Vec::new();
    let dashboard_tally = ("dashboard", dashboard, GroupBy::Total);
    for (name, w, g) in tallies.iter().chain([&dashboard_tally]) {
        let by_rollups = store.figure_counts(w, &slice, *g, false).await?;
        let by_scan = store.figure_counts_by_scan(w, &slice, *g, false).await?;
        let nonzero =
            |rows: &std::collections::BTreeMap<String, xinfang_domain::figures::Counts>| {
                rows.iter()
                    .filter(|(_, c)| c.entries().any(|(_, n)| n > 0))
                    .map(|(k, c)| (k.clone(), c.clone()))
                    .collect::<std::collections::BTreeMap<_, _>>()
            };
        anyhow::ensure!(
            nonzero(&by_rollups) == nonzero(&by_scan),
            "按日汇总与逐条明细的结果不一致：{name}"
        );
        let wanted: Vec<Part> = Part::ALL
            .iter()
            .copied()
            .filter(|p| *p != Part::AnswerNotYetDue)
            .collect();
        results.push(serde_json::json!({
            "name": name,
            "statements": xinfang_store::figures::scan_statements(w, &slice, *g, &wanted),
            "counts": nonzero(&by_rollups),
        }));
    }
    if let Some(path) = dump {
        std::fs::write(path, serde_json::to_vec_pretty(&results)?)?;
    }
    // Warm: the first run of each reads the pages from disk.
    xinfang_reports::gather(store, &org, &bulletin).await?;
    let mut times: [Vec<f64>; 6] = Default::default();
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
    for _ in 0..rounds {
        let t = Instant::now();
        for (_, w, g) in &tallies {
            store.figure_counts(w, &slice, *g, false).await?;
        }
        times[0].push(ms(t));
        let t = Instant::now();
        for (_, w, g) in &tallies {
            store.figure_counts_by_scan(w, &slice, *g, false).await?;
        }
        times[1].push(ms(t));
        let t = Instant::now();
        store
            .figure_counts(&dashboard, &slice, GroupBy::Total, false)
            .await?;
        times[2].push(ms(t));
        let t = Instant::now();
        store
            .figure_counts_by_scan(&dashboard, &slice, GroupBy::Total, false)
            .await?;
        times[3].push(ms(t));
        let t = Instant::now();
        xinfang_reports::gather(store, &org, &bulletin).await?;
        times[4].push(ms(t));
        let t = Instant::now();
        let _: (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM figure_facts",
        )
        .fetch_one(store.pool())
        .await?;
        times[5].push(ms(t));
    }
    let [
        bulletin_rollups,
        bulletin_scan,
        dash_rollups,
        dash_scan,
        whole,
        baseline,
    ] = times.map(|mut t| median(&mut t));
    println!("{:<30} {:>10} {:>12}", "", "毫秒", "对逐条明细");
    println!(
        "{:<30} {:>10.1} {:>12.3}",
        "半月通报指标（按日汇总）",
        bulletin_rollups,
        bulletin_rollups / bulletin_scan
    );
    println!(
        "{:<30} {:>10.1} {:>12.3}",
        "半月通报指标（逐条明细）", bulletin_scan, 1.0
    );
    println!(
        "{:<30} {:>10.1} {:>12.3}",
        "本月看板指标（按日汇总）",
        dash_rollups,
        dash_rollups / dash_scan
    );
    println!(
        "{:<30} {:>10.1} {:>12.3}",
        "本月看板指标（逐条明细）", dash_scan, 1.0
    );
    println!("{:<30} {:>10.1}", "半月通报全部（含各清单）", whole);
    println!("{:<30} {:>10.1}", "基线：全表扫描统计明细", baseline);
    println!(
        "RESULT {}",
        serde_json::json!({
            "bulletin_figures_ms": bulletin_rollups,
            "bulletin_figures_scan_ms": bulletin_scan,
            "dashboard_ms": dash_rollups,
            "dashboard_scan_ms": dash_scan,
            "bulletin_whole_ms": whole,
            "full_scan_ms": baseline,
        })
    );
    Ok(())
}

/// Matters registered in each year of `xinfang bench --build`'s history, in thousands (2017 to 2026):
/// ten million in all, growing and falling a little so that year-on-year changes are not all zero.
const YEARS: [(i32, u32); 10] = [
    (2017, 880),
    (2018, 920),
    (2019, 960),
    (2020, 1_000),
    (2021, 1_040),
    (2022, 1_000),
    (2023, 1_020),
    (2024, 1_060),
    (2025, 1_080),
    (2026, 1_040),
];

/// `xinfang bench --build`: a history of `scale` per mille of [`YEARS`] (1000: ten million matters),
/// a demo year per calendar year in the same city (same seed), each year's matters handled on for 200
/// days after it. Each year is decided and folded by the domain in memory exactly as the ledger would
/// (the same commands, decisions and facts; a test checks the facts are the ledger's), with only the
/// organisation written through the ledger, then each matter's figure facts and their roll-ups. The
/// event log of ten million matters would take about 80 GB; the figures read only these tables.
pub async fn build_figures(settings: &crate::config::Settings, scale: u32) -> anyhow::Result<()> {
    anyhow::ensure!(scale > 0, "--scale 应大于 0");
    let (settings, ledger) = crate::demo::empty_demo_ledger(settings, "统计测试库").await?;
    let started = Instant::now();
    let (mut matters, mut facts) = (0usize, 0usize);
    for (i, (year, thousands)) in YEARS.iter().enumerate() {
        let count = (u64::from(*thousands) * 1000 * u64::from(scale) / 1000) as u32;
        let until = NaiveDate::from_ymd_opt(*year, 12, 31).expect("a day");
        let city_for = YEARS[0].1 * scale;
        let sim = Simulation::in_city_for(1, count.max(1), city_for, until).with_tail(200);
        let folded = fold_in_memory(&ledger, sim, i == 0).await?;
        let mut all: Vec<&xinfang_domain::Matter> = folded.values().collect();
        matters += all.len();
        facts += ledger.store().load_facts_without_events(&mut all).await?;
        println!(
            "{year} 年：{} 件事项，累计 {matters} 件、{facts} 条统计明细，已用 {:.0} 秒",
            all.len(),
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "统计测试库已建成：{matters} 件事项，{facts} 条统计明细，用时 {:.0} 秒（{}）",
        started.elapsed().as_secs_f64(),
        settings.describe_target()
    );
    Ok(())
}

/// Run the simulation through the domain's decisions and folds, writing only its organisation (when
/// `setup`) through the ledger. Refused commands are an error: the demo makes none.
pub async fn fold_in_memory(
    ledger: &Ledger,
    mut sim: Simulation,
    setup: bool,
) -> anyhow::Result<std::collections::HashMap<xinfang_domain::ids::MatterId, xinfang_domain::Matter>>
{
    use xinfang_domain::event::EventBody;
    use xinfang_domain::{Change, Ctx, Matter};

    let org_steps: Vec<_> = sim
        .next_batch(crate::demo::BATCH)
        .into_iter()
        .map(|s| (s.principal, s.at, s.change))
        .collect();
    if setup {
        for r in ledger.execute_batch(org_steps).await? {
            r?;
        }
    }
    let org = ledger.org().await?;
    let rules = ledger.rules().clone();
    let calendar = ledger.calendar().clone();
    let mut folded = std::collections::HashMap::new();
    loop {
        let batch = sim.next_batch(crate::demo::BATCH);
        if batch.is_empty() {
            break;
        }
        for step in batch {
            let Change::Matter(cmd) = step.change else {
                anyhow::bail!("演示数据在开始后不应再改动组织机构");
            };
            let ctx = Ctx {
                principal: &step.principal,
                at: step.at,
                org: &org,
                rules: &rules,
                calendar: &calendar,
            };
            let bodies = xinfang_domain::decide(folded.get(cmd.matter()), &cmd, &ctx)
                .map_err(|e| anyhow::anyhow!("演示数据的操作被拒绝：{e}"))?;
            let actor = step.principal.actor();
            for body in bodies {
                if let EventBody::MatterOpened { matter, .. } = &body {
                    if let Some(m) = Matter::open(&body, step.at) {
                        folded.insert(matter.clone(), m);
                    }
                } else if let Some(m) = body.matter().and_then(|id| folded.get_mut(id)) {
                    m.apply(&body, step.at, &actor);
                }
            }
        }
    }
    Ok(folded)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use xinfang_domain::figures::{GroupBy, Period, Slice, Window, facts};

    use super::*;

    async fn ledger_in(dir: &std::path::Path) -> Ledger {
        let store = Store::open_dir(dir, &StoreOptions::default())
            .await
            .expect("a store");
        let rules = Rules {
            domains: xinfang_demo::domain_tree(),
            ..Rules::default()
        };
        Ledger::new(store, rules, Calendar::mainland())
    }

    /// The ten-million-matter benchmark database is folded in memory instead of through the ledger;
    /// its figures are only worth measuring if they are the ledger's: the same facts for every matter,
    /// and the same tallies from the roll-ups written beside them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn folding_in_memory_gives_the_facts_and_figures_of_the_ledger() {
        let until = NaiveDate::from_ymd_opt(2026, 6, 30).expect("a day");
        let sim = || Simulation::new(3, 400, until).with_tail(60);
        let (a, b) = (tempdir().expect("a dir"), tempdir().expect("a dir"));
        let ledger = ledger_in(a.path()).await;
        let mut sim_a = sim();
        loop {
            let batch = sim_a.next_batch(crate::demo::BATCH);
            if batch.is_empty() {
                break;
            }
            let changes = batch
                .into_iter()
                .map(|s| (s.principal, s.at, s.change))
                .collect();
            for r in ledger.execute_batch(changes).await.expect("written") {
                r.expect("the demo makes no refused command");
            }
        }
        let in_memory = ledger_in(b.path()).await;
        let folded = fold_in_memory(&in_memory, sim(), true)
            .await
            .expect("folded");
        assert_eq!(folded.len(), 400);
        let rules = ledger.store().figure_rules().clone();
        for (id, m) in &folded {
            let written = ledger.matter(id).await.expect("read").expect("the matter");
            assert_eq!(facts(m, &rules), facts(&written, &rules), "matter {id}");
        }
        let mut all: Vec<&xinfang_domain::Matter> = folded.values().collect();
        in_memory
            .store()
            .load_facts_without_events(&mut all)
            .await
            .expect("loaded");
        let from = until - Duration::days(120);
        let mut counted = 0;
        for group in [GroupBy::Total, GroupBy::Unit, GroupBy::Domain] {
            let w =
                Window::closing(Period::new(from, from + Duration::days(30)).expect("a period"));
            let want = ledger
                .store()
                .figure_counts(&w, &Slice::default(), group, false)
                .await
                .expect("counted");
            let got = in_memory
                .store()
                .figure_counts(&w, &Slice::default(), group, false)
                .await
                .expect("counted");
            assert_eq!(got, want, "{group:?}");
            counted += want.len();
        }
        assert!(counted > 3, "the window counts things: {counted}");
    }
}
