//! Prometheus metrics: requests and their latency by route, method and status; searches; the
//! size of the index in use.

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    pub searches: Counter,
    documents: Gauge<u64, AtomicU64>,
    paragraphs: Gauge<u64, AtomicU64>,
    bitmap_bytes: Gauge<u64, AtomicU64>,
    ready: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("folio");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
        });
        let searches = Counter::default();
        let documents = Gauge::<u64, AtomicU64>::default();
        let paragraphs = Gauge::<u64, AtomicU64>::default();
        let bitmap_bytes = Gauge::<u64, AtomicU64>::default();
        let ready = Gauge::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            latency.clone(),
        );
        registry.register(
            "searches",
            "Searches run (HTTP and Meilisearch-compatible)",
            searches.clone(),
        );
        registry.register(
            "index_documents",
            "Documents in the index in use",
            documents.clone(),
        );
        registry.register(
            "index_paragraphs",
            "Paragraphs in the index in use",
            paragraphs.clone(),
        );
        // It grows as searches keep common words' bitmaps, up to `search.term_bitmaps_mb`.
        registry.register(
            "index_bitmap_bytes",
            "Memory held by the facet bitmaps and the kept bitmaps of common words",
            bitmap_bytes.clone(),
        );
        registry.register("ready", "1 when an index is open", ready.clone());
        Metrics {
            registry,
            requests,
            latency,
            searches,
            documents,
            paragraphs,
            bitmap_bytes,
            ready,
        }
    }

    /// The Prometheus text exposition, with index gauges read now.
    pub fn render(&self, state: &AppState) -> String {
        match state.handle.engine() {
            Some(engine) => {
                self.documents.set(engine.documents());
                self.paragraphs.set(engine.paragraphs());
                self.bitmap_bytes.set(engine.facet_bitmap_bytes() as u64);
                self.ready.set(1);
            }
            None => {
                self.ready.set(0);
            }
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String");
        out
    }
}

/// Middleware recording every request.
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let labels = RequestLabels {
        route,
        method,
        status: response.status().as_u16(),
    };
    state.metrics.requests.get_or_create(&labels).inc();
    state
        .metrics
        .latency
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}
