//! The subset of Meilisearch's search API that InstantSearch and the official clients use:
//! `POST /multi-search`, `GET`/`POST /indexes/{uid}/search`, `POST /indexes/{uid}/facet-search`,
//! `GET /indexes/{uid}` and `GET /version` (`GET /health` is folio's own, already in
//! Meilisearch's shape). The only index is `paragraphs`. No API keys: `Authorization` is ignored.
//! Errors have Meilisearch's body (see [`crate::meili::error`]).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use folio_search::Engine;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::meili::body::MeiliBody;
use crate::meili::error::{ErrorBody, MeiliError};
use crate::meili::params::{INDEX_UID, SearchPlan, SearchQuery, check_index};
use crate::meili::requests::{
    FacetSearchQuery, MultiSearchBody, facet_search_plan, multi_search_plans,
};
use crate::meili::response::{
    FacetSearchResult, IndexInfo, MultiSearchResult, SearchResult, VersionInfo, rfc3339,
};
use crate::meili::run;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(tags((name = "meilisearch", description = "Meilisearch-compatible search, for InstantSearch (instant-meilisearch) and the official Meilisearch clients. One index: `paragraphs`.")))]
struct MeiliDoc;

/// Routes of the Meilisearch-compatible API.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(MeiliDoc::openapi())
        .routes(routes!(multi_search))
        .routes(routes!(search_get, search_post))
        .routes(routes!(facet_search))
        .routes(routes!(get_index))
        .routes(routes!(version))
}

/// Runs engine work on the blocking pool, with Meilisearch's errors.
async fn on_engine<T, F>(state: &AppState, f: F) -> Result<T, MeiliError>
where
    T: Send + 'static,
    F: FnOnce(&Engine) -> Result<T, MeiliError> + Send + 'static,
{
    state.with_engine(move |engine| Ok(f(engine))).await?
}

/// The index uid of the path, checked.
fn index(uid: Result<Path<String>, PathRejection>) -> Result<(), MeiliError> {
    let Path(uid) = uid.map_err(|e| MeiliError::BadRequest(e.body_text()))?;
    check_index(&uid)
}

async fn search_one(state: &AppState, plan: SearchPlan) -> Result<Json<SearchResult>, MeiliError> {
    state.metrics.searches.inc();
    Ok(Json(
        on_engine(state, move |engine| run::search(engine, &plan)).await?,
    ))
}

/// Runs several searches at once (InstantSearch's only call): one result per query, in order.
/// If any query fails, the request fails with that query's error, its message starting with
/// ``Inside `.queries[N]`: ``.
#[utoipa::path(post, path = "/multi-search", tag = "meilisearch", request_body = MultiSearchBody,
    responses(
        (status = 200, body = MultiSearchResult),
        (status = 400, body = ErrorBody, description = "A bad query (`invalid_search_*`, `missing_index_uid`, `bad_request`) or malformed JSON (`malformed_payload`)"),
        (status = 404, body = ErrorBody, description = "`index_not_found`: the only index is `paragraphs`"),
        (status = 415, body = ErrorBody, description = "`missing_content_type` / `invalid_content_type`"),
        (status = 503, body = ErrorBody, description = "`index_not_ready`: the index is being built")))]
pub async fn multi_search(
    State(state): State<AppState>,
    MeiliBody(body): MeiliBody,
) -> Result<Json<MultiSearchResult>, MeiliError> {
    let plans = multi_search_plans(body)?;
    state.metrics.searches.inc_by(plans.len() as u64);
    let results = on_engine(&state, move |engine| {
        plans
            .iter()
            .enumerate()
            .map(|(i, plan)| {
                let mut result = run::search(engine, plan).map_err(|e| e.in_query(i))?;
                result.index_uid = Some(INDEX_UID.to_string());
                Ok(result)
            })
            .collect()
    })
    .await?;
    Ok(Json(MultiSearchResult { results }))
}

/// Searches the paragraphs (JSON body).
#[utoipa::path(post, path = "/indexes/{uid}/search", tag = "meilisearch", request_body = SearchQuery,
    params(("uid" = String, Path, description = "The index: `paragraphs`")),
    responses(
        (status = 200, body = SearchResult),
        (status = 400, body = ErrorBody, description = "A bad parameter (`invalid_search_*`) or malformed JSON (`malformed_payload`)"),
        (status = 404, body = ErrorBody, description = "`index_not_found`"),
        (status = 415, body = ErrorBody, description = "`missing_content_type` / `invalid_content_type`"),
        (status = 503, body = ErrorBody, description = "`index_not_ready`")))]
pub async fn search_post(
    State(state): State<AppState>,
    uid: Result<Path<String>, PathRejection>,
    MeiliBody(body): MeiliBody,
) -> Result<Json<SearchResult>, MeiliError> {
    index(uid)?;
    let plan = SearchPlan::try_from(SearchQuery::from_object(body)?)?;
    search_one(&state, plan).await
}

/// Searches the paragraphs (query string: the same parameters; lists comma-separated; `filter`
/// a string or a JSON array).
#[utoipa::path(get, path = "/indexes/{uid}/search", tag = "meilisearch",
    params(
        ("uid" = String, Path, description = "The index: `paragraphs`"),
        ("q" = Option<String>, Query, description = "The query"),
        ("filter" = Option<String>, Query, description = "A filter expression, or a JSON array of them"),
        ("facets" = Option<String>, Query, description = "Comma-separated: source,theme,year,kind"),
        ("limit" = Option<u64>, Query, description = "Hits to return (default 20)"),
        ("offset" = Option<u64>, Query, description = "Hits to skip"),
        ("page" = Option<u64>, Query, description = "Page from 1 (page mode)"),
        ("hitsPerPage" = Option<u64>, Query, description = "Hits per page (page mode)"),
        ("sort" = Option<String>, Query, description = "year:desc or year:asc"),
        ("attributesToRetrieve" = Option<String>, Query, description = "Comma-separated attributes"),
        ("attributesToHighlight" = Option<String>, Query, description = "Comma-separated attributes, or *"),
        ("attributesToCrop" = Option<String>, Query, description = "Comma-separated attributes, each optionally with :length"),
        ("cropLength" = Option<u64>, Query, description = "Words kept by cropping (default 10)"),
        ("cropMarker" = Option<String>, Query, description = "Marks a cut (default …)"),
        ("highlightPreTag" = Option<String>, Query, description = "Default <em>"),
        ("highlightPostTag" = Option<String>, Query, description = "Default </em>"),
        ("showMatchesPosition" = Option<bool>, Query, description = "Adds _matchesPosition"),
        ("matchingStrategy" = Option<String>, Query, description = "last, all or frequency"),
    ),
    responses(
        (status = 200, body = SearchResult),
        (status = 400, body = ErrorBody, description = "A bad parameter (`invalid_search_*`)"),
        (status = 404, body = ErrorBody, description = "`index_not_found`"),
        (status = 503, body = ErrorBody, description = "`index_not_ready`")))]
pub async fn search_get(
    State(state): State<AppState>,
    uid: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<SearchResult>, MeiliError> {
    index(uid)?;
    let plan = SearchPlan::try_from(SearchQuery::from_query_string(
        query.as_deref().unwrap_or(""),
    )?)?;
    search_one(&state, plan).await
}

/// The values of one facet among the matching paragraphs, with counts, narrowed to those with a
/// word starting with `facetQuery` (for a searchable refinement list).
#[utoipa::path(post, path = "/indexes/{uid}/facet-search", tag = "meilisearch", request_body = FacetSearchQuery,
    params(("uid" = String, Path, description = "The index: `paragraphs`")),
    responses(
        (status = 200, body = FacetSearchResult),
        (status = 400, body = ErrorBody, description = "`invalid_facet_search_facet_name`, `missing_facet_search_facet_name`, `invalid_search_*`"),
        (status = 404, body = ErrorBody, description = "`index_not_found`"),
        (status = 415, body = ErrorBody, description = "`missing_content_type` / `invalid_content_type`"),
        (status = 503, body = ErrorBody, description = "`index_not_ready`")))]
pub async fn facet_search(
    State(state): State<AppState>,
    uid: Result<Path<String>, PathRejection>,
    MeiliBody(body): MeiliBody,
) -> Result<Json<FacetSearchResult>, MeiliError> {
    index(uid)?;
    let (plan, facet, facet_query) = facet_search_plan(body)?;
    state.metrics.searches.inc();
    let result = on_engine(&state, move |engine| {
        run::facet_search(engine, &plan, facet, facet_query.as_deref())
    })
    .await?;
    Ok(Json(result))
}

/// The index: its uid, primary key (`id`, the paragraph id) and when it was built.
#[utoipa::path(get, path = "/indexes/{uid}", tag = "meilisearch",
    params(("uid" = String, Path, description = "The index: `paragraphs`")),
    responses(
        (status = 200, body = IndexInfo),
        (status = 404, body = ErrorBody, description = "`index_not_found`"),
        (status = 503, body = ErrorBody, description = "`index_not_ready`")))]
pub async fn get_index(
    State(state): State<AppState>,
    uid: Result<Path<String>, PathRejection>,
) -> Result<Json<IndexInfo>, MeiliError> {
    index(uid)?;
    let engine = state
        .handle
        .engine()
        .ok_or_else(|| MeiliError::NotReady(state.not_ready_reason()))?;
    let built = engine
        .build()
        .map(|b| b.info.created_at)
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    Ok(Json(IndexInfo {
        uid: INDEX_UID.to_string(),
        primary_key: "id".to_string(),
        created_at: rfc3339(built),
        updated_at: rfc3339(built),
    }))
}

/// folio's version, in the shape of Meilisearch's `/version`.
#[utoipa::path(get, path = "/version", tag = "meilisearch", responses((status = 200, body = VersionInfo)))]
pub async fn version() -> Json<VersionInfo> {
    Json(VersionInfo {
        commit_sha: "unknown".to_string(),
        commit_date: "unknown".to_string(),
        pkg_version: env!("CARGO_PKG_VERSION").to_string(),
    })
}
