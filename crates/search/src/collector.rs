//! One pass over the matching paragraphs computes everything a search answers: the exact total,
//! the best hits (in any sort order, optionally one per document), and disjunctive facet counts.
//!
//! Facet filters (source, theme, year) are not part of the tantivy query. The query matches with
//! the other filters only, and for each paragraph the collector reads the three facet fields
//! from fast fields and checks each filter. A paragraph is a hit when all three pass; it counts
//! towards the source facet when the theme and year filters pass (whatever its source), towards
//! the theme facet when source and year pass, and so on. That is what "disjunctive" means:
//! ticking one source still shows how many paragraphs the other sources have.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::model::{Sort, YearRange};
use crate::schema::names;

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
    /// Selected sources (canonical values); empty: no filter.
    pub sources: Vec<String>,
    /// Selected themes; empty: no filter.
    pub themes: Vec<String>,
    pub years: Option<YearRange>,
    /// Multiplies the score of footnotes (1: no change).
    pub footnote_weight: f32,
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
    source_counts: HashMap<String, u64>,
    theme_counts: HashMap<String, u64>,
    year_counts: HashMap<u32, u64>,
}

/// A facet column with the ordinals of the selected values.
struct FacetColumn {
    column: StrColumn,
    /// Per term ordinal: selected? `None` when the field has no filter.
    selected: Option<Vec<bool>>,
    counts: Vec<u64>,
}

impl FacetColumn {
    fn open(
        reader: &SegmentReader,
        field: &str,
        selected: &[String],
        counting: bool,
    ) -> tantivy::Result<Option<FacetColumn>> {
        let Some(column) = reader.fast_fields().str(field)? else {
            return Ok(None);
        };
        let n = column.num_terms();
        let selected = if selected.is_empty() {
            None
        } else {
            let mut sel = vec![false; n];
            for v in selected {
                if let Some(ord) = column.dictionary().term_ord(v.as_bytes())? {
                    sel[ord as usize] = true;
                }
            }
            Some(sel)
        };
        Ok(Some(FacetColumn {
            column,
            selected,
            counts: if counting { vec![0; n] } else { Vec::new() },
        }))
    }

    fn harvest(&self) -> HashMap<String, u64> {
        let mut out = HashMap::new();
        let mut buf = String::new();
        for (ord, &count) in self.counts.iter().enumerate() {
            if count > 0 {
                buf.clear();
                if self
                    .column
                    .ord_to_str(ord as u64, &mut buf)
                    .unwrap_or(false)
                {
                    out.insert(buf.clone(), count);
                }
            }
        }
        out
    }
}

pub struct FolioSegmentCollector {
    spec: CollectSpec,
    segment: SegmentOrdinal,
    source: Option<FacetColumn>,
    theme: Option<FacetColumn>,
    /// True when a source filter is set but this segment has none of its values.
    source_impossible: bool,
    theme_impossible: bool,
    year: Column<u64>,
    /// The kind column and the ordinal of `footnote` in it, when footnotes are weighted.
    footnotes: Option<(Column<u64>, u64)>,
    order: Column<u64>,
    doc_key: Column<u64>,
    /// Paragraphs per year, indexed from the segment's smallest year.
    year_counts: Vec<u64>,
    year_min: u64,
    theme_buf: Vec<u64>,
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
        let source = FacetColumn::open(reader, names::SOURCE, &spec.sources, spec.count_source)?;
        let theme = FacetColumn::open(reader, names::THEMES, &spec.themes, spec.count_theme)?;
        let impossible = |c: &Option<FacetColumn>, sel: &[String]| {
            !sel.is_empty()
                && c.as_ref()
                    .is_none_or(|c| c.selected.as_ref().is_some_and(|s| !s.contains(&true)))
        };
        let ff = reader.fast_fields();
        let year = ff.u64(names::YEAR)?;
        let (year_min, year_max) = (year.min_value(), year.max_value());
        let year_slots = if spec.count_year && year_max >= year_min && year_max - year_min < 100_000
        {
            (year_max - year_min + 1) as usize
        } else {
            0
        };
        let footnotes = if (spec.footnote_weight - 1.0).abs() > f32::EPSILON {
            match ff.str(names::KIND)? {
                Some(kinds) => kinds
                    .dictionary()
                    .term_ord(b"footnote")?
                    .map(|ord| (kinds.ords().clone(), ord)),
                None => None,
            }
        } else {
            None
        };
        Ok(FolioSegmentCollector {
            footnotes,
            source_impossible: impossible(&source, &spec.sources),
            theme_impossible: impossible(&theme, &spec.themes),
            source,
            theme,
            year,
            order: ff.u64(names::ORDER)?,
            doc_key: ff.u64(names::DOC_KEY)?,
            year_counts: vec![0; year_slots],
            year_min,
            theme_buf: Vec::with_capacity(8),
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
        let mut found = Found::default();
        let mut all = Vec::new();
        let mut groups: HashMap<u64, Candidate> = HashMap::new();
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
            for (k, v) in f.source_counts {
                *found.source_counts.entry(k).or_default() += v;
            }
            for (k, v) in f.theme_counts {
                *found.theme_counts.entry(k).or_default() += v;
            }
            for (k, v) in f.year_counts {
                *found.year_counts.entry(k).or_default() += v;
            }
        }
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
        // Source.
        let source_ord = match &self.source {
            Some(c) if c.selected.is_some() || spec.count_source => c.column.ords().first(doc),
            _ => None,
        };
        let s_ok = if spec.sources.is_empty() {
            true
        } else if self.source_impossible {
            false
        } else {
            match (&self.source, source_ord) {
                (Some(c), Some(o)) => c.selected.as_ref().is_some_and(|s| s[o as usize]),
                _ => false,
            }
        };
        // Theme (several per paragraph).
        self.theme_buf.clear();
        if let Some(c) = &self.theme
            && (c.selected.is_some() || spec.count_theme)
        {
            self.theme_buf.extend(c.column.ords().values_for_doc(doc));
        }
        let t_ok = if spec.themes.is_empty() {
            true
        } else if self.theme_impossible {
            false
        } else {
            match &self.theme {
                Some(c) => {
                    let sel = c.selected.as_ref().expect("filter set");
                    self.theme_buf.iter().any(|&o| sel[o as usize])
                }
                None => false,
            }
        };
        // Year.
        let year = self.year.first(doc).unwrap_or(0);
        let y_ok = spec.years.is_none_or(|r| r.contains(year));

        if spec.count_source
            && t_ok
            && y_ok
            && let (Some(c), Some(o)) = (&mut self.source, source_ord)
        {
            c.counts[o as usize] += 1;
        }
        if spec.count_theme
            && s_ok
            && y_ok
            && let Some(c) = &mut self.theme
        {
            for &o in &self.theme_buf {
                c.counts[o as usize] += 1;
            }
        }
        if spec.count_year && s_ok && t_ok {
            // Years outside the column's range cannot occur; guard anyway.
            if let Some(slot) = year
                .checked_sub(self.year_min)
                .and_then(|i| self.year_counts.get_mut(i as usize))
            {
                *slot += 1;
            }
        }
        if !(s_ok && t_ok && y_ok) {
            return;
        }
        self.total += 1;
        let score = match &self.footnotes {
            Some((kinds, ord)) if kinds.first(doc) == Some(*ord) => score * spec.footnote_weight,
            _ => score,
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
            order: self.order.first(doc).unwrap_or(u64::MAX),
            doc_key: 0,
            address: DocAddress::new(self.segment, doc),
        };
        match &mut self.groups {
            Some(groups) => {
                let key = self.doc_key.first(doc).unwrap_or(0);
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
            source_counts: self
                .source
                .as_ref()
                .map(FacetColumn::harvest)
                .unwrap_or_default(),
            theme_counts: self
                .theme
                .as_ref()
                .map(FacetColumn::harvest)
                .unwrap_or_default(),
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
