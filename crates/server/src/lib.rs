//! The HTTP API of xinfang. Handlers stay thin: they parse, call the ledger or the store, and map errors;
//! the rules live in `xinfang-domain`. Routes are registered together with their OpenAPI documentation
//! (utoipa-axum), so the document at /api/openapi.json cannot drift from the routes.

pub mod auth;
pub mod error;
mod health;
mod interchange;
mod org;

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
}

#[derive(OpenApi)]
#[openapi(info(
    title = "xinfang API",
    description = "xinfang 信访事项管理与分析系统的接口。所有错误以 {code, message, details} 返回。"
))]
struct ApiDoc;

/// Requests larger than this are refused with 413 before a handler sees them.
pub(crate) const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Every route with its documentation. Adding a route here is the only way to add one.
fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(auth::login, auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(org::units))
        .routes(routes!(org::regions))
        .routes(routes!(org::domains))
        .routes(routes!(interchange::import))
        .routes(routes!(interchange::export))
}

/// The whole application: API routes, their OpenAPI document and the browsable API page.
pub fn app(state: AppState) -> Router {
    let (router, api) = api_router().split_for_parts();
    router
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", api))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn(interchange::limit_bodies))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The OpenAPI document, for tools that want it without a running server.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

/// Serve until `shutdown` completes, then finish the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address feeds login throttling.
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
