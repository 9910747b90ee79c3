//! folio's analyzer as a tantivy tokenizer. The rules themselves live in `folio-text`; this module
//! only adapts their token stream to tantivy's, and registers it on every index that is opened.

use folio_text::{Analyzer, Tokens};
use tantivy::Index;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The name under which the analyzer is registered on an index.
pub const ANALYZER_NAME: &str = "folio";

/// The name of the paragraph text's analyzer: folio's, plus common grams
/// ([`folio_text::is_gram`]).
pub const TEXT_ANALYZER_NAME: &str = "folio-text";

/// The tantivy tokenizer wrapping [`Analyzer`].
///
/// With `grams`, each pair of consecutive terms with one of the most frequent words on either
/// side ([`folio_text::is_common_term`]) is also indexed as one term, `first second`, at the
/// first's position: a phrase of such pairs is then a phrase of grams with the same offsets,
/// found without reading where `the` and `of` occur in nearly every paragraph. The grams go into the same field as the words (one analysis
/// per paragraph), marked so that no query for a word finds one ([`folio_text::GRAM_MARK`]).
#[derive(Clone, Debug, Default)]
pub struct FolioTokenizer {
    analyzer: Analyzer,
    grams: bool,
}

impl FolioTokenizer {
    pub fn new(analyzer: Analyzer) -> Self {
        FolioTokenizer {
            analyzer,
            grams: false,
        }
    }

    /// The tokenizer of the paragraph text: words and common grams.
    pub fn with_grams(analyzer: Analyzer) -> Self {
        FolioTokenizer {
            analyzer,
            grams: true,
        }
    }
}

/// Token stream adapter.
pub struct FolioTokenStream<'a> {
    inner: Tokens<'a>,
    token: Token,
    grams: bool,
    /// A gram of the previous word and the current one is due next.
    gram_due: bool,
    /// The previous word: its term, position, start and whether it forms grams.
    prev: String,
    prev_position: Option<u32>,
    prev_from: usize,
    prev_common: bool,
}

impl FolioTokenStream<'_> {
    /// Makes the current word the previous one.
    fn shift(&mut self) {
        let t = self.inner.token();
        self.prev.clear();
        self.prev.push_str(&t.term);
        self.prev_position = (!t.cjk).then_some(t.position);
        self.prev_from = t.from;
        self.prev_common = t.common;
    }
}

impl Tokenizer for FolioTokenizer {
    type TokenStream<'a> = FolioTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> FolioTokenStream<'a> {
        FolioTokenStream {
            inner: self.analyzer.tokens(text),
            token: Token::default(),
            grams: self.grams,
            gram_due: false,
            prev: String::new(),
            prev_position: None,
            prev_from: 0,
            prev_common: false,
        }
    }
}

impl TokenStream for FolioTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.gram_due {
            self.gram_due = false;
            let t = self.inner.token();
            folio_text::gram_into(&self.prev, &t.term, &mut self.token.text);
            self.token.offset_from = self.prev_from;
            self.token.offset_to = t.to;
            self.token.position = self.prev_position.unwrap_or(0) as usize;
            self.shift();
            return true;
        }
        if !self.inner.advance() {
            return false;
        }
        let t = self.inner.token();
        if self.grams {
            self.gram_due = !t.cjk
                && (t.common || self.prev_common)
                && self.prev_position.is_some_and(|p| p + 1 == t.position);
        }
        self.token.text.clear();
        self.token.text.push_str(&t.term);
        self.token.offset_from = t.from;
        self.token.offset_to = t.to;
        self.token.position = t.position as usize;
        self.token.position_length = 1;
        if self.grams && !self.gram_due {
            self.shift();
        }
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// Registers folio's analyzers on an index; needed each time an index is created or opened.
pub fn register(index: &Index, analyzer: &Analyzer) {
    index
        .tokenizers()
        .register(ANALYZER_NAME, FolioTokenizer::new(analyzer.clone()));
    index.tokenizers().register(
        TEXT_ANALYZER_NAME,
        FolioTokenizer::with_grams(analyzer.clone()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_pair_stop_words_with_their_neighbours() {
        let mut t = FolioTokenizer::with_grams(Analyzer::new());
        let mut stream = t.token_stream("The library of Kim Jong-un, 자립 economy.");
        let mut tokens = Vec::new();
        while stream.advance() {
            let tok = stream.token();
            tokens.push((tok.text.as_str().to_owned(), tok.position));
        }
        let expected = [
            ("the", 0),
            ("librari", 1),
            ("\u{1}the librari", 0),
            ("of", 2),
            ("\u{1}librari of", 1),
            ("kim", 3),
            ("\u{1}of kim", 2),
            ("jong", 4),
            ("un", 5),
            ("자립", 6),
            ("economi", 7),
        ];
        let expected: Vec<(String, usize)> =
            expected.iter().map(|(t, p)| (t.to_string(), *p)).collect();
        assert_eq!(tokens, expected);
    }
}
