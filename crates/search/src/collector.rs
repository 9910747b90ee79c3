//! One pass over the matching paragraphs computes everything a search answers: the exact total,
//! the best hits (in any sort order, optionally one per document), and disjunctive facet counts.
//!
//! Facet filters (source, theme, year) are not part of the tantivy query. The query matches with
//! the other filters only, and for each paragraph the collector reads two numbers from fast
//! fields (`facet_key`: source, year and kind; `theme_bits`) and checks each filter. A paragraph is a hit when all three pass; it counts
//! towards the source facet when the theme and year filters pass (whatever its source), towards
//! the theme facet when source and year pass, and so on. That is what "disjunctive" means:
//! ticking one source still shows how many paragraphs the other sources have.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnIndex, ColumnValues};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::model::{Sort, YearRange};
use crate::schema::{FacetCodes, names};

/// A u64 fast field. Every paragraph has exactly one value of each, so the column is dense and
/// a paragraph's row is its doc id: reading the values directly skips the row lookup that
/// `Column::first` makes for every matching paragraph.
enum FastU64 {
    Dense(Arc<dyn ColumnValues<u64>>),
    Other(Column<u64>),
}

impl FastU64 {
    fn new(column: Column<u64>) -> FastU64 {
        match column.index {
            ColumnIndex::Full => FastU64::Dense(column.values),
            _ => FastU64::Other(column),
        }
    }

    #[inline]
    fn get(&self, doc: DocId) -> u64 {
        match self {
            FastU64::Dense(values) => values.get_val(doc),
            FastU64::Other(column) => column.first(doc).unwrap_or(0),
        }
    }
}

/// What the collector should gather.
#[derive(Clone, Debug, Default)]
pub struct CollectSpec {
    /// How many of the best hits to keep (offset + limit).
    pub top_k: usize,
    pub sort: Sort,
    /// One hit per document.
    pub group: bool,
    pub count_source: bool,
    pub count_theme: bool,
    pub count_year: bool,
    /// Selected sources, by source id; `None`: no filter.
    pub sources: Option<Vec<bool>>,
    /// Selected themes as bits; `None`: no filter (`Some(0)` selects nothing).
    pub theme_mask: Option<u64>,
    pub years: Option<YearRange>,
    /// Multiplies the score of footnotes (1: no change).
    pub footnote_weight: f32,
    /// What source ids and theme bits stand for.
    pub codes: Arc<FacetCodes>,
}

/// A hit candidate with its sort key.
#[derive(Clone, Copy, Debug)]
pub struct Candidate {
    /// Larger is better: 0 for relevance, the year (or its negation) for year sorts.
    pub primary: i64,
    pub score: Score,
    /// Corpus order: smaller is better on ties.
    pub order: u64,
    pub doc_key: u64,
    pub address: DocAddress,
}

impl Candidate {
    fn better_than(&self, other: &Candidate) -> bool {
        self.cmp_key(other) == Ordering::Greater
    }

    fn cmp_key(&self, other: &Candidate) -> Ordering {
        self.primary
            .cmp(&other.primary)
            .then_with(|| self.score.total_cmp(&other.score))
            .then_with(|| other.order.cmp(&self.order))
    }
}

/// Min-heap wrapper: the worst kept candidate on top.
struct Worst(Candidate);

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.0.cmp_key(&other.0) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.cmp_key(&self.0)
    }
}

/// Keeps the best `k` candidates.
struct TopK {
    k: usize,
    heap: BinaryHeap<Worst>,
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(1024)),
        }
    }

    /// Whether a candidate with this sort key could enter: the tie-breaking `order` is read only
    /// then, not for every matching paragraph.
    fn may_take(&self, primary: i64, score: Score) -> bool {
        if self.heap.len() < self.k {
            return true;
        }
        self.heap.peek().is_some_and(|w| {
            (primary, score)
                .partial_cmp(&(w.0.primary, w.0.score))
                .is_some_and(|o| o != Ordering::Less)
        })
    }

    fn push(&mut self, c: Candidate) {
        if self.k == 0 {
            return;
        }
        if self.heap.len() < self.k {
            self.heap.push(Worst(c));
        } else if let Some(worst) = self.heap.peek()
            && c.better_than(&worst.0)
        {
            self.heap.pop();
            self.heap.push(Worst(c));
        }
    }
}

/// Sorts candidates best first.
pub fn sort_best_first(v: &mut [Candidate]) {
    v.sort_by(|a, b| b.cmp_key(a));
}

/// What the collector found.
#[derive(Debug, Default)]
pub struct Found {
    /// Paragraphs passing every filter.
    pub total: u64,
    /// The best candidates, best first (one per document when grouping).
    pub top: Vec<Candidate>,
    /// Documents with a passing paragraph (grouping only).
    pub documents: Option<u64>,
    pub source_counts: HashMap<String, u64>,
    pub theme_counts: HashMap<String, u64>,
    pub year_counts: HashMap<u32, u64>,
}

pub struct FolioCollector {
    pub spec: CollectSpec,
}

pub struct SegmentFound {
    total: u64,
    top: Vec<Candidate>,
    groups: Option<HashMap<u64, Candidate>>,
    source_counts: Vec<u64>,
    theme_counts: [u64; 64],
    year_counts: HashMap<u32, u64>,
}

pub struct FolioSegmentCollector {
    spec: CollectSpec,
    segment: SegmentOrdinal,
    /// Source, year and kind of each paragraph.
    keys: FastU64,
    /// Themes of each paragraph, read only when a theme filter or facet needs them.
    theme_bits: Option<FastU64>,
    order: FastU64,
    doc_key: FastU64,
    source_counts: Vec<u64>,
    theme_counts: [u64; 64],
    /// Paragraphs per year, indexed from the segment's smallest year.
    year_counts: Vec<u64>,
    year_min: u64,
    total: u64,
    top: TopK,
    groups: Option<HashMap<u64, Candidate>>,
}

impl Collector for FolioCollector {
    type Fruit = Found;
    type Child = FolioSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<FolioSegmentCollector> {
        let spec = self.spec.clone();
        let ff = reader.fast_fields();
        let year = ff.u64(names::YEAR)?;
        let (year_min, year_max) = (year.min_value(), year.max_value());
        let year_slots = if spec.count_year && year_max >= year_min && year_max - year_min < 100_000
        {
            (year_max - year_min + 1) as usize
        } else {
            0
        };
        let needs_themes = spec.count_theme || spec.theme_mask.is_some();
        Ok(FolioSegmentCollector {
            keys: FastU64::new(ff.u64(names::FACET_KEY)?),
            theme_bits: if needs_themes {
                Some(FastU64::new(ff.u64(names::THEME_BITS)?))
            } else {
                None
            },
            order: FastU64::new(ff.u64(names::ORDER)?),
            doc_key: FastU64::new(ff.u64(names::DOC_KEY)?),
            source_counts: vec![
                0;
                if spec.count_source {
                    spec.codes.sources.len()
                } else {
                    0
                }
            ],
            theme_counts: [0; 64],
            year_counts: vec![0; year_slots],
            year_min,
            total: 0,
            top: TopK::new(if spec.group { 0 } else { spec.top_k }),
            groups: spec.group.then(HashMap::new),
            segment,
            spec,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFound>) -> tantivy::Result<Found> {
        let codes = &self.spec.codes;
        let mut found = Found::default();
        let mut all = Vec::new();
        let mut groups: HashMap<u64, Candidate> = HashMap::new();
        let mut sources = vec![0u64; codes.sources.len()];
        let mut themes = [0u64; 64];
        for f in fruits {
            found.total += f.total;
            all.extend(f.top);
            if let Some(g) = f.groups {
                for (key, c) in g {
                    match groups.get(&key) {
                        Some(best) if !c.better_than(best) => {}
                        _ => {
                            groups.insert(key, c);
                        }
                    }
                }
            }
            for (total, n) in sources.iter_mut().zip(&f.source_counts) {
                *total += n;
            }
            for (total, n) in themes.iter_mut().zip(&f.theme_counts) {
                *total += n;
            }
            for (k, v) in f.year_counts {
                *found.year_counts.entry(k).or_default() += v;
            }
        }
        found.source_counts = sources
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(id, n)| (codes.sources[id].clone(), *n))
            .collect();
        found.theme_counts = codes
            .themes
            .iter()
            .zip(themes)
            .filter(|(_, n)| *n > 0)
            .map(|(id, n)| (id.clone(), n))
            .collect();
        if self.spec.group {
            found.documents = Some(groups.len() as u64);
            all = groups.into_values().collect();
        }
        sort_best_first(&mut all);
        all.truncate(self.spec.top_k);
        found.top = all;
        Ok(found)
    }
}

impl SegmentCollector for FolioSegmentCollector {
    type Fruit = SegmentFound;

    fn collect(&mut self, doc: DocId, score: Score) {
        let spec = &self.spec;
        let key = self.keys.get(doc);
        let source = FacetCodes::key_source(key);
        let year = FacetCodes::key_year(key);
        let bits = match &self.theme_bits {
            Some(column) => column.get(doc),
            None => 0,
        };
        let s_ok = spec
            .sources
            .as_ref()
            .is_none_or(|sel| sel.get(source).copied().unwrap_or(false));
        let t_ok = spec.theme_mask.is_none_or(|mask| bits & mask != 0);
        let y_ok = spec.years.is_none_or(|r| r.contains(year));

        if spec.count_source
            && t_ok
            && y_ok
            && let Some(slot) = self.source_counts.get_mut(source)
        {
            *slot += 1;
        }
        if spec.count_theme && s_ok && y_ok {
            let mut rest = bits;
            while rest != 0 {
                self.theme_counts[rest.trailing_zeros() as usize] += 1;
                rest &= rest - 1;
            }
        }
        if spec.count_year
            && s_ok
            && t_ok
            && let Some(slot) = year
                .checked_sub(self.year_min)
                .and_then(|i| self.year_counts.get_mut(i as usize))
        {
            *slot += 1;
        }
        if !(s_ok && t_ok && y_ok) {
            return;
        }
        self.total += 1;
        let score = if FacetCodes::key_kind(key) == FacetCodes::FOOTNOTE {
            score * spec.footnote_weight
        } else {
            score
        };
        let primary = match spec.sort {
            Sort::Relevance => 0,
            Sort::YearAsc => -(year as i64),
            Sort::YearDesc => year as i64,
        };
        if self.groups.is_none() && !self.top.may_take(primary, score) {
            return;
        }
        let candidate = Candidate {
            primary,
            score,
            order: self.order.get(doc),
            doc_key: 0,
            address: DocAddress::new(self.segment, doc),
        };
        match &mut self.groups {
            Some(groups) => {
                let key = self.doc_key.get(doc);
                let candidate = Candidate {
                    doc_key: key,
                    ..candidate
                };
                match groups.get(&key) {
                    Some(best) if !candidate.better_than(best) => {}
                    _ => {
                        groups.insert(key, candidate);
                    }
                }
            }
            None => self.top.push(candidate),
        }
    }

    fn harvest(self) -> SegmentFound {
        SegmentFound {
            total: self.total,
            top: self.top.heap.into_iter().map(|w| w.0).collect(),
            groups: self.groups,
            source_counts: self.source_counts,
            theme_counts: self.theme_counts,
            year_counts: self
                .year_counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, n)| ((self.year_min + i as u64) as u32, *n))
                .collect(),
        }
    }
}
