use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::{Result, StoreError};

/// The database engine behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// SQLite: `synchronous=FULL` makes every acknowledged commit durable even on power loss; NORMAL is
    /// durable across process crashes only. FULL is the default.
    pub sqlite_synchronous_full: bool,
    pub max_connections: u32,
    /// The rules the figures' rows are computed with; rows computed with others are rebuilt at open.
    pub figure_rules: xinfang_domain::rules::FigureRules,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            sqlite_synchronous_full: true,
            max_connections: 8,
            figure_rules: Default::default(),
        }
    }
}

/// A connection pool to the event log and its projections.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    /// The ledger's own connection, kept open: on SQLite a connection empties its page cache whenever
    /// another connection has written, so the one writer keeps the indexes it appends to warm only if it
    /// always writes through the same connection.
    pub(crate) writer: AnyPool,
    engine: Engine,
    pub(crate) figure_rules: std::sync::Arc<xinfang_domain::rules::FigureRules>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the URL: it may hold a password.
        f.debug_struct("Store")
            .field("engine", &self.engine)
            .finish()
    }
}

/// The SQLite file inside a data folder.
pub const SQLITE_FILE: &str = "xinfang.db";

impl Store {
    /// Open (creating if needed) the embedded SQLite database in `dir`.
    pub async fn open_dir(dir: &Path, options: &StoreOptions) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
        let file = dir.join(SQLITE_FILE);
        Self::open(&format!("sqlite://{}?mode=rwc", file.display()), options).await
    }

    /// Open a database by URL (`sqlite://…` or `postgres://…`) and bring its schema up to date.
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        };
        let connect = AnyConnectOptions::from_str(url)?;
        let synchronous = if options.sqlite_synchronous_full {
            "FULL"
        } else {
            "NORMAL"
        };
        let pool_options = || {
            AnyPoolOptions::new()
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if engine == Engine::Sqlite {
                            // WAL lets readers work beside the one writer; busy_timeout makes a second
                            // writer wait for the lock instead of failing.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute(sqlx::AssertSqlSafe(format!(
                                "PRAGMA synchronous = {synchronous}"
                            )))
                            .await?;
                            conn.execute("PRAGMA busy_timeout = 30000").await?;
                            // The log's indexes grow with every event; SQLite's default 2 MB page cache
                            // makes each insert re-read index pages from the OS.
                            conn.execute("PRAGMA cache_size = -65536").await?;
                        }
                        Ok(())
                    })
                })
        };
        let pool = pool_options()
            .max_connections(options.max_connections)
            .connect_with(connect.clone())
            .await?;
        let writer = pool_options()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(connect)
            .await?;
        if engine == Engine::Sqlite {
            // The commit that fills the WAL copies it back into the database file while its requests
            // wait; smaller, more frequent copies keep that wait short.
            sqlx::query("PRAGMA wal_autocheckpoint = 256")
                .execute(&writer)
                .await?;
        }
        let store = Store {
            pool,
            writer,
            engine,
            figure_rules: std::sync::Arc::new(options.figure_rules.clone()),
        };
        store.migrate().await?;
        let version: i64 = sqlx::query_scalar("SELECT version FROM projection_version")
            .fetch_one(&store.pool)
            .await?;
        let facts_rules = crate::figures::facts_rules(&mut *store.pool.acquire().await?).await?;
        if version < crate::verify::PROJECTION_VERSION
            || facts_rules != i64::from(options.figure_rules.repeat_window_days)
        {
            store.rebuild_projections().await?;
        } else {
            crate::rollups::fill_if_missing(&store.writer).await?;
        }
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        match self.engine {
            Engine::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Engine::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// The rules the figures' rows are computed with.
    pub fn figure_rules(&self) -> &xinfang_domain::rules::FigureRules {
        &self.figure_rules
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The pool, for the few callers (benchmarks, tests) that need raw SQL.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// A URL with any password replaced, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Events after `after`, in order, at most `limit`.
    pub async fn events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<xinfang_domain::StoredEvent>> {
        let mut conn = self.pool.acquire().await?;
        crate::log::read_events(&mut conn, after, limit).await
    }

    /// Insert event rows exactly as given, in one transaction, with no chain check and no projection.
    /// This is the benchmark's baseline ("a raw batched INSERT of the same rows"), not a way to write.
    pub async fn insert_raw_events(
        &self,
        rows: &[(xinfang_domain::StoredEvent, String)],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        crate::log::insert_events(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redact_hides_passwords() {
        assert_eq!(
            super::redact("postgres://xf:secret@db:5432/xf"),
            "postgres://xf:***@db:5432/xf"
        );
        assert_eq!(super::redact("sqlite://a.db"), "sqlite://a.db");
    }
}
