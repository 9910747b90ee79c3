//! Search parameters: read from a JSON body or a query string, checked, and turned into a
//! [`SearchPlan`].
//!
//! Every field is read as raw JSON first and checked by hand, so that a bad value gets
//! Meilisearch's code for that field (`invalid_search_limit`, …) and a message naming it, while
//! unknown fields are accepted and ignored (clients send fields folio has no use for, such as
//! `hybrid` or `showRankingScore`). `null` is the same as absent, except for `cropMarker`, where it
//! means no marker.

use std::collections::BTreeMap;

use folio_search::{FilterExpr, MatchMode, Sort};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::meili::attributes::{Attr, AttrSet};
use crate::meili::error::{MeiliError, Param};
use crate::meili::filter;

/// The one index.
pub const INDEX_UID: &str = "paragraphs";

/// Meilisearch's default page size.
pub const DEFAULT_LIMIT: usize = 20;
/// Meilisearch's default crop length, in words.
pub const DEFAULT_CROP_LENGTH: usize = 10;
pub const DEFAULT_CROP_MARKER: &str = "…";
pub const DEFAULT_PRE_TAG: &str = "<em>";
pub const DEFAULT_POST_TAG: &str = "</em>";

/// A search as clients send it (`POST /indexes/{uid}/search`, and each query of
/// `POST /multi-search` with its `indexUid`). Other fields are accepted and ignored.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchQuery {
    /// The query (folio's query language); empty or absent matches every paragraph.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, example = "trade")]
    pub q: Option<Value>,
    /// A filter expression, or an array of them (ANDed; inner arrays ORed).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>, example = json!(["year >= 2015", ["theme = sanctions", "theme = foreign-trade"]]))]
    pub filter: Option<Value>,
    /// Facets to count: `source`, `theme` (or `themes`), `year`, `kind`, or `*`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>, example = json!(["source", "theme", "year"]))]
    pub facets: Option<Value>,
    /// Hits to skip (limit/offset mode).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub offset: Option<Value>,
    /// Hits to return (default 20; more than folio's `max_limit` is reduced to it).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub limit: Option<Value>,
    /// Page number from 1 (page mode).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub page: Option<Value>,
    /// Hits per page (page mode; default 20).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub hits_per_page: Option<Value>,
    /// `["year:desc"]` or `["year:asc"]`; absent: by relevance.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>, example = json!(["year:desc"]))]
    pub sort: Option<Value>,
    /// Attributes of each hit (default `*`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub attributes_to_retrieve: Option<Value>,
    /// Attributes to mark matches in, in `_formatted` (`*`: all).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>, example = json!(["text"]))]
    pub attributes_to_highlight: Option<Value>,
    /// Attributes to crop around the matches, in `_formatted`; `text:30` sets a length.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>, example = json!(["text:30"]))]
    pub attributes_to_crop: Option<Value>,
    /// Words kept by cropping (default 10; 0 keeps everything).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub crop_length: Option<Value>,
    /// Marks a cut (default `…`; `""` or null for none).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub crop_marker: Option<Value>,
    /// Inserted before each match (default `<em>`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub highlight_pre_tag: Option<Value>,
    /// Inserted after each match (default `</em>`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub highlight_post_tag: Option<Value>,
    /// Adds `_matchesPosition` (byte offsets) to each hit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub show_matches_position: Option<Value>,
    /// `last` (default), `all` or `frequency`: `all` requires every term; the others use
    /// folio's default (every term, relaxed to any term when too few paragraphs hold them all).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub matching_strategy: Option<Value>,
    /// Checked but not applied: folio searches paragraph text, with title and section matches
    /// adding to the score.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub attributes_to_search_on: Option<Value>,
    /// `doc_id`: at most one paragraph (the best) per document.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub distinct: Option<Value>,
}

/// Reads a field that is present, keeping `null` as `Some(Value::Null)`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl SearchQuery {
    /// Reads a request body's object.
    pub fn from_object(object: Map<String, Value>) -> Result<SearchQuery, MeiliError> {
        serde_json::from_value(Value::Object(object))
            .map_err(|e| MeiliError::BadRequest(format!("Invalid search request: {e}")))
    }

    /// Reads a query string (`GET /indexes/{uid}/search`): lists are comma-separated, numbers
    /// and booleans are parsed, and `filter` may also be a JSON array.
    pub fn from_query_string(query: &str) -> Result<SearchQuery, MeiliError> {
        let pairs: Vec<(String, String)> = serde_html_form::from_str(query)
            .map_err(|e| MeiliError::BadRequest(format!("Invalid query string: {e}")))?;
        let mut object = Map::new();
        for (key, raw) in pairs {
            let value = match key.as_str() {
                "offset" | "limit" | "page" | "hitsPerPage" | "cropLength" => raw
                    .trim()
                    .parse::<u64>()
                    .map(Value::from)
                    .unwrap_or(Value::String(raw)),
                "showMatchesPosition" => match raw.trim() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => Value::String(raw),
                },
                "facets"
                | "sort"
                | "attributesToRetrieve"
                | "attributesToHighlight"
                | "attributesToCrop"
                | "attributesToSearchOn" => Value::Array(
                    raw.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| Value::String(s.to_string()))
                        .collect(),
                ),
                "filter" => match serde_json::from_str::<Value>(&raw) {
                    Ok(v @ Value::Array(_)) => v,
                    _ => Value::String(raw),
                },
                _ => Value::String(raw),
            };
            object.insert(key, value);
        }
        SearchQuery::from_object(object)
    }
}

/// A facet that can be counted, under the name the client asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Facet {
    Source,
    Theme,
    Themes,
    Year,
    Kind,
}

impl Facet {
    pub const ALL: [Facet; 5] = [
        Facet::Source,
        Facet::Theme,
        Facet::Themes,
        Facet::Year,
        Facet::Kind,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Facet::Source => "source",
            Facet::Theme => "theme",
            Facet::Themes => "themes",
            Facet::Year => "year",
            Facet::Kind => "kind",
        }
    }

    pub fn parse(name: &str) -> Option<Facet> {
        Facet::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Names for error messages.
    pub fn names() -> String {
        Facet::ALL.map(Facet::name).join(", ")
    }
}

/// How hits are paged, and so which totals the answer carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paging {
    /// `limit`/`offset`: answered with `estimatedTotalHits`.
    Offset { limit: usize, offset: usize },
    /// `page`/`hitsPerPage`: answered with `totalHits` and `totalPages`.
    Pages { page: usize, hits_per_page: usize },
}

/// A checked search, ready to run.
#[derive(Clone, Debug)]
pub struct SearchPlan {
    pub q: String,
    pub filter: Option<FilterExpr>,
    /// Facets to count, in request order without repeats; `None`: none asked.
    pub facets: Option<Vec<Facet>>,
    pub paging: Paging,
    pub sort: Sort,
    pub match_mode: Option<MatchMode>,
    pub distinct_doc: bool,
    pub retrieve: AttrSet,
    pub highlight: AttrSet,
    /// Attributes to crop, each with its own length or the default.
    pub crop: BTreeMap<Attr, usize>,
    pub pre_tag: String,
    pub post_tag: String,
    pub crop_marker: String,
    pub show_matches_position: bool,
}

impl SearchPlan {
    /// Whether hits need `_formatted`.
    pub fn formats(&self) -> bool {
        !self.highlight.is_empty() || !self.crop.is_empty()
    }

    /// InstantSearch marks with these placeholder tags and HTML-escapes `_formatted` values
    /// itself before turning them into `<mark>`; escaping here too would show `&amp;` on its
    /// pages. With any other tags the values are escaped, so inserting them as HTML is safe.
    pub fn client_escapes(&self) -> bool {
        self.pre_tag == "__ais-highlight__" && self.post_tag == "__/ais-highlight__"
    }
}

/// `null` counts as absent.
fn given(v: Option<Value>) -> Option<Value> {
    v.filter(|v| !v.is_null())
}

fn invalid_type(param: Param, expected: &str, v: &Value) -> MeiliError {
    MeiliError::invalid(
        param,
        format!(
            "Invalid value type at `.{}`: expected {expected}, but found {}",
            param.name(),
            filter::describe(v)
        ),
    )
}

fn string(param: Param, v: Option<Value>) -> Result<Option<String>, MeiliError> {
    match given(v) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(invalid_type(param, "a string", &other)),
    }
}

fn whole(param: Param, v: Option<Value>) -> Result<Option<usize>, MeiliError> {
    match given(v) {
        None => Ok(None),
        Some(Value::Number(n)) if n.as_u64().is_some() => Ok(Some(
            usize::try_from(n.as_u64().unwrap_or(0)).unwrap_or(usize::MAX),
        )),
        Some(other) => Err(invalid_type(param, "a positive integer", &other)),
    }
}

fn boolean(param: Param, v: Option<Value>) -> Result<Option<bool>, MeiliError> {
    match given(v) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(other) => Err(invalid_type(param, "a boolean", &other)),
    }
}

/// A list of strings; a lone string is taken as a list of one (clients built for Algolia send
/// `facets: "source"`).
fn strings(param: Param, v: Option<Value>) -> Result<Option<Vec<String>>, MeiliError> {
    match given(v) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s])),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                other => Err(invalid_type(param, "an array of strings", &other)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(invalid_type(param, "an array of strings", &other)),
    }
}

fn attribute_list(param: Param, v: Option<Value>) -> Result<Option<AttrSet>, MeiliError> {
    Ok(strings(param, v)?.map(|names| AttrSet::from_names(names.iter().map(String::as_str))))
}

fn facets(v: Option<Value>) -> Result<Option<Vec<Facet>>, MeiliError> {
    let Some(names) = strings(Param::Facets, v)? else {
        return Ok(None);
    };
    let mut out: Vec<Facet> = Vec::new();
    for name in &names {
        let found: Vec<Facet> = if name == "*" {
            Facet::ALL.to_vec()
        } else {
            vec![Facet::parse(name).ok_or_else(|| {
                MeiliError::invalid(
                    Param::Facets,
                    format!(
                        "Invalid facet distribution: attribute `{name}` is not filterable. The available filterable attributes are `{}`.",
                        Facet::names()
                    ),
                )
            })?]
        };
        for f in found {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    Ok(Some(out))
}

fn sort(v: Option<Value>) -> Result<Sort, MeiliError> {
    let Some(rules) = strings(Param::Sort, v)? else {
        return Ok(Sort::Relevance);
    };
    let mut sort = None;
    for rule in &rules {
        let (attr, direction) = rule.rsplit_once(':').ok_or_else(|| {
            MeiliError::invalid(
                Param::Sort,
                format!(
                    "Invalid syntax for the sort parameter: expected expression ending by `:asc` or `:desc`, found `{rule}`."
                ),
            )
        })?;
        let order = match (attr.trim(), direction.trim()) {
            ("year", "asc") => Sort::YearAsc,
            ("year", "desc") => Sort::YearDesc,
            (_, "asc" | "desc") => {
                return Err(MeiliError::invalid(
                    Param::Sort,
                    format!(
                        "Attribute `{attr}` is not sortable. Available sortable attributes are: `year`."
                    ),
                ));
            }
            _ => {
                return Err(MeiliError::invalid(
                    Param::Sort,
                    format!(
                        "Invalid syntax for the sort parameter: expected expression ending by `:asc` or `:desc`, found `{rule}`."
                    ),
                ));
            }
        };
        // Later rules only break ties of earlier ones; with one sortable attribute, the first
        // rule decides.
        sort.get_or_insert(order);
    }
    Ok(sort.unwrap_or(Sort::Relevance))
}

fn crop(v: Option<Value>, default_length: usize) -> Result<BTreeMap<Attr, usize>, MeiliError> {
    let mut out = BTreeMap::new();
    for entry in strings(Param::AttributesToCrop, v)?.unwrap_or_default() {
        let (name, length) = match entry.rsplit_once(':') {
            Some((name, n)) => {
                let n = n.trim().parse::<usize>().map_err(|_| {
                    MeiliError::invalid(
                        Param::AttributesToCrop,
                        format!(
                            "Invalid value at `.attributesToCrop`: `{entry}`: the crop length after `:` must be a positive integer."
                        ),
                    )
                })?;
                (name, n)
            }
            None => (entry.as_str(), default_length),
        };
        if name == "*" {
            for a in Attr::ALL {
                out.entry(a).or_insert(length);
            }
        } else if let Some(a) = Attr::parse(name) {
            out.insert(a, length);
        }
    }
    Ok(out)
}

fn matching_strategy(v: Option<Value>) -> Result<Option<MatchMode>, MeiliError> {
    match string(Param::MatchingStrategy, v)?.as_deref() {
        None | Some("last") | Some("frequency") => Ok(None),
        Some("all") => Ok(Some(MatchMode::All)),
        Some(other) => Err(MeiliError::invalid(
            Param::MatchingStrategy,
            format!(
                "Unknown value `{other}` at `.matchingStrategy`: expected one of `last`, `all`, `frequency`."
            ),
        )),
    }
}

fn searchable(v: Option<Value>) -> Result<(), MeiliError> {
    for name in strings(Param::AttributesToSearchOn, v)?.unwrap_or_default() {
        if name != "*" && Attr::parse(&name).is_none() {
            return Err(MeiliError::invalid(
                Param::AttributesToSearchOn,
                format!(
                    "Attribute `{name}` is not searchable. Available searchable attributes are: `{}`.",
                    Attr::ALL.map(Attr::name).join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn distinct(v: Option<Value>) -> Result<bool, MeiliError> {
    match string(Param::Distinct, v)?.as_deref() {
        None => Ok(false),
        Some("doc_id") => Ok(true),
        Some(other) => Err(MeiliError::invalid(
            Param::Distinct,
            format!(
                "Attribute `{other}` cannot be used as distinct attribute: folio can only return one paragraph per document (`doc_id`)."
            ),
        )),
    }
}

/// The paging mode: page mode when `page` or `hitsPerPage` is given (then `limit` and `offset`
/// are ignored, as Meilisearch does).
fn paging(q: &mut SearchQuery) -> Result<Paging, MeiliError> {
    let page = whole(Param::Page, q.page.take())?;
    let hits_per_page = whole(Param::HitsPerPage, q.hits_per_page.take())?;
    let limit = whole(Param::Limit, q.limit.take())?;
    let offset = whole(Param::Offset, q.offset.take())?;
    Ok(if page.is_some() || hits_per_page.is_some() {
        Paging::Pages {
            page: page.unwrap_or(1),
            hits_per_page: hits_per_page.unwrap_or(DEFAULT_LIMIT),
        }
    } else {
        Paging::Offset {
            limit: limit.unwrap_or(DEFAULT_LIMIT),
            offset: offset.unwrap_or(0),
        }
    })
}

impl TryFrom<SearchQuery> for SearchPlan {
    type Error = MeiliError;

    fn try_from(mut q: SearchQuery) -> Result<SearchPlan, MeiliError> {
        let paging = paging(&mut q)?;
        let crop_length = whole(Param::CropLength, q.crop_length)?.unwrap_or(DEFAULT_CROP_LENGTH);
        let crop_marker = match q.crop_marker {
            None => DEFAULT_CROP_MARKER.to_string(),
            Some(Value::Null) => String::new(),
            Some(v) => string(Param::CropMarker, Some(v))?.unwrap_or_default(),
        };
        let filter = match given(q.filter) {
            None => None,
            Some(v) => filter::parse_json(&v).map_err(|m| MeiliError::invalid(Param::Filter, m))?,
        };
        searchable(q.attributes_to_search_on)?;
        Ok(SearchPlan {
            q: string(Param::Q, q.q)?.unwrap_or_default(),
            filter,
            facets: facets(q.facets)?,
            paging,
            sort: sort(q.sort)?,
            match_mode: matching_strategy(q.matching_strategy)?,
            distinct_doc: distinct(q.distinct)?,
            retrieve: attribute_list(Param::AttributesToRetrieve, q.attributes_to_retrieve)?
                .unwrap_or_else(AttrSet::all),
            highlight: attribute_list(Param::AttributesToHighlight, q.attributes_to_highlight)?
                .unwrap_or_default(),
            crop: crop(q.attributes_to_crop, crop_length)?,
            pre_tag: string(Param::HighlightPreTag, q.highlight_pre_tag)?
                .unwrap_or_else(|| DEFAULT_PRE_TAG.to_string()),
            post_tag: string(Param::HighlightPostTag, q.highlight_post_tag)?
                .unwrap_or_else(|| DEFAULT_POST_TAG.to_string()),
            crop_marker,
            show_matches_position: boolean(Param::ShowMatchesPosition, q.show_matches_position)?
                .unwrap_or(false),
        })
    }
}

/// Checks an index uid: `paragraphs` is the only index.
pub fn check_index(uid: &str) -> Result<(), MeiliError> {
    let well_formed = !uid.is_empty()
        && uid.len() <= 400
        && uid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !well_formed {
        Err(MeiliError::InvalidIndexUid(uid.to_string()))
    } else if uid != INDEX_UID {
        Err(MeiliError::IndexNotFound(uid.to_string()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(v: Value) -> Result<SearchPlan, MeiliError> {
        let Value::Object(o) = v else {
            panic!("object")
        };
        SearchPlan::try_from(SearchQuery::from_object(o)?)
    }

    fn code(v: Value) -> &'static str {
        plan(v).err().map(|e| e.status_and_code().1).unwrap_or("ok")
    }

    #[test]
    fn defaults() {
        let p = plan(json!({})).unwrap();
        assert_eq!(p.q, "");
        assert_eq!(
            p.paging,
            Paging::Offset {
                limit: 20,
                offset: 0
            }
        );
        assert_eq!(p.retrieve, AttrSet::all());
        assert!(!p.formats());
        assert_eq!(p.facets, None);
        assert_eq!(
            (
                p.pre_tag.as_str(),
                p.post_tag.as_str(),
                p.crop_marker.as_str()
            ),
            ("<em>", "</em>", "…")
        );
    }

    #[test]
    fn page_mode_wins() {
        let p = plan(json!({"hitsPerPage": 5, "limit": 3, "offset": 9})).unwrap();
        assert_eq!(
            p.paging,
            Paging::Pages {
                page: 1,
                hits_per_page: 5
            }
        );
    }

    #[test]
    fn lenient_with_unknown_fields_and_nulls() {
        let p = plan(json!({"q": null, "hybrid": {"x": 1}, "showRankingScore": true, "limit": null, "cropMarker": null})).unwrap();
        assert_eq!(
            p.paging,
            Paging::Offset {
                limit: 20,
                offset: 0
            }
        );
        assert_eq!(p.crop_marker, "");
    }

    #[test]
    fn crop_lengths() {
        let p = plan(json!({"attributesToCrop": ["text:30", "title"], "cropLength": 4})).unwrap();
        assert_eq!(p.crop.get(&Attr::Text), Some(&30));
        assert_eq!(p.crop.get(&Attr::Title), Some(&4));
        assert_eq!(
            code(json!({"attributesToCrop": ["text:x"]})),
            "invalid_search_attributes_to_crop"
        );
    }

    #[test]
    fn bad_values_get_their_codes() {
        assert_eq!(code(json!({"limit": -1})), "invalid_search_limit");
        assert_eq!(code(json!({"offset": "3"})), "invalid_search_offset");
        assert_eq!(code(json!({"page": 1.5})), "invalid_search_page");
        assert_eq!(code(json!({"q": 5})), "invalid_search_q");
        assert_eq!(code(json!({"sort": ["title:asc"]})), "invalid_search_sort");
        assert_eq!(code(json!({"sort": ["year"]})), "invalid_search_sort");
        assert_eq!(code(json!({"facets": ["title"]})), "invalid_search_facets");
        assert_eq!(
            code(json!({"filter": "title = x"})),
            "invalid_search_filter"
        );
        assert_eq!(
            code(json!({"matchingStrategy": "most"})),
            "invalid_search_matching_strategy"
        );
        assert_eq!(
            code(json!({"showMatchesPosition": "yes"})),
            "invalid_search_show_matches_position"
        );
        assert_eq!(
            code(json!({"attributesToSearchOn": ["nope"]})),
            "invalid_search_attributes_to_search_on"
        );
        assert_eq!(
            code(json!({"distinct": "source"})),
            "invalid_search_distinct"
        );
        assert_eq!(
            code(json!({"highlightPreTag": 1})),
            "invalid_search_highlight_pre_tag"
        );
    }

    #[test]
    fn query_strings() {
        let q = SearchQuery::from_query_string(
            "q=trade&limit=5&facets=source,theme&filter=%5B%22year%20%3E%202000%22%5D&showMatchesPosition=true",
        )
        .unwrap();
        let p = SearchPlan::try_from(q).unwrap();
        assert_eq!(
            p.paging,
            Paging::Offset {
                limit: 5,
                offset: 0
            }
        );
        assert_eq!(p.facets, Some(vec![Facet::Source, Facet::Theme]));
        assert!(p.filter.is_some());
        assert!(p.show_matches_position);
        let q = SearchQuery::from_query_string("limit=many").unwrap();
        assert_eq!(
            SearchPlan::try_from(q).err().map(|e| e.status_and_code().1),
            Some("invalid_search_limit")
        );
    }

    #[test]
    fn index_uids() {
        assert!(check_index("paragraphs").is_ok());
        assert_eq!(
            check_index("papers").err().map(|e| e.status_and_code().1),
            Some("index_not_found")
        );
        assert_eq!(
            check_index("a b").err().map(|e| e.status_and_code().1),
            Some("invalid_index_uid")
        );
    }
}
