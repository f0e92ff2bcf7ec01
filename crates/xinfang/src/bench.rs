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

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn tempdir() -> anyhow::Result<tempfile::TempDir> {
    Ok(tempfile::Builder::new()
        .prefix("xinfang-bench-")
        .tempdir()?)
}

/// `xinfang bench --figures`: on an existing database, warm, the half-month bulletin's figures (all a
/// bulletin gathers: headline figures now, a year earlier and in the base year, the domain table,
/// rankings of regions and units, overdue, due-soon and unsatisfied lists) and the dashboard's (the
/// month to date's headline figures), each beside a baseline measured in the same run: one pass over
/// every figure fact (`COUNT`/`SUM` of `figure_facts`), the least that computing from everything per
/// request would cost. Medians of `rounds`.
pub async fn figures(
    settings: &crate::config::Settings,
    from: NaiveDate,
    to: NaiveDate,
    rounds: u32,
) -> anyhow::Result<()> {
    use xinfang_domain::figures::{GroupBy, Period, Slice, Window};
    use xinfang_reports::{ReportKind, ReportRequest};

    anyhow::ensure!(rounds > 0, "--rounds 应大于 0");
    let ledger = crate::open_ledger(settings).await?;
    let store = ledger.store();
    let org = ledger.org().await?;
    let unit =
        crate::report::top_bureau(&org).ok_or_else(|| anyhow::anyhow!("数据库中还没有信访部门"))?;
    let bulletin = ReportRequest {
        kind: ReportKind::Bulletin,
        window: Window::closing(Period::new(from, to)?),
        unit: unit.clone(),
        base_year: Some(2019),
    };
    let month_start = to.with_day(1).expect("the first of a month");
    let dashboard = Window::closing(Period::new(month_start, to)?);
    let slice = Slice {
        units: Some(org.jurisdiction(&unit)),
        ..Slice::default()
    };
    let facts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM figure_facts")
        .fetch_one(store.pool())
        .await?;
    println!(
        "xinfang bench --figures：{} 条统计明细，{} 的半月通报（{from} 至 {to}）与本月看板（{month_start} 至 {to}），预热后每项 {rounds} 轮取中位数",
        facts,
        org.unit(&unit).map_or("", |u| u.name.as_str()),
    );
    // Warm: the first run of each reads the pages from disk.
    xinfang_reports::gather(store, &org, &bulletin).await?;
    let mut bulletin_ms = Vec::new();
    let mut dashboard_ms = Vec::new();
    let mut scan_ms = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        xinfang_reports::gather(store, &org, &bulletin).await?;
        bulletin_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        store
            .figure_counts(&dashboard, &slice, GroupBy::Total, false)
            .await?;
        dashboard_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let _: (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM figure_facts",
        )
        .fetch_one(store.pool())
        .await?;
        scan_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (b, d, s) = (
        median(&mut bulletin_ms),
        median(&mut dashboard_ms),
        median(&mut scan_ms),
    );
    println!("{:<28} {:>10} {:>10}", "", "毫秒", "对基线");
    println!("{:<28} {:>10.1} {:>10.2}", "半月通报（全部数据）", b, b / s);
    println!("{:<28} {:>10.1} {:>10.2}", "本月看板指标", d, d / s);
    println!("{:<28} {:>10.1} {:>10.2}", "基线：全表扫描统计明细", s, 1.0);
    Ok(())
}
