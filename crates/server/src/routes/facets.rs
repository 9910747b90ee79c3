//! `GET /facets`.

use axum::Json;
use axum::extract::State;
use folio_search::FacetsOverview;

use crate::error::ApiError;
use crate::state::AppState;

/// Corpus-wide counts per source, year and theme, and totals.
#[utoipa::path(get, path = "/facets", tag = "search", responses((status = 200, body = FacetsOverview)))]
pub async fn get_facets(State(state): State<AppState>) -> Result<Json<FacetsOverview>, ApiError> {
    Ok(Json(state.with_engine(|e| Ok(e.overview()?)).await?))
}
