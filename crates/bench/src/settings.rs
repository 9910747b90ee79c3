//! folio's shipped settings (`config/folio.toml`, `themes.toml`, `synonyms.toml`), compiled in the
//! same way as into the `folio` binary, so that what the benchmark does in-process (cleaning and
//! tagging for the FTS5 table, in-process searches, the embedded server) is what `folio` does
//! with its defaults.

use anyhow::Context;
use folio_corpus::{Cleaner, CleaningConfig, Pipeline, Tagger, Taxonomy};
use folio_indexer::IndexConfig;
use folio_search::{EngineOptions, SearchConfig, Synonyms, ThemeInfo};
use folio_server::ServerConfig;

const SETTINGS: &str = include_str!("../../../config/folio.toml");
const THEMES: &str = include_str!("../../../config/themes.toml");
const SYNONYMS: &str = include_str!("../../../config/synonyms.toml");

fn section<T: serde::de::DeserializeOwned>(name: &str) -> anyhow::Result<T> {
    let table: toml::Table = toml::from_str(SETTINGS).context("config/folio.toml")?;
    let value = table
        .get(name)
        .cloned()
        .unwrap_or(toml::Value::Table(toml::Table::new()));
    value
        .try_into()
        .with_context(|| format!("[{name}] of config/folio.toml"))
}

pub fn taxonomy() -> anyhow::Result<Taxonomy> {
    Taxonomy::from_toml(THEMES).context("config/themes.toml")
}

/// The cleaner and theme tagger `folio index` uses.
pub fn pipeline() -> anyhow::Result<Pipeline> {
    let cleaning: CleaningConfig = section("cleaning")?;
    let cleaner = Cleaner::new(&cleaning)?;
    let tagger = Tagger::new(&taxonomy()?, folio_text::Analyzer::new()).context("themes")?;
    Ok(Pipeline::new(cleaner, tagger))
}

/// `[index]`: writer memory and threads.
pub fn index_config() -> anyhow::Result<IndexConfig> {
    #[derive(serde::Deserialize)]
    struct Index {
        writer_memory_mb: usize,
        threads: usize,
    }
    let i: Index = section("index")?;
    Ok(IndexConfig {
        writer_memory_mb: i.writer_memory_mb,
        threads: i.threads,
    })
}

/// Indexing threads as the indexer resolves `threads = 0`.
pub fn index_threads(config: &IndexConfig) -> usize {
    match config.threads {
        0 => std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(8),
        n => n,
    }
}

pub fn server_config() -> anyhow::Result<ServerConfig> {
    section("server")
}

/// What `folio serve` and `folio search` open the engine with.
pub fn engine_options() -> anyhow::Result<EngineOptions> {
    let config: SearchConfig = section("search")?;
    let synonyms = Synonyms::from_toml(SYNONYMS, &folio_text::Analyzer::new())
        .map_err(|e| anyhow::anyhow!("config/synonyms.toml: {e}"))?;
    let themes = ThemeInfo::all(&taxonomy()?);
    Ok(EngineOptions {
        config,
        synonyms,
        themes,
    })
}
