//! The bodies of `/multi-search` and `/indexes/{uid}/facet-search`, read into checked plans.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::meili::error::{MeiliError, Param};
use crate::meili::filter::describe;
use crate::meili::params::{Facet, SearchPlan, SearchQuery, check_index};

/// Most queries in one `/multi-search`: InstantSearch sends one plus one per refined facet.
pub const MAX_QUERIES: usize = 100;

/// `POST /multi-search`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MultiSearchBody {
    /// The searches, answered in the same order.
    #[schema(value_type = Vec<MultiSearchQuery>)]
    #[serde(default, deserialize_with = "present")]
    pub queries: Option<Value>,
    /// Federated search is not supported: must be absent or null.
    #[schema(value_type = Option<Object>)]
    #[serde(default, deserialize_with = "present")]
    pub federation: Option<Value>,
}

/// One query of a multi-search: a search and the index it is for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MultiSearchQuery {
    /// Always `paragraphs`.
    #[schema(value_type = String, example = "paragraphs")]
    #[serde(default, deserialize_with = "present")]
    pub index_uid: Option<Value>,
    #[serde(flatten)]
    pub search: SearchQuery,
}

/// `POST /indexes/{uid}/facet-search`: the values of one facet among the paragraphs matching
/// `q` and `filter`, narrowed to those with a word starting with `facetQuery`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FacetSearchQuery {
    /// `source`, `theme`, `themes`, `year` or `kind`.
    #[schema(value_type = String, example = "source")]
    #[serde(default, deserialize_with = "present")]
    pub facet_name: Option<Value>,
    /// Start of a word of the values wanted; absent: all values.
    #[schema(value_type = Option<String>, example = "nor")]
    #[serde(default, deserialize_with = "present")]
    pub facet_query: Option<Value>,
    /// `q`, `filter`, `matchingStrategy` and `attributesToSearchOn` apply as in a search.
    #[serde(flatten)]
    pub search: SearchQuery,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn bad_shape(e: serde_json::Error) -> MeiliError {
    MeiliError::BadRequest(format!("Invalid request: {e}"))
}

/// Reads and checks every query of a multi-search; an error names the query it is in.
pub fn multi_search_plans(body: Map<String, Value>) -> Result<Vec<SearchPlan>, MeiliError> {
    let body: MultiSearchBody = serde_json::from_value(Value::Object(body)).map_err(bad_shape)?;
    if body.federation.as_ref().is_some_and(|f| !f.is_null()) {
        return Err(MeiliError::BadRequest(
            "Federated search is not supported: leave out `federation` (or send null) to get one result per query.".to_string(),
        ));
    }
    let queries = match body.queries {
        Some(Value::Array(queries)) => queries,
        None | Some(Value::Null) => {
            return Err(MeiliError::BadRequest(
                "Missing field `queries`".to_string(),
            ));
        }
        Some(other) => {
            return Err(MeiliError::BadRequest(format!(
                "Invalid value type at `.queries`: expected an array, but found {}",
                describe(&other)
            )));
        }
    };
    if queries.len() > MAX_QUERIES {
        return Err(MeiliError::BadRequest(format!(
            "Too many queries: {} (at most {MAX_QUERIES} per request).",
            queries.len()
        )));
    }
    queries
        .into_iter()
        .enumerate()
        .map(|(i, query)| multi_search_query(query).map_err(|e| e.in_query(i)))
        .collect()
}

fn multi_search_query(query: Value) -> Result<SearchPlan, MeiliError> {
    if !query.is_object() {
        return Err(MeiliError::BadRequest(format!(
            "Invalid value type: expected an object, but found {}",
            describe(&query)
        )));
    }
    let query: MultiSearchQuery = serde_json::from_value(query).map_err(bad_shape)?;
    match query.index_uid {
        None | Some(Value::Null) => return Err(MeiliError::MissingIndexUid),
        Some(Value::String(uid)) => check_index(&uid)?,
        Some(other) => return Err(MeiliError::InvalidIndexUid(other.to_string())),
    }
    SearchPlan::try_from(query.search)
}

/// Reads and checks a facet search: the plan, the facet and the facet query.
pub fn facet_search_plan(
    body: Map<String, Value>,
) -> Result<(SearchPlan, Facet, Option<String>), MeiliError> {
    let query: FacetSearchQuery = serde_json::from_value(Value::Object(body)).map_err(bad_shape)?;
    let facet = match query.facet_name {
        None | Some(Value::Null) => return Err(MeiliError::MissingFacetName),
        Some(Value::String(name)) => Facet::parse(&name).ok_or_else(|| {
            MeiliError::invalid(
                Param::FacetName,
                format!(
                    "Attribute `{name}` is not facet-searchable. Facet-searchable attributes are: `{}`.",
                    Facet::names()
                ),
            )
        })?,
        Some(other) => {
            return Err(MeiliError::invalid(
                Param::FacetName,
                format!("Invalid value type at `.facetName`: expected a string, but found {}", describe(&other)),
            ));
        }
    };
    let facet_query = match query.facet_query {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            return Err(MeiliError::invalid(
                Param::FacetQuery,
                format!(
                    "Invalid value type at `.facetQuery`: expected a string, but found {}",
                    describe(&other)
                ),
            ));
        }
    };
    Ok((SearchPlan::try_from(query.search)?, facet, facet_query))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn error(r: Result<Vec<SearchPlan>, MeiliError>) -> (String, &'static str) {
        let e = r.expect_err("an error");
        (e.public_message(), e.status_and_code().1)
    }

    #[test]
    fn queries_are_read_in_order() {
        let plans = multi_search_plans(body(json!({"queries": [
            {"indexUid": "paragraphs", "q": "a"},
            {"indexUid": "paragraphs", "q": "b", "limit": 1}
        ], "federation": null})))
        .unwrap();
        assert_eq!(
            plans.iter().map(|p| p.q.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn errors_name_the_query() {
        let (m, c) = error(multi_search_plans(body(json!({"queries": [
            {"indexUid": "paragraphs"}, {"indexUid": "papers"}
        ]}))));
        assert_eq!(
            (m.as_str(), c),
            (
                "Inside `.queries[1]`: Index `papers` not found.",
                "index_not_found"
            )
        );
        let (m, c) = error(multi_search_plans(body(json!({"queries": [{"q": "x"}]}))));
        assert_eq!(
            (m.as_str(), c),
            (
                "Inside `.queries[0]`: Missing field `indexUid`",
                "missing_index_uid"
            )
        );
        let (m, c) = error(multi_search_plans(body(
            json!({"queries": [{"indexUid": "paragraphs", "filter": "nope = 1"}]}),
        )));
        assert!(
            m.starts_with("Inside `.queries[0]`: Attribute `nope` is not filterable."),
            "{m}"
        );
        assert_eq!(c, "invalid_search_filter");
        assert_eq!(error(multi_search_plans(body(json!({})))).1, "bad_request");
        assert_eq!(
            error(multi_search_plans(body(json!({"queries": {}})))).1,
            "bad_request"
        );
        assert_eq!(
            error(multi_search_plans(body(
                json!({"queries": [], "federation": {}})
            )))
            .1,
            "bad_request"
        );
        assert_eq!(
            error(multi_search_plans(body(json!({"queries": [5]})))).1,
            "bad_request"
        );
    }

    #[test]
    fn facet_searches() {
        let (_, facet, query) = facet_search_plan(body(
            json!({"facetName": "source", "facetQuery": null, "q": "x"}),
        ))
        .unwrap();
        assert_eq!((facet, query), (Facet::Source, None));
        let e = facet_search_plan(body(json!({"facetName": "title"})))
            .err()
            .unwrap();
        assert_eq!(e.status_and_code().1, "invalid_facet_search_facet_name");
        let e = facet_search_plan(body(json!({}))).err().unwrap();
        assert_eq!(e.status_and_code().1, "missing_facet_search_facet_name");
    }
}
