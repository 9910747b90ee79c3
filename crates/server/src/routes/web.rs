//! The research website: the search page, the reader, and the embeddable widget.

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Routes of the website.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
