//! folio's HTTP server.
//!
//! Owns the HTTP side: the router and middleware ([`app`]), one module per resource under
//! [`routes`], the mapping of every error to a status and code ([`error`]), metrics, and the
//! server's settings. The searching itself is `folio-search`'s; handlers run it on the blocking
//! pool so the async workers stay free.

pub mod app;
pub mod config;
pub mod error;
pub mod extract;
pub mod meili;
pub mod metrics;
pub mod routes;
pub mod state;

pub use app::{router, serve, shutdown_signal};
pub use config::ServerConfig;
pub use error::ApiError;
pub use state::AppState;
