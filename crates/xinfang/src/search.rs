//! The full-text index for `serve` and `reindex`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use xinfang_search::{Dictionary, Opened, SearchIndex};
use xinfang_store::Ledger;

use crate::config::Settings;

/// How often a server catches its index up with what other processes wrote.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

async fn dictionary(settings: &Settings, ledger: &Ledger) -> anyhow::Result<Dictionary> {
    let org = ledger.org().await?;
    Ok(Dictionary::of_org(&org).with_file(&settings.search_userdict())?)
}

/// Open (rebuilding or catching up) the index and keep it following the log.
pub async fn open(settings: &Settings, ledger: &Ledger) -> anyhow::Result<Arc<SearchIndex>> {
    let dir = settings.search_dir();
    let started = Instant::now();
    let (index, opened) =
        SearchIndex::open(&dir, ledger.store(), &dictionary(settings, ledger).await?)
            .await
            .with_context(|| format!("无法打开全文索引 {}", dir.display()))?;
    if let Opened::Rebuilt(n) = opened {
        println!(
            "已重建全文索引：{n} 件信访事项，用时 {:.1} 秒",
            started.elapsed().as_secs_f64()
        );
    }
    let index = Arc::new(index);
    index.follow(ledger.store().clone(), FOLLOW_EVERY);
    Ok(index)
}

/// `xinfang reindex`: throw the index away and build it again from the database.
pub async fn reindex(settings: &Settings, ledger: &Ledger) -> anyhow::Result<()> {
    let dir = settings.search_dir();
    let started = Instant::now();
    let dictionary = dictionary(settings, ledger).await?;
    let (index, n) = SearchIndex::reindex(&dir, ledger.store(), &dictionary)
        .await
        .with_context(|| format!("无法重建全文索引 {}", dir.display()))?;
    index.close();
    println!(
        "已重建全文索引：{n} 件信访事项，用时 {:.1} 秒（{}，词典 {} 个词）",
        started.elapsed().as_secs_f64(),
        dir.display(),
        dictionary.len()
    );
    Ok(())
}
