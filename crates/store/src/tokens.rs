//! API tokens for systems (a city's 12345 platform, the provincial system): bound to one unit and a set of
//! roles (the actions it may take), stored as the SHA-256 of the secret, revocable, with the last use
//! recorded. The secret is shown once, when the token is made.

use sqlx::Row;
use xinfang_domain::Role;
use xinfang_domain::ids::{UnitId, UserId};

use crate::accounts::{random_token, token_hash};
use crate::{Result, Store, StoreError};

/// Recording every use would make every read a write; a minute's precision is enough to see whether a
/// token is still in use.
const LAST_USE_PRECISION_MS: i64 = 60_000;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    /// The account the token acts for; its actions are recorded under `api:<id>`.
    pub user: UserId,
    pub unit: UnitId,
    pub roles: Vec<Role>,
    pub created_ms: i64,
    pub created_by: UserId,
    pub revoked_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<ApiToken> {
    let id: String = r.try_get("id")?;
    let corrupt = || StoreError::Corrupt(format!("令牌 {id} 的数据无法解析"));
    let user: String = r.try_get("user_id")?;
    let unit: String = r.try_get("unit_id")?;
    let scopes: String = r.try_get("scopes")?;
    let created_by: String = r.try_get("created_by")?;
    Ok(ApiToken {
        name: r.try_get("name")?,
        user: UserId::parse(&user).map_err(|_| corrupt())?,
        unit: UnitId::parse(&unit).map_err(|_| corrupt())?,
        roles: serde_json::from_str(&scopes).map_err(|_| corrupt())?,
        created_ms: r.try_get("created_ms")?,
        created_by: UserId::parse(&created_by).map_err(|_| corrupt())?,
        revoked_ms: r.try_get("revoked_ms")?,
        last_used_ms: r.try_get("last_used_ms")?,
        id,
    })
}

const COLUMNS: &str =
    "id, name, user_id, unit_id, scopes, created_ms, created_by, revoked_ms, last_used_ms";

impl Store {
    /// Make a token; returns it and its secret (shown once).
    pub async fn create_token(
        &self,
        name: &str,
        user: &UserId,
        unit: &UnitId,
        roles: &[Role],
        created_by: &UserId,
        now_ms: i64,
    ) -> Result<(ApiToken, String)> {
        let id = random_token()[..12].to_owned();
        let secret = format!("xf_{}", random_token());
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, name, user_id, unit_id, scopes, created_ms, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.clone())
        .bind(token_hash(&secret))
        .bind(name.to_owned())
        .bind(user.as_str().to_owned())
        .bind(unit.as_str().to_owned())
        .bind(serde_json::to_string(roles).expect("roles serialize"))
        .bind(now_ms)
        .bind(created_by.as_str().to_owned())
        .execute(&self.pool)
        .await?;
        let token = ApiToken {
            id,
            name: name.to_owned(),
            user: user.clone(),
            unit: unit.clone(),
            roles: roles.to_vec(),
            created_ms: now_ms,
            created_by: created_by.clone(),
            revoked_ms: None,
            last_used_ms: None,
        };
        Ok((token, secret))
    }

    /// The live token with this secret, recording its use, and the organisation's version
    /// (`chain_head.org_seq`) read in the same query.
    pub async fn use_token(&self, secret: &str, now_ms: i64) -> Result<Option<(ApiToken, i64)>> {
        let row = sqlx::query(
            "SELECT t.*, h.org_seq FROM api_tokens t JOIN chain_head h ON h.id = 1 \
             WHERE t.token_hash = $1 AND t.revoked_ms IS NULL",
        )
        .bind(token_hash(secret))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let token = from_row(&row)?;
        let org_seq: i64 = row.try_get("org_seq")?;
        if token
            .last_used_ms
            .is_none_or(|t| now_ms - t >= LAST_USE_PRECISION_MS)
        {
            sqlx::query("UPDATE api_tokens SET last_used_ms = $1 WHERE id = $2")
                .bind(now_ms)
                .bind(token.id.clone())
                .execute(&self.pool)
                .await?;
        }
        Ok(Some((token, org_seq)))
    }

    /// Every token, newest first.
    pub async fn tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_tokens ORDER BY created_ms DESC, id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn token(&self, id: &str) -> Result<Option<ApiToken>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE id = $1"
        )))
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Revoke a token: it stops working at once. True when it was live.
    pub async fn revoke_token(&self, id: &str, now_ms: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL",
        )
        .bind(now_ms)
        .bind(id.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
