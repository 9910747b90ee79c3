//! The search engine on real indexes built on disk: analysis rules through real queries, the query
//! language, filters, disjunctive facets, sorting, paging, grouping and highlighting.

use std::sync::OnceLock;

use folio_search::*;
use folio_testkit::Fixture;

/// The small fixture corpus (`testdata/small`), indexed once for all tests.
fn small() -> &'static Engine {
    static ENGINE: OnceLock<(Fixture, Engine)> = OnceLock::new();
    &ENGINE
        .get_or_init(|| {
            let f = folio_testkit::small();
            let e = f.engine();
            (f, e)
        })
        .1
}

/// The bundled corpus with the shipped themes and synonyms.
fn bundled() -> &'static Engine {
    static ENGINE: OnceLock<(Fixture, Engine)> = OnceLock::new();
    &ENGINE
        .get_or_init(|| {
            let f = folio_testkit::bundled();
            let e = f.engine();
            (f, e)
        })
        .1
}

fn req(q: &str) -> SearchRequest {
    SearchRequest {
        q: q.to_string(),
        limit: Some(100),
        ..SearchRequest::default()
    }
}

fn ids(r: &SearchResponse) -> Vec<&str> {
    r.hits.iter().map(|h| h.id.as_str()).collect()
}

fn search(engine: &Engine, r: SearchRequest) -> SearchResponse {
    engine.search(&r).unwrap_or_else(|e| panic!("{r:?}: {e}"))
}

fn counts<T: Clone>(list: &Option<Vec<FacetCount<T>>>) -> Vec<(T, u64)> {
    list.as_ref()
        .unwrap()
        .iter()
        .map(|f| (f.value.clone(), f.count))
        .collect()
}

fn s(v: &[(&str, u64)]) -> Vec<(String, u64)> {
    v.iter().map(|(a, b)| (a.to_string(), *b)).collect()
}

// Analysis, through real queries.

#[test]
fn stemming_finds_other_forms() {
    let r = search(small(), req("trading"));
    assert_eq!(
        ids(&r),
        vec![
            "beta-2018-p1",
            "beta-2018-p2",
            "gamma-2021-p3",
            "beta-2020-p1"
        ]
    );
    let hit = r.hits.iter().find(|h| h.id == "beta-2018-p2").unwrap();
    assert!(
        hit.highlight.text.contains("<mark>trade</mark>"),
        "{}",
        hit.highlight.text
    );
}

#[test]
fn romanized_spellings_fold_together() {
    for q in [
        "Kyongje Yongu",
        "Kyo'ngje Yo'ngu",
        "Kyŏngje Yŏn'gu",
        "kyo’ngje yo’ngu",
        "\"kyongje yongu\"",
    ] {
        let r = search(small(), req(q));
        assert_eq!(ids(&r), vec!["gamma-2021-p1", "gamma-2021-p2"], "{q}");
    }
}

#[test]
fn hyphenated_names_match_spaced_ones() {
    for q in ["Kim Jong Un", "Kim Jong-un", "\"kim jong un\"", "jong-un"] {
        let r = search(small(), req(q));
        assert_eq!(ids(&r), vec!["beta-2020-p2"], "{q}");
    }
    let r = search(small(), req("\"Kim Jong Un\""));
    assert_eq!(
        r.hits[0].highlight.text.matches("<mark>").count(),
        1,
        "a phrase is marked whole"
    );
    assert!(
        r.hits[0]
            .highlight
            .text
            .starts_with("<mark>Kim Jong-un</mark> ordered")
    );
}

#[test]
fn hangul_words_inside_compounds_and_phrases() {
    let r = search(small(), req("민족경제"));
    assert_eq!(ids(&r), vec!["gamma-2021-p2"]);
    assert!(
        r.hits[0]
            .highlight
            .text
            .contains("자립적<mark>민족경제</mark>와"),
        "{}",
        r.hits[0].highlight.text
    );
    // A phrase across the space between two compounds.
    assert_eq!(
        ids(&search(small(), req("\"민족경제와 대외무역\""))),
        vec!["gamma-2021-p2"]
    );
    // Pieces that are not next to each other do not match.
    assert!(search(small(), req("경제와무역")).hits.is_empty());
    assert_eq!(search(small(), req("경제와무역")).total, 0);
    // A single syllable finds the compounds holding it.
    assert_eq!(ids(&search(small(), req("순"))), vec!["gamma-2021-p2"]);
}

#[test]
fn bundled_hangul_footnote_is_found_inside_its_compound() {
    let r = search(bundled(), req("민족경제"));
    assert_eq!(ids(&r), vec!["003_6c1b6b77df396b05-p52"]);
    assert_eq!(r.hits[0].kind, "footnote");
}

#[test]
fn synonyms_apply_at_query_time() {
    let dprk = search(small(), req("DPRK"));
    assert_eq!(ids(&dprk), vec!["alpha-2015-p1", "gamma-2021-p3"]);
    let nk = search(small(), req("north korea"));
    assert_eq!(ids(&nk), vec!["alpha-2015-p1", "gamma-2021-p3"]);
    assert!(
        nk.hits[0]
            .highlight
            .text
            .contains("<mark>North Korea</mark>")
    );
    // Quoted phrases are literal.
    assert_eq!(
        ids(&search(small(), req("\"north korea\""))),
        vec!["alpha-2015-p1"]
    );
}

#[test]
fn shipped_synonyms_and_acronyms() {
    let e = bundled();
    for (acronym, expansion) in [
        ("WPK", "Workers' Party of Korea"),
        ("KPA", "Korean People's Army"),
        (
            "SERMS",
            "socialist enterprise responsibility management system",
        ),
        ("UNSC", "United Nations Security Council"),
        ("MRL", "multiple rocket launcher"),
        ("DPRK", "North Korea"),
    ] {
        let a = search(e, req(acronym));
        let b = search(e, req(expansion));
        assert!(a.total > 0, "{acronym}");
        assert_eq!(
            a.total, b.total,
            "{acronym} and {expansion} find the same paragraphs"
        );
    }
    // The acronym finds paragraphs that only spell it out.
    let mrl = search(e, req("MRL"));
    assert!(
        mrl.hits
            .iter()
            .any(|h| h.text.contains("multiple rocket launcher"))
    );
}

// The query language.

#[test]
fn query_operators() {
    let e = small();
    assert_eq!(
        ids(&search(e, req("sanct*"))),
        vec!["alpha-2018-p1", "beta-2018-p1"]
    );
    assert_eq!(
        ids(&search(e, req("markets -grain"))),
        vec!["alpha-2015-p3", "alpha-2018-p2", "beta-2020-p1"]
    );
    assert_eq!(
        ids(&search(e, req("coal OR oil"))),
        vec!["alpha-2018-p1", "beta-2020-p1", "alpha-2015-p2"]
    );
    assert_eq!(
        ids(&search(e, req("title:coal"))),
        vec!["alpha-2018-p1", "alpha-2018-p2"]
    );
    assert_eq!(
        ids(&search(e, req("author:\"Cy Park\""))),
        vec!["beta-2020-p1", "beta-2020-p2"]
    );
    assert_eq!(
        ids(&search(e, req("\"smaller markets\""))),
        vec!["alpha-2018-p2"]
    );
    assert_eq!(search(e, req("-markets")).total, 8);
    assert_eq!(search(e, req("")).total, 12);
    // Lenient reading: nothing here is a syntax error.
    for q in [
        "\"unclosed",
        "OR",
        "((",
        "-",
        "*",
        "title:",
        "a:b:c",
        "\"\"",
        "markets OR",
        ")(",
    ] {
        assert!(e.search(&req(q)).is_ok(), "{q}");
    }
}

#[test]
fn title_and_section_raise_scores_but_do_not_make_paragraphs_match() {
    // "coal" is in the title of alpha-2018; only its first paragraph says coal.
    let r = search(small(), req("coal"));
    assert_eq!(ids(&r), vec!["alpha-2018-p1", "alpha-2015-p2"]);
    assert!(r.hits[0].highlight.title.contains("<mark>coal</mark>"));
}

#[test]
fn stop_words_do_not_have_to_match() {
    let r = search(small(), req("the markets"));
    assert!(!r.relaxed);
    assert_eq!(r.total, 4);
}

#[test]
fn relaxation_when_no_paragraph_holds_every_word() {
    let r = search(small(), req("grain oil"));
    assert!(r.relaxed);
    assert_eq!(r.match_mode, MatchMode::Any);
    assert_eq!(r.total, 3);
    let all = search(
        small(),
        SearchRequest {
            match_mode: Some(MatchMode::All),
            ..req("grain oil")
        },
    );
    assert_eq!((all.total, all.relaxed), (0, false));
    // Fewer than `relax_below` (5) paragraphs hold every word: they come first, then those
    // holding most of the words.
    let r = search(small(), req("grain markets famine"));
    assert!(r.relaxed);
    assert_eq!(
        r.hits[0].id, "alpha-2015-p1",
        "the one paragraph with all three words"
    );
    assert_eq!(r.total, 5);
    let strict = search(
        small(),
        SearchRequest {
            match_mode: Some(MatchMode::All),
            ..req("grain markets famine")
        },
    );
    assert_eq!((strict.relaxed, strict.total), (false, 1));
    // Enough paragraphs hold every word: no relaxation.
    let r = search(bundled(), req("foreign trade"));
    assert!(!r.relaxed && r.total >= 5);
    let r = search(small(), req("grain famine oil"));
    assert!(r.relaxed);
    assert_eq!(r.hits[0].id, "alpha-2015-p1", "two of three words beat one");
    // A question.
    let r = search(
        bundled(),
        req("why did North Korea tighten central control"),
    );
    assert!(r.total > 0);
    assert!(
        r.hits[0].text.to_lowercase().contains("central control"),
        "{}",
        r.hits[0].text
    );
}

// Filters and disjunctive facets.

#[test]
fn facets_of_the_whole_corpus() {
    let r = search(small(), req(""));
    assert_eq!(
        counts(&r.facets.source),
        s(&[
            ("Alpha Institute", 5),
            ("Beta Review", 4),
            ("Gamma News", 3)
        ])
    );
    assert_eq!(
        counts(&r.facets.theme),
        s(&[("markets", 4), ("energy", 3), ("sanctions", 2)])
    );
    assert_eq!(
        counts(&r.facets.year),
        vec![(2015, 3), (2018, 4), (2020, 2), (2021, 3)]
    );
    assert_eq!(
        r.facet_stats.year,
        Some(MinMax {
            min: 2015,
            max: 2021
        })
    );
}

#[test]
fn facet_counts_are_disjunctive() {
    let mut r = req("");
    r.filters.source = vec!["Alpha Institute".into()];
    let a = search(small(), r);
    assert_eq!(a.total, 5);
    assert_eq!(
        counts(&a.facets.source),
        s(&[
            ("Alpha Institute", 5),
            ("Beta Review", 4),
            ("Gamma News", 3)
        ])
    );
    assert!(a.facets.source.as_ref().unwrap()[0].selected);
    assert_eq!(
        counts(&a.facets.theme),
        s(&[("markets", 3), ("energy", 2), ("sanctions", 1)])
    );
    assert_eq!(counts(&a.facets.year), vec![(2015, 3), (2018, 2)]);

    let mut r = req("");
    r.filters.source = vec!["Beta Review".into()];
    r.filters.theme = vec!["sanctions".into()];
    let b = search(small(), r);
    assert_eq!(ids(&b), vec!["beta-2018-p1"]);
    assert_eq!(
        counts(&b.facets.source),
        s(&[("Alpha Institute", 1), ("Beta Review", 1)])
    );
    assert_eq!(
        counts(&b.facets.theme),
        s(&[("energy", 1), ("markets", 1), ("sanctions", 1)])
    );
    assert_eq!(counts(&b.facets.year), vec![(2018, 1)]);
}

#[test]
fn filters_combine_or_within_and_across_fields() {
    let mut r = req("");
    r.filters.source = vec!["Alpha Institute".into(), "Gamma News".into()];
    r.filters.theme = vec!["markets".into(), "energy".into()];
    assert_eq!(
        ids(&search(small(), r)),
        vec![
            "alpha-2015-p1",
            "alpha-2015-p2",
            "alpha-2015-p3",
            "alpha-2018-p1",
            "alpha-2018-p2"
        ]
    );
    // Sources ignore case; a value nothing has is listed, selected, at count 0.
    let mut r = req("");
    r.filters.source = vec!["beta review".into(), "Delta Daily".into()];
    let resp = search(small(), r);
    assert_eq!(resp.total, 4);
    let delta = resp
        .facets
        .source
        .as_ref()
        .unwrap()
        .iter()
        .find(|f| f.value == "Delta Daily")
        .unwrap();
    assert_eq!((delta.count, delta.selected), (0, true));
    let mut r = req("");
    r.filters.doc = Some("gamma-2021".into());
    r.filters.kind = vec!["body".into()];
    assert_eq!(search(small(), r).total, 3);
}

#[test]
fn year_filter_forms() {
    for (range, total) in [
        ("2018", 4),
        ("2015..2018", 7),
        ("2020..", 5),
        ("..2015", 3),
        ("2016..2017", 0),
    ] {
        let mut r = req("");
        r.filters.year = Some(YearRange::parse(range).unwrap());
        let resp = search(small(), r);
        assert_eq!(resp.total, total, "{range}");
        // The year facet ignores the year filter, so a range slider keeps its bounds.
        assert_eq!(
            resp.facet_stats.year,
            Some(MinMax {
                min: 2015,
                max: 2021
            }),
            "{range}"
        );
    }
}

#[test]
fn sorting_paging_and_limits() {
    let e = small();
    let by_year = search(
        e,
        SearchRequest {
            sort: Sort::YearAsc,
            ..req("")
        },
    );
    let years: Vec<u32> = by_year.hits.iter().map(|h| h.year).collect();
    assert_eq!(
        years,
        vec![
            2015, 2015, 2015, 2018, 2018, 2018, 2018, 2020, 2020, 2021, 2021, 2021
        ]
    );
    let newest = search(
        e,
        SearchRequest {
            sort: Sort::YearDesc,
            ..req("markets")
        },
    );
    assert_eq!(
        ids(&newest),
        vec![
            "beta-2020-p1",
            "alpha-2018-p2",
            "alpha-2015-p3",
            "alpha-2015-p1"
        ]
    );
    let all = search(e, req(""));
    let page = search(
        e,
        SearchRequest {
            limit: Some(3),
            offset: 4,
            ..req("")
        },
    );
    assert_eq!(ids(&page), ids(&all)[4..7].to_vec());
    assert_eq!((page.total, page.limit, page.offset), (12, 3, 4));
    let past = search(
        e,
        SearchRequest {
            limit: Some(3),
            offset: 20,
            ..req("")
        },
    );
    assert!(past.hits.is_empty());
    let too_many = e
        .search(&SearchRequest {
            limit: Some(101),
            ..req("")
        })
        .unwrap_err();
    assert_eq!(
        too_many.to_string(),
        "invalid `limit`: 101 is more than the maximum of 100"
    );
    assert!(
        e.search(&SearchRequest {
            offset: 10_001,
            ..req("")
        })
        .is_err()
    );
    let default = search(
        e,
        SearchRequest {
            q: String::new(),
            ..SearchRequest::default()
        },
    );
    assert_eq!(default.hits.len(), 10);
}

#[test]
fn grouping_by_document() {
    let r = search(
        small(),
        SearchRequest {
            group: Some(Group::Doc),
            ..req("markets")
        },
    );
    assert_eq!(
        ids(&r),
        vec!["alpha-2015-p3", "alpha-2018-p2", "beta-2020-p1"]
    );
    assert_eq!(
        (r.total, r.total_paragraphs, r.total_documents),
        (3, 4, Some(3))
    );
    assert_eq!(
        counts(&r.facets.source),
        s(&[("Alpha Institute", 3), ("Beta Review", 1)]),
        "facets count paragraphs"
    );
    assert_eq!(r.facets_count, "paragraphs");
}

#[test]
fn facets_can_be_chosen() {
    let r = search(
        small(),
        SearchRequest {
            facets: Some(vec![FacetName::Year]),
            ..req("")
        },
    );
    assert!(r.facets.source.is_none() && r.facets.theme.is_none() && r.facets.year.is_some());
    let r = search(
        small(),
        SearchRequest {
            facets: Some(vec![]),
            ..req("")
        },
    );
    assert_eq!(r.facets, Facets::default());
}

#[test]
fn bad_filters_are_user_errors() {
    let mut r = req("");
    r.filters.theme = vec!["weather".into()];
    let e = small().search(&r).unwrap_err();
    assert!(e.is_user_error());
    assert_eq!(
        e.to_string(),
        "invalid `theme`: unknown theme `weather`; themes are energy, markets, sanctions"
    );
    let mut r = req("");
    r.filters.kind = vec!["poem".into()];
    assert!(small().search(&r).unwrap_err().is_user_error());
}

// Highlights.

#[test]
fn highlights_escape_then_mark() {
    let r = search(small(), req("bold"));
    let hit = &r.hits[0];
    assert_eq!(
        hit.text,
        "One manager said that trade with China was <b>bold</b> & risky, but necessary."
    );
    assert_eq!(
        hit.highlight.text,
        "One manager said that trade with China was &lt;b&gt;<mark>bold</mark>&lt;/b&gt; &amp; risky, but necessary."
    );
    let custom = search(
        small(),
        SearchRequest {
            highlight: HighlightOptions {
                pre_tag: "[[".into(),
                post_tag: "]]".into(),
                snippet_chars: None,
            },
            ..req("risky")
        },
    );
    assert!(custom.hits[0].highlight.text.contains("[[risky]]"));
}

#[test]
fn match_offsets_are_utf16_code_units_into_the_whole_field() {
    let r = search(small(), req("Kyongje"));
    for hit in &r.hits {
        let units: Vec<u16> = hit.text.encode_utf16().collect();
        assert!(!hit.matches.text.is_empty());
        for [s, e] in &hit.matches.text {
            let word = String::from_utf16(&units[*s..*e]).unwrap();
            assert!(word == "Kyŏngje" || word == "Kyo’ngje", "{word}");
        }
    }
}

#[test]
fn long_paragraphs_get_snippets_around_their_best_matches() {
    // The bundled IFANS article's paragraphs are long; "organizational" appears late in one.
    let r = search(
        bundled(),
        SearchRequest {
            highlight: HighlightOptions {
                snippet_chars: Some(120),
                ..Default::default()
            },
            ..req("autarky")
        },
    );
    let hit = &r.hits[0];
    assert!(hit.text.chars().count() > 400);
    assert!(
        hit.highlight.text.contains("<mark>autarky</mark>"),
        "{}",
        hit.highlight.text
    );
    assert!(hit.highlight.text.starts_with('…'));
    assert!(hit.highlight.text.chars().count() < 180);
}

// Documents and paragraphs.

#[test]
fn documents_and_paragraph_context() {
    let doc = small().document("alpha-2018").unwrap();
    assert_eq!(doc.document.title, "Sanctions and coal");
    assert_eq!(doc.document.authors, vec!["Ann Lee", "Bo Kim"]);
    assert_eq!(
        doc.paragraphs
            .iter()
            .map(|p| p.position)
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    let ctx = small().paragraph("alpha-2015-p2", 1).unwrap();
    assert_eq!(ctx.paragraph.id, "alpha-2015-p2");
    assert_eq!(
        ctx.before.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        vec!["alpha-2015-p1"]
    );
    assert_eq!(
        ctx.after.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        vec!["alpha-2015-p3"]
    );
    assert!(matches!(
        small().document("nope"),
        Err(SearchError::DocumentNotFound(_))
    ));
    assert!(matches!(
        small().paragraph("alpha-2015-p9", 0),
        Err(SearchError::ParagraphNotFound(_))
    ));
    assert!(matches!(
        small().paragraph("garbage", 0),
        Err(SearchError::ParagraphNotFound(_))
    ));
}

#[test]
fn overview_counts_the_corpus() {
    let o = small().overview().unwrap();
    assert_eq!((o.documents, o.paragraphs), (5, 12));
    let themes: Vec<&str> = o.themes.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(themes, vec!["markets", "sanctions", "energy"]);
    let b = bundled().overview().unwrap();
    assert_eq!((b.documents, b.paragraphs), (5, 131));
}

#[test]
fn every_sentence_of_the_bundled_articles_is_findable() {
    // Each paragraph can be found by a phrase of its own words.
    let e = bundled();
    for doc in [
        "000_f985a095ab119c7d",
        "001_63473eb092a4ea6c",
        "002_81eeb576715a28f4",
        "003_6c1b6b77df396b05",
        "004_a8b6ee5173a16553",
    ] {
        for p in e.document(doc).unwrap().paragraphs {
            let words: Vec<&str> = p.text.split_whitespace().take(8).collect();
            let phrase = format!("\"{}\"", words.join(" ").replace('"', " "));
            let r = search(
                e,
                SearchRequest {
                    filters: Filters {
                        doc: Some(doc.into()),
                        ..Default::default()
                    },
                    ..req(&phrase)
                },
            );
            assert!(r.hits.iter().any(|h| h.id == p.id), "{}: {phrase}", p.id);
        }
    }
}

// Switching builds under a running engine handle.

#[test]
fn a_new_build_is_switched_in_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let store = IndexStore::new(dir.path());
    let handle = IndexHandle::new(store.clone(), EngineOptions::default());
    assert!(!handle.reload().unwrap(), "nothing to load yet");
    assert!(handle.engine().is_none());
    // Copy a built index in as the store's first build, the way the indexer publishes.
    let built = folio_testkit::small();
    let built_path = built.store.current().unwrap().unwrap().path;
    let first = store.begin().unwrap();
    copy_dir(&built_path, first.path());
    store.publish(first, &BuildInfo::default()).unwrap();
    assert!(handle.reload().unwrap());
    let old = handle.engine().unwrap();
    assert_eq!(old.paragraphs(), 12);
    // A failed build leaves everything as it was.
    let failed = store.begin().unwrap();
    std::fs::write(failed.path().join("junk"), b"x").unwrap();
    drop(failed);
    assert!(!handle.reload().unwrap());
    // A searcher holding the old engine keeps working after a switch.
    let second = store.begin().unwrap();
    copy_dir(&built_path, second.path());
    store.publish(second, &BuildInfo::default()).unwrap();
    assert!(handle.reload().unwrap());
    assert_ne!(
        handle.engine().unwrap().build().unwrap().name,
        old.build().unwrap().name
    );
    assert_eq!(old.search(&req("markets")).unwrap().total, 4);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Pruned ranking (extras scored only for paragraphs that can reach the top, block-max WAND on
/// plain words) returns exactly what scoring every match returns: same hits, order, scores,
/// totals and facets, at every page size, with and without filters, footnotes included.
/// Every paragraph matching `q`, over as many pages as it takes.
fn all_ids(engine: &Engine, q: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut r = req(q);
    loop {
        let page = search(engine, r.clone());
        out.extend(page.hits.iter().map(|h| h.id.clone()));
        r.offset += page.hits.len();
        if page.hits.is_empty() || r.offset as u64 >= page.total {
            return out;
        }
    }
}

#[test]
fn phrases_and_prefixes_match_exactly_the_paragraphs_whose_words_do() {
    // Such phrases are searched on common grams (and the words no gram covers), not on the
    // common words' positions: check them against the paragraphs' own words.
    let engine = bundled();
    let analyzer = folio_text::Analyzer::new();
    let mut r = req("");
    let mut paragraphs = Vec::new();
    loop {
        let page = search(engine, r.clone());
        r.offset += page.hits.len();
        paragraphs.extend(page.hits.into_iter().map(|h| (h.id, h.text)));
        if r.offset as u64 >= page.total {
            break;
        }
    }
    assert!(paragraphs.len() > 100, "{}", paragraphs.len());
    // The paragraphs whose analyzed words satisfy `holds`, checked to be some, against what
    // the query `q` finds.
    let check = |q: &str, holds: &dyn Fn(&[String]) -> bool| -> usize {
        let expected: std::collections::BTreeSet<String> = paragraphs
            .iter()
            .filter(|(_, text)| holds(&analyzer.terms(text)))
            .map(|(id, _)| id.clone())
            .collect();
        assert!(!expected.is_empty(), "{q}");
        assert_eq!(all_ids(engine, q), expected, "{q}");
        expected.len()
    };
    let mut found = 0;
    for phrase in [
        "of the",
        "the north",
        "the construction of",
        "the basis of",
        "on the basis of",
        "and the",
        "Workers' Party of Korea",
        "to be",
        // A gram and a word no gram covers, at their offsets.
        "the North Korean economy",
        "the Korean peninsula",
    ] {
        let words = analyzer.terms(phrase);
        found += check(&format!("\"{phrase}\""), &|terms| {
            terms.windows(words.len()).any(|w| w == words)
        });
    }
    assert!(found > 80, "{found}");
    // Prefixes are term ranges: every paragraph with a word starting so, and no gram.
    for prefix in ["econ", "sanc", "kyo", "the"] {
        check(&format!("{prefix}*"), &|terms| {
            terms.iter().any(|t| t.starts_with(prefix))
        });
    }
}

/// Complete scoring counts facets paragraph by paragraph; pruned ranking counts dense blocks of
/// matches with the facet bitmaps, so this compares the two ways of counting too.
#[test]
fn pruned_ranking_equals_complete_scoring() {
    let f = folio_testkit::bundled();
    let pruned = f.engine();
    // Per 64 paragraphs, a piece of one source and year and a word per theme, at least.
    let words = pruned.paragraphs().div_ceil(64) as usize;
    assert!(
        pruned.facet_bitmap_bytes() >= words * 8 * 2,
        "facet bitmaps not built: {} bytes",
        pruned.facet_bitmap_bytes()
    );
    let before_terms = pruned.facet_bitmap_bytes();
    let mut options = f.options.clone();
    options.config.pruning = false;
    let complete = Engine::open_current(&f.store, options).unwrap();
    // Pruned, with no room for common terms' bitmaps: their postings are read every time.
    let mut options = f.options.clone();
    options.config.term_bitmaps_mb = 0;
    let unkept = Engine::open_current(&f.store, options).unwrap();
    let unkept_bytes = unkept.facet_bitmap_bytes();
    let queries = [
        "the",
        "economy",
        "market reform",
        "the market",
        "Kim Jong Un",
        "state enterprises and markets",
        "\"economic policy\"",
        "econom*",
        "market -reform",
        "nuclear OR sanctions",
        "title:economy",
        "Kyongje Yongu",
        "정책",
        "food prices in the markets",
        "xyzzy market",
        "\"the market\"",
        "\"the basis of the\"",
        "\"the economy\" reform",
        // Relaxed: a union of the words the index holds.
        "market reform xyzzy",
        "food nuclear xyzzy prices",
        // Words of several titles: documents passed over in the boosted pass.
        "trade",
        "foreign trade",
        "korea economic",
        "north korea trade",
        "juche",
    ];
    // `match=any`: a union of words, of a phrase or synonyms and words.
    let any_queries = [
        "market sanctions nuclear",
        "economy reform",
        "\"foreign trade\" market china",
        "Kim Jong Un markets",
        "the economy",
    ];
    let mut compared = 0;
    let queries = queries
        .iter()
        .map(|q| (*q, None))
        .chain(any_queries.iter().map(|q| (*q, Some(MatchMode::Any))));
    let facet = |source: Option<&str>, year: Option<&str>, theme: Option<&str>| Filters {
        source: source.map(String::from).into_iter().collect(),
        year: year.map(|y| YearRange::parse(y).unwrap()),
        theme: theme.map(String::from).into_iter().collect(),
        ..Filters::default()
    };
    let filter_sets = [
        Filters::default(),
        facet(Some("38 North"), None, None),
        facet(None, Some("2023"), None),
        facet(None, None, Some("sanctions")),
        // Filters that leave few paragraphs: ranking goes over them.
        facet(Some("Daily NK"), None, Some("foreign-trade")),
        facet(Some("38 North"), Some("2024"), Some("defense-industry")),
        facet(Some("IFANS"), None, Some("central-control")),
        // Filters on what is not a facet become part of the query that every pass seeks
        // (titles boost every paragraph of their documents, footnotes among them).
        Filters {
            kind: vec!["footnote".into()],
            ..Filters::default()
        },
        Filters {
            kind: vec!["body".into()],
            ..facet(None, None, Some("sanctions"))
        },
    ];
    for (q, match_mode) in queries {
        for limit in [1, 3, 10, 50] {
            for filters in &filter_sets {
                let mut r = req(q);
                r.limit = Some(limit);
                r.match_mode = match_mode;
                r.filters = filters.clone();
                let b = search(&complete, r.clone());
                let hits = |x: &SearchResponse| -> Vec<(String, f32)> {
                    x.hits.iter().map(|h| (h.id.clone(), h.score)).collect()
                };
                for a in [search(&pruned, r.clone()), search(&unkept, r.clone())] {
                    assert_eq!(hits(&a), hits(&b), "{r:?}");
                    assert_eq!(a.total, b.total, "{r:?}");
                    assert_eq!(a.facets, b.facets, "{r:?}");
                    compared += a.hits.len();
                }
            }
        }
    }
    assert!(compared > 1000, "too few hits compared: {compared}");
    // Common terms were counted from bitmaps made at their first search and kept, and none
    // were kept without room for them.
    assert!(
        pruned.facet_bitmap_bytes() > before_terms,
        "no term bitmaps kept: {} bytes",
        pruned.facet_bitmap_bytes()
    );
    assert_eq!(unkept.facet_bitmap_bytes(), unkept_bytes);
}

#[test]
fn any_of_finds_and_scores_what_a_union_of_should_clauses_does() {
    use folio_search::query::AnyOfQuery;
    use tantivy::query::{BooleanQuery, EnableScoring, Occur, PhraseQuery, Query, TermQuery};
    use tantivy::schema::IndexRecordOption;
    use tantivy::{DocSet, TERMINATED, Term};

    let engine = bundled();
    let fields = engine.fields();
    let term = |field, word: &str| {
        let t = engine.analyzer().terms(word);
        Term::from_field_text(field, &t[0])
    };
    let clauses = || -> Vec<Box<dyn Query>> {
        vec![
            Box::new(TermQuery::new(
                term(fields.text, "economy"),
                IndexRecordOption::WithFreqs,
            )),
            folio_search::documents::DocumentQuery::boxed(
                Box::new(TermQuery::new(
                    term(fields.title_terms, "Korea"),
                    IndexRecordOption::WithFreqs,
                )),
                None,
            ),
            Box::new(PhraseQuery::new(vec![
                term(fields.text, "foreign"),
                term(fields.text, "trade"),
            ])),
        ]
    };
    let union = BooleanQuery::new(clauses().into_iter().map(|q| (Occur::Should, q)).collect());
    let any_of = AnyOfQuery::boxed(clauses());
    let searcher = engine.index().reader().expect("reader").searcher();
    let scoring = EnableScoring::enabled_from_searcher(&searcher);
    let (w1, w2) = (
        union.weight(scoring).expect("weight"),
        any_of.weight(scoring).expect("weight"),
    );
    let mut walked = 0;
    let mut sought = 0;
    for reader in searcher.segment_readers() {
        // Walked paragraph by paragraph: the same paragraphs, the same scores to the bit.
        let (mut a, mut b) = (
            w1.scorer(reader, 1.0).expect("scorer"),
            w2.scorer(reader, 1.0).expect("scorer"),
        );
        while a.doc() != TERMINATED {
            assert_eq!(a.doc(), b.doc());
            assert_eq!(a.score().to_bits(), b.score().to_bits(), "doc {}", a.doc());
            walked += 1;
            a.advance();
            b.advance();
        }
        assert_eq!(b.doc(), TERMINATED);
        // Sought in strides, as extras and boosts are.
        let (mut a, mut b) = (
            w1.scorer(reader, 1.0).expect("scorer"),
            w2.scorer(reader, 1.0).expect("scorer"),
        );
        for target in (0..reader.max_doc()).step_by(3) {
            if a.doc() > target {
                continue;
            }
            let (da, db) = (a.seek(target), b.seek(target));
            assert_eq!(da, db, "seek {target}");
            if da == TERMINATED {
                break;
            }
            assert_eq!(a.score().to_bits(), b.score().to_bits(), "doc {da}");
            sought += 1;
        }
    }
    assert!(walked > 50 && sought > 20, "{walked} {sought}");
}

#[test]
fn gated_words_find_and_score_what_term_queries_do() {
    use folio_search::gated::GatedTermQuery;
    use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, TermQuery};
    use tantivy::schema::IndexRecordOption;
    use tantivy::{DocSet, TERMINATED, Term};

    let engine = bundled();
    let text = engine.fields().text;
    let term = |word: &str| Term::from_field_text(text, &engine.analyzer().terms(word)[0]);
    let searcher = engine.index().reader().expect("reader").searcher();
    let scoring = EnableScoring::enabled_from_searcher(&searcher);
    let kept = engine.facet_bitmap_bytes();
    // A common word alone, with a rarer one, and two common ones (the bitmap leads).
    let pairs: [&[&str]; 3] = [&["the"], &["the", "sanctions"], &["the", "economy", "of"]];
    let (mut walked, mut sought) = (0, 0);
    for words in pairs {
        let query = |gated: bool| -> Box<dyn Query> {
            let clauses = words
                .iter()
                .map(|w| -> (Occur, Box<dyn Query>) {
                    let q: Box<dyn Query> = if gated {
                        Box::new(GatedTermQuery::new(term(w), engine.facet_bitmaps().clone()))
                    } else {
                        Box::new(TermQuery::new(term(w), IndexRecordOption::WithFreqs))
                    };
                    (Occur::Must, q)
                })
                .collect();
            Box::new(BooleanQuery::new(clauses))
        };
        let (w1, w2) = (
            query(false).weight(scoring).expect("weight"),
            query(true).weight(scoring).expect("weight"),
        );
        for reader in searcher.segment_readers() {
            let (mut a, mut b) = (
                w1.scorer(reader, 1.0).expect("scorer"),
                w2.scorer(reader, 1.0).expect("scorer"),
            );
            while a.doc() != TERMINATED {
                assert_eq!(a.doc(), b.doc(), "{words:?}");
                assert_eq!(a.score().to_bits(), b.score().to_bits(), "doc {}", a.doc());
                walked += 1;
                // Every other paragraph's score is not asked: the postings catch up later.
                if walked % 2 == 0 {
                    a.advance();
                    b.advance();
                } else {
                    let next = a.doc() + 2;
                    assert_eq!(a.seek(next), b.seek(next), "{words:?} seek {next}");
                    sought += 1;
                }
            }
            assert_eq!(b.doc(), TERMINATED);
        }
    }
    assert!(walked > 80 && sought > 40, "{walked} {sought}");
    // The common words' bitmaps were made for the gated scorers.
    assert!(engine.facet_bitmap_bytes() > kept, "no bitmap made");
}

/// A document's paragraphs are written as one batch, so they sit side by side in one segment:
/// what lets a field indexed once per document stand for all of its paragraphs.
#[test]
fn a_documents_paragraphs_are_side_by_side_in_one_segment() {
    let searcher = bundled().index().reader().expect("reader").searcher();
    assert!(
        searcher.segment_readers().len() > 1,
        "the check needs several segments"
    );
    let mut seen = std::collections::HashSet::new();
    for reader in searcher.segment_readers() {
        let keys = reader
            .fast_fields()
            .u64(folio_search::schema::names::DOC_KEY)
            .expect("doc_key");
        let mut previous = None;
        for doc in 0..reader.max_doc() {
            let key = keys.first(doc).expect("every paragraph has a doc_key");
            if previous != Some(key) {
                assert!(
                    seen.insert(key),
                    "a document's paragraphs are split (segment {:?}, paragraph {doc})",
                    reader.segment_id()
                );
            }
            previous = Some(key);
        }
    }
    assert!(seen.len() >= 5, "every bundled document is indexed");
}

/// Title and author words are indexed on a document's first paragraph only; a match there
/// stands for every paragraph of the document, alone, excluded, or beside other words.
#[test]
fn title_and_author_words_match_every_paragraph_of_their_documents() {
    use tantivy::Term;
    use tantivy::collector::Count;
    use tantivy::query::TermQuery;
    use tantivy::schema::IndexRecordOption;

    let e = bundled();
    let searcher = e.index().reader().expect("reader").searcher();
    let fields = e.fields();
    let paragraphs = |doc_id: &str| {
        let q = TermQuery::new(
            Term::from_field_text(fields.doc_id, doc_id),
            IndexRecordOption::Basic,
        );
        searcher.search(&q, &Count).expect("count") as u64
    };
    // Each document's id by a word of its title that no other title has.
    let doc_of = |title_word: &str| {
        let r = search(
            e,
            SearchRequest {
                group: Some(folio_search::model::Group::Doc),
                ..req(&format!("title:{title_word}"))
            },
        );
        assert_eq!(r.hits.len(), 1, "{title_word}: {:?}", r.hits);
        r.hits[0].doc_id.clone()
    };
    let (control, narrative, defence, juche, grants) = (
        doc_of("reimposing"),
        doc_of("narrative"),
        doc_of("defence"),
        doc_of("juche"),
        doc_of("grants"),
    );
    let expect = |q: &str, docs: &[&String]| {
        let r = search(e, req(q));
        let want: u64 = docs.iter().map(|d| paragraphs(d)).sum();
        assert_eq!(r.total, want, "{q}");
        for hit in &r.hits {
            assert!(docs.contains(&&hit.doc_id), "{q}: {}", hit.id);
        }
        let mut positions: Vec<u32> = r.hits.iter().map(|h| h.position).collect();
        positions.sort_unstable();
        positions.dedup();
        assert!(
            positions.len() > 1 || want <= 1,
            "{q}: not only first paragraphs"
        );
    };
    expect("title:juche", &[&juche]);
    expect("title:grants", &[&grants]);
    expect(
        "author:\"rachel minyoung lee\"",
        &[&narrative, &defence, &juche],
    );
    expect("author:carlin -title:juche", &[&narrative]);
    expect("title:policymaking title:trade", &[&narrative, &juche]);
    expect("author:hwang", &[&control]);
    // Beside a word of the text: the document's paragraphs that hold the word.
    let r = search(e, req("title:juche economy"));
    let r2 = search(
        e,
        SearchRequest {
            filters: folio_search::model::Filters {
                doc: Some(juche.clone()),
                ..Default::default()
            },
            ..req("economy")
        },
    );
    assert!(r.total > 1);
    assert_eq!(r.total, r2.total);
}

/// Many documents whose titles hold the word, with titles and paragraphs of every length: the
/// boosted pass passes over whole documents whose title score cannot lift them into the top
/// hits, and walks the titles alone to the next that can. It must find what complete scoring
/// finds.
#[test]
fn documents_passed_over_by_their_title_could_not_reach_the_top() {
    let dir = tempfile::tempdir().expect("temp dir");
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).expect("corpus dir");
    let filler = [
        "markets",
        "notes",
        "history",
        "review",
        "policy",
        "ports",
        "ledger",
        "quarterly",
    ];
    let mut lines = String::new();
    for i in 0..120usize {
        // Every third title lacks the word; the others hold it among 0 to 7 other words.
        let mut title: Vec<&str> = filler[..(i * 5) % 8].to_vec();
        if i % 3 != 0 {
            title.insert((i * 3) % (title.len() + 1), "trade");
        }
        let paragraphs: Vec<String> = (0..5)
            .map(|p| {
                let times = (i * 7 + p * 3) % 4;
                let mut words = vec!["trade"; times];
                words.extend(std::iter::repeat_n(
                    "ordinary words about harbours",
                    (i + p) % 6 + 1,
                ));
                format!("Paragraph {p} of report {i}: {}.", words.join(" and "))
            })
            .collect();
        let doc = serde_json::json!({
            "id": format!("r{i:03}"),
            "title": if title.is_empty() { format!("Report {i}") } else { title.join(" ") },
            "source": "Harbour Review",
            "year": 2000 + (i % 20),
            "text": paragraphs.join("\n\n"),
        });
        lines.push_str(&doc.to_string());
        lines.push('\n');
    }
    std::fs::write(corpus.join("reports.jsonl"), lines).expect("corpus");
    let f = folio_testkit::build(&corpus, &folio_testkit::repo().join("config"));
    let mut compared = 0;
    for (title, section) in [(0.6, 0.4), (3.0, 0.0), (10.0, 0.0)] {
        let mut options = f.options.clone();
        options.config.title_boost = title;
        options.config.section_boost = section;
        let pruned = Engine::open_current(&f.store, options.clone()).unwrap();
        options.config.pruning = false;
        let complete = Engine::open_current(&f.store, options).unwrap();
        for q in ["trade", "trade harbours", "ordinary trade"] {
            for limit in [1, 2, 5, 10, 30] {
                let r = SearchRequest {
                    limit: Some(limit),
                    ..req(q)
                };
                let hits = |x: &SearchResponse| -> Vec<(String, f32)> {
                    x.hits.iter().map(|h| (h.id.clone(), h.score)).collect()
                };
                let (a, b) = (search(&pruned, r.clone()), search(&complete, r.clone()));
                assert_eq!(hits(&a), hits(&b), "{q} (title {title}, limit {limit})");
                assert_eq!(a.total, b.total, "{q}");
                compared += a.hits.len();
            }
        }
    }
    assert!(compared > 300, "{compared}");
}
