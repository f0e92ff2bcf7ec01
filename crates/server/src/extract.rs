//! axum's extractors with rejections in the API's own error shape: bad JSON, a bad query string or a bad
//! path parameter get `{code, message, details}` like every other error.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};

use crate::error::ApiError;

/// A JSON request body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Query-string parameters.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// serde names the field at fault in its message ("missing field `summary`"); keep that name for
/// `details.field`.
fn field_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::UnsupportedMediaType("应为 JSON（Content-Type: application/json）")
            }
            JsonRejection::BytesRejection(b) if b.status() == 413 => ApiError::PayloadTooLarge,
            JsonRejection::JsonDataError(e) => {
                let detail = e.body_text();
                ApiError::BadRequest {
                    field: field_in(&detail),
                    message: format!("请求内容不符合要求：{detail}"),
                }
            }
            other => ApiError::BadRequest {
                field: None,
                message: format!("请求体不是有效的 JSON：{}", other.body_text()),
            },
        }
    }
}

/// serde_urlencoded names the parameter before a colon: "…query string: due_from: input contains …".
fn parameter_in(message: &str) -> Option<String> {
    let rest = message.split_once("query string: ")?.1;
    let (name, _) = rest.split_once(':')?;
    (!name.contains(' ')).then(|| name.to_owned())
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let detail = r.body_text();
        ApiError::BadRequest {
            field: field_in(&detail).or_else(|| parameter_in(&detail)),
            message: format!("查询参数不符合要求：{detail}"),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest {
            field: None,
            message: format!("路径参数不符合要求：{}", r.body_text()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_field_is_read_from_serde_messages() {
        assert_eq!(
            super::field_in("missing field `summary` at line 1 column 2").as_deref(),
            Some("summary")
        );
        assert_eq!(super::field_in("expected value"), None);
        assert_eq!(
            super::parameter_in(
                "Failed to deserialize query string: due_from: input contains invalid characters"
            )
            .as_deref(),
            Some("due_from")
        );
    }
}
