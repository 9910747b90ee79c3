//! API errors: every failure of folio's own API becomes one of these, and this is the one place
//! that gives each a status code and a stable `code`.
//!
//! Body: `{"error": {"code": "snake_case_code", "message": "what was wrong and how to fix it"}}`.
//! Internal errors answer with a generic message and log the detail.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use folio_search::SearchError;
use serde::Serialize;

/// An error answered by folio's API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The search engine refused the request or failed.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// A query-string parameter is unknown or has a bad value.
    #[error("{0}")]
    BadParameter(String),
    /// The body is not valid JSON, or not of the expected shape.
    #[error("{0}")]
    BadJson(String),
    /// The body is not declared as JSON.
    #[error("expected a JSON body with `Content-Type: application/json`")]
    UnsupportedMediaType,
    /// The body is larger than `server.body_limit_bytes`.
    #[error("the request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// No route for this path.
    #[error("no such endpoint: {0}")]
    NotFound(String),
    /// The route exists with other methods.
    #[error("method not allowed for this endpoint")]
    MethodNotAllowed,
    /// The request took longer than `server.request_timeout_secs`.
    #[error("the request took too long and was stopped")]
    Timeout,
    /// No index is open yet (it is being built, or building failed).
    #[error("the index is not ready: {0}")]
    NotReady(String),
    /// A failure of folio itself; the detail is logged, not returned.
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: String,
}

impl ApiError {
    /// The status and code of each error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use StatusCode as S;
        match self {
            ApiError::Search(e) => match e {
                SearchError::InvalidParameter { .. } => (S::BAD_REQUEST, "invalid_parameter"),
                SearchError::UnknownFacet(_) => (S::BAD_REQUEST, "unknown_facet"),
                SearchError::InvalidYearRange(_) => (S::BAD_REQUEST, "invalid_year_range"),
                SearchError::InvalidSort(_) => (S::BAD_REQUEST, "invalid_sort"),
                SearchError::InvalidQuery(_) => (S::BAD_REQUEST, "invalid_query"),
                SearchError::DocumentNotFound(_) => (S::NOT_FOUND, "document_not_found"),
                SearchError::ParagraphNotFound(_) => (S::NOT_FOUND, "paragraph_not_found"),
                SearchError::NoIndex(_) => (S::SERVICE_UNAVAILABLE, "index_not_ready"),
                SearchError::BuildInProgress(_)
                | SearchError::CorruptIndex(_)
                | SearchError::Io { .. }
                | SearchError::Tantivy(_) => (S::INTERNAL_SERVER_ERROR, "internal"),
            },
            ApiError::BadParameter(_) => (S::BAD_REQUEST, "invalid_parameter"),
            ApiError::BadJson(_) => (S::BAD_REQUEST, "invalid_json"),
            ApiError::UnsupportedMediaType => (S::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ApiError::PayloadTooLarge(_) => (S::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::NotFound(_) => (S::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (S::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Timeout => (S::REQUEST_TIMEOUT, "request_timeout"),
            ApiError::NotReady(_) => (S::SERVICE_UNAVAILABLE, "index_not_ready"),
            ApiError::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The message shown to the client.
    pub fn public_message(&self) -> String {
        let (status, _) = self.status_and_code();
        if status.is_server_error()
            && !matches!(
                self,
                ApiError::NotReady(_) | ApiError::Search(SearchError::NoIndex(_))
            )
        {
            "internal error; the server log has the details".to_string()
        } else {
            self.to_string()
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = %self, detail = ?self, "request failed");
        }
        let body = Body {
            error: Detail {
                code,
                message: self.public_message(),
            },
        };
        (status, Json(body)).into_response()
    }
}
