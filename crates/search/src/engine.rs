//! The engine: an open index and everything needed to answer searches on it.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::time::Instant;

use arc_swap::ArcSwapOption;
use folio_text::Analyzer;
use tantivy::collector::DocSetCollector;
use tantivy::query::{
    Bm25StatisticsProvider, Bm25Weight, BooleanQuery, ConstScoreQuery, EnableScoring, Occur, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::document::{
    DeserializeError, DocumentDeserialize, DocumentDeserializer, ValueDeserialize,
    ValueDeserializer, ValueVisitor,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Executor, Index, IndexReader, ReloadPolicy, Searcher, Term};

use crate::bitmaps::FacetBitmaps;
use crate::collector::{
    AnyUnion, Boosted, ClauseSet, CollectSpec, DocumentBounds, FolioCollector, Found, HeldClauses,
    Ranking,
};
use crate::columns::FastColumns;
use crate::error::{Result, SearchError};
use crate::filter::FilterExpr;
use crate::highlight::{MarkOptions, mark};
use crate::model::*;
use crate::query::{
    AnyOfQuery, Compiled, Compiler, Concept, MatchSpec, Synonyms, Target, analyze,
    any_clause_bonus, parse, relaxable,
};
use crate::schema::{FacetCodes, Fields, build_schema};
use crate::stats::SearchStats;
use crate::store::{CurrentBuild, IndexStore};

/// What an engine needs besides the index.
#[derive(Clone, Debug, Default)]
pub struct EngineOptions {
    pub config: SearchConfig,
    pub synonyms: Synonyms,
    /// The theme taxonomy's labels, for `/facets` and validation of theme filters.
    pub themes: Vec<ThemeInfo>,
}

/// An open index, ready to answer.
pub struct Engine {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzer: Analyzer,
    options: EngineOptions,
    build: Option<CurrentBuild>,
    /// Lowercased source → the source as indexed, so filters ignore case.
    sources: HashMap<String, String>,
    /// What the numbers of the packed facet fields stand for.
    codes: Arc<FacetCodes>,
    /// Bitmaps of the facet values per segment, for counting large match sets.
    bitmaps: Arc<FacetBitmaps>,
    columns: Arc<FastColumns>,
    known_themes: HashSet<String>,
    documents: u64,
    /// Searches running now.
    in_flight: AtomicUsize,
}

/// One running search, counted in [`Engine::in_flight`] until dropped.
struct InFlight<'a> {
    counter: &'a AtomicUsize,
    /// Other searches running when this one started.
    others: usize,
}

impl<'a> InFlight<'a> {
    fn enter(counter: &'a AtomicUsize) -> InFlight<'a> {
        let others = counter.fetch_add(1, AtomicOrdering::Relaxed);
        InFlight { counter, others }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, AtomicOrdering::Relaxed);
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("build", &self.build.as_ref().map(|b| &b.name))
            .field("documents", &self.documents)
            .finish()
    }
}

/// A stored paragraph, read back as the store holds its values: a hit takes its strings out
/// rather than copying them, and no document is built in between (tantivy's document copies
/// each string it reads into its own buffer). A search reads ten of these.
#[derive(Clone)]
struct Stored {
    values: Vec<(Field, StoredValue)>,
}

/// folio stores text and unsigned numbers only ([`crate::schema`]).
#[derive(Clone)]
enum StoredValue {
    Str(String),
    U64(u64),
}

impl DocumentDeserialize for Stored {
    fn deserialize<'de, D: DocumentDeserializer<'de>>(
        mut fields: D,
    ) -> std::result::Result<Self, DeserializeError> {
        let mut values = Vec::with_capacity(fields.size_hint());
        while let Some(value) = fields.next_field::<StoredValue>()? {
            values.push(value);
        }
        Ok(Stored { values })
    }
}

impl ValueDeserialize for StoredValue {
    fn deserialize<'de, D: ValueDeserializer<'de>>(
        value: D,
    ) -> std::result::Result<Self, DeserializeError> {
        struct Visitor;
        impl ValueVisitor for Visitor {
            type Value = StoredValue;
            fn visit_string(
                &self,
                s: String,
            ) -> std::result::Result<StoredValue, DeserializeError> {
                Ok(StoredValue::Str(s))
            }
            fn visit_u64(&self, n: u64) -> std::result::Result<StoredValue, DeserializeError> {
                Ok(StoredValue::U64(n))
            }
        }
        value.deserialize_any(Visitor)
    }
}

impl Stored {
    /// The field's texts, in the order stored.
    fn texts(&mut self, field: Field) -> impl Iterator<Item = &mut String> {
        self.values.iter_mut().filter_map(move |(f, v)| match v {
            StoredValue::Str(s) if *f == field => Some(s),
            _ => None,
        })
    }

    /// The field's first text, taken out (empty when it has none).
    fn string(&mut self, field: Field) -> String {
        self.texts(field)
            .next()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// The field's first text, taken out, unless it has none or it is empty.
    fn opt(&mut self, field: Field) -> Option<String> {
        Some(self.string(field)).filter(|s| !s.is_empty())
    }

    /// All the field's texts, taken out.
    fn all(&mut self, field: Field) -> Vec<String> {
        self.texts(field).map(std::mem::take).collect()
    }

    fn u64(&self, field: Field) -> u64 {
        self.values
            .iter()
            .find_map(|(f, v)| match v {
                StoredValue::U64(n) if *f == field => Some(*n),
                _ => None,
            })
            .unwrap_or_default()
    }
}

impl Engine {
    /// Opens the index in `path` (a build folder).
    pub fn open(path: &Path, options: EngineOptions) -> Result<Engine> {
        Engine::open_build(path, None, options)
    }

    /// Opens the current build of a store.
    pub fn open_current(store: &IndexStore, options: EngineOptions) -> Result<Engine> {
        let build = store
            .current()?
            .ok_or_else(|| SearchError::NoIndex(store.root().to_path_buf()))?;
        let path = build.path.clone();
        Engine::open_build(&path, Some(build), options)
    }

    fn open_build(
        path: &Path,
        build: Option<CurrentBuild>,
        options: EngineOptions,
    ) -> Result<Engine> {
        let mut index = Index::open_in_dir(path)
            .map_err(|e| SearchError::CorruptIndex(format!("{}: {e}", path.display())))?;
        let threads = match options.config.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        if threads > 1 {
            index.set_multithread_executor(threads)?;
        }
        let analyzer = Analyzer::new();
        crate::analyzer::register(&index, &analyzer);
        let (expected, fields) = build_schema();
        let actual = index.schema();
        for (_, entry) in expected.fields() {
            let same = actual
                .get_field(entry.name())
                .ok()
                .map(|f| actual.get_field_entry(f) == entry)
                .unwrap_or(false);
            if !same {
                return Err(SearchError::CorruptIndex(format!(
                    "field `{}` differs from this version's schema; rebuild with `folio index`",
                    entry.name()
                )));
            }
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let info_path = path.join(crate::store::BUILD_INFO);
        let info: crate::store::BuildInfo = std::fs::read_to_string(&info_path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .ok_or_else(|| {
                SearchError::CorruptIndex(format!(
                    "{} is missing or unreadable; rebuild with `folio index`",
                    info_path.display()
                ))
            })?;
        let searcher = reader.searcher();
        let columns = Arc::new(FastColumns::open(&searcher)?);
        let bitmaps = Arc::new(FacetBitmaps::build(
            &searcher,
            &columns,
            &info.facets,
            options.config.term_bitmaps_mb.saturating_mul(1 << 20),
        )?);
        let mut engine = Engine {
            index,
            reader,
            fields,
            analyzer,
            options,
            build,
            bitmaps,
            columns,
            codes: Arc::new(info.facets),
            sources: HashMap::new(),
            known_themes: HashSet::new(),
            documents: 0,
            in_flight: AtomicUsize::new(0),
        };
        engine.load_vocabulary()?;
        Ok(engine)
    }

    /// Reads the facet values and counts the documents.
    fn load_vocabulary(&mut self) -> Result<()> {
        let searcher = self.reader.searcher();
        let mut docs: HashSet<Vec<u8>> = HashSet::new();
        for seg in searcher.segment_readers() {
            for (field, sink) in [
                (self.fields.source, 0),
                (self.fields.themes, 1),
                (self.fields.doc_id, 2),
            ] {
                let inverted = seg.inverted_index(field)?;
                let mut terms = inverted
                    .terms()
                    .stream()
                    .map_err(|e| SearchError::CorruptIndex(e.to_string()))?;
                while terms.advance() {
                    let key = terms.key();
                    match sink {
                        0 => {
                            let s = String::from_utf8_lossy(key).to_string();
                            self.sources.insert(s.to_lowercase(), s);
                        }
                        1 => {
                            self.known_themes
                                .insert(String::from_utf8_lossy(key).to_string());
                        }
                        _ => {
                            docs.insert(key.to_vec());
                        }
                    }
                }
            }
        }
        for t in &self.options.themes {
            self.known_themes.insert(t.id.clone());
        }
        self.documents = docs.len() as u64;
        Ok(())
    }

    pub fn build(&self) -> Option<&CurrentBuild> {
        self.build.as_ref()
    }

    pub fn documents(&self) -> u64 {
        self.documents
    }

    /// Memory held by the facet bitmaps, in bytes (0 when no segment has them).
    pub fn facet_bitmap_bytes(&self) -> usize {
        self.bitmaps.bytes()
    }

    /// The index's facet bitmaps, with those of its common terms made so far.
    pub fn facet_bitmaps(&self) -> &Arc<FacetBitmaps> {
        &self.bitmaps
    }

    pub fn paragraphs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    pub fn config(&self) -> &SearchConfig {
        &self.options.config
    }

    /// Runs a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse> {
        self.search_filtered(req, None)
    }

    /// Runs a search with a filter expression on top of the request's filters (for filter
    /// languages other than folio's own). Facets are counted with the expression applied.
    pub fn search_filtered(
        &self,
        req: &SearchRequest,
        filter: Option<&FilterExpr>,
    ) -> Result<SearchResponse> {
        let started = Instant::now();
        let cfg = &self.options.config;
        let limit = req.limit.unwrap_or(cfg.default_limit);
        if limit > cfg.max_limit {
            return Err(SearchError::invalid(
                "limit",
                format!("{limit} is more than the maximum of {}", cfg.max_limit),
            ));
        }
        if req.offset > cfg.max_offset {
            return Err(SearchError::invalid(
                "offset",
                format!(
                    "{} is more than the maximum of {}",
                    req.offset, cfg.max_offset
                ),
            ));
        }
        let snippet_chars = req.highlight.snippet_chars.unwrap_or(cfg.snippet_chars);
        if snippet_chars > 10_000 {
            return Err(SearchError::invalid(
                "snippet_chars",
                "must be at most 10000 (0 for the whole paragraph)",
            ));
        }
        let facets: Vec<FacetName> = req
            .facets
            .clone()
            .unwrap_or_else(|| FacetName::ALL.to_vec());

        let filters = &req.filters;
        let sources: Vec<String> = filters
            .source
            .iter()
            .map(|s| {
                self.sources
                    .get(&s.trim().to_lowercase())
                    .cloned()
                    .unwrap_or_else(|| s.trim().to_string())
            })
            .collect();
        for t in &filters.theme {
            if !self.known_themes.contains(t) {
                let mut known: Vec<&str> = self.known_themes.iter().map(String::as_str).collect();
                known.sort_unstable();
                return Err(SearchError::invalid(
                    "theme",
                    format!("unknown theme `{t}`; themes are {}", known.join(", ")),
                ));
            }
        }
        for k in &filters.kind {
            if folio_corpus::Kind::parse(k).is_none() {
                return Err(SearchError::invalid(
                    "kind",
                    format!("unknown kind `{k}`; kinds are body, quote, footnote"),
                ));
            }
        }

        let concepts = analyze(&parse(&req.q), &self.analyzer, &self.options.synonyms);
        let spec = CollectSpec {
            top_k: req.offset + limit,
            sort: req.sort,
            group: req.group == Some(Group::Doc),
            count_source: facets.contains(&FacetName::Source),
            count_theme: facets.contains(&FacetName::Theme),
            count_year: facets.contains(&FacetName::Year),
            sources: (!sources.is_empty()).then(|| {
                self.codes
                    .sources
                    .iter()
                    .map(|s| sources.contains(s))
                    .collect()
            }),
            theme_mask: (!filters.theme.is_empty()).then(|| self.codes.theme_bits(&filters.theme)),
            years: filters.year,
            footnote_weight: cfg.footnote_weight,
            codes: self.codes.clone(),
            bitmaps: Some(self.bitmaps.clone()),
            columns: Some(self.columns.clone()),
        };
        let searcher = self.reader.searcher();
        let any = req.match_mode == Some(MatchMode::Any);
        let mut found = if any {
            self.collect_any(&searcher, &concepts, filters, filter, &spec)?
        } else {
            self.collect(&searcher, &concepts, false, filters, filter, &spec)?
        };
        let mut relaxed = false;
        if found.total < cfg.relax_below.max(1) && req.match_mode.is_none() && relaxable(&concepts)
        {
            found = self.collect_any(&searcher, &concepts, filters, filter, &spec)?;
            relaxed = true;
        }
        let match_mode = if any || relaxed {
            MatchMode::Any
        } else {
            MatchMode::All
        };

        let text_spec = MatchSpec::new(&self.analyzer, &concepts, &[Target::Text]);
        let title_spec = MatchSpec::new(&self.analyzer, &concepts, &[Target::Text, Target::Title]);
        let section_spec =
            MatchSpec::new(&self.analyzer, &concepts, &[Target::Text, Target::Section]);
        let opts = MarkOptions {
            pre: &req.highlight.pre_tag,
            post: &req.highlight.post_tag,
            snippet_chars,
            snippet_words: None,
            escape: true,
            ellipsis: "…",
        };
        let whole = MarkOptions {
            snippet_chars: 0,
            ..opts.clone()
        };
        let mut hits = Vec::with_capacity(limit);
        for c in found.top.iter().skip(req.offset) {
            let mut stored = self.stored(&searcher, c.address)?;
            let text = stored.string(self.fields.text);
            let title = stored.string(self.fields.title);
            let section = stored.opt(self.fields.section);
            let marked_text = mark(&self.analyzer, &text, &text_spec, &opts);
            let marked_title = mark(&self.analyzer, &title, &title_spec, &whole);
            let marked_section = section
                .as_deref()
                .map(|s| mark(&self.analyzer, s, &section_spec, &whole).html);
            hits.push(Hit {
                id: stored.string(self.fields.id),
                doc_id: stored.string(self.fields.doc_id),
                position: stored.u64(self.fields.position) as u32,
                section,
                kind: stored.string(self.fields.kind),
                label: stored.opt(self.fields.label),
                title,
                source: stored.string(self.fields.source),
                year: stored.u64(self.fields.year) as u32,
                date: stored.opt(self.fields.date),
                authors: stored.all(self.fields.authors),
                url: stored.opt(self.fields.url),
                themes: stored.all(self.fields.themes),
                score: (c.score * 1000.0).round() / 1000.0,
                text,
                highlight: Highlight {
                    text: marked_text.html,
                    title: marked_title.html,
                    section: marked_section,
                },
                matches: Matches {
                    text: marked_text.utf16,
                    title: marked_title.utf16,
                },
            });
        }

        let (facets_out, stats) =
            facet_lists(&found, &facets, &sources, &filters.theme, filters.year);
        Ok(SearchResponse {
            query: req.q.clone(),
            total: found.documents.unwrap_or(found.total),
            total_paragraphs: found.total,
            total_documents: found.documents,
            offset: req.offset,
            limit,
            took_ms: (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
            match_mode,
            relaxed,
            sort: req.sort,
            group: req.group,
            facets_count: "paragraphs".to_string(),
            hits,
            facets: facets_out,
            facet_stats: stats,
        })
    }

    /// Collects `match=any`. A word the index holds nowhere matches nothing and adds nothing,
    /// and is most often why a query was relaxed (`sections cyjintejinung`); when a single word
    /// is left, it is searched alone, so its best matches are found with block-max WAND
    /// instead of scoring each of its paragraphs through a union, and every score is raised
    /// by the bonus the union gives a clause (the same scores, the same order).
    fn collect_any(
        &self,
        searcher: &Searcher,
        concepts: &[Concept],
        filters: &Filters,
        filter: Option<&FilterExpr>,
        spec: &CollectSpec,
    ) -> Result<Found> {
        let has_content = concepts.iter().any(|c| !c.negated && !c.stopword);
        let stats = SearchStats::new(searcher, &self.fields, self.columns.documents());
        let live: Vec<&Concept> = concepts
            .iter()
            .filter(|c| !(c.stopword && has_content))
            .filter(|c| !self.held_nowhere(&stats, c))
            .collect();
        if let [c] = live.as_slice()
            && c.plain
            && concepts.iter().all(|c| !c.negated)
        {
            let mut found = self.collect(
                searcher,
                std::slice::from_ref(*c),
                false,
                filters,
                filter,
                spec,
            )?;
            let bonus = any_clause_bonus(self.idf(searcher, &stats, c));
            for candidate in &mut found.top {
                candidate.score += bonus;
            }
            return Ok(found);
        }
        self.collect(searcher, concepts, true, filters, filter, spec)
    }

    /// Whether a concept is one word (or alternative words) that no paragraph's text, title or
    /// section holds.
    fn held_nowhere(&self, stats: &SearchStats<'_>, concept: &Concept) -> bool {
        let fields = [
            self.fields.text,
            self.fields.title_terms,
            self.fields.section,
        ];
        !concept.alts.is_empty()
            && concept.alts.iter().all(|(target, unit)| match unit {
                crate::query::Unit::Terms {
                    terms,
                    prefix: false,
                } if *target == Target::Text && terms.len() == 1 => fields.iter().all(|f| {
                    stats
                        .doc_freq(&Term::from_field_text(*f, &terms[0]))
                        .unwrap_or(0)
                        == 0
                }),
                _ => false,
            })
    }

    fn collect(
        &self,
        searcher: &Searcher,
        concepts: &[Concept],
        any: bool,
        filters: &Filters,
        filter: Option<&FilterExpr>,
        spec: &CollectSpec,
    ) -> Result<Found> {
        let stats = SearchStats::new(searcher, &self.fields, self.columns.documents());
        let idf = |c: &Concept| self.idf(searcher, &stats, c);
        // Bounds ask for the same words on the same fields several times (each concept, each
        // of its fields, the proximity pairs); a BM25 weight fills a table of 256 norms.
        let bounds: RefCell<HashMap<(Field, Vec<String>), f32>> = RefCell::default();
        let max_score = |field: Field, words: &[String]| {
            let key = (field, words.to_vec());
            if let Some(bound) = bounds.borrow().get(&key) {
                return *bound;
            }
            let terms: Vec<Term> = words
                .iter()
                .map(|w| Term::from_field_text(field, w))
                .collect();
            let bound =
                Bm25Weight::for_terms(&stats, &terms).map_or(f32::INFINITY, |w| w.max_score());
            bounds.borrow_mut().insert(key, bound);
            bound
        };
        let compiler = Compiler {
            fields: &self.fields,
            title_boost: self.options.config.title_boost,
            section_boost: self.options.config.section_boost,
            proximity_boost: self.options.config.proximity_boost,
            idf: &idf,
            max_score: &max_score,
            columns: &self.columns,
            bitmaps: &self.bitmaps,
            analyzer: &self.analyzer,
        };
        let compiled = compiler.compile_parts(concepts, any);
        // Sorting by year or grouping by document needs every match's complete score; ranking by
        // relevance can bound what the extras add and skip what cannot reach the top.
        let pruned = self.options.config.pruning
            && spec.sort == Sort::Relevance
            && !spec.group
            && compiled
                .extras
                .iter()
                .chain(&compiled.boosts)
                .all(|(_, bound)| bound.is_finite());
        let mut filters_parts: Vec<Box<dyn Query>> = Vec::new();
        if let Some(expr) = filter {
            filters_parts.push(expr.to_query(&self.fields));
        }
        if let Some(doc) = &filters.doc {
            filters_parts.push(Box::new(self.term_query(self.fields.doc_id, doc)));
        }
        if !filters.kind.is_empty() {
            let kinds: Vec<(Occur, Box<dyn Query>)> = filters
                .kind
                .iter()
                .map(|k| {
                    (
                        Occur::Should,
                        Box::new(self.term_query(self.fields.kind, k)) as Box<dyn Query>,
                    )
                })
                .collect();
            filters_parts.push(Box::new(BooleanQuery::new(kinds)));
        }
        let with_filters = |q: Box<dyn Query>| -> Box<dyn Query> {
            if filters_parts.is_empty() {
                return q;
            }
            let mut parts: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, q)];
            parts.extend(filters_parts.iter().map(|f| {
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(f.box_clone(), 0.0)) as Box<dyn Query>,
                )
            }));
            Box::new(BooleanQuery::new(parts))
        };
        if !pruned {
            let query = with_filters(compiled.combined());
            let collector = FolioCollector::new(spec.clone(), Ranking::Complete);
            return self.run(searcher, &stats, query.as_ref(), &collector);
        }
        // Block-max WAND needs the main part as tantivy's own term query or intersection; then
        // facets are counted in a pass of their own, boosted paragraphs are ranked exactly, and
        // the rest with WAND. Going over an intersection several times pays only when it is
        // large: its size is estimated as if the words were independent, and measured at 1M
        // paragraphs, the passes are faster from about 0.5% of the paragraphs up.
        let n = searcher.num_docs().max(1) as f64;
        let expected = compiled.words.iter().fold(n, |size, t| {
            size * stats.doc_freq(t).unwrap_or(0) as f64 / n
        });
        let passes = compiled.prunable
            && filters_parts.is_empty()
            && (compiled.words.len() == 1 || expected >= n / 200.0);
        // A pass that seeks the main part paragraph by paragraph (the one scored pass over
        // every match, or the boosted pass) can ask its common words by their bitmaps;
        // block-max WAND and the counting pass need tantivy's own scorers.
        let gated = with_filters(
            compiled
                .main_gated
                .as_ref()
                .unwrap_or(&compiled.main)
                .box_clone(),
        );
        let main = if passes {
            with_filters(compiled.main.box_clone())
        } else {
            gated.box_clone()
        };
        let ranking = pruned_ranking(
            searcher,
            &stats,
            &compiled,
            gated.as_ref(),
            passes,
            any,
            filters_parts.is_empty(),
        )?;
        let collector = FolioCollector::new(spec.clone(), ranking);
        self.run(searcher, &stats, main.as_ref(), &collector)
    }

    /// Runs a search on the index's search threads, or on the calling thread alone when other
    /// searches are running: under load every core is busy with a search of its own, and
    /// splitting one over threads then only adds hand-offs (the same work, more switches).
    fn run(
        &self,
        searcher: &Searcher,
        stats: &SearchStats<'_>,
        query: &dyn Query,
        collector: &FolioCollector,
    ) -> Result<Found> {
        let running = InFlight::enter(&self.in_flight);
        if running.others == 0 {
            return Ok(searcher.search_with_statistics_provider(query, collector, stats)?);
        }
        let scoring = EnableScoring::enabled_from_statistics_provider(stats, searcher);
        Ok(searcher.search_with_executor(query, collector, &Executor::SingleThread, scoring)?)
    }

    /// BM25's inverse document frequency of a concept, taking its most common alternative (the
    /// alternatives are ORed) and, in a phrase, its rarest word (a phrase is at most as common).
    fn idf(&self, searcher: &Searcher, stats: &SearchStats<'_>, concept: &Concept) -> f32 {
        let n = searcher.num_docs() as f32;
        let df = |t: &str| {
            stats
                .doc_freq(&Term::from_field_text(self.fields.text, t))
                .unwrap_or(0) as f32
        };
        let df = concept
            .alts
            .iter()
            .map(|(_, unit)| match unit {
                crate::query::Unit::Terms {
                    terms,
                    prefix: false,
                } => terms.iter().map(|t| df(t)).fold(f32::MAX, f32::min),
                _ => n / 2.0,
            })
            .fold(0.0f32, f32::max)
            .clamp(0.0, n);
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    fn term_query(&self, field: Field, value: &str) -> TermQuery {
        TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        )
    }

    fn stored(&self, searcher: &Searcher, address: DocAddress) -> Result<Stored> {
        Ok(searcher.doc(address)?)
    }

    fn paragraph_view(&self, mut s: Stored) -> ParagraphView {
        ParagraphView {
            id: s.string(self.fields.id),
            doc_id: s.string(self.fields.doc_id),
            position: s.u64(self.fields.position) as u32,
            kind: s.string(self.fields.kind),
            label: s.opt(self.fields.label),
            section: s.opt(self.fields.section),
            themes: s.all(self.fields.themes),
            text: s.string(self.fields.text),
        }
    }

    fn document_info(&self, mut s: Stored) -> DocumentInfo {
        DocumentInfo {
            id: s.string(self.fields.doc_id),
            title: s.string(self.fields.title),
            source: s.string(self.fields.source),
            authors: s.all(self.fields.authors),
            date: s.opt(self.fields.date),
            year: s.u64(self.fields.year) as u32,
            url: s.opt(self.fields.url),
            language: s.string(self.fields.language),
            series: s.opt(self.fields.series),
            publisher: s.opt(self.fields.publisher),
            themes: s.all(self.fields.doc_themes),
            file: s.string(self.fields.file),
        }
    }

    /// Paragraphs matching `query`, in document order.
    fn paragraphs_where(&self, query: &dyn Query) -> Result<Vec<Stored>> {
        let searcher = self.reader.searcher();
        let addresses = searcher.search(query, &DocSetCollector)?;
        let mut out = addresses
            .into_iter()
            .map(|a| self.stored(&searcher, a))
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|s| s.u64(self.fields.position));
        Ok(out)
    }

    /// Marks what `q` matches in any field's text, as a search would: for highlighting fields
    /// beyond the ones a [`Hit`] carries.
    pub fn highlighter(&self, q: &str) -> QueryHighlighter<'_> {
        let concepts = analyze(&parse(q), &self.analyzer, &self.options.synonyms);
        QueryHighlighter {
            analyzer: &self.analyzer,
            text: MatchSpec::new(&self.analyzer, &concepts, &[Target::Text]),
            title: MatchSpec::new(&self.analyzer, &concepts, &[Target::Text, Target::Title]),
            section: MatchSpec::new(&self.analyzer, &concepts, &[Target::Text, Target::Section]),
            authors: MatchSpec::new(&self.analyzer, &concepts, &[Target::Text, Target::Author]),
        }
    }

    /// A document and all its paragraphs.
    pub fn document(&self, doc_id: &str) -> Result<DocumentView> {
        let paragraphs = self.paragraphs_where(&self.term_query(self.fields.doc_id, doc_id))?;
        let first = paragraphs
            .first()
            .ok_or_else(|| SearchError::DocumentNotFound(doc_id.to_string()))?;
        Ok(DocumentView {
            document: self.document_info(first.clone()),
            paragraphs: paragraphs
                .into_iter()
                .map(|p| self.paragraph_view(p))
                .collect(),
        })
    }

    /// A paragraph with up to `context` paragraphs before and after it.
    pub fn paragraph(&self, id: &str, context: u32) -> Result<ParagraphContext> {
        let not_found = || SearchError::ParagraphNotFound(id.to_string());
        let (doc_id, position) = folio_corpus::split_paragraph_id(id).ok_or_else(not_found)?;
        if context > 50 {
            return Err(SearchError::invalid("context", "must be at most 50"));
        }
        let lo = position.saturating_sub(context) as u64;
        let hi = position as u64 + context as u64;
        let query = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(self.term_query(self.fields.doc_id, doc_id)) as Box<dyn Query>,
            ),
            (
                Occur::Must,
                Box::new(RangeQuery::new(
                    std::ops::Bound::Included(Term::from_field_u64(self.fields.position, lo)),
                    std::ops::Bound::Included(Term::from_field_u64(self.fields.position, hi)),
                )),
            ),
        ]);
        let mut before = self.paragraphs_where(&query)?;
        let center = before
            .iter()
            .position(|s| s.u64(self.fields.position) == position as u64)
            .ok_or_else(not_found)?;
        let mut after = before.split_off(center);
        let paragraph = after.remove(0);
        Ok(ParagraphContext {
            document: self.document_info(paragraph.clone()),
            paragraph: self.paragraph_view(paragraph),
            before: before.into_iter().map(|s| self.paragraph_view(s)).collect(),
            after: after.into_iter().map(|s| self.paragraph_view(s)).collect(),
        })
    }

    /// Corpus-wide facet counts and totals.
    pub fn overview(&self) -> Result<FacetsOverview> {
        let response = self.search(&SearchRequest {
            limit: Some(0),
            ..SearchRequest::default()
        })?;
        let present: HashSet<&str> = response
            .facets
            .theme
            .iter()
            .flatten()
            .map(|f| f.value.as_str())
            .collect();
        Ok(FacetsOverview {
            documents: self.documents,
            paragraphs: self.paragraphs(),
            themes: self
                .options
                .themes
                .iter()
                .filter(|t| present.contains(t.id.as_str()))
                .cloned()
                .collect(),
            facets: response.facets,
            facet_stats: response.facet_stats,
        })
    }
}

/// Marks a query's matches in fields of hits.
pub struct QueryHighlighter<'a> {
    analyzer: &'a Analyzer,
    text: MatchSpec,
    title: MatchSpec,
    section: MatchSpec,
    authors: MatchSpec,
}

impl QueryHighlighter<'_> {
    /// Marks `value`, a value of the field named `field` (`text`, `title`, `section`, `authors`;
    /// other fields are marked like `text`).
    pub fn mark(
        &self,
        field: &str,
        value: &str,
        opts: &MarkOptions<'_>,
    ) -> crate::highlight::Marked {
        let spec = match field {
            "title" => &self.title,
            "section" => &self.section,
            "authors" => &self.authors,
            _ => &self.text,
        };
        mark(self.analyzer, value, spec, opts)
    }
}

/// The weights of a pruned ranking: the boosts ranked in a pass of their own first (or scored
/// on demand), stop words scored on demand, and with `passes` a counting pass of its own.
/// `gated` is the main part with any filters as the boosted pass seeks it, its common words
/// asked by their bitmaps (`Compiled::main_gated`).
fn pruned_ranking(
    searcher: &Searcher,
    stats: &SearchStats<'_>,
    compiled: &Compiled,
    gated: &dyn Query,
    passes: bool,
    any: bool,
    unfiltered: bool,
) -> Result<Ranking> {
    let scoring = EnableScoring::enabled_from_statistics_provider(stats, searcher);
    let unscored = EnableScoring::disabled_from_searcher(searcher);
    // Filter expressions make the main part more than the range, or than the union.
    let range = compiled.range.clone().filter(|_| unfiltered);
    // With a counting pass of its own the range is counted by its weight like any query.
    let count_range = if passes { None } else { range };
    // The clauses of `match=any` are read one by one when nothing else decides the matches.
    let union = any
        && unfiltered
        && !compiled.any_clauses.is_empty()
        && compiled.any_clauses.iter().all(|c| c.bound.is_finite());
    // A small intersection of words, or the union of `match=any` scored as one, costs less to
    // score on demand than to go over twice (measured); patterns and phrases gain from ranking
    // their boosted paragraphs first, and so does a union read clause by clause, whose
    // pruning the boosts' bounds would otherwise undo.
    let boosts_first = passes || (!compiled.prunable && !any) || union;
    let on_demand: Vec<&(Box<dyn Query>, f32)> = if boosts_first {
        compiled.extras.iter().collect()
    } else {
        compiled.extras.iter().chain(&compiled.boosts).collect()
    };
    let mut extras = Vec::with_capacity(on_demand.len());
    for (q, bound) in on_demand {
        extras.push((q.weight(scoring)?, *bound));
    }
    let mut boosted = None;
    if boosts_first && !compiled.boosts.is_empty() {
        let any_boost =
            AnyOfQuery::boxed(compiled.boosts.iter().map(|(q, _)| q.box_clone()).collect());
        let boosts = (count_range.is_some() || union || passes)
            .then(|| any_boost.weight(scoring))
            .transpose()?;
        // The boosted pass seeks the main part paragraph by paragraph (tantivy's block-max WAND
        // cannot take it, as the boosts are not words).
        let ranked = BooleanQuery::new(vec![
            (Occur::Must, gated.box_clone()),
            (Occur::Must, any_boost),
        ]);
        let mut members = Vec::with_capacity(compiled.boosts.len());
        for (q, _) in &compiled.boosts {
            members.push(q.weight(unscored)?);
        }
        let documents = match compiled.title_boost {
            // With a pass of its own the main part is exactly the words.
            Some(title) if passes => {
                let others: f32 = (compiled.boosts.iter().enumerate())
                    .filter(|(i, _)| *i != title)
                    .map(|(_, (_, bound))| bound)
                    .sum();
                Some(DocumentBounds {
                    title: compiled.boosts[title].0.weight(scoring)?,
                    rest: compiled.words_bound + others,
                })
            }
            _ => None,
        };
        let mut parts = Vec::new();
        if count_range.is_some() {
            for (q, bound) in &compiled.boosts {
                parts.push((q.weight(scoring)?, *bound));
            }
        }
        boosted = Some(Boosted {
            ranked: ranked.weight(scoring)?,
            boosts,
            members,
            documents,
            parts,
        });
    }
    // Only an unfiltered search has a counting pass: its main part is the compiled one.
    let count = if passes {
        Some(compiled.main.weight(unscored)?)
    } else {
        None
    };
    let any_union = if union {
        let mut count = Vec::with_capacity(compiled.any_clauses.len());
        let mut rank = Vec::with_capacity(compiled.any_clauses.len());
        for c in &compiled.any_clauses {
            count.push(c.query.weight(unscored)?);
            rank.push((c.query.weight(scoring)?, c.bonus, c.bound));
        }
        let common = compiled
            .any_clauses
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((i, stats.doc_freq(c.term.as_ref()?).unwrap_or(0))))
            .max_by_key(|(_, df)| *df)
            .map(|(i, _)| i);
        Some(Box::new(AnyUnion {
            count,
            terms: compiled
                .any_clauses
                .iter()
                .map(|c| c.term.clone())
                .collect(),
            rank,
            common,
            held: held_clauses(stats, compiled, scoring)?,
        }))
    } else {
        None
    };
    Ok(Ranking::Pruned {
        extras,
        count,
        count_terms: if passes {
            compiled.words.clone()
        } else {
            Vec::new()
        },
        count_range,
        boosted,
        any_union,
    })
}

/// The clauses of a union that the index holds and their intersections, when every clause is
/// one term and two to four are held (at most eleven intersections; see [`HeldClauses`]).
fn held_clauses(
    stats: &SearchStats<'_>,
    compiled: &Compiled,
    scoring: EnableScoring<'_>,
) -> Result<Option<HeldClauses>> {
    let mut held = Vec::new();
    for (i, c) in compiled.any_clauses.iter().enumerate() {
        let Some(term) = &c.term else {
            return Ok(None);
        };
        if stats.doc_freq(term).unwrap_or(0) > 0 {
            held.push(i);
        }
    }
    if !(2..=4).contains(&held.len()) {
        return Ok(None);
    }
    let clause = |i: usize| &compiled.any_clauses[i];
    let n = held.len();
    // Each subset of two or more, the largest first.
    let mut subsets: Vec<Vec<usize>> = (1u32..1 << n)
        .map(|mask| {
            (0..n)
                .filter(|b| mask >> b & 1 == 1)
                .map(|b| held[b])
                .collect()
        })
        .filter(|s: &Vec<usize>| s.len() >= 2)
        .collect();
    subsets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut sets = Vec::with_capacity(subsets.len());
    for clauses in subsets {
        let query = BooleanQuery::new(
            clauses
                .iter()
                .map(|i| (Occur::Must, clause(*i).query.box_clone()))
                .collect(),
        );
        sets.push(ClauseSet {
            weight: query.weight(scoring)?,
            bonus: clauses.iter().map(|i| clause(*i).bonus).sum(),
            clauses,
        });
    }
    let mut bounds: Vec<f32> = held.iter().map(|i| clause(*i).bound).collect();
    bounds.sort_by(|a, b| b.total_cmp(a));
    let most = (0..=n).map(|k| bounds[..k].iter().sum()).collect();
    Ok(Some(HeldClauses {
        sets,
        clauses: held,
        most,
    }))
}

/// Turns the collector's counts into the response's facet lists: counts descending (years in
/// order), selected values always present.
fn facet_lists(
    found: &Found,
    facets: &[FacetName],
    sources: &[String],
    themes: &[String],
    years: Option<YearRange>,
) -> (Facets, FacetStats) {
    let list = |counts: &HashMap<String, u64>, selected: &[String]| {
        let mut v: Vec<FacetCount<String>> = counts
            .iter()
            .map(|(value, &count)| FacetCount {
                value: value.clone(),
                count,
                selected: selected.contains(value),
            })
            .collect();
        for s in selected {
            if !counts.contains_key(s) {
                v.push(FacetCount {
                    value: s.clone(),
                    count: 0,
                    selected: true,
                });
            }
        }
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        v
    };
    let mut out = Facets::default();
    let mut stats = FacetStats::default();
    if facets.contains(&FacetName::Source) {
        out.source = Some(list(&found.source_counts, sources));
    }
    if facets.contains(&FacetName::Theme) {
        out.theme = Some(list(&found.theme_counts, themes));
    }
    if facets.contains(&FacetName::Year) {
        let mut v: Vec<FacetCount<u32>> = found
            .year_counts
            .iter()
            .map(|(&value, &count)| FacetCount {
                value,
                count,
                selected: years.is_some_and(|r| r.contains(value as u64)),
            })
            .collect();
        v.sort_by_key(|f| f.value);
        if let (Some(first), Some(last)) = (v.first(), v.last()) {
            stats.year = Some(MinMax {
                min: first.value,
                max: last.value,
            });
        }
        out.year = Some(v);
    }
    (out, stats)
}

/// The engine in use, swappable while searches run: a search holds an `Arc` to the engine it
/// started with, and a new build is switched in without waiting for it.
pub struct IndexHandle {
    store: IndexStore,
    options: EngineOptions,
    engine: ArcSwapOption<Engine>,
}

impl std::fmt::Debug for IndexHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexHandle")
            .field("store", &self.store.root())
            .finish()
    }
}

impl IndexHandle {
    /// A handle with nothing loaded yet; call [`IndexHandle::reload`].
    pub fn new(store: IndexStore, options: EngineOptions) -> IndexHandle {
        IndexHandle {
            store,
            options,
            engine: ArcSwapOption::empty(),
        }
    }

    pub fn store(&self) -> &IndexStore {
        &self.store
    }

    /// The engine in use, if an index has been opened.
    pub fn engine(&self) -> Option<Arc<Engine>> {
        self.engine.load_full()
    }

    /// Opens the store's current build if it is not the one in use. Returns whether it switched.
    pub fn reload(&self) -> Result<bool> {
        let Some(name) = self.store.current_name()? else {
            return Ok(false);
        };
        if self
            .engine()
            .and_then(|e| e.build().map(|b| b.name.clone()))
            .as_deref()
            == Some(name.as_str())
        {
            return Ok(false);
        }
        let engine = Engine::open_current(&self.store, self.options.clone())?;
        self.engine.store(Some(Arc::new(engine)));
        Ok(true)
    }
}
