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
    /// Where the next gram is built.
    gram: String,
    prev_position: Option<u32>,
    prev_from: usize,
    prev_common: bool,
}

impl FolioTokenStream<'_> {
    /// Makes the current word (whose term is in `self.token.text`) the previous one.
    fn shift(&mut self) {
        let t = self.inner.token();
        self.prev_position = (!t.cjk).then_some(t.position);
        self.prev_from = t.from;
        self.prev_common = t.common;
        self.prev.clear();
        self.prev.push_str(&self.token.text);
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
            gram: String::new(),
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
            // The word's term is still the token's text: build the gram beside it, make the
            // word the previous one, and hand the gram out, moving buffers rather than bytes.
            folio_text::gram_into(&self.prev, &self.token.text, &mut self.gram);
            let t = self.inner.token();
            let (to, position, from, common) = (t.to, t.position, t.from, t.common);
            self.token.offset_from = self.prev_from;
            self.token.offset_to = to;
            self.token.position = self.prev_position.unwrap_or(0) as usize;
            std::mem::swap(&mut self.prev, &mut self.token.text);
            std::mem::swap(&mut self.token.text, &mut self.gram);
            self.prev_position = Some(position);
            self.prev_from = from;
            self.prev_common = common;
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
        self.token.offset_from = t.from;
        self.token.offset_to = t.to;
        self.token.position = t.position as usize;
        self.token.position_length = 1;
        // The analyzer writes each term into a cleared buffer: take its buffer, give it ours.
        std::mem::swap(&mut self.token.text, &mut self.inner.token_mut().term);
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

    /// The stream moves buffers between the analyzer, the token and the grams; whatever it
    /// hands out must equal what the analyzer's own tokens spell.
    #[test]
    fn the_stream_spells_the_analyzers_tokens_and_their_grams() {
        let text = "The library of the Workers' Party of Korea is in a state of flux: Kim Jong-un, \
                    자립적민족경제와 the 1990s, and of A Tale of Two Cities in the end; or that \
                    Kyo'ngje Yo'ngu of the DPRK. The the the of of 국 to ABC-DEF.";
        let analyzer = Analyzer::new();
        let mut expected = Vec::new();
        let mut prev: Option<folio_text::Token> = None;
        for t in analyzer.analyze(text) {
            expected.push((t.term.clone(), t.position as usize, t.from, t.to));
            if let Some(p) = &prev
                && !t.cjk
                && !p.cjk
                && p.position + 1 == t.position
                && (p.common || t.common)
            {
                let mut gram = String::new();
                folio_text::gram_into(&p.term, &t.term, &mut gram);
                expected.push((gram, p.position as usize, p.from, t.to));
            }
            prev = Some(t);
        }
        for _ in 0..2 {
            let mut t = FolioTokenizer::with_grams(analyzer.clone());
            let mut stream = t.token_stream(text);
            let mut got = Vec::new();
            while stream.advance() {
                let tok = stream.token();
                got.push((
                    tok.text.clone(),
                    tok.position,
                    tok.offset_from,
                    tok.offset_to,
                ));
            }
            assert_eq!(got, expected);
        }
        assert!(expected.iter().any(|(t, ..)| t == "\u{1}of the"));
    }

    /// A phrase query looks for the grams `phrase_grams` spells: each must be one the stream
    /// indexed at that place, or a phrase beside a Hangul run would find nothing.
    #[test]
    fn every_gram_a_phrase_looks_for_is_indexed() {
        let text = "The library of the Workers' Party of Korea; the 자립적민족경제와 of 국 to ABC-DEF \
                    and 1990s, or the Korean peninsula is in a state of flux.";
        let analyzer = Analyzer::new();
        let mut t = FolioTokenizer::with_grams(analyzer.clone());
        let mut stream = t.token_stream(text);
        let mut indexed = std::collections::HashSet::new();
        while stream.advance() {
            let tok = stream.token();
            indexed.insert((tok.text.clone(), tok.position));
        }
        let words = analyzer.analyze(text);
        let mut grams = 0;
        for len in 2..=4 {
            for w in words.windows(len) {
                let terms: Vec<String> = w.iter().map(|t| t.term.clone()).collect();
                for (at, term) in folio_text::phrase_grams(&terms).into_iter().flatten() {
                    let position = w[0].position as usize + at;
                    assert!(
                        indexed.contains(&(term.clone(), position)),
                        "{term:?} at {position} for {terms:?}"
                    );
                    grams += term.starts_with(folio_text::GRAM_MARK) as usize;
                }
            }
        }
        assert!(grams > 20, "{grams}");
    }
}
