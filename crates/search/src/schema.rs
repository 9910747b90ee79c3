//! The index schema: the one place where the fields of a paragraph document are defined.
//!
//! Every paragraph is a tantivy document carrying its own text and a copy of its document's
//! metadata, so that a hit needs no second lookup and facets count paragraphs directly. The
//! words of the title and authors are indexed once per document, on its first paragraph: a
//! document's paragraphs sit side by side in one segment, and a match there stands for all of
//! them (see [`crate::documents`]).

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};

use crate::analyzer::{ANALYZER_NAME, TEXT_ANALYZER_NAME};

/// Version of the schema and analysis; an index built with another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 6;

/// Field names, as constants so that every crate spells them the same way.
pub mod names {
    pub const ID: &str = "id";
    pub const DOC_ID: &str = "doc_id";
    pub const DOC_KEY: &str = "doc_key";
    pub const FACET_KEY: &str = "facet_key";
    pub const THEME_BITS: &str = "theme_bits";
    pub const ORDER: &str = "order";
    pub const POSITION: &str = "position";
    pub const KIND: &str = "kind";
    pub const LABEL: &str = "label";
    pub const TITLE: &str = "title";
    pub const TITLE_TERMS: &str = "title_terms";
    pub const SECTION: &str = "section";
    pub const TEXT: &str = "text";
    pub const SOURCE: &str = "source";
    pub const YEAR: &str = "year";
    pub const THEMES: &str = "themes";
    pub const DOC_THEMES: &str = "doc_themes";
    pub const DATE: &str = "date";
    pub const AUTHORS: &str = "authors";
    pub const AUTHOR_TERMS: &str = "author_terms";
    pub const URL: &str = "url";
    pub const LANGUAGE: &str = "language";
    pub const SERIES: &str = "series";
    pub const PUBLISHER: &str = "publisher";
    pub const FILE: &str = "file";
}

/// Handles of every field.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// Paragraph id (`{doc_id}-p{position}`): raw, stored.
    pub id: Field,
    /// Document id: raw, stored, fast (filters and lookups).
    pub doc_id: Field,
    /// A 64-bit hash of the document id, fast: groups paragraphs by document across segments.
    pub doc_key: Field,
    /// Source, year and kind packed into one number ([`FacetCodes::key`]), fast: what the
    /// collector reads for every matching paragraph to filter and count facets.
    pub facet_key: Field,
    /// The paragraph's themes as a bit set ([`FacetCodes::theme_bits`]), fast.
    pub theme_bits: Field,
    /// Rank of the paragraph in corpus order, fast: breaks score ties the same way every time.
    pub order: Field,
    pub position: Field,
    /// `body`, `quote` or `footnote`: raw, stored, fast.
    pub kind: Field,
    pub label: Field,
    /// The document's title, stored.
    pub title: Field,
    /// The title's words, on the document's first paragraph only: searched with `title:` and
    /// used to boost the paragraphs of matching documents.
    pub title_terms: Field,
    /// Analyzed, stored: the heading above the paragraph.
    pub section: Field,
    /// Analyzed with positions and common grams, stored: what a paragraph matches on.
    pub text: Field,
    /// Facet fields: raw, stored, fast.
    pub source: Field,
    pub year: Field,
    pub themes: Field,
    pub doc_themes: Field,
    pub date: Field,
    /// Stored.
    pub authors: Field,
    /// The authors' words (for `author:`), on the document's first paragraph only.
    pub author_terms: Field,
    pub url: Field,
    pub language: Field,
    pub series: Field,
    pub publisher: Field,
    pub file: Field,
}

fn analyzed(positions: bool) -> TextOptions {
    analyzed_with(ANALYZER_NAME, positions)
}

fn analyzed_with(tokenizer: &str, positions: bool) -> TextOptions {
    indexed_only(tokenizer, positions).set_stored()
}

fn indexed_only(tokenizer: &str, positions: bool) -> TextOptions {
    let record = if positions {
        IndexRecordOption::WithFreqsAndPositions
    } else {
        IndexRecordOption::WithFreqs
    };
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record),
    )
}

/// Builds the schema.
pub fn build_schema() -> (Schema, Fields) {
    use names::*;
    let mut b = Schema::builder();
    let stored_only = TextOptions::default().set_stored();
    let fields = Fields {
        id: b.add_text_field(ID, stored_only.clone()),
        doc_id: b.add_text_field(DOC_ID, STRING | STORED),
        doc_key: b.add_u64_field(DOC_KEY, NumericOptions::default().set_fast()),
        facet_key: b.add_u64_field(FACET_KEY, NumericOptions::default().set_fast()),
        theme_bits: b.add_u64_field(THEME_BITS, NumericOptions::default().set_fast()),
        order: b.add_u64_field(ORDER, NumericOptions::default().set_fast()),
        position: b.add_u64_field(
            POSITION,
            NumericOptions::default()
                .set_indexed()
                .set_stored()
                .set_fast(),
        ),
        kind: b.add_text_field(KIND, STRING | STORED),
        label: b.add_text_field(LABEL, stored_only.clone()),
        title: b.add_text_field(TITLE, stored_only.clone()),
        title_terms: b.add_text_field(TITLE_TERMS, indexed_only(ANALYZER_NAME, true)),
        section: b.add_text_field(SECTION, analyzed(true)),
        text: b.add_text_field(TEXT, analyzed_with(TEXT_ANALYZER_NAME, true)),
        source: b.add_text_field(SOURCE, STRING | STORED),
        year: b.add_u64_field(
            YEAR,
            NumericOptions::default()
                .set_indexed()
                .set_stored()
                .set_fast(),
        ),
        themes: b.add_text_field(THEMES, STRING | STORED),
        doc_themes: b.add_text_field(DOC_THEMES, stored_only.clone()),
        date: b.add_text_field(DATE, stored_only.clone()),
        authors: b.add_text_field(AUTHORS, stored_only.clone()),
        author_terms: b.add_text_field(AUTHOR_TERMS, indexed_only(ANALYZER_NAME, true)),
        url: b.add_text_field(URL, stored_only.clone()),
        language: b.add_text_field(LANGUAGE, STRING | STORED),
        series: b.add_text_field(SERIES, stored_only.clone()),
        publisher: b.add_text_field(PUBLISHER, stored_only.clone()),
        file: b.add_text_field(FILE, stored_only),
    };
    (b.build(), fields)
}

/// The key that groups paragraphs by document: the first 8 bytes of the id's BLAKE3 hash.
pub fn doc_key(doc_id: &str) -> u64 {
    let hash = blake3::hash(doc_id.as_bytes());
    u64::from_le_bytes(hash.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// Facet values as small numbers, assigned while indexing and kept with the build, so that the
/// collector reads two numbers per matching paragraph instead of three string columns.
///
/// `facet_key = source_id << 16 | year << 2 | kind`; `theme_bits` has bit `i` set for the `i`-th
/// theme of the taxonomy the index was built with (so a taxonomy has at most 64 themes).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FacetCodes {
    /// Source names by id, in order of first appearance in the corpus.
    pub sources: Vec<String>,
    /// Theme ids by bit.
    pub themes: Vec<String>,
    #[serde(skip)]
    source_ids: std::collections::HashMap<String, u32>,
}

/// Most themes a taxonomy may have: one bit each in `theme_bits`.
pub const MAX_THEMES: usize = folio_corpus::themes::MAX_THEMES;

impl FacetCodes {
    /// Codes for an index built with the themes `themes` (taxonomy order).
    pub fn new(themes: Vec<String>) -> Result<FacetCodes, String> {
        if themes.len() > MAX_THEMES {
            return Err(format!(
                "the taxonomy has {} themes; folio supports at most {MAX_THEMES}",
                themes.len()
            ));
        }
        Ok(FacetCodes {
            sources: Vec::new(),
            themes,
            source_ids: Default::default(),
        })
    }

    /// The id of a source, assigning the next one to a new source.
    pub fn source_id(&mut self, source: &str) -> u32 {
        if let Some(&id) = self.source_ids.get(source) {
            return id;
        }
        let id = self.sources.len() as u32;
        self.sources.push(source.to_string());
        self.source_ids.insert(source.to_string(), id);
        id
    }

    pub fn key(source_id: u32, year: u32, kind: folio_corpus::Kind) -> u64 {
        let kind = match kind {
            folio_corpus::Kind::Body => 0,
            folio_corpus::Kind::Quote => 1,
            folio_corpus::Kind::Footnote => 2,
        };
        ((source_id as u64) << 16) | ((year.min(0x3fff) as u64) << 2) | kind
    }

    /// The kind code of footnotes in a key.
    pub const FOOTNOTE: u64 = 2;

    pub fn key_source(key: u64) -> usize {
        (key >> 16) as usize
    }

    pub fn key_year(key: u64) -> u64 {
        (key >> 2) & 0x3fff
    }

    pub fn key_kind(key: u64) -> u64 {
        key & 3
    }

    /// The bits of `themes` (ids not in the taxonomy have none).
    pub fn theme_bits(&self, themes: &[String]) -> u64 {
        themes
            .iter()
            .filter_map(|t| self.themes.iter().position(|x| x == t))
            .fold(0, |bits, i| bits | (1u64 << i))
    }
}

/// The tantivy document of one paragraph. `order` is its rank in corpus order; `first`: the
/// paragraph is its document's first (which carries the words of the title and authors).
pub fn paragraph_document(
    fields: &Fields,
    codes: &mut FacetCodes,
    meta: &folio_corpus::DocumentMeta,
    paragraph: &folio_corpus::Paragraph,
    order: u64,
    first: bool,
) -> tantivy::TantivyDocument {
    let mut d = tantivy::TantivyDocument::default();
    let source_id = codes.source_id(&meta.source);
    d.add_u64(
        fields.facet_key,
        FacetCodes::key(source_id, meta.year, paragraph.kind),
    );
    d.add_u64(fields.theme_bits, codes.theme_bits(&paragraph.themes));
    d.add_text(
        fields.id,
        folio_corpus::paragraph_id(&meta.id, paragraph.position),
    );
    d.add_text(fields.doc_id, &meta.id);
    d.add_u64(fields.doc_key, doc_key(&meta.id));
    d.add_u64(fields.order, order);
    d.add_u64(fields.position, paragraph.position as u64);
    d.add_text(fields.kind, paragraph.kind.as_str());
    if let Some(label) = &paragraph.label {
        d.add_text(fields.label, label);
    }
    d.add_text(fields.title, &meta.title);
    if first {
        d.add_text(fields.title_terms, &meta.title);
        for a in &meta.authors {
            d.add_text(fields.author_terms, a);
        }
    }
    if let Some(section) = &paragraph.section {
        d.add_text(fields.section, section);
    }
    d.add_text(fields.text, &paragraph.text);
    d.add_text(fields.source, &meta.source);
    d.add_u64(fields.year, meta.year as u64);
    for t in &paragraph.themes {
        d.add_text(fields.themes, t);
    }
    for t in &meta.themes {
        d.add_text(fields.doc_themes, t);
    }
    if let Some(date) = &meta.date {
        d.add_text(fields.date, date);
    }
    for a in &meta.authors {
        d.add_text(fields.authors, a);
    }
    if let Some(url) = &meta.url {
        d.add_text(fields.url, url);
    }
    d.add_text(fields.language, &meta.language);
    if let Some(series) = &meta.series {
        d.add_text(fields.series, series);
    }
    if let Some(publisher) = &meta.publisher {
        d.add_text(fields.publisher, publisher);
    }
    d.add_text(fields.file, &meta.file);
    d
}

/// Bytes of stored paragraphs compressed together. A hit reads its paragraph by decompressing
/// the whole block that holds it; tantivy's default of 16 KB made the ten reads of a search
/// decompress 160 KB. Paragraphs of one document are stored side by side, so their repeated
/// metadata still compresses within a block.
const DOCSTORE_BLOCK_BYTES: usize = 4096;

/// Creates an empty index with folio's schema and analyzer in `path`.
pub fn create_index(
    path: &std::path::Path,
    analyzer: &folio_text::Analyzer,
) -> tantivy::Result<(tantivy::Index, Fields)> {
    let (schema, fields) = build_schema();
    let settings = tantivy::IndexSettings {
        docstore_blocksize: DOCSTORE_BLOCK_BYTES,
        // Blocks of 4 KB are four times as many hand-offs to a compressing thread: 55,000
        // context switches to index 200,000 paragraphs against 7,000 when each indexing thread
        // compresses its own (lz4: a few microseconds a block), and a tenth of the wall time.
        docstore_compress_dedicated_thread: false,
        ..Default::default()
    };
    let index = tantivy::Index::builder()
        .schema(schema)
        .settings(settings)
        .create_in_dir(path)?;
    crate::analyzer::register(&index, analyzer);
    Ok((index, fields))
}
