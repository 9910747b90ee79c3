//! Facet counts of large match sets from bitmaps.
//!
//! Counting a match one paragraph at a time costs a few nanoseconds each: read its packed facet
//! fields, find its cell, add its themes. For a query matching half the index that is most of
//! the search. Here every facet value (each source, year and theme) has a bitmap of the
//! paragraphs holding it, built once when an index is opened; a block of matches only sets its
//! bits in a bitmap of the query's matches, and at the end each facet value's count is the
//! population count of (matches AND filters AND the value's bitmap), 64 paragraphs per
//! instruction. The bitmaps of one 64-paragraph word are stored side by side, so the counting
//! pass reads memory front to back.
//!
//! The counts are exactly those of the paragraph-by-paragraph path (the benchmark and the tests
//! compare pruned searches, which use this, with complete scoring, which does not).

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::{DocId, Searcher, SegmentReader, TERMINATED};

use folio_corpus::Kind;

use crate::collector::CollectSpec;
use crate::columns::{FastColumns, SegmentColumns};
use crate::schema::FacetCodes;

/// Facet values at most for which bitmaps are built: beyond that (many sources or a long run
/// of years) a word of matches costs more to count than its paragraphs one by one.
const MAX_VALUES: usize = 160;

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
    /// from the columns the index keeps open.
    pub fn build(
        searcher: &Searcher,
        columns: &FastColumns,
        codes: &FacetCodes,
    ) -> tantivy::Result<FacetBitmaps> {
        let mut segments = HashMap::new();
        for reader in searcher.segment_readers() {
            if let Some(b) = SegmentBitmaps::build(reader, &*columns.segment(reader)?, codes)? {
                segments.insert(reader.segment_id(), Arc::new(b));
            }
        }
        Ok(FacetBitmaps { segments })
    }

    pub fn segment(&self, id: SegmentId) -> Option<Arc<SegmentBitmaps>> {
        self.segments.get(&id).cloned()
    }

    /// Memory held, in bytes.
    pub fn bytes(&self) -> usize {
        self.segments.values().map(|s| s.bits.len() * 8).sum()
    }
}

/// One segment's bitmaps: for each word of 64 paragraphs, one word per source, then per year,
/// then per theme.
pub struct SegmentBitmaps {
    sources: usize,
    years: usize,
    themes: usize,
    /// The smallest year of the segment's paragraphs (as packed in their facet keys).
    year_min: u64,
    /// Words per paragraph word: `sources + years + themes`.
    stride: usize,
    bits: Vec<u64>,
    /// Corpus order grows with the doc id (a segment written by one indexing thread; not one
    /// merged from several): of two paragraphs with the same score, the one met first wins.
    order_increasing: bool,
}

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
        let stride = sources + years + themes;
        if stride > MAX_VALUES {
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
        let mut bits = vec![0u64; words * stride];
        for doc in 0..max_doc {
            let key = key_at(doc);
            let (w, bit) = ((doc / 64) as usize, 1u64 << (doc % 64));
            let row = &mut bits[w * stride..(w + 1) * stride];
            let source = FacetCodes::key_source(key);
            if source < sources {
                row[source] |= bit;
            }
            let y = FacetCodes::key_year(key);
            if (lo..=hi).contains(&y) {
                row[sources + (y - lo) as usize] |= bit;
            }
            let mut t = themes_col.first(doc).unwrap_or(0);
            while t != 0 {
                let i = t.trailing_zeros() as usize;
                if i < themes {
                    row[sources + years + i] |= bit;
                }
                t &= t - 1;
            }
        }
        Ok(Some(SegmentBitmaps {
            sources,
            years,
            themes,
            year_min: lo,
            stride,
            bits,
            order_increasing,
        }))
    }

    /// Whether corpus order grows with the doc id in this segment.
    pub fn order_increasing(&self) -> bool {
        self.order_increasing
    }

    /// Words of 64 paragraphs: the length of a bitmap of matches.
    pub fn words(&self) -> usize {
        self.bits.len() / self.stride
    }

    /// The paragraphs passing every facet filter of `spec` (one bit each), with how many they
    /// are; `None` without facet filters.
    pub fn passing(&self, spec: &CollectSpec) -> Option<(Vec<u64>, u64)> {
        let selected = self.selections(spec);
        if selected.iter().all(Option::is_none) {
            return None;
        }
        let mut count = 0;
        let words = self
            .bits
            .chunks_exact(self.stride)
            .map(|row| {
                let [s, y, t] = self.passing_row(row, &selected);
                let w = s & y & t;
                count += u64::from(w.count_ones());
                w
            })
            .collect();
        Some((words, count))
    }

    /// The values the filters of `spec` select, as offsets into a row: sources, years, themes
    /// (`None`: that facet is not filtered).
    fn selections(&self, spec: &CollectSpec) -> [Option<Vec<usize>>; 3] {
        let (ns, ny) = (self.sources, self.years);
        [
            spec.sources.as_ref().map(|sel| {
                (0..ns)
                    .filter(|s| sel.get(*s).copied().unwrap_or(false))
                    .collect()
            }),
            spec.years.map(|r| {
                (0..ny)
                    .filter(|y| r.contains(self.year_min + *y as u64))
                    .map(|y| ns + y)
                    .collect()
            }),
            spec.theme_mask.map(|mask| {
                (0..self.themes)
                    .filter(|t| mask >> t & 1 == 1)
                    .map(|t| ns + ny + t)
                    .collect()
            }),
        ]
    }

    /// The paragraphs of one row passing the source, the year and the theme filter.
    #[inline]
    fn passing_row(&self, row: &[u64], selected: &[Option<Vec<usize>>; 3]) -> [u64; 3] {
        selected.each_ref().map(|sel| match sel {
            None => !0,
            Some(list) => list.iter().fold(0, |acc, i| acc | row[*i]),
        })
    }

    /// Counts the matches in `matches` (one bit per paragraph) as the collector counts a
    /// paragraph: towards each facet when the filters of the other facets pass, and in the
    /// total when all pass.
    pub fn count(&self, matches: &[u64], spec: &CollectSpec) -> DenseCounts {
        let (ns, ny, nt) = (self.sources, self.years, self.themes);
        let selected = self.selections(spec);
        let mut out = DenseCounts {
            total: 0,
            sources: vec![0; if spec.count_source { ns } else { 0 }],
            years: vec![0; if spec.count_year { ny } else { 0 }],
            year_min: self.year_min,
            themes: vec![0; if spec.count_theme { nt } else { 0 }],
        };
        for (m, row) in matches.iter().zip(self.bits.chunks_exact(self.stride)) {
            let m = *m;
            if m == 0 {
                continue;
            }
            let [s, y, t] = self.passing_row(row, &selected);
            out.total += u64::from((m & s & y & t).count_ones());
            if spec.count_source {
                let a = m & y & t;
                if a != 0 {
                    for (n, v) in out.sources.iter_mut().zip(&row[..ns]) {
                        *n += u64::from((a & v).count_ones());
                    }
                }
            }
            if spec.count_year {
                let b = m & s & t;
                if b != 0 {
                    for (n, v) in out.years.iter_mut().zip(&row[ns..ns + ny]) {
                        *n += u64::from((b & v).count_ones());
                    }
                }
            }
            if spec.count_theme {
                let c = m & s & y;
                if c != 0 {
                    for (n, v) in out.themes.iter_mut().zip(&row[ns + ny..]) {
                        *n += u64::from((c & v).count_ones());
                    }
                }
            }
        }
        out
    }
}

fn saturate(year: u64) -> u32 {
    u32::try_from(year).unwrap_or(u32::MAX)
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
