//! Files attached to contacts (scans, photos, recordings), kept by the SHA-256 of their content: the
//! event that registers a contact names them, the bytes stay out of the log.

use sqlx::Row;

use crate::{Result, Store};

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

impl Store {
    /// Keep a file by the hex SHA-256 of its content; storing the same content again changes nothing.
    pub async fn put_file(
        &self,
        media_type: &str,
        content: Vec<u8>,
        now_ms: i64,
    ) -> Result<String> {
        use sha2::{Digest, Sha256};
        let sha256 = hex::encode(Sha256::digest(&content));
        sqlx::query(
            "INSERT INTO attachments (sha256, media_type, size, content, stored_ms) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256.clone())
        .bind(media_type.to_owned())
        .bind(content.len() as i64)
        .bind(content)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(sha256)
    }

    /// The size of a stored file, if it is stored.
    pub async fn file_size(&self, sha256: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT size FROM attachments WHERE sha256 = $1")
                .bind(sha256.to_owned())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn file(&self, sha256: &str) -> Result<Option<StoredFile>> {
        let row =
            sqlx::query("SELECT sha256, media_type, content FROM attachments WHERE sha256 = $1")
                .bind(sha256.to_owned())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok(StoredFile {
                sha256: r.try_get("sha256")?,
                media_type: r.try_get("media_type")?,
                content: r.try_get("content")?,
            })
        })
        .transpose()
    }
}
