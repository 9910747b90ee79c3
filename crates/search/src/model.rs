//! Requests and responses of the search engine. Field names here are the API's contract: the HTTP
//! server serializes these types as they are, and the CLI's `--json` prints them.

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Result, SearchError};

/// Settings of search (`[search]` in `config/folio.toml`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Hits per page when a request does not say.
    pub default_limit: usize,
    /// Most hits per page a request may ask for.
    pub max_limit: usize,
    /// Deepest offset a request may ask for: deep pages cost memory and time.
    pub max_offset: usize,
    /// Snippet length in characters when a request does not say.
    pub snippet_chars: usize,
    /// Weight of a match in the document title, added to a matching paragraph's score.
    pub title_boost: f32,
    /// Weight of a match in the section heading, added to a matching paragraph's score.
    pub section_boost: f32,
    /// Weight of consecutive query words found near each other in a paragraph.
    pub proximity_boost: f32,
    /// A query of plain words is relaxed (paragraphs holding most of the words follow those
    /// holding all) when fewer than this many paragraphs hold them all. 1: only when none do.
    pub relax_below: u64,
    /// Multiplies the score of footnotes: citations repeat a query's words without discussing
    /// them, so they rank below prose that does.
    pub footnote_weight: f32,
    /// Threads one search may use, each taking a share of the index's segments (0: one per
    /// core). More than one makes a large search return sooner; the throughput of many
    /// concurrent searches stays the same.
    pub threads: usize,
    /// Ranking by relevance scores the title, section and proximity parts only for paragraphs
    /// that can still reach the top, and skips blocks of postings that cannot (block-max WAND).
    /// The hits and scores are the same either way; off scores every match completely.
    pub pruning: bool,
    /// Memory in MiB for the bitmaps of common words (held by one paragraph in 32 or more),
    /// each made by the first search that counts the word and kept until the index is swapped;
    /// later searches read a word per 64 paragraphs instead of the word's postings. 64 MiB
    /// holds about 500 words at a million paragraphs, more than a corpus's searches use; once
    /// it is full, further words are read from their postings. 0 keeps none.
    pub term_bitmaps_mb: usize,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            default_limit: 10,
            max_limit: 100,
            max_offset: 10_000,
            snippet_chars: 240,
            title_boost: 0.6,
            section_boost: 0.4,
            proximity_boost: 0.0,
            relax_below: 5,
            footnote_weight: 0.7,
            threads: 0,
            pruning: true,
            term_bitmaps_mb: 64,
        }
    }
}

/// A search.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SearchRequest {
    /// The query (see the grammar in the README); empty matches every paragraph.
    pub q: String,
    pub filters: Filters,
    /// Hits per page (default 10, at most 100).
    pub limit: Option<usize>,
    /// Hits to skip (at most 10 000).
    pub offset: usize,
    pub sort: Sort,
    /// Facets to count: any of `source`, `year`, `theme`. Absent: all three; empty: none.
    pub facets: Option<Vec<FacetName>>,
    /// `all` requires every term; `any` ranks paragraphs by how many terms they hold. Absent:
    /// `all`, relaxed to `any` when nothing matches a query of plain terms.
    #[serde(rename = "match")]
    pub match_mode: Option<MatchMode>,
    pub highlight: HighlightOptions,
    /// `doc`: at most one paragraph (the best) per document.
    pub group: Option<Group>,
}

/// Filters. Values within a field are alternatives (OR); fields combine with AND.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Filters {
    /// Sources, as facet values (case does not matter).
    #[serde(deserialize_with = "one_or_many")]
    pub source: Vec<String>,
    /// Theme ids.
    #[serde(deserialize_with = "one_or_many")]
    pub theme: Vec<String>,
    pub year: Option<YearRange>,
    /// One document id.
    pub doc: Option<String>,
    /// Paragraph kinds: `body`, `quote`, `footnote`.
    #[serde(deserialize_with = "one_or_many")]
    pub kind: Vec<String>,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

/// An inclusive range of years; either end may be open.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YearRange {
    pub from: Option<u32>,
    pub to: Option<u32>,
}

impl YearRange {
    /// Parses `2021`, `2015..2020`, `2015..` or `..2020`.
    pub fn parse(s: &str) -> Result<YearRange> {
        let bad = || SearchError::InvalidYearRange(s.to_string());
        let year = |p: &str| -> Result<Option<u32>> {
            let p = p.trim();
            if p.is_empty() {
                return Ok(None);
            }
            match p.parse::<u32>() {
                Ok(y) if (1..=9999).contains(&y) => Ok(Some(y)),
                _ => Err(bad()),
            }
        };
        let range = match s.split_once("..") {
            Some((a, b)) => YearRange {
                from: year(a)?,
                to: year(b)?,
            },
            None => {
                let y = year(s)?.ok_or_else(bad)?;
                YearRange {
                    from: Some(y),
                    to: Some(y),
                }
            }
        };
        range.check().map_err(|_| bad())
    }

    fn check(self) -> std::result::Result<YearRange, ()> {
        match (self.from, self.to) {
            (Some(a), Some(b)) if a > b => Err(()),
            (None, None) => Err(()),
            _ => Ok(self),
        }
    }

    pub fn contains(&self, year: u64) -> bool {
        self.from.is_none_or(|f| year >= f as u64) && self.to.is_none_or(|t| year <= t as u64)
    }
}

impl<'de> Deserialize<'de> for YearRange {
    /// Accepts `{"from": 2015, "to": 2020}`, `2021`, or a string such as `"2015..2020"`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<YearRange, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Obj {
            from: Option<u32>,
            to: Option<u32>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Any {
            Year(u32),
            Text(String),
            Obj(Obj),
        }
        use serde::de::Error;
        match Any::deserialize(d).map_err(|_| {
            D::Error::custom("year must be a number, a range like \"2015..2020\", or {\"from\": 2015, \"to\": 2020}")
        })? {
            Any::Year(y) => YearRange::parse(&y.to_string()),
            Any::Text(s) => YearRange::parse(&s),
            Any::Obj(o) => YearRange { from: o.from, to: o.to }
                .check()
                .map_err(|_| SearchError::InvalidYearRange(format!("{:?}..{:?}", o.from, o.to))),
        }
        .map_err(|e| D::Error::custom(e.to_string()))
    }
}

/// Order of hits.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Sort {
    /// Best match first.
    #[default]
    #[serde(rename = "relevance")]
    Relevance,
    /// Oldest first, best match first within a year.
    #[serde(rename = "year")]
    YearAsc,
    /// Newest first, best match first within a year.
    #[serde(rename = "-year")]
    YearDesc,
}

impl Sort {
    pub fn parse(s: &str) -> Result<Sort> {
        match s {
            "" | "relevance" => Ok(Sort::Relevance),
            "year" | "year:asc" => Ok(Sort::YearAsc),
            "-year" | "year:desc" => Ok(Sort::YearDesc),
            other => Err(SearchError::InvalidSort(other.to_string())),
        }
    }
}

/// A facet that can be counted.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FacetName {
    Source,
    Year,
    Theme,
}

impl FacetName {
    pub const ALL: [FacetName; 3] = [FacetName::Source, FacetName::Year, FacetName::Theme];

    pub fn parse(s: &str) -> Result<FacetName> {
        match s.trim() {
            "source" => Ok(FacetName::Source),
            "year" => Ok(FacetName::Year),
            "theme" | "themes" => Ok(FacetName::Theme),
            other => Err(SearchError::UnknownFacet(other.to_string())),
        }
    }
}

/// How query terms combine.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    All,
    Any,
}

/// Grouping of hits.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// One hit per document.
    Doc,
}

/// How matches are marked.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct HighlightOptions {
    /// Inserted before each match (default `<mark>`).
    pub pre_tag: String,
    /// Inserted after each match (default `</mark>`).
    pub post_tag: String,
    /// Snippet length in characters (default 240; 0 for the whole paragraph).
    pub snippet_chars: Option<usize>,
}

impl Default for HighlightOptions {
    fn default() -> Self {
        HighlightOptions {
            pre_tag: "<mark>".to_string(),
            post_tag: "</mark>".to_string(),
            snippet_chars: None,
        }
    }
}

/// The answer to a search.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResponse {
    pub query: String,
    /// Exact number of matching paragraphs (of matching documents with `group=doc`).
    pub total: u64,
    /// Matching paragraphs, whatever the grouping.
    pub total_paragraphs: u64,
    /// Matching documents (only computed with `group=doc`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_documents: Option<u64>,
    pub offset: usize,
    pub limit: usize,
    pub took_ms: f64,
    /// `all` or `any`: how the terms were combined.
    #[serde(rename = "match")]
    pub match_mode: MatchMode,
    /// Nothing matched every term, so the terms were combined with `any`.
    pub relaxed: bool,
    pub sort: Sort,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
    /// What facet counts count: always `paragraphs`.
    pub facets_count: String,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    pub facet_stats: FacetStats,
}

/// One matching paragraph.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hit {
    pub id: String,
    pub doc_id: String,
    pub position: u32,
    pub section: Option<String>,
    pub kind: String,
    /// A footnote's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub title: String,
    pub source: String,
    pub year: u32,
    pub date: Option<String>,
    pub authors: Vec<String>,
    pub url: Option<String>,
    pub themes: Vec<String>,
    pub score: f32,
    /// The whole paragraph, unescaped.
    pub text: String,
    pub highlight: Highlight,
    /// Match offsets into the whole fields, in UTF-16 code units (as JavaScript indexes strings),
    /// end exclusive.
    pub matches: Matches,
}

/// HTML-escaped text with matches marked.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Highlight {
    /// A snippet around the best matches (the whole paragraph when it is short).
    pub text: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

/// Match offsets per field.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Matches {
    pub text: Vec<[usize; 2]>,
    pub title: Vec<[usize; 2]>,
}

/// Facet counts.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Facets {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Vec<FacetCount<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<Vec<FacetCount<u32>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theme: Option<Vec<FacetCount<String>>>,
}

/// A facet value and the number of paragraphs that have it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacetCount<T> {
    pub value: T,
    pub count: u64,
    /// The value is one of the request's filters.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub selected: bool,
}

/// Numeric facet statistics.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacetStats {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<MinMax>,
}

/// Smallest and largest value among the counted paragraphs.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MinMax {
    pub min: u32,
    pub max: u32,
}

/// A document's metadata.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentInfo {
    pub id: String,
    pub title: String,
    pub source: String,
    pub authors: Vec<String>,
    pub date: Option<String>,
    pub year: u32,
    pub url: Option<String>,
    pub language: String,
    pub series: Option<String>,
    pub publisher: Option<String>,
    /// Themes given to the whole document.
    pub themes: Vec<String>,
    pub file: String,
}

/// A paragraph as stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParagraphView {
    pub id: String,
    pub doc_id: String,
    pub position: u32,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub section: Option<String>,
    pub themes: Vec<String>,
    pub text: String,
}

/// A document with all its paragraphs in order.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentView {
    #[serde(flatten)]
    pub document: DocumentInfo,
    pub paragraphs: Vec<ParagraphView>,
}

/// A paragraph with its neighbours.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParagraphContext {
    pub paragraph: ParagraphView,
    pub document: DocumentInfo,
    /// Up to `context` paragraphs before, in order.
    pub before: Vec<ParagraphView>,
    /// Up to `context` paragraphs after, in order.
    pub after: Vec<ParagraphView>,
}

/// Corpus-wide facet counts and totals.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacetsOverview {
    pub documents: u64,
    pub paragraphs: u64,
    pub facets: Facets,
    pub facet_stats: FacetStats,
    /// Labels and descriptions of the themes that occur.
    pub themes: Vec<ThemeInfo>,
}

/// A theme of the taxonomy.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThemeInfo {
    pub id: String,
    pub label: String,
    pub description: String,
}

impl ThemeInfo {
    /// The themes of a taxonomy, in its order.
    pub fn all(taxonomy: &folio_corpus::Taxonomy) -> Vec<ThemeInfo> {
        taxonomy
            .themes
            .iter()
            .map(|t| ThemeInfo {
                id: t.id.clone(),
                label: t.label.clone(),
                description: t.description.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_ranges() {
        assert_eq!(
            YearRange::parse("2021").unwrap(),
            YearRange {
                from: Some(2021),
                to: Some(2021)
            }
        );
        assert_eq!(
            YearRange::parse("2015..2020").unwrap(),
            YearRange {
                from: Some(2015),
                to: Some(2020)
            }
        );
        assert_eq!(
            YearRange::parse("2015..").unwrap(),
            YearRange {
                from: Some(2015),
                to: None
            }
        );
        assert_eq!(
            YearRange::parse("..2020").unwrap(),
            YearRange {
                from: None,
                to: Some(2020)
            }
        );
        for bad in ["", "..", "2020..2015", "abc", "20x1", "0", "2015...2020"] {
            assert!(YearRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_request_shape() {
        let r: SearchRequest = serde_json::from_str(
            r#"{"q": "trade", "filters": {"source": ["38 North"], "theme": "sanctions", "year": {"from": 2015, "to": 2020}}}"#,
        )
        .unwrap();
        assert_eq!(
            r.filters.year,
            Some(YearRange {
                from: Some(2015),
                to: Some(2020)
            })
        );
        assert_eq!(r.filters.theme, vec!["sanctions"]);
        let r: SearchRequest = serde_json::from_str(r#"{"filters": {"year": "2015.."}}"#).unwrap();
        assert_eq!(r.filters.year.unwrap().to, None);
        assert!(serde_json::from_str::<SearchRequest>(r#"{"qq": "x"}"#).is_err());
    }
}
