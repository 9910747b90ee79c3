"""folio's Meilisearch-compatible API, driven by the official Python client.

Runs against a real `folio serve` whose base URL is in FOLIO_URL (for example
http://127.0.0.1:7700) and which serves the bundled corpus. Checks are written to hold for any
corpus: they compare answers with each other rather than with fixed numbers.

    pip install -r e2e/requirements.txt
    FOLIO_URL=http://127.0.0.1:7700 python3 e2e/meili_client_test.py

Plain asserts: exits non-zero on the first failure.
"""

import html
import math
import os
import re
import sys

import meilisearch
from meilisearch.errors import MeilisearchApiError

URL = os.environ.get("FOLIO_URL")
MARK = re.compile(r"<mark>(.*?)</mark>")


def plain(formatted: str) -> str:
    """The text of a formatted value: tags removed, entities decoded."""
    return html.unescape(formatted.replace("<mark>", "").replace("</mark>", ""))


def api_error(call) -> MeilisearchApiError:
    try:
        call()
    except MeilisearchApiError as e:
        return e
    raise AssertionError("expected a MeilisearchApiError")


def test_filtered_search_with_facets_and_highlights(index):
    themes = {"foreign-trade", "self-reliance"}
    result = index.search(
        "trade",
        {
            "filter": [["theme = foreign-trade", "theme = self-reliance"], "year >= 2015"],
            "facets": ["source", "theme", "year"],
            "attributesToHighlight": ["text"],
            "highlightPreTag": "<mark>",
            "highlightPostTag": "</mark>",
            "limit": 5,
        },
    )
    total = result["estimatedTotalHits"]
    hits = result["hits"]
    assert result["query"] == "trade"
    assert isinstance(result["processingTimeMs"], int)
    assert result["limit"] == 5 and result["offset"] == 0
    assert 0 < len(hits) <= 5 and total >= len(hits), result
    for hit in hits:
        assert themes & set(hit["themes"]), hit
        assert hit["theme"] == hit["themes"]
        assert hit["year"] >= 2015, hit
        formatted = hit["_formatted"]["text"]
        marked = MARK.findall(formatted)
        assert marked, formatted
        assert all("trad" in m.lower() for m in marked), marked
        # Values are HTML-escaped before the tags go in: removing the tags and decoding the
        # entities gives the text back.
        assert plain(formatted) == hit["text"], (formatted, hit["text"])
        assert "<" not in MARK.sub("", formatted), formatted
        # Attributes not asked for are left as they are.
        assert hit["_formatted"]["year"] == hit["year"]

    facets = result["facetDistribution"]
    assert set(facets) == {"source", "theme", "year"}, facets
    # Every paragraph has one source and one year: those counts add up to the total.
    assert sum(facets["source"].values()) == total, (facets["source"], total)
    assert sum(facets["year"].values()) == total, (facets["year"], total)
    assert all(int(y) >= 2015 for y in facets["year"]), facets["year"]
    assert set(facets["theme"]) & themes
    assert all(0 < n <= total for n in facets["theme"].values())
    stats = result["facetStats"]["year"]
    assert stats["min"] == min(map(int, facets["year"])) and stats["max"] == max(map(int, facets["year"]))

    # Counts agree with the searches they describe.
    source, count = max(facets["source"].items(), key=lambda kv: kv[1])
    narrowed = index.search(
        "trade",
        {
            "filter": [
                ["theme = foreign-trade", "theme = self-reliance"],
                "year >= 2015",
                f'source = "{source}"',
            ],
            "limit": 0,
        },
    )
    assert narrowed["estimatedTotalHits"] == count, (source, count, narrowed)


def test_page_mode(index):
    everything = index.search("trade", {"limit": 0})["estimatedTotalHits"]
    assert everything > 3
    first = index.search("trade", {"hitsPerPage": 3, "page": 1})
    second = index.search("trade", {"hitsPerPage": 3, "page": 2})
    for page, result in ((1, first), (2, second)):
        assert result["page"] == page and result["hitsPerPage"] == 3, result
        assert result["totalHits"] == everything
        assert result["totalPages"] == math.ceil(everything / 3)
        assert "estimatedTotalHits" not in result and "offset" not in result
    ids = lambda r: [h["id"] for h in r["hits"]]
    assert len(ids(first)) == 3 and ids(second)
    assert not set(ids(first)) & set(ids(second))
    # The same hits as limit/offset paging.
    assert ids(second) == ids(index.search("trade", {"limit": 3, "offset": 3}))


def test_multi_search(client):
    response = client.multi_search(
        [
            {"indexUid": "paragraphs", "q": "trade", "facets": ["source"], "limit": 2},
            {"indexUid": "paragraphs", "q": "trade", "filter": "kind = quote", "facets": ["kind"], "limit": 1},
        ]
    )
    results = response["results"]
    assert len(results) == 2
    assert all(r["indexUid"] == "paragraphs" for r in results)
    assert len(results[0]["hits"]) <= 2
    quotes = results[1]["facetDistribution"]["kind"]
    assert set(quotes) <= {"quote"} and quotes.get("quote", 0) == results[1]["estimatedTotalHits"]
    error = api_error(
        lambda: client.multi_search([{"indexUid": "paragraphs"}, {"indexUid": "papers"}])
    )
    assert error.code == "index_not_found" and error.status_code == 404
    assert error.message.startswith("Inside `.queries[1]`:"), error.message


def test_sort_and_crop(index):
    result = index.search("", {"sort": ["year:desc"], "limit": 50, "attributesToRetrieve": ["year"]})
    years = [h["year"] for h in result["hits"]]
    assert years == sorted(years, reverse=True), years
    cropped = index.search("trade", {"attributesToCrop": ["text:8"], "cropMarker": "…", "limit": 5})
    for hit in cropped["hits"]:
        text = hit["_formatted"]["text"]
        assert len(text.replace("…", " ").split()) <= 8, text
        assert "<em>" not in text  # cropped, not highlighted


def test_errors_and_other_routes(client, index):
    error = api_error(lambda: client.index("papers").search("trade"))
    assert (error.status_code, error.code, error.type) == (404, "index_not_found", "invalid_request")
    error = api_error(lambda: index.search("trade", {"filter": "title = x"}))
    assert error.code == "invalid_search_filter" and "`title` is not filterable" in error.message
    error = api_error(lambda: index.search("trade", {"sort": ["title:asc"]}))
    assert error.code == "invalid_search_sort"
    error = api_error(lambda: index.search("trade", {"facets": ["title"]}))
    assert error.code == "invalid_search_facets"
    assert client.health() == {"status": "available"}
    assert client.get_version()["pkgVersion"]
    info = client.get_index("paragraphs")
    assert info.primary_key == "id" and info.created_at is not None
    sources = index.facet_search("source")["facetHits"]
    assert sources and all(isinstance(s["count"], int) for s in sources)
    first = sources[0]["value"]
    narrowed = index.facet_search("source", first[:3].lower())["facetHits"]
    assert first in [s["value"] for s in narrowed], narrowed


def main() -> int:
    if not URL:
        print("set FOLIO_URL to the base URL of a running `folio serve`", file=sys.stderr)
        return 2
    client = meilisearch.Client(URL)
    index = client.index("paragraphs")
    tests = [
        lambda: test_filtered_search_with_facets_and_highlights(index),
        lambda: test_page_mode(index),
        lambda: test_multi_search(client),
        lambda: test_sort_and_crop(index),
        lambda: test_errors_and_other_routes(client, index),
    ]
    for test in tests:
        test()
    print(f"{meilisearch.version.qualified_version()}: {len(tests)} checks passed against {URL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
