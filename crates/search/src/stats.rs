//! BM25's statistics for one search, each looked up once.
//!
//! A search asks for a word's document frequency several times: for the bound of what it can
//! add to a score, for its weight, for the size estimate of an intersection, and once more per
//! field it is searched on (text, title, section, authors). Each ask is a term-dictionary lookup
//! in every segment; remembered for the length of the search, each is made once. The figures
//! are the searcher's own, so scores do not change.

use std::collections::HashMap;
use std::sync::Mutex;

use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

/// The statistics of one search over `searcher`.
pub struct SearchStats<'a> {
    searcher: &'a Searcher,
    /// Document frequencies and per-field token totals asked so far.
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    doc_freqs: HashMap<Term, u64>,
    tokens: HashMap<Field, u64>,
}

impl<'a> SearchStats<'a> {
    pub fn new(searcher: &'a Searcher) -> SearchStats<'a> {
        SearchStats {
            searcher,
            seen: Mutex::new(Seen::default()),
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        // Nothing can panic while the lock is held, so a poisoned lock still holds good figures.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Bm25StatisticsProvider for SearchStats<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(n) = self.seen().tokens.get(&field) {
            return Ok(*n);
        }
        let n = self.searcher.total_num_tokens(field)?;
        self.seen().tokens.insert(field, n);
        Ok(n)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.searcher.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        if let Some(n) = self.seen().doc_freqs.get(term) {
            return Ok(*n);
        }
        let n = self.searcher.doc_freq(term)?;
        self.seen().doc_freqs.insert(term.clone(), n);
        Ok(n)
    }
}
