//! Test support: real indexes built on disk from the fixture corpora under `testdata/` and the
//! bundled corpus, with the same pipeline `folio index` uses.

use std::path::{Path, PathBuf};

use folio_corpus::{Cleaner, CleaningConfig, Corpus, Pipeline, Tagger, Taxonomy};
use folio_search::{Engine, EngineOptions, IndexStore, Synonyms, ThemeInfo};
use folio_text::Analyzer;

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An index built in a temporary folder (removed on drop).
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: IndexStore,
    pub options: EngineOptions,
}

impl Fixture {
    pub fn engine(&self) -> Engine {
        Engine::open_current(&self.store, self.options.clone()).expect("open fixture index")
    }
}

/// Builds an index of `corpus` with the themes and synonyms in `config_dir` (cleaning settings as
/// shipped in `config/folio.toml`).
pub fn build(corpus: &Path, config_dir: &Path) -> Fixture {
    let settings: toml::Table =
        toml::from_str(&read(repo().join("config/folio.toml"))).expect("settings");
    let cleaning: CleaningConfig = settings["cleaning"]
        .clone()
        .try_into()
        .expect("cleaning settings");
    let taxonomy = Taxonomy::from_toml(&read(config_dir.join("themes.toml"))).expect("themes");
    let synonyms = Synonyms::from_toml(&read(config_dir.join("synonyms.toml")), &Analyzer::new())
        .expect("synonyms");
    let pipeline = Pipeline::new(
        Cleaner::new(&cleaning).expect("cleaner"),
        Tagger::new(&taxonomy, Analyzer::new()).expect("tagger"),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let store = IndexStore::new(dir.path());
    let corpus = Corpus::open(corpus).expect("corpus");
    folio_indexer::build(
        &corpus,
        &pipeline,
        &store,
        &Default::default(),
        "test",
        false,
        &folio_indexer::Silent,
    )
    .expect("build index");
    let themes = ThemeInfo::all(&taxonomy);
    Fixture {
        dir,
        store,
        options: EngineOptions {
            config: Default::default(),
            synonyms,
            themes,
        },
    }
}

/// The small fixture corpus (`testdata/small`) with its own themes and synonyms.
pub fn small() -> Fixture {
    build(
        &repo().join("testdata/small"),
        &repo().join("testdata/small-config"),
    )
}

/// The bundled corpus with the shipped themes and synonyms.
pub fn bundled() -> Fixture {
    build(&repo().join("index/corpus"), &repo().join("config"))
}
