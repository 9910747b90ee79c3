//! folio's corpus reader: from a folder of research articles to clean, tagged paragraphs.
//!
//! Owns: the corpus formats and their metadata ([`source`], [`meta`]), turning each format into
//! blocks ([`blocks`]), removing page furniture and finding headings, quotes and footnotes
//! ([`clean`]), and theme tagging ([`themes`]). Knows nothing of tantivy or HTTP: the indexer takes
//! the [`Document`]s this crate yields and writes them.

pub mod blocks;
pub mod clean;
pub mod error;
pub mod meta;
pub mod source;
pub mod themes;

use serde::{Deserialize, Serialize};

pub use clean::{Cleaner, CleaningConfig, DropReason, Dropped};
pub use error::{CorpusError, Location, Result};
pub use meta::DocumentMeta;
pub use source::{Corpus, Format, SourceDocument};
pub use themes::{Tagger, Taxonomy, ThemeExplanation};

/// What a paragraph is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The author's own prose.
    Body,
    /// A quotation set apart from the prose (a block quote, an excerpt after a lead-in).
    Quote,
    /// A footnote or endnote.
    Footnote,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Body => "body",
            Kind::Quote => "quote",
            Kind::Footnote => "footnote",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "body" => Some(Kind::Body),
            "quote" => Some(Kind::Quote),
            "footnote" => Some(Kind::Footnote),
            _ => None,
        }
    }
}

/// One paragraph: the unit folio searches.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Paragraph {
    /// 1-based position in its document.
    pub position: u32,
    pub kind: Kind,
    /// The heading above the paragraph; `Notes` (or the notes heading) for footnotes.
    pub section: Option<String>,
    /// A footnote's label (`3` for note [3]).
    pub label: Option<String>,
    pub text: String,
    /// Line of the source file where the paragraph starts.
    pub line: Option<usize>,
    /// Theme ids, strongest first.
    pub themes: Vec<String>,
}

/// The stable id of a paragraph: its document's id and its position.
pub fn paragraph_id(doc_id: &str, position: u32) -> String {
    format!("{doc_id}-p{position}")
}

/// Splits a paragraph id back into document id and position.
pub fn split_paragraph_id(id: &str) -> Option<(&str, u32)> {
    let (doc, pos) = id.rsplit_once("-p")?;
    let pos: u32 = pos.parse().ok()?;
    (!doc.is_empty() && pos > 0).then_some((doc, pos))
}

/// A document ready for indexing.
#[derive(Clone, Debug)]
pub struct Document {
    pub meta: DocumentMeta,
    pub paragraphs: Vec<Paragraph>,
    /// The lines dropped as furniture.
    pub dropped: Vec<Dropped>,
}

/// Cleaning and tagging, configured once and applied to each document.
#[derive(Debug)]
pub struct Pipeline {
    cleaner: Cleaner,
    tagger: Tagger,
}

impl Pipeline {
    pub fn new(cleaner: Cleaner, tagger: Tagger) -> Pipeline {
        Pipeline { cleaner, tagger }
    }

    pub fn tagger(&self) -> &Tagger {
        &self.tagger
    }

    /// Splits a document's text into blocks according to its format.
    pub fn blocks(&self, src: &SourceDocument) -> Vec<blocks::Block> {
        let mut blocks = match src.format {
            Format::Text => blocks::from_text(&src.body, src.first_line),
            Format::Markdown => blocks::from_markdown(&src.body, src.first_line),
            Format::Html => blocks::from_html(&src.body),
        };
        if let Some(line) = src.location.line {
            // A JSON Lines record: every paragraph is on the record's line.
            for b in &mut blocks {
                b.line = Some(line);
            }
        }
        blocks
    }

    /// Cleans, splits and tags one document.
    pub fn prepare(&self, src: SourceDocument) -> Result<Document> {
        if let Some(unknown) = src.meta.themes.iter().find(|t| !self.tagger.knows(t)) {
            let known: Vec<&str> = self.tagger.ids().collect();
            return Err(CorpusError::Metadata {
                at: Location {
                    line: src.location.line.or(Some(1)),
                    ..src.location.clone()
                },
                message: format!(
                    "unknown theme `{unknown}`; themes are: {}",
                    known.join(", ")
                ),
            });
        }
        let blocks = self.blocks(&src);
        let cleaned = self
            .cleaner
            .clean(blocks, &src.meta.title, &src.meta.authors);
        let mut paragraphs = cleaned.paragraphs;
        for p in &mut paragraphs {
            p.themes = self.tagger.tag(&p.text, &src.meta.themes);
        }
        Ok(Document {
            meta: src.meta,
            paragraphs,
            dropped: cleaned.dropped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraph_ids_round_trip() {
        let id = paragraph_id("000_f985a095ab119c7d", 12);
        assert_eq!(id, "000_f985a095ab119c7d-p12");
        assert_eq!(split_paragraph_id(&id), Some(("000_f985a095ab119c7d", 12)));
        assert_eq!(split_paragraph_id("x-p0"), None);
        assert_eq!(split_paragraph_id("nothing"), None);
    }
}
