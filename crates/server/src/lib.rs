//! The HTTP API of xinfang. Handlers stay thin: they parse, call the ledger or the store, and map errors;
//! the rules live in `xinfang-domain`. Routes are registered together with their OpenAPI documentation
//! (utoipa-axum), so the document at /api/openapi.json cannot drift from the routes.

mod admin;
pub mod auth;
mod check;
pub mod classify;
mod console;
mod documents;
pub mod error;
mod extract;
mod health;
mod hotspots;
mod interchange;
mod matters;
mod open311;
mod org;
mod portal;
pub mod reports;
mod search;
mod similar;
mod stats;

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;
use xinfang_store::Ledger;

use crate::error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub ledger: Ledger,
    /// Near-duplicate and repeat lookup over every registered contact, following the log.
    pub similar: std::sync::Arc<similar::SimilarIndex>,
    /// Full-text search; `None` answers 503 on its route.
    pub search: Option<std::sync::Arc<xinfang_search::SearchIndex>>,
}

impl AppState {
    /// What a server needs besides the ledger starts empty: the lookup of contacts reads the log when
    /// served; full-text search is off until [`AppState::with_search`].
    pub fn new(ledger: Ledger) -> Self {
        AppState {
            ledger,
            similar: Default::default(),
            search: None,
        }
    }

    pub fn with_search(mut self, search: std::sync::Arc<xinfang_search::SearchIndex>) -> Self {
        self.search = Some(search);
        self
    }
}

#[derive(OpenApi)]
#[openapi(info(
    title = "xinfang API",
    description = "xinfang 信访事项管理与分析系统的接口。所有错误以 {code, message, details} 返回。"
))]
struct ApiDoc;

/// Requests larger than this are refused with 413 before a handler sees them.
const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Every route with its documentation. Adding a route here is the only way to add one.
fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(auth::login, auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(org::units, org::create_unit))
        .routes(routes!(org::update_unit))
        .routes(routes!(org::regions, org::define_region))
        .routes(routes!(org::domains))
        .routes(routes!(matters::list, matters::register))
        .routes(routes!(matters::detail))
        .routes(routes!(search::search))
        .routes(routes!(matters::act))
        .routes(routes!(similar::similar))
        .routes(routes!(check::check))
        .routes(routes!(matters::attachment))
        .routes(with_body_limit(
            routes!(matters::upload),
            matters::FILE_LIMIT,
        ))
        .routes(routes!(admin::users, admin::create_user))
        .routes(routes!(admin::change_user))
        .routes(routes!(admin::create_token, admin::tokens))
        .routes(routes!(admin::revoke_token))
        .routes(routes!(admin::audit))
        .routes(with_body_limit(
            routes!(interchange::import),
            interchange::IMPORT_BODY_LIMIT,
        ))
        .routes(routes!(interchange::export))
        .routes(routes!(hotspots::list))
        .routes(routes!(stats::stats))
        .routes(routes!(stats::stats_matters))
        .routes(routes!(reports::report))
        .routes(routes!(documents::issue, documents::list))
        .routes(routes!(documents::download))
        .routes(routes!(documents::templates))
        .routes(routes!(documents::set_template))
        .routes(routes!(classify::classify))
}

/// A route that takes larger bodies than JSON routes (files, imports).
fn with_body_limit(
    (schemas, paths, router): utoipa_axum::router::UtoipaMethodRouter<AppState>,
    limit: usize,
) -> utoipa_axum::router::UtoipaMethodRouter<AppState> {
    (
        schemas,
        paths,
        router.layer(axum::extract::DefaultBodyLimit::max(limit)),
    )
}

/// Errors every operation can answer besides those it documents itself: a malformed query or body
/// (400), and for operations with a body, one too large (413) or not JSON (415). Added here so that each
/// route need not repeat them and none can forget them.
fn document_common_errors(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for item in api.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let responses = &mut op.responses.responses;
            let has_body = op.request_body.is_some();
            let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let mut add = |code: &str, description: &str| {
                responses
                    .entry(code.to_owned())
                    .or_insert_with(|| error(description).into());
            };
            if has_body || has_params {
                add("400", "请求参数或请求体无法解析");
            }
            if has_body {
                add("413", "请求体过大");
                add("415", "请求体的类型不受支持");
            }
        }
    }
}

/// The whole application: API routes, their OpenAPI document and the browsable API page.
pub fn app(state: AppState) -> Router {
    let (router, api) = split();
    router
        .merge(console::router())
        .merge(portal::router())
        .merge(open311::router())
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", api))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        // Extractors refuse larger bodies with the API's own 413 body.
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The OpenAPI document, for tools that want it without a running server.
pub fn openapi() -> utoipa::openapi::OpenApi {
    split().1
}

fn split() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut api) = api_router().split_for_parts();
    document_common_errors(&mut api);
    (router, api)
}

/// Serve until `shutdown` completes, then finish the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let follower = tokio::spawn(state.similar.clone().follow(state.ledger.clone()));
    // The peer address feeds login throttling.
    let served = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    follower.abort();
    served
}
