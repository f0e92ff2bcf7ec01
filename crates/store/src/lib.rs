//! Storage for xinfang: the hash-chained event log and the projections rebuilt from it, on SQLite (the
//! embedded default) or PostgreSQL, through one code path (sqlx `Any`). Dialect differences live only in
//! the per-engine migration folders.

pub mod accounts;
pub mod audit;
mod db;
mod documents;
mod feed;
pub mod figures;
pub mod files;
pub mod hotspots;
mod interchange;
mod ledger;
pub mod log;
pub mod portal;
mod projection;
pub mod query;
mod rollups;
pub mod search_feed;
pub mod tokens;
pub mod training;
mod verify;

pub use db::{Engine, SQLITE_FILE, Store, StoreOptions};
pub use ledger::{GroupRefusal, Ledger, LedgerError};
pub use verify::{Break, Summary, VerifyReport};
pub use xinfang_domain::Change;

/// Failures of the storage layer. Messages name what an operator must look at.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("数据库错误")]
    Db(#[from] sqlx::Error),
    #[error("数据库迁移失败")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("不支持的数据库地址（应以 sqlite: 或 postgres: 开头）：{0}")]
    UnsupportedUrl(String),
    #[error("写入失败：{0}")]
    WriteFailed(String),
    #[error("存储的数据已损坏：{0}")]
    Corrupt(String),
    #[error("无法创建数据目录 {path}：{source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
