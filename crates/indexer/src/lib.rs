//! folio's indexer: reads a corpus, cleans and tags it, and writes a new index build.
//!
//! Owns the build: documents stream from the corpus in batches (so memory does not grow with the
//! corpus), are prepared in parallel, and are added to the tantivy writer in corpus order (so the
//! same corpus always gives the same ranks). The build is written beside the index in use and
//! switched in only once complete ([`folio_search::IndexStore`]); on any error, or a kill, the
//! previous index stays as it was.

use std::collections::BTreeMap;
use std::time::Instant;

use folio_corpus::{Corpus, CorpusError, Document, Pipeline, SourceDocument};
use folio_search::schema::{FacetCodes, create_index, paragraph_document};
use folio_search::{BuildInfo, CurrentBuild, IndexStore, SearchError};
use rayon::prelude::*;

mod queue;

use queue::{Queue, Queued};

/// Documents read and prepared at a time.
const BATCH: usize = 64;

/// Settings of a build (`[index]` in `config/folio.toml`, plus flags).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct IndexConfig {
    /// Memory the index writer may use, in MiB: a ceiling, not an allocation. Each thread
    /// writes a segment when its share is full, and every search pays for every segment, so
    /// the default holds a million paragraphs in one segment per thread on two cores.
    pub writer_memory_mb: usize,
    /// Indexing threads; 0 = one per core (at most 8).
    pub threads: usize,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            writer_memory_mb: 768,
            threads: 0,
        }
    }
}

/// Errors of a build.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A document could not be read (and `--skip-invalid` was not given).
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// The index folder could not be prepared or switched.
    #[error(transparent)]
    Store(#[from] SearchError),
    /// Writing the index failed.
    #[error("writing the index failed: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// Every document was skipped or there were none.
    #[error("nothing to index: {0}")]
    NothingIndexed(String),
}

/// Hears about the build's progress (for a progress bar or log lines).
pub trait Progress: Sync {
    fn begin(&self, _files: usize, _bytes: u64) {}
    fn document(&self, _doc: &Document, _bytes: u64) {}
    fn skipped(&self, _error: &CorpusError) {}
}

/// No progress reporting.
pub struct Silent;
impl Progress for Silent {}

/// What a build did.
#[derive(Debug)]
pub struct Summary {
    pub build: CurrentBuild,
    pub size_bytes: u64,
}

/// Prepares one document; a panic (a bug in folio) becomes an error naming the document, so
/// that one file cannot take a whole build down.
fn prepare_guarded(pipeline: &Pipeline, src: SourceDocument) -> Result<Document, CorpusError> {
    let at = src.location.clone();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pipeline.prepare(src))).unwrap_or_else(
        |panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(CorpusError::Internal { at, message })
        },
    )
}

/// Builds a new index from `corpus` and makes it current.
pub fn build(
    corpus: &Corpus,
    pipeline: &Pipeline,
    store: &IndexStore,
    config: &IndexConfig,
    config_fingerprint: &str,
    skip_invalid: bool,
    progress: &dyn Progress,
) -> Result<Summary, IndexError> {
    let started = Instant::now();
    let pending = store.begin()?;
    let analyzer = folio_text::Analyzer::new();
    let (index, fields) = create_index(pending.path(), &analyzer)?;
    let threads = match config.threads {
        0 => std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(8),
        n => n,
    };
    let memory = config.writer_memory_mb.max(15 * threads) * 1024 * 1024;
    let mut writer: tantivy::IndexWriter<Queued> =
        index.writer_with_num_threads(threads, memory)?;
    let queue = std::sync::Arc::new(Queue::default());

    progress.begin(corpus.file_count(), corpus.total_bytes());
    let corpus_fingerprint = corpus.fingerprint().map_err(|source| CorpusError::Folder {
        path: corpus.root().to_path_buf(),
        source,
    })?;

    let corpus_stat = corpus
        .stat_fingerprint()
        .map_err(|source| CorpusError::Folder {
            path: corpus.root().to_path_buf(),
            source,
        })?;
    let mut info = BuildInfo {
        folio_version: env!("CARGO_PKG_VERSION").to_string(),
        corpus_fingerprint,
        corpus_stat,
        config_fingerprint: config_fingerprint.to_string(),
        ..BuildInfo::default()
    };
    let mut themes: BTreeMap<String, u64> = BTreeMap::new();
    // The tagger has checked the taxonomy's size, so the codes always fit.
    let mut codes = FacetCodes::new(pipeline.tagger().ids().map(String::from).collect())
        .expect("a validated taxonomy fits the theme bits");
    let mut order: u64 = 0;
    let mut docs = corpus.documents();
    loop {
        let batch: Vec<Result<SourceDocument, CorpusError>> = docs.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let prepared: Vec<(Result<Document, CorpusError>, u64)> = batch
            .into_par_iter()
            .map(|src| match src {
                Ok(src) => {
                    let bytes = src.body.len() as u64;
                    (prepare_guarded(pipeline, src), bytes)
                }
                Err(e) => (Err(e), 0),
            })
            .collect();
        for (doc, bytes) in prepared {
            let doc = match doc {
                Ok(doc) => doc,
                Err(e) if skip_invalid && e.is_per_file() => {
                    progress.skipped(&e);
                    info.skipped.push(e.to_string());
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            // One batch per document: tantivy writes a batch into one segment, so a document's
            // paragraphs stay side by side (the doc ids of one segment, in corpus order).
            // Counted while they wait for the indexing threads (see `queue`).
            queue.enter(doc.paragraphs.len());
            let mut ops = Vec::with_capacity(doc.paragraphs.len());
            for (i, p) in doc.paragraphs.iter().enumerate() {
                let d = paragraph_document(&fields, &mut codes, &doc.meta, p, order, i == 0);
                ops.push(tantivy::indexer::UserOperation::Add(Queued::new(
                    d,
                    queue.clone(),
                )));
                order += 1;
                for t in &p.themes {
                    *themes.entry(t.clone()).or_default() += 1;
                }
            }
            writer.run(ops)?;
            info.documents += 1;
            info.paragraphs += doc.paragraphs.len() as u64;
            info.dropped_lines += doc.dropped.len() as u64;
            progress.document(&doc, bytes);
        }
    }
    if info.documents == 0 {
        let why = match info.skipped.first() {
            Some(first) => format!(
                "all {} documents were invalid; the first: {first}",
                info.skipped.len()
            ),
            None => "the corpus has no documents".to_string(),
        };
        return Err(IndexError::NothingIndexed(why));
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    info.themes = themes;
    info.facets = codes;
    info.duration_ms = started.elapsed().as_millis() as u64;
    let size_bytes = IndexStore::size_of(pending.path());
    let build = store.publish(pending, &info)?;
    tracing::info!(build = %build.name, documents = info.documents, paragraphs = info.paragraphs, "index built");
    Ok(Summary { build, size_bytes })
}
