//! The portal's way back to a petition: a 查询码 with a secret, checked like a password (decision 0031).

use rand::Rng;
use sqlx::Row;

use crate::accounts::{PasswordHashText, hash_password, verify};
use crate::{Result, Store};

/// The secret handed out with a 查询码: 8 characters without look-alikes, read back from a receipt.
pub fn portal_secret() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The petition a right 查询码 and secret open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalAccess {
    pub matter: String,
    pub contact: String,
}

impl Store {
    /// Record the access before the filing is written, so a registered petition never lacks one; a
    /// failed filing takes it back with [`Store::remove_portal_access`].
    pub async fn add_portal_access(
        &self,
        query_code: &str,
        access: &PortalAccess,
        secret: String,
        now_ms: i64,
    ) -> Result<()> {
        let PasswordHashText(hash) = hash_password(secret).await?;
        sqlx::query(
            "INSERT INTO portal_access (query_code, matter_id, contact_id, secret_hash, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(query_code.to_owned())
        .bind(access.matter.clone())
        .bind(access.contact.clone())
        .bind(hash)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn remove_portal_access(&self, query_code: &str) -> Result<()> {
        sqlx::query("DELETE FROM portal_access WHERE query_code = $1")
            .bind(query_code.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The petition behind a 查询码 if the secret is right. An unknown code costs the time of a real
    /// check, so timing does not tell which codes exist.
    pub async fn open_portal_access(
        &self,
        query_code: &str,
        secret: &str,
    ) -> Result<Option<PortalAccess>> {
        let row = sqlx::query(
            "SELECT matter_id, contact_id, secret_hash FROM portal_access WHERE query_code = $1",
        )
        .bind(query_code.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            hash_password(secret.to_owned()).await?;
            return Ok(None);
        };
        let hash: String = row.try_get("secret_hash")?;
        if !verify(secret.to_owned(), hash).await {
            return Ok(None);
        }
        Ok(Some(PortalAccess {
            matter: row.try_get("matter_id")?,
            contact: row.try_get("contact_id")?,
        }))
    }
}
