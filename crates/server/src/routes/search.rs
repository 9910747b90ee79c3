//! `GET /search` and `POST /search`.

use axum::Json;
use axum::extract::State;
use folio_search::{
    FacetName, Filters, Group, HighlightOptions, MatchMode, SearchRequest, SearchResponse, Sort,
    YearRange,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, number};
use crate::state::AppState;

/// Query-string parameters of `GET /search`. Lists repeat the key (`source=a&source=b`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query; empty matches every paragraph.
    q: Option<String>,
    /// Only these sources (repeatable).
    #[serde(default)]
    source: Vec<String>,
    /// Only these themes (repeatable).
    #[serde(default)]
    theme: Vec<String>,
    /// `2021`, `2015..2020`, `2015..` or `..2020`.
    year: Option<String>,
    /// Only this document.
    doc: Option<String>,
    /// Only these kinds of paragraph: body, quote, footnote (repeatable).
    #[serde(default)]
    kind: Vec<String>,
    /// Hits per page (default 10, at most 100).
    limit: Option<String>,
    /// Hits to skip (at most 10 000).
    offset: Option<String>,
    /// `relevance` (default), `year` or `-year`.
    sort: Option<String>,
    /// Facets to count, comma-separated: `source,year,theme` (default); empty for none.
    facets: Option<String>,
    /// `all` or `any` (default: all, relaxed to any when nothing matches).
    #[serde(rename = "match")]
    #[param(rename = "match")]
    match_mode: Option<String>,
    /// `doc`: one hit per document.
    group: Option<String>,
    /// Inserted before each match (default `<mark>`).
    highlight_pre: Option<String>,
    /// Inserted after each match (default `</mark>`).
    highlight_post: Option<String>,
    /// Snippet length in characters (0: whole paragraph).
    snippet_chars: Option<String>,
}

impl SearchParams {
    pub fn into_request(self) -> Result<SearchRequest, ApiError> {
        let facets = match self.facets.as_deref() {
            None => None,
            Some(list) => Some(
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(FacetName::parse)
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let match_mode = match self.match_mode.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("all") => Some(MatchMode::All),
            Some("any") => Some(MatchMode::Any),
            Some(other) => {
                return Err(ApiError::BadParameter(format!(
                    "invalid `match`: {other:?}; use all or any"
                )));
            }
        };
        let group = match self.group.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("doc") => Some(Group::Doc),
            Some(other) => {
                return Err(ApiError::BadParameter(format!(
                    "invalid `group`: {other:?}; use doc"
                )));
            }
        };
        let defaults = HighlightOptions::default();
        Ok(SearchRequest {
            q: self.q.unwrap_or_default(),
            filters: Filters {
                source: non_empty(self.source),
                theme: non_empty(self.theme),
                year: self
                    .year
                    .as_deref()
                    .filter(|y| !y.trim().is_empty())
                    .map(YearRange::parse)
                    .transpose()?,
                doc: self.doc.filter(|d| !d.is_empty()),
                kind: non_empty(self.kind),
            },
            limit: number("limit", self.limit.as_deref())?,
            offset: number("offset", self.offset.as_deref())?.unwrap_or(0),
            sort: Sort::parse(self.sort.as_deref().unwrap_or("").trim())?,
            facets,
            match_mode,
            highlight: HighlightOptions {
                pre_tag: self.highlight_pre.unwrap_or(defaults.pre_tag),
                post_tag: self.highlight_post.unwrap_or(defaults.post_tag),
                snippet_chars: number("snippet_chars", self.snippet_chars.as_deref())?,
            },
            group,
        })
    }
}

/// Drops empty values, which HTML forms send for untouched fields.
fn non_empty(values: Vec<String>) -> Vec<String> {
    values
        .into_iter()
        .filter(|v| !v.trim().is_empty())
        .collect()
}

pub async fn run(state: &AppState, request: SearchRequest) -> Result<SearchResponse, ApiError> {
    state.metrics.searches.inc();
    state
        .with_engine(move |engine| Ok(engine.search(&request)?))
        .await
}

/// Search paragraphs (query string).
#[utoipa::path(get, path = "/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, description = "A bad parameter"), (status = 503, description = "No index yet")))]
pub async fn get_search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    let request = params.into_request()?;
    Ok(Json(run(&state, request).await?))
}

/// Search paragraphs (JSON body with the same fields).
#[utoipa::path(post, path = "/search", tag = "search", request_body = SearchRequest,
    responses((status = 200, body = SearchResponse), (status = 400, description = "A bad field or malformed JSON"), (status = 415, description = "Not JSON")))]
pub async fn post_search(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SearchRequest>,
) -> Result<Json<SearchResponse>, ApiError> {
    Ok(Json(run(&state, request).await?))
}
