//! Running a checked search on the engine and shaping the answer: paging, facet counts, and the
//! documents with `_formatted` and `_matchesPosition`. Runs on the blocking pool.

use std::collections::BTreeMap;
use std::time::Instant;

use folio_search::highlight::MarkOptions;
use folio_search::{
    Engine, FacetName, FilterExpr, FilterField, Filters, Group, HighlightOptions, Hit, MatchMode,
    QueryHighlighter, SearchRequest, SearchResponse,
};
use serde_json::{Map, Value, json};

use crate::meili::attributes::{Attr, AttrSet};
use crate::meili::error::MeiliError;
use crate::meili::params::{Facet, Paging, SearchPlan};
use crate::meili::response::{
    FacetHit, FacetSearchResult, MinMax, OffsetTotals, PageTotals, SearchResult, Totals,
};

/// Values listed per facet, as Meilisearch's default `maxValuesPerFacet`.
pub const MAX_VALUES_PER_FACET: usize = 100;

/// Paragraph kinds, for counting the `kind` facet.
const KINDS: [&str; 3] = ["body", "quote", "footnote"];

/// Runs one search.
pub fn search(engine: &Engine, plan: &SearchPlan) -> Result<SearchResult, MeiliError> {
    let started = Instant::now();
    let config = engine.config();
    // The window of hits to fetch, and the totals' shape. Page sizes above folio's maximum are
    // reduced to it (and the reduced size is echoed), so that a client asking for `limit:
    // hitsPerPage + 1` still works; offsets past folio's maximum give no hits but true totals.
    let (limit, offset) = match plan.paging {
        Paging::Offset { limit, offset } => (limit.min(config.max_limit), offset),
        Paging::Pages {
            page,
            hits_per_page,
        } => {
            let per_page = hits_per_page.min(config.max_limit);
            match page.checked_sub(1) {
                Some(before) => (per_page, before.saturating_mul(per_page)),
                None => (0, 0),
            }
        }
    };
    let (fetch, skip) = if offset > config.max_offset {
        (0, 0)
    } else {
        (limit, offset)
    };

    let response = engine.search_filtered(
        &request(plan, fetch, skip, plan.match_mode),
        plan.filter.as_ref(),
    )?;
    let (facet_distribution, facet_stats) = match &plan.facets {
        None => (None, None),
        Some(facets) => {
            let counts = facet_counts(engine, plan, facets, &response)?;
            let distribution = counts
                .into_iter()
                .map(|(facet, values)| {
                    (
                        facet.name().to_string(),
                        values.into_iter().take(MAX_VALUES_PER_FACET).collect(),
                    )
                })
                .collect();
            let mut stats = BTreeMap::new();
            if facets.contains(&Facet::Year)
                && let Some(y) = response.facet_stats.year
            {
                stats.insert(
                    "year".to_string(),
                    MinMax {
                        min: y.min,
                        max: y.max,
                    },
                );
            }
            (Some(distribution), Some(stats))
        }
    };

    let highlighter =
        (plan.formats() || plan.show_matches_position).then(|| engine.highlighter(&plan.q));
    let hits = response
        .hits
        .iter()
        .map(|hit| document(hit, plan, highlighter.as_ref()))
        .collect();

    let totals = match plan.paging {
        Paging::Offset { .. } => Totals::Offset(OffsetTotals {
            limit,
            offset,
            estimated_total_hits: response.total,
        }),
        Paging::Pages {
            page,
            hits_per_page,
        } => {
            let per_page = hits_per_page.min(config.max_limit);
            Totals::Pages(PageTotals {
                page,
                hits_per_page: per_page,
                total_hits: response.total,
                total_pages: if per_page == 0 {
                    0
                } else {
                    response.total.div_ceil(per_page as u64)
                },
            })
        }
    };
    Ok(SearchResult {
        index_uid: None,
        hits,
        query: plan.q.clone(),
        processing_time_ms: started.elapsed().as_millis() as u64,
        totals,
        facet_distribution,
        facet_stats,
    })
}

/// Counts the values of one facet among the matches and keeps those containing `facet_query`
/// at the start of a word, ignoring case (`nor` finds "38 North").
pub fn facet_search(
    engine: &Engine,
    plan: &SearchPlan,
    facet: Facet,
    facet_query: Option<&str>,
) -> Result<FacetSearchResult, MeiliError> {
    let started = Instant::now();
    let mut plan = plan.clone();
    plan.facets = Some(vec![facet]);
    let response =
        engine.search_filtered(&request(&plan, 0, 0, plan.match_mode), plan.filter.as_ref())?;
    let mut counts = facet_counts(engine, &plan, &[facet], &response)?;
    let values = counts.remove(&facet).unwrap_or_default();
    let needle = facet_query
        .map(str::to_lowercase)
        .filter(|q| !q.trim().is_empty());
    let facet_hits = values
        .into_iter()
        .filter(|(value, _)| {
            needle
                .as_deref()
                .is_none_or(|n| word_prefix(&value.to_lowercase(), n.trim()))
        })
        .take(MAX_VALUES_PER_FACET)
        .map(|(value, count)| FacetHit { value, count })
        .collect();
    Ok(FacetSearchResult {
        facet_hits,
        facet_query: facet_query.map(str::to_string),
        processing_time_ms: started.elapsed().as_millis() as u64,
    })
}

/// Whether `needle` occurs in `haystack` where a word starts.
fn word_prefix(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(i, _)| {
        haystack[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// The engine request for a plan, fetching `limit` hits after `offset`.
fn request(
    plan: &SearchPlan,
    limit: usize,
    offset: usize,
    match_mode: Option<MatchMode>,
) -> SearchRequest {
    let mut facets: Vec<FacetName> = Vec::new();
    for f in plan.facets.iter().flatten() {
        let name = match f {
            Facet::Source => FacetName::Source,
            Facet::Theme | Facet::Themes => FacetName::Theme,
            Facet::Year => FacetName::Year,
            Facet::Kind => continue,
        };
        if !facets.contains(&name) {
            facets.push(name);
        }
    }
    SearchRequest {
        q: plan.q.clone(),
        filters: Filters::default(),
        limit: Some(limit),
        offset,
        sort: plan.sort,
        facets: Some(facets),
        match_mode,
        // Whole fields: the engine's own snippets are not used here.
        highlight: HighlightOptions {
            snippet_chars: Some(0),
            ..HighlightOptions::default()
        },
        group: plan.distinct_doc.then_some(Group::Doc),
    }
}

/// Counts of each asked facet's values among the matches, values in alphabetical order.
fn facet_counts(
    engine: &Engine,
    plan: &SearchPlan,
    facets: &[Facet],
    response: &SearchResponse,
) -> Result<BTreeMap<Facet, BTreeMap<String, u64>>, MeiliError> {
    let mut out = BTreeMap::new();
    for &facet in facets {
        let values: BTreeMap<String, u64> = match facet {
            Facet::Source => counted(
                response
                    .facets
                    .source
                    .iter()
                    .flatten()
                    .map(|c| (c.value.clone(), c.count)),
            ),
            Facet::Theme | Facet::Themes => counted(
                response
                    .facets
                    .theme
                    .iter()
                    .flatten()
                    .map(|c| (c.value.clone(), c.count)),
            ),
            Facet::Year => counted(
                response
                    .facets
                    .year
                    .iter()
                    .flatten()
                    .map(|c| (c.value.to_string(), c.count)),
            ),
            Facet::Kind => kind_counts(engine, plan, response.match_mode)?,
        };
        out.insert(facet, values);
    }
    Ok(out)
}

fn counted(values: impl Iterator<Item = (String, u64)>) -> BTreeMap<String, u64> {
    values.filter(|(_, n)| *n > 0).collect()
}

/// folio's engine does not count kinds, so each kind is counted by a search of its own, with the
/// same matching as the main search (so a relaxed search is counted relaxed).
fn kind_counts(
    engine: &Engine,
    plan: &SearchPlan,
    mode: MatchMode,
) -> Result<BTreeMap<String, u64>, MeiliError> {
    let mut counts = BTreeMap::new();
    let mut counting = plan.clone();
    counting.facets = None;
    counting.distinct_doc = false;
    for kind in KINDS {
        let is_kind = FilterExpr::Equals(FilterField::Kind, kind.to_string());
        let filter = match &plan.filter {
            Some(f) => FilterExpr::And(vec![f.clone(), is_kind]),
            None => is_kind,
        };
        let n = engine
            .search_filtered(&request(&counting, 0, 0, Some(mode)), Some(&filter))?
            .total_paragraphs;
        if n > 0 {
            counts.insert(kind.to_string(), n);
        }
    }
    Ok(counts)
}

/// A hit as a Meilisearch document.
fn document(
    hit: &Hit,
    plan: &SearchPlan,
    highlighter: Option<&QueryHighlighter<'_>>,
) -> Map<String, Value> {
    let mut doc = Map::new();
    for a in plan.retrieve.iter() {
        doc.insert(a.name().to_string(), a.value(hit));
    }
    let Some(h) = highlighter else {
        return doc;
    };
    if plan.formats() {
        let mut cropped = AttrSet::default();
        for a in plan.crop.keys() {
            cropped.insert(*a);
        }
        let mut formatted = Map::new();
        for a in plan.retrieve.union(plan.highlight).union(cropped).iter() {
            formatted.insert(a.name().to_string(), format(a, a.value(hit), plan, h));
        }
        doc.insert("_formatted".to_string(), Value::Object(formatted));
    }
    if plan.show_matches_position {
        doc.insert("_matchesPosition".to_string(), matches_position(hit, h));
    }
    doc
}

/// An attribute's value in `_formatted`: escaped, marked and cropped as asked; numbers become
/// strings when transformed, as in Meilisearch.
fn format(a: Attr, value: Value, plan: &SearchPlan, h: &QueryHighlighter<'_>) -> Value {
    let highlight = plan.highlight.contains(a);
    let crop = plan.crop.get(&a).copied();
    if !highlight && crop.is_none() {
        return value;
    }
    let (pre, post) = if highlight {
        (plan.pre_tag.as_str(), plan.post_tag.as_str())
    } else {
        ("", "")
    };
    let opts = MarkOptions {
        pre,
        post,
        snippet_chars: 0,
        snippet_words: crop,
        escape: !plan.client_escapes(),
        ellipsis: &plan.crop_marker,
    };
    let mark = |s: &str| Value::String(h.mark(a.highlight_field(), s, &opts).html);
    match value {
        Value::String(s) => mark(&s),
        Value::Number(n) => mark(&n.to_string()),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => mark(&s),
                    Value::Number(n) => mark(&n.to_string()),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// Byte offsets of the matches in every text attribute: `{attr: [{start, length}]}`, with
/// `indices` for elements of lists.
fn matches_position(hit: &Hit, h: &QueryHighlighter<'_>) -> Value {
    let opts = MarkOptions {
        pre: "",
        post: "",
        snippet_chars: 0,
        snippet_words: None,
        escape: false,
        ellipsis: "",
    };
    let spans = |a: Attr, s: &str, index: Option<usize>| -> Vec<Value> {
        h.mark(a.highlight_field(), s, &opts)
            .bytes
            .iter()
            .map(|[start, end]| match index {
                None => json!({"start": start, "length": end - start}),
                Some(i) => json!({"start": start, "length": end - start, "indices": [i]}),
            })
            .collect()
    };
    let mut out = Map::new();
    for a in Attr::ALL {
        let found: Vec<Value> = match a.value(hit) {
            Value::String(s) => spans(a, &s, None),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_str().map(|s| spans(a, s, Some(i))))
                .flatten()
                .collect(),
            _ => Vec::new(),
        };
        if !found.is_empty() {
            out.insert(a.name().to_string(), Value::Array(found));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_prefixes() {
        assert!(word_prefix("38 north", "nor"));
        assert!(word_prefix("foreign-trade", "trade"));
        assert!(word_prefix("ifans", "if"));
        assert!(!word_prefix("ifans", "fans"));
    }
}
