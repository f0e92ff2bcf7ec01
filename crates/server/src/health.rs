//! Probes for operators and load balancers.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`
    pub status: &'static str,
    /// Sequence number of the last event in the log.
    pub head_seq: i64,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "运维", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process can reach its database and read the end of the event log.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "运维",
    responses((status = 200, body = Readiness), (status = 503, body = ErrorBody))
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    match state.ledger.head().await {
        Ok((head_seq, _)) => Ok(Json(Readiness {
            status: "ready",
            head_seq,
        })),
        Err(e) => {
            tracing::warn!(error = ?e, "readiness check failed");
            Err(ApiError::Unavailable("数据库无法访问"))
        }
    }
}
