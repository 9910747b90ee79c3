//! Facet counts of large match sets from bitmaps.
//!
//! Counting a match one paragraph at a time costs a few nanoseconds each: read its packed facet
//! fields, find its cell, add its themes. For a query matching half the index that is most of
//! the search. Here a block of matches only sets its bits in a bitmap of the query's matches,
//! and at the end the facets are counted 64 paragraphs at a time, with population counts.
//!
//! A paragraph's source and year are its document's, and a document's paragraphs are side by
//! side: each word of 64 paragraphs is cut into pieces where the source or the year changes
//! (a few per word), each piece's matches are counted once, and the count goes to its source
//! and its year. Themes are a paragraph's own: each has a bitmap, one word per 64 paragraphs,
//! kept side by side with the other themes' words, so counting reads memory front to back.
//!
//! The counts are exactly those of the paragraph-by-paragraph path (the benchmark and the tests
//! compare pruned searches, which use this, with complete scoring, which does not).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;
use tantivy::postings::BlockSegmentPostings;
use tantivy::{DocId, Searcher, SegmentReader, TERMINATED, Term};

use folio_corpus::Kind;

use crate::collector::CollectSpec;
use crate::columns::{FastColumns, SegmentColumns};
use crate::schema::FacetCodes;

/// The bitmaps of every segment of an open index.
#[derive(Default)]
pub struct FacetBitmaps {
    segments: HashMap<SegmentId, Arc<SegmentBitmaps>>,
}

impl std::fmt::Debug for FacetBitmaps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacetBitmaps")
            .field("segments", &self.segments.len())
            .finish()
    }
}

impl FacetBitmaps {
    /// Builds the bitmaps of each of the searcher's segments that has few enough facet values,
    /// from the columns the index keeps open. `term_bytes` is the room the index gives the
    /// bitmaps of its common terms (see [`TermBitmaps`]), shared by the segments by size.
    pub fn build(
        searcher: &Searcher,
        columns: &FastColumns,
        codes: &FacetCodes,
        term_bytes: usize,
    ) -> tantivy::Result<FacetBitmaps> {
        let mut segments = HashMap::new();
        let readers = searcher.segment_readers();
        let all = readers
            .iter()
            .map(|r| u128::from(r.max_doc()))
            .sum::<u128>();
        for reader in readers {
            let room = (term_bytes as u128 / 8 * u128::from(reader.max_doc()) / all.max(1))
                .try_into()
                .unwrap_or(usize::MAX);
            if let Some(b) = SegmentBitmaps::build(reader, &*columns.segment(reader)?, codes, room)?
            {
                segments.insert(reader.segment_id(), Arc::new(b));
            }
        }
        Ok(FacetBitmaps { segments })
    }

    pub fn segment(&self, id: SegmentId) -> Option<Arc<SegmentBitmaps>> {
        self.segments.get(&id).cloned()
    }

    /// Memory held, in bytes (with the term bitmaps made so far).
    pub fn bytes(&self) -> usize {
        self.segments.values().map(|s| s.bytes()).sum()
    }
}

/// One segment's bitmaps: for each word of 64 paragraphs, its pieces of one source and year,
/// and a word per theme.
pub struct SegmentBitmaps {
    sources: usize,
    years: usize,
    themes: usize,
    /// The smallest year of the segment's paragraphs (as packed in their facet keys).
    year_min: u64,
    /// Where each word's pieces start in `piece_masks` and `piece_codes`, and where the last
    /// ends.
    piece_index: Vec<u32>,
    /// Each piece's paragraphs, one bit each in its word.
    piece_masks: Vec<u64>,
    /// Each piece's cell: an index in `cells`.
    piece_cells: Vec<u16>,
    /// Each piece's word.
    piece_words: Vec<u32>,
    /// The source id and year (its offset from `year_min`) of each cell, that is of each pair the
    /// segment's pieces have ([`NONE`] where a paragraph has no source or year the facets know).
    /// Counting adds a piece's matches to its cell, one add where a source and a year took
    /// two, and the cells go to their sources and years once at the end.
    cells: Vec<[u8; 2]>,
    /// Per word, one word per theme.
    theme_bits: Vec<u64>,
    /// Corpus order grows with the doc id (a segment written by one indexing thread; not one
    /// merged from several): of two paragraphs with the same score, the one met first wins.
    order_increasing: bool,
    /// Paragraphs in the segment, deleted ones included (doc ids run below it).
    max_doc: u32,
    /// The bitmaps of the common terms searched so far.
    terms: Mutex<TermBitmaps>,
}

/// A term held by one paragraph in this many or more is common: its bitmap (a bit per
/// paragraph) is at most four bytes per paragraph holding it, less than its postings decoded.
const COMMON_TERM: u64 = 32;

/// Whether a term that `doc_freq` of a segment's `max_doc` paragraphs hold is common enough
/// for a bitmap ([`COMMON_TERM`]).
pub(crate) fn is_common(doc_freq: u32, max_doc: u32) -> bool {
    u64::from(doc_freq) * COMMON_TERM >= u64::from(max_doc)
}

/// The bitmaps of a segment's common terms, each made the first time a search counts the
/// term's matches. Counting a common word's matches decoded every block of its postings and set
/// a bit per paragraph, most of the time of a search for it (and of an intersection of common
/// words); or-ing its bitmap into the matches reads a word per 64 paragraphs. Kept until the
/// index is swapped (segments do not change); once the room is used up, further terms are read
/// from their postings as before, so memory stays bounded whatever is searched.
#[derive(Default)]
struct TermBitmaps {
    held: HashMap<Term, Arc<[u64]>>,
    /// Words the segment may still give to bitmaps.
    room: usize,
}

/// A piece's source or year that no facet value stands for. A piece keeps each in a byte, so
/// bitmaps are built for fewer sources, and fewer years, than this.
const NONE: u8 = u8::MAX;

/// What the counting of one segment's matches adds to the facets.
#[derive(Debug, Default)]
pub struct DenseCounts {
    pub total: u64,
    /// By source id.
    pub sources: Vec<u64>,
    /// By year, from [`DenseCounts::year_min`].
    pub years: Vec<u64>,
    pub year_min: u64,
    /// By theme bit.
    pub themes: Vec<u64>,
}

impl SegmentBitmaps {
    fn build(
        reader: &SegmentReader,
        columns: &SegmentColumns,
        codes: &FacetCodes,
        room: usize,
    ) -> tantivy::Result<Option<SegmentBitmaps>> {
        let keys = &columns.facet_key;
        let themes_col = &columns.theme_bits;
        let max_doc = reader.max_doc();
        if max_doc == 0 {
            return Ok(None);
        }
        let key_at = |doc: DocId| keys.first(doc).unwrap_or(0);
        // The years packed in the keys are the years clamped to the key's width, so their range
        // is the year column's range clamped the same way.
        let year = &columns.year;
        let (lo, hi) = (
            FacetCodes::key_year(FacetCodes::key(0, saturate(year.min_value()), Kind::Body)),
            FacetCodes::key_year(FacetCodes::key(0, saturate(year.max_value()), Kind::Body)),
        );
        if hi < lo {
            return Ok(None);
        }
        let sources = codes.sources.len();
        let years = (hi - lo + 1) as usize;
        let themes = codes.themes.len();
        if sources >= usize::from(NONE) || years >= usize::from(NONE) {
            return Ok(None);
        }
        let order = &columns.order;
        let mut order_increasing = true;
        let mut previous = None;
        for doc in 0..max_doc {
            let o = order.first(doc);
            if o.is_none() || o <= previous {
                order_increasing = false;
                break;
            }
            previous = o;
        }
        let words = (max_doc as usize).div_ceil(64);
        let mut piece_masks: Vec<u64> = Vec::new();
        let mut piece_index = Vec::with_capacity(words + 1);
        let mut piece_cells: Vec<u16> = Vec::new();
        let mut piece_words: Vec<u32> = Vec::new();
        let mut cells: Vec<[u8; 2]> = Vec::new();
        let mut cell_of: HashMap<[u8; 2], u16> = HashMap::new();
        let mut theme_bits = vec![0u64; words * themes];
        let mut previous = [NONE; 2];
        for doc in 0..max_doc {
            let key = key_at(doc);
            let (w, at) = ((doc / 64) as usize, doc % 64);
            let source = FacetCodes::key_source(key);
            let y = FacetCodes::key_year(key);
            let code = [
                if source < sources { source as u8 } else { NONE },
                if (lo..=hi).contains(&y) {
                    (y - lo) as u8
                } else {
                    NONE
                },
            ];
            if at == 0 {
                piece_index.push(piece_cells.len() as u32);
            }
            if at == 0 || code != previous {
                piece_masks.push(0);
                // At most 255 sources by 255 years: a u16 holds every cell.
                let cell = *cell_of.entry(code).or_insert_with(|| {
                    cells.push(code);
                    (cells.len() - 1) as u16
                });
                piece_cells.push(cell);
                piece_words.push(w as u32);
                previous = code;
            }
            if let Some(mask) = piece_masks.last_mut() {
                *mask |= 1 << at;
            }
            let mut t = themes_col.first(doc).unwrap_or(0);
            while t != 0 {
                let i = t.trailing_zeros() as usize;
                if i < themes {
                    theme_bits[w * themes + i] |= 1 << at;
                }
                t &= t - 1;
            }
        }
        piece_index.push(piece_cells.len() as u32);
        Ok(Some(SegmentBitmaps {
            sources,
            years,
            themes,
            year_min: lo,
            piece_index,
            piece_masks,
            piece_cells,
            piece_words,
            cells,
            theme_bits,
            order_increasing,
            max_doc: reader.max_doc(),
            terms: Mutex::new(TermBitmaps {
                held: HashMap::new(),
                room,
            }),
        }))
    }

    /// The bitmap of the paragraphs holding `term`, whose postings are `postings` (a segment
    /// without deletions): the one made before, or made now from `postings` when the term is
    /// common and there is room. None leaves `postings` as they were, for the caller to read.
    pub fn term(&self, term: &Term, postings: &mut BlockSegmentPostings) -> Option<Arc<[u64]>> {
        let doc_freq = postings.doc_freq();
        let Ok(bits) = self.lookup::<Infallible>(term, doc_freq, || Ok(postings));
        bits
    }

    /// As [`Self::term`] for a term of `doc_freq` paragraphs whose postings `open` reads,
    /// called only when the bitmap is made (opening postings decodes their first block, which
    /// a kept bitmap makes needless).
    pub fn term_opening(
        &self,
        term: &Term,
        doc_freq: u32,
        open: impl FnOnce() -> std::io::Result<BlockSegmentPostings>,
    ) -> std::io::Result<Option<Arc<[u64]>>> {
        let mut postings = None;
        self.lookup(term, doc_freq, || Ok(postings.insert(open()?)))
    }

    /// The common term's bitmap, kept or made now from the postings `postings` gives (called
    /// only then), or None for a rare term or when there is no room.
    fn lookup<'p, E>(
        &self,
        term: &Term,
        doc_freq: u32,
        postings: impl FnOnce() -> Result<&'p mut BlockSegmentPostings, E>,
    ) -> Result<Option<Arc<[u64]>>, E> {
        if !is_common(doc_freq, self.max_doc) {
            return Ok(None);
        }
        Ok(match self.kept(term) {
            Kept::Held(bits) => Some(bits),
            Kept::Full => None,
            Kept::Room => Some(self.make(term, postings()?)),
        })
    }

    /// The bitmap of `term` if it is kept (without the term's postings or frequency).
    pub fn held(&self, term: &Term) -> Option<Arc<[u64]>> {
        match self.kept(term) {
            Kept::Held(bits) => Some(bits),
            Kept::Room | Kept::Full => None,
        }
    }

    fn kept(&self, term: &Term) -> Kept {
        let held = self.terms.lock().expect("term bitmaps");
        match held.held.get(term) {
            Some(bits) => Kept::Held(bits.clone()),
            None if held.room < self.words() => Kept::Full,
            None => Kept::Room,
        }
    }

    /// Makes the bitmap of `term` from its `postings` and keeps it if there is still room.
    fn make(&self, term: &Term, postings: &mut BlockSegmentPostings) -> Arc<[u64]> {
        let words = self.words();
        // Made outside the lock: another search may make the same bitmap meanwhile, and the
        // first one kept serves both.
        let mut bits = vec![0u64; words];
        for_each_block(postings, |docs| set_bits(&mut bits, docs));
        let bits: Arc<[u64]> = bits.into();
        let mut held = self.terms.lock().expect("term bitmaps");
        if let Some(kept) = held.held.get(term) {
            return kept.clone();
        }
        if held.room >= words {
            held.room -= words;
            held.held.insert(term.clone(), bits.clone());
        }
        bits
    }

    /// Whether corpus order grows with the doc id in this segment.
    pub fn order_increasing(&self) -> bool {
        self.order_increasing
    }

    /// Words of 64 paragraphs: the length of a bitmap of matches.
    pub fn words(&self) -> usize {
        self.piece_index.len() - 1
    }

    /// Memory held, in bytes.
    fn bytes(&self) -> usize {
        let terms = self.terms.lock().expect("term bitmaps").held.len() * self.words();
        (self.piece_masks.len() + self.theme_bits.len() + terms) * 8
            + self.piece_index.len() * 4
            + self.piece_cells.len() * 2
            + self.piece_words.len() * 4
            + self.cells.len() * 2
    }

    /// Each cell's verdict from the source filter and the year filter (both pass without
    /// filters), and the same as a mask: all ones where both pass.
    fn cell_verdicts(&self, filters: Option<&Filters>) -> (Vec<[bool; 2]>, Vec<u64>) {
        let passes: Vec<[bool; 2]> = self
            .cells
            .iter()
            .map(|&code| filters.map_or([true; 2], |f| f.passes(code)))
            .collect();
        let both = passes
            .iter()
            .map(|&p| if p == [true; 2] { !0 } else { 0 })
            .collect();
        (passes, both)
    }

    /// Word `w`'s bitmap of each theme.
    #[inline]
    fn themes_of(&self, w: usize) -> &[u64] {
        &self.theme_bits[w * self.themes..(w + 1) * self.themes]
    }

    /// The paragraphs passing every facet filter of `spec` (one bit each), with how many they
    /// are; `None` without facet filters.
    pub fn passing(&self, spec: &CollectSpec) -> Option<(Vec<u64>, u64)> {
        let filters = self.filters(spec)?;
        let (_, both) = self.cell_verdicts(Some(&filters));
        let mut words = self.passing_cells(&both);
        let mut count = 0;
        for (w, word) in words.iter_mut().enumerate() {
            *word &= self.passing_themes(w, &filters);
            count += u64::from(word.count_ones());
        }
        Some((words, count))
    }

    /// The paragraphs whose cell passes (`both`: all ones for a cell passing the source and
    /// the year filter), a word per 64. The pieces are gone through in one run, not word by
    /// word: a loop over each word's few pieces mispredicts its end about once a word.
    fn passing_cells(&self, both: &[u64]) -> Vec<u64> {
        let mut words = vec![0u64; self.words()];
        for ((&w, &mask), &cell) in self
            .piece_words
            .iter()
            .zip(&self.piece_masks)
            .zip(&self.piece_cells)
        {
            if let Some(word) = words.get_mut(w as usize) {
                *word |= mask & both[usize::from(cell)];
            }
        }
        words
    }

    /// What the facet filters of `spec` select; `None` without facet filters.
    fn filters(&self, spec: &CollectSpec) -> Option<Filters> {
        let table = |n: usize, selected: &dyn Fn(usize) -> bool| {
            // Indexed by a code: the values, then NONE (never selected).
            let mut t = vec![false; 256];
            for (v, slot) in t.iter_mut().enumerate().take(n) {
                *slot = selected(v);
            }
            t
        };
        let sources = spec
            .sources
            .as_ref()
            .map(|sel| table(self.sources, &|s| sel.get(s).copied().unwrap_or(false)));
        let years = spec
            .years
            .map(|r| table(self.years, &|y| r.contains(self.year_min + y as u64)));
        let themes = spec
            .theme_mask
            .map(|mask| (0..self.themes).filter(|t| mask >> t & 1 == 1).collect());
        (sources.is_some() || years.is_some() || themes.is_some()).then_some(Filters {
            sources,
            years,
            themes,
        })
    }

    /// The paragraphs of word `w` passing the theme filter.
    #[inline]
    fn passing_themes(&self, w: usize, filters: &Filters) -> u64 {
        match &filters.themes {
            Some(list) => {
                let themes = self.themes_of(w);
                list.iter().fold(0, |acc, t| acc | themes[*t])
            }
            None => !0,
        }
    }

    /// Counts the matches in `matches` (one bit per paragraph) as the collector counts a
    /// paragraph: towards each facet when the filters of the other facets pass, and in the
    /// total when all pass.
    pub fn count(&self, matches: &[u64], spec: &CollectSpec) -> DenseCounts {
        let filters = self.filters(spec);
        let n_themes = if spec.count_theme { self.themes } else { 0 };
        let mut cell_counts = vec![0u64; self.cells.len()];
        let (passes, both) = self.cell_verdicts(filters.as_ref());
        let f = filters.as_ref();
        // The theme counts stay in registers when their number is known when compiled.
        macro_rules! by_number {
            ($($n:literal)*) => {
                match n_themes {
                    $($n => self.count_words(matches, f, &both, &mut cell_counts, [0u64; $n]),)*
                    n => self.count_words(matches, f, &both, &mut cell_counts, vec![0u64; n]),
                }
            };
        }
        let themes = by_number!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
        // Indexed by a code (NONE collects what no value stands for).
        let mut sources = vec![0u64; 256];
        let mut years = vec![0u64; 256];
        let mut total = 0;
        for ((&[source, year], &n), &[source_passes, year_passes]) in
            self.cells.iter().zip(&cell_counts).zip(&passes)
        {
            if year_passes {
                sources[usize::from(source)] += n;
            }
            if source_passes {
                years[usize::from(year)] += n;
            }
            if source_passes && year_passes {
                total += n;
            }
        }
        sources.truncate(if spec.count_source { self.sources } else { 0 });
        years.truncate(if spec.count_year { self.years } else { 0 });
        DenseCounts {
            total,
            sources,
            years,
            year_min: self.year_min,
            themes,
        }
    }

    /// The loop of [`Self::count`]: adds each word's matches to the cells of its pieces and to
    /// `themes`; returns the theme counts.
    fn count_words<T: ThemeSums>(
        &self,
        matches: &[u64],
        filters: Option<&Filters>,
        both: &[u64],
        cell_counts: &mut [u64],
        mut themes: T,
    ) -> Vec<u64> {
        // Slices held apart from `self`, so that the compiler keeps them in registers while the
        // loop stores its counts.
        let (index, masks, piece_cells) = (
            &self.piece_index[..],
            &self.piece_masks[..],
            &self.piece_cells[..],
        );
        let (theme_bits, stride) = (&self.theme_bits[..], self.themes);
        let matches = &matches[..self.words().min(matches.len())];
        // When most words hold a match and no filter applies, the pieces are counted in one
        // run over all of them: a loop over each word's few pieces mispredicts its end about
        // once a word, which cost more than the pieces of the words without a match. (With
        // filters, the run's extra work, the filters read for each piece, undid the gain.)
        if filters.is_none() && dense(matches) {
            for ((&w, &mask), &cell) in self.piece_words.iter().zip(masks).zip(piece_cells) {
                let m = matches.get(w as usize).copied().unwrap_or(0);
                cell_counts[usize::from(cell)] += u64::from((m & mask).count_ones());
            }
            for (w, &m) in matches.iter().enumerate() {
                if m != 0 {
                    themes.add(m, &theme_bits[w * stride..w * stride + stride]);
                }
            }
            return themes.into_counts();
        }
        for (w, &m) in matches.iter().enumerate() {
            if m == 0 {
                continue;
            }
            let (from, to) = (index[w] as usize, index[w + 1] as usize);
            let word_themes = &theme_bits[w * stride..w * stride + stride];
            let Some(f) = filters else {
                for (&mask, &cell) in masks[from..to].iter().zip(&piece_cells[from..to]) {
                    cell_counts[usize::from(cell)] += u64::from((m & mask).count_ones());
                }
                themes.add(m, word_themes);
                continue;
            };
            // A facet counts the matches the other facets' filters let through.
            let mt = m & self.passing_themes(w, f);
            // The matches passing the source and the year filter, for the themes.
            let mut passing = 0;
            for (&mask, &cell) in masks[from..to].iter().zip(&piece_cells[from..to]) {
                cell_counts[usize::from(cell)] += u64::from((mt & mask).count_ones());
                passing |= mask & both[usize::from(cell)];
            }
            let c = m & passing;
            if c != 0 {
                themes.add(c, word_themes);
            }
        }
        themes.into_counts()
    }
}

/// Whether at least half the words of `matches` hold a match.
fn dense(matches: &[u64]) -> bool {
    let held = matches.iter().map(|&m| usize::from(m != 0)).sum::<usize>();
    held * 2 >= matches.len()
}

/// The theme counts of [`SegmentBitmaps::count`]: an array when the number of themes is known
/// when compiled (its loop unrolled, its counts in registers), else a vector.
trait ThemeSums {
    /// Adds the matches `m` in each theme's word of paragraphs.
    fn add(&mut self, m: u64, word_themes: &[u64]);
    fn into_counts(self) -> Vec<u64>;
}

impl<const N: usize> ThemeSums for [u64; N] {
    #[inline(always)]
    fn add(&mut self, m: u64, word_themes: &[u64]) {
        let word_themes: &[u64; N] = word_themes[..N].try_into().expect("one word a theme");
        for (n, &b) in self.iter_mut().zip(word_themes) {
            *n += u64::from((m & b).count_ones());
        }
    }

    fn into_counts(self) -> Vec<u64> {
        self.to_vec()
    }
}

impl ThemeSums for Vec<u64> {
    #[inline(always)]
    fn add(&mut self, m: u64, word_themes: &[u64]) {
        for (n, &b) in self.iter_mut().zip(word_themes) {
            *n += u64::from((m & b).count_ones());
        }
    }

    fn into_counts(self) -> Vec<u64> {
        self
    }
}

/// The facet filters of a search as [`SegmentBitmaps`] reads them.
struct Filters {
    /// Per source code, whether the filter selects it (`None`: sources are not filtered).
    sources: Option<Vec<bool>>,
    /// Per year code, likewise.
    years: Option<Vec<bool>>,
    /// The selected themes' bits, when themes are filtered.
    themes: Option<Vec<usize>>,
}

impl Filters {
    /// Whether a piece of this source and year passes the source filter and the year filter.
    #[inline]
    fn passes(&self, [source, year]: [u8; 2]) -> [bool; 2] {
        [
            self.sources.as_ref().is_none_or(|t| t[source as usize]),
            self.years.as_ref().is_none_or(|t| t[year as usize]),
        ]
    }
}

fn saturate(year: u64) -> u32 {
    u32::try_from(year).unwrap_or(u32::MAX)
}

/// What a segment keeps of a term's bitmap: the bitmap, room to make it, or neither.
enum Kept {
    Held(Arc<[u64]>),
    Room,
    Full,
}

/// The first paragraph at or after `from` whose bit is set, or [`TERMINATED`].
pub(crate) fn next_bit(bits: &[u64], from: DocId) -> DocId {
    let mut w = (from / 64) as usize;
    let Some(&first) = bits.get(w) else {
        return TERMINATED;
    };
    let mut word = first & (!0u64 << (from % 64));
    loop {
        if word != 0 {
            return (w * 64) as DocId + word.trailing_zeros();
        }
        w += 1;
        match bits.get(w) {
            Some(&next) => word = next,
            None => return TERMINATED,
        }
    }
}

/// Sets the bits of `docs` (in increasing order) in `bitmap`. The bits of one word are gathered
/// in a register and written once: or-ing each into memory makes every paragraph wait for the
/// store of the one before it in the same word.
#[inline]
pub(crate) fn set_bits(bitmap: &mut [u64], docs: &[DocId]) {
    let Some((&first, rest)) = docs.split_first() else {
        return;
    };
    let mut word = (first / 64) as usize;
    let mut bits = 1u64 << (first % 64);
    for &doc in rest {
        let w = (doc / 64) as usize;
        if w != word {
            bitmap[word] |= bits;
            word = w;
            bits = 0;
        }
        bits |= 1 << (doc % 64);
    }
    bitmap[word] |= bits;
}

/// Calls `f` with each block of a term's postings (up to 128 doc ids, in order).
pub(crate) fn for_each_block(postings: &mut BlockSegmentPostings, mut f: impl FnMut(&[DocId])) {
    loop {
        let docs = postings.docs();
        if docs.is_empty() {
            return;
        }
        f(docs);
        postings.advance();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Taxonomies of more than 16 themes count with a vector: the same sums as the arrays.
    #[test]
    fn theme_sums_agree_as_array_and_vector() {
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed
        };
        let (mut array, mut vector) = ([0u64; 5], vec![0u64; 5]);
        for _ in 0..1_000 {
            let m = next();
            let word: Vec<u64> = (0..5).map(|_| next()).collect();
            array.add(m, &word);
            vector.add(m, &word);
        }
        assert_eq!(array.into_counts(), vector.into_counts());
        assert!(array.iter().all(|&n| n > 10_000), "{array:?}");
    }
}
