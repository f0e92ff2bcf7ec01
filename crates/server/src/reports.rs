//! The reports of brief §7 over HTTP: `GET /api/v1/reports/{kind}` gives the daily monitor, the weekly
//! summary or the half-monthly bulletin of a period for the user's unit (or one below it) as a web page,
//! XLSX, DOCX, PDF or JSON. What they say is `xinfang_reports`; this module checks the request and sends
//! the file. Reports hold no personal data: lists name matters by id.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use std::sync::OnceLock;
use utoipa::IntoParams;

use xinfang_domain::ids::UnitId;
use xinfang_domain::org::Org;
use xinfang_pdf::Pdf;
use xinfang_reports::{Format, PdfInput, Report, ReportError, ReportKind, ReportRequest};
use xinfang_store::Store;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::matters::may_read_matters;
use crate::stats::{bad, scope_unit, window_of};

/// Which report: its period, as-of day, unit and format.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First day of the period (YYYY-MM-DD).
    pub from: NaiveDate,
    /// Last day of the period.
    pub to: NaiveDate,
    /// Count only what was known by the end of this day; default `to`, so a closed period's report stays
    /// as it was when the period closed.
    pub as_of: Option<NaiveDate>,
    /// The unit reported on, with every unit below it; default the user's unit.
    pub unit: Option<String>,
    /// Compare with the same days of this base year too.
    pub base_year: Option<i32>,
    /// html (default), xlsx, docx, pdf or json.
    pub format: Option<String>,
}

/// Compile a report's (or a document's) PDF with the process's Typst engine, made on first use: it reads
/// every system font once, which takes a moment, and then serves every request.
pub fn compile_pdf(input: &PdfInput) -> Result<Vec<u8>, String> {
    static ENGINE: OnceLock<Result<Pdf, String>> = OnceLock::new();
    let engine = ENGINE
        .get_or_init(|| {
            let pdf = Pdf::new(&[]).map_err(|e| e.to_string())?;
            // Without the Chinese faces every character would come out as a blank box: refuse instead.
            if !pdf
                .families()
                .iter()
                .any(|f| f == xinfang_reports::CJK_SERIF)
            {
                return Err(format!(
                    "未找到字体 {}，请安装 fonts-noto-cjk",
                    xinfang_reports::CJK_SERIF
                ));
            }
            Ok(pdf)
        })
        .as_ref()?;
    let files: Vec<(&str, Vec<u8>)> = input
        .files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.clone()))
        .collect();
    engine
        .render(&input.source, &files)
        .map_err(|e| e.to_string())
}

/// The report `req` asks for, written in `format`: what the API sends and `xinfang report` writes.
/// Writing runs off the async runtime (a PDF takes a CPU for a while).
pub async fn write_report(
    store: &Store,
    org: &Org,
    req: &ReportRequest,
    format: Format,
) -> Result<(Report, Vec<u8>), ReportError> {
    let report = xinfang_reports::gather(store, org, req).await?;
    let written = report.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        xinfang_reports::render(&written, format, &compile_pdf)
    })
    .await
    .map_err(|e| ReportError::Write {
        format: "报表",
        message: e.to_string(),
    })??;
    Ok((report, bytes))
}

fn render_error(e: ReportError) -> ApiError {
    match e {
        ReportError::Store(s) => ApiError::Internal(s),
        ReportError::UnknownUnit(_) => bad("unit", e.to_string()),
        other => ApiError::Render(other.to_string()),
    }
}

/// A report of brief §7 (日监测 `daily`, 周汇总 `weekly`, 半月通报 `bulletin`) as a file.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{kind}",
    tag = "统计",
    params(("kind" = String, Path, description = "daily、weekly 或 bulletin"), ReportParams),
    responses(
        (status = 200, description = "报表文件：HTML、XLSX、DOCX、PDF 或 JSON", content(
            (String = "text/html"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (Vec<u8> = "application/pdf"),
            (Object = "application/json")
        )),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub async fn report(
    State(state): State<AppState>,
    auth: Auth,
    Path(kind): Path<String>,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Response, ApiError> {
    let principal = auth.ready()?;
    may_read_matters(principal)?;
    let kind = ReportKind::parse(&kind).ok_or(ApiError::NotFound)?;
    let format = match params.format.as_deref() {
        None => Format::Html,
        Some(f) => Format::parse(f)
            .ok_or_else(|| bad("format", "报表格式应为 html、xlsx、docx、pdf 或 json"))?,
    };
    let window = window_of(params.from, params.to, params.as_of)?;
    if (params.to - params.from).num_days() > 366 {
        return Err(bad("from", "报表的统计期最长一年"));
    }
    if let Some(y) = params.base_year
        && !(1990..=2100).contains(&y)
    {
        return Err(bad("base_year", "基期年份应在 1990 到 2100 之间"));
    }
    let unit: UnitId = scope_unit(&auth.org, &principal.unit, params.unit.as_deref())?;
    let req = ReportRequest {
        kind,
        window,
        unit,
        base_year: params.base_year,
    };
    let (_, bytes) = write_report(state.ledger.store(), &auth.org, &req, format)
        .await
        .map_err(render_error)?;
    let name = format!(
        "{}-{}-{}.{}",
        xinfang_domain::catalog::code(&kind),
        params.from,
        params.to,
        format.extension()
    );
    Ok(file_response(bytes, format, &name))
}

/// A written file as a response: its media type, and a download name unless it is a web page.
pub(crate) fn file_response(bytes: Vec<u8>, format: Format, name: &str) -> Response {
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    if format != Format::Html
        && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
