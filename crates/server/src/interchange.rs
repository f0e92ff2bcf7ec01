//! Import (administrators) and export (any staff, within their scope and with identities as the access
//! rules allow) of contacts with their events. Formats: docs/import.md.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_interchange::{
    ExportFormat, Format, ImportError, ImportReport, JSONL_MEDIA_TYPE, XLSX_MEDIA_TYPE,
};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;

/// Import files are bulk data: a year of a county's contacts fits.
pub(crate) const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedRowView {
    /// 1-based row number in the file (CSV and XLSX: the header is row 1).
    pub row: usize,
    pub source_id: Option<String>,
    /// The field at fault, as a JSON path (`petitioners[0].id_number`, `events[2]`).
    pub field: Option<String>,
    /// Why, in Chinese.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportView {
    /// Rows read.
    pub rows: usize,
    /// Rows written, each with all its events.
    pub imported: usize,
    /// Rows already imported before (by source id), left as they were.
    pub skipped: usize,
    pub rejected: Vec<RejectedRowView>,
}

impl From<ImportReport> for ImportReportView {
    fn from(r: ImportReport) -> Self {
        Self {
            rows: r.rows,
            imported: r.imported,
            skipped: r.skipped,
            rejected: r
                .rejected
                .into_iter()
                .map(|x| RejectedRowView {
                    row: x.row,
                    source_id: x.source_id,
                    field: x.field,
                    reason: x.reason,
                })
                .collect(),
        }
    }
}

/// Import historical contacts with their events. The body is the file; its format comes from
/// `Content-Type`: `application/x-ndjson` (or `application/jsonl`), `text/csv`, or the XLSX media type.
/// Answers 200 with the report even when rows were rejected; 400 or 415 when the file as a whole
/// cannot be read.
#[utoipa::path(
    post,
    path = "/api/v1/import",
    tag = "导入导出",
    request_body(content = Vec<u8>, description = "The file (at most 64 MiB)", content_type = "application/x-ndjson"),
    responses(
        (status = 200, body = ImportReportView),
        (status = 400, body = ErrorBody, description = "The file cannot be read"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not an administrator"),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody)
    )
)]
pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportReportView>, ApiError> {
    let principal = auth.admin()?;
    let format = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(Format::from_media_type)
        .ok_or(ApiError::UnsupportedMediaType(
            "应为 JSON Lines（application/x-ndjson）、CSV（text/csv）或 XLSX",
        ))?;
    let bytes = axum::body::to_bytes(body, IMPORT_BODY_LIMIT)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let report = xinfang_interchange::import(&state.ledger, &principal.user, format, &bytes)
        .await
        .map_err(|e| match e {
            ImportError::Store(s) => ApiError::Internal(s),
            other => ApiError::BadRequest {
                field: None,
                message: format!("文件无法读取：{other}"),
            },
        })?;
    Ok(Json(report.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// jsonl (default) or xlsx.
    pub format: Option<String>,
}

/// Export the contacts of every matter the user may see, with their events. Petitioners' identities
/// appear as the access rules allow: in full (recorded in the audit trail), masked, or not at all for
/// the unit complained about.
#[utoipa::path(
    get,
    path = "/api/v1/export",
    tag = "导入导出",
    params(ExportQuery),
    responses(
        (status = 200, description = "JSON Lines or XLSX file", content_type = "application/x-ndjson"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let principal = auth.ready()?;
    crate::matters::may_read_matters(principal)?;
    let format = match query.format.as_deref() {
        None => ExportFormat::Jsonl,
        Some(name) => ExportFormat::from_name(name).ok_or_else(|| ApiError::Invalid {
            field: "format",
            message: "导出格式应为 jsonl 或 xlsx".into(),
        })?,
    };
    let export_err = |e: xinfang_interchange::ExportError| match e {
        xinfang_interchange::ExportError::Store(s) => ApiError::Internal(s),
        other => ApiError::Invalid {
            field: "format",
            message: other.to_string(),
        },
    };
    let (bytes, summary, media, name) = match format {
        ExportFormat::Jsonl => {
            let mut out = Vec::new();
            let s = xinfang_interchange::export_jsonl(&state.ledger, Some(principal), &mut out)
                .await
                .map_err(export_err)?;
            (out, s, JSONL_MEDIA_TYPE, "xinfang-export.jsonl")
        }
        ExportFormat::Xlsx => {
            let (out, s) = xinfang_interchange::export_xlsx(&state.ledger, Some(principal))
                .await
                .map_err(export_err)?;
            (out, s, XLSX_MEDIA_TYPE, "xinfang-export.xlsx")
        }
    };
    if !summary.full_identity.is_empty() {
        state
            .ledger
            .record(auth.audit("export", name, summary.full_identity.join(" ")))
            .await?;
    }
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).expect("ASCII name"),
    );
    Ok(response)
}
