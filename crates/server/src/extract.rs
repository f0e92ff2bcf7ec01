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
pub(crate) fn field_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

/// A JSON value that does not deserialize into what an operation takes: 400, naming the field serde
/// names, else `whole`.
pub(crate) fn shape_error(e: &serde_json::Error, whole: &str, what: &str) -> ApiError {
    let text = e.to_string();
    ApiError::BadRequest {
        field: Some(field_in(&text).unwrap_or_else(|| whole.to_owned())),
        message: format!("{what}不符合要求：{text}"),
    }
}

/// Which page of a list: `(page, per_page, offset)`, from the query's values or their defaults.
pub(crate) fn page_window(
    page: Option<u32>,
    per_page: Option<u32>,
    default_per_page: u32,
    max_per_page: u32,
) -> Result<(u32, u32, i64), ApiError> {
    let per_page = per_page.unwrap_or(default_per_page);
    if !(1..=max_per_page).contains(&per_page) {
        return Err(ApiError::BadRequest {
            field: Some("per_page".into()),
            message: format!("每页条数应在 1 到 {max_per_page} 之间"),
        });
    }
    let page = page.unwrap_or(1);
    if page == 0 || u64::from(page) * u64::from(per_page) > 10_000_000 {
        return Err(ApiError::BadRequest {
            field: Some("page".into()),
            message: "页码超出范围".into(),
        });
    }
    Ok((page, per_page, i64::from(page - 1) * i64::from(per_page)))
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
