//! folio's own API through the real router and middleware, on a real index built on disk.

mod common;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use folio_search::IndexHandle;
use folio_server::{AppState, ServerConfig};
use folio_testkit::Fixture;
use serde_json::{Value, json};
use tower::ServiceExt;

use common::{Response, get, post, send};

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(folio_testkit::small)
}

fn app_with(config: ServerConfig) -> Router {
    let f = fixture();
    let handle = Arc::new(IndexHandle::new(f.store.clone(), f.options.clone()));
    handle.reload().unwrap();
    folio_server::router(AppState::new(handle, config))
}

fn app() -> Router {
    app_with(ServerConfig::default())
}

fn ids(body: &Value) -> Vec<&str> {
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect()
}

fn facet(body: &Value, name: &str) -> Vec<(String, u64)> {
    body["facets"][name]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["value"].to_string().trim_matches('"').to_string(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn error(r: &Response) -> (StatusCode, &str) {
    (
        r.status,
        r.body["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", r.text)),
    )
}

#[tokio::test]
async fn search_by_query_string() {
    let app = app();
    let r = get(&app, "/search?q=markets&source=Alpha%20Institute&source=Beta%20Review&year=2015..2020&sort=-year").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        ids(&r.body),
        vec![
            "beta-2020-p1",
            "alpha-2018-p2",
            "alpha-2015-p3",
            "alpha-2015-p1"
        ]
    );
    assert_eq!(r.body["total"], 4);
    assert_eq!(r.body["query"], "markets");
    assert!(r.body["took_ms"].as_f64().is_some());
    assert_eq!(
        facet(&r.body, "source"),
        vec![("Alpha Institute".into(), 3), ("Beta Review".into(), 1)]
    );
    let hit = &r.body["hits"][0];
    for field in [
        "id",
        "doc_id",
        "position",
        "section",
        "kind",
        "title",
        "source",
        "year",
        "date",
        "authors",
        "url",
        "themes",
        "score",
        "text",
        "highlight",
        "matches",
    ] {
        assert!(hit.get(field).is_some(), "hit has {field}");
    }
    assert_eq!(hit["source"], "Beta Review");
    assert_eq!(hit["authors"], json!(["Cy Park"]));
    assert_eq!(hit["themes"], json!(["energy", "markets"]));
    assert_eq!(
        hit["highlight"]["text"],
        "The border closure stopped almost all trade, and oil prices rose in the <mark>markets</mark>."
    );
}

#[tokio::test]
async fn post_search_takes_the_same_fields_as_json() {
    let app = app();
    let by_get = get(
        &app,
        "/search?q=markets&theme=markets&theme=energy&year=2015..2018&limit=2&offset=1",
    )
    .await;
    let by_post = post(
        &app,
        "/search",
        r#"{"q": "markets", "filters": {"theme": ["markets", "energy"], "year": {"from": 2015, "to": 2018}}, "limit": 2, "offset": 1}"#,
    )
    .await;
    assert_eq!(by_post.status, StatusCode::OK);
    assert_eq!(ids(&by_get.body), ids(&by_post.body));
    assert_eq!(by_get.body["facets"], by_post.body["facets"]);
    assert_eq!(by_get.body["total"], 3);
}

#[tokio::test]
async fn year_forms_and_grouping_and_facet_choice() {
    let app = app();
    for (year, total) in [("2018", 4), ("2015..2018", 7), ("2020..", 5), ("..2015", 3)] {
        let r = get(&app, &format!("/search?year={year}")).await;
        assert_eq!(r.body["total"], total, "{year}");
    }
    let r = get(&app, "/search?q=markets&group=doc").await;
    assert_eq!(
        (
            r.body["total"].as_u64(),
            r.body["total_paragraphs"].as_u64(),
            r.body["total_documents"].as_u64()
        ),
        (Some(3), Some(4), Some(3))
    );
    assert_eq!(r.body["facets_count"], "paragraphs");
    let r = get(&app, "/search?facets=").await;
    assert_eq!(r.body["facets"], json!({}));
    let r = get(&app, "/search?facets=year,source").await;
    assert!(r.body["facets"].get("theme").is_none());
    assert_eq!(
        r.body["facet_stats"]["year"],
        json!({"min": 2015, "max": 2021})
    );
}

#[tokio::test]
async fn disjunctive_facets_over_http() {
    let r = get(&app(), "/search?source=Beta%20Review&theme=sanctions").await;
    assert_eq!(ids(&r.body), vec!["beta-2018-p1"]);
    assert_eq!(
        facet(&r.body, "source"),
        vec![("Alpha Institute".into(), 1), ("Beta Review".into(), 1)]
    );
    assert_eq!(r.body["facets"]["source"][1]["selected"], true);
    assert_eq!(
        facet(&r.body, "theme"),
        vec![
            ("energy".into(), 1),
            ("markets".into(), 1),
            ("sanctions".into(), 1)
        ]
    );
}

#[tokio::test]
async fn highlights_are_escaped_and_offsets_are_utf16() {
    let app = app();
    let r = get(&app, "/search?q=bold").await;
    assert_eq!(
        r.body["hits"][0]["highlight"]["text"],
        "One manager said that trade with China was &lt;b&gt;<mark>bold</mark>&lt;/b&gt; &amp; risky, but necessary."
    );
    let r = get(
        &app,
        "/search?q=%22smaller%20markets%22&highlight_pre=%3Cem%3E&highlight_post=%3C/em%3E",
    )
    .await;
    assert_eq!(
        r.body["hits"][0]["highlight"]["text"],
        "Traders moved their business into <em>smaller markets</em> near the northern border."
    );
    assert_eq!(r.body["hits"][0]["matches"]["text"], json!([[34, 49]]));
    let r = get(&app, "/search?q=%EB%AF%BC%EC%A1%B1%EA%B2%BD%EC%A0%9C").await; // 민족경제
    let hit = &r.body["hits"][0];
    let text: Vec<u16> = hit["text"].as_str().unwrap().encode_utf16().collect();
    let [s, e] = [
        hit["matches"]["text"][0][0].as_u64().unwrap() as usize,
        hit["matches"]["text"][0][1].as_u64().unwrap() as usize,
    ];
    assert_eq!(String::from_utf16(&text[s..e]).unwrap(), "민족경제");
}

#[tokio::test]
async fn documents_paragraphs_and_facets() {
    let app = app();
    let r = get(&app, "/documents/alpha-2018").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["title"], "Sanctions and coal");
    assert_eq!(r.body["paragraphs"].as_array().unwrap().len(), 2);
    let r = get(&app, "/paragraphs/alpha-2015-p2?context=1").await;
    assert_eq!(r.body["paragraph"]["id"], "alpha-2015-p2");
    assert_eq!(r.body["before"][0]["id"], "alpha-2015-p1");
    assert_eq!(r.body["after"][0]["id"], "alpha-2015-p3");
    assert_eq!(r.body["document"]["source"], "Alpha Institute");
    let r = get(&app, "/facets").await;
    assert_eq!(
        (r.body["documents"].as_u64(), r.body["paragraphs"].as_u64()),
        (Some(5), Some(12))
    );
    assert_eq!(facet(&r.body, "source")[0], ("Alpha Institute".into(), 5));
    assert_eq!(
        r.body["themes"][0],
        json!({"id": "markets", "label": "Markets", "description": "Markets and traders."})
    );
}

#[tokio::test]
async fn every_error_has_a_status_and_a_code() {
    let app = app_with(ServerConfig {
        body_limit_bytes: 2048,
        ..ServerConfig::default()
    });
    let cases: Vec<(&str, StatusCode, &str)> = vec![
        (
            "/search?limit=abc",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/search?limit=1000",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/search?offset=99999",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/search?match=some",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/search?group=year",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/search?colour=red",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/search?theme=weather",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/search?kind=poem",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/search?snippet_chars=-1",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/paragraphs/alpha-2015-p1?context=500",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/search?facets=colour",
            StatusCode::BAD_REQUEST,
            "unknown_facet",
        ),
        (
            "/search?year=2020..2015",
            StatusCode::BAD_REQUEST,
            "invalid_year_range",
        ),
        (
            "/search?year=last",
            StatusCode::BAD_REQUEST,
            "invalid_year_range",
        ),
        ("/search?sort=size", StatusCode::BAD_REQUEST, "invalid_sort"),
        (
            "/documents/nope",
            StatusCode::NOT_FOUND,
            "document_not_found",
        ),
        (
            "/paragraphs/nope",
            StatusCode::NOT_FOUND,
            "paragraph_not_found",
        ),
        (
            "/paragraphs/alpha-2015-p99",
            StatusCode::NOT_FOUND,
            "paragraph_not_found",
        ),
        ("/no/such/thing", StatusCode::NOT_FOUND, "not_found"),
    ];
    for (uri, status, code) in cases {
        let r = get(&app, uri).await;
        assert_eq!(error(&r), (status, code), "{uri}");
        assert!(!r.body["error"]["message"].as_str().unwrap().is_empty());
    }
    let r = get(&app, "/search?limit=1000").await;
    assert_eq!(
        r.body["error"]["message"],
        "invalid `limit`: 1000 is more than the maximum of 100"
    );
    let r = get(&app, "/search?colour=red").await;
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `colour`"),
        "{}",
        r.text
    );

    // Bodies.
    let r = post(&app, "/search", "{\"q\": ").await;
    assert_eq!(error(&r), (StatusCode::BAD_REQUEST, "invalid_json"));
    let r = post(&app, "/search", r#"{"qq": "x"}"#).await;
    assert_eq!(error(&r), (StatusCode::BAD_REQUEST, "invalid_json"));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("qq"));
    let r = post(&app, "/search", r#"{"filters": {"year": "soon"}}"#).await;
    assert_eq!(error(&r), (StatusCode::BAD_REQUEST, "invalid_json"));
    let r = send(
        &app,
        Request::post("/search").body(Body::from("{}")).unwrap(),
    )
    .await;
    assert_eq!(
        error(&r),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let big = format!("{{\"q\": \"{}\"}}", "x".repeat(4096));
    let r = post(&app, "/search", &big).await;
    assert_eq!(
        error(&r),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let r = send(
        &app,
        Request::delete("/search").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(
        error(&r),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
}

#[tokio::test]
async fn before_the_index_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let handle = Arc::new(IndexHandle::new(
        folio_search::IndexStore::new(dir.path()),
        Default::default(),
    ));
    let state = AppState::new(handle, ServerConfig::default());
    let app = folio_server::router(state.clone());
    let r = get(&app, "/ready").await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("not_ready"))
    );
    let r = get(&app, "/search?q=x").await;
    assert_eq!(
        error(&r),
        (StatusCode::SERVICE_UNAVAILABLE, "index_not_ready")
    );
    assert_eq!(get(&app, "/health").await.status, StatusCode::OK);
    state.set_build_error("corpus folder x holds no documents".into());
    let r = get(&app, "/ready").await;
    assert!(
        r.body["reason"]
            .as_str()
            .unwrap()
            .contains("holds no documents")
    );
}

#[tokio::test]
async fn operations_endpoints() {
    let app = app();
    let r = get(&app, "/health").await;
    assert_eq!(
        (r.status, r.body.clone()),
        (StatusCode::OK, json!({"status": "available"}))
    );
    let r = get(&app, "/ready").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (r.body["documents"].as_u64(), r.body["paragraphs"].as_u64()),
        (Some(5), Some(12))
    );
    get(&app, "/search?q=markets").await;
    get(&app, "/search?limit=abc").await;
    let r = get(&app, "/metrics").await;
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    for needle in [
        "folio_http_requests_total{route=\"/search\",method=\"GET\",status=\"200\"} 1",
        "folio_http_requests_total{route=\"/search\",method=\"GET\",status=\"400\"} 1",
        "folio_http_request_duration_seconds_count{route=\"/search\",method=\"GET\",status=\"200\"} 1",
        "folio_searches_total 1",
        "folio_index_paragraphs 12",
        "folio_index_documents 5",
        "folio_ready 1",
    ] {
        assert!(
            r.text.contains(needle),
            "metrics lack {needle}:\n{}",
            r.text
        );
    }
    let bitmap_bytes = r
        .text
        .lines()
        .find_map(|l| l.strip_prefix("folio_index_bitmap_bytes "))
        .and_then(|n| n.parse::<u64>().ok());
    assert!(
        bitmap_bytes.is_some_and(|n| n > 0),
        "metrics lack the bitmaps' memory:\n{}",
        r.text
    );
}

#[tokio::test]
async fn openapi_describes_every_endpoint() {
    let app = app();
    let r = get(&app, "/openapi.json").await;
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = r.body["paths"].as_object().unwrap();
    for path in [
        "/search",
        "/documents/{doc_id}",
        "/paragraphs/{id}",
        "/facets",
        "/health",
        "/ready",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert!(paths["/search"].get("get").is_some() && paths["/search"].get("post").is_some());
    // Every documented GET path without parameters answers (no path is documented but unrouted).
    for (path, item) in paths {
        if item.get("get").is_some() && !path.contains('{') {
            assert_ne!(
                get(&app, path).await.status,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
    }
    let params: Vec<&str> = paths["/search"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "q",
        "source",
        "theme",
        "year",
        "doc",
        "kind",
        "limit",
        "offset",
        "sort",
        "facets",
        "match",
        "group",
        "highlight_pre",
        "highlight_post",
        "snippet_chars",
    ] {
        assert!(params.contains(&p), "{p} undocumented");
        let r = get(&app, &format!("/search?{p}=")).await;
        assert_ne!(
            r.status,
            StatusCode::BAD_REQUEST,
            "documented parameter {p} is rejected: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn cors_compression_and_request_ids() {
    let app = app();
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/search")
        .header(header::ORIGIN, "https://research.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(Body::empty())
        .unwrap();
    let r = send(&app, preflight).await;
    assert!(r.status.is_success());
    assert_eq!(r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let restricted = app_with(ServerConfig {
        cors_origins: vec!["https://ok.example".into()],
        ..ServerConfig::default()
    });
    let r = send(
        &restricted,
        Request::get("/search")
            .header(header::ORIGIN, "https://evil.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(!r.headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    let r = send(
        &restricted,
        Request::get("/search")
            .header(header::ORIGIN, "https://ok.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://ok.example"
    );

    let res = app
        .clone()
        .oneshot(
            Request::get("/search?limit=100")
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    let r = get(&app, "/health").await;
    assert!(r.headers.contains_key("x-request-id"));
    let r = send(
        &app,
        Request::get("/health")
            .header("x-request-id", "abc-123")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.headers["x-request-id"], "abc-123");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_searches_all_succeed() {
    let app = app_with(ServerConfig {
        concurrency_limit: 4,
        ..ServerConfig::default()
    });
    let mut tasks = Vec::new();
    for i in 0..40 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let q = ["markets", "coal", "", "trading", "DPRK"][i % 5];
            app.oneshot(
                Request::get(format!("/search?q={q}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap()
            .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_beyond_the_workers_wait_their_turn() {
    let f = fixture();
    let handle = Arc::new(IndexHandle::new(f.store.clone(), f.options.clone()));
    handle.reload().unwrap();
    let state = AppState::new(
        handle,
        ServerConfig {
            search_workers: 1,
            ..ServerConfig::default()
        },
    );
    assert_eq!(state.free_search_permits(), 1);
    // While one search holds the only permit, the next waits for it.
    let running = state.clone();
    let (started, release) = (
        Arc::new(tokio::sync::Notify::new()),
        Arc::new(std::sync::Barrier::new(2)),
    );
    let (s, r) = (started.clone(), release.clone());
    let first = tokio::spawn(async move {
        running
            .with_engine(move |_| {
                s.notify_one();
                r.wait();
                Ok(())
            })
            .await
    });
    started.notified().await;
    assert_eq!(state.free_search_permits(), 0);
    let app = folio_server::router(state.clone());
    let second = tokio::spawn(async move { get(&app, "/search?q=markets").await.status });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!second.is_finished(), "a search ran without a permit");
    tokio::task::spawn_blocking(move || release.wait())
        .await
        .unwrap();
    first.await.unwrap().unwrap();
    assert_eq!(second.await.unwrap(), StatusCode::OK);
    // Every permit is given back.
    assert_eq!(state.free_search_permits(), 1);
    assert!(
        ServerConfig::default().search_permits() >= 4,
        "0 means four per core"
    );
    // An absurd number is refused with the key's name, not a panic at start.
    let absurd = ServerConfig {
        search_workers: 1 << 62,
        ..ServerConfig::default()
    };
    assert!(
        absurd
            .validate()
            .unwrap_err()
            .contains("server.search_workers")
    );
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_answered_with_408() {
    use futures_util::StreamExt;
    let app = app_with(ServerConfig {
        request_timeout_secs: 1,
        ..ServerConfig::default()
    });
    // A body that starts but never ends.
    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(
        axum::body::Bytes::from_static(b"{\"q\": "),
    )])
    .chain(futures_util::stream::pending());
    let req = Request::post("/search")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(chunks))
        .unwrap();
    let started = std::time::Instant::now();
    let r = send(&app, req).await;
    assert_eq!(error(&r), (StatusCode::REQUEST_TIMEOUT, "request_timeout"));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
