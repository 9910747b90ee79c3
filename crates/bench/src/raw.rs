//! The raw tantivy baselines.
//!
//! Indexing: the corpus's paragraph texts (split on blank lines, as folio splits a JSON Lines
//! record's `text`) and their document titles into a plain schema (`title` and `text`, tokenizer
//! `en_stem`, positions, stored), with the writer memory and threads folio uses; no cleaning, no
//! tagging, no metadata.
//!
//! Searching: folio's own index, queried with tantivy's `QueryParser` on the text field (folio's
//! tokenizer registered; conjunction by default; filters as `source:"…"`, `themes:"…"`,
//! `year:[a TO b]`; a prefix `infor*`, which the parser only takes after another word, as a
//! `RegexQuery` `infor.*` ANDed with the rest) and collected with `TopDocs::with_limit(10).order_by_score()` and `Count`,
//! loading the 10 stored documents: what tantivy does for a search, without folio's query
//! analysis, facets and highlights.

use std::io::BufRead;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query as TantivyQuery, QueryParser, RegexQuery};
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument};

use crate::engines::Outcome;
use crate::queries::Query;

/// What indexing did.
#[derive(Debug, Serialize, Deserialize)]
pub struct BuildReport {
    pub paragraphs: u64,
    pub secs: f64,
}

#[derive(Deserialize)]
struct Record {
    #[serde(default)]
    title: String,
    text: String,
}

/// Indexes the corpus's JSON Lines files into `out` (run in a child process).
pub fn build(corpus: &Path, out: &Path) -> anyhow::Result<BuildReport> {
    let started = Instant::now();
    let mut schema = Schema::builder();
    let options = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("en_stem")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let title = schema.add_text_field("title", options.clone());
    let text = schema.add_text_field("text", options);
    std::fs::create_dir_all(out)?;
    let index = Index::create_in_dir(out, schema.build())?;
    let config = crate::settings::index_config()?;
    let threads = crate::settings::index_threads(&config);
    let memory = config.writer_memory_mb.max(15 * threads) * 1024 * 1024;
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(threads, memory)?;

    let mut files: Vec<_> = std::fs::read_dir(corpus)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut paragraphs = 0u64;
    for f in files {
        let reader = std::io::BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(&f).with_context(|| format!("cannot read {}", f.display()))?,
        );
        for line in reader.lines() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let rec: Record = serde_json::from_str(&line)?;
            for p in rec.text.split("\n\n") {
                let p = p.trim();
                if p.is_empty() {
                    continue;
                }
                let mut doc = TantivyDocument::default();
                doc.add_text(title, &rec.title);
                doc.add_text(text, p);
                writer.add_document(doc)?;
                paragraphs += 1;
            }
        }
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(BuildReport {
        paragraphs,
        secs: started.elapsed().as_secs_f64(),
    })
}

/// folio's index, opened as plain tantivy.
pub struct RawSearch {
    reader: IndexReader,
    parser: QueryParser,
    text: tantivy::schema::Field,
}

impl RawSearch {
    /// Opens the tantivy index in `build` (a folio build folder).
    pub fn open(build: &Path) -> anyhow::Result<RawSearch> {
        let index = Index::open_in_dir(build)?;
        folio_search::analyzer::register(&index, &folio_text::Analyzer::new());
        let text = index
            .schema()
            .get_field(folio_search::schema::names::TEXT)?;
        let mut parser = QueryParser::for_index(&index, vec![text]);
        parser.set_conjunction_by_default();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(RawSearch {
            reader,
            parser,
            text,
        })
    }

    pub fn search(&self, q: &Query) -> anyhow::Result<Outcome> {
        let text = q.tantivy_q();
        let mut parts: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
        if !text.is_empty() {
            parts.push((Occur::Must, self.parser.parse_query(&text)?));
        }
        for p in q.prefixes() {
            parts.push((
                Occur::Must,
                Box::new(RegexQuery::from_pattern(&format!("{p}.*"), self.text)?),
            ));
        }
        let query: Box<dyn TantivyQuery> = match parts.len() {
            1 => parts.pop().expect("one").1,
            _ => Box::new(BooleanQuery::new(parts)),
        };
        let searcher = self.reader.searcher();
        let (top, total) =
            searcher.search(&query, &(TopDocs::with_limit(10).order_by_score(), Count))?;
        let mut bytes = 0;
        for (_, address) in &top {
            let doc: TantivyDocument = searcher.doc(*address)?;
            bytes += doc
                .get_first(self.text)
                .and_then(|v| v.as_str())
                .map_or(0, str::len);
        }
        std::hint::black_box(bytes);
        Ok(Outcome {
            total: total as u64,
            hits: top.len(),
        })
    }
}
