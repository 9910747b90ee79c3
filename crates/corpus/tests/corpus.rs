//! The corpus reader on real captures: the five bundled articles, captures of other kinds of site
//! made for these tests (`testdata/captures`), and broken input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use folio_corpus::{
    Cleaner, CleaningConfig, Corpus, CorpusError, Document, DropReason, Kind, Pipeline, Tagger,
    Taxonomy,
};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The pipeline as folio ships it: the cleaning patterns and themes of `config/`.
fn pipeline() -> Pipeline {
    let settings: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo().join("config/folio.toml")).unwrap())
            .unwrap();
    let cleaning: CleaningConfig = settings["cleaning"].clone().try_into().unwrap();
    let taxonomy =
        Taxonomy::from_toml(&std::fs::read_to_string(repo().join("config/themes.toml")).unwrap())
            .unwrap();
    Pipeline::new(
        Cleaner::new(&cleaning).unwrap(),
        Tagger::new(&taxonomy, folio_text::Analyzer::new()).unwrap(),
    )
}

fn documents(dir: &Path) -> BTreeMap<String, Document> {
    let p = pipeline();
    Corpus::open(dir)
        .unwrap()
        .documents()
        .map(|d| {
            let d = p.prepare(d.unwrap()).unwrap();
            (d.meta.id.clone(), d)
        })
        .collect()
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// For each sample capture: the lines that are page furniture (by line number) and the lines that
/// are headings. Everything else in the file is article text.
struct Expected {
    file: &'static str,
    furniture: &'static [usize],
    headings: &'static [(usize, &'static str)],
    /// Lines that only mark a footnote (`- [1]`).
    markers: &'static [usize],
}

const SAMPLES: &[Expected] = &[
    Expected {
        file: "000_f985a095ab119c7d.txt",
        furniture: &[1, 2, 3, 5, 7, 9, 10, 11, 12, 13, 14, 15, 45, 46, 47, 48, 49],
        headings: &[
            (17, "I. Introduction"),
            (
                24,
                "Ⅱ. Latest Developments Seen from the Perspective of Organizational Politics",
            ),
            (36, "Ⅲ. Policy Implications"),
        ],
        markers: &[],
    },
    Expected {
        file: "001_63473eb092a4ea6c.txt",
        furniture: &[1, 3, 5, 7, 87],
        headings: &[
            (17, "Decentralizing Trade"),
            (31, "Diversifying Trade"),
            (57, "Trading With Capitalist Countries"),
            (79, "Conclusion"),
        ],
        markers: &[],
    },
    Expected {
        file: "002_81eeb576715a28f4.txt",
        furniture: &[],
        headings: &[],
        markers: &[7, 9, 11, 13],
    },
    Expected {
        file: "003_6c1b6b77df396b05.txt",
        furniture: &[1, 3, 143, 144, 145, 146],
        headings: &[
            (13, "Juche as Justification for Trade"),
            (77, "Juche as a Shield Against Trade"),
            (93, "Conclusion"),
        ],
        markers: &[102, 106, 110, 114, 118, 122, 126, 130, 134, 138],
    },
    Expected {
        file: "004_a8b6ee5173a16553.txt",
        furniture: &[14, 15],
        headings: &[],
        markers: &[],
    },
];

#[test]
fn bundled_corpus_has_five_documents_with_their_metadata() {
    let docs = documents(&repo().join("index/corpus"));
    assert_eq!(docs.len(), 5);
    let ifans = &docs["000_f985a095ab119c7d"];
    assert_eq!(ifans.meta.source, "IFANS");
    assert_eq!(ifans.meta.year, 2021);
    assert_eq!(ifans.meta.date.as_deref(), Some("2021-11-02"));
    assert_eq!(ifans.meta.authors, vec!["Hwang Ildo"]);
    assert_eq!(ifans.meta.series.as_deref(), Some("IFANS Focus"));
    let dnk = &docs["004_a8b6ee5173a16553"];
    assert_eq!(
        (
            dnk.meta.source.as_str(),
            dnk.meta.year,
            dnk.meta.date.as_deref()
        ),
        ("Daily NK", 2025, None)
    );
    let sources: Vec<&str> = docs.values().map(|d| d.meta.source.as_str()).collect();
    assert_eq!(
        sources,
        vec!["IFANS", "38 North", "38 North", "38 North", "Daily NK"]
    );
}

#[test]
fn sample_captures_lose_exactly_their_furniture() {
    let docs = documents(&repo().join("index/corpus"));
    for expected in SAMPLES {
        let id = expected.file.trim_end_matches(".txt");
        let doc = &docs[id];
        let dropped: Vec<usize> = doc.dropped.iter().map(|d| d.line.unwrap()).collect();
        assert_eq!(
            dropped, expected.furniture,
            "{}: dropped lines {:#?}",
            expected.file, doc.dropped
        );
    }
}

#[test]
fn every_sentence_of_the_sample_articles_is_a_paragraph() {
    let docs = documents(&repo().join("index/corpus"));
    for expected in SAMPLES {
        let id = expected.file.trim_end_matches(".txt");
        let doc = &docs[id];
        let text =
            std::fs::read_to_string(repo().join("index/corpus").join(expected.file)).unwrap();
        let paragraphs: Vec<String> = doc.paragraphs.iter().map(|p| collapse(&p.text)).collect();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = collapse(line);
            if line.is_empty()
                || expected.furniture.contains(&n)
                || expected.markers.contains(&n)
                || expected.headings.iter().any(|(h, _)| *h == n)
            {
                continue;
            }
            assert!(
                paragraphs.iter().any(|p| p.contains(&line)),
                "{} line {n} is not in any paragraph: {line}",
                expected.file
            );
        }
        // And no paragraph holds anything else: every paragraph is one line of the file.
        for p in &doc.paragraphs {
            assert!(
                text.lines().any(|l| collapse(l) == collapse(&p.text)),
                "{}: {:?}",
                expected.file,
                p.text
            );
        }
    }
}

#[test]
fn sample_sections_kinds_and_footnotes() {
    let docs = documents(&repo().join("index/corpus"));
    for expected in SAMPLES {
        let doc = &docs[expected.file.trim_end_matches(".txt")];
        let mut sections: Vec<&str> = Vec::new();
        for p in doc.paragraphs.iter().filter(|p| p.kind != Kind::Footnote) {
            if let Some(s) = p.section.as_deref()
                && sections.last() != Some(&s)
            {
                sections.push(s);
            }
        }
        let headings: Vec<&str> = expected.headings.iter().map(|(_, h)| *h).collect();
        assert_eq!(sections, headings, "{}", expected.file);
        // Positions run 1, 2, 3, … in order of the file.
        let positions: Vec<u32> = doc.paragraphs.iter().map(|p| p.position).collect();
        assert_eq!(
            positions,
            (1..=doc.paragraphs.len() as u32).collect::<Vec<_>>()
        );
        let lines: Vec<usize> = doc.paragraphs.iter().map(|p| p.line.unwrap()).collect();
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "{}", expected.file);
    }
    // Footnotes: numbered markers attach their label to the text below; Hangul titles stay.
    let juche = &docs["003_6c1b6b77df396b05"];
    let notes: Vec<(&str, &str)> = juche
        .paragraphs
        .iter()
        .filter(|p| p.kind == Kind::Footnote)
        .map(|p| (p.label.as_deref().unwrap(), p.section.as_deref().unwrap()))
        .collect();
    assert_eq!(notes.len(), 10);
    assert_eq!(notes[0], ("1", "Notes"));
    assert_eq!(notes[9], ("10", "Notes"));
    let note7 = juche
        .paragraphs
        .iter()
        .find(|p| p.label.as_deref() == Some("7"))
        .unwrap();
    assert!(
        note7
            .text
            .starts_with("리순철, “자립적민족경제와 대외무역의")
    );
    let defence = &docs["002_81eeb576715a28f4"];
    assert_eq!(
        defence
            .paragraphs
            .iter()
            .filter(|p| p.kind == Kind::Footnote)
            .count(),
        4
    );
    // Quotes: the passage after a lead-in that ends with a colon.
    let narrative = &docs["001_63473eb092a4ea6c"];
    let quote = narrative
        .paragraphs
        .iter()
        .find(|p| p.text.starts_with("Today’s actual condition"))
        .unwrap();
    assert_eq!(quote.kind, Kind::Quote);
    let lead_in = narrative
        .paragraphs
        .iter()
        .find(|p| p.text.starts_with("After noting that"))
        .unwrap();
    assert_eq!(lead_in.kind, Kind::Body);
    // The first paragraph of a repost that ends in a colon does not make the article a quote.
    assert_eq!(defence.paragraphs[1].kind, Kind::Body);
}

#[test]
fn sample_furniture_reasons() {
    let docs = documents(&repo().join("index/corpus"));
    let reasons = |id: &str| -> Vec<(String, DropReason)> {
        docs[id]
            .dropped
            .iter()
            .map(|d| (d.text.chars().take(24).collect(), d.reason))
            .collect()
    };
    let dnk = reasons("004_a8b6ee5173a16553");
    assert_eq!(
        dnk,
        vec![
            ("Read in Korean".to_string(), DropReason::Pattern),
            ("#Economic #shift #Korean".to_string(), DropReason::Hashtags)
        ]
    );
    let ifans = reasons("000_f985a095ab119c7d");
    assert!(ifans.contains(&("The Full Text.pdf".to_string(), DropReason::Attachment)));
    assert!(ifans.contains(&("facebook twitter kakaota".to_string(), DropReason::Pattern)));
    assert!(
        ifans
            .iter()
            .any(|(t, r)| t.starts_with("Afghanistan") && *r == DropReason::Teaser)
    );
    assert!(
        ifans
            .iter()
            .any(|(t, r)| t.starts_with("IFANS Focus") && *r == DropReason::Title)
    );
    let narrative = reasons("001_63473eb092a4ea6c");
    assert!(narrative.contains(&("Robert Carlin and Rachel".to_string(), DropReason::Byline)));
    assert!(narrative.contains(&("02/06/2023".to_string(), DropReason::NoText)));
}

#[test]
fn themes_come_from_evidence_and_from_the_document() {
    let docs = documents(&repo().join("index/corpus"));
    let dnk = &docs["004_a8b6ee5173a16553"];
    // The lead paragraph is about trading companies' new trade authority.
    assert!(
        dnk.paragraphs[0]
            .themes
            .contains(&"foreign-trade".to_string()),
        "{:?}",
        dnk.paragraphs[0].themes
    );
    let juche = &docs["003_6c1b6b77df396b05"];
    let p = juche
        .paragraphs
        .iter()
        .find(|p| p.text.starts_with("This calls for advancing"))
        .unwrap();
    assert!(
        p.themes.contains(&"science-technology".to_string()),
        "{:?}",
        p.themes
    );
    for doc in docs.values() {
        for p in &doc.paragraphs {
            assert!(p.themes.len() <= 4, "{:?}", p.themes);
        }
    }
    let blog = &documents(&repo().join("testdata/captures"))["blog-post"];
    assert!(
        blog.paragraphs
            .iter()
            .all(|p| p.themes.contains(&"foreign-trade".to_string()))
    );
}

type Para<'a> = (u32, Kind, Option<&'a str>, Option<&'a str>, &'a str);

fn summary(doc: &Document) -> Vec<Para<'_>> {
    doc.paragraphs
        .iter()
        .map(|p| {
            (
                p.position,
                p.kind,
                p.section.as_deref(),
                p.label.as_deref(),
                p.text.as_str(),
            )
        })
        .collect()
}

#[test]
fn a_news_site_page_saved_as_html() {
    let docs = documents(&repo().join("testdata/captures"));
    let doc = &docs["news-site"];
    assert_eq!(doc.meta.title, "Rice prices climb in Pyongyang markets");
    assert_eq!(doc.meta.source, "Example Korea Monitor");
    assert_eq!(doc.meta.date.as_deref(), Some("2022-07-14"));
    assert_eq!(doc.meta.year, 2022);
    assert_eq!(doc.meta.authors, vec!["Min-ji Park"]);
    assert_eq!(
        doc.meta.url.as_deref(),
        Some("https://monitor.example/2022/07/rice-prices")
    );
    use Kind::*;
    assert_eq!(
        summary(doc),
        vec![
            (
                1,
                Body,
                None,
                None,
                "Rice prices in Pyongyang's markets rose by a fifth in June, according to traders who spoke to this publication, as the state tightened its grip on grain sales."
            ),
            (
                2,
                Body,
                None,
                None,
                "The increase followed an order that all grain be sold through state-run shops, a policy the authorities have tried before & abandoned when supplies ran short."
            ),
            (
                3,
                Body,
                Some("A familiar pattern"),
                None,
                "Analysts say the order fits a wider campaign to restore central control over the distribution of food."
            ),
            (
                4,
                Quote,
                Some("A familiar pattern"),
                None,
                "“The state wants the markets to feed people, but it does not want them to set prices,” one trader said."
            ),
            (
                5,
                Body,
                Some("A familiar pattern"),
                None,
                "Whether the shops can keep their shelves stocked through the lean season is unclear.[1]"
            ),
            (
                6,
                Footnote,
                Some("Notes"),
                Some("1"),
                "Prices were gathered from three markets in Pyongyang between June 1 and June 30."
            ),
        ]
    );
}

#[test]
fn a_markdown_blog_post_with_front_matter() {
    let docs = documents(&repo().join("testdata/captures"));
    let doc = &docs["blog-post"];
    assert_eq!(doc.meta.source, "Example Policy Blog");
    assert_eq!(
        (doc.meta.year, doc.meta.date.as_deref()),
        (2019, Some("2019-03-08"))
    );
    assert_eq!(doc.meta.themes, vec!["foreign-trade"]);
    use Kind::*;
    assert_eq!(
        summary(doc),
        vec![
            (
                1,
                Body,
                None,
                None,
                "North Korea announced more than twenty economic development zones in 2013 and 2014, each meant to draw foreign investment to a province. Few of them ever opened.[1]"
            ),
            (
                2,
                Body,
                Some("What went wrong"),
                None,
                "Investors faced unclear rules, poor roads and the risk that sanctions would trap their money."
            ),
            (
                3,
                Quote,
                Some("What went wrong"),
                None,
                "Special economic zones are windows through which we learn from the outside world while keeping our own system intact."
            ),
            (
                4,
                Body,
                Some("What went wrong"),
                None,
                "The zones that did see activity, such as Rason, depended on trade with China."
            ),
            (
                5,
                Footnote,
                Some("Notes"),
                Some("1"),
                "Figures from the author's count of zones announced in state media."
            ),
        ]
    );
    let dropped: Vec<&str> = doc.dropped.iter().map(|d| d.text.as_str()).collect();
    assert_eq!(
        dropped,
        vec![
            "Home | Archive | About",
            "Special economic zones, revisited",
            "By Alex Kim",
            "Share this: Twitter Facebook",
            "Read more:",
            "Why Rason matters",
            "Sanctions and investment",
            "Subscribe to our newsletter for weekly analysis."
        ]
    );
}

#[test]
fn a_plain_text_report_with_toml_front_matter_and_notes() {
    let docs = documents(&repo().join("testdata/captures"));
    let doc = &docs["report"];
    assert_eq!(
        (doc.meta.source.as_str(), doc.meta.year),
        ("Example Institute", 2022)
    );
    use Kind::*;
    assert_eq!(
        summary(doc),
        vec![
            (
                1,
                Body,
                None,
                None,
                "The state's attempt to monopolize the grain trade in 2021 repeated a pattern seen several times since the famine of the 1990s: a decree, a shortage, and a quiet retreat as markets resumed their role in feeding the cities."
            ),
            (
                2,
                Body,
                None,
                None,
                "This report traces three such cycles and asks what the latest one tells us about the regime's priorities."
            ),
            (
                3,
                Body,
                Some("Findings"),
                None,
                "The first finding is that each decree followed a year of poor harvests."
            ),
            (
                4,
                Body,
                Some("Findings"),
                None,
                "The second finding is that the retreat came within a year each time."
            ),
            (
                5,
                Footnote,
                Some("Notes"),
                Some("1"),
                "Harvest estimates from international agencies."
            ),
            (
                6,
                Footnote,
                Some("Notes"),
                Some("2"),
                "Interviews with traders conducted in 2021."
            ),
        ]
    );
    let reasons: Vec<(&str, DropReason)> = doc
        .dropped
        .iter()
        .map(|d| (d.text.as_str(), d.reason))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("Skip to content", DropReason::Pattern),
            ("Home | Research | Events | About", DropReason::Preamble),
            ("Grain, markets and the state", DropReason::Title),
            ("Published: March 3, 2022", DropReason::Date),
            ("By Jane Roe", DropReason::Byline),
            ("Print this page", DropReason::Pattern),
            ("Tags: grain, markets, food security", DropReason::Pattern),
            (
                "© 2022 Example Institute. All rights reserved.",
                DropReason::Pattern
            ),
        ]
    );
}

#[test]
fn json_lines_exports() {
    let docs = documents(&repo().join("testdata/captures"));
    let wire = &docs["wire-2020-01"];
    assert_eq!(wire.meta.year, 2020);
    assert_eq!(wire.paragraphs.len(), 2);
    assert_eq!(
        wire.paragraphs[1].text,
        "Trade with China fell sharply in February."
    );
    assert!(
        wire.paragraphs
            .iter()
            .all(|p| p.themes.contains(&"pandemic".to_string()))
    );
    assert!(wire.paragraphs.iter().all(|p| p.line == Some(1)));
    let tourism = &docs["export-2"];
    assert_eq!(tourism.meta.title, "Tourism halted");
    assert_eq!(tourism.paragraphs[0].section.as_deref(), Some("Tourism"));
    assert_eq!(tourism.paragraphs[0].line, Some(2));
}

#[test]
fn ids_are_stable_and_url_safe() {
    let a: Vec<String> = documents(&repo().join("testdata/captures"))
        .into_keys()
        .collect();
    let b: Vec<String> = documents(&repo().join("testdata/captures"))
        .into_keys()
        .collect();
    assert_eq!(a, b);
    assert_eq!(
        a,
        vec![
            "blog-post",
            "export-2",
            "news-site",
            "report",
            "wire-2020-01"
        ]
    );
    for id in a {
        assert!(
            id.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
        );
    }
}

// Bad input.

fn corpus_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    dir
}

/// The error of the first document that fails.
fn first_error(dir: &Path) -> String {
    let p = pipeline();
    match Corpus::open(dir) {
        Err(e) => e.to_string(),
        Ok(c) => c
            .documents()
            .find_map(|d| d.and_then(|d| p.prepare(d)).err())
            .map(|e| e.to_string())
            .unwrap_or_default(),
    }
}

const PROSE: &str =
    "A paragraph of prose that is long enough to count as a paragraph of an article.";

#[test]
fn broken_front_matter_names_file_and_line() {
    let toml = format!("+++\ntitle = \"T\"\nyear = 20x1\n+++\n{PROSE}\n");
    let dir = corpus_with(&[("a.md", toml.as_bytes())]);
    let e = first_error(dir.path());
    assert!(
        e.starts_with("a.md:3: TOML front matter does not parse"),
        "{e}"
    );
    let yaml = format!("---\ntitle: T\nyear: [2021\n---\n{PROSE}\n");
    let dir = corpus_with(&[("b.md", yaml.as_bytes())]);
    let e = first_error(dir.path());
    assert!(
        e.starts_with("b.md:") && e.contains("YAML front matter does not parse"),
        "{e}"
    );
    let unclosed = format!("+++\ntitle = \"T\"\n{PROSE}\n");
    let dir = corpus_with(&[("c.md", unclosed.as_bytes())]);
    assert!(first_error(dir.path()).contains("never closed"));
}

#[test]
fn a_document_without_a_year_is_an_error() {
    let dir = corpus_with(&[(
        "a.md",
        format!("+++\ntitle = \"T\"\n+++\n{PROSE}\n").as_bytes(),
    )]);
    assert_eq!(
        first_error(dir.path()),
        "a.md:1: no year: give the document a `year` (or a `date` to take it from)"
    );
    let manifest = r#"[
  {"file": "a.txt", "title": "A", "year": 2020},
  {"file": "b.txt", "title": "B"}
]"#;
    let dir = corpus_with(&[
        ("documents.json", manifest.as_bytes()),
        ("a.txt", PROSE.as_bytes()),
        ("b.txt", PROSE.as_bytes()),
    ]);
    assert_eq!(
        first_error(dir.path()),
        "documents.json:3: no year: give the document a `year` (or a `date` to take it from)"
    );
}

#[test]
fn manifests_in_toml_and_their_errors() {
    let manifest =
        "[[document]]\nfile = \"a.txt\"\ntitle = \"A\"\ndate = 2020-05-01\nsource = \"S\"\n";
    let dir = corpus_with(&[
        ("documents.toml", manifest.as_bytes()),
        ("a.txt", PROSE.as_bytes()),
    ]);
    let docs = documents(dir.path());
    assert_eq!(docs["a"].meta.date.as_deref(), Some("2020-05-01"));
    assert_eq!(docs["a"].meta.year, 2020);
    let missing = r#"[{"file": "nope.txt", "year": 2020}]"#;
    let dir = corpus_with(&[
        ("documents.json", missing.as_bytes()),
        ("a.md", b"+++\nyear = 2020\n+++\ntext\n"),
    ]);
    assert_eq!(
        first_error(dir.path()),
        "documents.json:1: the manifest names `nope.txt`, which does not exist"
    );
    let broken = "[{\"file\": \"a.txt\",\n \"year\": 2020,,}]";
    let dir = corpus_with(&[
        ("documents.json", broken.as_bytes()),
        ("a.txt", PROSE.as_bytes()),
    ]);
    assert!(first_error(dir.path()).starts_with("documents.json:2: manifest does not parse"));
}

#[test]
fn non_utf8_files_name_the_line() {
    let dir = corpus_with(&[(
        "a.txt",
        b"+++\nyear = 2020\n+++\nfine line\nbad \xff byte\n",
    )]);
    assert_eq!(
        first_error(dir.path()),
        "a.txt:5: not UTF-8 text (invalid byte at column 5); convert the file to UTF-8"
    );
}

#[test]
fn an_empty_corpus_is_an_error() {
    let dir = corpus_with(&[("notes.pdf", b"%PDF")]);
    let e = Corpus::open(dir.path()).unwrap_err();
    assert!(matches!(e, CorpusError::Empty(_)));
    assert!(Corpus::open(dir.path().join("missing")).is_err());
}

#[test]
fn unknown_themes_and_duplicate_ids_are_errors() {
    let dir = corpus_with(&[(
        "a.md",
        format!("+++\nyear = 2020\nthemes = [\"trade\"]\n+++\n{PROSE}\n").as_bytes(),
    )]);
    let e = first_error(dir.path());
    assert!(
        e.starts_with("a.md:1: unknown theme `trade`; themes are: central-control, foreign-trade"),
        "{e}"
    );
    let dir = corpus_with(&[
        (
            "a.md",
            format!("+++\nyear = 2020\n+++\n{PROSE}\n").as_bytes(),
        ),
        (
            "b.md",
            format!("+++\nyear = 2020\nid = \"a\"\n+++\n{PROSE}\n").as_bytes(),
        ),
    ]);
    assert!(first_error(dir.path()).contains("document id `a` is already used by a.md"));
    let dir = corpus_with(&[(
        "a.md",
        format!("+++\nyear = 2020\nid = \"Not Safe\"\n+++\n{PROSE}\n").as_bytes(),
    )]);
    assert!(first_error(dir.path()).contains("is not URL-safe"));
}

#[test]
fn a_bad_json_lines_record_does_not_stop_the_others() {
    let jsonl = format!(
        "{{\"title\": \"A\", \"year\": 2020, \"text\": \"{PROSE}\"}}\n{{\"title\": \"B\", \"year\": \n{{\"title\": \"C\", \"year\": 2021, \"text\": \"{PROSE}\"}}\n"
    );
    let dir = corpus_with(&[("x.jsonl", jsonl.as_bytes())]);
    let results: Vec<Result<String, String>> = Corpus::open(dir.path())
        .unwrap()
        .documents()
        .map(|d| d.map(|d| d.meta.id).map_err(|e| e.to_string()))
        .collect();
    assert_eq!(results[0], Ok("x-1".to_string()));
    assert!(
        results[1]
            .as_ref()
            .unwrap_err()
            .starts_with("x.jsonl:2: JSON Lines record does not parse")
    );
    assert_eq!(results[2], Ok("x-3".to_string()));
}
