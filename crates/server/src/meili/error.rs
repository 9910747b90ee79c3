//! Errors of the Meilisearch-compatible API, in Meilisearch's shape.
//!
//! Meilisearch clients read `{"message", "code", "type", "link"}` from every non-2xx response
//! (meilisearch-js parses any non-empty body as JSON, so a plain-text error would break it), and
//! programs branch on `code`. So these routes do not use folio's own [`crate::ApiError`] body;
//! [`MeiliError::status_and_code`] is the one place that gives each failure its status, code and
//! type, with the codes Meilisearch uses for the same mistakes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use folio_search::SearchError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// A search parameter, as named in requests; each has its own error code, like Meilisearch's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    Q,
    Offset,
    Limit,
    Page,
    HitsPerPage,
    AttributesToRetrieve,
    AttributesToHighlight,
    AttributesToCrop,
    CropLength,
    CropMarker,
    HighlightPreTag,
    HighlightPostTag,
    ShowMatchesPosition,
    Filter,
    Sort,
    Facets,
    MatchingStrategy,
    AttributesToSearchOn,
    Distinct,
    FacetName,
    FacetQuery,
}

impl Param {
    /// The field name in a request body (and query string).
    pub fn name(self) -> &'static str {
        match self {
            Param::Q => "q",
            Param::Offset => "offset",
            Param::Limit => "limit",
            Param::Page => "page",
            Param::HitsPerPage => "hitsPerPage",
            Param::AttributesToRetrieve => "attributesToRetrieve",
            Param::AttributesToHighlight => "attributesToHighlight",
            Param::AttributesToCrop => "attributesToCrop",
            Param::CropLength => "cropLength",
            Param::CropMarker => "cropMarker",
            Param::HighlightPreTag => "highlightPreTag",
            Param::HighlightPostTag => "highlightPostTag",
            Param::ShowMatchesPosition => "showMatchesPosition",
            Param::Filter => "filter",
            Param::Sort => "sort",
            Param::Facets => "facets",
            Param::MatchingStrategy => "matchingStrategy",
            Param::AttributesToSearchOn => "attributesToSearchOn",
            Param::Distinct => "distinct",
            Param::FacetName => "facetName",
            Param::FacetQuery => "facetQuery",
        }
    }

    /// Meilisearch's error code for a bad value of the parameter.
    pub fn code(self) -> &'static str {
        match self {
            Param::Q => "invalid_search_q",
            Param::Offset => "invalid_search_offset",
            Param::Limit => "invalid_search_limit",
            Param::Page => "invalid_search_page",
            Param::HitsPerPage => "invalid_search_hits_per_page",
            Param::AttributesToRetrieve => "invalid_search_attributes_to_retrieve",
            Param::AttributesToHighlight => "invalid_search_attributes_to_highlight",
            Param::AttributesToCrop => "invalid_search_attributes_to_crop",
            Param::CropLength => "invalid_search_crop_length",
            Param::CropMarker => "invalid_search_crop_marker",
            Param::HighlightPreTag => "invalid_search_highlight_pre_tag",
            Param::HighlightPostTag => "invalid_search_highlight_post_tag",
            Param::ShowMatchesPosition => "invalid_search_show_matches_position",
            Param::Filter => "invalid_search_filter",
            Param::Sort => "invalid_search_sort",
            Param::Facets => "invalid_search_facets",
            Param::MatchingStrategy => "invalid_search_matching_strategy",
            Param::AttributesToSearchOn => "invalid_search_attributes_to_search_on",
            Param::Distinct => "invalid_search_distinct",
            Param::FacetName => "invalid_facet_search_facet_name",
            Param::FacetQuery => "invalid_facet_search_facet_query",
        }
    }
}

/// An error answered by the Meilisearch-compatible routes.
#[derive(Debug, thiserror::Error)]
pub enum MeiliError {
    /// A search parameter has a bad value (the message says which and why).
    #[error("{message}")]
    InvalidParam { param: Param, message: String },
    /// The index uid is well formed but is not `paragraphs`.
    #[error("Index `{0}` not found.")]
    IndexNotFound(String),
    /// The index uid has characters Meilisearch does not allow.
    #[error(
        "`{0}` is not a valid index uid. Index uid can be an integer or a string containing only alphanumeric characters, hyphens (-) and underscores (_), and can not be more than 400 bytes."
    )]
    InvalidIndexUid(String),
    /// A multi-search query without `indexUid`.
    #[error("Missing field `indexUid`")]
    MissingIndexUid,
    /// A facet search without `facetName`.
    #[error("Missing field `facetName`")]
    MissingFacetName,
    /// The body is JSON but not of the expected shape.
    #[error("{0}")]
    BadRequest(String),
    /// The body is not JSON.
    #[error("The json payload provided is malformed. `{0}`.")]
    MalformedPayload(String),
    /// The body is empty.
    #[error("A json payload is missing.")]
    MissingPayload,
    /// No `Content-Type` header.
    #[error(
        "A Content-Type header is missing. Accepted values for the Content-Type header are: `application/json`"
    )]
    MissingContentType,
    /// A `Content-Type` other than JSON.
    #[error(
        "The Content-Type `{0}` is invalid. Accepted values for the Content-Type header are: `application/json`"
    )]
    InvalidContentType(String),
    /// The body is larger than `server.body_limit_bytes`.
    #[error(
        "The provided payload reached the size limit. The maximum accepted payload size is {0} bytes."
    )]
    PayloadTooLarge(usize),
    /// No index is open yet (being built, or building failed).
    #[error("The index is not ready: {0}")]
    NotReady(String),
    /// No route for this path.
    #[error("No such endpoint: `{0}`.")]
    RouteNotFound(String),
    /// The route exists with other methods.
    #[error("This method is not allowed on this endpoint.")]
    MethodNotAllowed,
    /// The request took longer than `server.request_timeout_secs`.
    #[error("The request took too long and was stopped.")]
    Timeout,
    /// A failure of folio itself; the detail is logged, not returned.
    #[error("internal error")]
    Internal(String),
    /// An error in one query of a multi-search: the whole request fails with it.
    #[error("Inside `.queries[{index}]`: {error}")]
    InQuery {
        index: usize,
        error: Box<MeiliError>,
    },
}

/// Meilisearch's error types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequest,
    Internal,
}

/// The body of every error response of these routes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What was wrong, for people.
    #[schema(example = "Index `papers` not found.")]
    pub message: String,
    /// What was wrong, for programs: Meilisearch's code for the same mistake.
    #[schema(example = "index_not_found")]
    pub code: &'static str,
    /// `invalid_request` or `internal`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "invalid_request")]
    pub kind: ErrorType,
    /// Meilisearch's documentation of the code.
    #[schema(example = "https://docs.meilisearch.com/errors#index_not_found")]
    pub link: String,
}

impl MeiliError {
    /// A bad value of `param`.
    pub fn invalid(param: Param, message: impl Into<String>) -> MeiliError {
        MeiliError::InvalidParam {
            param,
            message: message.into(),
        }
    }

    /// The status, code and type of each error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str, ErrorType) {
        use ErrorType::{Internal, InvalidRequest};
        use StatusCode as S;
        match self {
            MeiliError::InvalidParam { param, .. } => {
                (S::BAD_REQUEST, param.code(), InvalidRequest)
            }
            MeiliError::IndexNotFound(_) => (S::NOT_FOUND, "index_not_found", InvalidRequest),
            MeiliError::InvalidIndexUid(_) => (S::BAD_REQUEST, "invalid_index_uid", InvalidRequest),
            MeiliError::MissingIndexUid => (S::BAD_REQUEST, "missing_index_uid", InvalidRequest),
            MeiliError::MissingFacetName => (
                S::BAD_REQUEST,
                "missing_facet_search_facet_name",
                InvalidRequest,
            ),
            MeiliError::BadRequest(_) => (S::BAD_REQUEST, "bad_request", InvalidRequest),
            MeiliError::MalformedPayload(_) => {
                (S::BAD_REQUEST, "malformed_payload", InvalidRequest)
            }
            MeiliError::MissingPayload => (S::BAD_REQUEST, "missing_payload", InvalidRequest),
            MeiliError::MissingContentType => (
                S::UNSUPPORTED_MEDIA_TYPE,
                "missing_content_type",
                InvalidRequest,
            ),
            MeiliError::InvalidContentType(_) => (
                S::UNSUPPORTED_MEDIA_TYPE,
                "invalid_content_type",
                InvalidRequest,
            ),
            MeiliError::PayloadTooLarge(_) => {
                (S::PAYLOAD_TOO_LARGE, "payload_too_large", InvalidRequest)
            }
            MeiliError::NotReady(_) => (S::SERVICE_UNAVAILABLE, "index_not_ready", Internal),
            MeiliError::RouteNotFound(_) => (S::NOT_FOUND, "not_found", InvalidRequest),
            MeiliError::MethodNotAllowed => {
                (S::METHOD_NOT_ALLOWED, "method_not_allowed", InvalidRequest)
            }
            MeiliError::Timeout => (S::REQUEST_TIMEOUT, "request_timeout", InvalidRequest),
            MeiliError::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal", Internal),
            MeiliError::InQuery { error, .. } => error.status_and_code(),
        }
    }

    /// The error for a response made by middleware (a body limit, a timeout, an unknown method)
    /// without a body of its own; `path` is the request's, `limit` the body limit.
    pub fn from_status(status: StatusCode, path: &str, limit: usize) -> MeiliError {
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => MeiliError::PayloadTooLarge(limit),
            StatusCode::METHOD_NOT_ALLOWED => MeiliError::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => MeiliError::Timeout,
            StatusCode::NOT_FOUND => MeiliError::RouteNotFound(path.to_string()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => MeiliError::MissingContentType,
            s if s.is_client_error() => {
                MeiliError::BadRequest(s.canonical_reason().unwrap_or("Bad request").to_string())
            }
            s => MeiliError::Internal(format!("status {s} from middleware")),
        }
    }

    /// Whether a path belongs to the Meilisearch-compatible API, whose errors take its shape.
    pub fn owns_path(path: &str) -> bool {
        path == "/multi-search" || path == "/version" || path.starts_with("/indexes")
    }

    /// Wraps an error of the `index`-th query of a multi-search.
    pub fn in_query(self, index: usize) -> MeiliError {
        MeiliError::InQuery {
            index,
            error: Box::new(self),
        }
    }

    /// The message shown to the client: internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            MeiliError::Internal(_) => "internal error; the server log has the details".to_string(),
            MeiliError::InQuery { index, error } => {
                format!("Inside `.queries[{index}]`: {}", error.public_message())
            }
            other => other.to_string(),
        }
    }

    /// The response body.
    pub fn body(&self) -> ErrorBody {
        let (_, code, kind) = self.status_and_code();
        ErrorBody {
            message: self.public_message(),
            code,
            kind,
            link: format!("https://docs.meilisearch.com/errors#{code}"),
        }
    }
}

impl From<SearchError> for MeiliError {
    fn from(e: SearchError) -> MeiliError {
        match e {
            SearchError::InvalidQuery(m) => {
                MeiliError::invalid(Param::Q, format!("Invalid query: {m}"))
            }
            SearchError::UnknownFacet(_) => MeiliError::invalid(Param::Facets, e.to_string()),
            SearchError::InvalidSort(_) => MeiliError::invalid(Param::Sort, e.to_string()),
            SearchError::InvalidParameter { ref parameter, .. } => match parameter.as_str() {
                "limit" => MeiliError::invalid(Param::Limit, e.to_string()),
                "offset" => MeiliError::invalid(Param::Offset, e.to_string()),
                _ => MeiliError::BadRequest(e.to_string()),
            },
            SearchError::InvalidYearRange(_) => MeiliError::invalid(Param::Filter, e.to_string()),
            SearchError::NoIndex(_) => MeiliError::NotReady(e.to_string()),
            SearchError::DocumentNotFound(_)
            | SearchError::ParagraphNotFound(_)
            | SearchError::BuildInProgress(_)
            | SearchError::CorruptIndex(_)
            | SearchError::Io { .. }
            | SearchError::Tantivy(_) => MeiliError::Internal(e.to_string()),
        }
    }
}

impl From<ApiError> for MeiliError {
    /// Errors of the shared plumbing (`AppState::with_engine`): no index yet, or a failed task.
    fn from(e: ApiError) -> MeiliError {
        match e {
            ApiError::NotReady(reason) => MeiliError::NotReady(reason),
            ApiError::Search(e) => e.into(),
            ApiError::PayloadTooLarge(limit) => MeiliError::PayloadTooLarge(limit),
            other => MeiliError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for MeiliError {
    fn into_response(self) -> Response {
        let (status, _, _) = self.status_and_code();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, detail = ?self, "request failed");
        }
        (status, Json(self.body())).into_response()
    }
}
