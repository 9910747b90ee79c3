//! Cleaning: from a capture's blocks to the article's paragraphs.
//!
//! A captured web page is the article surrounded by furniture: navigation, share buttons, e-mail
//! forms, bylines, "read the full article" lines, newsletter sign-ups, hashtags, attachment names,
//! links to other articles. The cleaner works in three passes, none of which knows about any
//! particular site:
//!
//! 1. **Line rules** drop blocks that are furniture wherever they stand: no letters at all, a date
//!    alone, hashtags, attachment file names, truncated teaser titles, the document's own title,
//!    link-only blocks, and short lines matching the configurable patterns (`[cleaning]` in
//!    `config/folio.toml`).
//! 2. **The body region** runs from the first to the last block of prose (a sentence of some
//!    length). Furniture gathers before and after the article, so short non-prose blocks outside
//!    that region are dropped, except the heading right above the first paragraph, footnotes,
//!    and sentences that follow the last paragraph without a gap.
//! 3. **Structure** inside the region: short unpunctuated lines followed by prose are headings
//!    (they become the `section` of the paragraphs below them, not paragraphs); three or more such
//!    lines in a row are a link list and dropped; a block after a lead-in ending in a colon, or
//!    wholly in quotation marks, is a quote; footnote markers attach to the text that follows.
//!
//! Anything the rules are unsure about is kept: losing a sentence of an article is worse than
//! keeping a line of furniture.

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use crate::blocks::{Block, Hint};
use crate::{Kind, Paragraph};

/// Settings of the cleaner (`[cleaning]` in `config/folio.toml`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CleaningConfig {
    /// Case-insensitive regular expressions; a short line matching any of them is furniture.
    pub furniture: Vec<String>,
    /// Lines with more words than this are never matched against `furniture`: a pattern is for
    /// "Read in Korean", not for a sentence that happens to mention a newsletter.
    pub max_furniture_words: usize,
    /// Headings that open a section of notes (case-insensitive, whole heading).
    pub notes_headings: Vec<String>,
}

impl Default for CleaningConfig {
    fn default() -> Self {
        CleaningConfig {
            furniture: Vec::new(),
            max_furniture_words: 15,
            notes_headings: [
                "notes",
                "footnotes",
                "endnotes",
                "references",
                "sources",
                "citations",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// Why a block was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// No letters: separators, page numbers, lone dates.
    NoText,
    /// A date or timestamp alone.
    Date,
    /// A line of hashtags.
    Hashtags,
    /// A file name of an attachment.
    Attachment,
    /// A truncated title of another article ("… after the Talib...").
    Teaser,
    /// The document's own title (or a line holding it with site chrome).
    Title,
    /// The authors' names (and perhaps the site's), not in a sentence.
    Byline,
    /// A block that is a link and nothing else.
    Link,
    /// Matched one of the configured furniture patterns.
    Pattern,
    /// Short non-prose text before the article's first paragraph.
    Preamble,
    /// Short non-prose text after the article's last paragraph.
    Tail,
    /// Three or more short lines in a row inside the article: a menu or a list of links.
    LinkList,
}

/// A block the cleaner dropped, kept for the summary and for `folio clean`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dropped {
    pub line: Option<usize>,
    pub text: String,
    pub reason: DropReason,
}

/// The cleaner, with its patterns compiled once.
#[derive(Clone, Debug)]
pub struct Cleaner {
    patterns: Vec<Regex>,
    max_furniture_words: usize,
    notes_headings: Vec<String>,
}

/// What `Cleaner::clean` produces: the paragraphs (themes not yet tagged) and the dropped lines.
#[derive(Clone, Debug, Default)]
pub struct Cleaned {
    pub paragraphs: Vec<Paragraph>,
    pub dropped: Vec<Dropped>,
}

/// Error in the cleaning settings.
#[derive(Debug, thiserror::Error)]
#[error("cleaning.furniture[{index}]: invalid pattern {pattern:?}: {message}")]
pub struct PatternError {
    pub index: usize,
    pub pattern: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Undecided,
    Drop(DropReason),
    Heading,
    Body,
    Quote,
    Footnote(String),
    Marker,
}

struct Item {
    block: Block,
    words: usize,
    verdict: Verdict,
}

impl Cleaner {
    pub fn new(config: &CleaningConfig) -> Result<Cleaner, PatternError> {
        let patterns = config
            .furniture
            .iter()
            .enumerate()
            .map(|(index, p)| {
                RegexBuilder::new(p)
                    .case_insensitive(true)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| PatternError {
                        index,
                        pattern: p.clone(),
                        message: e.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Cleaner {
            patterns,
            max_furniture_words: config.max_furniture_words,
            notes_headings: config
                .notes_headings
                .iter()
                .map(|h| h.to_lowercase())
                .collect(),
        })
    }

    /// Cleans the blocks of one document; its title and authors help spot title and byline lines.
    pub fn clean(&self, blocks: Vec<Block>, title: &str, authors: &[String]) -> Cleaned {
        let mut items: Vec<Item> = blocks
            .into_iter()
            .map(|block| Item {
                words: block.text.split_whitespace().count(),
                block,
                verdict: Verdict::Undecided,
            })
            .collect();
        self.line_rules(&mut items, title, authors);
        self.body_region(&mut items);
        self.structure(&mut items);
        self.finish(items)
    }

    fn line_rules(&self, items: &mut [Item], title: &str, authors: &[String]) {
        let title_key = letters_key(title);
        let author_keys: Vec<String> = authors
            .iter()
            .map(|a| letters_key(a))
            .filter(|k| k.len() >= 4)
            .collect();
        let title_words = title.split_whitespace().count();
        let mut after_marker = false;
        for item in items.iter_mut() {
            let text = item.block.text.as_str();
            item.verdict = match &item.block.hint {
                Hint::FootnoteMarker(_) => Verdict::Marker,
                Hint::Footnote(label) => Verdict::Footnote(label.clone()),
                _ if after_marker => Verdict::Footnote(String::new()),
                Hint::LinkOnly if item.words <= 20 => Verdict::Drop(DropReason::Link),
                _ if !text.chars().any(char::is_alphabetic) => Verdict::Drop(DropReason::NoText),
                _ if is_hashtags(text) => Verdict::Drop(DropReason::Hashtags),
                _ if is_date_line(text) => Verdict::Drop(DropReason::Date),
                _ if item.words <= self.max_furniture_words
                    && self.patterns.iter().any(|p| p.is_match(text)) =>
                {
                    Verdict::Drop(DropReason::Pattern)
                }
                _ if item.words <= 12 && is_attachment(text) => {
                    Verdict::Drop(DropReason::Attachment)
                }
                _ if item.words <= 15 && is_teaser(text) => Verdict::Drop(DropReason::Teaser),
                // The title, alone or run together with site chrome; a sentence that happens to
                // quote the title is prose and stays.
                _ if title_key.len() >= 8
                    && item.words <= title_words + 25
                    && (letters_key(text) == title_key
                        || (!ends_sentence(text) && letters_key(text).contains(&title_key))) =>
                {
                    Verdict::Drop(DropReason::Title)
                }
                _ if item.words <= 15 && !ends_sentence(text) && is_byline(text, &author_keys) => {
                    Verdict::Drop(DropReason::Byline)
                }
                Hint::Heading => Verdict::Heading,
                _ => Verdict::Undecided,
            };
            after_marker = matches!(item.verdict, Verdict::Marker);
        }
        // Fill in the labels of footnotes that followed a marker.
        let mut pending: Option<String> = None;
        for item in items.iter_mut() {
            if let Hint::FootnoteMarker(label) = &item.block.hint {
                pending = Some(label.clone());
            } else if let Verdict::Footnote(label) = &mut item.verdict
                && label.is_empty()
            {
                *label = pending.take().unwrap_or_default();
            }
        }
    }

    fn body_region(&self, items: &mut [Item]) {
        let is_candidate = |v: &Verdict| matches!(v, Verdict::Undecided);
        let prose: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, it)| is_candidate(&it.verdict) && is_prose(&it.block.text, it.words))
            .map(|(i, _)| i)
            .collect();
        let (Some(&first), Some(&last)) = (prose.first(), prose.last()) else {
            // No prose at all (a very short document): keep what the line rules kept.
            return;
        };
        // Before the body: only a heading right above the first paragraph survives.
        for (i, item) in items.iter_mut().enumerate().take(first) {
            if matches!(item.verdict, Verdict::Undecided | Verdict::Heading) {
                let shaped = item.verdict == Verdict::Heading
                    || is_heading_shaped(&item.block.text, item.words);
                item.verdict = if i + 1 == first && shaped {
                    Verdict::Heading
                } else {
                    Verdict::Drop(DropReason::Preamble)
                };
            }
        }
        // After the body: footnotes and notes headings stay; so do sentences that follow the last
        // paragraph without a gap; everything else is furniture.
        let mut contiguous = true;
        let mut in_notes = false;
        for item in items.iter_mut().skip(last + 1) {
            match &item.verdict {
                Verdict::Footnote(_) | Verdict::Marker => contiguous = false,
                Verdict::Undecided | Verdict::Heading => {
                    let text = &item.block.text;
                    if self.is_notes_heading(text) {
                        item.verdict = Verdict::Heading;
                        in_notes = true;
                    } else if let Some((label, rest)) = numbered_note(text).filter(|_| in_notes) {
                        let (label, rest) = (label.to_string(), rest.to_string());
                        item.block.text = rest;
                        item.verdict = Verdict::Footnote(label);
                    } else if contiguous && is_sentence(text, item.words) {
                        item.verdict = Verdict::Body;
                    } else {
                        item.verdict = Verdict::Drop(DropReason::Tail);
                        contiguous = false;
                    }
                }
                Verdict::Drop(_) => contiguous = false,
                _ => {}
            }
        }
    }

    fn structure(&self, items: &mut [Item]) {
        let n = items.len();
        // Runs of short unpunctuated lines: one or two are headings, three or more a link list.
        let mut i = 0;
        while i < n {
            let shaped = |it: &Item| {
                it.verdict == Verdict::Undecided
                    && it.block.hint == Hint::None
                    && is_heading_shaped(&it.block.text, it.words)
            };
            if !shaped(&items[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < n
                && (shaped(&items[i]) || matches!(items[i].verdict, Verdict::Drop(_)) && i > start)
            {
                i += 1;
            }
            let run: Vec<usize> = (start..i).filter(|&j| shaped(&items[j])).collect();
            let next_is_text = items[i..]
                .iter()
                .find(|it| !matches!(it.verdict, Verdict::Drop(_)))
                .is_some_and(|it| !is_heading_shaped(&it.block.text, it.words));
            let verdict = if run.len() >= 3 {
                Verdict::Drop(DropReason::LinkList)
            } else if next_is_text {
                Verdict::Heading
            } else {
                Verdict::Body
            };
            for j in run {
                items[j].verdict = verdict.clone();
            }
        }
        // Notes sections in plain text: numbered lines after a "Notes" heading.
        let mut in_notes = false;
        for item in items.iter_mut() {
            if item.verdict == Verdict::Heading {
                in_notes = self.is_notes_heading(&item.block.text);
            } else if in_notes
                && item.verdict == Verdict::Undecided
                && let Some((label, rest)) = numbered_note(&item.block.text)
            {
                let rest = rest.to_string();
                item.verdict = Verdict::Footnote(label.to_string());
                item.block.text = rest;
            }
        }
        // Quotes, then everything left is body text.
        let mut previous: Option<(String, bool)> = None; // (text, was it the first kept paragraph)
        let mut kept_any = false;
        for item in items.iter_mut() {
            match item.verdict {
                Verdict::Undecided => {
                    let after_lead_in = previous
                        .as_ref()
                        .is_some_and(|(text, first)| !first && ends_with_colon(text));
                    item.verdict = match item.block.hint {
                        Hint::Quote => Verdict::Quote,
                        Hint::ListItem => Verdict::Body,
                        _ if after_lead_in || is_wholly_quoted(&item.block.text, item.words) => {
                            Verdict::Quote
                        }
                        _ => Verdict::Body,
                    };
                    previous = Some((item.block.text.clone(), !kept_any));
                    kept_any = true;
                }
                Verdict::Body | Verdict::Quote => {
                    previous = Some((item.block.text.clone(), !kept_any));
                    kept_any = true;
                }
                Verdict::Heading => previous = None,
                _ => {}
            }
        }
    }

    fn finish(&self, items: Vec<Item>) -> Cleaned {
        let mut out = Cleaned::default();
        let mut section: Option<String> = None;
        for item in items {
            let line = item.block.line;
            let (kind, label) = match item.verdict {
                Verdict::Drop(reason) => {
                    out.dropped.push(Dropped {
                        line,
                        text: item.block.text,
                        reason,
                    });
                    continue;
                }
                Verdict::Heading => {
                    section = Some(item.block.text);
                    continue;
                }
                Verdict::Marker => continue,
                Verdict::Body | Verdict::Undecided => (Kind::Body, None),
                Verdict::Quote => (Kind::Quote, None),
                Verdict::Footnote(label) => (Kind::Footnote, Some(label).filter(|l| !l.is_empty())),
            };
            let section = match kind {
                Kind::Footnote => Some(
                    section
                        .clone()
                        .filter(|s| self.is_notes_heading(s))
                        .unwrap_or_else(|| "Notes".to_string()),
                ),
                _ => section.clone(),
            };
            out.paragraphs.push(Paragraph {
                position: out.paragraphs.len() as u32 + 1,
                kind,
                section,
                label,
                text: item.block.text,
                line,
                themes: Vec::new(),
            });
        }
        out
    }

    fn is_notes_heading(&self, text: &str) -> bool {
        let t = text.trim().trim_end_matches(':').to_lowercase();
        self.notes_headings.contains(&t)
    }
}

/// Letters and digits only, lowercased and folded: for comparing a line with the title.
fn letters_key(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        folio_text::fold_char(c, &mut out);
    }
    out.retain(|c| c.is_alphanumeric());
    out
}

/// The last character that matters: trailing quotes, brackets and note references
/// (`needed.[8]`, `plunder.”`) are skipped.
fn last_significant(text: &str) -> Option<char> {
    let mut t = text.trim_end();
    loop {
        let before = t;
        t = t.trim_end_matches(['”', '"', '’', '\'', ')', ']', '*', '»', ' ']);
        // A trailing note reference such as [12].
        if let Some(open) = before.rfind('[') {
            let inner = &before[open + 1..];
            if inner.ends_with(']') && inner[..inner.len() - 1].bytes().all(|b| b.is_ascii_digit())
            {
                t = before[..open].trim_end();
            }
        }
        // A note number glued to the end of a sentence: `unclear.1`, `unclear.¹`.
        let digits = t.trim_end_matches(|c: char| c.is_ascii_digit() || "¹²³⁴⁵⁶⁷⁸⁹⁰".contains(c));
        if digits.len() < t.len()
            && t.len() - digits.len() <= 9
            && digits.ends_with(['.', '!', '?', '”', '"', '’'])
        {
            t = digits;
        }
        if t == before {
            break;
        }
    }
    t.chars().last()
}

fn ends_sentence(text: &str) -> bool {
    matches!(
        last_significant(text),
        Some('.' | '!' | '?' | ':' | '…' | ';')
    )
}

fn ends_with_colon(text: &str) -> bool {
    last_significant(text) == Some(':')
}

/// A block of prose: long, or a sentence of reasonable length.
fn is_prose(text: &str, words: usize) -> bool {
    words >= 20 || (words >= 8 && ends_sentence(text))
}

/// A sentence of the article rather than a widget label.
fn is_sentence(text: &str, words: usize) -> bool {
    words >= 4
        && ends_sentence(text)
        && text.chars().next().is_some_and(|c| {
            c.is_uppercase() || c.is_numeric() || matches!(c, '“' | '"' | '‘' | '…' | '[')
        })
}

/// Short, unpunctuated, starting like a title: the shape of a heading (or of a menu entry).
fn is_heading_shaped(text: &str, words: usize) -> bool {
    if words == 0 || words > 12 || text.chars().count() > 100 {
        return false;
    }
    if matches!(
        last_significant(text),
        Some('.' | ',' | ';' | ':' | '!' | '…')
    ) {
        return false;
    }
    let first = text.trim_start().chars().next();
    first.is_some_and(|c| {
        c.is_uppercase()
            || c.is_numeric()
            || ('\u{2160}'..='\u{217F}').contains(&c)
            || folio_text::is_cjk(c)
    })
}

/// `By Jane Doe`, or a short line naming one of the document's authors.
fn is_byline(text: &str, author_keys: &[String]) -> bool {
    let lower = text.trim_start().to_lowercase();
    if lower.starts_with("by ") && text.split_whitespace().count() <= 10 {
        return true;
    }
    let key = letters_key(text);
    author_keys.iter().any(|a| key.contains(a.as_str()))
}

fn is_hashtags(text: &str) -> bool {
    let mut any = false;
    for word in text.split_whitespace() {
        if !(word.starts_with('#') && word.len() > 1 && !word[1..].starts_with(' ')) {
            return false;
        }
        any = true;
    }
    any
}

fn is_date_line(text: &str) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"(?ix)^
            (?:(?:published|posted|updated|last\ updated|date|upload\ date|on)\s*:?\s*)?
            (?:
              \d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}
            | (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}
            | \d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+\d{4}
            | (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{4}
            )
            (?:[\sT,]+\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm|[a-z]{2,4})?)?
            \s*$",
        )
        .expect("static regex")
    });
    re.is_match(text.trim())
}

fn is_attachment(text: &str) -> bool {
    let t = text.trim().to_ascii_lowercase();
    [
        ".pdf", ".doc", ".docx", ".hwp", ".hwpx", ".xls", ".xlsx", ".ppt", ".pptx", ".zip", ".epub",
    ]
    .iter()
    .any(|ext| t.ends_with(ext))
}

/// A truncated title: ends in an ellipsis without having ended a sentence first.
fn is_teaser(text: &str) -> bool {
    let t = text.trim();
    let body = t.strip_suffix("...").or_else(|| t.strip_suffix('…'));
    match body {
        Some(rest) => {
            !rest.starts_with('…') && !t.starts_with('…') && !rest.ends_with(['.', '!', '?'])
        }
        None => false,
    }
}

/// `12. text` or `[12] text` or `12 text` in a notes section.
fn numbered_note(text: &str) -> Option<(&str, &str)> {
    let t = text.trim_start();
    let (label, rest) = if let Some(rest) = t.strip_prefix('[') {
        let end = rest.find(']')?;
        (&rest[..end], &rest[end + 1..])
    } else {
        let end = t.find(|c: char| !c.is_ascii_digit())?;
        let rest = t[end..].strip_prefix('.').unwrap_or(&t[end..]);
        (&t[..end], rest)
    };
    let rest = rest.trim_start();
    (!label.is_empty()
        && label.len() <= 3
        && label.bytes().all(|b| b.is_ascii_digit())
        && !rest.is_empty())
    .then_some((label, rest))
}

/// A paragraph that is a quotation from start to end (perhaps with a citation after it).
fn is_wholly_quoted(text: &str, words: usize) -> bool {
    if words < 8 {
        return false;
    }
    let t = text.trim();
    if t.starts_with('…') {
        return true;
    }
    let Some(open) = t.chars().next().filter(|c| matches!(c, '“' | '"')) else {
        return false;
    };
    let close = if open == '“' { '”' } else { '"' };
    // The last closing mark is near the end (at most a short citation follows it) and is the
    // only one: the paragraph is one quotation, not prose quoting several phrases.
    let body = &t[open.len_utf8()..];
    body.rfind(close)
        .is_some_and(|i| body.len() - i <= 90 && !body[..i].contains(close))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_significant_skips_quotes_and_note_refs() {
        assert_eq!(last_significant("needed.[8]"), Some('.'));
        assert_eq!(last_significant("plunder.”"), Some('.'));
        assert_eq!(last_significant("(Emphasis added.)"), Some('.'));
        assert_eq!(last_significant("Conclusion"), Some('n'));
        assert_eq!(last_significant("is unclear.1"), Some('.'));
        assert_eq!(last_significant("in 2021"), Some('1'));
    }

    #[test]
    fn quotations_closed_early_are_not_whole_quotes() {
        // Regression: a quotation closed early, with multi-byte text after it, once panicked.
        let text = "“This directive has made the formation of trade negotiation teams much more flexible,” the source said, and the directive applies only to trading companies of the 구역 under the ministries.";
        assert!(!is_wholly_quoted(text, 30));
        assert!(!is_wholly_quoted(
            "“Trade” and “aid” are words the regime uses about its partners abroad.",
            12
        ));
        assert!(is_wholly_quoted(
            "“A self-supporting national economy is by no means a closed economy.” (Works, p. 199).",
            14
        ));
    }

    #[test]
    fn shapes() {
        assert!(is_heading_shaped(
            "Ⅱ. Latest Developments Seen from the Perspective of Organizational Politics",
            9
        ));
        assert!(is_heading_shaped("Juche as a Shield Against Trade", 6));
        assert!(!is_heading_shaped("Nevertheless:", 1));
        assert!(is_hashtags("#NorthKorea #Sanctions"));
        assert!(!is_hashtags("# Heading"));
        assert!(is_date_line("02/06/2023"));
        assert!(is_date_line("February 6, 2023"));
        assert!(is_date_line("Published: 2021-11-02 10:30"));
        assert!(!is_date_line("In February 2019 the summit failed."));
        assert!(is_teaser(
            "Afghanistan’s Internal and External Dynamics after the Talib..."
        ));
        assert!(!is_teaser("…foreign economic cooperation."));
        assert!(is_attachment("The Full Text.pdf"));
        assert_eq!(numbered_note("12. Ibid."), Some(("12", "Ibid.")));
        assert!(is_wholly_quoted(
            "“A self-supporting national economy is by no means a closed economy.” (The Complete Works of Kim Jong Il, Volume 4, p. 199).",
            25
        ));
    }
}
