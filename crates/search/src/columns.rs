//! The fast fields a search reads, opened once per segment when an index is opened.
//!
//! Opening a column decodes its header and block index (tantivy's blockwise-linear codec
//! collects its blocks into a new vector each time): five columns in each of eight segments cost
//! about a million instructions per search, a third of a search for a rare word. An opened
//! column is a pair of reference-counted handles, so a search clones it instead.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::{DocId, Searcher, SegmentReader};

use crate::bitmaps::next_bit;
use crate::phrase::PhraseFiles;
use crate::schema::names;

/// One segment's opened columns.
#[derive(Clone)]
pub struct SegmentColumns {
    pub year: Column<u64>,
    pub facet_key: Column<u64>,
    pub theme_bits: Column<u64>,
    pub order: Column<u64>,
    pub doc_key: Column<u64>,
    /// Where each document's paragraphs start.
    pub starts: DocStarts,
    /// The files phrases read, opened at the segment's first phrase.
    phrase_files: OnceLock<PhraseFiles>,
}

impl SegmentColumns {
    /// Opens the columns of a segment (what a search does when none were kept for it).
    pub fn open(reader: &SegmentReader) -> tantivy::Result<SegmentColumns> {
        let ff = reader.fast_fields();
        let doc_key = ff.u64(names::DOC_KEY)?;
        Ok(SegmentColumns {
            year: ff.u64(names::YEAR)?,
            facet_key: ff.u64(names::FACET_KEY)?,
            theme_bits: ff.u64(names::THEME_BITS)?,
            order: ff.u64(names::ORDER)?,
            starts: DocStarts::from_keys(&doc_key, reader.max_doc()),
            doc_key,
            phrase_files: OnceLock::new(),
        })
    }

    /// The segment's files for phrases, opened the first time a phrase asks (`reader` is the
    /// segment's).
    pub fn phrase_files(&self, reader: &SegmentReader) -> tantivy::Result<&PhraseFiles> {
        if let Some(files) = self.phrase_files.get() {
            return Ok(files);
        }
        // Two searches may open them at once; the first one set is kept.
        let _ = self.phrase_files.set(PhraseFiles::open(reader)?);
        Ok(self.phrase_files.get().expect("set just now"))
    }
}

/// The first paragraph of each document in a segment, one bit per paragraph.
///
/// The indexer writes a document's paragraphs as one batch, so they sit side by side in one
/// segment (and merging keeps them so): a document is the run of paragraphs from one start to
/// the next. The fields indexed once per document (title, authors) are on its first paragraph,
/// and these runs spread their matches to the others.
#[derive(Clone, Debug, Default)]
pub struct DocStarts {
    bits: Vec<u64>,
    max_doc: DocId,
    /// Documents (set bits).
    count: u64,
}

impl DocStarts {
    /// A document starts wherever the document key changes.
    fn from_keys(keys: &Column<u64>, max_doc: DocId) -> DocStarts {
        let mut bits = vec![0u64; (max_doc as usize).div_ceil(64)];
        let mut previous = None;
        for doc in 0..max_doc {
            let key = keys.first(doc);
            if doc == 0 || key != previous {
                bits[(doc / 64) as usize] |= 1 << (doc % 64);
            }
            previous = key;
        }
        DocStarts::new(bits, max_doc)
    }

    fn new(bits: Vec<u64>, max_doc: DocId) -> DocStarts {
        let count = bits.iter().map(|w| w.count_ones() as u64).sum();
        DocStarts {
            bits,
            max_doc,
            count,
        }
    }

    /// Documents in the segment (deleted ones included).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The first paragraph of the document holding `doc`.
    pub fn start_of(&self, doc: DocId) -> DocId {
        let mut w = (doc / 64) as usize;
        // The bits up to and including `doc`'s.
        let mut word = self.bits[w] & (u64::MAX >> (63 - doc % 64));
        while word == 0 {
            // Paragraph 0 always starts a document, so a set bit is always found.
            w -= 1;
            word = self.bits[w];
        }
        w as DocId * 64 + 63 - word.leading_zeros()
    }

    /// The first paragraph after the document holding `doc` (`max_doc` after the last).
    pub fn end_of(&self, doc: DocId) -> DocId {
        next_bit(&self.bits, doc + 1).min(self.max_doc)
    }

    pub fn max_doc(&self) -> DocId {
        self.max_doc
    }

    /// Whether `doc` is past the segment's last paragraph ([`tantivy::TERMINATED`] included).
    pub fn is_past(&self, doc: DocId) -> bool {
        doc >= self.max_doc
    }
}

/// The opened columns of every segment of an open index.
#[derive(Default)]
pub struct FastColumns {
    segments: HashMap<SegmentId, Arc<SegmentColumns>>,
    /// Documents in the index (deleted ones included): the count of the fields indexed once per
    /// document.
    documents: u64,
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
        let mut documents = 0;
        for reader in searcher.segment_readers() {
            let columns = SegmentColumns::open(reader)?;
            documents += columns.starts.count();
            segments.insert(reader.segment_id(), Arc::new(columns));
        }
        Ok(FastColumns {
            segments,
            documents,
        })
    }

    /// Documents in the index when it was opened (deleted ones included).
    pub fn documents(&self) -> u64 {
        self.documents
    }

    /// The columns kept for a segment, if the index keeps them.
    pub fn kept(&self, reader: &SegmentReader) -> Option<Arc<SegmentColumns>> {
        self.segments.get(&reader.segment_id()).cloned()
    }

    /// The columns of a segment: those kept for it, or opened now (a segment the index did
    /// not have when it was opened).
    pub fn segment(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentColumns>> {
        match self.kept(reader) {
            Some(c) => Ok(c),
            None => Ok(Arc::new(SegmentColumns::open(reader)?)),
        }
    }
}

/// The columns of a segment: from `kept` when the index keeps them, else opened now.
// Inlined: as a call it changed how the collector's passes compiled, 4% more instructions on
// common words (callgrind, 842M against 876M).
#[inline]
pub fn segment_columns(
    kept: Option<&FastColumns>,
    reader: &SegmentReader,
) -> tantivy::Result<Arc<SegmentColumns>> {
    match kept {
        Some(kept) => kept.segment(reader),
        None => Ok(Arc::new(SegmentColumns::open(reader)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(max_doc: DocId, firsts: &[DocId]) -> DocStarts {
        let mut bits = vec![0u64; (max_doc as usize).div_ceil(64)];
        for &d in firsts {
            bits[(d / 64) as usize] |= 1 << (d % 64);
        }
        DocStarts::new(bits, max_doc)
    }

    #[test]
    fn every_paragraph_finds_its_documents_first_and_next() {
        let firsts = [0, 1, 63, 64, 65, 130, 199];
        let s = starts(200, &firsts);
        assert_eq!(s.count(), firsts.len() as u64);
        for doc in 0..200 {
            let start = *firsts.iter().rev().find(|&&f| f <= doc).unwrap();
            let end = firsts.iter().find(|&&f| f > doc).copied().unwrap_or(200);
            assert_eq!(s.start_of(doc), start, "start of {doc}");
            assert_eq!(s.end_of(doc), end, "end of {doc}");
        }
        // One document over several words.
        let s = starts(300, &[0]);
        assert_eq!((s.start_of(299), s.end_of(0)), (0, 300));
    }
}
