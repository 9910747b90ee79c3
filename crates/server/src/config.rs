use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// Most searches `server.search_workers` may allow at once: far beyond any core count, and
/// small enough for the semaphore (which refuses more than `usize::MAX >> 3` permits).
const MAX_SEARCH_WORKERS: usize = 4096;

/// Settings of the HTTP server (`[server]` in `config/folio.toml`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// Origins allowed to call the API from a browser; `*` allows any.
    pub cors_origins: Vec<String>,
    /// Seconds before a request is answered with 408.
    pub request_timeout_secs: u64,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Requests handled at once; further ones wait.
    pub concurrency_limit: usize,
    /// Seconds between checks for a newer index build; 0 disables.
    pub reload_secs: u64,
    /// Searches run at once; further ones wait their turn, first come first served (0: four
    /// per core).
    ///
    /// Without a limit a burst grows the blocking thread pool to hundreds of threads sharing
    /// the cores, and the unluckiest search waits longest: at 1M paragraphs and 64 connections
    /// p99 was 600 ms unlimited and about 210–300 ms with 8. Fewer than about four per core
    /// leaves cores idle while searches' answers are written (one per core lost a quarter of the
    /// throughput).
    pub search_workers: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".to_string(),
            cors_origins: vec!["*".to_string()],
            request_timeout_secs: 10,
            body_limit_bytes: 64 * 1024,
            concurrency_limit: 256,
            reload_secs: 2,
            search_workers: 0,
        }
    }
}

impl ServerConfig {
    /// Searches run at once: `search_workers`, or four per core.
    pub fn search_permits(&self) -> usize {
        match self.search_workers {
            0 => 4 * std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }

    /// Checks the values; errors name the key.
    pub fn validate(&self) -> Result<SocketAddr, String> {
        let addr = self.listen.parse::<SocketAddr>().map_err(|e| {
            format!(
                "server.listen {:?}: {e} (expected an address like 127.0.0.1:8080)",
                self.listen
            )
        })?;
        if self.request_timeout_secs == 0 {
            return Err("server.request_timeout_secs must be at least 1".to_string());
        }
        if self.body_limit_bytes < 1024 {
            return Err("server.body_limit_bytes must be at least 1024".to_string());
        }
        if self.concurrency_limit == 0 {
            return Err("server.concurrency_limit must be at least 1".to_string());
        }
        if self.search_workers > MAX_SEARCH_WORKERS {
            return Err(format!(
                "server.search_workers must be at most {MAX_SEARCH_WORKERS} (0: four per core)"
            ));
        }
        for origin in &self.cors_origins {
            if origin != "*" && !(origin.starts_with("http://") || origin.starts_with("https://")) {
                return Err(format!(
                    "server.cors_origins: {origin:?} is not `*` or an origin like https://example.org"
                ));
            }
        }
        Ok(addr)
    }
}
