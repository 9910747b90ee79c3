//! The subset of Meilisearch's search API that InstantSearch and the official clients use.

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Routes of the Meilisearch-compatible API.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
