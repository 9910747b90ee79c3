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
use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnIndex, ColumnValues};
use tantivy::postings::BlockSegmentPostings;
use tantivy::query::{Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED, Term};

use crate::bitmaps::{FacetBitmaps, SegmentBitmaps, for_each_block, is_common, next_bit, set_bits};
use crate::columns::{FastColumns, SegmentColumns, segment_columns};
use crate::model::{Sort, YearRange};
use crate::query::TermRange;
use crate::schema::FacetCodes;

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

    /// The values of several paragraphs at once (`out` as long as `docs`).
    fn get_batch(&self, docs: &[DocId], out: &mut [u64]) {
        match self {
            FastU64::Dense(values) => values.get_vals(docs, out),
            FastU64::Other(column) => {
                for (doc, v) in docs.iter().zip(out.iter_mut()) {
                    *v = column.first(*doc).unwrap_or(0);
                }
            }
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
    /// Bitmaps of the facet values, for counting large match sets (see [`crate::bitmaps`]).
    pub bitmaps: Option<Arc<FacetBitmaps>>,
    /// The fast fields opened when the index was (see [`crate::columns`]); `None`: open them.
    pub columns: Option<Arc<FastColumns>>,
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

    /// The worst kept candidate, if the top is full.
    fn worst(&self) -> Option<&Candidate> {
        if self.heap.len() < self.k {
            return None;
        }
        self.heap.peek().map(|w| &w.0)
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
    spec: CollectSpec,
    ranking: Ranking,
    /// The best lower bound known so far on the score the final top hits end at, shared by
    /// the segments of one search (see [`Floor`]).
    floor: Arc<Floor>,
}

impl FolioCollector {
    pub fn new(spec: CollectSpec, ranking: Ranking) -> FolioCollector {
        FolioCollector {
            spec,
            ranking,
            floor: Arc::default(),
        }
    }
}

/// A segment whose top hits are full knows that the search's top hits end at its worst kept
/// score or above: a paragraph of a later segment scoring below it cannot enter. Each segment
/// starts from the best such score of the segments finished before it, so its ranking passes
/// (block-max WAND, MaxScore, the boosted pass) skip from the start what would only have
/// filled its own top hits to be dropped when the segments' hits are merged. Used only when
/// hits are sorted by relevance and not grouped; a paragraph that only ties the floor still
/// enters (it may come first in corpus order).
#[derive(Debug)]
struct Floor(AtomicU32);

impl Default for Floor {
    fn default() -> Self {
        Floor(AtomicU32::new(Score::NEG_INFINITY.to_bits()))
    }
}

impl Floor {
    fn get(&self) -> Option<Score> {
        let s = Score::from_bits(self.0.load(AtomicOrdering::Relaxed));
        (s > Score::NEG_INFINITY).then_some(s)
    }

    fn raise(&self, score: Score) {
        let _ = self
            .0
            .fetch_update(AtomicOrdering::Relaxed, AtomicOrdering::Relaxed, |old| {
                (score > Score::from_bits(old)).then_some(score.to_bits())
            });
    }
}

/// How hits are scored.
// One per search, moved once: boxing the boosted pass's weights to shrink it measured 4% more
// instructions on common words (callgrind, 842M against 877M), from how the passes compiled.
#[allow(clippy::large_enum_variant)]
pub enum Ranking {
    /// The searcher's query scores every match completely (sorts by year, one hit per document).
    Complete,
    /// By relevance: the searcher's query is the compiled query's main part, and the extras
    /// (title, section, proximity, stop words) are scored only for paragraphs that can still
    /// reach the top with the most the extras could add.
    Pruned {
        /// The extras' weights, each with the most it can add.
        extras: Vec<(Box<dyn Weight>, Score)>,
        /// The main part with scoring off, for a counting pass; `None`: count while ranking.
        ///
        /// With it, facets and totals are counted in a pass without scores over blocks of doc
        /// ids, and the top hits are found in further passes in which tantivy's block-max WAND
        /// skips the blocks of postings whose best score cannot reach the top.
        count: Option<Box<dyn Weight>>,
        /// With `count`: the terms it requires, when it is exactly their intersection. Their
        /// postings are then read a block at a time straight into the counting (and, when all
        /// are common, intersected as bitmaps) instead of through the weight's scorer.
        count_terms: Vec<Term>,
        /// With `count`: boosts (title, section) ranked exactly in a pass of their own first.
        boosted: Option<Boosted>,
        /// Without `count`: the main part is exactly this range of terms (a prefix), every
        /// match scoring [`RANGE_SCORE`]. In a segment with facet bitmaps and no deletions its
        /// postings go straight into the bitmap of matches, which counts them, and ranking
        /// walks that bitmap and stops at the first paragraph that cannot enter the top, where
        /// tantivy's scorer would first build a bitset of the same postings and then hand out
        /// every match one by one.
        count_range: Option<TermRange>,
        /// Without `count`: the main part is the union of `match=any`'s clauses. In a segment
        /// with facet bitmaps and no deletions each clause's matches go straight into the
        /// bitmap of matches, which counts them, and the best are found by MaxScore: once the
        /// top hits are better than the least likely clauses could make a paragraph together,
        /// only the paragraphs of the other clauses are visited, and the rest are sought in
        /// them, where scoring the union would score every paragraph of every clause.
        any_union: Option<Box<AnyUnion>>,
    },
}

/// The clauses of a `match=any` union, for [`Ranking::Pruned::any_union`].
pub struct AnyUnion {
    /// Each clause with scoring off.
    pub count: Vec<Box<dyn Weight>>,
    /// The one term each clause searches, when it is one: a common one is marked from its
    /// kept bitmap rather than its postings.
    pub terms: Vec<Option<Term>>,
    /// Each clause scoring (without its bonus), with its bonus and the most it can score
    /// (bonus included).
    pub rank: Vec<(Box<dyn Weight>, Score, Score)>,
    /// The clause that is one term and the most common, if any: the paragraphs holding it
    /// alone are ranked by tantivy's block-max WAND on its postings.
    pub common: Option<usize>,
    /// When every clause is one term and two to four are held somewhere: the paragraphs
    /// holding two or more of those, ranked first (see [`HeldClauses`]).
    pub held: Option<HeldClauses>,
}

/// The clauses of a union that the index holds (a word held nowhere is most often why a query
/// was relaxed), and the intersections of each two or more of them. A clause's bonus outweighs
/// any sum of BM25 scores, so a paragraph holding more clauses always ranks above one holding
/// fewer: the intersections are ranked first, the largest first, by tantivy's block-max
/// intersection (each skipping the paragraphs that hold a clause more, ranked with a larger
/// one). Once the top hits are better than a paragraph holding one clause fewer can be, the
/// rest need not be read; where the clause-by-clause pass would seek every clause in each
/// paragraph of the rarer ones.
pub struct HeldClauses {
    /// The intersections, largest first.
    pub sets: Vec<ClauseSet>,
    /// Which of the union's clauses the index holds.
    pub clauses: Vec<usize>,
    /// `most[k]`: the most a paragraph holding `k` of them can score (bonuses included).
    pub most: Vec<Score>,
}

/// An intersection of held clauses.
pub struct ClauseSet {
    /// The clauses, all required, scoring (without their bonuses).
    pub weight: Box<dyn Weight>,
    /// Which of the union's clauses these are.
    pub clauses: Vec<usize>,
    /// Their bonuses together.
    pub bonus: Score,
}

/// A clause of a union being ranked: its scorer (without the bonus), its bonus, and the most it
/// can score (bonus included).
struct UnionClause {
    scorer: Box<dyn Scorer>,
    bonus: Score,
    bound: Score,
    /// One of [`HeldClauses::clauses`].
    held: bool,
    /// Its place among the union's clauses.
    index: usize,
}

impl UnionClause {
    /// Whether the clause holds paragraph `doc`, seeking it there if it is before.
    fn holds(&mut self, doc: DocId) -> bool {
        at_or_after(self.scorer.as_mut(), doc) == doc
    }
}

/// A paragraph's parts in a union ranked clause by clause, in whatever order the clauses are
/// read: each clause's score and bonus by its place in the union, added up in that order at the
/// end (as [`union_score`] does), and how many held clauses it has.
struct Parts {
    parts: Vec<Option<Score>>,
    held: usize,
}

impl Parts {
    fn new(clauses: usize) -> Parts {
        Parts {
            parts: vec![None; clauses],
            held: 0,
        }
    }

    fn clear(&mut self) {
        self.parts.fill(None);
        self.held = 0;
    }

    /// Records the part of clause `c`, which holds the paragraph; returns it.
    fn add(&mut self, c: &mut UnionClause) -> Score {
        let part = c.scorer.score() + c.bonus;
        self.parts[c.index] = Some(part);
        self.held += usize::from(c.held);
        part
    }

    fn sum(&self) -> Score {
        self.parts
            .iter()
            .flatten()
            .fold(0.0, |sum, part| sum + part)
    }
}

/// Where a scorer moving forward only is at or after `target`: sought there if it is before.
#[inline]
fn at_or_after<D: DocSet + ?Sized>(scorer: &mut D, target: DocId) -> DocId {
    if scorer.doc() < target {
        scorer.seek(target)
    } else {
        scorer.doc()
    }
}

/// The score of paragraph `doc` in a union of `clauses` (scorers moving forward, with their
/// bonuses, in the union's order): each clause holding it adds its score and bonus, added up in
/// the union's order, so that the sum is the union's to the last bit (floating-point addition
/// depends on the order).
fn union_score(clauses: &mut [(Box<dyn Scorer>, Score)], doc: DocId) -> Score {
    let mut score = 0.0;
    for (s, bonus) in clauses {
        if at_or_after(s.as_mut(), doc) == doc {
            score += s.score() + *bonus;
        }
    }
    score
}

/// The boosted paragraphs among those the bitmap of matches marks (every match of the main
/// part): the boosts' scorer leaps to the next marked paragraph and the bitmap to the boosts'
/// next paragraph, a bit scan where tantivy's intersection would seek the main part's postings
/// (decoding a block of them) at every paragraph of the boosts and the boosts' at every match.
/// The main part's scorer is sought only to the paragraphs found, for their exact scores.
struct MarkedBoosts {
    boosts: Box<dyn Scorer>,
    main: MainScore,
    marked: Vec<u64>,
    doc: DocId,
}

/// The main part's score of a marked paragraph.
enum MainScore {
    /// Read from its scorer.
    Scored(Box<dyn Scorer>),
    /// The same for every match (a range's).
    Constant(Score),
}

impl MarkedBoosts {
    fn new(boosts: Box<dyn Scorer>, main: MainScore, marked: Vec<u64>) -> Self {
        let mut found = MarkedBoosts {
            boosts,
            main,
            marked,
            doc: 0,
        };
        found.doc = found.settle(found.boosts.doc());
        found
    }

    /// The first paragraph at or after `doc` (where the boosts' scorer is) that is marked too.
    fn settle(&mut self, mut doc: DocId) -> DocId {
        loop {
            if doc == TERMINATED {
                return TERMINATED;
            }
            let next = next_bit(&self.marked, doc);
            if next == doc || next == TERMINATED {
                return next;
            }
            doc = self.boosts.seek(next);
        }
    }
}

impl DocSet for MarkedBoosts {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            let doc = self.boosts.advance();
            self.doc = self.settle(doc);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            let doc = self.boosts.seek(target);
            self.doc = self.settle(doc);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.boosts.size_hint()
    }
}

impl Scorer for MarkedBoosts {
    fn score(&mut self) -> Score {
        let main = match &mut self.main {
            MainScore::Scored(main) => {
                let at = at_or_after(main.as_mut(), self.doc);
                debug_assert_eq!(at, self.doc, "a marked paragraph matches the main part");
                main.score()
            }
            MainScore::Constant(score) => *score,
        };
        main + self.boosts.score()
    }
}

/// Boosts can add more than the main part itself, so bounding them would leave block-max WAND
/// nothing to skip. Instead the paragraphs they match (few: a title word matches one
/// document's paragraphs) are ranked first with their exact scores, which fills the top hits
/// with high scores; the main part's pass then skips everything below them and every
/// paragraph already ranked.
pub struct Boosted {
    /// The main part and at least one boost, scoring main plus the boosts.
    pub ranked: Box<dyn Weight>,
    /// The boosts alone, scoring, when the main part is a range (a prefix) or the union of
    /// `match=any`: with its matches read into the bitmap of matches, the boosted paragraphs
    /// are those of the boosts marked there (every range match scores the same; a union's
    /// clauses are sought in the boosted paragraphs that can reach the top), and tantivy's
    /// scorer of the main part need not be built again for them.
    pub boosts: Option<Box<dyn Weight>>,
    /// Each boost alone, scoring off: which paragraphs the first pass ranked.
    pub members: Vec<Box<dyn Weight>>,
    /// With a title boost and a bound on the main part: the boosted pass passes over whole
    /// documents that cannot reach the top.
    pub documents: Option<DocumentBounds>,
    /// Each boost alone, scoring, with the most it adds, in the order `boosts` sums them: when
    /// the main part is a range (see `FolioSegmentCollector::rank_boosted_range`).
    pub parts: Vec<(Box<dyn Weight>, Score)>,
}

/// What bounds the score of a document's boosted paragraphs: the title's score, the same for
/// every paragraph of the document (titles are matched once per document), plus the most the
/// main part and the other boosts can add. A document whose bound cannot reach the top is
/// passed over whole, where the intersection would seek the main part's postings and score
/// every one of its paragraphs.
pub struct DocumentBounds {
    /// The title boost alone, scoring.
    pub title: Box<dyn Weight>,
    /// The most the main part and the other boosts can add.
    pub rest: Score,
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
    /// The segment's columns (where its documents start).
    columns: Arc<SegmentColumns>,
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
    /// Source × year table of matching paragraphs, when small enough (see [`Table`]).
    table: Option<Table>,
    /// Theme counts of paragraphs passing the source and year filters, bit-sliced.
    themes: ThemeCounter,
    /// Fast-field values of a block of doc ids (facet keys, theme bits).
    buffers: (Vec<u64>, Vec<u64>),
    /// The segment's facet bitmaps, when it has them.
    bitmaps: Option<Arc<SegmentBitmaps>>,
    /// Matches counted with the bitmaps, one bit each (allocated at the first dense block).
    marked: Vec<u64>,
    /// Whether `marked` holds every match of the main part, and nothing else (read from the
    /// words' bitmaps; a block counted one paragraph at a time is not marked).
    marked_all: bool,
    /// Matches met by the counting pass, before filters (at least; saturating).
    matched: u64,
    /// Corpus order grows with the doc id here and hits are sorted by relevance: a paragraph
    /// that only ties the worst kept hit cannot enter the top hits after it (see
    /// [`Self::may_reach`]).
    ties_lose: bool,
    /// The search's floor when hits are sorted by relevance and not grouped (see [`Floor`]):
    /// its value when this segment started, and where to raise it when it ends.
    floor: Option<(Option<Score>, Arc<Floor>)>,
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
        let columns = segment_columns(spec.columns.as_deref(), reader)?;
        let (year_min, year_max) = (columns.year.min_value(), columns.year.max_value());
        let year_slots = if spec.count_year && year_max >= year_min && year_max - year_min < 100_000
        {
            (year_max - year_min + 1) as usize
        } else {
            0
        };
        let needs_themes = spec.count_theme || spec.theme_mask.is_some();
        let bitmaps = spec
            .bitmaps
            .as_ref()
            .and_then(|b| b.segment(reader.segment_id()));
        let by_score = spec.sort == Sort::Relevance && !spec.group;
        let ties_lose = by_score && bitmaps.as_ref().is_some_and(|b| b.order_increasing());
        let floor = by_score.then(|| (self.floor.get(), self.floor.clone()));
        Ok(FolioSegmentCollector {
            keys: FastU64::new(columns.facet_key.clone()),
            theme_bits: needs_themes.then(|| FastU64::new(columns.theme_bits.clone())),
            order: FastU64::new(columns.order.clone()),
            doc_key: FastU64::new(columns.doc_key.clone()),
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
            table: Table::new(&spec, year_min, year_max),
            themes: ThemeCounter::default(),
            buffers: (vec![0; COUNT_BLOCK], vec![0; COUNT_BLOCK]),
            bitmaps,
            marked: Vec::new(),
            marked_all: false,
            matched: 0,
            ties_lose,
            floor,
            columns,
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

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFound> {
        let mut seg = self.for_segment(segment, reader)?;
        let alive = reader.alive_bitset();
        let is_alive = |doc: DocId| alive.is_none_or(|a| a.is_alive(doc));
        let Ranking::Pruned {
            extras,
            count,
            count_terms,
            boosted,
            count_range,
            any_union,
        } = &self.ranking
        else {
            weight.for_each(reader, &mut |doc, score| {
                if is_alive(doc) {
                    seg.collect(doc, score);
                }
            })?;
            return Ok(seg.harvest());
        };
        // The extras' scorers move forward only: each ranking pass gets its own.
        let bounds = || -> tantivy::Result<Bounds> {
            let mut b = Bounds {
                max_extra: extras.iter().map(|(_, bound)| bound).sum(),
                footnote_max: self.spec.footnote_weight.max(1.0),
                extras: Vec::with_capacity(extras.len()),
            };
            for (w, _) in extras {
                b.extras.push(w.scorer(reader, 1.0)?);
            }
            Ok(b)
        };
        // Boosted paragraphs first, with exact scores: the top hits fill with high scores, and
        // the paragraphs ranked here are skipped below.
        // The boosts' scorers, which tell the passes after it which paragraphs it ranked; they
        // move forward only, so each pass that starts over needs new ones.
        let member_scorers = || -> tantivy::Result<Vec<Box<dyn Scorer>>> {
            boosted
                .iter()
                .flat_map(|b| &b.members)
                .map(|w| w.scorer(reader, 1.0))
                .collect()
        };
        let mut members = Vec::new();
        // With `passing` (few paragraphs pass the facet filters), the boosted paragraphs are
        // sought among those: a title word can match a large part of the corpus.
        // With `union` (the main part is the union of `match=any`, every match marked), they
        // are those of the boosts among the marked paragraphs.
        let mut rank_boosted = |seg: &mut FolioSegmentCollector,
                                passing: Option<&[u64]>,
                                union: Option<&AnyUnion>|
         -> tantivy::Result<()> {
            let Some(boosted) = boosted else {
                return Ok(());
            };
            let mut bounds = bounds()?;
            match (
                union.zip(boosted.boosts.as_ref()),
                &boosted.documents,
                passing,
            ) {
                (Some((union, boosts)), _, _) => {
                    seg.rank_boosted_union(reader, boosts.as_ref(), union, passing, &mut bounds)?
                }
                (None, _, Some(passing)) => seg.rank_filtered(
                    boosted.ranked.as_ref(),
                    reader,
                    passing,
                    &mut bounds,
                    &mut [],
                )?,
                (None, documents, None) if seg.marked_all && boosted.boosts.is_some() => {
                    let boosts = boosted.boosts.as_ref().expect("boosts");
                    match documents {
                        Some(documents) => {
                            let marked = std::mem::take(&mut seg.marked);
                            let mut found = MarkedBoosts::new(
                                boosts.scorer(reader, 1.0)?,
                                MainScore::Scored(weight.scorer(reader, 1.0)?),
                                marked,
                            );
                            let ranked = seg.rank_boosted_documents(
                                reader,
                                &mut found,
                                documents,
                                &mut bounds,
                            );
                            seg.marked = found.marked;
                            ranked?
                        }
                        None => seg.rank_boosted_marked(
                            reader,
                            boosts.as_ref(),
                            MainScore::Scored(weight.scorer(reader, 1.0)?),
                            &mut bounds,
                        )?,
                    }
                }
                (None, Some(documents), None) => seg.rank_boosted_documents(
                    reader,
                    boosted.ranked.scorer(reader, 1.0)?.as_mut(),
                    documents,
                    &mut bounds,
                )?,
                (None, None, None) => {
                    boosted
                        .ranked
                        .for_each_pruning(Score::MIN, reader, &mut |doc, score| {
                            if is_alive(doc) {
                                seg.rank_passing(doc, score, &mut bounds);
                            }
                            seg.threshold(&bounds)
                        })?
                }
            }
            members = member_scorers()?;
            Ok(())
        };
        let Some(count) = count else {
            if let Some(union) = any_union
                && alive.is_none()
                && seg.mark_all(reader, &union.count, &union.terms)?
            {
                if seg.top.k > 0 {
                    let passing = seg.few_passing(reader);
                    rank_boosted(&mut seg, passing.as_deref(), Some(union))?;
                    // Each of the union's passes starts over from the first paragraph.
                    seg.rank_union(reader, union, passing, &bounds, &member_scorers)?;
                }
                return Ok(seg.harvest());
            }
            if let Some(range) = count_range
                && alive.is_none()
                && seg.mark_range(reader, range)?
            {
                if seg.top.k > 0 {
                    if let Some(boosted) = boosted {
                        let mut bounds = bounds()?;
                        match &boosted.boosts {
                            _ if seg.ties_lose
                                && bounds.extras.is_empty()
                                && !boosted.parts.is_empty() =>
                            {
                                seg.rank_boosted_range(reader, &boosted.parts, &mut bounds)?
                            }
                            Some(boosts) => seg.rank_boosted_marked(
                                reader,
                                boosts.as_ref(),
                                MainScore::Constant(RANGE_SCORE),
                                &mut bounds,
                            )?,
                            None => {}
                        }
                    }
                    let mut bounds = bounds()?;
                    seg.rank_marked(RANGE_SCORE, &mut bounds, &member_scorers)?;
                }
                return Ok(seg.harvest());
            }
            // One pass counts every match and ranks those that can still reach the top.
            if seg.top.k > 0 {
                rank_boosted(&mut seg, None, None)?;
            }
            let mut bounds = bounds()?;
            // Matches are taken a block at a time, so that their facet fields are read in
            // batches; each is then counted and ranked in doc order as it would be one by one.
            let mut docs: Vec<DocId> = Vec::with_capacity(COUNT_BLOCK);
            let mut scores: Vec<Score> = Vec::with_capacity(COUNT_BLOCK);
            weight.for_each(reader, &mut |doc, score| {
                if !is_alive(doc) {
                    return;
                }
                docs.push(doc);
                scores.push(score);
                if docs.len() == COUNT_BLOCK {
                    seg.count_and_rank_block(&docs, &scores, &mut bounds, &mut members);
                    docs.clear();
                    scores.clear();
                }
            })?;
            seg.count_and_rank_block(&docs, &scores, &mut bounds, &mut members);
            return Ok(seg.harvest());
        };
        let counted = alive.is_none() && seg.count_terms(reader, count_terms)?;
        if !counted {
            let mut live = Vec::with_capacity(COUNT_BLOCK);
            count.for_each_no_score(reader, &mut |docs| match alive {
                None => seg.count_block(docs),
                Some(a) => {
                    live.clear();
                    live.extend(docs.iter().copied().filter(|d| a.is_alive(*d)));
                    seg.count_block(&live);
                }
            })?;
        }
        if seg.top.k == 0 {
            return Ok(seg.harvest());
        }
        let passing = alive.is_none().then(|| seg.few_passing(reader)).flatten();
        rank_boosted(&mut seg, passing.as_deref(), None)?;
        let mut bounds = bounds()?;
        if let Some(passing) = passing {
            seg.rank_filtered(weight, reader, &passing, &mut bounds, &mut members)?;
            return Ok(seg.harvest());
        }
        let start = seg.threshold(&bounds);
        weight.for_each_pruning(start, reader, &mut |doc, score| {
            if is_alive(doc) && !matches_any(&mut members, doc) {
                seg.rank_passing(doc, score, &mut bounds);
            }
            seg.threshold(&bounds)
        })?;
        Ok(seg.harvest())
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

/// Facet filters leaving one paragraph in this many or fewer drive the ranking (see
/// [`FolioSegmentCollector::few_passing`]).
const FEW_PASSING: u64 = 16;

/// Doc ids per batch of fast-field reads in the counting pass (tantivy's block size).
const COUNT_BLOCK: usize = 64;

/// The score tantivy's range query gives each match (a constant: the query's boost, 1).
const RANGE_SCORE: Score = 1.0;

/// What the pruned ranking needs besides the main score.
struct Bounds {
    /// The most all extras together can add.
    max_extra: Score,
    /// The largest factor a paragraph's kind can multiply its score by.
    footnote_max: Score,
    /// The extras' scorers in this segment, moved forward as candidates come.
    extras: Vec<Box<dyn Scorer>>,
}

/// Whether any of the scorers (moving forward only) matches `doc`.
fn matches_any(scorers: &mut [Box<dyn Scorer>], doc: DocId) -> bool {
    let mut found = false;
    for s in scorers {
        found |= at_or_after(s.as_mut(), doc) == doc;
    }
    found
}

/// Room for float rounding when comparing bounds (sums are added up in different orders).
fn slack(score: Score, max_extra: Score) -> Score {
    (score.abs() + max_extra) * 1e-4 + 1e-6
}

impl FolioSegmentCollector {
    /// A paragraph's packed facet key and theme bits (0 when no theme is needed).
    #[inline]
    fn read(&self, doc: DocId) -> (u64, u64) {
        let bits = match &self.theme_bits {
            Some(column) => column.get(doc),
            None => 0,
        };
        (self.keys.get(doc), bits)
    }

    /// Whether a paragraph passes every facet filter.
    #[inline]
    fn passes(&self, key: u64, bits: u64) -> bool {
        let spec = &self.spec;
        let source = FacetCodes::key_source(key);
        spec.sources
            .as_ref()
            .is_none_or(|sel| sel.get(source).copied().unwrap_or(false))
            && spec.theme_mask.is_none_or(|mask| bits & mask != 0)
            && spec
                .years
                .is_none_or(|r| r.contains(FacetCodes::key_year(key)))
    }

    /// Counts a matching paragraph in the facets it counts towards; whether it passes every
    /// filter (and then counts in the total).
    #[inline]
    fn count(&mut self, key: u64, bits: u64) -> bool {
        // A paragraph outside the table (a year beyond the packed field's range) is counted
        // one facet at a time below.
        if let Some(cell) = self.table.as_ref().and_then(|t| t.cell(key))
            && let Some(table) = &mut self.table
        {
            let t_ok = self.spec.theme_mask.is_none_or(|mask| bits & mask != 0);
            table.counts[cell] += t_ok as u32;
            let sy_ok = table.passes[cell];
            if sy_ok && self.spec.count_theme {
                self.themes.add(bits);
            }
            return sy_ok && t_ok;
        }
        let spec = &self.spec;
        let source = FacetCodes::key_source(key);
        let year = FacetCodes::key_year(key);
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
        let pass = s_ok && t_ok && y_ok;
        self.total += pass as u64;
        pass
    }

    /// Counts a block of scored matches (at most [`COUNT_BLOCK`]) and ranks those that can
    /// still reach the top and are not among the boosted paragraphs already ranked.
    fn count_and_rank_block(
        &mut self,
        docs: &[DocId],
        scores: &[Score],
        bounds: &mut Bounds,
        members: &mut [Box<dyn Scorer>],
    ) {
        if self.mark_dense(docs) {
            // Counted; only paragraphs that could still reach the top have their facet fields
            // read, to check the filters and the kind's weight.
            for (&doc, &score) in docs.iter().zip(scores) {
                if self.may_rank_any_kind(doc, score, bounds) && !matches_any(members, doc) {
                    self.rank_passing(doc, score, bounds);
                }
            }
            return;
        }
        let (mut keys, mut bits) = std::mem::take(&mut self.buffers);
        let n = docs.len();
        self.keys.get_batch(docs, &mut keys[..n]);
        match &self.theme_bits {
            Some(column) => column.get_batch(docs, &mut bits[..n]),
            None => bits[..n].fill(0),
        }
        for i in 0..n {
            let (doc, key, score) = (docs[i], keys[i], scores[i]);
            if self.count(key, bits[i])
                && self.may_rank(doc, key, score, bounds)
                && !matches_any(members, doc)
            {
                self.rank(doc, key, score, bounds);
            }
        }
        self.buffers = (keys, bits);
    }

    /// Counts a block of matching paragraphs, reading their fast fields in batches.
    fn count_block(&mut self, docs: &[DocId]) {
        self.matched = self.matched.saturating_add(docs.len() as u64);
        if self.mark_dense(docs) {
            return;
        }
        // Taken out of `self` while the loop borrows it.
        let (mut keys, mut bits) = std::mem::take(&mut self.buffers);
        let mut outside = Vec::new();
        for chunk in docs.chunks(COUNT_BLOCK) {
            let n = chunk.len();
            self.keys.get_batch(chunk, &mut keys[..n]);
            if let Some(column) = &self.theme_bits {
                column.get_batch(chunk, &mut bits[..n]);
            }
            // The table's loop, written out here: a call per paragraph costs as much as the count.
            if let Some(table) = &mut self.table {
                let mask = self.spec.theme_mask;
                let count_theme = self.spec.count_theme;
                for (key, bits) in keys[..n].iter().zip(&bits[..n]) {
                    let Some(cell) = table.cell(*key) else {
                        outside.push((*key, *bits));
                        continue;
                    };
                    table.counts[cell] += mask.is_none_or(|m| bits & m != 0) as u32;
                    if count_theme && table.passes[cell] {
                        self.themes.add(*bits);
                    }
                }
                for (key, bits) in outside.drain(..) {
                    self.count(key, bits);
                }
            } else {
                for i in 0..n {
                    self.count(keys[i], bits[i]);
                }
            }
        }
        self.buffers = (keys, bits);
    }

    /// Counts a block of matches with the bitmaps if the segment has them and the block is
    /// dense enough (at least one match in 16 paragraphs): sets their bits in `marked`, to be
    /// counted a word at a time at the end. Returns whether it did.
    #[inline]
    fn mark_dense(&mut self, docs: &[DocId]) -> bool {
        let Some(bitmaps) = &self.bitmaps else {
            return false;
        };
        let (Some(&first), Some(&last)) = (docs.first(), docs.last()) else {
            return true;
        };
        if docs.len() < 16 || ((last - first) as usize) > docs.len() * 16 {
            return false;
        }
        if self.marked.is_empty() {
            self.marked = vec![0; bitmaps.words()];
        }
        set_bits(&mut self.marked, docs);
        true
    }

    /// Counts the paragraphs holding every one of `terms` (a segment without deletions) by
    /// reading their postings a block at a time: one term's blocks go straight to
    /// [`Self::count_block`]; several terms that are all common enough to fill a bitmap (one
    /// paragraph in 32) are intersected word by word, which costs less than seeking in each
    /// other's postings. Returns false when neither applies (nothing counted).
    fn count_terms(&mut self, reader: &SegmentReader, terms: &[Term]) -> tantivy::Result<bool> {
        if terms.is_empty() {
            return Ok(false);
        }
        let mut lists = Vec::with_capacity(terms.len());
        for term in terms {
            let inverted = reader.inverted_index(term.field())?;
            match inverted.read_block_postings(term, IndexRecordOption::Basic)? {
                Some(postings) => lists.push(postings),
                // A term missing from the segment: nothing here matches.
                None => return Ok(true),
            }
        }
        if let [postings] = lists.as_mut_slice() {
            match self
                .bitmaps
                .as_ref()
                .and_then(|b| b.term(&terms[0], postings))
            {
                Some(bits) => {
                    self.matched = self.matched.saturating_add(postings.doc_freq().into());
                    self.mark_bitmap(&bits);
                    self.marked_all = true;
                }
                None => for_each_block(postings, |docs| self.count_block(docs)),
            }
            return Ok(true);
        }
        let Some(bitmaps) = &self.bitmaps else {
            return Ok(false);
        };
        let words = bitmaps.words();
        let rarest = lists.iter().map(|p| p.doc_freq()).min().unwrap_or(0);
        if !is_common(rarest, reader.max_doc()) {
            return Ok(false);
        }
        // Every term fills a bitmap: the intersection is taken to be large.
        self.matched = u64::MAX;
        let mut all = vec![!0u64; words];
        let mut one = vec![0u64; words];
        for (term, postings) in terms.iter().zip(&mut lists) {
            let kept = bitmaps.term(term, postings);
            let bits: &[u64] = match &kept {
                Some(bits) => bits,
                None => {
                    one.fill(0);
                    for_each_block(postings, |docs| set_bits(&mut one, docs));
                    &one
                }
            };
            for (a, o) in all.iter_mut().zip(bits) {
                *a &= o;
            }
        }
        self.mark_bitmap(&all);
        self.marked_all = true;
        Ok(true)
    }

    /// Adds the paragraphs of `bits` to the bitmap of matches.
    fn mark_bitmap(&mut self, bits: &[u64]) {
        if self.marked.is_empty() {
            self.marked = bits.to_vec();
        } else {
            for (m, b) in self.marked.iter_mut().zip(bits) {
                *m |= b;
            }
        }
    }

    /// Marks every paragraph holding a term of `range` (a segment without deletions) in the
    /// bitmap of matches. Returns false when the segment has no facet bitmaps (nothing done).
    fn mark_range(&mut self, reader: &SegmentReader, range: &TermRange) -> tantivy::Result<bool> {
        let Some(bitmaps) = self.bitmaps.clone() else {
            return Ok(false);
        };
        if self.marked.is_empty() {
            self.marked = vec![0; bitmaps.words()];
        }
        let inverted = reader.inverted_index(range.field)?;
        let terms = inverted.terms().range().ge(range.from.as_bytes());
        let mut stream = match &range.before {
            Some(before) => terms.lt(before),
            None => terms,
        }
        .into_stream()?;
        while stream.advance() {
            let postings = inverted
                .read_block_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)?;
            self.mark_term(&bitmaps, postings, reader.max_doc(), || {
                Term::from_field_bytes(range.field, stream.key())
            });
        }
        Ok(true)
    }

    /// Marks the paragraphs of a term's `postings`: from the term's kept bitmap when it is
    /// common (made now if there is room), else block by block. `term` is made only for a
    /// common one: most of a range's terms are rare.
    fn mark_term(
        &mut self,
        bitmaps: &SegmentBitmaps,
        mut postings: BlockSegmentPostings,
        max_doc: DocId,
        term: impl FnOnce() -> Term,
    ) {
        if is_common(postings.doc_freq(), max_doc)
            && let Some(bits) = bitmaps.term(&term(), &mut postings)
        {
            self.matched = self.matched.saturating_add(postings.doc_freq().into());
            self.mark_bitmap(&bits);
            return;
        }
        for_each_block(&mut postings, |docs| {
            self.matched = self.matched.saturating_add(docs.len() as u64);
            set_bits(&mut self.marked, docs);
        });
    }

    /// Marks every match of each of `weights` (scoring off; a segment without deletions) in the
    /// bitmap of matches; a weight that is one term of `terms` (its match for match) is marked
    /// from the term's postings or, when common, its kept bitmap. Returns false when the
    /// segment has no facet bitmaps (nothing done).
    fn mark_all(
        &mut self,
        reader: &SegmentReader,
        weights: &[Box<dyn Weight>],
        terms: &[Option<Term>],
    ) -> tantivy::Result<bool> {
        let Some(bitmaps) = self.bitmaps.clone() else {
            return Ok(false);
        };
        if self.marked.is_empty() {
            self.marked = vec![0; bitmaps.words()];
        }
        for (i, weight) in weights.iter().enumerate() {
            if let Some(Some(term)) = terms.get(i) {
                let inverted = reader.inverted_index(term.field())?;
                if let Some(info) = inverted.get_term_info(term)? {
                    let postings = inverted
                        .read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
                    self.mark_term(&bitmaps, postings, reader.max_doc(), || term.clone());
                }
                continue;
            }
            let (marked, matched) = (&mut self.marked, &mut self.matched);
            weight.for_each_no_score(reader, &mut |docs| {
                *matched = matched.saturating_add(docs.len() as u64);
                set_bits(marked, docs);
            })?;
        }
        Ok(true)
    }

    /// The paragraphs the facet filters leave (one bit each), when they are few: one in
    /// [`FEW_PASSING`] or fewer. Ranking then goes over them and seeks the query in each:
    /// ranking the query's matches would spend most of its time on paragraphs the filters
    /// refuse, and its threshold rises only with paragraphs they let through.
    fn few_passing(&self, reader: &SegmentReader) -> Option<Vec<u64>> {
        let bitmaps = self.bitmaps.as_ref()?;
        // Finding the passing paragraphs reads a word per 64 paragraphs: fewer matches than
        // that cost less to rank as they come.
        if self.matched < bitmaps.words() as u64 {
            return None;
        }
        let (bits, n) = bitmaps.passing(&self.spec)?;
        (n * FEW_PASSING <= u64::from(reader.max_doc())).then_some(bits)
    }

    /// Ranks the paragraphs of `passing` that `weight` matches, seeking its scorer from one to
    /// the next.
    fn rank_filtered(
        &mut self,
        weight: &dyn Weight,
        reader: &SegmentReader,
        passing: &[u64],
        bounds: &mut Bounds,
        members: &mut [Box<dyn Scorer>],
    ) -> tantivy::Result<()> {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let mut doc = next_bit(passing, 0);
        while doc != TERMINATED {
            let at = at_or_after(scorer.as_mut(), doc);
            if at == TERMINATED {
                break;
            }
            if at != doc {
                doc = next_bit(passing, at);
                continue;
            }
            let score = scorer.score();
            if self.may_rank_any_kind(doc, score, bounds) && !matches_any(members, doc) {
                self.rank_passing(doc, score, bounds);
            }
            doc = next_bit(passing, doc + 1);
        }
        Ok(())
    }

    /// Ranks the union of `match=any`'s clauses. First the paragraphs holding any clause but
    /// the most common term, by MaxScore: clauses sorted by the most they can score, those
    /// whose bounds together (with the common term's) stay under the threshold cannot bring a
    /// paragraph into the top alone, so candidates come from the others, and the first ones
    /// and the common term are sought only while the paragraph can still get in. Then the
    /// paragraphs holding the common term alone: they score its score plus its bonus, which
    /// tantivy's block-max WAND ranks, skipping the blocks of postings that cannot get in.
    /// With `passing` (few paragraphs pass the facet filters, see [`Self::few_passing`]), the
    /// passing matches are ranked one by one instead.
    fn rank_union(
        &mut self,
        reader: &SegmentReader,
        any: &AnyUnion,
        passing: Option<Vec<u64>>,
        new_bounds: &dyn Fn() -> tantivy::Result<Bounds>,
        new_members: &dyn Fn() -> tantivy::Result<Vec<Box<dyn Scorer>>>,
    ) -> tantivy::Result<()> {
        let mut bounds = new_bounds()?;
        let mut members = new_members()?;
        if let Some(mut passing) = passing {
            // Every match is marked: the candidates are exactly the passing matches.
            for (p, m) in passing.iter_mut().zip(&self.marked) {
                *p &= m;
            }
            let mut clauses = Vec::with_capacity(any.rank.len());
            for (weight, bonus, _) in &any.rank {
                clauses.push((weight.scorer(reader, 1.0)?, *bonus));
            }
            let mut doc = next_bit(&passing, 0);
            while doc != TERMINATED {
                let score = union_score(&mut clauses, doc);
                if !matches_any(&mut members, doc) {
                    self.rank_passing(doc, score, &mut bounds);
                }
                doc = next_bit(&passing, doc + 1);
            }
            return Ok(());
        }
        // Paragraphs holding two or more held clauses are ranked here, and skipped below.
        if let Some(held) = &any.held {
            let mut size = held.clauses.len();
            for set in &held.sets {
                if set.clauses.len() < size {
                    // Every paragraph holding more clauses than this set is ranked.
                    size = set.clauses.len();
                    if held.most[size] < self.threshold(&bounds) {
                        return Ok(());
                    }
                }
                // Each pass starts over: new scorers of the extras, the boosts and the held
                // clauses outside the set (scoring off), whose paragraphs a larger set ranked.
                let mut bounds = new_bounds()?;
                let mut members = new_members()?;
                let mut outside = Vec::new();
                for i in &held.clauses {
                    if !set.clauses.contains(i) {
                        outside.push(any.count[*i].scorer(reader, 1.0)?);
                    }
                }
                // The set's clauses scoring, to add up a paragraph's score as the union does.
                let mut clauses = Vec::with_capacity(set.clauses.len());
                for i in &set.clauses {
                    let (weight, bonus, _) = &any.rank[*i];
                    clauses.push((weight.scorer(reader, 1.0)?, *bonus));
                }
                let start = self.threshold(&bounds) - set.bonus;
                set.weight.for_each_pruning(start, reader, &mut |doc, _| {
                    if !matches_any(&mut outside, doc) && !matches_any(&mut members, doc) {
                        let score = union_score(&mut clauses, doc);
                        self.rank_passing(doc, score, &mut bounds);
                    }
                    self.threshold(&bounds) - set.bonus
                })?;
            }
            if held.most[1] < self.threshold(&bounds) {
                return Ok(());
            }
        }
        let mut union: Vec<UnionClause> = Vec::with_capacity(any.rank.len());
        let mut common = None;
        for (i, (weight, bonus, bound)) in any.rank.iter().enumerate() {
            let clause = UnionClause {
                scorer: weight.scorer(reader, 1.0)?,
                bonus: *bonus,
                bound: *bound,
                held: any.held.as_ref().is_some_and(|h| h.clauses.contains(&i)),
                index: i,
            };
            if any.common == Some(i) {
                common = Some(clause);
            } else {
                union.push(clause);
            }
        }
        union.sort_by(|a, b| a.bound.total_cmp(&b.bound));
        let common_most = common.as_ref().map_or(0.0, |c| c.bound);
        // `below[i]`: the most the first `i` clauses and the common term can score together.
        let mut below = Vec::with_capacity(union.len() + 1);
        below.push(common_most);
        for c in &union {
            below.push(below.last().copied().unwrap_or(0.0) + c.bound);
        }
        let n = union.len();
        let mut parts = Parts::new(any.rank.len());
        loop {
            let threshold = self.threshold(&bounds);
            let mut first = 0;
            while first < n && below[first + 1] < threshold {
                first += 1;
            }
            let Some(doc) = union[first..].iter().map(|c| c.scorer.doc()).min() else {
                break;
            };
            if doc == TERMINATED {
                break;
            }
            // The running sum decides what to read; the score ranked is the parts' sum.
            let mut score = 0.0;
            parts.clear();
            for c in &mut union[first..] {
                if c.scorer.doc() == doc {
                    score += parts.add(c);
                }
            }
            let mut possible = true;
            for i in (0..first).rev() {
                if score + below[i + 1] < threshold {
                    possible = false;
                    break;
                }
                let c = &mut union[i];
                if c.holds(doc) {
                    score += parts.add(c);
                }
            }
            if let Some(c) = common.as_mut()
                && possible
            {
                if score + common_most < threshold {
                    possible = false;
                } else if c.holds(doc) {
                    parts.add(c);
                }
            }
            // Ranked with an intersection above.
            let ranked = any.held.is_some() && parts.held >= 2;
            if possible && !ranked && !matches_any(&mut members, doc) {
                self.rank_passing(doc, parts.sum(), &mut bounds);
            }
            for c in &mut union[first..] {
                if c.scorer.doc() == doc {
                    c.scorer.advance();
                }
            }
        }
        let Some(c) = any.common else {
            return Ok(());
        };
        let (weight, bonus, _) = &any.rank[c];
        // The extras' and boosts' scorers move forward only: this pass starts over.
        let mut bounds = new_bounds()?;
        let mut members = new_members()?;
        // The other clauses, scoring off: which paragraphs the first part ranked.
        let mut others = Vec::with_capacity(any.count.len());
        for (i, w) in any.count.iter().enumerate() {
            if i != c {
                others.push(w.scorer(reader, 1.0)?);
            }
        }
        let start = self.threshold(&bounds) - bonus;
        weight.for_each_pruning(start, reader, &mut |doc, score| {
            if !matches_any(&mut others, doc) && !matches_any(&mut members, doc) {
                self.rank_passing(doc, bonus + score, &mut bounds);
            }
            self.threshold(&bounds) - bonus
        })
    }

    /// The boosted pass document by document (see [`DocumentBounds`]): a document whose title
    /// score and `documents.rest` cannot pass the threshold is passed over whole.
    fn rank_boosted_documents<S: Scorer + ?Sized>(
        &mut self,
        reader: &SegmentReader,
        scorer: &mut S,
        documents: &DocumentBounds,
        bounds: &mut Bounds,
    ) -> tantivy::Result<()> {
        let alive = reader.alive_bitset();
        let mut title = documents.title.scorer(reader, 1.0)?;
        let columns = self.columns.clone();
        let starts = &columns.starts;
        // The end of the current document and the most its paragraphs can score.
        let (mut end, mut best) = (0, Score::MAX);
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if doc >= end {
                end = starts.end_of(doc);
                let in_title = title.doc() == doc || (title.doc() < doc && title.seek(doc) == doc);
                best = documents.rest + if in_title { title.score() } else { 0.0 };
            }
            let threshold = self.threshold(bounds);
            if best < threshold {
                // Not this document; and when the rest alone cannot enter either, only a
                // document whose title lifts it enough can: found on the title's matches, one
                // per document, without reading the main part's postings in between.
                let mut next = end;
                if documents.rest < threshold {
                    next = if title.doc() < end {
                        title.seek(end)
                    } else {
                        title.doc()
                    };
                    while next != TERMINATED && documents.rest + title.score() < threshold {
                        next = title.seek(starts.end_of(next));
                    }
                }
                if next >= reader.max_doc() {
                    break;
                }
                doc = scorer.seek(next);
                continue;
            }
            if alive.is_none_or(|a| a.is_alive(doc)) {
                let score = scorer.score();
                self.rank_passing(doc, score, bounds);
            }
            doc = scorer.advance();
        }
        Ok(())
    }

    /// Ranks the paragraphs `boosts` matches among those marked in the bitmap of matches, each
    /// scoring the main part's score there plus the boosts.
    fn rank_boosted_marked(
        &mut self,
        reader: &SegmentReader,
        boosts: &dyn Weight,
        main: MainScore,
        bounds: &mut Bounds,
    ) -> tantivy::Result<()> {
        let marked = std::mem::take(&mut self.marked);
        let mut found = MarkedBoosts::new(boosts.scorer(reader, 1.0)?, main, marked);
        let mut doc = found.doc();
        while doc != TERMINATED {
            let score = found.score();
            self.rank_passing(doc, score, bounds);
            doc = found.advance();
        }
        self.marked = found.marked;
        Ok(())
    }

    /// Ranks the boosted paragraphs of a range (every match marked, scoring [`RANGE_SCORE`])
    /// with each boost's scorer apart. A tie loses to the paragraph before it, so once the top
    /// hits are full, a paragraph enters only with more than the worst of them: a boost without
    /// which the others cannot get there is required, and the paragraphs are then sought
    /// where every required boost is (a prefix in many titles boosts every paragraph of those
    /// documents; once the top hits hold ten of them, only a paragraph whose section holds the
    /// prefix too can enter). Scores are summed in the order the boosts' union sums them.
    fn rank_boosted_range(
        &mut self,
        reader: &SegmentReader,
        parts: &[(Box<dyn Weight>, Score)],
        bounds: &mut Bounds,
    ) -> tantivy::Result<()> {
        // Each boost's scorer with no bonus: `union_score` sums them as the boosts' union does.
        let mut scorers = Vec::with_capacity(parts.len());
        for (weight, _) in parts {
            scorers.push((weight.scorer(reader, 1.0)?, 0.0));
        }
        let total: Score = parts.iter().map(|(_, bound)| bound).sum();
        let marked = std::mem::take(&mut self.marked);
        let mut required = Vec::with_capacity(scorers.len());
        let mut doc: DocId = 0;
        while doc < reader.max_doc() {
            if !self.may_rank_any_kind(doc, RANGE_SCORE + total, bounds) {
                break;
            }
            required.clear();
            required.extend((0..parts.len()).filter(|&i| {
                !self.may_rank_any_kind(doc, RANGE_SCORE + total - parts[i].1, bounds)
            }));
            let found = if required.is_empty() {
                // The first paragraph of any boost.
                let mut first = TERMINATED;
                for (s, _) in &mut scorers {
                    first = first.min(at_or_after(s.as_mut(), doc));
                }
                first
            } else {
                // The first paragraph of every required boost.
                let mut target = doc;
                'agree: loop {
                    for &i in &required {
                        let at = at_or_after(scorers[i].0.as_mut(), target);
                        if at > target {
                            target = at;
                            continue 'agree;
                        }
                    }
                    break target;
                }
            };
            if found == TERMINATED {
                break;
            }
            let next = next_bit(&marked, found);
            if next != found {
                doc = next;
                continue;
            }
            let boost = union_score(&mut scorers, found);
            self.rank_passing(found, RANGE_SCORE + boost, bounds);
            doc = found + 1;
        }
        self.marked = marked;
        Ok(())
    }

    /// Ranks the paragraphs `boosts` matches among those marked in the bitmap of matches (every
    /// match of the union `any`) and in `passing` if given, each scoring its clauses plus the
    /// boosts. Only a paragraph whose boosts and the most the clauses can score together reach
    /// the top has its clauses sought; where the intersection of the union and the boosts would
    /// score the union's every paragraph (tantivy's union scores a window of paragraphs at a
    /// time).
    fn rank_boosted_union(
        &mut self,
        reader: &SegmentReader,
        boosts: &dyn Weight,
        any: &AnyUnion,
        passing: Option<&[u64]>,
        bounds: &mut Bounds,
    ) -> tantivy::Result<()> {
        let mut scorer = boosts.scorer(reader, 1.0)?;
        let mut clauses = Vec::with_capacity(any.rank.len());
        for (weight, bonus, _) in &any.rank {
            clauses.push((weight.scorer(reader, 1.0)?, *bonus));
        }
        let most: Score = any.rank.iter().map(|(_, _, bound)| bound).sum();
        let marked = std::mem::take(&mut self.marked);
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            let w = (doc / 64) as usize;
            let mut word = marked.get(w).copied().unwrap_or(0);
            if let Some(passing) = passing {
                word &= passing.get(w).copied().unwrap_or(0);
            }
            if word >> (doc % 64) & 1 == 1 {
                let boost = scorer.score();
                if self.may_rank_any_kind(doc, boost + most, bounds) {
                    let score = union_score(&mut clauses, doc) + boost;
                    self.rank_passing(doc, score, bounds);
                }
            }
            doc = scorer.advance();
        }
        self.marked = marked;
        Ok(())
    }

    /// Ranks the paragraphs marked in the bitmap of matches, in doc order, all with the same
    /// main score; stops at the first that cannot enter when no later one can either.
    fn rank_marked(
        &mut self,
        main: Score,
        bounds: &mut Bounds,
        member_scorers: &dyn Fn() -> tantivy::Result<Vec<Box<dyn Scorer>>>,
    ) -> tantivy::Result<()> {
        // Exact scores and ties lost to earlier paragraphs: what fails now fails from here on.
        let stop_at_first_miss = self.ties_lose && bounds.extras.is_empty();
        // The boosts' scorers (which paragraphs the boosted pass ranked), made at the first
        // paragraph that could still enter: a range's scorer reads every term of the range
        // into a bitset, and once the boosted paragraphs fill the top hits, none is needed.
        let mut members: Option<Vec<Box<dyn Scorer>>> = None;
        let marked = std::mem::take(&mut self.marked);
        'words: for (w, &word) in marked.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let doc = (w * 64) as DocId + bits.trailing_zeros();
                bits &= bits - 1;
                if !self.may_rank_any_kind(doc, main, bounds) {
                    if stop_at_first_miss {
                        break 'words;
                    }
                    continue;
                }
                let members = match &mut members {
                    Some(m) => m,
                    None => members.insert(member_scorers()?),
                };
                if !matches_any(members, doc) {
                    self.rank_passing(doc, main, bounds);
                }
            }
        }
        self.marked = marked;
        Ok(())
    }

    /// Whether a paragraph with this main score could reach the top hits whatever its kind.
    #[inline]
    fn may_rank_any_kind(&self, doc: DocId, main: Score, bounds: &Bounds) -> bool {
        let most = main + bounds.max_extra;
        self.may_reach(doc, most.max(most * self.spec.footnote_weight), bounds)
    }

    /// Whether paragraph `doc`, whose score is at most `best_possible`, could reach the top hits.
    ///
    /// With extras, the bound leaves room for rounding. Without, a paragraph's score is its main
    /// score times its kind's weight, computed as the bound computes it, so the comparison can be
    /// exact; and where ties go to the paragraph met first ([`Self::ties_lose`]), one that only
    /// ties the worst kept hit and comes after it cannot enter. This spares a match-everything
    /// query of constant score (a prefix, an alternative) reading and offering each of its
    /// paragraphs once the top hits are full.
    #[inline]
    fn may_reach(&self, doc: DocId, best_possible: Score, bounds: &Bounds) -> bool {
        if self.ties_lose && bounds.extras.is_empty() {
            if self
                .floor_score()
                .is_some_and(|floor| best_possible < floor)
            {
                return false;
            }
            return self.top.worst().is_none_or(|worst| {
                best_possible > worst.score
                    || (best_possible == worst.score && doc < worst.address.doc_id)
            });
        }
        self.worst_kept()
            .is_none_or(|worst| best_possible + slack(worst, bounds.max_extra) >= worst)
    }

    /// Adds the counts of the paragraphs marked in `marked`.
    fn harvest_marked(&mut self) {
        let Some(bitmaps) = self.bitmaps.take() else {
            return;
        };
        if self.marked.is_empty() {
            return;
        }
        let counts = bitmaps.count(&self.marked, &self.spec);
        self.total += counts.total;
        for (slot, n) in self.source_counts.iter_mut().zip(&counts.sources) {
            *slot += n;
        }
        for (slot, n) in self.theme_counts.iter_mut().zip(&counts.themes) {
            *slot += n;
        }
        for (i, n) in counts.years.iter().enumerate() {
            let year = counts.year_min + i as u64;
            if let Some(slot) = year
                .checked_sub(self.year_min)
                .and_then(|i| self.year_counts.get_mut(i as usize))
            {
                *slot += n;
            }
        }
    }

    /// The score with the paragraph's kind taken into account.
    #[inline]
    fn weighted(&self, key: u64, score: Score) -> Score {
        if FacetCodes::key_kind(key) == FacetCodes::FOOTNOTE {
            score * self.spec.footnote_weight
        } else {
            score
        }
    }

    /// Offers a paragraph passing the filters, with its complete score, to the best hits.
    fn offer(&mut self, doc: DocId, key: u64, score: Score) {
        let year = FacetCodes::key_year(key);
        let primary = match self.spec.sort {
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

    /// The smallest score the top hits still take, if they are full, or the search's floor if
    /// higher: a paragraph must at least tie it to enter.
    fn worst_kept(&self) -> Option<Score> {
        let local = self.top.worst().map(|w| w.score);
        match (local, self.floor_score()) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// The search's floor as this segment started, if it uses one.
    #[inline]
    fn floor_score(&self) -> Option<Score> {
        self.floor.as_ref().and_then(|(floor, _)| *floor)
    }

    /// Whether a paragraph with this main score could still reach the top hits.
    #[inline]
    fn may_rank(&self, doc: DocId, key: u64, main: Score, bounds: &Bounds) -> bool {
        self.may_reach(doc, self.weighted(key, main + bounds.max_extra), bounds)
    }

    /// Ranks a paragraph passing the filters, given its main score: the extras are scored only
    /// when the paragraph could reach the top with the most they can add.
    fn rank(&mut self, doc: DocId, key: u64, main: Score, bounds: &mut Bounds) {
        if !self.may_rank(doc, key, main, bounds) {
            return;
        }
        let mut score = main;
        for scorer in &mut bounds.extras {
            if at_or_after(scorer.as_mut(), doc) == doc {
                score += scorer.score();
            }
        }
        let score = self.weighted(key, score);
        self.offer(doc, key, score);
    }

    /// Ranks a paragraph if it passes the filters (the counting pass has counted it already).
    fn rank_passing(&mut self, doc: DocId, main: Score, bounds: &mut Bounds) {
        let key = self.keys.get(doc);
        let bits = match (&self.theme_bits, self.spec.theme_mask) {
            (Some(column), Some(_)) => column.get(doc),
            _ => 0,
        };
        if self.passes(key, bits) {
            self.rank(doc, key, main, bounds);
        }
    }

    /// The main score below which no paragraph can reach the top hits any more.
    fn threshold(&self, bounds: &Bounds) -> Score {
        match self.worst_kept() {
            None => Score::MIN,
            Some(worst) => {
                worst / bounds.footnote_max - bounds.max_extra - slack(worst, bounds.max_extra)
            }
        }
    }
}

impl SegmentCollector for FolioSegmentCollector {
    type Fruit = SegmentFound;

    fn collect(&mut self, doc: DocId, score: Score) {
        let (key, bits) = self.read(doc);
        if self.count(key, bits) {
            let score = self.weighted(key, score);
            self.offer(doc, key, score);
        }
    }

    fn harvest(mut self) -> SegmentFound {
        if let (Some((_, shared)), Some(worst)) = (&self.floor, self.top.worst()) {
            shared.raise(worst.score);
        }
        self.harvest_marked();
        if let Some(table) = self.table.take() {
            table.harvest(&mut self);
        }
        let mut theme_counts = self.theme_counts;
        for (total, n) in theme_counts.iter_mut().zip(self.themes.finish()) {
            *total += n;
        }
        SegmentFound {
            total: self.total,
            top: self.top.heap.into_iter().map(|w| w.0).collect(),
            groups: self.groups,
            source_counts: self.source_counts,
            theme_counts,
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

/// Matching paragraphs counted by (source, year) in one small table, instead of three facet
/// counters and three filter tests per paragraph: source and year counts and the total are
/// sums over its rows and columns, taken once per segment. Paragraphs failing the theme filter
/// are left out of it (every use of the table needs the theme filter passed).
struct Table {
    /// Years in the segment (the table's width).
    years: usize,
    year_min: u64,
    /// Paragraphs passing the theme filter, by `source * years + (year - year_min)`.
    counts: Vec<u32>,
    /// Whether a cell passes the source and year filters.
    passes: Vec<bool>,
}

impl Table {
    /// Cells at most: the table stays in the first-level cache.
    const MAX_CELLS: usize = 1 << 14;

    fn new(spec: &CollectSpec, year_min: u64, year_max: u64) -> Option<Table> {
        let sources = spec.codes.sources.len();
        let years = usize::try_from(year_max.checked_sub(year_min)?.checked_add(1)?).ok()?;
        let cells = sources.checked_mul(years)?;
        if cells == 0 || cells > Table::MAX_CELLS {
            return None;
        }
        let mut passes = Vec::with_capacity(cells);
        for source in 0..sources {
            let s_ok = spec
                .sources
                .as_ref()
                .is_none_or(|sel| sel.get(source).copied().unwrap_or(false));
            for y in 0..years {
                let y_ok = spec.years.is_none_or(|r| r.contains(year_min + y as u64));
                passes.push(s_ok && y_ok);
            }
        }
        Some(Table {
            years,
            year_min,
            counts: vec![0; cells],
            passes,
        })
    }

    #[inline]
    fn cell(&self, key: u64) -> Option<usize> {
        let year = FacetCodes::key_year(key).wrapping_sub(self.year_min) as usize;
        if year >= self.years {
            return None;
        }
        let cell = FacetCodes::key_source(key)
            .checked_mul(self.years)?
            .checked_add(year)?;
        (cell < self.counts.len()).then_some(cell)
    }

    /// Adds the table's sums to the collector's source and year counts and total.
    fn harvest(self, c: &mut FolioSegmentCollector) {
        let spec = &c.spec;
        for (cell, n) in self.counts.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let n = u64::from(*n);
            let (source, y) = (cell / self.years, cell % self.years);
            let year = self.year_min + y as u64;
            let s_ok = spec
                .sources
                .as_ref()
                .is_none_or(|sel| sel.get(source).copied().unwrap_or(false));
            let y_ok = spec.years.is_none_or(|r| r.contains(year));
            if spec.count_source
                && y_ok
                && let Some(slot) = c.source_counts.get_mut(source)
            {
                *slot += n;
            }
            if spec.count_year
                && s_ok
                && let Some(slot) = year
                    .checked_sub(c.year_min)
                    .and_then(|i| c.year_counts.get_mut(i as usize))
            {
                *slot += n;
            }
            if s_ok && y_ok {
                c.total += n;
            }
        }
    }
}

/// Counts how often each of 64 bits is set over many words, eight bits at a time: each word
/// adds one to eight byte-wide counters per shift, and the bytes are emptied into the totals
/// before they can overflow. No branch per set bit, so the cost per paragraph is constant.
struct ThemeCounter {
    lanes: [u64; 8],
    pending: u32,
    totals: [u64; 64],
}

impl Default for ThemeCounter {
    fn default() -> Self {
        ThemeCounter {
            lanes: [0; 8],
            pending: 0,
            totals: [0; 64],
        }
    }
}

impl ThemeCounter {
    const LOW_BITS: u64 = 0x0101_0101_0101_0101;

    #[inline]
    fn add(&mut self, bits: u64) {
        if bits == 0 {
            return;
        }
        for (shift, lane) in self.lanes.iter_mut().enumerate() {
            *lane += (bits >> shift) & ThemeCounter::LOW_BITS;
        }
        self.pending += 1;
        if self.pending == 255 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        for (shift, lane) in self.lanes.iter_mut().enumerate() {
            for byte in 0..8 {
                self.totals[8 * byte + shift] += (*lane >> (8 * byte)) & 0xff;
            }
            *lane = 0;
        }
        self.pending = 0;
    }

    fn finish(mut self) -> [u64; 64] {
        self.flush();
        self.totals
    }
}

#[cfg(test)]
mod tests {
    use super::ThemeCounter;

    /// The bit-sliced counter agrees with counting set bits one by one, across the flushes
    /// every 255 words (a byte lane would overflow at 256).
    #[test]
    fn theme_counter_counts_every_bit() {
        let mut counter = ThemeCounter::default();
        let mut expected = [0u64; 64];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..2_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Sparse words like real theme sets, some all-ones and some empty.
            let word = match i % 97 {
                0 => u64::MAX,
                1 => 0,
                _ => x & (x >> 3) & (x >> 5),
            };
            counter.add(word);
            for (bit, n) in expected.iter_mut().enumerate() {
                *n += (word >> bit) & 1;
            }
        }
        assert_eq!(counter.finish(), expected);
    }
}
