//! The shapes of answers, as Meilisearch sends them. Serialized as they are; the OpenAPI
//! document is derived from the same types.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The answer to one search.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    /// The index searched (in the answers of `/multi-search` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "paragraphs")]
    pub index_uid: Option<String>,
    /// One document per paragraph: `id`, `doc_id`, `title`, `text`, `source`, `year`, `date`,
    /// `authors`, `themes` (and its alias `theme`), `section`, `kind`, `position`, `url`, as
    /// `attributesToRetrieve` selects; `_formatted` with HTML-escaped, marked and cropped values
    /// when highlighting or cropping was asked; `_matchesPosition` when asked.
    #[schema(value_type = Vec<Object>)]
    pub hits: Vec<Map<String, Value>>,
    /// The query, as sent.
    pub query: String,
    /// Time spent searching, in whole milliseconds.
    pub processing_time_ms: u64,
    #[serde(flatten)]
    pub totals: Totals,
    /// `{attribute: {value: count}}` for every facet asked (`{}` when none matched); values
    /// in alphabetical order, at most 100 per facet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facet_distribution: Option<BTreeMap<String, BTreeMap<String, u64>>>,
    /// `{"year": {"min", "max"}}` when `year` was asked and some paragraph matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facet_stats: Option<BTreeMap<String, MinMax>>,
}

/// Totals: which ones depends on the paging mode of the request.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Totals {
    Offset(OffsetTotals),
    Pages(PageTotals),
}

/// Limit/offset mode.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OffsetTotals {
    /// Hits asked for (reduced to folio's `max_limit`).
    pub limit: usize,
    pub offset: usize,
    /// Matching paragraphs (documents with `distinct: "doc_id"`); exact in folio.
    pub estimated_total_hits: u64,
}

/// Page mode.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageTotals {
    pub page: usize,
    /// Hits per page (reduced to folio's `max_limit`).
    pub hits_per_page: usize,
    pub total_hits: u64,
    pub total_pages: u64,
}

/// Smallest and largest value.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct MinMax {
    pub min: u32,
    pub max: u32,
}

/// The answer of `/multi-search`: one result per query, in order.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MultiSearchResult {
    pub results: Vec<SearchResult>,
}

/// The answer of `/indexes/{uid}/facet-search`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FacetSearchResult {
    pub facet_hits: Vec<FacetHit>,
    pub facet_query: Option<String>,
    pub processing_time_ms: u64,
}

/// A facet value and the number of matching paragraphs that have it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FacetHit {
    pub value: String,
    pub count: u64,
}

/// `GET /indexes/{uid}`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IndexInfo {
    #[schema(example = "paragraphs")]
    pub uid: String,
    #[schema(example = "id")]
    pub primary_key: String,
    /// When the index in use was built (RFC 3339).
    #[schema(example = "2024-05-01T12:00:00.000000Z")]
    pub created_at: String,
    /// Same as `createdAt`: a new build is a new index.
    pub updated_at: String,
}

/// `GET /version`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    pub commit_sha: String,
    pub commit_date: String,
    /// folio's version.
    pub pkg_version: String,
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.000000Z`, the form Meilisearch uses
/// (the Python client parses it with a fixed format that needs the fraction).
pub fn rfc3339(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rem = seconds % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00.000000Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20.000000Z");
    }

    #[test]
    fn totals_are_flattened() {
        let r = SearchResult {
            index_uid: None,
            hits: vec![],
            query: String::new(),
            processing_time_ms: 0,
            totals: Totals::Pages(PageTotals {
                page: 1,
                hits_per_page: 10,
                total_hits: 3,
                total_pages: 1,
            }),
            facet_distribution: None,
            facet_stats: None,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"hits": [], "query": "", "processingTimeMs": 0, "page": 1, "hitsPerPage": 10, "totalHits": 3, "totalPages": 1})
        );
    }
}
