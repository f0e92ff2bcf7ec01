//! Import and export of historical contacts (件次) with the events of their matters, for migration and
//! for sharing data between the petition, mailbox and hotline systems (信访、信箱、热线数据共享).
//!
//! One row is one contact and the events of its matter that followed it. JSON Lines carries everything;
//! CSV and XLSX carry the same content as flat columns (see `docs/import.md`). Every row is checked
//! first by parsing and then by the domain itself when it is written through the [`Ledger`]: a bad row
//! is reported with its row number and reason and leaves nothing behind; a good row goes in whole.
//!
//! [`Ledger`]: xinfang_store::Ledger

mod columns;
mod export;
mod import;
mod parse;
mod read;

pub use export::{ExportError, ExportFormat, ExportSummary, export_jsonl, export_xlsx};
pub use import::{ImportReport, RejectedRow, import};
pub use parse::{ImportEvent, ImportRow};

/// The file formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Xlsx,
}

impl Format {
    /// The format a file name's extension names.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Format::from_name(&ext)
    }

    /// `jsonl`, `ndjson`, `json`, `csv` or `xlsx`.
    pub fn from_name(name: &str) -> Option<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// The format of an HTTP body by its media type.
    pub fn from_media_type(content_type: &str) -> Option<Format> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/x-ndjson" | "application/jsonl" | "application/x-jsonlines" => {
                Some(Format::Jsonl)
            }
            "text/csv" => Some(Format::Csv),
            XLSX_MEDIA_TYPE => Some(Format::Xlsx),
            _ => None,
        }
    }
}

pub const XLSX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const JSONL_MEDIA_TYPE: &str = "application/x-ndjson";

/// Why a whole file could not be read. Bad rows are not errors: they are reported in the
/// [`ImportReport`].
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("文件表头不是有效的UTF-8编码，请以「CSV UTF-8」格式保存")]
    HeaderEncoding,
    #[error("文件为空或没有表头")]
    NoHeader,
    #[error("表头第{column}列「{name}」不是可识别的列名")]
    UnknownColumn { column: usize, name: String },
    #[error("表头中「{0}」列重复")]
    DuplicateColumn(String),
    #[error("表头缺少必需的列「{0}」")]
    MissingColumn(&'static str),
    #[error("无法读取CSV文件：{0}")]
    Csv(String),
    #[error("无法读取XLSX文件：{0}")]
    Xlsx(String),
    #[error(transparent)]
    Store(#[from] xinfang_store::StoreError),
}

impl ImportError {
    /// Whether the file itself is at fault (as opposed to the database).
    pub fn is_unreadable_file(&self) -> bool {
        !matches!(self, ImportError::Store(_))
    }
}
