//! The router and its middleware.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower::ServiceBuilder;
use tower::limit::ConcurrencyLimitLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::routes::{documents, facets, health, search};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    paths(openapi_json),
    info(title = "folio", description = "Full-text search for research corpora: paragraphs, facets and highlights."),
    tags(
        (name = "search", description = "Searching paragraphs and counting facets"),
        (name = "documents", description = "Reading documents and paragraphs"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    )
)]
struct ApiDoc;

/// The OpenAPI document (served by the route added in [`router`]; declared here so it is listed).
#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses((status = 200, description = "This OpenAPI 3 document")))]
#[allow(dead_code)]
fn openapi_json() {}

/// Request ids: a per-process random prefix and a counter.
#[derive(Clone)]
struct MakeId {
    prefix: u32,
    next: Arc<AtomicU64>,
}

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:08x}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// The API's routes and their OpenAPI description, built together so they cannot drift.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(search::get_search, search::post_search))
        .routes(routes!(documents::get_document))
        .routes(routes!(documents::get_paragraph))
        .routes(routes!(facets::get_facets))
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics))
        .merge(crate::routes::web::routes())
        .merge(crate::routes::meili::routes())
        .split_for_parts()
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api();
    let openapi = Arc::new(openapi);
    let config = state.config.clone();
    let request_id = HeaderName::from_static("x-request-id");

    let cors = {
        let origins = if config.cors_origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(
                config
                    .cors_origins
                    .iter()
                    .filter_map(|o| HeaderValue::from_str(o).ok()),
            )
        };
        CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                HeaderName::from_static("x-meilisearch-client"),
                request_id.clone(),
            ])
            .expose_headers([request_id.clone()])
            .max_age(Duration::from_secs(3600))
    };

    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request| {
        let route = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or("unmatched");
        let id = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::info_span!("request", method = %req.method(), uri = %req.uri(), route, request_id = id)
    });

    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(
            request_id.clone(),
            MakeId {
                prefix: std::process::id().wrapping_mul(2654435761),
                next: Arc::new(AtomicU64::new(1)),
            },
        ))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(middleware::from_fn_with_state(
            config.body_limit_bytes,
            json_errors,
        ))
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiError::Internal("a handler panicked".to_string()).into_response()
            },
        ))
        .layer(cors)
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.request_timeout_secs),
        ))
        .layer(RequestBodyLimitLayer::new(config.body_limit_bytes))
        .layer(ConcurrencyLimitLayer::new(config.concurrency_limit));

    api.route(
        "/openapi.json",
        get(move || async move { Json(openapi.as_ref().clone()) }),
    )
    .fallback(not_found)
    .layer(middleware)
    .layer(middleware::from_fn_with_state(
        state.clone(),
        crate::metrics::record,
    ))
    .with_state(state)
}

async fn not_found(req: Request) -> Response {
    let path = req.uri().path();
    if crate::meili::error::MeiliError::owns_path(path) {
        crate::meili::error::MeiliError::RouteNotFound(path.to_string()).into_response()
    } else {
        ApiError::NotFound(path.to_string()).into_response()
    }
}

/// Responses made by middleware (timeouts, body limits, unknown methods) come without a JSON
/// body; give them the API's error body so clients see one format.
async fn json_errors(State(body_limit): State<usize>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return response;
    }
    let mut fixed = if crate::meili::error::MeiliError::owns_path(&path) {
        crate::meili::error::MeiliError::from_status(status, &path, body_limit).into_response()
    } else {
        api_error_for(status, &path, body_limit).into_response()
    };

    // Keep headers such as Allow and the CORS and request-id headers.
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fixed.headers_mut().insert(name.clone(), value.clone());
        }
    }
    *fixed.status_mut() = status;
    fixed
}

/// Folio's error for a response made by middleware without a body of its own.
fn api_error_for(status: StatusCode, path: &str, body_limit: usize) -> ApiError {
    match status {
        StatusCode::REQUEST_TIMEOUT => ApiError::Timeout,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(body_limit),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        StatusCode::NOT_FOUND => ApiError::NotFound(path.to_string()),
        s if s.is_client_error() => {
            ApiError::BadParameter(s.canonical_reason().unwrap_or("bad request").to_string())
        }
        s => ApiError::Internal(format!("status {s} from middleware")),
    }
}

/// Serves `router(state)` on `listener` until `shutdown` completes; requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received, finishing requests in flight"),
        _ = term => tracing::info!("SIGTERM received, finishing requests in flight"),
    }
}
