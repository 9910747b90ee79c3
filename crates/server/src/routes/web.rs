//! The research website: the search page, the reader, and the embeddable widget.
//!
//! Every file is compiled into the binary (no build step, no CDN): the pages work offline and a
//! deployment is one file. The HTML pages are served with a strict Content-Security-Policy (no
//! inline script or style); `/embed.js` is the widget for other sites, built once from the same
//! search component and stylesheet the page uses.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

/// The policy of the HTML pages: only folio's own scripts, styles and API; no inline code.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     manifest-src 'self'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// Pages are revalidated on every visit, so a new binary's pages show at once.
const CACHE_PAGE: &str = "no-cache";
/// Assets and the widget may be reused for an hour, then revalidated with their ETag.
const CACHE_ASSET: &str = "public, max-age=3600, must-revalidate";

/// One embedded file.
struct Asset {
    body: &'static [u8],
    content_type: &'static str,
    cache: &'static str,
    etag: HeaderValue,
    page: bool,
}

impl Asset {
    fn new(body: &'static [u8], content_type: &'static str, cache: &'static str) -> Asset {
        let mut hasher = DefaultHasher::new();
        body.hash(&mut hasher);
        content_type.hash(&mut hasher);
        // Weak: the compression layer may send the same file in several encodings.
        let etag = HeaderValue::from_str(&format!("W/\"{:016x}\"", hasher.finish()))
            .expect("an ETag is ASCII");
        Asset {
            body,
            content_type,
            cache,
            etag,
            page: content_type == HTML,
        }
    }

    /// The file, or 304 when the client's copy is current.
    fn respond(&self, request: &HeaderMap) -> Response {
        let fresh = request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| {
                let ours = self
                    .etag
                    .to_str()
                    .unwrap_or_default()
                    .trim_start_matches("W/");
                tags.split(',')
                    .map(|t| t.trim().trim_start_matches("W/"))
                    .any(|t| t == "*" || t == ours)
            });
        let mut response = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            self.body.into_response()
        };
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(self.cache));
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if self.page {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            );
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
            headers.insert(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("SAMEORIGIN"),
            );
        } else {
            // Scripts and styles may be loaded by pages of other origins (the widget).
            headers.insert(
                HeaderName::from_static("cross-origin-resource-policy"),
                HeaderValue::from_static("cross-origin"),
            );
        }
        response
    }
}

macro_rules! asset {
    ($file:literal, $type:expr) => {
        (
            $file,
            include_bytes!(concat!("../../assets/", $file)).as_slice(),
            $type,
        )
    };
}

/// The files under `/assets/`.
const ASSET_FILES: &[(&str, &[u8], &str)] = &[
    asset!("core.js", JS),
    asset!("search.js", JS),
    asset!("reader.js", JS),
    asset!("folio.css", CSS),
    asset!("site.css", CSS),
    asset!("favicon.svg", SVG),
];

static ASSETS: LazyLock<Vec<(&'static str, Asset)>> = LazyLock::new(|| {
    ASSET_FILES
        .iter()
        .map(|(name, body, content_type)| (*name, Asset::new(body, content_type, CACHE_ASSET)))
        .collect()
});

static SEARCH_PAGE: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(include_bytes!("../../assets/index.html"), HTML, CACHE_PAGE));

static READER_PAGE: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(include_bytes!("../../assets/read.html"), HTML, CACHE_PAGE));

/// The widget: the search component and its stylesheet in one classic script, wrapped in a
/// function so that nothing leaks into the host page's globals.
static EMBED: LazyLock<Asset> = LazyLock::new(|| {
    let css = include_str!("../../assets/folio.css");
    let script = format!(
        "/* folio search widget: https://github.com/folio-search/folio */\n\
         (function () {{\n\"use strict\";\nvar FOLIO_CSS = {css};\n{core}\n{boot}\n}})();\n",
        css = serde_json::to_string(css).expect("a string serializes"),
        core = include_str!("../../assets/core.js"),
        boot = include_str!("../../assets/embed.js"),
    );
    Asset::new(
        Box::leak(script.into_bytes().into_boxed_slice()),
        JS,
        CACHE_ASSET,
    )
});

/// Routes of the website.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_page))
        .routes(routes!(reader_page))
        .routes(routes!(embed_js))
        .routes(routes!(asset))
}

/// The search page (HTML; state in the query string, the same parameters as the reader's).
#[utoipa::path(get, path = "/", tag = "website",
    params(
        ("q" = Option<String>, Query, description = "The query"),
        ("source" = Option<Vec<String>>, Query, description = "Ticked sources (repeatable)"),
        ("theme" = Option<Vec<String>>, Query, description = "Ticked themes (repeatable)"),
        ("year" = Option<String>, Query, description = "A year or range: 2021, 2015..2020, 2015.., ..2020"),
        ("page" = Option<u32>, Query, description = "Page of results, from 1"),
        ("sort" = Option<String>, Query, description = "relevance (default), year or -year"),
    ),
    responses((status = 200, description = "The search page", content_type = "text/html")))]
pub async fn search_page(headers: HeaderMap) -> Response {
    SEARCH_PAGE.respond(&headers)
}

/// The reader: one document with the query's terms marked and the fragment's paragraph in view.
#[utoipa::path(get, path = "/read/{doc_id}", tag = "website",
    params(
        ("doc_id" = String, Path, description = "A document id"),
        ("q" = Option<String>, Query, description = "Terms to mark; the other search parameters are kept for the way back"),
    ),
    responses((status = 200, description = "The reader page (it shows an error itself when the document does not exist)", content_type = "text/html")))]
pub async fn reader_page(Path(_doc_id): Path<String>, headers: HeaderMap) -> Response {
    READER_PAGE.respond(&headers)
}

/// The embeddable search widget: `<script src="…/embed.js" data-target="#search"></script>`.
#[utoipa::path(get, path = "/embed.js", tag = "website",
    responses((status = 200, description = "The widget script", content_type = "text/javascript")))]
pub async fn embed_js(headers: HeaderMap) -> Response {
    EMBED.respond(&headers)
}

/// A script, stylesheet or image of the website.
#[utoipa::path(get, path = "/assets/{file}", tag = "website",
    params(("file" = String, Path, description = "A file name, such as site.css")),
    responses(
        (status = 200, description = "The file"),
        (status = 304, description = "The client's copy is current"),
        (status = 404, description = "No such file")))]
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    ASSETS
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, asset)| asset.respond(&headers))
        .ok_or_else(|| ApiError::NotFound(format!("/assets/{file}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_listed_once() {
        let mut names: Vec<&str> = ASSET_FILES.iter().map(|(n, _, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ASSET_FILES.len());
    }

    #[test]
    fn pages_reference_only_listed_assets() {
        for page in [
            include_str!("../../assets/index.html"),
            include_str!("../../assets/read.html"),
        ] {
            assert!(!page.contains("<style"), "no inline style elements");
            assert!(!page.contains(" style="), "no inline style attributes");
            for part in page.split(" on").skip(1) {
                let attribute: String =
                    part.chars().take_while(char::is_ascii_alphabetic).collect();
                assert!(
                    !part[attribute.len()..].starts_with('='),
                    "no inline event handlers: on{attribute}"
                );
            }
            for part in page.split("assets/").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                    .collect();
                assert!(
                    ASSET_FILES.iter().any(|(n, _, _)| *n == name),
                    "{name} is referenced but not served"
                );
            }
        }
    }

    #[test]
    fn the_widget_wraps_the_component() {
        let body = std::str::from_utf8(EMBED.body).unwrap();
        assert!(body.starts_with("/* folio search widget"));
        assert!(body.contains("var FOLIO_CSS = \""));
        assert!(body.contains("FolioCore"));
        assert!(body.trim_end().ends_with("})();"));
    }

    #[test]
    fn etags_answer_304() {
        let mut headers = HeaderMap::new();
        let fresh = SEARCH_PAGE.respond(&headers);
        assert_eq!(fresh.status(), StatusCode::OK);
        assert_eq!(
            fresh.headers()[header::CONTENT_SECURITY_POLICY],
            CONTENT_SECURITY_POLICY
        );
        headers.insert(header::IF_NONE_MATCH, SEARCH_PAGE.etag.clone());
        assert_eq!(
            SEARCH_PAGE.respond(&headers).status(),
            StatusCode::NOT_MODIFIED
        );
    }
}
