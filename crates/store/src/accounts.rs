//! Passwords: Argon2id hashes, computed off the async runtime, kept outside the event log.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::Rng;
use sqlx::Row;
use xinfang_domain::ids::UserId;

use crate::{Result, Store, StoreError};

/// A password hash in PHC form. Never printed.
#[derive(Clone)]
pub struct PasswordHashText(pub(crate) String);

impl std::fmt::Debug for PasswordHashText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHashText(***)")
    }
}

/// Argon2id with a random salt. Slow on purpose, so it runs on the blocking pool.
pub async fn hash_password(password: String) -> Result<PasswordHashText> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| PasswordHashText(h.to_string()))
            .map_err(|e| StoreError::Corrupt(format!("无法计算密码哈希：{e}")))
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("密码哈希任务失败：{e}")))?
}

async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A one-time password for a new account or a reset: 16 characters without look-alikes (0/O, 1/l/I).
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// Right password for an active user; `must_change` after a one-time password.
    Valid { must_change: bool },
    /// Wrong password, unknown user, disabled user or no password set: callers must not tell which.
    Invalid,
}

impl Store {
    pub async fn check_password(&self, user: &UserId, password: &str) -> Result<PasswordCheck> {
        let row = sqlx::query(
            "SELECT c.hash, c.must_change, u.active FROM credentials c \
             JOIN users u ON u.id = c.user_id WHERE c.user_id = $1",
        )
        .bind(user.as_str().to_owned())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            // Spend the time of a real check, so timing does not reveal which users exist.
            hash_password(password.to_owned()).await?;
            return Ok(PasswordCheck::Invalid);
        };
        let hash: String = row.try_get("hash")?;
        let must_change: i64 = row.try_get("must_change")?;
        let active: i64 = row.try_get("active")?;
        let ok = verify(password.to_owned(), hash).await;
        Ok(if ok && active == 1 {
            PasswordCheck::Valid {
                must_change: must_change == 1,
            }
        } else {
            PasswordCheck::Invalid
        })
    }
}

pub(crate) async fn upsert_credentials(
    conn: &mut sqlx::AnyConnection,
    user: &UserId,
    hash: &PasswordHashText,
    must_change: bool,
    at_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO credentials (user_id, hash, must_change, updated_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, \
         must_change = excluded.must_change, updated_ms = excluded.updated_ms",
    )
    .bind(user.as_str().to_owned())
    .bind(hash.0.clone())
    .bind(i64::from(must_change))
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
