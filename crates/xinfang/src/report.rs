//! `xinfang report`: the daily monitor, weekly summary or half-monthly bulletin of a period, written to a
//! file, as the API gives them (`xinfang_server::reports::write_report`).

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use xinfang_domain::figures::{Period, Window};
use xinfang_domain::ids::UnitId;
use xinfang_domain::org::{Org, UnitKind};
use xinfang_reports::{Format, ReportKind, ReportRequest};

use crate::config::Settings;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum KindArg {
    /// 日监测
    Daily,
    /// 周汇总
    Weekly,
    /// 半月通报
    Bulletin,
}

#[derive(clap::Args)]
pub struct ReportArgs {
    /// Which report.
    #[arg(value_enum)]
    kind: KindArg,
    /// First day of the period (YYYY-MM-DD).
    #[arg(long)]
    from: NaiveDate,
    /// Last day of the period (default: the first day).
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Count what was known by the end of this day (default: the last day of the period).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// The unit reported on (default: the petition bureau of the widest region).
    #[arg(long)]
    unit: Option<String>,
    /// Compare with the same days of this year too.
    #[arg(long)]
    base_year: Option<i32>,
    /// html, xlsx, docx, pdf or json (default: from the file's extension).
    #[arg(long)]
    format: Option<String>,
    /// The file to write.
    #[arg(long)]
    out: PathBuf,
}

/// The bureau at the top of the organisation: the one whose region holds the others'.
pub(crate) fn top_bureau(org: &Org) -> Option<UnitId> {
    org.units()
        .filter(|u| u.kind == UnitKind::PetitionBureau)
        .min_by_key(|u| (u.region.as_str().trim_end_matches('0').len(), u.id.clone()))
        .map(|u| u.id.clone())
}

pub async fn run(settings: &Settings, args: ReportArgs) -> anyhow::Result<()> {
    let format_name = args
        .format
        .clone()
        .or_else(|| {
            args.out
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
        })
        .context("请用 --format 指定报表格式（html、xlsx、docx、pdf 或 json）")?;
    let format = Format::parse(&format_name).with_context(|| {
        format!("报表格式应为 html、xlsx、docx、pdf 或 json，而不是 {format_name}")
    })?;
    let period = Period::new(args.from, args.to.unwrap_or(args.from))?;
    let window = Window::new(period, args.as_of.unwrap_or(period.to))?;
    let ledger = crate::open_ledger(settings).await?;
    let org = ledger.org().await?;
    let unit = match &args.unit {
        Some(u) => {
            let id = UnitId::parse(u).with_context(|| format!("单位编号 {u} 无效"))?;
            anyhow::ensure!(org.unit(&id).is_some(), "单位 {u} 不存在");
            id
        }
        None => {
            top_bureau(&org).context("数据库中还没有信访部门：请先建立单位（或用 --unit 指定）")?
        }
    };
    let kind = match args.kind {
        KindArg::Daily => ReportKind::Daily,
        KindArg::Weekly => ReportKind::Weekly,
        KindArg::Bulletin => ReportKind::Bulletin,
    };
    let req = ReportRequest {
        kind,
        window,
        unit,
        base_year: args.base_year,
    };
    let (report, bytes) =
        xinfang_server::reports::write_report(ledger.store(), &org, &req, format).await?;
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("无法写入 {}", args.out.display()))?;
    println!(
        "已生成{} {}：{}，{} 字节",
        report.title,
        report.subtitle,
        args.out.display(),
        bytes.len()
    );
    Ok(())
}
