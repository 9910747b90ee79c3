//! Building real indexes on disk for tests.

use std::path::{Path, PathBuf};

use folio_corpus::{Cleaner, CleaningConfig, Corpus, Pipeline, Tagger, Taxonomy};
use folio_search::{Engine, EngineOptions, IndexStore, Synonyms, ThemeInfo};
use folio_text::Analyzer;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Builds an index of `corpus` with the themes and synonyms in `config_dir` (the cleaning
/// settings are the shipped ones) and opens it.
pub fn build(corpus: &Path, config_dir: &Path) -> (tempfile::TempDir, Engine) {
    let settings: toml::Table = toml::from_str(&read(repo().join("config/folio.toml"))).unwrap();
    let cleaning: CleaningConfig = settings["cleaning"].clone().try_into().unwrap();
    let taxonomy = Taxonomy::from_toml(&read(config_dir.join("themes.toml"))).unwrap();
    let synonyms =
        Synonyms::from_toml(&read(config_dir.join("synonyms.toml")), &Analyzer::new()).unwrap();
    let pipeline = Pipeline::new(
        Cleaner::new(&cleaning).unwrap(),
        Tagger::new(&taxonomy, Analyzer::new()).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let store = IndexStore::new(dir.path());
    let corpus = Corpus::open(corpus).unwrap();
    folio_indexer::build(
        &corpus,
        &pipeline,
        &store,
        &Default::default(),
        "test",
        false,
        &folio_indexer::Silent,
    )
    .unwrap();
    let themes = taxonomy
        .themes
        .iter()
        .map(|t| ThemeInfo {
            id: t.id.clone(),
            label: t.label.clone(),
            description: t.description.clone(),
        })
        .collect();
    let engine = Engine::open_current(
        &store,
        EngineOptions {
            config: Default::default(),
            synonyms,
            themes,
        },
    )
    .unwrap();
    (dir, engine)
}
