//! The reports of brief §7 — the daily monitor (日监测), the weekly summary (周汇总) and the half-monthly
//! bulletin (半月通报) — gathered from the figures' facts ([`gather`]) and written as a web page, XLSX
//! with native charts, DOCX in official-document layout, or PDF (Typst markup compiled by `xinfang-pdf`).
//! Every format is written from the same [`Report`], so their numbers agree; every writer is
//! deterministic, so the report of a closed period is the same file however much is recorded later.

mod charts;
mod docx;
mod html;
mod model;
pub mod narrative;
mod sections;
mod typst;
mod xlsx;

pub use charts::{Chart, charts};
pub use model::{
    ContactLine, CountLine, DomainLine, FigureLine, Listed, RankLine, RatingLine, Report,
    ReportKind, ReportRequest, StepLine, Table, gather,
};
pub use typst::SERIF as CJK_SERIF;
use typst::typst_source;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("单位 {0} 不存在")]
    UnknownUnit(String),
    #[error(transparent)]
    Store(#[from] xinfang_store::StoreError),
    #[error("图表生成失败：{0}")]
    Chart(String),
    #[error("报表生成失败（{format}）：{message}")]
    Write {
        format: &'static str,
        message: String,
    },
}

/// The formats a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Html,
    Xlsx,
    Docx,
    Pdf,
    Json,
}

impl Format {
    pub fn parse(code: &str) -> Option<Format> {
        xinfang_domain::catalog::from_code(code)
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pdf => "application/pdf",
            Format::Json => "application/json",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Xlsx => "xlsx",
            Format::Docx => "docx",
            Format::Pdf => "pdf",
            Format::Json => "json",
        }
    }
}

/// A PDF to compile: Typst markup and the files it refers to (the charts as SVG).
#[derive(Debug, Clone)]
pub struct PdfInput {
    pub source: String,
    pub files: Vec<(String, Vec<u8>)>,
}

/// Compiles a [`PdfInput`]; the error is the compiler's message.
pub type PdfEngine<'a> = &'a dyn Fn(&PdfInput) -> Result<Vec<u8>, String>;

/// The report written in `format`. PDF is Typst markup ([`pdf_input`]) compiled by the caller's engine,
/// which holds the fonts and is loaded once per process; so this crate never links the compiler.
pub fn render(report: &Report, format: Format, pdf: PdfEngine<'_>) -> Result<Vec<u8>, ReportError> {
    match format {
        Format::Json => serde_json::to_vec_pretty(report).map_err(|e| ReportError::Write {
            format: "JSON",
            message: e.to_string(),
        }),
        Format::Html => Ok(html::page(report, &charts(report)?)?.into_bytes()),
        Format::Xlsx => xlsx::workbook(report),
        Format::Docx => docx::document(report, &charts(report)?),
        Format::Pdf => pdf(&pdf_input(report)?).map_err(|message| ReportError::Write {
            format: "PDF",
            message,
        }),
    }
}

/// A document (文书) as issued, as DOCX or PDF (through the caller's engine, as for reports).
pub fn render_document(
    document: &xinfang_domain::documents::IssuedDocument,
    format: Format,
    pdf: PdfEngine<'_>,
) -> Result<Vec<u8>, ReportError> {
    match format {
        Format::Docx => docx::official_document(document),
        Format::Pdf => pdf(&PdfInput {
            source: typst::document_source(document),
            files: Vec::new(),
        })
        .map_err(|message| ReportError::Write {
            format: "PDF",
            message,
        }),
        Format::Json => serde_json::to_vec_pretty(document).map_err(|e| ReportError::Write {
            format: "JSON",
            message: e.to_string(),
        }),
        Format::Html | Format::Xlsx => Err(ReportError::Write {
            format: "文书",
            message: "文书只提供 DOCX、PDF 和 JSON 格式".into(),
        }),
    }
}

/// The PDF's Typst markup and its charts.
pub fn pdf_input(report: &Report) -> Result<PdfInput, ReportError> {
    let (source, files) = typst_source(report, &charts(report)?);
    Ok(PdfInput { source, files })
}
