//! The fast fields a search reads, opened once per segment when an index is opened.
//!
//! Opening a column decodes its header and block index (tantivy's blockwise-linear codec
//! collects its blocks into a new vector each time): five columns in each of eight segments cost
//! about a million instructions per search, a third of a search for a rare word. An opened
//! column is a pair of reference-counted handles, so a search clones it instead.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::{Searcher, SegmentReader};

use crate::schema::names;

/// One segment's opened columns.
#[derive(Clone)]
pub struct SegmentColumns {
    pub year: Column<u64>,
    pub facet_key: Column<u64>,
    pub theme_bits: Column<u64>,
    pub order: Column<u64>,
    pub doc_key: Column<u64>,
}

impl SegmentColumns {
    /// Opens the columns of a segment (what a search does when none were kept for it).
    pub fn open(reader: &SegmentReader) -> tantivy::Result<SegmentColumns> {
        let ff = reader.fast_fields();
        Ok(SegmentColumns {
            year: ff.u64(names::YEAR)?,
            facet_key: ff.u64(names::FACET_KEY)?,
            theme_bits: ff.u64(names::THEME_BITS)?,
            order: ff.u64(names::ORDER)?,
            doc_key: ff.u64(names::DOC_KEY)?,
        })
    }
}

/// The opened columns of every segment of an open index.
#[derive(Default)]
pub struct FastColumns {
    segments: HashMap<SegmentId, Arc<SegmentColumns>>,
}

impl std::fmt::Debug for FastColumns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastColumns")
            .field("segments", &self.segments.len())
            .finish()
    }
}

impl FastColumns {
    /// Opens the columns of each of the searcher's segments.
    pub fn open(searcher: &Searcher) -> tantivy::Result<FastColumns> {
        let mut segments = HashMap::new();
        for reader in searcher.segment_readers() {
            segments.insert(reader.segment_id(), Arc::new(SegmentColumns::open(reader)?));
        }
        Ok(FastColumns { segments })
    }

    /// The columns of a segment: those kept for it, or opened now (a segment the index did
    /// not have when it was opened).
    pub fn segment(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentColumns>> {
        match self.segments.get(&reader.segment_id()) {
            Some(c) => Ok(c.clone()),
            None => Ok(Arc::new(SegmentColumns::open(reader)?)),
        }
    }
}
