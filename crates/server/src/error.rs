//! One error type for every route, with an explicit status for each case. The body is always
//! `{code, message, details}`: a stable machine code, a Chinese message for people, and the field at fault.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use xinfang_domain::WorkflowError;
use xinfang_store::{LedgerError, StoreError};

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `wrong_state`.
    pub code: &'static str,
    /// What went wrong, in Chinese.
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<ErrorDetails>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetails {
    pub field: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("资源不存在")]
    NotFound,
    #[error("该资源不支持此请求方法")]
    MethodNotAllowed,
    #[error("请先登录")]
    Unauthenticated,
    #[error("用户名或密码错误")]
    InvalidCredentials,
    #[error("{message}")]
    Forbidden {
        code: &'static str,
        message: &'static str,
    },
    #[error("尝试次数过多，请 {retry_after_secs} 秒后再试")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{message}")]
    BadRequest {
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// What the body should have been.
    #[error("请求体的类型不受支持：{0}")]
    UnsupportedMediaType(&'static str),
    #[error("请求体过大")]
    PayloadTooLarge,
    #[error("服务暂不可用：{0}")]
    Unavailable(&'static str),
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error("服务器内部错误")]
    Internal(#[source] StoreError),
    /// A report or document could not be written (a missing font, say): the server's fault.
    #[error("报表生成失败，请联系系统管理员")]
    Render(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(e)
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Workflow(w) => ApiError::Workflow(w),
            LedgerError::Store(s) => ApiError::Internal(s),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthenticated | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) | ApiError::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Workflow(w) => match w {
                WorkflowError::MatterNotFound(_) => StatusCode::NOT_FOUND,
                WorkflowError::MatterExists(_) | WorkflowError::ContactExists(_) => {
                    StatusCode::CONFLICT
                }
                WorkflowError::MissingRole { .. } | WorkflowError::WrongUnit { .. } => {
                    StatusCode::FORBIDDEN
                }
                WorkflowError::WrongState { .. }
                | WorkflowError::AlreadyDone(_)
                | WorkflowError::WindowClosed { .. }
                | WorkflowError::EvaluationNotOpen
                | WorkflowError::BeforeLastEvent => StatusCode::CONFLICT,
                WorkflowError::Invalid { .. }
                | WorkflowError::UnknownUnit(_)
                | WorkflowError::Org(_) => StatusCode::UNPROCESSABLE_ENTITY,
            },
        }
    }

    fn body(&self) -> ErrorBody {
        let (code, field): (&'static str, Option<String>) = match self {
            ApiError::NotFound => ("not_found", None),
            ApiError::MethodNotAllowed => ("method_not_allowed", None),
            ApiError::Unauthenticated => ("unauthenticated", None),
            ApiError::InvalidCredentials => ("invalid_credentials", None),
            ApiError::Forbidden { code, .. } => (*code, None),
            ApiError::TooManyRequests { .. } => ("too_many_requests", None),
            ApiError::Invalid { field, .. } => ("invalid", Some((*field).to_owned())),
            ApiError::BadRequest { field, .. } => ("bad_request", field.clone()),
            ApiError::Conflict { code, .. } => (*code, None),
            ApiError::UnsupportedMediaType(_) => ("unsupported_media_type", None),
            ApiError::PayloadTooLarge => ("payload_too_large", None),
            ApiError::Unavailable(_) => ("unavailable", None),
            ApiError::Internal(_) => ("internal", None),
            ApiError::Render(_) => ("render_failed", None),
            ApiError::Workflow(w) => (w.code(), w.field().map(str::to_owned)),
        };
        ErrorBody {
            code,
            message: self.to_string(),
            details: field.map(|field| ErrorDetails { field }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            // The cause goes to the log, never to the client.
            tracing::error!(error = ?e, "internal error");
        }
        if let ApiError::Render(e) = &self {
            tracing::error!(error = %e, "report rendering failed");
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        if let ApiError::TooManyRequests { retry_after_secs } = &self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(*retry_after_secs),
            );
        }
        response
    }
}
