use std::path::PathBuf;

/// Errors of the search engine. The first group is caused by the request and maps to HTTP 4xx;
/// the second is the engine's own trouble and maps to 5xx.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// A request parameter has a wrong value.
    #[error("invalid `{parameter}`: {message}")]
    InvalidParameter { parameter: String, message: String },
    /// A facet that does not exist was asked for.
    #[error("unknown facet `{0}`: facets are source, year and theme")]
    UnknownFacet(String),
    /// A year range that does not parse or runs backwards.
    #[error("invalid year range `{0}`: use 2021, 2015..2020, 2015.. or ..2020")]
    InvalidYearRange(String),
    /// A sort order that does not exist.
    #[error("invalid sort `{0}`: use relevance, year or -year")]
    InvalidSort(String),
    /// The query text cannot be turned into a search.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// No document has this id.
    #[error("no document with id `{0}`")]
    DocumentNotFound(String),
    /// No paragraph has this id.
    #[error("no paragraph with id `{0}`")]
    ParagraphNotFound(String),

    /// No index has been built in the index folder yet.
    #[error("no index in {0}: run `folio index` first")]
    NoIndex(PathBuf),
    /// Another process is building an index in the same folder.
    #[error("another build is running in {0}; wait for it to finish")]
    BuildInProgress(PathBuf),
    /// The index on disk is not one this version of folio can read.
    #[error("the index is damaged or was built by another version: {0}")]
    CorruptIndex(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
}

impl SearchError {
    /// Whether the request caused the error (rather than the engine).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            SearchError::InvalidParameter { .. }
                | SearchError::UnknownFacet(_)
                | SearchError::InvalidYearRange(_)
                | SearchError::InvalidSort(_)
                | SearchError::InvalidQuery(_)
                | SearchError::DocumentNotFound(_)
                | SearchError::ParagraphNotFound(_)
        )
    }

    pub(crate) fn invalid(parameter: &str, message: impl Into<String>) -> SearchError {
        SearchError::InvalidParameter {
            parameter: parameter.to_string(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;
