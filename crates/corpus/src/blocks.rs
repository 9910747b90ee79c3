//! From a file's text to a flat list of [`Block`]s: one per paragraph-like unit, with the line it
//! starts on and whatever the format says about it (a Markdown heading, an HTML blockquote, a
//! footnote definition). The cleaner decides what each block is; formats only report what they
//! know for sure.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use scraper::{ElementRef, Html, Node, Selector};

/// What the file format says about a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hint {
    /// Nothing: plain text, the cleaner decides.
    None,
    /// A heading (`#`, `<h2>`).
    Heading,
    /// A block quotation (`>`, `<blockquote>`).
    Quote,
    /// The text of a footnote, with its label.
    Footnote(String),
    /// A line that is only a footnote marker (`[3]`, `- [3]`, `1. [1]`): the next block is the
    /// footnote's text.
    FootnoteMarker(String),
    /// A list item.
    ListItem,
    /// A block that is a link and nothing else (a list of related articles, a menu).
    LinkOnly,
}

/// A paragraph-like unit of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The text, whitespace collapsed.
    pub text: String,
    /// 1-based line in the file where the block starts, when known.
    pub line: Option<usize>,
    pub hint: Hint,
}

impl Block {
    fn new(text: &str, line: Option<usize>, hint: Hint) -> Option<Block> {
        let text = collapse_whitespace(text);
        (!text.is_empty()).then_some(Block { text, line, hint })
    }
}

/// Collapses runs of whitespace (no-break spaces included) into one space and trims.
pub fn collapse_whitespace(s: &str) -> String {
    if is_collapsed(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for word in s.split(is_space) {
        if !word.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// What [`collapse_whitespace`] collapses: Unicode white space and the invisible spaces that
/// captures leave behind.
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{200b}' || c == '\u{feff}'
}

/// Whether `s` has single ASCII spaces between words and none around them: most paragraphs of a
/// cleaned corpus, which then need no splitting. ASCII is checked byte by byte; only characters
/// beyond it (quotation marks, dashes, Hangul) are decoded.
fn is_collapsed(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    let mut prev_space = false;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b' ' if prev_space => return false,
            b' ' => prev_space = true,
            b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => return false,
            0x80.. => {
                let ch = s[i..].chars().next().unwrap_or(' ');
                if is_space(ch) {
                    return false;
                }
                prev_space = false;
                i += ch.len_utf8();
                continue;
            }
            _ => prev_space = false,
        }
        i += 1;
    }
    true
}

/// Recognises a line that is only a footnote marker: `[3]`, `- [3]`, `1. [1]`, `[^3]`.
pub fn footnote_marker(line: &str) -> Option<String> {
    let t = line.trim();
    let t = t
        .strip_prefix(['-', '*', '•'])
        .map(str::trim_start)
        .unwrap_or(t);
    let t = match t.find(". ") {
        Some(i) if t[..i].bytes().all(|b| b.is_ascii_digit()) && i > 0 => t[i + 2..].trim_start(),
        _ => t,
    };
    let inner = t.strip_prefix('[')?.strip_suffix(']')?;
    let inner = inner.strip_prefix('^').unwrap_or(inner);
    (!inner.is_empty() && inner.len() <= 4 && inner.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| inner.to_string())
}

/// Plain text: blank lines separate groups; a group of hard-wrapped lines is one block, any other
/// group gives a block per line (captures put one paragraph on each line).
pub fn from_text(text: &str, first_line: usize) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut group: Vec<(usize, &str)> = Vec::new();
    let flush = |group: &mut Vec<(usize, &str)>, blocks: &mut Vec<Block>| {
        if group.is_empty() {
            return;
        }
        if is_hard_wrapped(group) {
            let joined = group.iter().map(|(_, l)| *l).collect::<Vec<_>>().join(" ");
            blocks.extend(Block::new(&joined, Some(group[0].0), Hint::None));
        } else {
            for &(line, text) in group.iter() {
                blocks.extend(text_line_block(text, line));
            }
        }
        group.clear();
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            flush(&mut group, &mut blocks);
        } else {
            group.push((first_line + i, line));
        }
    }
    flush(&mut group, &mut blocks);
    blocks
}

fn text_line_block(text: &str, line: usize) -> Option<Block> {
    if let Some(label) = footnote_marker(text) {
        return Block::new(text, Some(line), Hint::FootnoteMarker(label));
    }
    let trimmed = text.trim_start();
    if let Some(rest) = trimmed.strip_prefix('[') {
        // `[12] The text of the note` at the start of a line.
        if let Some(end) = rest.find(']') {
            let label = &rest[..end];
            let after = &rest[end + 1..];
            if !label.is_empty()
                && label.len() <= 3
                && label.bytes().all(|b| b.is_ascii_digit())
                && after.starts_with(' ')
            {
                return Block::new(after, Some(line), Hint::Footnote(label.to_string()));
            }
        }
    }
    if let Some(rest) = trimmed
        .strip_prefix("# ")
        .or_else(|| trimmed.strip_prefix("## "))
    {
        return Block::new(rest, Some(line), Hint::Heading);
    }
    Block::new(text, Some(line), Hint::None)
}

/// Lines broken at a fixed width by an editor: every line but the last is of similar, moderate
/// length, none looks like a list item or a marker, and most breaks fall inside a sentence. Short
/// lines of their own (a tag line, a copyright notice) and one-sentence-per-line text stay apart.
fn is_hard_wrapped(group: &[(usize, &str)]) -> bool {
    if group.len() < 2 {
        return false;
    }
    let (init, _) = group.split_at(group.len() - 1);
    let moderate = init
        .iter()
        .all(|(_, l)| (45..=100).contains(&l.trim_end().chars().count()));
    let no_items = group.iter().all(|(_, l)| !is_item_line(l));
    let mid_sentence = group
        .windows(2)
        .filter(|w| {
            let prev = w[0].1.trim_end();
            let next = w[1].1.trim_start();
            !prev.ends_with(['.', '!', '?', ':', '”', '"'])
                || next.starts_with(|c: char| c.is_lowercase())
        })
        .count();
    moderate && no_items && mid_sentence * 2 >= group.len() - 1
}

/// A line that starts a list item, a heading, a table row or a note of its own.
fn is_item_line(line: &str) -> bool {
    let t = line.trim_start();
    let numbered = t
        .find(". ")
        .is_some_and(|i| i > 0 && i <= 3 && t[..i].bytes().all(|b| b.is_ascii_digit()));
    numbered
        || t.starts_with("- ")
        || t.starts_with("* ")
        || t.starts_with("• ")
        || t.starts_with('#')
        || t.starts_with('|')
        || t.starts_with('[')
        || footnote_marker(t).is_some()
}

/// Whether link text makes up (nearly) all the letters and digits of a block.
fn mostly_link(text: &str, link_alnum: usize) -> bool {
    let total = alnum_count(text);
    total > 0 && link_alnum * 10 >= total * 9
}

fn alnum_count(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphanumeric()).count()
}

/// Markdown, read with a CommonMark parser (footnotes and tables enabled).
pub fn from_markdown(text: &str, first_line: usize) -> Vec<Block> {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_FOOTNOTES);
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let line_of = |offset: usize| first_line + crate::error::line_of(text, offset) - 1;

    let mut blocks = Vec::new();
    let mut buf = String::new();
    let mut start: Option<usize> = None;
    let mut quote_depth = 0usize;
    let mut footnote: Option<String> = None;
    let mut in_item = 0usize;
    let mut in_link = false;
    let mut link_chars = 0usize;

    let flush = |buf: &mut String,
                 start: &mut Option<usize>,
                 link_chars: &mut usize,
                 hint: Hint,
                 blocks: &mut Vec<Block>| {
        let hint = if mostly_link(buf, *link_chars) && hint != Hint::Heading {
            Hint::LinkOnly
        } else {
            hint
        };
        blocks.extend(Block::new(buf, start.map(line_of), hint));
        buf.clear();
        *start = None;
        *link_chars = 0;
    };

    for (event, range) in Parser::new_ext(text, opts).into_offset_iter() {
        let hint = || {
            if let Some(label) = &footnote {
                Hint::Footnote(label.clone())
            } else if quote_depth > 0 {
                Hint::Quote
            } else if in_item > 0 {
                Hint::ListItem
            } else {
                Hint::None
            }
        };
        match event {
            Event::Start(Tag::Heading { .. }) => {
                start.get_or_insert(range.start);
            }
            Event::End(TagEnd::Heading(_)) => {
                flush(
                    &mut buf,
                    &mut start,
                    &mut link_chars,
                    Hint::Heading,
                    &mut blocks,
                );
            }
            Event::Start(Tag::Paragraph) | Event::Start(Tag::TableCell) => {
                start.get_or_insert(range.start);
            }
            Event::End(TagEnd::Paragraph)
            | Event::End(TagEnd::TableRow)
            | Event::End(TagEnd::CodeBlock) => {
                let h = hint();
                flush(&mut buf, &mut start, &mut link_chars, h, &mut blocks);
            }
            Event::End(TagEnd::TableCell) => buf.push_str(" | "),
            Event::Start(Tag::BlockQuote(_)) => quote_depth += 1,
            Event::End(TagEnd::BlockQuote(_)) => quote_depth = quote_depth.saturating_sub(1),
            Event::Start(Tag::FootnoteDefinition(label)) => footnote = Some(label.to_string()),
            Event::End(TagEnd::FootnoteDefinition) => footnote = None,
            Event::Start(Tag::Item) => {
                in_item += 1;
                start.get_or_insert(range.start);
            }
            Event::End(TagEnd::Item) => {
                let h = hint();
                flush(&mut buf, &mut start, &mut link_chars, h, &mut blocks);
                in_item = in_item.saturating_sub(1);
            }
            Event::Start(Tag::Link { .. }) => in_link = true,
            Event::End(TagEnd::Link) => in_link = false,
            Event::Start(Tag::CodeBlock(_)) => {
                start.get_or_insert(range.start);
            }
            Event::Text(t) | Event::Code(t) => {
                start.get_or_insert(range.start);
                if in_link {
                    link_chars += alnum_count(&t);
                }
                buf.push_str(&t);
            }
            // Inline HTML tags (<sup>, <b>) are markup: the text between them arrives as Text.
            Event::InlineHtml(_) => {}
            Event::Html(html) => {
                for block in from_html_fragment(&html) {
                    blocks.push(Block {
                        line: Some(line_of(range.start)),
                        ..block
                    });
                }
            }
            Event::FootnoteReference(label) => {
                buf.push('[');
                buf.push_str(&label);
                buf.push(']');
            }
            Event::SoftBreak | Event::HardBreak => buf.push(' '),
            _ => {}
        }
    }
    flush(
        &mut buf,
        &mut start,
        &mut link_chars,
        Hint::None,
        &mut blocks,
    );
    blocks
}

/// Elements whose whole subtree is page furniture.
const CHROME_TAGS: &[&str] = &[
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "footer",
    "aside",
    "form",
    "button",
    "svg",
    "iframe",
    "select",
    "input",
    "label",
    "textarea",
    "figcaption",
    "menu",
    "dialog",
    "object",
    "video",
    "audio",
    "canvas",
    "head",
];

/// Words in a class or id that mark furniture.
const CHROME_CLASSES: &[&str] = &[
    "share",
    "social",
    "related",
    "newsletter",
    "subscribe",
    "signup",
    "sign-up",
    "comment",
    "breadcrumb",
    "sidebar",
    "advert",
    "promo",
    "cookie",
    "popup",
    "modal",
    "banner",
    "masthead",
    "navbar",
    "menu",
    "byline",
    "tags",
    "pagination",
    "toolbar",
    "skip",
];

const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "ul",
    "ol",
    "dl",
    "dd",
    "dt",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "br",
    "hr",
    "figure",
    "header",
    "address",
    "details",
    "summary",
];

/// A saved web page: the article element (or main, or body) without its furniture elements.
pub fn from_html(html: &str) -> Vec<Block> {
    let doc = Html::parse_document(html);
    let root = ["article", "main", "[role=main]", "body"]
        .iter()
        .find_map(|sel| {
            let selector = Selector::parse(sel).expect("static selector");
            // The largest match: pages with several <article> teasers keep the real one.
            doc.select(&selector)
                .max_by_key(|e| e.text().map(str::len).sum::<usize>())
        })
        .unwrap_or_else(|| doc.root_element());
    let mut walker = HtmlWalker::default();
    walker.walk(root, &Context::default());
    walker.flush();
    locate_lines(html, walker.blocks)
}

fn from_html_fragment(html: &str) -> Vec<Block> {
    let frag = Html::parse_fragment(html);
    let mut walker = HtmlWalker::default();
    walker.walk(frag.root_element(), &Context::default());
    walker.flush();
    walker.blocks
}

/// HTML parsers do not keep source lines; find each block's first words in the source instead.
fn locate_lines(html: &str, mut blocks: Vec<Block>) -> Vec<Block> {
    let mut from = 0;
    for block in &mut blocks {
        let probe: String = block.text.chars().take(24).collect();
        let probe = probe.split(['&', '<']).next().unwrap_or("");
        if probe.len() >= 4
            && let Some(i) = html[from..].find(probe)
        {
            from += i;
            block.line = Some(crate::error::line_of(html, from));
        }
    }
    blocks
}

#[derive(Clone, Default)]
struct Context {
    quote: bool,
    footnotes: bool,
    item: bool,
    heading: bool,
}

#[derive(Default)]
struct HtmlWalker {
    blocks: Vec<Block>,
    buf: String,
    link_chars: usize,
    hint: Option<Hint>,
}

impl HtmlWalker {
    fn flush(&mut self) {
        let mut hint = self.hint.take().unwrap_or(Hint::None);
        if mostly_link(&self.buf, self.link_chars) && hint != Hint::Heading {
            hint = Hint::LinkOnly;
        }
        if let Hint::Footnote(_) = hint {
            // `1. text` or `[1] text` inside a footnotes list: take the number as the label.
            let text = collapse_whitespace(&self.buf);
            if let Some(marker) = footnote_marker(&text) {
                hint = Hint::FootnoteMarker(marker);
            }
        }
        self.blocks.extend(Block::new(&self.buf, None, hint));
        self.buf.clear();
        self.link_chars = 0;
    }

    fn walk(&mut self, el: ElementRef<'_>, ctx: &Context) {
        let name = el.value().name();
        if CHROME_TAGS.contains(&name) || is_chrome(el) {
            return;
        }
        let is_block = BLOCK_TAGS.contains(&name);
        if is_block {
            self.flush();
        }
        let mut ctx = ctx.clone();
        match name {
            "blockquote" => ctx.quote = true,
            "li" | "dd" => ctx.item = true,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => ctx.heading = true,
            _ => {}
        }
        if is_footnote_container(el) {
            ctx.footnotes = true;
        }
        let mut footnote_number = 0;
        for child in el.children() {
            match child.value() {
                Node::Text(t) => {
                    if self.buf.trim().is_empty() {
                        self.hint = Some(hint_for(&ctx));
                    }
                    self.buf.push_str(t);
                }
                Node::Element(e) => {
                    if let Some(child_el) = ElementRef::wrap(child) {
                        if ctx.footnotes && e.name() == "li" {
                            footnote_number += 1;
                            let label = e
                                .attr("id")
                                .and_then(|id| id.rsplit(|c: char| !c.is_ascii_digit()).next())
                                .filter(|n| !n.is_empty())
                                .map(str::to_string)
                                .unwrap_or_else(|| footnote_number.to_string());
                            self.flush();
                            self.hint = Some(Hint::Footnote(label));
                            self.walk_footnote(child_el);
                            continue;
                        }
                        if e.name() == "sup" {
                            // A note reference: keep it apart from the word it follows.
                            let note: String =
                                child_el.text().collect::<String>().trim().to_string();
                            if !note.is_empty()
                                && note.len() <= 3
                                && note.bytes().all(|b| b.is_ascii_digit())
                            {
                                self.buf.push('[');
                                self.buf.push_str(&note);
                                self.buf.push(']');
                                continue;
                            }
                        }
                        if e.name() == "a" {
                            let before = alnum_count(&self.buf);
                            if self.buf.trim().is_empty() {
                                self.hint = Some(hint_for(&ctx));
                            }
                            self.walk(child_el, &ctx);
                            self.link_chars += alnum_count(&self.buf).saturating_sub(before);
                        } else {
                            self.walk(child_el, &ctx);
                        }
                    }
                }
                _ => {}
            }
        }
        if is_block {
            self.flush();
        }
    }

    /// A footnote `<li>`: all its text is one block with the footnote hint, whatever tags it holds.
    fn walk_footnote(&mut self, el: ElementRef<'_>) {
        let hint = self.hint.clone();
        for text in el.text() {
            self.buf.push(' ');
            self.buf.push_str(text);
        }
        // Back-links (↩) are furniture inside the note.
        let cleaned = self.buf.replace(['↩', '↑'], " ");
        self.buf = cleaned;
        self.hint = hint;
        self.link_chars = 0;
        self.flush();
    }
}

fn hint_for(ctx: &Context) -> Hint {
    if ctx.heading {
        Hint::Heading
    } else if ctx.quote {
        Hint::Quote
    } else if ctx.item {
        Hint::ListItem
    } else {
        Hint::None
    }
}

fn is_chrome(el: ElementRef<'_>) -> bool {
    let v = el.value();
    if v.attr("hidden").is_some() || v.attr("aria-hidden") == Some("true") {
        return true;
    }
    if matches!(
        v.attr("role"),
        Some("navigation" | "banner" | "contentinfo" | "complementary" | "search")
    ) {
        return true;
    }
    let marks = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.split(|c: char| c.is_whitespace()).any(|class| {
            CHROME_CLASSES
                .iter()
                .any(|w| class.split(['-', '_']).any(|part| part == *w) || class == *w)
        })
    };
    v.attr("class").is_some_and(marks) || v.attr("id").is_some_and(marks)
}

fn is_footnote_container(el: ElementRef<'_>) -> bool {
    let v = el.value();
    let marks = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.contains("footnote") || s.contains("endnote")
    };
    matches!(v.attr("role"), Some("doc-endnotes" | "doc-footnotes"))
        || v.attr("class").is_some_and(marks)
        || v.attr("id").is_some_and(marks)
}

/// The `<meta>` metadata of a saved page, as raw metadata fields (lowest priority).
pub fn html_metadata(html: &str) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    let doc = Html::parse_document(html);
    let mut out = serde_json::Map::new();
    let meta = Selector::parse("meta").expect("static selector");
    let mut authors = Vec::new();
    for m in doc.select(&meta) {
        let v = m.value();
        let key = v
            .attr("name")
            .or(v.attr("property"))
            .unwrap_or("")
            .to_ascii_lowercase();
        let Some(content) = v.attr("content").map(str::trim).filter(|c| !c.is_empty()) else {
            continue;
        };
        let field = match key.as_str() {
            "citation_title" | "og:title" | "dc.title" => "title",
            "citation_publisher" | "og:site_name" | "dc.publisher" => "source",
            "citation_publication_date"
            | "citation_date"
            | "article:published_time"
            | "dc.date"
            | "date" => "date",
            "og:url" => "url",
            "citation_author" | "author" | "dc.creator" => {
                authors.push(Value::String(content.to_string()));
                continue;
            }
            _ => continue,
        };
        // The first of several candidates wins (citation_* come first on academic pages).
        let value = if field == "date" {
            content.replace('/', "-")
        } else {
            content.to_string()
        };
        out.entry(field).or_insert_with(|| Value::String(value));
    }
    if !authors.is_empty() {
        out.insert("authors".into(), Value::Array(authors));
    }
    if !out.contains_key("title") {
        let title = Selector::parse("title").expect("static selector");
        if let Some(t) = doc.select(&title).next() {
            let t = collapse_whitespace(&t.text().collect::<String>());
            if !t.is_empty() {
                out.insert("title".into(), Value::String(t));
            }
        }
    }
    let html_el = Selector::parse("html").expect("static selector");
    if let Some(lang) = doc
        .select(&html_el)
        .next()
        .and_then(|h| h.value().attr("lang"))
    {
        out.insert("language".into(), Value::String(lang.to_string()));
    }
    if let Some(Value::String(date)) = out.get("date") {
        // Keep only the date of a timestamp; leave anything unparseable to validation.
        let d = date.split('T').next().unwrap_or(date).to_string();
        out.insert("date".into(), Value::String(d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(blocks: &[Block]) -> Vec<(&str, &Hint)> {
        blocks.iter().map(|b| (b.text.as_str(), &b.hint)).collect()
    }

    #[test]
    fn one_paragraph_per_line_in_captures() {
        let blocks = from_text("First long line of a capture.\nSecond line.\n\nThird.", 1);
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[1].line, Some(2));
        assert_eq!(blocks[2].line, Some(4));
    }

    #[test]
    fn hard_wrapped_paragraphs_are_joined() {
        let text = "This paragraph was wrapped by an editor at seventy-two\ncharacters so that it reads well in a terminal window\nand ends here.\n\nNext.";
        let blocks = from_text(text, 1);
        assert_eq!(blocks.len(), 2);
        assert!(blocks[0].text.ends_with("terminal window and ends here."));
    }

    #[test]
    fn short_lines_and_one_sentence_per_line_stay_apart() {
        let text = "Tags: grain, markets, food security\n© 2022 Example Institute. All rights reserved.\n\nThe first finding is that each decree followed a year of poor harvests.\nThe second finding is that the retreat came within a year each time.\n\n1. Harvest estimates from international agencies and others.\n2. Interviews with traders.";
        assert_eq!(from_text(text, 1).len(), 6);
    }

    #[test]
    fn footnote_markers() {
        assert_eq!(footnote_marker("- [1]"), Some("1".into()));
        assert_eq!(footnote_marker("  1. [10]"), Some("10".into()));
        assert_eq!(footnote_marker("[^3]"), Some("3".into()));
        assert_eq!(footnote_marker("[We] should"), None);
        assert_eq!(footnote_marker("[1] text"), None);
    }

    #[test]
    fn markdown_structure() {
        let md = "# Title\n\nIntro paragraph with a [link](http://x) inside.\n\n> A quoted\n> passage.\n\n- [Related story](http://y)\n\nText with a note.[^1]\n\n[^1]: The note.\n";
        let blocks = from_markdown(md, 1);
        assert_eq!(
            texts(&blocks),
            vec![
                ("Title", &Hint::Heading),
                ("Intro paragraph with a link inside.", &Hint::None),
                ("A quoted passage.", &Hint::Quote),
                ("Related story", &Hint::LinkOnly),
                ("Text with a note.[1]", &Hint::None),
                ("The note.", &Hint::Footnote("1".into())),
            ]
        );
        assert_eq!(blocks[2].line, Some(5));
    }

    #[test]
    fn html_keeps_the_article_and_drops_chrome() {
        let html = r##"<html lang="en"><head><title>T</title><meta name="citation_publication_date" content="2022/03/01"></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>Heading</h1><p>Body <em>text</em> here.</p>
<div class="share-buttons"><a>Share on X</a></div>
<blockquote><p>Quoted words.</p></blockquote>
<ul><li><a href="/a">Another story</a></li></ul>
<section class="footnotes"><ol><li id="fn1"><p>A note. <a href="#r1">↩</a></p></li></ol></section>
</article><footer>© 2024</footer></body></html>"##;
        let blocks = from_html(html);
        assert_eq!(
            texts(&blocks),
            vec![
                ("Heading", &Hint::Heading),
                ("Body text here.", &Hint::None),
                ("Quoted words.", &Hint::Quote),
                ("Another story", &Hint::LinkOnly),
                ("A note.", &Hint::Footnote("1".into())),
            ]
        );
        let meta = html_metadata(html);
        assert_eq!(meta["date"], "2022-03-01");
        assert_eq!(meta["title"], "T");
        assert_eq!(meta["language"], "en");
    }

    #[test]
    fn whitespace_collapses_in_any_script() {
        let cases = [
            (
                "자립적 민족경제 — “quoted” text",
                "자립적 민족경제 — “quoted” text",
            ),
            ("a\u{a0}b", "a b"),
            ("a \u{2003}b", "a b"),
            ("\u{feff}x", "x"),
            ("x\u{3000}", "x"),
            ("Kyŏngje\u{200b}Yŏn'gu", "Kyŏngje Yŏn'gu"),
            ("one  two", "one two"),
            (" one", "one"),
            ("one\ttwo\nthree", "one two three"),
            ("a\r\n\u{85}b \u{2028}", "a b"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(collapse_whitespace(input), expected, "{input:?}");
        }
    }
}
