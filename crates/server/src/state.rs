use std::sync::{Arc, Mutex};
use std::time::Instant;

use folio_search::{Engine, IndexHandle};
use tokio::sync::Semaphore;

use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::metrics::Metrics;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub handle: Arc<IndexHandle>,
    pub config: ServerConfig,
    pub metrics: Arc<Metrics>,
    build_error: Arc<Mutex<Option<String>>>,
    pub started: Instant,
    /// One permit per search allowed to run at once (`server.search_workers`).
    searches: Arc<Semaphore>,
}

impl AppState {
    pub fn new(handle: Arc<IndexHandle>, config: ServerConfig) -> AppState {
        AppState {
            handle,
            searches: Arc::new(Semaphore::new(config.search_permits())),
            config,
            metrics: Arc::new(Metrics::new()),
            build_error: Arc::new(Mutex::new(None)),
            started: Instant::now(),
        }
    }

    /// Records that building the index failed, so `/ready` and searches can say why.
    pub fn set_build_error(&self, message: String) {
        *self.build_error.lock().expect("lock") = Some(message);
    }

    /// Why there is no engine.
    pub fn not_ready_reason(&self) -> String {
        match &*self.build_error.lock().expect("lock") {
            Some(e) => format!("building the index failed: {e}"),
            None => "the index is being built".to_string(),
        }
    }

    /// The engine in use, or the 503 error that explains its absence.
    pub fn engine(&self) -> Result<Arc<Engine>, ApiError> {
        self.handle
            .engine()
            .ok_or_else(|| ApiError::NotReady(self.not_ready_reason()))
    }

    /// Runs blocking engine work on the blocking thread pool, off the async workers, once one
    /// of the search permits is free: requests beyond them wait here, costing no thread.
    pub async fn with_engine<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, ApiError> + Send + 'static,
    {
        let engine = self.engine()?;
        let permit = self
            .searches
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal(format!("search permits closed: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f(&engine)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("search task failed: {e}")))?
    }

    /// Search permits free now (all of them when no search is running).
    pub fn free_search_permits(&self) -> usize {
        self.searches.available_permits()
    }
}
