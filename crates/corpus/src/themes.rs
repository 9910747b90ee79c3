//! Themes: the taxonomy of `config/themes.toml` and the tagger that gives paragraphs their themes.
//!
//! Each theme lists its evidence: words and phrases with weights. A paragraph's score for a theme
//! is the sum, over the evidence it contains, of `weight × (1 + ln(occurrences))`, so repetition
//! counts but does not dominate. A paragraph gets the themes whose score reaches the theme's
//! threshold, the strongest first, at most `max_per_paragraph` of them, plus its document's own
//! themes. Evidence is matched on analyzed terms, with the same analyzer as search: `sanctions`
//! evidence matches "sanctioned", and `Kyŏngje` evidence matches "Kyo'ngje".

use rustc_hash::FxHashMap;

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use folio_text::{Analyzer, RawKey};
use serde::{Deserialize, Serialize};

/// The theme taxonomy, as written in `themes.toml`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    /// Score a paragraph needs for a theme, unless the theme sets its own.
    #[serde(default = "default_threshold")]
    pub threshold: f32,
    /// At most this many themes per paragraph from evidence (document themes come on top).
    #[serde(default = "default_max")]
    pub max_per_paragraph: usize,
    #[serde(default, rename = "theme")]
    pub themes: Vec<ThemeDef>,
}

fn default_threshold() -> f32 {
    3.0
}

fn default_max() -> usize {
    4
}

/// One theme.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ThemeDef {
    /// Stable id: lowercase letters, digits and hyphens.
    pub id: String,
    pub label: String,
    /// One line saying what the theme covers.
    pub description: String,
    /// Overrides the taxonomy's threshold for this theme.
    #[serde(default)]
    pub threshold: Option<f32>,
    /// Words and phrases with their weights.
    pub evidence: std::collections::BTreeMap<String, f32>,
}

/// A problem in the taxonomy, naming the theme and key.
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    #[error("themes file does not parse: {0}")]
    Syntax(String),
    #[error("theme[{index}].id {id:?}: ids are lowercase letters, digits and hyphens")]
    BadId { index: usize, id: String },
    #[error("theme {id:?} is defined twice")]
    Duplicate { id: String },
    #[error(
        "theme {id:?}: evidence {phrase:?} has weight {weight}; weights must be positive numbers"
    )]
    BadWeight {
        id: String,
        phrase: String,
        weight: f32,
    },
    #[error("theme {id:?}: evidence {phrase:?} has no searchable words")]
    EmptyPhrase { id: String, phrase: String },
    #[error("theme {id:?}: no evidence; list the words and phrases that mark it")]
    NoEvidence { id: String },
    #[error("threshold {0} must be a positive number")]
    BadThreshold(f32),
    #[error("the taxonomy has {0} themes; folio supports at most 64")]
    TooMany(usize),
}

impl Taxonomy {
    pub fn from_toml(text: &str) -> Result<Taxonomy, TaxonomyError> {
        let t: Taxonomy = toml::from_str(text).map_err(|e| TaxonomyError::Syntax(e.to_string()))?;
        Ok(t)
    }

    pub fn get(&self, id: &str) -> Option<&ThemeDef> {
        self.themes.iter().find(|t| t.id == id)
    }
}

/// Why a paragraph got (or did not get) a theme.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ThemeExplanation {
    pub theme: String,
    pub label: String,
    pub score: f32,
    pub threshold: f32,
    /// Given to the paragraph.
    pub assigned: bool,
    /// Given because the document lists the theme, whatever the evidence.
    pub from_document: bool,
    pub evidence: Vec<EvidenceMatch>,
}

/// One piece of evidence found in a paragraph.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EvidenceMatch {
    pub phrase: String,
    pub weight: f32,
    pub occurrences: usize,
    pub contribution: f32,
}

struct Evidence {
    phrase: String,
    /// Its terms, by their numbers in [`Tagger::term_ids`].
    terms: Vec<u32>,
    weight: f32,
}

struct CompiledTheme {
    id: String,
    label: String,
    threshold: f32,
    evidence: Vec<Evidence>,
}

/// Most themes a taxonomy may have (the index keeps a paragraph's themes as a 64-bit set).
pub const MAX_THEMES: usize = 64;

/// The taxonomy compiled for matching: evidence analyzed once.
pub struct Tagger {
    analyzer: Analyzer,
    themes: Vec<CompiledTheme>,
    max: usize,
    /// Every term of the evidence, numbered: a paragraph's words are looked up once, and a
    /// phrase is then matched on numbers. Looked up for every word of every paragraph, hence Fx.
    term_ids: FxHashMap<String, u32>,
    /// Evidence by the number of its last term: (theme, evidence) indexes. Matching is one pass
    /// over a paragraph's tokens, looking back for the rest of a phrase.
    by_last: Vec<Vec<(usize, usize)>>,
    /// Terms in the longest piece of evidence.
    longest: usize,
    /// Tells this tagger's words apart from another's in the per-thread table of words.
    instance: u64,
}

/// Slots of the per-thread table of words a tagger has met (1.5 MB a thread): a corpus's
/// vocabulary is large (names, numbers, spellings), and at 8,192 slots the words that missed
/// were analyzed again (100,000 paragraphs: 2.7% of indexing's instructions).
const WORD_SLOTS: usize = 65536;

/// A word as written and its evidence term's number ([`NO_TERM`] when it is no evidence).
type WordSlot = (RawKey, u32);

/// The number of a word that is no evidence.
const NO_TERM: u32 = u32::MAX;

thread_local! {
    /// Short plain words this thread's tagger has met, as written, with their evidence term's
    /// number: most words of a paragraph are then found without being analyzed (stemmed and
    /// looked up by term), which halved the tagger's work. Belongs to one tagger at a time.
    static WORDS: RefCell<(u64, Vec<WordSlot>)> = const { RefCell::new((0, Vec::new())) };
}

/// Numbers taggers for [`Tagger::instance`]; 0 is none.
static INSTANCES: AtomicU64 = AtomicU64::new(1);

impl std::fmt::Debug for Tagger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tagger")
            .field("themes", &self.themes.len())
            .finish()
    }
}

impl Tagger {
    /// Validates the taxonomy and analyzes its evidence.
    pub fn new(taxonomy: &Taxonomy, analyzer: Analyzer) -> Result<Tagger, TaxonomyError> {
        if !(taxonomy.threshold.is_finite() && taxonomy.threshold > 0.0) {
            return Err(TaxonomyError::BadThreshold(taxonomy.threshold));
        }
        if taxonomy.themes.len() > MAX_THEMES {
            return Err(TaxonomyError::TooMany(taxonomy.themes.len()));
        }
        let mut themes = Vec::new();
        let mut term_ids: FxHashMap<String, u32> = FxHashMap::default();
        for (index, def) in taxonomy.themes.iter().enumerate() {
            let valid_id = !def.id.is_empty()
                && def
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid_id {
                return Err(TaxonomyError::BadId {
                    index,
                    id: def.id.clone(),
                });
            }
            if themes.iter().any(|t: &CompiledTheme| t.id == def.id) {
                return Err(TaxonomyError::Duplicate { id: def.id.clone() });
            }
            if def.evidence.is_empty() {
                return Err(TaxonomyError::NoEvidence { id: def.id.clone() });
            }
            let threshold = def.threshold.unwrap_or(taxonomy.threshold);
            if !(threshold.is_finite() && threshold > 0.0) {
                return Err(TaxonomyError::BadThreshold(threshold));
            }
            let mut evidence = Vec::new();
            for (phrase, &weight) in &def.evidence {
                if !(weight.is_finite() && weight > 0.0) {
                    return Err(TaxonomyError::BadWeight {
                        id: def.id.clone(),
                        phrase: phrase.clone(),
                        weight,
                    });
                }
                let terms = analyzer.terms(phrase);
                if terms.is_empty() {
                    return Err(TaxonomyError::EmptyPhrase {
                        id: def.id.clone(),
                        phrase: phrase.clone(),
                    });
                }
                let terms: Vec<u32> = terms
                    .into_iter()
                    .map(|t| {
                        let next = term_ids.len() as u32;
                        *term_ids.entry(t).or_insert(next)
                    })
                    .collect();
                evidence.push(Evidence {
                    phrase: phrase.clone(),
                    terms,
                    weight,
                });
            }
            themes.push(CompiledTheme {
                id: def.id.clone(),
                label: def.label.clone(),
                threshold,
                evidence,
            });
        }
        let mut by_last: Vec<Vec<(usize, usize)>> = vec![Vec::new(); term_ids.len()];
        let mut longest = 1;
        for (t, theme) in themes.iter().enumerate() {
            for (e, ev) in theme.evidence.iter().enumerate() {
                longest = longest.max(ev.terms.len());
                let last = *ev.terms.last().expect("evidence has terms");
                by_last[last as usize].push((t, e));
            }
        }
        Ok(Tagger {
            analyzer,
            themes,
            max: taxonomy.max_per_paragraph,
            term_ids,
            by_last,
            longest,
            instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// Whether `id` is a theme of the taxonomy.
    pub fn knows(&self, id: &str) -> bool {
        self.themes.iter().any(|t| t.id == id)
    }

    /// The ids of all themes, in taxonomy order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.themes.iter().map(|t| t.id.as_str())
    }

    /// How often each piece of evidence occurs in `text`: (theme, evidence, occurrences).
    fn occurrences(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        // The numbers of the last `longest` terms (`NO_TERM` for words of no evidence), in a
        // ring, to look back along a phrase.
        let mut ring: Vec<u32> = vec![NO_TERM; self.longest];
        let mut seen = 0usize;
        let mut tokens = self.analyzer.word_keys(text);
        while tokens.advance() {
            let id = match tokens.raw_key() {
                Some(key) => {
                    let t = tokens.token();
                    self.word_id(key, &text[t.from..t.to])
                }
                None => self.term_id(&tokens.token().term),
            };
            if id != NO_TERM {
                for &(t, e) in &self.by_last[id as usize] {
                    let ev = &self.themes[t].evidence[e].terms;
                    let n = ev.len();
                    let matches = n - 1 <= seen
                        && (1..n).all(|k| ring[(seen - k) % self.longest] == ev[n - 1 - k]);
                    if matches {
                        match found.iter_mut().find(|(ft, fe, _)| (*ft, *fe) == (t, e)) {
                            Some(f) => f.2 += 1,
                            None => found.push((t, e, 1)),
                        }
                    }
                }
            }
            ring[seen % self.longest] = id;
            seen += 1;
        }
        found
    }

    /// The evidence number of a term.
    fn term_id(&self, term: &str) -> u32 {
        self.term_ids.get(term).copied().unwrap_or(NO_TERM)
    }

    /// The evidence number of a short plain word, `key` being `word` as written.
    fn word_id(&self, key: RawKey, word: &str) -> u32 {
        let slot = key.slot(WORD_SLOTS);
        let known = WORDS.with(|words| {
            let mut words = words.borrow_mut();
            if words.0 != self.instance {
                *words = (
                    self.instance,
                    vec![(RawKey::default(), NO_TERM); WORD_SLOTS],
                );
            }
            let (k, id) = words.1[slot];
            (k == key).then_some(id)
        });
        if let Some(id) = known {
            return id;
        }
        let id = self.term_id(&self.analyzer.term_of_word(word));
        WORDS.with(|words| words.borrow_mut().1[slot] = (key, id));
        id
    }

    /// The themes of a paragraph: the strongest evidence-backed ones plus the document's, in the
    /// order and by the rule of [`Tagger::explain`] (which this is the fast path of).
    pub fn tag(&self, text: &str, document_themes: &[String]) -> Vec<String> {
        let mut scores = vec![0f32; self.themes.len()];
        for (t, e, n) in self.occurrences(text) {
            scores[t] += self.themes[t].evidence[e].weight * (1.0 + (n as f32).ln());
        }
        let from_document = |t: usize| document_themes.contains(&self.themes[t].id);
        let mut candidates: Vec<usize> = (0..self.themes.len())
            .filter(|&t| scores[t] > 0.0 || from_document(t))
            .collect();
        candidates.sort_by(|&a, &b| {
            round2(scores[b])
                .total_cmp(&round2(scores[a]))
                .then_with(|| self.themes[a].id.cmp(&self.themes[b].id))
        });
        let mut given = 0;
        let mut out = Vec::new();
        for t in candidates {
            let strong = round2(scores[t]) >= self.themes[t].threshold && given < self.max;
            given += usize::from(strong);
            if strong || from_document(t) {
                out.push(self.themes[t].id.clone());
            }
        }
        out
    }

    /// Every theme with evidence in the paragraph (or from the document), with its score and
    /// whether it was assigned, strongest first.
    pub fn explain(&self, text: &str, document_themes: &[String]) -> Vec<ThemeExplanation> {
        let occurrences = self.occurrences(text);
        let mut out: Vec<ThemeExplanation> = Vec::new();
        for (t, theme) in self.themes.iter().enumerate() {
            let evidence: Vec<EvidenceMatch> = theme
                .evidence
                .iter()
                .enumerate()
                .filter_map(|(e, ev)| {
                    let n = occurrences
                        .iter()
                        .find(|(ft, fe, _)| (*ft, *fe) == (t, e))
                        .map_or(0, |f| f.2);
                    (n > 0).then(|| EvidenceMatch {
                        phrase: ev.phrase.clone(),
                        weight: ev.weight,
                        occurrences: n,
                        contribution: ev.weight * (1.0 + (n as f32).ln()),
                    })
                })
                .collect();
            let from_document = document_themes.contains(&theme.id);
            if evidence.is_empty() && !from_document {
                continue;
            }
            let score = evidence.iter().map(|e| e.contribution).sum::<f32>();
            out.push(ThemeExplanation {
                theme: theme.id.clone(),
                label: theme.label.clone(),
                score: round2(score),
                threshold: theme.threshold,
                assigned: false,
                from_document,
                evidence,
            });
        }
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.theme.cmp(&b.theme))
        });
        let mut given = 0;
        for e in &mut out {
            if e.score >= e.threshold && given < self.max {
                e.assigned = true;
                given += 1;
            }
            if e.from_document {
                e.assigned = true;
            }
        }
        out
    }
}

/// Scores are shown, and compared with thresholds, at two decimals, so `explain` and `tag` agree.
fn round2(x: f32) -> f32 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagger() -> Tagger {
        let t = Taxonomy::from_toml(
            r#"
threshold = 2.0
[[theme]]
id = "foreign-trade"
label = "Foreign trade"
description = "Trade"
evidence = { "foreign trade" = 2.0, "export" = 1.0, "trading company" = 2.0 }
[[theme]]
id = "sanctions"
label = "Sanctions"
description = "Sanctions"
evidence = { "sanctions" = 2.5 }
"#,
        )
        .unwrap();
        Tagger::new(&t, Analyzer::new()).unwrap()
    }

    #[test]
    fn phrases_and_stems_count() {
        let tags = tagger().tag("Trading companies expanded foreign trade and exports.", &[]);
        assert_eq!(tags, vec!["foreign-trade"]);
    }

    #[test]
    fn weak_evidence_is_not_enough() {
        assert!(tagger().tag("Coal exports fell.", &[]).is_empty());
    }

    #[test]
    fn document_themes_always_apply() {
        let tags = tagger().tag("Nothing relevant here.", &["sanctions".to_string()]);
        assert_eq!(tags, vec!["sanctions"]);
    }

    #[test]
    fn explanation_lists_evidence() {
        let ex = tagger().explain("Sanctioned, sanctions and more sanctions.", &[]);
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].evidence[0].occurrences, 3);
        assert!(ex[0].assigned);
    }

    #[test]
    fn tag_is_explain_fast() {
        let t = tagger();
        for text in [
            "Trading companies expanded foreign trade and exports. Sanctions, sanctions.",
            "foreign foreign trade trade trading company companies",
            "Nothing here.",
            "",
        ] {
            for doc in [vec![], vec!["sanctions".to_string()]] {
                let slow: Vec<String> = t
                    .explain(text, &doc)
                    .into_iter()
                    .filter(|e| e.assigned)
                    .map(|e| e.theme)
                    .collect();
                assert_eq!(t.tag(text, &doc), slow, "{text:?} {doc:?}");
            }
        }
    }

    #[test]
    fn phrases_are_counted_where_they_end() {
        let ex = tagger().explain("foreign trade, foreign policy, foreign trade", &[]);
        let phrase = ex[0]
            .evidence
            .iter()
            .find(|e| e.phrase == "foreign trade")
            .unwrap();
        assert_eq!(phrase.occurrences, 2);
    }

    #[test]
    fn invalid_taxonomies_are_rejected_with_the_key() {
        let t = Taxonomy::from_toml(
            "[[theme]]\nid = \"Bad Id\"\nlabel=\"x\"\ndescription=\"x\"\nevidence={x=1.0}",
        )
        .unwrap();
        let e = Tagger::new(&t, Analyzer::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "theme[0].id \"Bad Id\": ids are lowercase letters, digits and hyphens"
        );
        let t = Taxonomy::from_toml(
            "[[theme]]\nid = \"a\"\nlabel=\"x\"\ndescription=\"x\"\nevidence={x=-1.0}",
        )
        .unwrap();
        assert!(Tagger::new(&t, Analyzer::new()).is_err());
    }

    /// Words are remembered per thread by their spelling; a second tagger on the same thread
    /// must not see the first one's evidence numbers, and a word met again must score the same.
    #[test]
    fn words_remembered_per_tagger() {
        let trade = tagger();
        let other = Tagger::new(
            &Taxonomy::from_toml(
                r#"
[[theme]]
id = "energy"
label = "Energy"
description = "Energy"
evidence = { "coal" = 3.0, "power plants" = 3.0, "Kyŏngje" = 3.0 }
"#,
            )
            .unwrap(),
            Analyzer::new(),
        )
        .unwrap();
        let text =
            "Coal exports: Trading companies expanded foreign trade; POWER plants, Kyo'ngje.";
        for _ in 0..3 {
            assert_eq!(trade.tag(text, &[]), vec!["foreign-trade"]);
            assert_eq!(other.tag(text, &[]), vec!["energy"]);
            let explained = other.explain(text, &[]);
            let found: Vec<(&str, usize)> = explained[0]
                .evidence
                .iter()
                .map(|e| (e.phrase.as_str(), e.occurrences))
                .collect();
            assert_eq!(
                found,
                vec![("Kyŏngje", 1), ("coal", 1), ("power plants", 1)]
            );
        }
    }
}
