//! A word of an intersection that answers where it is from its kept bitmap.
//!
//! An intersection of words is led by the rarest; each other word is sought at the leader's
//! paragraph, and a common word's postings are then decoded a block at a time, through its skip
//! list, mostly to learn that the paragraph lacks it (for two words the seeks were the largest
//! share of scoring a small intersection). A common word whose bitmap the index keeps (the one
//! facet counting and phrases use, [`crate::bitmaps`]) is asked by a bit instead; its postings
//! are sought only where the intersection settles and a score is asked, so the blocks between
//! matches are never decoded. Scores are the word's own `TermScorer`'s, so results do not change.
//!
//! Only for a scored pass over every match: tantivy's block-max WAND needs its `TermScorer`s,
//! which this hides (see `Compiled::main_gated`).

use std::sync::Arc;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, TermQuery, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use crate::bitmaps::{FacetBitmaps, next_bit};

/// A word of the text, as [`TermQuery`] with frequencies, whose scorer reads the word's kept
/// bitmap to move and its postings only to score.
#[derive(Clone, Debug)]
pub struct GatedTermQuery {
    term: Term,
    bitmaps: Arc<FacetBitmaps>,
}

impl GatedTermQuery {
    pub fn new(term: Term, bitmaps: Arc<FacetBitmaps>) -> GatedTermQuery {
        GatedTermQuery { term, bitmaps }
    }
}

impl Query for GatedTermQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let inner = TermQuery::new(self.term.clone(), IndexRecordOption::WithFreqs);
        let weight = inner.weight(scoring)?;
        // Without scores every match is read anyway: postings read in blocks cost less.
        if !scoring.is_scoring_enabled() {
            return Ok(weight);
        }
        Ok(Box::new(GatedTermWeight {
            inner: weight,
            term: self.term.clone(),
            bitmaps: self.bitmaps.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        visitor(&self.term, false);
    }
}

struct GatedTermWeight {
    inner: Box<dyn Weight>,
    term: Term,
    bitmaps: Arc<FacetBitmaps>,
}

impl GatedTermWeight {
    /// The word's bitmap in this segment, when it is common there and kept (made now if there
    /// is room).
    fn bits(&self, reader: &SegmentReader) -> tantivy::Result<Option<Arc<[u64]>>> {
        let Some(segment) = self.bitmaps.segment(reader.segment_id()) else {
            return Ok(None);
        };
        // Once kept, the bitmap is found without looking the word up in the term dictionary
        // (the word's own scorer has just done so).
        if let Some(bits) = segment.held(&self.term) {
            return Ok(Some(bits));
        }
        let inverted = reader.inverted_index(self.term.field())?;
        let Some(info) = inverted.get_term_info(&self.term)? else {
            return Ok(None);
        };
        Ok(segment.term_opening(&self.term, info.doc_freq, || {
            inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)
        })?)
    }
}

impl Weight for GatedTermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        // With scores on, tantivy's scorer of a word the segment holds is its `TermScorer`.
        let inner = self.inner.scorer(reader, boost)?;
        Ok(match self.bits(reader)? {
            Some(bits) => Box::new(GatedTermScorer {
                doc: inner.doc(),
                inner,
                bits,
            }),
            None => inner,
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }
}

/// Moves on the word's bitmap (the same paragraphs as its postings, deleted ones included);
/// `inner` lags behind and is sought to `doc` when a score is asked.
struct GatedTermScorer {
    inner: Box<dyn Scorer>,
    bits: Arc<[u64]>,
    doc: DocId,
}

impl DocSet for GatedTermScorer {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = next_bit(&self.bits, self.doc + 1);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            self.doc = next_bit(&self.bits, target);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    // The postings' own figures: intersections order their parts by cost.
    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for GatedTermScorer {
    fn score(&mut self) -> Score {
        if self.inner.doc() < self.doc {
            self.inner.seek(self.doc);
        }
        debug_assert_eq!(self.inner.doc(), self.doc, "a bit without a posting");
        self.inner.score()
    }
}
