//! folio's analyzer as a tantivy tokenizer. The rules themselves live in `folio-text`; this module
//! only adapts their token stream to tantivy's, and registers it on every index that is opened.

use folio_text::{Analyzer, Tokens};
use tantivy::Index;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The name under which the analyzer is registered on an index.
pub const ANALYZER_NAME: &str = "folio";

/// The tantivy tokenizer wrapping [`Analyzer`].
#[derive(Clone, Debug, Default)]
pub struct FolioTokenizer {
    analyzer: Analyzer,
}

impl FolioTokenizer {
    pub fn new(analyzer: Analyzer) -> Self {
        FolioTokenizer { analyzer }
    }
}

/// Token stream adapter.
pub struct FolioTokenStream<'a> {
    inner: Tokens<'a>,
    token: Token,
}

impl Tokenizer for FolioTokenizer {
    type TokenStream<'a> = FolioTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> FolioTokenStream<'a> {
        FolioTokenStream {
            inner: self.analyzer.tokens(text),
            token: Token::default(),
        }
    }
}

impl TokenStream for FolioTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if !self.inner.advance() {
            return false;
        }
        let t = self.inner.token();
        self.token.text.clear();
        self.token.text.push_str(&t.term);
        self.token.offset_from = t.from;
        self.token.offset_to = t.to;
        self.token.position = t.position as usize;
        self.token.position_length = 1;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// Registers folio's analyzer on an index; needed each time an index is created or opened.
pub fn register(index: &Index, analyzer: &Analyzer) {
    index
        .tokenizers()
        .register(ANALYZER_NAME, FolioTokenizer::new(analyzer.clone()));
}
