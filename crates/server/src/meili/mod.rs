//! The Meilisearch-compatible search API: enough of Meilisearch's search endpoints for
//! InstantSearch (through `@meilisearch/instant-meilisearch`) and the official clients to use
//! folio as if it were a Meilisearch server with one index, `paragraphs`.
//!
//! One module per job: the attributes of a paragraph document ([`attributes`]), the JSON body
//! ([`body`]), reading and checking parameters ([`params`], [`requests`]), the filter language
//! ([`filter`]), running a search and shaping hits ([`run`]), the answers' types ([`response`])
//! and the errors, in Meilisearch's shape ([`error`]). The handlers are in
//! [`crate::routes::meili`].

pub mod attributes;
pub mod body;
pub mod error;
pub mod filter;
pub mod params;
pub mod requests;
pub mod response;
pub mod run;

pub use error::MeiliError;
