//! The query mix: a few hundred queries derived deterministically from the generated corpus, and
//! their translations for each engine.
//!
//! The mix (300 queries, shuffled): 6 stop words ("the"), 54 single terms at ranks spread evenly
//! on a log scale over the vocabulary (very common to seen-once), 80 two-term and 50 three-term
//! queries (four in five from words of one paragraph, the rest with an unrelated word, which may
//! match nothing), 60 quoted phrases of two or three words taken from paragraphs, and 50 prefix
//! queries (`infor*`). Every third query has filters (a source, a theme, a range of years, or a
//! source and years); three queries in four ask for the three facets; every query is highlighted.
//!
//! Translations keep the meaning of folio's query language: terms are ANDed, except that stop
//! words in a query with other words only add to folio's score, so the baselines leave them out;
//! phrases are phrases; `infor*` is a prefix.

use folio_search::{FacetName, Filters, SearchRequest, YearRange};
use serde::{Deserialize, Serialize};

use crate::generate::{Material, SOURCES, YEARS, source_weights};
use crate::rng::Rng;

/// One piece of a query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Atom {
    Word(String),
    Phrase(Vec<String>),
    Prefix(String),
}

/// What kind of query it is, for per-kind figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Class {
    StopWord,
    CommonTerm,
    MidTerm,
    RareTerm,
    TwoTerms,
    ThreeTerms,
    Phrase,
    Prefix,
}

impl Class {
    pub const ALL: [Class; 8] = [
        Class::StopWord,
        Class::CommonTerm,
        Class::MidTerm,
        Class::RareTerm,
        Class::TwoTerms,
        Class::ThreeTerms,
        Class::Phrase,
        Class::Prefix,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::StopWord => "stop word",
            Class::CommonTerm => "common term (df >= 1%)",
            Class::MidTerm => "term (df 0.05-1%)",
            Class::RareTerm => "rare term (df < 0.05%)",
            Class::TwoTerms => "two terms",
            Class::ThreeTerms => "three terms",
            Class::Phrase => "phrase",
            Class::Prefix => "prefix",
        }
    }

    pub fn is_single_term(self) -> bool {
        matches!(
            self,
            Class::StopWord | Class::CommonTerm | Class::MidTerm | Class::RareTerm
        )
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Query {
    pub class: Class,
    pub atoms: Vec<Atom>,
    pub source: Option<String>,
    pub theme: Option<String>,
    pub years: Option<(u32, u32)>,
    /// Ask for the three facets (source, year, theme).
    pub facets: bool,
}

pub fn is_stop(word: &str) -> bool {
    folio_text::is_stopword(&folio_text::fold(word))
}

impl Query {
    pub fn filtered(&self) -> bool {
        self.source.is_some() || self.theme.is_some() || self.years.is_some()
    }

    /// In folio's query language.
    pub fn folio_q(&self) -> String {
        self.atoms
            .iter()
            .map(|a| match a {
                Atom::Word(w) => w.clone(),
                Atom::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
                Atom::Prefix(p) => format!("{p}*"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The atoms that are required: stop words only count when there is nothing else.
    fn required(&self) -> Vec<&Atom> {
        let content = self
            .atoms
            .iter()
            .any(|a| !matches!(a, Atom::Word(w) if is_stop(w)));
        self.atoms
            .iter()
            .filter(|a| !(content && matches!(a, Atom::Word(w) if is_stop(w))))
            .collect()
    }

    /// The FTS5 MATCH expression, on the text column.
    pub fn fts5_match(&self) -> String {
        let parts: Vec<String> = self
            .required()
            .into_iter()
            .map(|a| match a {
                Atom::Word(w) => format!("\"{w}\""),
                Atom::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
                Atom::Prefix(p) => format!("\"{p}\"*"),
            })
            .collect();
        format!("{{text}} : ({})", parts.join(" AND "))
    }

    /// tantivy's query-parser syntax (conjunction by default), filters included, prefixes left
    /// out: the parser has no single-word prefix (see [`Query::prefixes`]).
    pub fn tantivy_q(&self) -> String {
        let mut parts: Vec<String> = self
            .required()
            .into_iter()
            .filter_map(|a| match a {
                Atom::Word(w) => Some(w.clone()),
                Atom::Phrase(ws) => Some(format!("\"{}\"", ws.join(" "))),
                Atom::Prefix(_) => None,
            })
            .collect();
        if let Some(s) = &self.source {
            parts.push(format!("source:\"{s}\""));
        }
        if let Some(t) = &self.theme {
            parts.push(format!("themes:\"{t}\""));
        }
        if let Some((a, b)) = self.years {
            parts.push(format!("year:[{a} TO {b}]"));
        }
        parts.join(" ")
    }

    /// The prefixes of the query (`infor` for `infor*`).
    pub fn prefixes(&self) -> Vec<&str> {
        self.atoms
            .iter()
            .filter_map(|a| match a {
                Atom::Prefix(p) => Some(p.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The path and query string of `GET /search`.
    pub fn http_path(&self) -> String {
        let mut p = format!("/search?q={}", encode(&self.folio_q()));
        p.push_str(if self.facets {
            "&facets=source,year,theme"
        } else {
            "&facets="
        });
        if let Some(s) = &self.source {
            p.push_str("&source=");
            p.push_str(&encode(s));
        }
        if let Some(t) = &self.theme {
            p.push_str("&theme=");
            p.push_str(&encode(t));
        }
        if let Some((a, b)) = self.years {
            p.push_str(&format!("&year={a}..{b}"));
        }
        p
    }

    /// The in-process request (what `GET /search` turns `http_path` into).
    pub fn request(&self) -> SearchRequest {
        SearchRequest {
            q: self.folio_q(),
            filters: Filters {
                source: self.source.iter().cloned().collect(),
                theme: self.theme.iter().cloned().collect(),
                year: self.years.map(|(a, b)| YearRange {
                    from: Some(a),
                    to: Some(b),
                }),
                ..Filters::default()
            },
            facets: Some(if self.facets {
                FacetName::ALL.to_vec()
            } else {
                Vec::new()
            }),
            ..SearchRequest::default()
        }
    }
}

/// Percent-encodes everything but unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The words of a paragraph as written (lowercased), with whether punctuation is attached; a
/// token that is not a plain word (a number, `don't`) gives an empty word, so that runs of words
/// stay runs of the text.
fn words_of(paragraph: &str) -> Vec<(String, bool)> {
    paragraph
        .split_whitespace()
        .map(|t| {
            let core = t.trim_matches(|c: char| !c.is_ascii_alphabetic());
            if core.is_empty() || !core.bytes().all(|b| b.is_ascii_alphabetic()) {
                return (String::new(), true);
            }
            let punct = !(t.starts_with(core) && t.ends_with(core));
            (core.to_ascii_lowercase(), punct)
        })
        .collect()
}

fn content_word(w: &str) -> bool {
    w.len() >= 3 && !is_stop(w)
}

/// Derives the mix from the corpus statistics.
pub fn derive(material: &Material, seed: u64) -> Vec<Query> {
    let mut rng = Rng::new(seed ^ 0x5155_4552_4945_5321);
    let p = material.paragraphs.max(1) as f64;
    let vocab: Vec<&(String, u32)> = material
        .df
        .iter()
        .filter(|(w, _)| content_word(w))
        .collect();
    let class_of = |df: u32| {
        let f = df as f64 / p;
        if f >= 0.01 {
            Class::CommonTerm
        } else if f >= 0.0005 {
            Class::MidTerm
        } else {
            Class::RareTerm
        }
    };
    let mut out: Vec<(Class, Vec<Atom>)> = Vec::new();

    // Stop words, most frequent first.
    for (w, _) in material.df.iter().filter(|(w, _)| is_stop(w)).take(6) {
        out.push((Class::StopWord, vec![Atom::Word(w.clone())]));
    }
    // Single terms on a log scale of rank.
    let mut used = std::collections::HashSet::new();
    let log_rank = |rng: &mut Rng, n: usize| -> usize {
        ((rng.f64() * (n as f64).ln()).exp() as usize).clamp(1, n) - 1
    };
    if !vocab.is_empty() {
        let n = vocab.len();
        for i in 0..54 {
            let x = (i as f64 + rng.f64()) / 54.0;
            let mut r = (((n as f64).ln() * x).exp() as usize).clamp(1, n) - 1;
            while used.contains(&r) && r + 1 < n {
                r += 1;
            }
            used.insert(r);
            let (w, df) = vocab[r];
            out.push((class_of(*df), vec![Atom::Word(w.clone())]));
        }
    }
    let sample = &material.sample;
    let paragraph_words = |rng: &mut Rng| -> Vec<(String, bool)> {
        for _ in 0..100 {
            let ws = words_of(&sample[rng.below(sample.len())]);
            if ws.iter().filter(|(w, _)| content_word(w)).count() >= 3 {
                return ws;
            }
        }
        Vec::new()
    };
    if !sample.is_empty() && !vocab.is_empty() {
        // Two and three terms.
        for (class, count, k) in [(Class::TwoTerms, 80, 2), (Class::ThreeTerms, 50, 3)] {
            for i in 0..count {
                let ws = paragraph_words(&mut rng);
                let mut content: Vec<String> = ws
                    .into_iter()
                    .map(|(w, _)| w)
                    .filter(|w| content_word(w))
                    .collect();
                content.dedup();
                let mut picked: Vec<String> = Vec::new();
                for _ in 0..50 {
                    if picked.len() == k || content.is_empty() {
                        break;
                    }
                    let w = content[rng.below(content.len())].clone();
                    if !picked.contains(&w) {
                        picked.push(w);
                    }
                }
                if i % 5 == 4 {
                    // One unrelated word: such pairs may match nothing (folio then relaxes).
                    let w = vocab[log_rank(&mut rng, vocab.len())].0.clone();
                    if !picked.contains(&w) {
                        picked.pop();
                        picked.push(w);
                    }
                }
                if picked.len() == k {
                    out.push((class, picked.into_iter().map(Atom::Word).collect()));
                }
            }
        }
        // Phrases.
        let mut phrases = 0;
        for _ in 0..2000 {
            if phrases == 60 {
                break;
            }
            let ws = paragraph_words(&mut rng);
            let len = rng.range(2, 3);
            if ws.len() < len + 1 {
                continue;
            }
            let start = rng.below(ws.len() - len);
            let run = &ws[start..start + len];
            // No punctuation inside the phrase, and at least one content word.
            if run[..len - 1].iter().any(|(_, punct)| *punct)
                || run.iter().any(|(w, _)| w.is_empty())
                || !run.iter().any(|(w, _)| content_word(w))
            {
                continue;
            }
            out.push((
                Class::Phrase,
                vec![Atom::Phrase(run.iter().map(|(w, _)| w.clone()).collect())],
            ));
            phrases += 1;
        }
        // Prefixes.
        let mut prefixes = 0;
        for _ in 0..2000 {
            if prefixes == 50 {
                break;
            }
            let ws = paragraph_words(&mut rng);
            let long: Vec<&String> = ws
                .iter()
                .map(|(w, _)| w)
                .filter(|w| w.len() >= 5 && !is_stop(w))
                .collect();
            if long.is_empty() {
                continue;
            }
            let w = long[rng.below(long.len())];
            let len = rng.range(3, 6.min(w.len() - 1));
            out.push((Class::Prefix, vec![Atom::Prefix(w[..len].to_string())]));
            prefixes += 1;
        }
    }

    // Shuffle (Fisher-Yates), then filters on every third and facets on three in four.
    for i in (1..out.len()).rev() {
        let j = rng.below(i + 1);
        out.swap(i, j);
    }
    let sw = source_weights();
    let tw: Vec<f64> = (1..=material.themes.len())
        .map(|r| 1.0 / r as f64)
        .collect();
    out.into_iter()
        .enumerate()
        .map(|(i, (class, atoms))| {
            let mut q = Query {
                class,
                atoms,
                source: None,
                theme: None,
                years: None,
                facets: i % 4 != 3,
            };
            if i % 3 == 0 {
                let kind = rng.weighted(&[0.4, 0.3, 0.15, 0.15]);
                if kind == 0 || kind == 3 {
                    q.source = Some(SOURCES[rng.weighted(&sw)].to_string());
                }
                if kind == 1 && !material.themes.is_empty() {
                    q.theme = Some(material.themes[rng.weighted(&tw)].clone());
                }
                if kind >= 2 {
                    let from = rng.range(YEARS.0 as usize, YEARS.1 as usize - 3) as u32;
                    let to = (from + rng.range(0, 8) as u32).min(YEARS.1);
                    q.years = Some((from, to));
                }
            }
            q
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(atoms: Vec<Atom>) -> Query {
        Query {
            class: Class::TwoTerms,
            atoms,
            source: Some("Pyongyang Watch".into()),
            theme: None,
            years: Some((2015, 2020)),
            facets: true,
        }
    }

    #[test]
    fn translations() {
        let query = q(vec![
            Atom::Word("the".into()),
            Atom::Word("trade".into()),
            Atom::Phrase(vec!["state".into(), "plan".into()]),
            Atom::Prefix("sanc".into()),
        ]);
        assert_eq!(query.folio_q(), "the trade \"state plan\" sanc*");
        assert_eq!(
            query.fts5_match(),
            "{text} : (\"trade\" AND \"state plan\" AND \"sanc\"*)"
        );
        assert_eq!(
            query.tantivy_q(),
            "trade \"state plan\" source:\"Pyongyang Watch\" year:[2015 TO 2020]"
        );
        assert_eq!(query.prefixes(), vec!["sanc"]);
        assert_eq!(
            query.http_path(),
            "/search?q=the%20trade%20%22state%20plan%22%20sanc%2A&facets=source,year,theme&source=Pyongyang%20Watch&year=2015..2020"
        );
        // A query of stop words only keeps them.
        let only = q(vec![Atom::Word("the".into())]);
        assert_eq!(only.fts5_match(), "{text} : (\"the\")");
    }

    #[test]
    fn words_know_their_punctuation() {
        let w = words_of("The plan, (they said) don't 12 fail.");
        assert_eq!(
            w,
            vec![
                ("the".to_string(), false),
                ("plan".to_string(), true),
                ("they".to_string(), true),
                ("said".to_string(), true),
                (String::new(), true),
                (String::new(), true),
                ("fail".to_string(), true),
            ]
        );
    }
}
