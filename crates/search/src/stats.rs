//! BM25's statistics for one search, each looked up once.
//!
//! A search asks for a word's document frequency several times: for the bound of what it can
//! add to a score, for its weight, for the size estimate of an intersection, and once more per
//! field it is searched on (text, title, section, authors). Each ask is a term-dictionary lookup
//! in every segment; remembered for the length of the search, each is made once.
//!
//! The fields indexed once per document (title, authors: see [`crate::documents`]) are counted
//! over documents: a word's document frequency and the field's token total are scaled by
//! paragraphs per document, so that BM25's rarity and average length are those of documents.

use std::collections::HashMap;
use std::sync::Mutex;

use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

use crate::schema::Fields;

/// The statistics of one search over `searcher`.
pub struct SearchStats<'a> {
    searcher: &'a Searcher,
    /// The fields indexed once per document, and the number of documents.
    per_document: ([Field; 2], u64),
    /// Document frequencies and per-field token totals asked so far.
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    doc_freqs: HashMap<Term, u64>,
    tokens: HashMap<Field, u64>,
}

impl<'a> SearchStats<'a> {
    /// `documents`: how many documents the index holds.
    pub fn new(searcher: &'a Searcher, fields: &Fields, documents: u64) -> SearchStats<'a> {
        SearchStats {
            searcher,
            per_document: ([fields.title_terms, fields.author_terms], documents),
            seen: Mutex::new(Seen::default()),
        }
    }

    /// A count over documents on a field indexed once per document, as a count over paragraphs.
    fn scaled(&self, field: Field, n: u64) -> tantivy::Result<u64> {
        let (fields, documents) = self.per_document;
        if !fields.contains(&field) || documents == 0 || n == 0 {
            return Ok(n);
        }
        let paragraphs = self.searcher.total_num_docs()?;
        Ok(((n as u128 * paragraphs as u128).div_ceil(documents as u128)) as u64)
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
        let n = self.scaled(field, self.searcher.total_num_tokens(field)?)?;
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
        let n = self
            .scaled(term.field(), n)?
            .min(self.searcher.total_num_docs()?);
        self.seen().doc_freqs.insert(term.clone(), n);
        Ok(n)
    }
}
