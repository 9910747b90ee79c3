//! Exact phrases (words next to each other, in order), found and scored as tantivy's
//! `PhraseQuery` finds and scores them, reading the postings a block at a time.
//!
//! Phrases are the costliest queries folio answers: every paragraph holding all the phrase's
//! terms has their positions read, and facets and totals need every match. tantivy's phrase
//! scorer finds where a paragraph's positions start by summing the term frequencies of the
//! paragraphs before it in its block of 128, once per paragraph (a sixth of a phrase's
//! instructions at a million paragraphs). Here each term's blocks are read in order, so the
//! position offset of a block is the running sum of the blocks before it (from the skip list
//! when none of the block's positions were read) and the offsets within a block are summed
//! once; positions are read from the segment's positions file by `Positions`, summed straight
//! out of the decoded block. A term sought past whole blocks passes them unread through its
//! skip list, which folio reads itself (`Skips`: tantivy's reader of it is private) for the
//! blocks' frequency sums. The rarest term leads; a common term that the index keeps a bitmap of
//! ([`crate::bitmaps`]) is asked by a bit whether it holds the leader's paragraph before it is
//! sought there. Matches, phrase counts and scores are tantivy's (BM25 of the phrase
//! as one term, its frequency the number of places it occurs). Phrases with slop stay
//! tantivy's.

use std::sync::Arc;

use bitpacking::{BitPacker, BitPacker4x};
use tantivy::directory::{CompositeFile, OwnedBytes};
use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentComponent;
use tantivy::postings::BlockSegmentPostings;
use tantivy::query::{Bm25Weight, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

use crate::bitmaps::FacetBitmaps;
use crate::columns::FastColumns;

/// Words at given offsets from the phrase's start, next to each other in that order.
#[derive(Clone, Debug)]
pub struct ExactPhraseQuery {
    field: Field,
    /// Sorted by offset; at least two.
    terms: Vec<(usize, Term)>,
    /// The index's kept columns, which hold each segment's positions and postings files opened.
    columns: Option<Arc<FastColumns>>,
    /// The index's bitmaps, with those of its common terms.
    bitmaps: Option<Arc<FacetBitmaps>>,
}

impl ExactPhraseQuery {
    /// The phrase of `terms` at their offsets (at least two terms, all of one field).
    pub fn new(mut terms: Vec<(usize, Term)>) -> ExactPhraseQuery {
        assert!(terms.len() > 1, "a phrase has at least two terms");
        terms.sort_by_key(|&(offset, _)| offset);
        let field = terms[0].1.field();
        assert!(
            terms.iter().all(|(_, t)| t.field() == field),
            "a phrase's terms are of one field"
        );
        ExactPhraseQuery {
            field,
            terms,
            columns: None,
            bitmaps: None,
        }
    }

    /// The same phrase, its scorers taking each segment's files from `columns`, where they are
    /// opened once (else each scorer opens them: more than half of making a phrase scorer,
    /// which a search does for each pass and each segment).
    pub fn with_columns(mut self, columns: Arc<FastColumns>) -> ExactPhraseQuery {
        self.columns = Some(columns);
        self
    }

    /// The same phrase, its common terms (other than the rarest) asked first through their kept
    /// bitmaps in `bitmaps` whether they hold a paragraph: on the benchmark's phrases two in
    /// five of the paragraphs holding the rarest term lack a common one, and a bit says so where
    /// seeking that term and then the rarest again cost about a hundred instructions.
    pub fn with_bitmaps(mut self, bitmaps: Arc<FacetBitmaps>) -> ExactPhraseQuery {
        self.bitmaps = Some(bitmaps);
        self
    }

    /// The phrase of consecutive `terms`.
    pub fn consecutive(terms: Vec<Term>) -> ExactPhraseQuery {
        ExactPhraseQuery::new(terms.into_iter().enumerate().collect())
    }
}

impl Query for ExactPhraseQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let entry = enable_scoring.schema().get_field_entry(self.field);
        let has_positions = entry
            .field_type()
            .get_index_record_option()
            .is_some_and(IndexRecordOption::has_positions);
        if !has_positions {
            return Err(TantivyError::SchemaError(format!(
                "phrase on field {:?}, which has no positions indexed",
                entry.name()
            )));
        }
        let terms: Vec<Term> = self.terms.iter().map(|(_, t)| t.clone()).collect();
        let bm25 = match enable_scoring {
            EnableScoring::Enabled {
                statistics_provider,
                ..
            } => Some(Bm25Weight::for_terms(statistics_provider, &terms)?),
            EnableScoring::Disabled { .. } => None,
        };
        Ok(Box::new(ExactPhraseWeight {
            field: self.field,
            terms: self.terms.clone(),
            bm25,
            columns: self.columns.clone(),
            bitmaps: self.bitmaps.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for (_, term) in &self.terms {
            visitor(term, true);
        }
    }
}

struct ExactPhraseWeight {
    field: Field,
    terms: Vec<(usize, Term)>,
    bm25: Option<Bm25Weight>,
    columns: Option<Arc<FastColumns>>,
    bitmaps: Option<Arc<FacetBitmaps>>,
}

impl ExactPhraseWeight {
    fn phrase_scorer(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Option<ExactPhraseScorer>> {
        let inverted = reader.inverted_index(self.field)?;
        let mut infos = Vec::with_capacity(self.terms.len());
        for (_, term) in &self.terms {
            match inverted.get_term_info(term)? {
                Some(info) => infos.push(info),
                // A term the segment does not hold (nor then, perhaps, the field).
                None => return Ok(None),
            }
        }
        let (kept, opened);
        let files = match self.columns.as_ref().and_then(|c| c.kept(reader)) {
            Some(columns) => {
                kept = columns;
                kept.phrase_files(reader)?
            }
            None => {
                opened = PhraseFiles::open(reader)?;
                &opened
            }
        };
        let positions_file = files.positions.open_read(self.field).ok_or_else(|| {
            TantivyError::SchemaError(format!(
                "no positions for field {:?} in segment {}",
                self.field,
                reader.segment_id().short_uuid_string()
            ))
        })?;
        // Skip lists are written only for terms of a block or more.
        let postings_file = match infos.iter().any(|i| i.doc_freq >= SKIP_BLOCK) {
            // The field's postings start after its number of tokens (a u64).
            true => files
                .postings
                .open_read(self.field)
                .map(|file| file.slice_from(8)),
            false => None,
        };
        let last = self.terms.last().map_or(0, |(offset, _)| *offset);
        let bitmaps = self
            .bitmaps
            .as_ref()
            .and_then(|b| b.segment(reader.segment_id()));
        // The rarest term leads (the first of the rarest, as the sort below keeps it): the
        // others are asked whether they hold its paragraphs.
        let leader = infos
            .iter()
            .enumerate()
            .min_by_key(|(_, info)| info.doc_freq)
            .map_or(0, |(k, _)| k);
        let mut cursors = Vec::with_capacity(self.terms.len());
        for (k, ((offset, term), info)) in self.terms.iter().zip(infos).enumerate() {
            let postings =
                inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::WithFreqs)?;
            let positions =
                Positions::open(positions_file.read_bytes_slice(info.positions_range.clone())?)?;
            let skips = match &postings_file {
                Some(file) if info.doc_freq >= SKIP_BLOCK => Skips::open(
                    file.read_bytes_slice(info.postings_range.clone())?,
                    info.doc_freq,
                )?,
                _ => Skips::default(),
            };
            // A bitmap is the term's postings as bits (deleted paragraphs included, as here).
            let bits = match &bitmaps {
                Some(b) if k != leader => b.term_opening(term, info.doc_freq, || {
                    inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)
                })?,
                _ => None,
            };
            let mut cursor = TermCursor::new(postings, positions, skips, (last - offset) as u32);
            cursor.bits = bits;
            cursors.push(cursor);
        }
        let fieldnorms = match &self.bm25 {
            Some(_) => reader.fieldnorms_readers().get_field(self.field)?,
            None => None,
        }
        .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
        let size_hint = estimate_intersection(
            cursors.iter().map(|c| c.postings.doc_freq()),
            reader.max_doc(),
        ) / (10 * cursors.len() as u32);
        // The rarest term leads: the others are sought where it is.
        cursors.sort_by_key(|c| c.postings.doc_freq());
        let mut scorer = ExactPhraseScorer {
            terms: cursors,
            bm25: self.bm25.as_ref().map(|w| w.boost_by(boost)),
            fieldnorms,
            doc: 0,
            count: 0,
            left: Vec::new(),
            size_hint,
        };
        scorer.doc = scorer.find();
        Ok(Some(scorer))
    }
}

impl Weight for ExactPhraseWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.phrase_scorer(reader, boost)? {
            Some(scorer) => Box::new(scorer),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let not_found = || TantivyError::InvalidArgument(format!("document {doc} does not match"));
        let mut scorer = self.phrase_scorer(reader, 1.0)?.ok_or_else(not_found)?;
        if scorer.seek(doc) != doc {
            return Err(not_found());
        }
        let mut e = Explanation::new("phrase", scorer.score());
        if let Some(bm25) = &self.bm25 {
            e.add_detail(bm25.explain(scorer.fieldnorms.fieldnorm_id(doc), scorer.count));
        }
        Ok(e)
    }
}

/// A segment's positions and postings files with their tables of fields read, from which
/// phrases read their terms' positions and skip lists.
#[derive(Clone)]
pub struct PhraseFiles {
    positions: CompositeFile,
    postings: CompositeFile,
}

impl PhraseFiles {
    /// Opens `reader`'s segment's files and reads their tables of fields.
    pub fn open(reader: &SegmentReader) -> tantivy::Result<PhraseFiles> {
        Ok(PhraseFiles {
            positions: CompositeFile::open(&reader.open_read(SegmentComponent::Positions)?)?,
            postings: CompositeFile::open(&reader.open_read(SegmentComponent::Postings)?)?,
        })
    }
}

/// One term's postings, read a block at a time in doc order, and its positions.
struct TermCursor {
    postings: BlockSegmentPostings,
    positions: Positions,
    skips: Skips,
    /// The current block's number among the term's blocks.
    block: usize,
    /// Added to each position: the phrase's last offset less this term's, so that the terms
    /// of one occurrence of the phrase land on one position.
    shift: u32,
    /// The current paragraph's index in the block.
    idx: usize,
    doc: DocId,
    /// Where the block's positions start: the term frequencies of the blocks before it.
    base: u64,
    /// `starts[i]`: where the block's `i`-th paragraph's positions start, from `base`; summed
    /// the first time a paragraph of the block needs its positions (`summed` then).
    starts: [u32; POSTINGS_BLOCK + 1],
    summed: bool,
    /// The last paragraph of the block after the current one ([`TERMINATED`] when the skip list
    /// has none): a target past it is sought through the skip list. Kept here as the block
    /// changes, so that a seek, most often within the block, compares once.
    skip_past: DocId,
    /// The term's kept bitmap (a bit per paragraph holding it), when it is common.
    bits: Option<Arc<[u64]>>,
}

impl TermCursor {
    fn new(
        postings: BlockSegmentPostings,
        positions: Positions,
        skips: Skips,
        shift: u32,
    ) -> TermCursor {
        let doc = postings.docs().first().copied().unwrap_or(TERMINATED);
        let skip_past = skips.last_doc_after(0);
        TermCursor {
            postings,
            positions,
            skips,
            block: 0,
            shift,
            idx: 0,
            doc,
            base: 0,
            starts: [0; POSTINGS_BLOCK + 1],
            summed: false,
            skip_past,
            bits: None,
        }
    }

    /// Whether the term may hold `doc`: false only when its bitmap says it does not.
    fn may_hold(&self, doc: DocId) -> bool {
        self.bits.as_ref().is_none_or(|bits| {
            bits.get(doc as usize / 64)
                .is_none_or(|&w| w >> (doc % 64) & 1 == 1)
        })
    }

    /// Moves to the next block: its positions start after all of this one's.
    fn next_block(&mut self) {
        let freqs = self.postings.freqs();
        // A full block's sum is in the skip list; the last, partial one has no block after it.
        self.base += u64::from(match (self.summed, self.block < self.skips.blocks) {
            (true, _) => self.starts[freqs.len()],
            (false, true) => self.skips.tf_sum(self.block),
            (false, false) => sum(freqs),
        });
        self.summed = false;
        self.postings.advance();
        self.block += 1;
        self.skip_past = self.skips.last_doc_after(self.block);
        self.idx = 0;
        self.doc = self.postings.docs().first().copied().unwrap_or(TERMINATED);
    }

    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.idx += 1;
        match self.postings.docs().get(self.idx) {
            Some(&doc) => self.doc = doc,
            None => self.next_block(),
        }
        self.doc
    }

    /// The first paragraph at or after `target`.
    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        // Through the skip list when a whole block lies before `target`; into the next block,
        // the usual case of a common term, decoding it in turn costs less than a seek.
        if self.skip_past < target {
            return self.skip_to(target);
        }
        loop {
            match self.postings.docs().last() {
                None => {
                    self.doc = TERMINATED;
                    return TERMINATED;
                }
                Some(&last) if last >= target => break,
                Some(_) => self.next_block(),
            }
        }
        // The next paragraphs first: a term sought where a rarer one is usually lands close.
        // Eight of them compared at once (sorted: those before `target` come first).
        let docs = self.postings.docs();
        match docs.get(self.idx..self.idx + 8) {
            Some(next) => {
                let next: &[DocId; 8] = next.try_into().expect("eight");
                let before = next.iter().map(|&d| usize::from(d < target)).sum::<usize>();
                self.idx += before;
                if before == 8 {
                    self.idx += docs[self.idx..].partition_point(|&d| d < target);
                }
            }
            None => self.idx += docs[self.idx..].partition_point(|&d| d < target),
        }
        self.doc = docs[self.idx];
        self.doc
    }

    /// Seeks `target`, past the current block, through the skip list: the blocks in between
    /// are not decoded, and their frequency sums move where the positions start.
    fn skip_to(&mut self, target: DocId) -> DocId {
        let mut passed = 0u64;
        while self.block < self.skips.blocks && self.skips.last_doc(self.block) < target {
            passed += u64::from(self.skips.tf_sum(self.block));
            self.block += 1;
        }
        self.base += passed;
        self.skip_past = self.skips.last_doc_after(self.block);
        self.summed = false;
        // tantivy's own skip list lands on the same block: the first whose last paragraph is
        // at or after `target`, else the last, partial one.
        self.idx = self.postings.seek(target);
        self.doc = self
            .postings
            .docs()
            .get(self.idx)
            .copied()
            .unwrap_or(TERMINATED);
        self.doc
    }

    /// The current paragraph's positions, shifted, at the start of `out` (grown as needed);
    /// returns how many.
    fn positions(&mut self, out: &mut Vec<u32>) -> usize {
        let (offset, freq) = self.offset();
        if out.len() < freq {
            out.resize(freq, 0);
        }
        self.positions.read(offset, &mut out[..freq], self.shift);
        freq
    }

    /// Moves the positions of `left` (sorted) that the current paragraph holds, shifted, to its
    /// start; returns how many. The paragraph's positions are read only as far as `left` goes.
    fn keep_common(&mut self, left: &mut [u32]) -> usize {
        let (offset, freq) = self.offset();
        self.positions.keep_common(offset, freq, self.shift, left)
    }

    /// Where the current paragraph's positions start among the term's, and how many it has.
    fn offset(&mut self) -> (u64, usize) {
        let freqs = self.postings.freqs();
        if !self.summed {
            let mut at = 0u32;
            for (start, &f) in self.starts[1..].iter_mut().zip(freqs) {
                at = at.wrapping_add(f);
                *start = at;
            }
            self.summed = true;
        }
        (
            self.base + u64::from(self.starts[self.idx]),
            freqs[self.idx] as usize,
        )
    }
}

/// Paragraphs in a block of postings; a term with fewer has no skip list.
const SKIP_BLOCK: u32 = 128;
/// The same as a length: a block's paragraphs, and the position starts a cursor keeps for them.
const POSTINGS_BLOCK: usize = SKIP_BLOCK as usize;

/// The bytes of one block's entry in a skip list.
const SKIP_ENTRY: usize = 12;

/// A term's skip list, read from the segment's postings file as tantivy 0.27 writes it for a
/// field with positions: a VInt length, then for each full block of 128 paragraphs the last
/// paragraph (u32, little-endian), two bit widths, the sum of its term frequencies (u32) and two
/// bytes of block-max data. tantivy's postings reader keeps it private; its sums let a phrase
/// pass blocks unread and still know where the positions of the block it lands on start. No
/// blocks (a term of fewer than 128 paragraphs, or a list of another shape): blocks are read
/// one after the other.
#[derive(Default)]
struct Skips {
    entries: Option<OwnedBytes>,
    /// How many full blocks the list describes.
    blocks: usize,
}

impl Skips {
    /// The skip list at the start of `postings`, the bytes of a term held by `doc_freq`
    /// paragraphs (only a term of a block or more has one).
    fn open(mut postings: OwnedBytes, doc_freq: u32) -> std::io::Result<Skips> {
        let blocks = (doc_freq / SKIP_BLOCK) as usize;
        if blocks == 0 {
            return Ok(Skips::default());
        }
        let len = read_vint(&mut postings)?;
        if len != blocks * SKIP_ENTRY || len > postings.len() {
            return Ok(Skips::default());
        }
        Ok(Skips {
            entries: Some(postings.split(len).0),
            blocks,
        })
    }

    fn entry(&self, block: usize) -> &[u8] {
        let entries = self.entries.as_ref().map_or(&[][..], OwnedBytes::as_slice);
        &entries[block * SKIP_ENTRY..(block + 1) * SKIP_ENTRY]
    }

    fn last_doc(&self, block: usize) -> DocId {
        let e = self.entry(block);
        u32::from_le_bytes([e[0], e[1], e[2], e[3]])
    }

    /// The last paragraph of the block after `block`, or [`TERMINATED`] when the list does not
    /// describe one.
    fn last_doc_after(&self, block: usize) -> DocId {
        match block + 1 < self.blocks {
            true => self.last_doc(block + 1),
            false => TERMINATED,
        }
    }

    fn tf_sum(&self, block: usize) -> u32 {
        let e = self.entry(block);
        u32::from_le_bytes([e[6], e[7], e[8], e[9]])
    }
}

/// Positions in one bitpacked block of the positions file.
const POSITIONS_BLOCK: usize = BitPacker4x::BLOCK_LEN;

/// One term's positions, read forward from the segment's positions file (a paragraph read
/// again starts over from the first block) as tantivy 0.27 writes it: the number of bitpacked
/// blocks (a VInt), each block's bit width (a byte each), the blocks of 128 gaps, then the gaps
/// after the last full block as VInts. tantivy's
/// `PositionReader` copies a paragraph's positions out of the block it decoded and finds a
/// block's bytes by summing the widths of the blocks since the one it last stood on; here the
/// gaps are summed straight out of the decoded block, and where the next block starts is kept
/// as the reading moves on. A change of tantivy's format fails the test that holds phrases to
/// tantivy's own.
struct Positions {
    widths: OwnedBytes,
    data: OwnedBytes,
    bitpacker: BitPacker4x,
    /// The block in `decoded` (`usize::MAX` before the first is read).
    block: usize,
    /// The first block not read past yet, and where its bytes start in `data`.
    next: usize,
    next_byte: usize,
    decoded: [u32; POSITIONS_BLOCK],
}

impl Positions {
    fn open(mut bytes: OwnedBytes) -> std::io::Result<Positions> {
        let blocks = read_vint(&mut bytes)?;
        if blocks > bytes.len() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "positions: more blocks than bytes",
            ));
        }
        let (widths, data) = bytes.split(blocks);
        Ok(Positions {
            widths,
            data,
            bitpacker: BitPacker4x::new(),
            block: usize::MAX,
            next: 0,
            next_byte: 0,
            decoded: [0; POSITIONS_BLOCK],
        })
    }

    /// Decodes block `block`.
    fn load(&mut self, block: usize) {
        // Reading goes forward but for a paragraph read again (sought where it stands), whose
        // positions may start in a block before the last one read: then from the first block.
        if block < self.next {
            (self.next, self.next_byte) = (0, 0);
        }
        let widths = self.widths.as_slice();
        while self.next < block {
            let bits = widths.get(self.next).copied().unwrap_or(0);
            self.next_byte += usize::from(bits) * (POSITIONS_BLOCK / 8);
            self.next += 1;
        }
        let data = self.data.as_slice().get(self.next_byte..).unwrap_or(&[]);
        match widths.get(block) {
            Some(&bits)
                if bits <= 32 && data.len() >= usize::from(bits) * (POSITIONS_BLOCK / 8) =>
            {
                self.bitpacker.decompress(data, &mut self.decoded, bits);
            }
            // A damaged file reads as no gaps rather than a panic.
            Some(_) => self.decoded.fill(0),
            None => read_vints(data, &mut self.decoded),
        }
        self.block = block;
    }

    /// Reads `out.len()` gaps from the term's `offset`-th position on, each written as the sum
    /// of `shift` and the gaps up to it.
    fn read(&mut self, offset: u64, out: &mut [u32], shift: u32) {
        let mut offset = offset as usize;
        let mut at = shift;
        let mut done = 0;
        while done < out.len() {
            let block = offset / POSITIONS_BLOCK;
            if block != self.block {
                self.load(block);
            }
            let from = offset % POSITIONS_BLOCK;
            let n = (POSITIONS_BLOCK - from).min(out.len() - done);
            for (o, &gap) in out[done..done + n]
                .iter_mut()
                .zip(&self.decoded[from..from + n])
            {
                at = at.wrapping_add(gap);
                *o = at;
            }
            done += n;
            offset += n;
        }
    }

    /// Moves the values of `left` (sorted) found among the `n` positions from the `offset`-th
    /// (summed from `shift`, as [`Self::read`] gives them) to its start; returns how many. Stops
    /// reading once `left` is passed.
    fn keep_common(&mut self, offset: u64, n: usize, shift: u32, left: &mut [u32]) -> usize {
        let (mut offset, end) = (offset as usize, offset as usize + n);
        let (mut at, mut kept, mut i) = (shift, 0, 0);
        if left.is_empty() {
            return 0;
        }
        'blocks: while offset < end {
            let block = offset / POSITIONS_BLOCK;
            if block != self.block {
                self.load(block);
            }
            let from = offset % POSITIONS_BLOCK;
            let to = POSITIONS_BLOCK.min(from + (end - offset));
            for &gap in &self.decoded[from..to] {
                at = at.wrapping_add(gap);
                while left[i] < at {
                    i += 1;
                    if i == left.len() {
                        break 'blocks;
                    }
                }
                if left[i] == at {
                    left[kept] = at;
                    kept += 1;
                    i += 1;
                    if i == left.len() {
                        break 'blocks;
                    }
                }
            }
            offset += to - from;
        }
        kept
    }
}

/// Reads one of tantivy's VInts (seven bits a byte, least significant first, the last byte's
/// high bit set) from the start of `bytes`.
fn read_vint(bytes: &mut OwnedBytes) -> std::io::Result<usize> {
    let (mut value, mut shift) = (0usize, 0u32);
    for (i, &b) in bytes.as_slice().iter().enumerate() {
        value |= usize::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
        if b & 0x80 != 0 {
            bytes.advance(i + 1);
            return Ok(value);
        }
        shift += 7;
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "a VInt runs past the end of a term's postings or positions",
    ))
}

/// Decodes the VInts of the positions after the last full block into `out` (as many as there
/// are, at most its length).
fn read_vints(mut data: &[u8], out: &mut [u32]) {
    for o in out.iter_mut() {
        let (mut value, mut shift) = (0u32, 0u32);
        loop {
            let Some((&b, rest)) = data.split_first() else {
                return;
            };
            data = rest;
            value |= u32::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 != 0 {
                break;
            }
            shift += 7;
        }
        *o = value;
    }
}

struct ExactPhraseScorer {
    /// The rarest term first.
    terms: Vec<TermCursor>,
    bm25: Option<Bm25Weight>,
    fieldnorms: FieldNormReader,
    doc: DocId,
    /// How many times the phrase occurs in the current paragraph.
    count: u32,
    /// The leading term's positions in the current paragraph, then those the others keep.
    left: Vec<u32>,
    size_hint: u32,
}

impl ExactPhraseScorer {
    /// The first paragraph from the leading term's current one that holds the phrase.
    fn find(&mut self) -> DocId {
        let mut candidate = self.terms[0].doc;
        'candidates: loop {
            if candidate == TERMINATED {
                return TERMINATED;
            }
            if !self.terms[1..].iter().all(|t| t.may_hold(candidate)) {
                candidate = self.terms[0].advance();
                continue;
            }
            for i in 1..self.terms.len() {
                let doc = self.terms[i].seek(candidate);
                if doc == TERMINATED {
                    return TERMINATED;
                }
                if doc > candidate {
                    candidate = self.terms[0].seek(doc);
                    continue 'candidates;
                }
            }
            if self.occurs() {
                return candidate;
            }
            candidate = self.terms[0].advance();
        }
    }

    /// Whether the phrase occurs in the paragraph every term is on; counts where.
    fn occurs(&mut self) -> bool {
        let left = &mut self.left;
        let mut kept = self.terms[0].positions(left);
        for term in &mut self.terms[1..] {
            kept = term.keep_common(&mut left[..kept]);
            if kept == 0 {
                return false;
            }
        }
        self.count = kept as u32;
        true
    }
}

/// The sum of term frequencies in a block: at most 128 paragraphs' lengths, far below 2^32.
fn sum(freqs: &[u32]) -> u32 {
    freqs.iter().fold(0u32, |a, &f| a.wrapping_add(f))
}

/// tantivy's estimate of an intersection's size (terms are not spread at random: the
/// estimate is raised a little).
fn estimate_intersection(mut sizes: impl Iterator<Item = u32>, max_doc: u32) -> u32 {
    if max_doc == 0 {
        return 0;
    }
    let Some(first) = sizes.next() else {
        return 0;
    };
    let mut co_location: f64 = 1.3;
    let (mut estimate, mut smallest) = (f64::from(first), f64::from(first));
    for size in sizes {
        co_location = (co_location - 0.1).max(1.0);
        estimate *= f64::from(size) / f64::from(max_doc) * co_location;
        smallest = smallest.min(f64::from(size));
    }
    estimate.round().min(smallest) as u32
}

impl DocSet for ExactPhraseScorer {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.terms[0].advance();
            self.doc = self.find();
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            self.terms[0].seek(target);
            self.doc = self.find();
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.size_hint
    }

    fn cost(&self) -> u64 {
        u64::from(self.size_hint) * 10 * self.terms.len() as u64
    }
}

impl Scorer for ExactPhraseScorer {
    fn score(&mut self) -> Score {
        match &self.bm25 {
            Some(bm25) => bm25.score(self.fieldnorms.fieldnorm_id(self.doc), self.count),
            None => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::SeekDangerResult;
    use tantivy::query::PhraseQuery;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, IndexWriter, TantivyDocument};

    use super::*;

    /// Paragraphs of a few words in pseudo-random order: phrases occur often and several times
    /// in a paragraph, and postings and positions span many blocks.
    fn index() -> (Index, Field) {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let words = ["a", "b", "c", "d", "e", "f", "g", "h", "rare", "scarce"];
        let mut seed = 42u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for i in 0..6_000 {
            let len = 1 + next() % 40;
            let body: Vec<&str> = (0..len)
                .map(|_| match next() % 10_000 {
                    // Far apart: the other words are sought past whole blocks.
                    0 => "scarce",
                    n if n % 100 == 1 => "rare",
                    n => words[n % 8],
                })
                .collect();
            let mut doc = TantivyDocument::default();
            doc.add_text(text, body.join(" "));
            writer.add_document(doc).unwrap();
            // Several segments, of several sizes.
            if i == 1_000 || i == 4_500 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        (index, text)
    }

    #[test]
    fn phrases_match_and_score_as_tantivy_phrases() {
        let (index, field) = index();
        let searcher = index.reader().unwrap().searcher();
        let term = |w: &str| Term::from_field_text(field, w);
        let phrases: Vec<Vec<(usize, &str)>> = vec![
            vec![(0, "a"), (1, "b")],
            vec![(0, "b"), (1, "a")],
            vec![(0, "a"), (1, "a")],
            vec![(0, "a"), (1, "a"), (2, "a")],
            vec![(0, "c"), (1, "d"), (2, "e")],
            vec![(0, "rare"), (1, "h")],
            vec![(0, "g"), (1, "rare"), (2, "g")],
            vec![(0, "a"), (2, "c")],
            vec![(1, "f"), (3, "g"), (4, "h")],
            vec![(0, "rare"), (1, "rare")],
            vec![(0, "a"), (1, "missing")],
            vec![(0, "scarce"), (1, "a")],
            vec![(0, "b"), (1, "scarce"), (2, "c")],
            vec![(0, "scarce"), (2, "h"), (3, "a")],
        ];
        let mut matched = 0;
        for phrase in &phrases {
            let terms: Vec<(usize, Term)> = phrase.iter().map(|&(o, w)| (o, term(w))).collect();
            let theirs = PhraseQuery::new_with_offset(terms.clone());
            let ours = ExactPhraseQuery::new(terms);
            for scoring in [
                EnableScoring::enabled_from_searcher(&searcher),
                EnableScoring::disabled_from_searcher(&searcher),
            ] {
                let (wt, wo) = (
                    theirs.weight(scoring).unwrap(),
                    ours.weight(scoring).unwrap(),
                );
                for reader in searcher.segment_readers() {
                    // Walked paragraph by paragraph.
                    let (mut t, mut o) = (
                        wt.scorer(reader, 1.0).unwrap(),
                        wo.scorer(reader, 1.0).unwrap(),
                    );
                    while t.doc() != TERMINATED {
                        assert_eq!(o.doc(), t.doc(), "{phrase:?}");
                        assert_eq!(
                            o.score().to_bits(),
                            t.score().to_bits(),
                            "{phrase:?} at {}",
                            t.doc()
                        );
                        matched += 1;
                        t.advance();
                        o.advance();
                    }
                    assert_eq!(o.doc(), TERMINATED, "{phrase:?}");
                    // Sought in strides, as a boosted pass or a filter seeks it.
                    let (mut t, mut o) = (
                        wt.scorer(reader, 1.0).unwrap(),
                        wo.scorer(reader, 1.0).unwrap(),
                    );
                    let mut target = 0;
                    while target < reader.max_doc() {
                        // A scorer is sought only ahead of where it is.
                        let seek = |s: &mut Box<dyn Scorer>| match s.doc() {
                            doc if doc >= target => doc,
                            _ => s.seek(target),
                        };
                        let found = seek(&mut t);
                        assert_eq!(seek(&mut o), found, "{phrase:?} from {target}");
                        if found == TERMINATED {
                            break;
                        }
                        assert_eq!(
                            o.score().to_bits(),
                            t.score().to_bits(),
                            "{phrase:?} at {found}"
                        );
                        // Strides of up to several blocks.
                        target = found + 1 + (found % 5) * 151;
                    }
                    // Sought with `seek_danger`, as an intersection aligns its parts: found where
                    // tantivy's is, else a bound no later than the next match; tantivy's own
                    // scorer, sought the safe way, tells where that is.
                    let (mut t, mut o, mut next) = (
                        wt.scorer(reader, 1.0).unwrap(),
                        wo.scorer(reader, 1.0).unwrap(),
                        wt.scorer(reader, 1.0).unwrap(),
                    );
                    // tantivy's scorer takes no target before the paragraph it stands on.
                    let mut target = t.doc();
                    while target < reader.max_doc() {
                        let theirs = t.seek_danger(target);
                        let ours = o.seek_danger(target);
                        let first = match next.doc() {
                            doc if doc >= target => doc,
                            _ => next.seek(target),
                        };
                        match ours {
                            SeekDangerResult::Found => {
                                assert_eq!(
                                    theirs,
                                    SeekDangerResult::Found,
                                    "{phrase:?} at {target}"
                                );
                                assert_eq!(first, target);
                                assert_eq!(o.doc(), target);
                                assert_eq!(
                                    o.score().to_bits(),
                                    t.score().to_bits(),
                                    "{phrase:?} at {target}"
                                );
                            }
                            SeekDangerResult::SeekLowerBound(bound) => {
                                assert_ne!(
                                    theirs,
                                    SeekDangerResult::Found,
                                    "{phrase:?} at {target}"
                                );
                                assert!(
                                    bound > target && bound <= first,
                                    "{phrase:?} at {target}: bound {bound}, next match {first}"
                                );
                            }
                        }
                        target = (target + 1 + target % 13).max(t.doc());
                        if let SeekDangerResult::SeekLowerBound(bound) = theirs {
                            target = target.max(bound);
                        }
                    }
                }
            }
        }
        assert!(matched > 10_000, "the phrases matched {matched} times");
    }
}
