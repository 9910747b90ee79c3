//! Highlighting: marks what a query matched in a stored field, and cuts a snippet around the best
//! matches of a long paragraph.
//!
//! The field is analyzed again with the index's analyzer, so marks agree with matching: a stemmed
//! form is marked (`trading` marks "trade"), a phrase is marked whole from its first word to its
//! last, and a Hangul word found inside a compound is marked where it stands. The text is
//! HTML-escaped and only then marked, so a document cannot inject markup; the tags themselves
//! come from the request. Offsets are given in UTF-16 code units into the whole field, which is
//! how browsers index strings.

use std::borrow::Cow;

use folio_text::Analyzer;

use crate::query::{MatchSpec, SpecLookup};

/// How to mark and cut.
#[derive(Clone, Debug)]
pub struct MarkOptions<'a> {
    pub pre: &'a str,
    pub post: &'a str,
    /// Snippet length in characters; 0 keeps the whole field.
    pub snippet_chars: usize,
    /// Snippet length in words instead (Meilisearch's `cropLength`); takes precedence.
    pub snippet_words: Option<usize>,
    /// HTML-escape the text around the tags. Only a client that escapes the result itself and
    /// marks with placeholder tags (InstantSearch) may turn this off.
    pub escape: bool,
    pub ellipsis: &'a str,
}

/// A marked field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Marked {
    /// Escaped, marked (and perhaps cut) text.
    pub html: String,
    /// Match spans in UTF-16 code units of the whole field.
    pub utf16: Vec<[usize; 2]>,
    /// Match spans in bytes of the whole field.
    pub bytes: Vec<[usize; 2]>,
}

/// A token as far as phrases need it: where it is, which of the phrases' words it is, and
/// which phrase-prefix endings it starts with.
struct Seen {
    from: usize,
    to: usize,
    position: u32,
    /// Index into the phrases' words, or [`Seen::NO_WORD`].
    word: u32,
    /// Bit `j`: the term starts with the last word of the `j`th phrase prefix.
    prefix_ends: u64,
}

impl Seen {
    const NO_WORD: u32 = u32::MAX;
}

/// Finds the byte spans of matches in `text`, sorted and merged.
///
/// The text's tokens are streamed, not collected with their terms: marking runs on every hit of
/// every search, and a term copied per word was a fifth of a rare word's search.
pub fn match_spans(analyzer: &Analyzer, text: &str, spec: &MatchSpec) -> Vec<(usize, usize)> {
    if spec.is_empty() || text.is_empty() {
        return Vec::new();
    }
    let SpecLookup {
        words,
        prefix_ends,
        few_terms,
        firsts,
    } = &spec.lookup;
    let is_term = |term: &str| match few_terms {
        Some(few) => few.iter().any(|t| t == term),
        None => spec.terms.contains(term),
    };
    let mut seen: Vec<Seen> = Vec::new();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    // A short plain word is only analyzed when its first letter starts something the query
    // looks for: a term keeps its word's first letter ([`Analyzer::word_keys`]), and most words
    // of a paragraph start otherwise.
    let mut tokens = match firsts {
        Some(_) => analyzer.word_keys(text),
        // Something empty is looked for: analyze every word.
        None => analyzer.tokens(text),
    };
    let mut word_term = String::new();
    while tokens.advance() {
        let t = tokens.token();
        let term: &str = match (tokens.raw_key(), firsts) {
            (Some(_), Some(firsts)) => {
                let word = &text[t.from..t.to];
                if firsts.contains(&word.as_bytes()[0].to_ascii_lowercase()) {
                    analyzer.term_of_word_into(word, &mut word_term);
                    &word_term
                } else {
                    ""
                }
            }
            _ => &t.term,
        };
        if is_term(term) || (!t.cjk && spec.prefixes.iter().any(|p| term.starts_with(p.as_str()))) {
            spans.push((t.from, t.to));
        }
        if t.cjk {
            for ch in &spec.cjk_chars {
                let word = &text[t.from..t.to];
                if let Some(i) = word.find(ch.as_str()) {
                    spans.push((t.from + i, t.from + i + ch.len()));
                }
            }
        }
        if !words.is_empty() {
            let mut ends = 0u64;
            for (j, end) in prefix_ends.iter().enumerate() {
                if term.starts_with(end) {
                    ends |= 1 << j;
                }
            }
            seen.push(Seen {
                from: t.from,
                to: t.to,
                position: t.position,
                word: words
                    .iter()
                    .position(|w| *w == term)
                    .map_or(Seen::NO_WORD, |i| i as u32),
                prefix_ends: ends,
            });
        }
    }
    let word_id = |w: &String| -> u32 {
        words
            .iter()
            .position(|x| x == w)
            .map_or(Seen::NO_WORD, |i| i as u32)
    };
    // Each phrase as word ids; a phrase prefix's last word as the bit of its ending (at most
    // 64 phrase prefixes are marked, far more than a query holds).
    let phrases = spec.phrases.iter().map(|p| (p, None));
    let with_prefix = spec
        .phrase_prefixes
        .iter()
        .take(64)
        .enumerate()
        .map(|(j, p)| (p, Some(1u64 << j)));
    for (phrase, prefix_end) in phrases.chain(with_prefix) {
        let ids: Vec<u32> = phrase.iter().map(word_id).collect();
        let n = ids.len();
        if n == 0 || n > seen.len() {
            continue;
        }
        for i in 0..=seen.len() - n {
            let run = &seen[i..i + n];
            let holds = ids.iter().zip(run).enumerate().all(|(k, (id, t))| {
                let consecutive = k == 0 || t.position == run[k - 1].position + 1;
                consecutive
                    && match prefix_end {
                        Some(bit) if k == n - 1 => t.prefix_ends & bit != 0,
                        _ => t.word == *id,
                    }
            });
            if holds {
                spans.push((run[0].from, run[n - 1].to));
            }
        }
    }
    // Sorted, and overlapping spans merged in place.
    spans.sort_unstable();
    let mut kept = 0usize;
    for i in 0..spans.len() {
        let (s, e) = spans[i];
        match kept.checked_sub(1).map(|last| &mut spans[last]) {
            Some(last) if s < last.1 => last.1 = last.1.max(e),
            _ => {
                spans[kept] = (s, e);
                kept += 1;
            }
        }
    }
    spans.truncate(kept);
    spans
}

/// Marks `text` according to `spec`.
pub fn mark(analyzer: &Analyzer, text: &str, spec: &MatchSpec, opts: &MarkOptions<'_>) -> Marked {
    let spans = match_spans(analyzer, text, spec);
    let (start, end) = match opts.snippet_words {
        Some(words) => word_window(text, &spans, words),
        None => window(text, &spans, opts.snippet_chars),
    };
    let mut html = String::with_capacity(end - start + 32);
    if start > 0 {
        html.push_str(opts.ellipsis);
    }
    let put = |s: &str, html: &mut String| {
        if opts.escape {
            escape_into(s, html)
        } else {
            html.push_str(s)
        }
    };
    let mut cursor = start;
    for &(s, e) in &spans {
        let (s, e) = (s.max(start), e.min(end));
        if s >= e {
            continue;
        }
        put(&text[cursor..s], &mut html);
        html.push_str(opts.pre);
        put(&text[s..e], &mut html);
        html.push_str(opts.post);
        cursor = e;
    }
    put(&text[cursor..end], &mut html);
    if end < text.len() {
        html.push_str(opts.ellipsis);
    }
    Marked {
        html,
        utf16: utf16_spans(text, &spans),
        bytes: spans.iter().map(|&(s, e)| [s, e]).collect(),
    }
}

/// The byte range of the snippet: the whole text when short, else a window of about
/// `chars` characters holding the most distinct matches, cut at word boundaries.
fn window(text: &str, spans: &[(usize, usize)], chars: usize) -> (usize, usize) {
    // ASCII text (most of it) has a character per byte: no table of boundaries to build.
    let ascii = text.is_ascii();
    let total_chars = if ascii {
        text.len()
    } else {
        text.chars().count()
    };
    if chars == 0 || total_chars <= chars {
        return (0, text.len());
    }
    // Byte offset of each char boundary, to measure windows in characters.
    let boundaries: Vec<usize> = match ascii {
        true => Vec::new(),
        false => text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect(),
    };
    let char_at = |byte: usize| match ascii {
        true => byte,
        false => boundaries.partition_point(|&b| b < byte),
    };
    let byte_at = |c: usize| match ascii {
        true => c,
        false => boundaries[c],
    };
    let (keys, distinct_keys) = span_keys(text, spans);
    let mut seen = vec![false; distinct_keys];
    let lead = chars / 5;
    let mut best = (0usize, 0usize, 0usize); // (score, start char, end char)
    let mut best_set = false;
    for (i, &(s, _)) in spans.iter().enumerate() {
        let start_c = char_at(s).saturating_sub(lead);
        let end_c = (start_c + chars).min(total_chars);
        let start_c = end_c.saturating_sub(chars);
        let (ws, we) = (byte_at(start_c), byte_at(end_c));
        seen.fill(false);
        let (mut distinct, mut count) = (0, 0);
        for (&(a, b), &key) in spans[i..].iter().zip(&keys[i..]) {
            if a >= we {
                break;
            }
            if a >= ws && b <= we {
                distinct += usize::from(!std::mem::replace(&mut seen[key], true));
                count += 1;
            }
        }
        let score = distinct * 1000 + count;
        if !best_set || score > best.0 {
            best = (score, start_c, end_c);
            best_set = true;
        }
    }
    let (start_c, end_c) = if best_set {
        (best.1, best.2)
    } else {
        (0, chars.min(total_chars))
    };
    let (mut ws, mut we) = (byte_at(start_c), byte_at(end_c));
    // Snap to word boundaries, never cutting a match.
    if ws > 0
        && let Some(sp) = text[ws..].find(char::is_whitespace)
    {
        let candidate = ws + sp + 1;
        if spans.iter().all(|&(a, b)| !(a < candidate && b > ws)) && candidate < we {
            ws = candidate;
        }
    }
    if we < text.len()
        && let Some(sp) = text[..we].rfind(char::is_whitespace)
        && sp > ws
        && spans.iter().all(|&(a, b)| !(a < we && b > sp))
    {
        we = sp;
    }
    (ws, we.max(ws))
}

/// The byte range of a snippet of `words` words around the most distinct matches (the first
/// `words` words when nothing matched); 0 keeps the whole text.
fn word_window(text: &str, spans: &[(usize, usize)], words: usize) -> (usize, usize) {
    let bounds: Vec<(usize, usize)> = text
        .split_whitespace()
        .map(|w| {
            let start = w.as_ptr() as usize - text.as_ptr() as usize;
            (start, start + w.len())
        })
        .collect();
    if words == 0 || bounds.len() <= words {
        return (0, text.len());
    }
    let word_of = |byte: usize| {
        bounds
            .partition_point(|&(_, e)| e <= byte)
            .min(bounds.len() - 1)
    };
    let lead = words / 4;
    let (keys, distinct_keys) = span_keys(text, spans);
    let mut seen = vec![false; distinct_keys];
    let mut best: Option<(usize, usize)> = None; // (score, first word)
    for &(s, _) in spans {
        let first = word_of(s).saturating_sub(lead).min(bounds.len() - words);
        let (ws, we) = (bounds[first].0, bounds[first + words - 1].1);
        seen.fill(false);
        let (mut distinct, mut count) = (0, 0);
        for (_, &key) in spans
            .iter()
            .zip(&keys)
            .filter(|&(&(a, b), _)| a >= ws && b <= we)
        {
            distinct += usize::from(!std::mem::replace(&mut seen[key], true));
            count += 1;
        }
        let score = distinct * 1000 + count;
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, first));
        }
    }
    let first = best.map_or(0, |(_, f)| f);
    (bounds[first].0, bounds[first + words - 1].1)
}

/// For each span, the number of its text lowercased among the spans' distinct texts (a window's
/// matches are scored by how many distinct words they are); and how many distinct texts.
fn span_keys(text: &str, spans: &[(usize, usize)]) -> (Vec<usize>, usize) {
    // An ASCII span is compared as it stands, ignoring case, and only other text is lowercased
    // (into a copy): a lowercased span is compared with an ASCII one ignoring ASCII case, which
    // is exact since lowercasing left nothing else to change.
    let mut distinct: Vec<Cow<'_, str>> = Vec::new();
    let keys = spans
        .iter()
        .map(|&(a, b)| {
            let word = match &text[a..b] {
                w if w.is_ascii() => Cow::Borrowed(w),
                w => Cow::Owned(w.to_lowercase()),
            };
            match distinct.iter().position(|d| d.eq_ignore_ascii_case(&word)) {
                Some(k) => k,
                None => {
                    distinct.push(word);
                    distinct.len() - 1
                }
            }
        })
        .collect();
    (keys, distinct.len())
}

/// Converts byte spans into UTF-16 code unit spans.
pub fn utf16_spans(text: &str, spans: &[(usize, usize)]) -> Vec<[usize; 2]> {
    // An ASCII character is one byte and one code unit.
    if text.is_ascii() {
        return spans.iter().map(|&(s, e)| [s, e]).collect();
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut byte = 0;
    let mut units = 0;
    let mut chars = text.char_indices().peekable();
    let mut advance_to = |target: usize, byte: &mut usize, units: &mut usize| {
        while *byte < target {
            match chars.next() {
                Some((i, c)) => {
                    *byte = i + c.len_utf8();
                    *units += c.len_utf16();
                }
                None => break,
            }
        }
    };
    for &(s, e) in spans {
        advance_to(s, &mut byte, &mut units);
        let start = units;
        advance_to(e, &mut byte, &mut units);
        out.push([start, units]);
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_into(s: &str, out: &mut String) {
    // The runs between the characters to escape are copied whole.
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[from..i]);
        out.push_str(entity);
        from = i + 1;
    }
    out.push_str(&s[from..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{Synonyms, Target, analyze, parse};

    fn marked(text: &str, q: &str, chars: usize) -> Marked {
        let a = Analyzer::new();
        let concepts = analyze(&parse(q), &a, &Synonyms::default());
        let spec = MatchSpec::new(&a, &concepts, &[Target::Text]);
        mark(
            &a,
            text,
            &spec,
            &MarkOptions {
                pre: "<mark>",
                post: "</mark>",
                snippet_chars: chars,
                snippet_words: None,
                escape: true,
                ellipsis: "…",
            },
        )
    }

    #[test]
    fn stems_and_escaping() {
        let m = marked("<b>Trade</b> & trading", "trading", 0);
        assert_eq!(
            m.html,
            "&lt;b&gt;<mark>Trade</mark>&lt;/b&gt; &amp; <mark>trading</mark>"
        );
    }

    /// A prefix finds the terms starting with its stem (`economi` of `economies*`, so
    /// `economist` too) and marks the words it finds, no more (`economics`, whose term is
    /// `econom`).
    #[test]
    fn prefixes_mark_what_their_stem_finds() {
        let m = marked("An economist on economies and economics.", "economies*", 0);
        assert_eq!(
            m.html,
            "An <mark>economist</mark> on <mark>economies</mark> and economics."
        );
    }

    /// The spans as the tokens collected with their terms give them: the plain reading of
    /// `match_spans`, which streams them.
    fn reference_spans(a: &Analyzer, text: &str, spec: &MatchSpec) -> Vec<(usize, usize)> {
        let tokens = a.analyze(text);
        let mut spans = Vec::new();
        for t in &tokens {
            if spec.terms.contains(&t.term)
                || (!t.cjk && spec.prefixes.iter().any(|p| t.term.starts_with(p.as_str())))
            {
                spans.push((t.from, t.to));
            }
            if t.cjk {
                for ch in &spec.cjk_chars {
                    if let Some(i) = text[t.from..t.to].find(ch.as_str()) {
                        spans.push((t.from + i, t.from + i + ch.len()));
                    }
                }
            }
        }
        for (phrases, prefix_last) in [(&spec.phrases, false), (&spec.phrase_prefixes, true)] {
            for phrase in phrases.iter().filter(|p| !p.is_empty()) {
                for w in tokens.windows(phrase.len()) {
                    let holds = phrase.iter().zip(w).enumerate().all(|(k, (p, t))| {
                        (k == 0 || t.position == w[k - 1].position + 1)
                            && if prefix_last && k == phrase.len() - 1 {
                                t.term.starts_with(p.as_str())
                            } else {
                                t.term == *p
                            }
                    });
                    if holds {
                        spans.push((w[0].from, w[phrase.len() - 1].to));
                    }
                }
            }
        }
        spans.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s < last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        merged
    }

    #[test]
    fn streamed_spans_equal_the_collected_tokens_spans() {
        let a = Analyzer::new();
        let text = "The economic policy of the state: economics of policy, economy policies and \
                    the policy of economic reform. 자립적민족경제와 대외무역, Kim Jong-un's policy; \
                    the state of the economy of the state of the state.";
        let queries = [
            "economy",
            "econ*",
            "\"economic policy\"",
            "\"economic pol*\"",
            "\"of the state\" \"the state\" policy",
            "\"the state of\" \"state of the eco*\" \"of the*\"",
            "민족경제 무역 policy",
            "a b c d e f g h i j economy policy state reform kim",
            "\"jong un\" \"kim jong*\"",
            "jong-u*",
            "economic-pol* state-of-th*",
        ];
        let mut marked = 0;
        for q in queries {
            let concepts = analyze(&parse(q), &a, &Synonyms::default());
            let spec = MatchSpec::new(&a, &concepts, &[Target::Text]);
            let expected = reference_spans(&a, text, &spec);
            assert_eq!(match_spans(&a, text, &spec), expected, "{q}");
            marked += expected.len();
        }
        assert!(marked > 30, "{marked}");
    }

    #[test]
    fn phrases_are_marked_whole() {
        let m = marked("foreign trade and trade", "\"foreign trade\"", 0);
        assert_eq!(m.html, "<mark>foreign trade</mark> and trade");
    }

    #[test]
    fn hangul_inside_compounds() {
        let m = marked("자립적민족경제와 대외무역", "민족경제", 0);
        assert_eq!(m.html, "자립적<mark>민족경제</mark>와 대외무역");
        assert_eq!(m.utf16, vec![[3, 7]]);
    }

    #[test]
    fn utf16_offsets_count_astral_characters_twice() {
        let m = marked("𝕏 “Juche” trade", "trade", 0);
        // 𝕏 is two UTF-16 units, the quotes one each.
        assert_eq!(m.utf16, vec![[11, 16]]);
    }

    #[test]
    fn word_windows_crop_around_the_match() {
        let a = Analyzer::new();
        let concepts = analyze(&parse("sanctions"), &a, &Synonyms::default());
        let spec = MatchSpec::new(&a, &concepts, &[Target::Text]);
        let text =
            "one two three four five six seven eight the sanctions regime nine ten eleven twelve";
        let opts = MarkOptions {
            pre: "[",
            post: "]",
            snippet_chars: 0,
            snippet_words: Some(4),
            escape: true,
            ellipsis: "…",
        };
        assert_eq!(
            mark(&a, text, &spec, &opts).html,
            "…the [sanctions] regime nine…"
        );
        let none = analyze(&parse("zebra"), &a, &Synonyms::default());
        let spec = MatchSpec::new(&a, &none, &[Target::Text]);
        assert_eq!(mark(&a, text, &spec, &opts).html, "one two three four…");
    }

    #[test]
    fn span_keys_ignore_case_in_ascii_and_other_text() {
        // The Kelvin sign lowercases to an ASCII k: compared with an ASCII span, it is the same.
        let text = "Trade trade TRADE Økonomi økonomi \u{212A}ilo kilo";
        let mut spans = Vec::new();
        let mut at = 0;
        for w in text.split(' ') {
            spans.push((at, at + w.len()));
            at += w.len() + 1;
        }
        assert_eq!(span_keys(text, &spans), (vec![0, 0, 0, 1, 1, 2, 2], 3));
    }

    #[test]
    fn snippets_prefer_distinct_words_in_ascii_and_other_text() {
        for filler in ["lorem ipsum dolor sit amet ", "lorém ipsüm dolor sit amét "] {
            let filler = filler.repeat(8);
            let text = format!(
                "{filler}Trade, trade and TRADE {filler}trade and sanctions {filler}<done> & \"quoted\""
            );
            let m = marked(&text, "trade sanctions", 60);
            assert!(
                m.html
                    .contains("<mark>trade</mark> and <mark>sanctions</mark>"),
                "{}",
                m.html
            );
            assert!(!m.html.contains("TRADE"), "{}", m.html);
            // Offsets in UTF-16 code units of the whole text, the same as characters here.
            let chars: Vec<char> = text.chars().collect();
            for &[s, e] in &m.utf16 {
                let word: String = chars[s..e].iter().collect();
                assert!(["trade", "sanctions"].contains(&word.to_lowercase().as_str()));
            }
            assert_eq!(m.utf16.len(), 5);
            let whole = marked(&text, "done", 0);
            assert!(
                whole
                    .html
                    .ends_with("&lt;<mark>done</mark>&gt; &amp; &quot;quoted&quot;"),
                "{}",
                whole.html
            );
        }
    }

    #[test]
    fn long_paragraphs_get_a_snippet_around_the_matches() {
        let filler = "lorem ipsum dolor sit amet ".repeat(20);
        let text = format!("{filler}the sanctions regime tightened {filler}");
        let m = marked(&text, "sanctions", 80);
        assert!(
            m.html.starts_with('…') && m.html.ends_with('…'),
            "{}",
            m.html
        );
        assert!(m.html.contains("<mark>sanctions</mark>"));
        assert!(m.html.chars().count() < 120);
    }
}
