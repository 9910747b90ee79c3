//! `GET /documents/{doc_id}` and `GET /paragraphs/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use folio_search::{DocumentView, ParagraphContext};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::extract::{ApiQuery, number};
use crate::state::AppState;

/// A document's metadata and all its paragraphs in order.
#[utoipa::path(get, path = "/documents/{doc_id}", tag = "documents",
    params(("doc_id" = String, Path, description = "Document id")),
    responses((status = 200, body = DocumentView), (status = 404, description = "No such document")))]
pub async fn get_document(
    State(state): State<AppState>,
    Path(doc_id): Path<String>,
) -> Result<Json<DocumentView>, ApiError> {
    Ok(Json(
        state.with_engine(move |e| Ok(e.document(&doc_id)?)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContextParams {
    /// Paragraphs to include before and after (default 0, at most 50).
    context: Option<String>,
}

/// A paragraph with its neighbours.
#[utoipa::path(get, path = "/paragraphs/{id}", tag = "documents",
    params(("id" = String, Path, description = "Paragraph id"), ContextParams),
    responses((status = 200, body = ParagraphContext), (status = 404, description = "No such paragraph")))]
pub async fn get_paragraph(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<ContextParams>,
) -> Result<Json<ParagraphContext>, ApiError> {
    let context = number::<u32>("context", params.context.as_deref())?.unwrap_or(0);
    Ok(Json(
        state
            .with_engine(move |e| Ok(e.paragraph(&id, context)?))
            .await?,
    ))
}
