//! `xinfang`: the command-line entry point.

mod accounts;
mod bench;
mod bench_pages;
mod classify;
mod config;
mod demo;
mod interchange;
mod report;
mod search;

use std::path::PathBuf;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};
use xinfang_domain::workflow::china_date;
use xinfang_store::Ledger;

use crate::config::Settings;

// glibc's allocator spent a third of the write path in malloc bookkeeping (measured with perf during
// `xinfang bench`); mimalloc handles the many short-lived strings of binding and serializing far better.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "xinfang", version, about = "xinfang 信访事项管理与分析系统")]
struct Cli {
    /// Settings file (default: xinfang.toml in the data folder).
    #[arg(long, global = true, env = "XINFANG_CONFIG")]
    config: Option<PathBuf>,
    /// Data folder holding the embedded SQLite database (default: ./xinfang-data).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// PostgreSQL URL, instead of the embedded SQLite database.
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create the database and a settings file with the default rules; with --unit-name and --region on an
    /// empty database, also the first unit and its administrator, whose one-time password is printed.
    Init {
        /// Name of the first unit, e.g. 江川市信访局.
        #[arg(long, requires = "region")]
        unit_name: Option<String>,
        /// Its GB/T 2260 division code, e.g. 330100.
        #[arg(long, requires = "unit_name")]
        region: Option<String>,
        /// User name of the first administrator.
        #[arg(long, default_value = "admin")]
        admin: String,
    },
    /// Staff accounts.
    #[command(subcommand)]
    User(accounts::UserCmd),
    /// API tokens for systems.
    #[command(subcommand)]
    Token(accounts::TokenCmd),
    /// Fill a new database with a realistic made-up year of petitions, through the workflow.
    Demo {
        /// How many matters to create.
        #[arg(long, default_value_t = 10_000)]
        matters: u32,
        /// Random seed: the same seed and end date give the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Last day of the simulated year (default: today).
        #[arg(long)]
        until: Option<NaiveDate>,
    },
    /// Serve the HTTP API (JSON under /api/v1, OpenAPI at /api/openapi.json, docs at /api/docs).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "XINFANG_ADDR")]
        addr: std::net::SocketAddr,
        /// Classifier model file for /api/v1/classify (default: the classify_model setting, else the
        /// model built in).
        #[arg(long)]
        model: Option<PathBuf>,
        /// The full-text index's folder (default: search in the data folder); one per server process.
        #[arg(long)]
        search_dir: Option<PathBuf>,
    },
    /// Rebuild the full-text index from the database, printing how many matters and how long.
    Reindex {
        /// The full-text index's folder (default: search in the data folder).
        #[arg(long)]
        search_dir: Option<PathBuf>,
    },
    /// Recompute the hash chain and the projections and name the first event where either breaks.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the current-state tables from the event log.
    Rebuild,
    /// Counts of matters by status and overdue.
    Status,
    /// Measure event appends per second against raw batched inserts of the same rows.
    Bench {
        /// Matters to register (each brings several events).
        #[arg(long, default_value_t = 20_000)]
        matters: u32,
        /// Rounds of each measurement; medians are reported.
        #[arg(long, default_value_t = 3)]
        rounds: u32,
        /// Commands per transaction (default: as `xinfang demo` and bulk writers use).
        #[arg(long, default_value_t = demo::BATCH)]
        batch: usize,
        /// Instead: time the half-month bulletin's figures and the dashboard's on the existing database
        /// (`--data` or `--database-url`) for the bulletin period `--from`..`--to`.
        #[arg(long, requires_all = ["from", "to"])]
        figures: bool,
        /// First day of the bulletin period (with --figures).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last day of the bulletin period (with --figures).
        #[arg(long)]
        to: Option<NaiveDate>,
        /// Instead: fill an empty database with the figure tables of ten years of demo data (2017 to
        /// 2026, ten million matters at `--scale 1000`), folded in memory without writing the event
        /// log, for `--figures` at sizes whose event log would not fit on the disk (docs/performance.md).
        #[arg(long, conflicts_with = "figures")]
        build: bool,
        /// Write the bulletin's scan statements and figures here as JSON (with --figures), for
        /// scripts/bench/figures_vs_duckdb.
        #[arg(long)]
        dump: Option<PathBuf>,
        /// Instead: time every console page for each role on the existing database (docs/performance.md).
        #[arg(long, conflicts_with_all = ["figures", "build"])]
        pages: bool,
        /// Per mille of the ten million matters to build (with --build).
        #[arg(long, default_value_t = 1000)]
        scale: u32,
    },
    /// Import historical contacts with the events of their matters (JSON Lines, CSV or XLSX; see
    /// docs/import.md). Rows already imported are skipped; bad rows are reported and leave nothing.
    Import {
        /// The file to import.
        file: PathBuf,
        /// jsonl, csv or xlsx (default: from the file's extension).
        #[arg(long)]
        format: Option<String>,
        /// The administrator recorded as the user of the imported acts (default: the first active one).
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Export every contact with its events, in full (JSON Lines, importable again; or XLSX for people).
    Export {
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
        /// jsonl or xlsx (default: from the file's extension, else jsonl).
        #[arg(long)]
        format: Option<String>,
    },
    /// Write the daily monitor (daily), weekly summary (weekly) or half-monthly bulletin (bulletin) of a
    /// period as a web page, XLSX, DOCX, PDF or JSON.
    Report(report::ReportArgs),
    /// Learn the domain (and, from enough staff choices, purpose) classifier and write a model file: from
    /// the labelled CSV files in --labelled, and with --data or --database-url from the contacts staff
    /// registered (the domain and purpose their matters carry).
    Train {
        /// Folder with labelled_full.csv, labelled_details.csv, labelled_titles.csv (columns title,
        /// detail, label).
        #[arg(long)]
        labelled: Option<PathBuf>,
        /// The model file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Suggest domain and purpose for texts: JSON Lines {"text": …} on stdin, one JSON line per input
    /// line on stdout, in order.
    Classify {
        /// Model file (default: the classify_model setting, else the model built in).
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Register matters one at a time, printing each acknowledged contact id (for crash tests).
    #[command(hide = true)]
    AppendProbe {
        #[arg(long, default_value_t = 1_000_000)]
        count: u32,
    },
}

fn main() -> std::process::ExitCode {
    match run_cli() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The message and its causes, in one line each; no backtrace for the operator.
            eprintln!("错误：{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_cli() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let settings = Settings::load(
        cli.config.as_deref(),
        cli.data.as_deref(),
        cli.database_url.as_deref(),
    )?;
    // Training reads staff choices only from a database named on the command line.
    let from_database = cli.data.is_some() || cli.database_url.is_some();
    if let Cmd::Classify { model } = &cli.command {
        return classify::classify(&settings, model.as_ref());
    }
    let runtime = tokio::runtime::Runtime::new().context("无法启动异步运行时")?;
    runtime.block_on(run(cli.command, settings, from_database))
}

async fn run(command: Cmd, settings: Settings, from_database: bool) -> anyhow::Result<()> {
    match command {
        Cmd::Init {
            unit_name,
            region,
            admin,
        } => {
            init(&settings).await?;
            if let (Some(unit_name), Some(region)) = (unit_name, region) {
                accounts::bootstrap(&settings, &unit_name, &region, &admin).await?;
            }
            Ok(())
        }
        Cmd::User(cmd) => accounts::run(&settings, cmd).await,
        Cmd::Token(cmd) => accounts::run_token(&settings, cmd).await,
        Cmd::Demo {
            matters,
            seed,
            until,
        } => {
            let until = until.unwrap_or_else(|| china_date(Utc::now()));
            demo::run(&settings, matters, seed, until).await
        }
        Cmd::Serve {
            addr,
            model,
            search_dir,
        } => {
            if model.is_some() || settings.classify_model.is_some() {
                let model = classify::load_model(model.as_deref(), &settings)?;
                let _ = xinfang_server::classify::use_model(model);
            }
            let mut settings = settings;
            settings.search_dir = search_dir.or(settings.search_dir);
            serve(&settings, addr).await
        }
        Cmd::Reindex { search_dir } => {
            let mut settings = settings;
            settings.search_dir = search_dir.or(settings.search_dir);
            let ledger = open_ledger(&settings).await?;
            search::reindex(&settings, &ledger).await
        }
        Cmd::Verify { json } => verify(&settings, json).await,
        Cmd::Rebuild => {
            let store = settings.open_store().await?;
            let n = store.rebuild_projections().await?;
            println!("已根据事件日志重建当前状态：{n} 件信访事项");
            Ok(())
        }
        Cmd::Status => status(&settings).await,
        Cmd::Bench {
            build: true, scale, ..
        } => bench::build_figures(&settings, scale).await,
        Cmd::Bench {
            pages: true,
            rounds,
            ..
        } => bench_pages::run(&settings, rounds).await,
        Cmd::Bench {
            figures: true,
            from: Some(from),
            to: Some(to),
            rounds,
            dump,
            ..
        } => bench::figures(&settings, from, to, rounds, dump.as_deref()).await,
        Cmd::Bench {
            matters,
            rounds,
            batch,
            ..
        } => bench::run(matters, rounds, batch).await,
        Cmd::Import {
            file,
            format,
            as_user,
        } => interchange::import(&settings, &file, format.as_deref(), as_user.as_deref()).await,
        Cmd::Export { out, format } => {
            interchange::export(&settings, &out, format.as_deref()).await
        }
        Cmd::Report(args) => report::run(&settings, args).await,
        Cmd::AppendProbe { count } => demo::append_probe(&settings, count).await,
        Cmd::Train { labelled, out } => {
            classify::train_model(&settings, labelled.as_deref(), from_database, &out).await
        }
        Cmd::Classify { model } => classify::classify(&settings, model.as_ref()),
    }
}

async fn init(settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store().await?;
    store.close().await;
    if settings.database_url.is_none() {
        let file = settings.data.join(config::CONFIG_FILE);
        if !file.exists() {
            std::fs::write(&file, config::default_config_file())
                .with_context(|| format!("无法写入配置文件 {}", file.display()))?;
            println!("已写入配置文件：{}", file.display());
        }
    }
    println!("数据库已就绪：{}", settings.describe_target());
    Ok(())
}

async fn serve(settings: &Settings, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    let ledger = open_ledger(settings).await?;
    let search = search::open(settings, &ledger).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("无法监听 {addr}"))?;
    println!(
        "xinfang 已启动：http://{}（接口文档 http://{0}/api/docs），数据：{}",
        listener.local_addr()?,
        settings.describe_target()
    );
    let shutdown = async {
        // Ctrl-C or SIGTERM: stop taking connections and finish the requests in flight.
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    };
    xinfang_server::serve(
        listener,
        xinfang_server::AppState::new(ledger).with_search(search),
        shutdown,
    )
    .await?;
    println!("xinfang 已停止");
    Ok(())
}

async fn verify(settings: &Settings, json: bool) -> anyhow::Result<()> {
    let store = settings.open_store().await?;
    let report = store.verify().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "已校验 {} 个事件、{} 件信访事项、{} 个件次、{} 个单位。",
            report.events, report.matters, report.contacts, report.units
        );
        match &report.chain_break {
            None => println!("哈希链完整，链头 {}", report.head_hash),
            Some(b) => println!("哈希链断裂：{}", b.reason),
        }
        match (&report.chain_break, &report.projection_break) {
            (Some(_), _) => println!("哈希链断裂，未比对当前状态。"),
            (None, None) => println!("当前状态与事件重放结果一致。"),
            (None, Some(b)) => println!("当前状态不一致：{}", b.reason),
        }
    }
    if report.is_intact() {
        Ok(())
    } else {
        let seq = report
            .chain_break
            .as_ref()
            .or(report.projection_break.as_ref())
            .and_then(|b| b.seq);
        match seq {
            Some(seq) => anyhow::bail!("校验失败，问题始于第 {seq} 号事件"),
            None => anyhow::bail!("校验失败"),
        }
    }
}

async fn status(settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store().await?;
    let today = china_date(Utc::now());
    let s = store.summary(today).await?;
    println!(
        "{}：{} 个事件，{} 件信访事项，{} 个件次，{} 个单位",
        settings.describe_target(),
        s.events,
        s.matters,
        s.contacts,
        s.units
    );
    // In workflow order, as people read a case file.
    for status in xinfang_domain::Status::ALL {
        if let Some((_, n)) = s.by_status.iter().find(|(st, _)| st == status.as_str()) {
            println!("  {}：{n}", status.label());
        }
    }
    println!("  已超期（截至 {today}）：{}", s.overdue);
    Ok(())
}

/// The ledger over the configured store, with the configured rules and calendar.
pub async fn open_ledger(settings: &Settings) -> anyhow::Result<Ledger> {
    let store = settings.open_store().await?;
    Ok(Ledger::new(
        store,
        settings.rules.clone(),
        settings.calendar()?,
    ))
}
