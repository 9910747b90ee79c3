//! folio's search engine.
//!
//! Owns the tantivy side of folio: the schema ([`schema`], the one definition of the fields), the
//! analyzer's registration ([`analyzer`]), the index folder with atomic build switching
//! ([`store`]), the query language ([`query`]) and its exact phrases ([`phrase`]), the collector
//! that counts disjunctive facets ([`collector`]), highlighting ([`highlight`]) and the
//! [`Engine`] that answers searches. Knows nothing of HTTP: the server and the CLI call
//! [`Engine::search`] with a [`SearchRequest`].

pub mod analyzer;
pub mod bitmaps;
pub mod collector;
pub mod columns;
pub mod documents;
pub mod engine;
pub mod error;
pub mod eval;
pub mod filter;
pub mod gated;
pub mod highlight;
pub mod model;
pub mod phrase;
pub mod query;
pub mod schema;
pub mod stats;
pub mod store;

pub use engine::{Engine, EngineOptions, IndexHandle, QueryHighlighter};
pub use error::{Result, SearchError};
pub use filter::{FilterExpr, FilterField};
pub use model::*;
pub use query::{Synonyms, SynonymsError};
pub use store::{BuildInfo, CurrentBuild, IndexStore};
