//! The query language, and its translation into tantivy queries.
//!
//! ```text
//! query   = { clause }                      clauses combine with AND
//! clause  = [ "-" | "+" ] alt { "OR" alt }  "-" excludes; "OR" (upper case) joins alternatives
//! alt     = [ field ":" ] ( phrase | word )
//! field   = "title" | "section" | "text" | "author"
//! phrase  = '"' { character } '"'          words in this order, next to each other
//! word    = { character but space and '"' } [ "*" ]   a trailing "*" matches any ending
//! ```
//!
//! Reading is lenient, so no query is a syntax error: an unclosed quote runs to the end of the
//! query, parentheses and a dangling `OR` or `-` are ignored, and `x:` with an unknown `x` is
//! plain text. Words are analyzed like the indexed text (case, accents, apostrophes and word
//! endings do not matter); a word that analyzes into several terms (`Jong-un`, `민족경제`)
//! matches them as a phrase.
//!
//! Meaning:
//! - Every clause must match (`match=all`), except English stop words (`why`, `did`, `the`), which
//!   only add to the score, unless the query is made of nothing else.
//! - Synonyms (`config/synonyms.toml`) are applied to runs of plain words: `DPRK trade` searches
//!   for `(DPRK OR "North Korea" OR …) trade`. Quoted phrases are taken literally.
//! - A query of plain words that matches nothing is relaxed to `match=any`: paragraphs holding
//!   more of the words rank first (each word found adds a fixed amount that outweighs any BM25
//!   difference), then by BM25.
//! - The document title and the section heading add to the score of a paragraph that matches,
//!   but never make a paragraph match on their own; `title:` and `section:` search them.

use std::collections::HashSet;
use std::ops::Bound;
use std::sync::Arc;

use folio_text::Analyzer;
use serde::Deserialize;
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, EnableScoring, Explanation,
    InvertedIndexRangeQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RegexQuery, Scorer,
    TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

use crate::bitmaps::FacetBitmaps;
use crate::columns::FastColumns;
use crate::documents::DocumentQuery;
use crate::gated::GatedTermQuery;
use crate::phrase::ExactPhraseQuery;
use crate::schema::Fields;

/// Which field an atom searches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Text,
    Title,
    Section,
    Author,
}

/// How an atom was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomKind {
    Word,
    Phrase,
    Prefix,
}

/// One searchable piece of a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Atom {
    pub target: Target,
    pub kind: AtomKind,
    pub text: String,
}

/// Alternatives joined with `OR`, possibly excluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    pub negated: bool,
    pub alts: Vec<Atom>,
}

/// A parsed query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    pub clauses: Vec<Clause>,
}

/// Parses a query (never fails; see the module documentation).
pub fn parse(q: &str) -> ParsedQuery {
    #[derive(Debug)]
    enum Tok {
        Or,
        Atom { negated: bool, atom: Atom },
    }
    let chars: Vec<char> = q.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || c == '(' || c == ')' {
            i += 1;
            continue;
        }
        let mut negated = false;
        while i < chars.len() && (chars[i] == '-' || chars[i] == '+') {
            negated |= chars[i] == '-';
            i += 1;
        }
        if i >= chars.len() || chars[i].is_whitespace() {
            continue;
        }
        // Optional field prefix.
        let mut target = Target::Text;
        let rest: String = chars[i..].iter().take(9).collect();
        for (name, t) in [
            ("title:", Target::Title),
            ("section:", Target::Section),
            ("text:", Target::Text),
            ("author:", Target::Author),
        ] {
            if rest.to_ascii_lowercase().starts_with(name)
                && chars.len() > i + name.len()
                && !chars[i + name.len()].is_whitespace()
            {
                target = t;
                i += name.len();
                break;
            }
        }
        if chars[i] == '"' {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && chars[end] != '"' {
                end += 1;
            }
            let text: String = chars[start..end].iter().collect();
            i = (end + 1).min(chars.len());
            if !text.trim().is_empty() {
                toks.push(Tok::Atom {
                    negated,
                    atom: Atom {
                        target,
                        kind: AtomKind::Phrase,
                        text,
                    },
                });
            }
            continue;
        }
        let start = i;
        while i < chars.len()
            && !chars[i].is_whitespace()
            && chars[i] != '"'
            && chars[i] != '('
            && chars[i] != ')'
        {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        if word == "OR" && !negated && target == Target::Text {
            toks.push(Tok::Or);
            continue;
        }
        let (kind, text) = match word.strip_suffix('*') {
            Some(stem) if !stem.is_empty() => {
                (AtomKind::Prefix, stem.trim_end_matches('*').to_string())
            }
            Some(_) => continue,
            None => (AtomKind::Word, word),
        };
        toks.push(Tok::Atom {
            negated,
            atom: Atom { target, kind, text },
        });
    }

    let mut clauses: Vec<Clause> = Vec::new();
    let mut join_next = false;
    for tok in toks {
        match tok {
            Tok::Or => join_next = !clauses.is_empty(),
            Tok::Atom { negated, atom } => {
                match clauses.last_mut() {
                    Some(last) if join_next && !negated && !last.negated => last.alts.push(atom),
                    _ => clauses.push(Clause {
                        negated,
                        alts: vec![atom],
                    }),
                }
                join_next = false;
            }
        }
    }
    ParsedQuery { clauses }
}

/// Synonym groups, as written in `synonyms.toml`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SynonymsFile {
    #[serde(default)]
    pub group: Vec<SynonymGroup>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SynonymGroup {
    pub terms: Vec<String>,
}

/// Synonym groups, analyzed.
#[derive(Clone, Debug, Default)]
pub struct Synonyms {
    /// Each group: its variants as analyzed term sequences (deduplicated).
    groups: Vec<Vec<Vec<String>>>,
}

/// A problem in `synonyms.toml`.
#[derive(Debug, thiserror::Error)]
pub enum SynonymsError {
    #[error("synonyms file does not parse: {0}")]
    Syntax(String),
    #[error("group[{index}]: {message}")]
    Group { index: usize, message: String },
}

impl Synonyms {
    pub fn from_toml(text: &str, analyzer: &Analyzer) -> Result<Synonyms, SynonymsError> {
        let file: SynonymsFile =
            toml::from_str(text).map_err(|e| SynonymsError::Syntax(e.to_string()))?;
        Synonyms::new(&file, analyzer)
    }

    pub fn new(file: &SynonymsFile, analyzer: &Analyzer) -> Result<Synonyms, SynonymsError> {
        let mut groups = Vec::new();
        for (index, g) in file.group.iter().enumerate() {
            let mut variants: Vec<Vec<String>> = Vec::new();
            for t in &g.terms {
                let terms = analyzer.terms(t);
                if terms.is_empty() {
                    return Err(SynonymsError::Group {
                        index,
                        message: format!("{t:?} has no searchable words"),
                    });
                }
                if !variants.contains(&terms) {
                    variants.push(terms);
                }
            }
            if g.terms.len() < 2 {
                return Err(SynonymsError::Group {
                    index,
                    message: "a group needs at least two terms".to_string(),
                });
            }
            groups.push(variants);
        }
        Ok(Synonyms { groups })
    }

    /// The group whose variant is exactly `terms`.
    fn group_of(&self, terms: &[String]) -> Option<&Vec<Vec<String>>> {
        self.groups.iter().find(|g| g.iter().any(|v| v == terms))
    }

    fn longest_variant(&self) -> usize {
        self.groups
            .iter()
            .flatten()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
    }
}

/// What an atom searches, after analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Terms next to each other (one term: a plain term query). With `prefix`, the last term
    /// matches any term starting with it (or with its stem).
    Terms { terms: Vec<String>, prefix: bool },
    /// A single Hangul (or other CJK) character: matches the pieces that contain it.
    CjkChar(String),
}

/// A clause after analysis and synonym expansion.
#[derive(Clone, Debug)]
pub struct Concept {
    pub negated: bool,
    /// Alternatives, each with its target field.
    pub alts: Vec<(Target, Unit)>,
    /// Made only of stop words.
    pub stopword: bool,
    /// A plain word (or a synonym group of plain words), eligible for relaxation.
    pub plain: bool,
}

/// Analyzes a parsed query into concepts, applying synonyms to runs of plain words.
pub fn analyze(parsed: &ParsedQuery, analyzer: &Analyzer, synonyms: &Synonyms) -> Vec<Concept> {
    // First each clause on its own.
    let mut concepts: Vec<(Concept, Option<Vec<String>>)> = Vec::new();
    for clause in &parsed.clauses {
        let mut alts = Vec::new();
        let mut all_stop = true;
        let mut plain_terms = None;
        for atom in &clause.alts {
            let tokens = analyzer.analyze(&atom.text);
            if tokens.is_empty() {
                continue;
            }
            all_stop &= tokens.iter().all(|t| t.stopword);
            let terms: Vec<String> = tokens.iter().map(|t| t.term.clone()).collect();
            let unit = match atom.kind {
                AtomKind::Prefix => {
                    let mut terms = terms;
                    if let Some(last) = terms.last_mut() {
                        // The prefix itself, folded but not stemmed.
                        let raw_last = atom
                            .text
                            .split(|c: char| !c.is_alphanumeric())
                            .rfind(|s| !s.is_empty())
                            .unwrap_or("");
                        let folded = folio_text::fold(raw_last);
                        if !folded.is_empty() && !tokens.last().is_some_and(|t| t.cjk) {
                            *last = folded;
                        }
                    }
                    Unit::Terms {
                        terms,
                        prefix: true,
                    }
                }
                _ if tokens.len() == 1 && tokens[0].cjk && tokens[0].term.chars().count() == 1 => {
                    Unit::CjkChar(tokens[0].term.clone())
                }
                _ => Unit::Terms {
                    terms: terms.clone(),
                    prefix: false,
                },
            };
            if clause.alts.len() == 1
                && atom.kind == AtomKind::Word
                && atom.target == Target::Text
                && !clause.negated
                && let Unit::Terms {
                    terms,
                    prefix: false,
                } = &unit
            {
                plain_terms = Some(terms.clone());
            }
            alts.push((atom.target, unit));
        }
        if alts.is_empty() {
            continue;
        }
        let plain = plain_terms.is_some();
        concepts.push((
            Concept {
                negated: clause.negated,
                alts,
                stopword: all_stop,
                plain,
            },
            plain_terms,
        ));
    }

    // Then synonyms: the longest run of consecutive plain words that spells a variant.
    let longest = synonyms.longest_variant();
    let mut out = Vec::new();
    let mut i = 0;
    while i < concepts.len() {
        let mut matched = None;
        if concepts[i].1.is_some() && longest > 0 {
            let mut run: Vec<String> = Vec::new();
            for (j, (_, terms)) in concepts.iter().enumerate().skip(i) {
                let Some(terms) = terms else { break };
                run.extend(terms.iter().cloned());
                if run.len() > longest {
                    break;
                }
                if let Some(group) = synonyms.group_of(&run) {
                    matched = Some((j, group));
                }
            }
        }
        match matched {
            Some((j, group)) => {
                out.push(Concept {
                    negated: false,
                    alts: group
                        .iter()
                        .map(|v| {
                            (
                                Target::Text,
                                Unit::Terms {
                                    terms: v.clone(),
                                    prefix: false,
                                },
                            )
                        })
                        .collect(),
                    stopword: false,
                    plain: true,
                });
                i = j + 1;
            }
            None => {
                out.push(concepts[i].0.clone());
                i += 1;
            }
        }
    }
    out
}

/// Whether a query may be relaxed: two or more plain, non-stop-word clauses and nothing else.
pub fn relaxable(concepts: &[Concept]) -> bool {
    concepts.iter().all(|c| c.plain) && concepts.iter().filter(|c| !c.stopword).count() >= 2
}

/// Builds tantivy queries from concepts.
pub struct Compiler<'a> {
    pub fields: &'a Fields,
    pub title_boost: f32,
    pub section_boost: f32,
    /// Weight of query words found next to each other (or nearly) in a paragraph.
    pub proximity_boost: f32,
    /// Inverse document frequency of a concept: how rare its words are in the index.
    pub idf: &'a dyn Fn(&Concept) -> f32,
    /// The most BM25 can give these words on a field (as a phrase when several), for the
    /// bounds of [`Compiled::extras`].
    pub max_score: &'a dyn Fn(Field, &[String]) -> f32,
    /// The index's kept columns, which know where each document's paragraphs start.
    pub columns: &'a Arc<FastColumns>,
    /// The index's bitmaps, with those of its common terms (which phrases ask first).
    pub bitmaps: &'a Arc<FacetBitmaps>,
    /// The index's analyzer, which stems a prefix as it stemmed the words.
    pub analyzer: &'a Analyzer,
}

/// Words between two query words that still count as "near" for the proximity boost.
const PROXIMITY_SLOP: u32 = 2;

/// In `match=any`, what a clause's rarity adds to [`ANY_CLAUSE_SCORE`]: among paragraphs holding
/// equally many of the words, those holding the rarer ones come first.
const ANY_IDF_WEIGHT: f32 = 5.0;

/// Score added for each clause a paragraph holds in `match=any`: larger than any BM25 sum.
const ANY_CLAUSE_SCORE: f32 = 100.0;

/// What a clause of inverse document frequency `idf` adds to a paragraph's score in `match=any`
/// when the paragraph holds it, on top of the clause's own score.
pub fn any_clause_bonus(idf: f32) -> f32 {
    ANY_CLAUSE_SCORE + ANY_IDF_WEIGHT * idf
}

impl Compiler<'_> {
    /// A phrase reading what the index keeps (its files, its common terms' bitmaps).
    fn phrase(&self, phrase: ExactPhraseQuery) -> Box<dyn Query> {
        Box::new(
            phrase
                .with_columns(self.columns.clone())
                .with_bitmaps(self.bitmaps.clone()),
        )
    }

    fn field(&self, target: Target) -> Field {
        match target {
            Target::Text => self.fields.text,
            Target::Title => self.fields.title_terms,
            Target::Section => self.fields.section,
            Target::Author => self.fields.author_terms,
        }
    }

    /// The query of a unit on `field`; on a field indexed once per document, spread to each
    /// paragraph of the documents it matches.
    fn unit_query_spread(&self, field: Field, unit: &Unit) -> Box<dyn Query> {
        let query = self.unit_query(field, unit);
        if field == self.fields.title_terms || field == self.fields.author_terms {
            return DocumentQuery::boxed(query, Some(self.columns.clone()));
        }
        query
    }

    fn unit_query(&self, field: Field, unit: &Unit) -> Box<dyn Query> {
        match unit {
            Unit::CjkChar(c) => {
                let pattern = format!(".?{}.?", regex_escape(c));
                match RegexQuery::from_pattern(&pattern, field) {
                    Ok(q) => Box::new(q),
                    Err(_) => Box::new(EmptyQuery),
                }
            }
            Unit::Terms {
                terms,
                prefix: false,
            } if terms.len() == 1 => Box::new(TermQuery::new(
                Term::from_field_text(field, &terms[0]),
                IndexRecordOption::WithFreqs,
            )),
            Unit::Terms {
                terms,
                prefix: false,
            } => {
                let Some(mut grams) = self.grams(field, terms) else {
                    return self.phrase(ExactPhraseQuery::consecutive(
                        terms
                            .iter()
                            .map(|t| Term::from_field_text(field, t))
                            .collect(),
                    ));
                };
                match grams.len() {
                    1 => Box::new(TermQuery::new(
                        Term::from_field_text(field, &grams.pop().expect("one gram").1),
                        IndexRecordOption::WithFreqs,
                    )),
                    _ => self.phrase(ExactPhraseQuery::new(
                        grams
                            .iter()
                            .map(|(at, t)| (*at, Term::from_field_text(field, t)))
                            .collect(),
                    )),
                }
            }
            Unit::Terms {
                terms,
                prefix: true,
            } => {
                let last = terms.last().expect("non-empty");
                if terms.len() == 1 {
                    let mut alts: Vec<(Occur, Box<dyn Query>)> =
                        prefix_patterns(self.analyzer, last)
                            .iter()
                            .map(|p| (Occur::Should, prefix_query(field, p)))
                            .collect();
                    match alts.len() {
                        1 => alts.pop().expect("one").1,
                        _ => Box::new(BooleanQuery::new(alts)),
                    }
                } else {
                    Box::new(PhrasePrefixQuery::new(
                        terms
                            .iter()
                            .map(|t| Term::from_field_text(field, t))
                            .collect(),
                    ))
                }
            }
        }
    }

    /// A phrase of the text as its common grams and the words they leave, with their offsets
    /// (see [`folio_text::phrase_grams`]): the same paragraphs, without reading the positions
    /// of the most frequent words. Only the text is indexed with grams.
    fn grams(&self, field: Field, terms: &[String]) -> Option<Vec<(usize, String)>> {
        (field == self.fields.text)
            .then(|| folio_text::phrase_grams(terms))
            .flatten()
    }

    /// The terms a phrase's score is made of: its grams and remaining words, or its words.
    fn phrase_terms(&self, field: Field, terms: &[String]) -> Vec<String> {
        match self.grams(field, terms) {
            Some(grams) => grams.into_iter().map(|(_, t)| t).collect(),
            None => terms.to_vec(),
        }
    }

    /// The query of one concept, restricted to alternatives on `only` (all targets if None).
    fn concept_query(&self, concept: &Concept, retarget: Option<Target>) -> Option<Box<dyn Query>> {
        let mut alts: Vec<Box<dyn Query>> = self
            .alternatives(concept, retarget)
            .map(|(field, unit)| self.unit_query_spread(field, unit))
            .collect();
        match alts.len() {
            0 => None,
            1 => alts.pop(),
            _ => Some(AnyOfQuery::boxed(alts)),
        }
    }

    /// The most a unit can add to a score on `field`: BM25 approaches its weight as a word
    /// repeats; patterns score a constant 1 each. Infinite when unknown (no pruning then).
    fn unit_bound(&self, field: Field, unit: &Unit) -> f32 {
        match unit {
            Unit::Terms {
                terms,
                prefix: false,
            } => (self.max_score)(field, &self.phrase_terms(field, terms)),
            // Each of its patterns scores 1 (see [`TermRange::query`]).
            Unit::Terms {
                terms,
                prefix: true,
            } if terms.len() == 1 => prefix_patterns(self.analyzer, &terms[0]).len() as f32,
            Unit::CjkChar(_) => 1.0,
            Unit::Terms { .. } => f32::INFINITY,
        }
    }

    /// What [`Compiler::concept_query`] can add to a score: its alternatives' scores add up.
    fn concept_bound(&self, concept: &Concept, retarget: Option<Target>) -> f32 {
        self.alternatives(concept, retarget)
            .map(|(field, unit)| self.unit_bound(field, unit))
            .sum()
    }

    /// A concept's alternatives with the field each is searched on: as written, or only the
    /// text alternatives moved to `retarget`.
    fn alternatives<'c>(
        &self,
        concept: &'c Concept,
        retarget: Option<Target>,
    ) -> impl Iterator<Item = (Field, &'c Unit)> {
        concept
            .alts
            .iter()
            .filter_map(move |(target, unit)| match retarget {
                Some(t) if *target == Target::Text => Some((self.field(t), unit)),
                Some(_) => None,
                None => Some((self.field(*target), unit)),
            })
    }

    /// The full query as one: every concept required (`any`: at least one, ranked by how many),
    /// with title and section matches adding to the score.
    pub fn compile(&self, concepts: &[Concept], any: bool) -> Box<dyn Query> {
        self.compile_parts(concepts, any).combined()
    }

    /// The query split into what decides the matches and what only adds to their scores.
    pub fn compile_parts(&self, concepts: &[Concept], any: bool) -> Compiled {
        let positive: Vec<&Concept> = concepts.iter().filter(|c| !c.negated).collect();
        let has_content = positive.iter().any(|c| !c.stopword);
        let mut main: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut extras: Vec<(Box<dyn Query>, f32)> = Vec::new();
        let mut boosts: Vec<(Box<dyn Query>, f32)> = Vec::new();
        // Whether every clause of `main` is one word, searched with frequencies.
        let mut all_words = !any;
        let mut words: Vec<Term> = Vec::new();
        let mut required: Vec<&Concept> = Vec::new();
        let mut any_clauses: Vec<AnyClause> = Vec::new();
        let mut negated = false;
        // The required words' clauses in `main`, by index (see `Compiled::main_gated`).
        let mut gated: Vec<(usize, Term)> = Vec::new();
        for c in concepts {
            let Some(q) = self.concept_query(c, None) else {
                continue;
            };
            // The one term the concept searches, if it is one: a word, or a phrase of one
            // common gram.
            let one_term: Option<Term> = match c.alts.as_slice() {
                [(Target::Text, Unit::Terms { terms, prefix })] if !prefix => {
                    match terms.as_slice() {
                        [word] => Some(Term::from_field_text(self.fields.text, word)),
                        _ => match self.grams(self.fields.text, terms).as_deref() {
                            Some([(_, gram)]) => {
                                Some(Term::from_field_text(self.fields.text, gram))
                            }
                            _ => None,
                        },
                    }
                }
                _ => None,
            };
            if c.negated {
                all_words = false;
                negated = true;
                main.push((Occur::MustNot, q));
            } else if any {
                if c.stopword && has_content {
                    continue;
                }
                let bonus = any_clause_bonus((self.idf)(c));
                any_clauses.push(AnyClause {
                    query: q.box_clone(),
                    term: one_term,
                    bonus,
                    bound: bonus + self.concept_bound(c, None),
                });
                main.push((Occur::Should, Box::new(PlusQuery { query: q, bonus })));
            } else if c.stopword && has_content {
                // Stop words only add to the score of paragraphs the other words match.
                extras.push((q, self.concept_bound(c, None)));
            } else {
                all_words &= one_term.is_some();
                if let Some(term) = &one_term {
                    gated.push((main.len(), term.clone()));
                }
                words.extend(one_term);
                required.push(c);
                main.push((Occur::Must, q));
            }
        }
        // A union is the clauses' matches only without exclusions.
        if negated {
            any_clauses.clear();
        }
        let requires_something = main.iter().any(|(o, _)| *o != Occur::MustNot);
        if !requires_something {
            all_words = false;
            main.push((Occur::Must, Box::new(AllQuery)));
        }
        // One prefix with one pattern, alone: its matches can be read straight from the terms'
        // postings (see `Ranking::Pruned::count_range`).
        let range = match (main.as_slice(), required.as_slice()) {
            ([(Occur::Must, _)], [c]) => match c.alts.as_slice() {
                [
                    (
                        Target::Text,
                        Unit::Terms {
                            terms,
                            prefix: true,
                        },
                    ),
                ] if terms.len() == 1 => match prefix_patterns(self.analyzer, &terms[0]).as_slice()
                {
                    [p] => Some(TermRange::prefix(self.fields.text, p)),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        let main_gated = (main.len() > 1 && !gated.is_empty()).then(|| {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> =
                main.iter().map(|(o, q)| (*o, q.box_clone())).collect();
            for (i, term) in gated {
                clauses[i].1 = Box::new(GatedTermQuery::new(term, self.bitmaps.clone()));
            }
            Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>
        });
        // A lone required clause is searched as itself: every level of boolean query is a
        // virtual call per matching paragraph.
        let main: Box<dyn Query> = match main.as_slice() {
            [(Occur::Must, _)] => main.pop().expect("one clause").1,
            _ => Box::new(BooleanQuery::new(main)),
        };
        if positive.is_empty() {
            return Compiled {
                main,
                main_gated,
                extras,
                boosts,
                prunable: false,
                words,
                words_bound: f32::INFINITY,
                range,
                title_boost: None,
                any_clauses,
            };
        }
        // Proximity: consecutive query words found near each other add to the score.
        if self.proximity_boost > 0.0 {
            let words: Vec<&Vec<String>> = positive
                .iter()
                .filter(|c| !c.stopword)
                .filter_map(|c| match c.alts.as_slice() {
                    [
                        (
                            Target::Text,
                            Unit::Terms {
                                terms,
                                prefix: false,
                            },
                        ),
                    ] => Some(terms),
                    _ => None,
                })
                .collect();
            let mut bound = 0.0;
            let pairs: Vec<Box<dyn Query>> = words
                .windows(2)
                .map(|w| {
                    let words: Vec<String> = w[0].iter().chain(w[1].iter()).cloned().collect();
                    bound += (self.max_score)(self.fields.text, &words);
                    let terms: Vec<(usize, Term)> = words
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (i, Term::from_field_text(self.fields.text, t)))
                        .collect();
                    Box::new(PhraseQuery::new_with_offset_and_slop(terms, PROXIMITY_SLOP))
                        as Box<dyn Query>
                })
                .collect();
            if !pairs.is_empty() {
                boosts.push((
                    Box::new(BoostQuery::new(
                        AnyOfQuery::boxed(pairs),
                        self.proximity_boost,
                    )),
                    bound * self.proximity_boost,
                ));
            }
        }
        // Title and section: any positive text concept found there adds to the score.
        let mut title_boost = None;
        for (target, boost) in [
            (Target::Title, self.title_boost),
            (Target::Section, self.section_boost),
        ] {
            if boost <= 0.0 {
                continue;
            }
            let mut bound = 0.0;
            let parts: Vec<Box<dyn Query>> = positive
                .iter()
                .filter(|c| !c.stopword)
                .filter_map(|c| {
                    let q = self.concept_query(c, Some(target))?;
                    bound += self.concept_bound(c, Some(target));
                    Some(q)
                })
                .collect();
            if !parts.is_empty() {
                if target == Target::Title {
                    title_boost = Some(boosts.len());
                }
                boosts.push((
                    Box::new(BoostQuery::new(AnyOfQuery::boxed(parts), boost)),
                    bound * boost,
                ));
            }
        }
        // Read only by the boosted pass over documents, which needs the title boost.
        let words_bound = match (all_words, title_boost) {
            (true, Some(_)) => words
                .iter()
                .map(|t| {
                    let word = t.value().as_str().unwrap_or_default().to_string();
                    (self.max_score)(self.fields.text, &[word])
                })
                .sum(),
            _ => f32::INFINITY,
        };
        Compiled {
            main,
            main_gated,
            extras,
            boosts,
            prunable: all_words,
            words,
            words_bound,
            range,
            title_boost,
            any_clauses,
        }
    }
}

/// A query split for ranking: what decides the matches, and what only adds to their scores.
/// Knowing the most each addition can bring lets the search skip scoring the additions (and
/// most of the matches, with block-max WAND) for paragraphs that cannot reach the top.
pub struct Compiled {
    /// Which paragraphs match; its score is the base of a hit's score.
    pub main: Box<dyn Query>,
    /// `main` with its required words asking their kept bitmaps where they are
    /// ([`GatedTermQuery`]): the same matches and scores, for a scored pass over every match
    /// (tantivy's block-max WAND needs the words' own scorers). `None` when `main` is a lone
    /// clause or requires no word.
    pub main_gated: Option<Box<dyn Query>>,
    /// Clauses that only add to the score, each with the most it can add (stop words).
    pub extras: Vec<(Box<dyn Query>, f32)>,
    /// Like `extras`, but matching few paragraphs and able to add much (title, section,
    /// proximity): ranking scores their paragraphs first and exactly.
    pub boosts: Vec<(Box<dyn Query>, f32)>,
    /// `main` is one term or terms that must all be there (words, two-word phrases that are a
    /// common gram; no longer phrase, pattern, alternative or exclusion): tantivy finds its best
    /// matches with block-max WAND.
    pub prunable: bool,
    /// The terms `main` requires (when `prunable`): words, or a phrase's one common gram.
    pub words: Vec<Term>,
    /// The most `words` can score together, when `prunable` and there is a title boost
    /// (infinite otherwise).
    pub words_bound: f32,
    /// `main` is exactly this range of terms (one prefix), every match scoring 1.
    pub range: Option<TermRange>,
    /// In `match=any` without exclusions, `main` is the union of these clauses.
    pub any_clauses: Vec<AnyClause>,
    /// Which of `boosts` is the title's: matched once per document, it adds the same to every
    /// paragraph of a document.
    pub title_boost: Option<usize>,
}

/// A clause of a `match=any` union: a paragraph holding it scores the clause's score plus its
/// bonus.
pub struct AnyClause {
    pub query: Box<dyn Query>,
    /// The one term `query` searches, when it is one.
    pub term: Option<Term>,
    pub bonus: f32,
    /// The most the clause can add, its bonus included (infinite when unknown).
    pub bound: f32,
}

impl Compiled {
    /// One query scoring like main plus the extras.
    pub fn combined(self) -> Box<dyn Query> {
        if self.extras.is_empty() && self.boosts.is_empty() {
            return self.main;
        }
        let additions = AnyOfQuery::boxed(
            self.extras
                .into_iter()
                .chain(self.boosts)
                .map(|(q, _)| q)
                .collect(),
        );
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, self.main),
            (Occur::Should, additions),
        ]))
    }
}

/// A query whose matches score `bonus` more: in `match=any`, each clause a paragraph holds adds
/// its bonus. One wrapper instead of a boolean query pairing the clause with a constant-scored
/// match-all, whose two extra scorers were stepped for every match of the clause.
#[derive(Debug)]
struct PlusQuery {
    query: Box<dyn Query>,
    bonus: Score,
}

impl Clone for PlusQuery {
    fn clone(&self) -> Self {
        PlusQuery {
            query: self.query.box_clone(),
            bonus: self.bonus,
        }
    }
}

impl Query for PlusQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weight = self.query.weight(enable_scoring)?;
        if !enable_scoring.is_scoring_enabled() {
            return Ok(weight);
        }
        Ok(Box::new(PlusWeight {
            weight,
            bonus: self.bonus,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.query.query_terms(visitor)
    }
}

struct PlusWeight {
    weight: Box<dyn Weight>,
    bonus: Score,
}

impl Weight for PlusWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(PlusScorer {
            scorer: self.weight.scorer(reader, boost)?,
            bonus: self.bonus * boost,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let inner = self.weight.explain(reader, doc)?;
        let mut e = Explanation::new_with_string(
            format!("plus {}", self.bonus),
            inner.value() + self.bonus,
        );
        e.add_detail(inner);
        Ok(e)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.weight.count(reader)
    }
}

struct PlusScorer {
    scorer: Box<dyn Scorer>,
    bonus: Score,
}

impl DocSet for PlusScorer {
    fn advance(&mut self) -> DocId {
        self.scorer.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.scorer.seek(target)
    }

    fn seek_danger(&mut self, target: DocId) -> tantivy::SeekDangerResult {
        self.scorer.seek_danger(target)
    }

    fn doc(&self) -> DocId {
        self.scorer.doc()
    }

    fn size_hint(&self) -> u32 {
        self.scorer.size_hint()
    }

    fn cost(&self) -> u64 {
        self.scorer.cost()
    }
}

impl Scorer for PlusScorer {
    fn score(&mut self) -> Score {
        self.scorer.score() + self.bonus
    }
}

/// The paragraphs any of a few clauses match, scoring the sum of the scores of the clauses that
/// match there, in clause order: what a boolean query of SHOULD clauses finds and scores, for
/// clauses that are mostly *sought* rather than walked (extras and boosts looked up for one
/// paragraph at a time, alternatives inside an intersection). tantivy's union reads 4,096
/// paragraphs ahead into a buffer and clears it (32 KB) on every seek past it; this one moves
/// each clause to the target and compares.
#[derive(Debug)]
pub struct AnyOfQuery {
    clauses: Vec<Box<dyn Query>>,
}

impl AnyOfQuery {
    /// The union of `clauses`; one clause is returned as itself.
    pub fn boxed(mut clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
        match clauses.len() {
            1 => clauses.pop().expect("one clause"),
            _ => Box::new(AnyOfQuery { clauses }),
        }
    }
}

impl Clone for AnyOfQuery {
    fn clone(&self) -> Self {
        AnyOfQuery {
            clauses: self.clauses.iter().map(|q| q.box_clone()).collect(),
        }
    }
}

impl Query for AnyOfQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .clauses
            .iter()
            .map(|q| q.weight(enable_scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(AnyOfWeight { weights }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for q in &self.clauses {
            q.query_terms(visitor);
        }
    }
}

struct AnyOfWeight {
    weights: Vec<Box<dyn Weight>>,
}

impl Weight for AnyOfWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let scorers = self
            .weights
            .iter()
            .map(|w| w.scorer(reader, boost))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let mut scorer = AnyOfScorer { scorers, doc: 0 };
        scorer.doc = scorer.first();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        let mut e = Explanation::new("sum of the clauses that match", scorer.score());
        for w in &self.weights {
            if let Ok(detail) = w.explain(reader, doc) {
                e.add_detail(detail);
            }
        }
        Ok(e)
    }
}

struct AnyOfScorer {
    scorers: Vec<Box<dyn Scorer>>,
    doc: DocId,
}

impl AnyOfScorer {
    /// The first paragraph any clause is on.
    fn first(&self) -> DocId {
        self.scorers
            .iter()
            .map(|s| s.doc())
            .min()
            .unwrap_or(TERMINATED)
    }
}

impl DocSet for AnyOfScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        for s in &mut self.scorers {
            if s.doc() == self.doc {
                s.advance();
            }
        }
        self.doc = self.first();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for s in &mut self.scorers {
            if s.doc() < target {
                s.seek(target);
            }
        }
        self.doc = self.first();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers
            .iter()
            .map(|s| s.size_hint())
            .fold(0u32, u32::saturating_add)
    }

    fn cost(&self) -> u64 {
        self.scorers.iter().map(|s| s.cost()).sum()
    }
}

impl Scorer for AnyOfScorer {
    fn score(&mut self) -> Score {
        let mut score = 0.0;
        for s in &mut self.scorers {
            if s.doc() == self.doc {
                score += s.score();
            }
        }
        score
    }
}

/// Every term of a field starting with a prefix: the range from the prefix up to the first
/// string after all its extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermRange {
    pub field: Field,
    /// The prefix (included).
    pub from: String,
    /// The prefix's successor (excluded); `None`: every term from `from` on.
    pub before: Option<Vec<u8>>,
}

impl TermRange {
    pub fn prefix(field: Field, prefix: &str) -> TermRange {
        let mut before = prefix.as_bytes().to_vec();
        // The successor: the last byte that can grow grows, and what follows it goes.
        while before.last() == Some(&u8::MAX) {
            before.pop();
        }
        let before = match before.last_mut() {
            Some(last) => {
                *last += 1;
                Some(before)
            }
            None => None,
        };
        TermRange {
            field,
            from: prefix.to_string(),
            before,
        }
    }

    /// The range as a query: the same paragraphs and constant score (1) as the pattern
    /// `prefix.*`, without compiling a regular expression into an automaton for every field of
    /// every query.
    pub fn query(&self) -> Box<dyn Query> {
        Box::new(InvertedIndexRangeQuery::new(
            Bound::Included(Term::from_field_text(self.field, &self.from)),
            match &self.before {
                Some(b) => Bound::Excluded(Term::from_field_bytes(self.field, b)),
                None => Bound::Unbounded,
            },
        ))
    }
}

/// The patterns a word's prefix search looks for, among the index's terms and the terms of the
/// text it highlights: usually the stem is a prefix of the word (`economi` of `economies`), and
/// then its pattern already matches every term the word's does.
fn prefix_patterns(analyzer: &Analyzer, word: &str) -> Vec<String> {
    let stem = analyzer.stem(word);
    if word.starts_with(stem.as_str()) {
        vec![stem]
    } else {
        vec![word.to_string(), stem]
    }
}

/// Every term starting with `prefix`.
fn prefix_query(field: Field, prefix: &str) -> Box<dyn Query> {
    TermRange::prefix(field, prefix).query()
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~\"@<>".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What to mark in a field: the units of the positive concepts that search it. Made by
/// [`MatchSpec::new`] only (the fields are the crate's), so that its lookup always agrees with
/// its units.
#[derive(Clone, Debug, Default)]
pub struct MatchSpec {
    pub(crate) terms: HashSet<String>,
    pub(crate) phrases: Vec<Vec<String>>,
    pub(crate) prefixes: Vec<String>,
    pub(crate) phrase_prefixes: Vec<Vec<String>>,
    pub(crate) cjk_chars: Vec<String>,
    /// What marking each field of each hit looks up, made once a search
    /// ([`crate::highlight::match_spans`]).
    pub(crate) lookup: SpecLookup,
}

/// A [`MatchSpec`]'s units arranged for marking: each hit's text, title and section is marked
/// with the same ones, and arranging them per field was one in fifteen of a search's
/// allocations.
#[derive(Clone, Debug, Default)]
pub(crate) struct SpecLookup {
    /// The distinct words the phrases are made of (a handful: a linear search beats hashing).
    pub words: Vec<String>,
    /// The last word of each phrase prefix (at most 64: one bit each).
    pub prefix_ends: Vec<String>,
    /// The terms, when few enough that a linear search beats hashing.
    pub few_terms: Option<Vec<String>>,
    /// The first bytes of everything looked for (`None`: something empty is looked for).
    pub firsts: Option<Vec<u8>>,
}

impl MatchSpec {
    /// The match spec of `targets` (title highlighting also marks plain text terms), with the
    /// index's `analyzer`, which stems prefixes as their search does.
    pub fn new(analyzer: &Analyzer, concepts: &[Concept], targets: &[Target]) -> MatchSpec {
        let mut spec = MatchSpec::default();
        for c in concepts.iter().filter(|c| !c.negated) {
            for (target, unit) in &c.alts {
                if !targets.contains(target) {
                    continue;
                }
                match unit {
                    Unit::CjkChar(ch) => spec.cjk_chars.push(ch.clone()),
                    Unit::Terms {
                        terms,
                        prefix: false,
                    } if terms.len() == 1 => {
                        spec.terms.insert(terms[0].clone());
                    }
                    Unit::Terms {
                        terms,
                        prefix: false,
                    } => spec.phrases.push(terms.clone()),
                    Unit::Terms {
                        terms,
                        prefix: true,
                    } if terms.len() == 1 => {
                        spec.prefixes.extend(prefix_patterns(analyzer, &terms[0]))
                    }
                    Unit::Terms {
                        terms,
                        prefix: true,
                    } => spec.phrase_prefixes.push(terms.clone()),
                }
            }
        }
        spec.lookup = SpecLookup::new(&spec);
        spec
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
            && self.phrases.is_empty()
            && self.prefixes.is_empty()
            && self.phrase_prefixes.is_empty()
            && self.cjk_chars.is_empty()
    }
}

impl SpecLookup {
    fn new(spec: &MatchSpec) -> SpecLookup {
        let mut words: Vec<String> = Vec::new();
        for w in spec.phrases.iter().chain(&spec.phrase_prefixes).flatten() {
            if !words.contains(w) {
                words.push(w.clone());
            }
        }
        let looked_for = spec
            .terms
            .iter()
            .chain(&spec.prefixes)
            .chain(spec.phrases.iter().chain(&spec.phrase_prefixes).flatten());
        SpecLookup {
            words,
            prefix_ends: spec
                .phrase_prefixes
                .iter()
                .take(64)
                .map(|p| p.last().cloned().unwrap_or_default())
                .collect(),
            few_terms: (spec.terms.len() <= 8).then(|| spec.terms.iter().cloned().collect()),
            firsts: looked_for.map(|t| t.as_bytes().first().copied()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Atoms = Vec<(bool, Vec<(Target, AtomKind, String)>)>;

    fn atoms(q: &str) -> Atoms {
        parse(q)
            .clauses
            .into_iter()
            .map(|c| {
                (
                    c.negated,
                    c.alts
                        .into_iter()
                        .map(|a| (a.target, a.kind, a.text))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn grammar() {
        use AtomKind::*;
        use Target::*;
        assert_eq!(
            atoms(r#"trade "foreign policy" -sanctions title:juche econ* a OR b"#),
            vec![
                (false, vec![(Text, Word, "trade".into())]),
                (false, vec![(Text, Phrase, "foreign policy".into())]),
                (true, vec![(Text, Word, "sanctions".into())]),
                (false, vec![(Title, Word, "juche".into())]),
                (false, vec![(Text, Prefix, "econ".into())]),
                (
                    false,
                    vec![(Text, Word, "a".into()), (Text, Word, "b".into())]
                ),
            ]
        );
    }

    #[test]
    fn lenient_reading() {
        assert_eq!(atoms(r#""unclosed phrase"#)[0].1[0].2, "unclosed phrase");
        assert!(atoms("OR - ( ) * \"\"").is_empty());
        assert_eq!(atoms("OR trade OR").len(), 1);
        assert_eq!(
            atoms("note:this")[0].1[0],
            (Target::Text, AtomKind::Word, "note:this".into())
        );
        assert_eq!(atoms("or")[0].1[0].2, "or");
    }

    fn syn() -> Synonyms {
        Synonyms::from_toml(
            "[[group]]\nterms = [\"DPRK\", \"North Korea\"]\n[[group]]\nterms = [\"Kim Jong Un\", \"Kim Jong-un\"]\n",
            &Analyzer::new(),
        )
        .unwrap()
    }

    #[test]
    fn synonyms_replace_runs_of_plain_words() {
        let concepts = analyze(&parse("north korea trade"), &Analyzer::new(), &syn());
        assert_eq!(concepts.len(), 2);
        assert_eq!(concepts[0].alts.len(), 2);
        let concepts = analyze(&parse("Kim Jong-un"), &Analyzer::new(), &syn());
        assert_eq!(concepts.len(), 1);
        // Quoted phrases are literal.
        let concepts = analyze(&parse("\"north korea\""), &Analyzer::new(), &syn());
        assert_eq!(concepts[0].alts.len(), 1);
    }

    #[test]
    fn relaxation_needs_plain_words() {
        let a = Analyzer::new();
        assert!(relaxable(&analyze(&parse("informal markets"), &a, &syn())));
        assert!(!relaxable(&analyze(&parse("informal"), &a, &syn())));
        assert!(!relaxable(&analyze(
            &parse("informal -markets"),
            &a,
            &syn()
        )));
        assert!(!relaxable(&analyze(
            &parse("\"informal markets\" trade"),
            &a,
            &syn()
        )));
    }

    #[test]
    fn hyphenated_words_are_phrases() {
        let concepts = analyze(&parse("Jong-un"), &Analyzer::new(), &Synonyms::default());
        assert_eq!(
            concepts[0].alts[0].1,
            Unit::Terms {
                terms: vec!["jong".into(), "un".into()],
                prefix: false
            }
        );
    }

    #[test]
    fn prefixes_are_folded_not_stemmed() {
        let concepts = analyze(&parse("Tradi*"), &Analyzer::new(), &Synonyms::default());
        assert_eq!(
            concepts[0].alts[0].1,
            Unit::Terms {
                terms: vec!["tradi".into()],
                prefix: true
            }
        );
    }
}
