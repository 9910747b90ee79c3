//! Queries on the fields indexed once per document (title, authors).
//!
//! Every paragraph used to carry its document's title and authors as indexed words, so a title
//! word was a posting in each of a thousand paragraphs of a long report, and a title boost was
//! looked up paragraph by paragraph. The words are now indexed on a document's first paragraph
//! only (a fifteenth fewer tokens to index), and [`DocumentQuery`] spreads a match there to the
//! whole run of the document's paragraphs (see [`DocStarts`]), each scoring what the first
//! paragraph scores: the same title, so the same BM25 score, whichever paragraph carries it.
//!
//! BM25 counts such a field over documents, not paragraphs ([`crate::stats`]): how many
//! documents have the word in their title, against how many documents there are.

use std::sync::Arc;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use crate::columns::{DocStarts, FastColumns, SegmentColumns, segment_columns};

/// Every paragraph of the documents whose first paragraph `inner` matches.
#[derive(Debug)]
pub struct DocumentQuery {
    inner: Box<dyn Query>,
    columns: Option<Arc<FastColumns>>,
}

impl Clone for DocumentQuery {
    fn clone(&self) -> Self {
        DocumentQuery {
            inner: self.inner.box_clone(),
            columns: self.columns.clone(),
        }
    }
}

impl DocumentQuery {
    /// `columns`: the index's kept columns, which know where documents start; without them each
    /// segment's are read when the query runs there.
    pub fn boxed(inner: Box<dyn Query>, columns: Option<Arc<FastColumns>>) -> Box<dyn Query> {
        Box::new(DocumentQuery { inner, columns })
    }
}

impl Query for DocumentQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(DocumentWeight {
            inner: self.inner.weight(enable_scoring)?,
            columns: self.columns.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor)
    }
}

struct DocumentWeight {
    inner: Box<dyn Weight>,
    columns: Option<Arc<FastColumns>>,
}

impl DocumentWeight {
    fn columns(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentColumns>> {
        segment_columns(self.columns.as_deref(), reader)
    }
}

impl Weight for DocumentWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let inner = self.inner.scorer(reader, boost)?;
        Ok(Box::new(DocumentScorer::new(inner, self.columns(reader)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let first = self.columns(reader)?.starts.start_of(doc);
        let inner = self.inner.explain(reader, first)?;
        let mut e = Explanation::new("the document's first paragraph", inner.value());
        e.add_detail(inner);
        Ok(e)
    }
}

/// Walks the runs of paragraphs of the documents whose first paragraph the inner scorer
/// matches.
struct DocumentScorer {
    inner: Box<dyn Scorer>,
    columns: Arc<SegmentColumns>,
    doc: DocId,
    /// The first paragraph after the current document.
    end: DocId,
    /// The first paragraph's score, for every paragraph of the document.
    score: Score,
}

impl DocumentScorer {
    fn new(inner: Box<dyn Scorer>, columns: Arc<SegmentColumns>) -> DocumentScorer {
        let mut s = DocumentScorer {
            inner,
            columns,
            doc: TERMINATED,
            end: TERMINATED,
            score: 0.0,
        };
        let first = s.inner.doc();
        s.enter(first);
        s
    }

    fn starts(&self) -> &DocStarts {
        &self.columns.starts
    }

    /// Moves to the first paragraph of the document the inner scorer is on.
    fn enter(&mut self, first: DocId) -> DocId {
        if self.starts().is_past(first) {
            self.doc = TERMINATED;
            self.end = TERMINATED;
        } else {
            self.doc = first;
            self.end = self.starts().end_of(first);
            self.score = self.inner.score();
        }
        self.doc
    }
}

impl DocSet for DocumentScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        if self.doc + 1 < self.end {
            self.doc += 1;
            return self.doc;
        }
        let next = self.inner.advance();
        self.enter(next)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc == TERMINATED || target <= self.doc {
            return self.doc;
        }
        if target < self.end {
            self.doc = target;
            return target;
        }
        if self.starts().is_past(target) {
            self.doc = TERMINATED;
            self.end = TERMINATED;
            return TERMINATED;
        }
        let found = self.inner.seek(self.starts().start_of(target));
        self.enter(found);
        // A match at or before the target is in the target's document (the next starts after
        // the target), so the target is in its run.
        if found <= target {
            self.doc = target;
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        let documents = self.starts().count().max(1);
        let per_document = self.starts().max_doc() as u64 / documents;
        (self.inner.size_hint() as u64 * per_document.max(1)).min(u32::MAX as u64) as u32
    }
}

impl Scorer for DocumentScorer {
    fn score(&mut self) -> Score {
        self.score
    }
}
