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

pub(crate) async fn verify(password: String, hash: String) -> bool {
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

/// A signed-in session, as the server needs it on each request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: UserId,
    pub csrf_token: String,
    pub expires_ms: i64,
    /// The user still has a one-time password.
    pub must_change_password: bool,
    /// The organisation's version (`chain_head.org_seq`) when the session was read, so the caller can
    /// tell whether its copy of the organisation is current without another query.
    pub org_seq: i64,
}

pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Start a session; returns the secret token (for the cookie) and the session's CSRF token.
    pub async fn create_session(
        &self,
        user: &UserId,
        now_ms: i64,
        lifetime_ms: i64,
        address: &str,
    ) -> Result<(String, String)> {
        let token = random_token();
        let csrf_token = random_token();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_ms, expires_ms, address) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash(&token))
        .bind(user.as_str().to_owned())
        .bind(csrf_token.clone())
        .bind(now_ms)
        .bind(now_ms + lifetime_ms)
        .bind(address.to_owned())
        .execute(&self.pool)
        .await?;
        Ok((token, csrf_token))
    }

    /// The live session a token belongs to.
    pub async fn session(&self, token: &str, now_ms: i64) -> Result<Option<Session>> {
        // One query for everything a request needs to know about its session.
        let row = sqlx::query(
            "SELECT s.user_id, s.csrf_token, s.expires_ms, h.org_seq, \
             COALESCE(c.must_change, 0) AS must_change \
             FROM sessions s JOIN chain_head h ON h.id = 1 \
             LEFT JOIN credentials c ON c.user_id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_ms > $2",
        )
        .bind(token_hash(token))
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let user: String = r.try_get("user_id")?;
            Ok(Session {
                user: UserId::parse(&user)
                    .map_err(|_| StoreError::Corrupt(format!("会话中的用户名无效：{user}")))?,
                csrf_token: r.try_get("csrf_token")?,
                expires_ms: r.try_get("expires_ms")?,
                must_change_password: r.try_get::<i64, _>("must_change")? == 1,
                org_seq: r.try_get("org_seq")?,
            })
        })
        .transpose()
    }

    pub async fn end_session(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// End every session of a user (on disabling, or after a password change elsewhere).
    pub async fn end_sessions_of(&self, user: &UserId) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.as_str().to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn record_login_failure(&self, keys: &[String], now_ms: i64) -> Result<()> {
        for key in keys {
            sqlx::query("INSERT INTO login_failures (throttle_key, at_ms) VALUES ($1, $2)")
                .bind(key.clone())
                .bind(now_ms)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Failed sign-ins for `key` since `since_ms`.
    pub async fn login_failures(&self, key: &str, since_ms: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE throttle_key = $1 AND at_ms > $2",
        )
        .bind(key.to_owned())
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?)
    }
}
