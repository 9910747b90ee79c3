//! The Meilisearch-compatible API through the real router and middleware, on a real index built
//! on disk from a small corpus written here.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use folio_search::IndexHandle;
use folio_server::{AppState, ServerConfig};
use folio_testkit::Fixture;
use serde_json::{Value, json};
use tower::ServiceExt;

use common::{Response, get, send};

const THEMES: &str = r#"
threshold = 3.0
[[theme]]
id = "weather"
label = "Weather"
description = "Floods, storms and rain."
evidence = { "flood" = 3.0, "storm" = 3.0, "rain" = 3.0 }
[[theme]]
id = "trade"
label = "Trade"
description = "Markets, merchants and trade."
evidence = { "trade" = 3.0, "merchants" = 3.0, "market" = 3.0 }
"#;

/// Four documents over three sources and four years: paragraphs with and without themes, a
/// quote, a section heading, and text that needs HTML escaping. One JSON Lines record each.
fn records() -> Vec<Value> {
    vec![
        json!({"id": "harbour", "title": "The Harbour & the Flood", "source": "Parish Records", "year": 1824,
            "date": "1824-05-01", "authors": ["Ann Smith"], "url": "https://example.org/harbour", "format": "markdown",
            "text": "## Spring\n\nIn the spring the great flood carried away the mill, the bridge and the \"old\" harbour wall & its stores, worth < 5 pounds.\n\nTrade in grain resumed when the waters fell, and merchants from the coast returned to the market with salt and cloth.\n\n> The flood was the worst in living memory, said the vicar, and the trade of the parish suffered for a whole year after it."}),
        json!({"id": "letters", "title": "Letters from the Estate", "source": "Estate Letters", "year": 1849,
            "date": "1849-03-02", "authors": ["John Doe", "Mary Roe"],
            "text": "The steward wrote that the autumn flood had ruined the lower fields and that the tenants could not pay their rent this year.\n\nA quiet paragraph about the household accounts and the wages of the servants, with nothing else of note in it at all."}),
        json!({"id": "rolls", "title": "Court Rolls of the Manor", "source": "Court Rolls", "year": 1766, "authors": ["Clerk of the Court"],
            "text": "The jury found that the miller had taken more than his due from every sack brought to him by the villagers of the manor.\n\nThe court fined the baker for selling short loaves at the weekly gathering in the square before the church."}),
        json!({"id": "survey", "title": "A Survey of the Parish", "source": "Parish Records", "year": 1890, "authors": ["Ann Smith"],
            "text": "Old men of the parish still remember how the river rose in the night, how the water stood in the streets for a week, and how the great flood of their childhood changed the course of the stream, the fields of every farm and the lives of the families who had lived beside it for many generations before them.\n\nThe survey counted the houses, the chapels, the schools and the inns of the parish, and listed every trade practised within its bounds by the people who lived there."}),
    ]
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<(tempfile::TempDir, Fixture)> = OnceLock::new();
    &F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus");
        let config = dir.path().join("config");
        std::fs::create_dir_all(&corpus).unwrap();
        std::fs::create_dir_all(&config).unwrap();
        let lines: Vec<String> = records().iter().map(Value::to_string).collect();
        std::fs::write(corpus.join("records.jsonl"), lines.join("\n")).unwrap();
        std::fs::write(config.join("themes.toml"), THEMES).unwrap();
        std::fs::write(config.join("synonyms.toml"), "").unwrap();
        let fixture = folio_testkit::build(Path::new(&corpus), Path::new(&config));
        (dir, fixture)
    })
    .1
}

fn state_with(config: ServerConfig) -> AppState {
    let f = fixture();
    let handle = Arc::new(IndexHandle::new(f.store.clone(), f.options.clone()));
    handle.reload().unwrap();
    AppState::new(handle, config)
}

fn app() -> Router {
    folio_server::router(state_with(ServerConfig::default()))
}

/// A server whose index is still being built.
fn app_without_index(dir: &Path) -> Router {
    let handle = Arc::new(IndexHandle::new(
        folio_search::IndexStore::new(dir),
        fixture().options.clone(),
    ));
    folio_server::router(AppState::new(handle, ServerConfig::default()))
}

async fn post(app: &Router, uri: &str, body: &Value) -> Response {
    common::post(app, uri, &body.to_string()).await
}

async fn search(app: &Router, body: Value) -> Value {
    let r = post(app, "/indexes/paragraphs/search", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

fn ids(result: &Value) -> Vec<String> {
    result["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

fn id_set(result: &Value) -> BTreeSet<String> {
    ids(result).into_iter().collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The hit with this id.
fn hit<'a>(result: &'a Value, id: &str) -> &'a Value {
    result["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
        .unwrap_or_else(|| panic!("no hit {id} in {result}"))
}

const ALL: &[&str] = &[
    "harbour-p1",
    "harbour-p2",
    "harbour-p3",
    "letters-p1",
    "letters-p2",
    "rolls-p1",
    "rolls-p2",
    "survey-p1",
    "survey-p2",
];

/// Asserts a Meilisearch error: status, code, and the four fields of the body.
fn assert_error(r: &Response, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body["code"], code, "{}", r.body);
    let kind = if status.is_server_error() {
        "internal"
    } else {
        "invalid_request"
    };
    assert_eq!(r.body["type"], kind, "{}", r.body);
    assert_eq!(
        r.body["link"],
        format!("https://docs.meilisearch.com/errors#{code}")
    );
    assert!(!r.body["message"].as_str().unwrap().is_empty());
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
}

const AIS_PRE: &str = "__ais-highlight__";
const AIS_POST: &str = "__/ais-highlight__";

/// The worked example of the spec, on this corpus: InstantSearch with a search box, refinement
/// lists on `source` and `theme`, a range on `year` and a configured snippet, refined to
/// q=flood, source=Parish Records, theme in {weather, trade}, year 1800–1850. The helper sends the
/// main query and one query per refined disjunctive facet without that facet's own filters.
#[tokio::test]
async fn instantsearch_multi_search() {
    let app = app();
    let year = json!(["\"year\">=1800", "\"year\"<=1850"]);
    let source = json!(["\"source\"=\"Parish Records\""]);
    let theme = json!(["\"theme\"=\"weather\"", "\"theme\"=\"trade\""]);
    let common = |facets: Value, filter: Vec<Value>, limit: u64| {
        json!({"indexUid": "paragraphs", "q": "flood", "facets": facets, "attributesToCrop": ["text:5"],
            "cropMarker": "…", "filter": filter, "attributesToHighlight": ["*"],
            "highlightPreTag": AIS_PRE, "highlightPostTag": AIS_POST, "limit": limit, "offset": 0})
    };
    let body = json!({"queries": [
        common(json!(["source", "theme", "year"]), vec![year[0].clone(), year[1].clone(), source.clone(), theme.clone()], 11),
        common(json!(["source"]), vec![year[0].clone(), year[1].clone(), theme.clone()], 1),
        common(json!(["theme"]), vec![year[0].clone(), year[1].clone(), source.clone()], 1),
        common(json!(["year"]), vec![source.clone(), theme.clone()], 1),
    ]});
    let r = post(&app, "/multi-search", &body).await;
    assert_eq!(r.status, StatusCode::OK);
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for result in results {
        assert_eq!(result["indexUid"], "paragraphs");
        assert_eq!(result["query"], "flood");
        assert_eq!(result["offset"], 0);
        assert!(result["processingTimeMs"].is_u64());
        assert!(result.get("totalHits").is_none() && result.get("page").is_none());
    }

    let main = &results[0];
    assert_eq!(main["limit"], 11);
    assert_eq!(main["estimatedTotalHits"], 2);
    assert_eq!(id_set(main), set(&["harbour-p1", "harbour-p3"]));
    assert_eq!(
        main["facetDistribution"],
        json!({"source": {"Parish Records": 2}, "theme": {"trade": 1, "weather": 2}, "year": {"1824": 2}})
    );
    assert_eq!(
        main["facetStats"],
        json!({"year": {"min": 1824, "max": 1824}})
    );
    let h = hit(main, "harbour-p1");
    assert_eq!(
        h["text"],
        "In the spring the great flood carried away the mill, the bridge and the \"old\" harbour wall & its stores, worth < 5 pounds."
    );
    assert_eq!(h["year"], 1824);
    let f = &h["_formatted"];
    assert_eq!(
        f["text"],
        format!("…great {AIS_PRE}flood{AIS_POST} carried away the…")
    );
    // InstantSearch's placeholder tags: InstantSearch escapes the values itself, so they come raw.
    assert_eq!(
        f["title"],
        format!("The Harbour & the {AIS_PRE}Flood{AIS_POST}")
    );
    assert_eq!(f["year"], "1824");
    assert_eq!(f["position"], "1");
    assert_eq!(f["source"], "Parish Records");
    assert_eq!(f["theme"], json!(["weather"]));
    assert_eq!(f["authors"], json!(["Ann Smith"]));
    assert_eq!(f["id"], "harbour-p1");

    // Disjunctive counts: each facet counted without its own refinement.
    assert_eq!(results[1]["limit"], 1);
    assert_eq!(results[1]["hits"].as_array().unwrap().len(), 1);
    assert_eq!(results[1]["estimatedTotalHits"], 3);
    assert_eq!(
        results[1]["facetDistribution"],
        json!({"source": {"Estate Letters": 1, "Parish Records": 2}})
    );
    assert_eq!(results[1]["facetStats"], json!({}));
    assert_eq!(results[2]["estimatedTotalHits"], 2);
    assert_eq!(
        results[2]["facetDistribution"],
        json!({"theme": {"trade": 1, "weather": 2}})
    );
    assert_eq!(results[3]["estimatedTotalHits"], 3);
    assert_eq!(
        results[3]["facetDistribution"],
        json!({"year": {"1824": 2, "1890": 1}})
    );
    assert_eq!(
        results[3]["facetStats"],
        json!({"year": {"min": 1824, "max": 1890}})
    );
}

/// The adapter's first request: facets of everything, no query, no filter.
#[tokio::test]
async fn first_load_counts_every_facet() {
    let app = app();
    let body = json!({"queries": [{"indexUid": "paragraphs", "facets": ["source", "theme", "year", "kind"], "limit": 11, "offset": 0}]});
    let r = post(&app, "/multi-search", &body).await;
    assert_eq!(r.status, StatusCode::OK);
    let result = &r.body["results"][0];
    assert_eq!(result["query"], "");
    assert_eq!(result["estimatedTotalHits"], 9);
    assert_eq!(result["hits"].as_array().unwrap().len(), 9);
    assert_eq!(
        result["facetDistribution"],
        json!({
            "source": {"Court Rolls": 2, "Estate Letters": 2, "Parish Records": 5},
            "theme": {"trade": 3, "weather": 4},
            "year": {"1766": 2, "1824": 3, "1849": 2, "1890": 2},
            "kind": {"body": 8, "quote": 1},
        })
    );
    assert_eq!(
        result["facetStats"],
        json!({"year": {"min": 1766, "max": 1890}})
    );
    // Every hit carries every attribute.
    let h = hit(result, "letters-p1");
    assert_eq!(
        h,
        &json!({"id": "letters-p1", "doc_id": "letters", "title": "Letters from the Estate",
            "text": "The steward wrote that the autumn flood had ruined the lower fields and that the tenants could not pay their rent this year.",
            "source": "Estate Letters", "year": 1849, "date": "1849-03-02", "authors": ["John Doe", "Mary Roe"],
            "themes": ["weather"], "theme": ["weather"], "section": null, "kind": "body", "position": 1, "url": null})
    );
    assert!(h.get("_formatted").is_none() && h.get("_matchesPosition").is_none());
}

#[tokio::test]
async fn page_mode() {
    let app = app();
    let r = search(
        &app,
        json!({"hitsPerPage": 4, "page": 2, "limit": 1, "offset": 7}),
    )
    .await;
    assert_eq!(
        (
            r["page"].clone(),
            r["hitsPerPage"].clone(),
            r["totalHits"].clone(),
            r["totalPages"].clone()
        ),
        (json!(2), json!(4), json!(9), json!(3))
    );
    assert!(
        r.get("limit").is_none()
            && r.get("offset").is_none()
            && r.get("estimatedTotalHits").is_none()
    );
    assert_eq!(ids(&r).len(), 4);
    let last = search(&app, json!({"hitsPerPage": 4, "page": 3})).await;
    assert_eq!(ids(&last).len(), 1);
    let pages: BTreeSet<String> = [
        ids(&r),
        ids(&last),
        ids(&search(&app, json!({"hitsPerPage": 4, "page": 1})).await),
    ]
    .concat()
    .into_iter()
    .collect();
    assert_eq!(pages, set(ALL));
    // The helper's facet-only queries in finite mode.
    let counts = search(
        &app,
        json!({"hitsPerPage": 0, "page": 1, "facets": ["year"]}),
    )
    .await;
    assert_eq!(ids(&counts).len(), 0);
    assert_eq!(
        (counts["totalHits"].clone(), counts["totalPages"].clone()),
        (json!(9), json!(0))
    );
    assert_eq!(counts["facetDistribution"]["year"]["1824"], 3);
    let zero = search(&app, json!({"hitsPerPage": 4, "page": 0})).await;
    assert_eq!(
        (ids(&zero).len(), zero["totalPages"].clone()),
        (0, json!(3))
    );
    // Defaults: page 1 of 20.
    let d = search(&app, json!({"page": 1, "q": "flood"})).await;
    assert_eq!(
        (
            d["hitsPerPage"].clone(),
            d["totalHits"].clone(),
            d["totalPages"].clone()
        ),
        (json!(20), json!(4), json!(1))
    );
}

#[tokio::test]
async fn page_sizes_are_reduced_to_the_maximum() {
    let app = app();
    let r = search(&app, json!({"limit": 500})).await;
    assert_eq!((r["limit"].clone(), ids(&r).len()), (json!(100), 9));
    let r = search(&app, json!({"hitsPerPage": 1000})).await;
    assert_eq!(
        (r["hitsPerPage"].clone(), r["totalPages"].clone()),
        (json!(100), json!(1))
    );
    // Past the deepest offset: no hits, true totals.
    let r = search(&app, json!({"offset": 20000, "facets": ["kind"]})).await;
    assert_eq!(
        (
            r["offset"].clone(),
            r["estimatedTotalHits"].clone(),
            ids(&r).len()
        ),
        (json!(20000), json!(9), 0)
    );
    assert_eq!(r["facetDistribution"]["kind"]["body"], 8);
    let r = search(&app, json!({"page": u64::MAX, "hitsPerPage": 100})).await;
    assert_eq!(ids(&r).len(), 0);
}

async fn filtered(app: &Router, filter: Value) -> BTreeSet<String> {
    id_set(&search(app, json!({"filter": filter, "limit": 100})).await)
}

#[tokio::test]
async fn filters_of_every_form() {
    let app = app();
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            json!("source = \"Court Rolls\""),
            vec!["rolls-p1", "rolls-p2"],
        ),
        (
            json!("\"source\"=\"Court Rolls\""),
            vec!["rolls-p1", "rolls-p2"],
        ),
        (
            json!("source != 'Parish Records'"),
            vec!["letters-p1", "letters-p2", "rolls-p1", "rolls-p2"],
        ),
        (
            json!("year > 1824"),
            vec!["letters-p1", "letters-p2", "survey-p1", "survey-p2"],
        ),
        (
            json!("\"year\">=1849"),
            vec!["letters-p1", "letters-p2", "survey-p1", "survey-p2"],
        ),
        (
            json!("year >= 1824 AND year < 1890"),
            vec![
                "harbour-p1",
                "harbour-p2",
                "harbour-p3",
                "letters-p1",
                "letters-p2",
            ],
        ),
        (json!("year <= 1766"), vec!["rolls-p1", "rolls-p2"]),
        (
            json!("year 1766 TO 1824"),
            vec![
                "rolls-p1",
                "rolls-p2",
                "harbour-p1",
                "harbour-p2",
                "harbour-p3",
            ],
        ),
        (
            json!("\"year\" 1800 TO 1850"),
            vec![
                "harbour-p1",
                "harbour-p2",
                "harbour-p3",
                "letters-p1",
                "letters-p2",
            ],
        ),
        (json!("year = \"1849\""), vec!["letters-p1", "letters-p2"]),
        (json!("year = 1849.0"), vec!["letters-p1", "letters-p2"]),
        (
            json!("theme = weather OR kind = quote"),
            vec!["harbour-p1", "harbour-p3", "letters-p1", "survey-p1"],
        ),
        (
            json!("themes = trade AND theme = weather"),
            vec!["harbour-p3"],
        ),
        (
            json!("theme != trade"),
            vec![
                "harbour-p1",
                "letters-p1",
                "letters-p2",
                "rolls-p1",
                "rolls-p2",
                "survey-p1",
            ],
        ),
        (
            json!("theme IN [trade, 'weather',]"),
            vec![
                "harbour-p1",
                "harbour-p2",
                "harbour-p3",
                "letters-p1",
                "survey-p1",
                "survey-p2",
            ],
        ),
        (
            json!("source NOT IN [\"Parish Records\", 'Court Rolls']"),
            vec!["letters-p1", "letters-p2"],
        ),
        (
            json!("theme EXISTS"),
            vec![
                "harbour-p1",
                "harbour-p2",
                "harbour-p3",
                "letters-p1",
                "survey-p1",
                "survey-p2",
            ],
        ),
        (
            json!("theme NOT EXISTS"),
            vec!["letters-p2", "rolls-p1", "rolls-p2"],
        ),
        (
            json!("theme IS EMPTY"),
            vec!["letters-p2", "rolls-p1", "rolls-p2"],
        ),
        (
            json!("theme IS NOT EMPTY"),
            vec![
                "harbour-p1",
                "harbour-p2",
                "harbour-p3",
                "letters-p1",
                "survey-p1",
                "survey-p2",
            ],
        ),
        (json!("source IS NULL"), vec![]),
        (json!("source IS NOT NULL"), ALL.to_vec()),
        (json!("doc_id = rolls AND position = 2"), vec!["rolls-p2"]),
        (json!("position > 2"), vec!["harbour-p3"]),
        (json!("kind = quote"), vec!["harbour-p3"]),
        (
            json!("(year < 1800 OR year > 1880) AND NOT theme = trade"),
            vec!["rolls-p1", "rolls-p2", "survey-p1"],
        ),
        (
            json!("NOT (year < 1800 OR year > 1880)"),
            vec![
                "harbour-p1",
                "harbour-p2",
                "harbour-p3",
                "letters-p1",
                "letters-p2",
            ],
        ),
        (
            json!("kind = quote OR kind = body AND year = 1766"),
            vec!["harbour-p3", "rolls-p1", "rolls-p2"],
        ),
        (json!("source = \"Parish \\\"Records\\\"\""), vec![]),
        (json!("   "), ALL.to_vec()),
        (json!([]), ALL.to_vec()),
        (json!(null), ALL.to_vec()),
        (
            json!([["theme = trade", "theme = weather"], "year < 1850"]),
            vec!["harbour-p1", "harbour-p2", "harbour-p3", "letters-p1"],
        ),
        (
            json!([
                "year > 1800",
                ["source = \"Estate Letters\""],
                ["kind = quote", "theme IS EMPTY"]
            ]),
            vec!["letters-p2"],
        ),
        (
            json!(["year >= 1824 AND year <= 1849", "NOT kind = body"]),
            vec!["harbour-p3"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            filtered(&app, filter.clone()).await,
            set(&expected),
            "filter {filter}"
        );
    }
}

#[tokio::test]
async fn highlighting_escapes_and_marks() {
    let app = app();
    let r = search(
        &app,
        json!({"q": "flood", "filter": "doc_id = harbour AND position = 1",
        "attributesToHighlight": ["text"], "attributesToRetrieve": ["id", "year", "title"]}),
    )
    .await;
    let h = hit(&r, "harbour-p1");
    // The document holds what was retrieved; _formatted adds the highlighted attribute.
    assert_eq!(
        h.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["_formatted", "id", "title", "year"]
    );
    assert_eq!(
        h["_formatted"],
        json!({"id": "harbour-p1", "year": 1824, "title": "The Harbour & the Flood",
            "text": "In the spring the great <em>flood</em> carried away the mill, the bridge and the &quot;old&quot; harbour wall &amp; its stores, worth &lt; 5 pounds."})
    );
    // Custom tags; "*" highlights every attribute; stems match (floods → flood).
    let r = search(&app, json!({"q": "floods", "filter": "doc_id = harbour AND position = 1",
        "attributesToHighlight": ["*"], "highlightPreTag": "<mark class=\"x\">", "highlightPostTag": "</mark>"})).await;
    let f = &hit(&r, "harbour-p1")["_formatted"];
    assert_eq!(
        f["title"],
        "The Harbour &amp; the <mark class=\"x\">Flood</mark>"
    );
    assert!(
        f["text"]
            .as_str()
            .unwrap()
            .contains("great <mark class=\"x\">flood</mark> carried")
    );
    assert_eq!(f["section"], "Spring");
    assert_eq!(f["date"], "1824-05-01");
    assert_eq!(f["url"], "https://example.org/harbour");
    assert_eq!(f["year"], "1824");
    // No highlight and no crop: no _formatted.
    let r = search(&app, json!({"q": "flood", "attributesToHighlight": []})).await;
    assert!(r["hits"][0].get("_formatted").is_none());
}

#[tokio::test]
async fn cropping_by_words() {
    let app = app();
    let r = search(
        &app,
        json!({"q": "flood", "filter": "doc_id = survey AND position = 1",
        "attributesToCrop": ["text"], "cropLength": 6, "cropMarker": "[…]",
        "attributesToHighlight": ["text"], "highlightPreTag": "<b>", "highlightPostTag": "</b>"}),
    )
    .await;
    assert_eq!(
        hit(&r, "survey-p1")["_formatted"]["text"],
        "[…]great <b>flood</b> of their childhood changed[…]"
    );
    // Per-attribute length; cropped but not highlighted: no tags; default marker.
    let r = search(&app, json!({"q": "flood", "filter": "doc_id = survey AND position = 1", "attributesToCrop": ["text:3"]})).await;
    assert_eq!(
        hit(&r, "survey-p1")["_formatted"]["text"],
        "…flood of their…"
    );
    // No match: the first words; no marker when cropMarker is empty.
    let r = search(&app, json!({"filter": "doc_id = survey AND position = 1", "attributesToCrop": ["text:4"], "cropMarker": ""})).await;
    assert_eq!(hit(&r, "survey-p1")["_formatted"]["text"], "Old men of the");
    // A short value is left whole; cropLength 0 keeps everything.
    let r = search(&app, json!({"q": "flood", "filter": "doc_id = survey AND position = 1", "attributesToCrop": ["title", "text"], "cropLength": 0})).await;
    let f = &hit(&r, "survey-p1")["_formatted"];
    assert_eq!(f["title"], "A Survey of the Parish");
    assert!(
        f["text"].as_str().unwrap().starts_with("Old men")
            && f["text"].as_str().unwrap().ends_with("before them.")
    );
}

#[tokio::test]
async fn matches_positions_are_bytes() {
    let app = app();
    let r = search(&app, json!({"q": "flood", "filter": "doc_id = harbour AND position = 1", "showMatchesPosition": true})).await;
    let m = &hit(&r, "harbour-p1")["_matchesPosition"];
    assert_eq!(m["text"], json!([{"start": 24, "length": 5}]));
    assert_eq!(m["title"], json!([{"start": 18, "length": 5}]));
    assert!(m.get("source").is_none());
}

#[tokio::test]
async fn sorting_by_year() {
    let app = app();
    let years = |r: &Value| -> Vec<u64> {
        r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["year"].as_u64().unwrap())
            .collect()
    };
    let desc = years(&search(&app, json!({"sort": ["year:desc"], "limit": 100})).await);
    assert_eq!(desc, [1890, 1890, 1849, 1849, 1824, 1824, 1824, 1766, 1766]);
    let asc = years(&search(&app, json!({"q": "flood", "sort": ["year:asc"]})).await);
    assert_eq!(asc, [1824, 1824, 1849, 1890]);
    let r = post(
        &app,
        "/indexes/paragraphs/search",
        &json!({"sort": ["title:asc"]}),
    )
    .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_search_sort");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("Attribute `title` is not sortable")
    );
}

#[tokio::test]
async fn facets_and_stats() {
    let app = app();
    let r = search(
        &app,
        json!({"q": "flood", "facets": ["kind", "themes", "theme", "year"], "limit": 0}),
    )
    .await;
    assert_eq!(ids(&r).len(), 0);
    assert_eq!(r["estimatedTotalHits"], 4);
    assert_eq!(
        r["facetDistribution"],
        json!({"kind": {"body": 3, "quote": 1}, "theme": {"trade": 1, "weather": 4}, "themes": {"trade": 1, "weather": 4}, "year": {"1824": 2, "1849": 1, "1890": 1}})
    );
    assert_eq!(r["facetStats"], json!({"year": {"min": 1824, "max": 1890}}));
    // Every requested facet is present, empty when nothing matched.
    let r = search(&app, json!({"q": "zebra", "facets": ["source", "year"]})).await;
    assert_eq!(r["facetDistribution"], json!({"source": {}, "year": {}}));
    assert_eq!(r["facetStats"], json!({}));
    // No facets asked: neither field.
    let r = search(&app, json!({"q": "flood"})).await;
    assert!(r.get("facetDistribution").is_none() && r.get("facetStats").is_none());
    let r = post(
        &app,
        "/indexes/paragraphs/search",
        &json!({"facets": ["source", "title"]}),
    )
    .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_search_facets");
}

#[tokio::test]
async fn matching_strategy_and_distinct() {
    let app = app();
    // `all`: only the paragraph holding both words. The default (`last`) may relax the query
    // (folio's rule), but the paragraph holding both words still comes first.
    assert_eq!(
        id_set(&search(&app, json!({"q": "flood trade", "matchingStrategy": "all"})).await),
        set(&["harbour-p3"])
    );
    assert_eq!(
        ids(&search(
            &app,
            json!({"q": "flood trade", "matchingStrategy": "last"})
        )
        .await)[0],
        "harbour-p3"
    );
    // Nothing has both words: folio's default relaxes to any word; `all` does not.
    let relaxed = search(
        &app,
        json!({"q": "flood zebra", "matchingStrategy": "last"}),
    )
    .await;
    assert_eq!(
        id_set(&relaxed),
        set(&["harbour-p1", "harbour-p3", "letters-p1", "survey-p1"])
    );
    let strict = search(
        &app,
        json!({"q": "flood zebra", "matchingStrategy": "all", "facets": ["kind"]}),
    )
    .await;
    assert_eq!(
        (
            ids(&strict).len(),
            strict["facetDistribution"]["kind"].clone()
        ),
        (0, json!({}))
    );
    let one_per_doc = search(&app, json!({"distinct": "doc_id", "limit": 100})).await;
    assert_eq!(one_per_doc["estimatedTotalHits"], 4);
    let docs: BTreeSet<String> = one_per_doc["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["doc_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(docs, set(&["harbour", "letters", "rolls", "survey"]));
}

#[tokio::test]
async fn search_by_query_string() {
    let app = app();
    let r = get(&app, "/indexes/paragraphs/search?q=flood&limit=2&facets=source,year&filter=year%20%3E%201830&attributesToHighlight=text&attributesToRetrieve=id,text").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (
            r.body["limit"].clone(),
            r.body["estimatedTotalHits"].clone()
        ),
        (json!(2), json!(2))
    );
    assert_eq!(id_set(&r.body), set(&["letters-p1", "survey-p1"]));
    assert_eq!(
        r.body["facetDistribution"],
        json!({"source": {"Estate Letters": 1, "Parish Records": 1}, "year": {"1849": 1, "1890": 1}})
    );
    assert!(
        hit(&r.body, "letters-p1")["_formatted"]["text"]
            .as_str()
            .unwrap()
            .contains("autumn <em>flood</em> had")
    );
    // A filter given as a JSON array; page mode.
    let filter = "%5B%5B%22kind%20%3D%20quote%22%2C%22year%20%3D%201766%22%5D%5D";
    let r = get(
        &app,
        &format!("/indexes/paragraphs/search?filter={filter}&hitsPerPage=2&page=1&sort=year:desc"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (r.body["totalHits"].clone(), r.body["totalPages"].clone()),
        (json!(3), json!(2))
    );
    assert_eq!(ids(&r.body)[0], "harbour-p3");
    let r = get(&app, "/indexes/paragraphs/search?limit=lots").await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_search_limit");
    let r = get(&app, "/indexes/paragraphs/search?filter=title%20%3D%20x").await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_search_filter");
}

#[tokio::test]
async fn clients_headers_and_unknown_fields_are_accepted() {
    let app = app();
    // Python's client sends `Bearer None` without a key; JS sends its agents; both are ignored.
    let req = Request::post("/indexes/paragraphs/search")
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header(header::AUTHORIZATION, "Bearer None")
        .header("x-meilisearch-client", "Meilisearch instant-meilisearch (v0.28.0) ; Meilisearch JavaScript (v0.53.0)")
        .body(Body::from(json!({"q": "flood", "hybrid": null, "showRankingScore": true, "rankingScoreThreshold": 0.2, "vector": null, "attributesToSearchOn": ["text", "title"], "matchingStrategy": "frequency"}).to_string()))
        .unwrap();
    let r = send(&app, req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["estimatedTotalHits"], 4);
    // Python's multi_search always sends `federation: null`.
    let r = post(
        &app,
        "/multi-search",
        &json!({"queries": [{"indexUid": "paragraphs", "q": "trade"}], "federation": null}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["results"][0]["estimatedTotalHits"], 3);
}

#[tokio::test]
async fn facet_search() {
    let app = app();
    let values = |r: &Response| r.body["facetHits"].clone();
    let r = post(
        &app,
        "/indexes/paragraphs/facet-search",
        &json!({"facetName": "source", "facetQuery": "rec"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(values(&r), json!([{"value": "Parish Records", "count": 5}]));
    assert_eq!(r.body["facetQuery"], "rec");
    let r = post(
        &app,
        "/indexes/paragraphs/facet-search",
        &json!({"facetName": "theme", "facetQuery": null, "q": "flood"}),
    )
    .await;
    assert_eq!(
        values(&r),
        json!([{"value": "trade", "count": 1}, {"value": "weather", "count": 4}])
    );
    assert_eq!(r.body["facetQuery"], Value::Null);
    let r = post(
        &app,
        "/indexes/paragraphs/facet-search",
        &json!({"facetName": "year", "facetQuery": "18", "filter": "kind = body"}),
    )
    .await;
    assert_eq!(
        values(&r),
        json!([{"value": "1824", "count": 2}, {"value": "1849", "count": 2}, {"value": "1890", "count": 2}])
    );
    let r = post(
        &app,
        "/indexes/paragraphs/facet-search",
        &json!({"facetName": "kind"}),
    )
    .await;
    assert_eq!(
        values(&r),
        json!([{"value": "body", "count": 8}, {"value": "quote", "count": 1}])
    );
    let r = post(
        &app,
        "/indexes/paragraphs/facet-search",
        &json!({"facetName": "title"}),
    )
    .await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        "invalid_facet_search_facet_name",
    );
    let r = post(
        &app,
        "/indexes/paragraphs/facet-search",
        &json!({"facetQuery": "x"}),
    )
    .await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        "missing_facet_search_facet_name",
    );
    let r = post(
        &app,
        "/indexes/other/facet-search",
        &json!({"facetName": "source"}),
    )
    .await;
    assert_error(&r, StatusCode::NOT_FOUND, "index_not_found");
}

#[tokio::test]
async fn index_and_version() {
    let app = app();
    let r = get(&app, "/indexes/paragraphs").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (r.body["uid"].clone(), r.body["primaryKey"].clone()),
        (json!("paragraphs"), json!("id"))
    );
    let created = r.body["createdAt"].as_str().unwrap();
    assert_eq!(
        (
            created.len(),
            &created[4..5],
            &created[10..11],
            &created[19..20]
        ),
        (27, "-", "T", ".")
    );
    assert!(created.ends_with('Z'));
    assert_eq!(r.body["updatedAt"], created);
    let r = get(&app, "/indexes/papers").await;
    assert_error(&r, StatusCode::NOT_FOUND, "index_not_found");
    assert_eq!(r.body["message"], "Index `papers` not found.");
    let r = get(&app, "/version").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["pkgVersion"], env!("CARGO_PKG_VERSION"));
    assert!(r.body["commitSha"].is_string() && r.body["commitDate"].is_string());
}

/// Sends a body with the given content type (none if `None`).
async fn raw(app: &Router, uri: &str, content_type: Option<&str>, body: &str) -> Response {
    let mut req = Request::post(uri);
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    send(app, req.body(Body::from(body.to_string())).unwrap()).await
}

#[tokio::test]
async fn every_error_code() {
    let app = app();
    let json_ct = Some("application/json");
    let search = "/indexes/paragraphs/search";
    let cases: Vec<(&str, Option<&str>, &str, StatusCode, &str)> = vec![
        (
            search,
            json_ct,
            "{\"q\": ",
            StatusCode::BAD_REQUEST,
            "malformed_payload",
        ),
        (
            search,
            json_ct,
            "",
            StatusCode::BAD_REQUEST,
            "missing_payload",
        ),
        (
            search,
            json_ct,
            "[1, 2]",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            search,
            None,
            "{}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "missing_content_type",
        ),
        (
            search,
            Some("text/plain"),
            "{}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_content_type",
        ),
        (
            "/multi-search",
            Some("application/x-www-form-urlencoded"),
            "q=x",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_content_type",
        ),
        (
            "/indexes/papers/search",
            json_ct,
            "{}",
            StatusCode::NOT_FOUND,
            "index_not_found",
        ),
        (
            "/indexes/bad%20uid/search",
            json_ct,
            "{}",
            StatusCode::BAD_REQUEST,
            "invalid_index_uid",
        ),
        (
            search,
            json_ct,
            "{\"filter\": \"title = x\"}",
            StatusCode::BAD_REQUEST,
            "invalid_search_filter",
        ),
        (
            search,
            json_ct,
            "{\"filter\": \"year > \"}",
            StatusCode::BAD_REQUEST,
            "invalid_search_filter",
        ),
        (
            search,
            json_ct,
            "{\"filter\": \"year > abc\"}",
            StatusCode::BAD_REQUEST,
            "invalid_search_filter",
        ),
        (
            search,
            json_ct,
            "{\"filter\": 5}",
            StatusCode::BAD_REQUEST,
            "invalid_search_filter",
        ),
        (
            search,
            json_ct,
            "{\"sort\": [\"year\"]}",
            StatusCode::BAD_REQUEST,
            "invalid_search_sort",
        ),
        (
            search,
            json_ct,
            "{\"facets\": [\"url\"]}",
            StatusCode::BAD_REQUEST,
            "invalid_search_facets",
        ),
        (
            search,
            json_ct,
            "{\"limit\": -5}",
            StatusCode::BAD_REQUEST,
            "invalid_search_limit",
        ),
        (
            search,
            json_ct,
            "{\"offset\": \"1\"}",
            StatusCode::BAD_REQUEST,
            "invalid_search_offset",
        ),
        (
            search,
            json_ct,
            "{\"page\": 1.5}",
            StatusCode::BAD_REQUEST,
            "invalid_search_page",
        ),
        (
            search,
            json_ct,
            "{\"hitsPerPage\": true}",
            StatusCode::BAD_REQUEST,
            "invalid_search_hits_per_page",
        ),
        (
            search,
            json_ct,
            "{\"q\": [\"x\"]}",
            StatusCode::BAD_REQUEST,
            "invalid_search_q",
        ),
        (
            search,
            json_ct,
            "{\"attributesToCrop\": [\"text:many\"]}",
            StatusCode::BAD_REQUEST,
            "invalid_search_attributes_to_crop",
        ),
        (
            search,
            json_ct,
            "{\"attributesToHighlight\": \"*\", \"cropLength\": -1}",
            StatusCode::BAD_REQUEST,
            "invalid_search_crop_length",
        ),
        (
            search,
            json_ct,
            "{\"attributesToRetrieve\": [1]}",
            StatusCode::BAD_REQUEST,
            "invalid_search_attributes_to_retrieve",
        ),
        (
            search,
            json_ct,
            "{\"matchingStrategy\": \"most\"}",
            StatusCode::BAD_REQUEST,
            "invalid_search_matching_strategy",
        ),
        (
            search,
            json_ct,
            "{\"showMatchesPosition\": \"yes\"}",
            StatusCode::BAD_REQUEST,
            "invalid_search_show_matches_position",
        ),
        (
            search,
            json_ct,
            "{\"distinct\": \"source\"}",
            StatusCode::BAD_REQUEST,
            "invalid_search_distinct",
        ),
        (
            "/multi-search",
            json_ct,
            "{}",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/multi-search",
            json_ct,
            "{\"queries\": [], \"federation\": {}}",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/multi-search",
            json_ct,
            "{\"queries\": [{\"q\": \"x\"}]}",
            StatusCode::BAD_REQUEST,
            "missing_index_uid",
        ),
    ];
    for (uri, ct, body, status, code) in cases {
        let r = raw(&app, uri, ct, body).await;
        assert_error(&r, status, code);
    }
    let r = post(
        &app,
        "/indexes/paragraphs/search",
        &json!({"filter": "title = x"}),
    )
    .await;
    assert_eq!(
        r.body["message"],
        "Attribute `title` is not filterable. Available filterable attributes are: `doc_id, kind, position, source, theme, themes, year`.\n1:6 title = x"
    );
}

/// A failing query fails the whole multi-search, with the query's code and its index in the
/// message.
#[tokio::test]
async fn multi_search_fails_as_a_whole() {
    let app = app();
    let r = post(
        &app,
        "/multi-search",
        &json!({"queries": [
            {"indexUid": "paragraphs", "q": "flood"},
            {"indexUid": "papers", "q": "flood"},
        ]}),
    )
    .await;
    assert_error(&r, StatusCode::NOT_FOUND, "index_not_found");
    assert_eq!(
        r.body["message"],
        "Inside `.queries[1]`: Index `papers` not found."
    );
    let r = post(
        &app,
        "/multi-search",
        &json!({"queries": [
            {"indexUid": "paragraphs"},
            {"indexUid": "paragraphs"},
            {"indexUid": "paragraphs", "filter": ["year > 1800", ["theme = a", "kind ="]]},
        ]}),
    )
    .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_search_filter");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .starts_with("Inside `.queries[2]`: Was expecting a value"),
        "{}",
        r.body
    );
    let r = post(&app, "/multi-search", &json!({"queries": []})).await;
    assert_eq!(
        (r.status, r.body.clone()),
        (StatusCode::OK, json!({"results": []}))
    );
}

#[tokio::test]
async fn not_ready_is_503_in_meilisearch_shape() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_index(dir.path());
    let r = post(&app, "/indexes/paragraphs/search", &json!({"q": "flood"})).await;
    assert_error(&r, StatusCode::SERVICE_UNAVAILABLE, "index_not_ready");
    let r = post(
        &app,
        "/multi-search",
        &json!({"queries": [{"indexUid": "paragraphs"}]}),
    )
    .await;
    assert_error(&r, StatusCode::SERVICE_UNAVAILABLE, "index_not_ready");
    let r = get(&app, "/indexes/paragraphs").await;
    assert_error(&r, StatusCode::SERVICE_UNAVAILABLE, "index_not_ready");
    // Request mistakes are still reported as such.
    let r = post(&app, "/indexes/papers/search", &json!({})).await;
    assert_error(&r, StatusCode::NOT_FOUND, "index_not_found");
}

#[tokio::test]
async fn cors_preflight() {
    let app = app();
    for uri in [
        "/multi-search",
        "/indexes/paragraphs/search",
        "/indexes/paragraphs/facet-search",
    ] {
        let req = Request::builder()
            .method(Method::OPTIONS)
            .uri(uri)
            .header(header::ORIGIN, "https://site.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization,content-type,x-meilisearch-client",
            )
            .body(Body::empty())
            .unwrap();
        let r = send(&app, req).await;
        assert!(r.status.is_success(), "{uri}: {}", r.status);
        assert_eq!(r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        let methods = r.headers[header::ACCESS_CONTROL_ALLOW_METHODS]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            methods.contains("post") && methods.contains("get"),
            "{methods}"
        );
        let allowed = r.headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        for h in ["authorization", "content-type", "x-meilisearch-client"] {
            assert!(allowed.contains(h), "{h} not in {allowed}");
        }
    }
    let req = Request::post("/multi-search")
        .header(header::ORIGIN, "https://site.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"queries": [{"indexUid": "paragraphs"}]}).to_string(),
        ))
        .unwrap();
    let r = send(&app, req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
}

#[tokio::test]
async fn openapi_lists_the_routes() {
    let app = app();
    let r = get(&app, "/openapi.json").await;
    let paths = r.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/multi-search", "post"),
        ("/indexes/{uid}/search", "post"),
        ("/indexes/{uid}/search", "get"),
        ("/indexes/{uid}/facet-search", "post"),
        ("/indexes/{uid}", "get"),
        ("/version", "get"),
    ] {
        let op = &paths[path][method];
        assert_eq!(op["tags"], json!(["meilisearch"]), "{method} {path}");
    }
    let tags = r.body["tags"].as_array().unwrap();
    assert!(tags.iter().any(|t| t["name"] == "meilisearch"));
    let schemas = r.body["components"]["schemas"].as_object().unwrap();
    for schema in [
        "SearchQuery",
        "SearchResult",
        "MultiSearchBody",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(schema), "{schema} missing");
    }
}

#[tokio::test]
async fn errors_made_by_middleware_keep_the_meilisearch_shape() {
    let app = folio_server::router(state_with(ServerConfig {
        body_limit_bytes: 2048,
        ..Default::default()
    }));
    let big = format!("{{\"q\": \"{}\"}}", "x".repeat(4096));
    let req = Request::post("/indexes/paragraphs/search")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, big.len())
        .body(Body::from(big))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = serde_json::from_slice(
        &axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(body["code"], "payload_too_large");
    assert!(
        body["message"].as_str().unwrap().contains("2048 bytes"),
        "{body}"
    );
    assert_eq!(body["type"], "invalid_request");
    let res = app
        .clone()
        .oneshot(
            Request::delete("/multi-search")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = serde_json::from_slice(
        &axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(body["code"], "method_not_allowed");
    let res = app
        .oneshot(
            Request::get("/indexes/paragraphs/documents/x")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: Value = serde_json::from_slice(
        &axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (body["code"].as_str(), body["type"].as_str()),
        (Some("not_found"), Some("invalid_request"))
    );
    assert!(body["link"].is_string());
}
