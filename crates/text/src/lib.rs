//! folio's text analysis: the one definition of how a piece of research prose becomes search terms.
//!
//! Everything that compares words goes through [`Analyzer`]: the tantivy tokenizer that indexes
//! paragraphs and parses queries (in `folio-search`), the theme tagger (in `folio-corpus`) and the
//! highlighter. Keeping the rules in one place is what makes a theme's evidence, a query and a
//! highlight agree on what "the same word" means.
//!
//! The rules, and why:
//! - **Latin script** words are lowercased, stripped of diacritics (`Kyŏngje` → `kyongje`) and
//!   stemmed with the Snowball English stemmer (`trading` → `trade`). Romanized Korean is written
//!   with breves, apostrophes or neither, so apostrophes *inside* a word are dropped rather than
//!   splitting it: `Kyo'ngje`, `Kyo’ngje`, `Kyŏngje` and `Kyongje` are one term.
//! - **Hyphens and other punctuation split** words, so `Kim Jong-un` gives the same three terms, at
//!   the same consecutive positions, as `Kim Jong Un`.
//! - **Hangul and other CJK scripts** are written without spaces between the parts of a compound
//!   (`자립적민족경제와`), and no dictionary can be downloaded at build time. A run of such
//!   characters becomes overlapping two-character pieces, each at its own position (`자립`, `립적`,
//!   `적민`, …), so a word inside a compound is found as a phrase of its pieces and phrase queries
//!   keep working. A run of one character is kept whole.
//! - Nothing is dropped at index time, not even stop words: phrases such as "Workers' Party of
//!   Korea" must match exactly. Tokens say whether they are stop words so that query code can
//!   decide what a question like "why did …" really requires.

use std::cell::RefCell;
use std::fmt;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Terms longer than this (in bytes) are not indexed: they are URLs, hashes or run-on garbage, and
/// tantivy refuses terms above 64 KiB anyway.
pub const MAX_TERM_BYTES: usize = 80;

/// One term produced by the analyzer, with where it came from in the original text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Token {
    /// The normalised term, as it is stored in the index.
    pub term: String,
    /// Byte offset of the first byte of the word in the analysed text.
    pub from: usize,
    /// Byte offset one past the last byte of the word in the analysed text.
    pub to: usize,
    /// Position of the term: consecutive words (and consecutive Hangul pieces) have consecutive
    /// positions.
    pub position: u32,
    /// The word is an English stop word (`the`, `why`, `of`, …).
    pub stopword: bool,
    /// The term is one of the most frequent words ([`is_common_term`]): it forms common grams.
    pub common: bool,
    /// The term is a piece of a Hangul/CJK run rather than a whole word.
    pub cjk: bool,
}

/// The analysis pipeline. Cheap to clone; build one and share it.
#[derive(Clone)]
pub struct Analyzer {
    stemmer: std::sync::Arc<Stemmer>,
}

impl fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Analyzer(english)")
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    /// The analyzer folio uses for every text field.
    pub fn new() -> Self {
        Analyzer {
            stemmer: std::sync::Arc::new(Stemmer::create(Algorithm::English)),
        }
    }

    /// A token stream over `text`; call [`Tokens::advance`] and read [`Tokens::token`].
    pub fn tokens<'a>(&'a self, text: &'a str) -> Tokens<'a> {
        Tokens {
            analyzer: self,
            text,
            cursor: 0,
            run: Vec::new(),
            run_next: 0,
            next_position: 0,
            token: Token::default(),
            word: String::new(),
            keys_only: false,
            key: None,
        }
    }

    /// Like [`Analyzer::tokens`], but a short ASCII word of letters and digits is not analyzed:
    /// its token has an empty term and [`Tokens::raw_key`] says which word it is. For callers that
    /// keep their own table of words (the theme tagger, which only asks whether a word is
    /// evidence) and analyze a word with [`Analyzer::term_of_word`] the first time they meet it,
    /// or that only need the terms of some words: such a word's term always starts with its
    /// first character, lowercased (stemming only changes endings), so highlighting analyzes
    /// only the words whose first letter starts a term it looks for.
    pub fn word_keys<'a>(&'a self, text: &'a str) -> Tokens<'a> {
        Tokens {
            keys_only: true,
            ..self.tokens(text)
        }
    }

    /// The term of one word, as [`Analyzer::tokens`] would give it (empty when the word gives no
    /// token).
    pub fn term_of_word(&self, word: &str) -> String {
        let mut term = String::new();
        self.term_of_word_into(word, &mut term);
        term
    }

    /// [`Analyzer::term_of_word`] into `term` (replacing what it held): a caller analyzing
    /// many words keeps one buffer instead of allocating a string for each.
    pub fn term_of_word_into(&self, word: &str, term: &mut String) {
        let mut tokens = self.tokens(word);
        tokens.token.term = std::mem::take(term);
        let found = tokens.advance();
        *term = std::mem::take(&mut tokens.token.term);
        if !found {
            term.clear();
        }
    }

    /// All tokens of `text`, collected. Convenient for short strings (queries, evidence phrases).
    pub fn analyze(&self, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        let mut tokens = self.tokens(text);
        while tokens.advance() {
            out.push(tokens.token().clone());
        }
        out
    }

    /// The terms of `text`, in order.
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.analyze(text).into_iter().map(|t| t.term).collect()
    }

    /// Folds a word the way the analyzer does, without stemming: for prefix queries, where
    /// `trad*` must match the stored term `trade` and stemming the prefix would be wrong.
    pub fn fold(&self, word: &str) -> String {
        fold(word)
    }

    /// Stems an already folded word.
    pub fn stem(&self, folded: &str) -> String {
        let mut out = String::new();
        if folded.bytes().all(|b| b.is_ascii_lowercase()) {
            stem_into(&self.stemmer, folded, &mut out);
        } else {
            out.push_str(folded);
        }
        out
    }
}

/// A streaming tokenizer over one text. Reuses its buffers, so tokenizing a paragraph allocates
/// nothing per word once warm.
pub struct Tokens<'a> {
    analyzer: &'a Analyzer,
    text: &'a str,
    cursor: usize,
    /// Byte offsets of the characters of the pending CJK run, plus the end offset.
    run: Vec<usize>,
    run_next: usize,
    next_position: u32,
    token: Token,
    word: String,
    /// Short plain words are reported by key, not analyzed ([`Analyzer::word_keys`]).
    keys_only: bool,
    /// The key of the current token's word, when it was not analyzed.
    key: Option<RawKey>,
}

/// A short ASCII word of letters and digits, as written: equal keys are equal words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawKey([u64; 2]);

impl RawKey {
    /// The word's slot in a direct-mapped table of `slots` slots (a power of two).
    #[inline]
    pub fn slot(self, slots: usize) -> usize {
        debug_assert!(slots.is_power_of_two() && slots > 1);
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let hash = (self.0[0] ^ self.0[1].wrapping_mul(K).rotate_left(29)).wrapping_mul(K);
        // The multiply mixes into the top bits.
        (hash >> (64 - slots.trailing_zeros())) as usize
    }
}

impl Tokens<'_> {
    /// Moves to the next token; returns false at the end of the text.
    pub fn advance(&mut self) -> bool {
        loop {
            if self.emit_from_run() {
                return true;
            }
            let Some((start, class)) = self.skip_separators() else {
                return false;
            };
            match class {
                CharClass::Cjk => self.start_run(start),
                CharClass::Word => {
                    if self.read_word(start) {
                        return true;
                    }
                }
                CharClass::Separator => unreachable!("skip_separators stops at a word"),
            }
        }
    }

    /// The current token; valid after `advance` returned true.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// With [`Analyzer::word_keys`]: the key of the current token's word when it was not
    /// analyzed (its term is then empty; the word is `text[from..to]`).
    pub fn raw_key(&self) -> Option<RawKey> {
        self.key
    }

    /// The current token, mutable: tantivy's token stream hands it out this way.
    pub fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }

    fn skip_separators(&mut self) -> Option<(usize, CharClass)> {
        // Most text is ASCII: skip its separators byte by byte.
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.cursor) {
            if !b.is_ascii() {
                break;
            }
            if b.is_ascii_alphanumeric() {
                return Some((self.cursor, CharClass::Word));
            }
            self.cursor += 1;
        }
        let rest = &self.text[self.cursor..];
        for (i, c) in rest.char_indices() {
            let class = classify(c);
            if class != CharClass::Separator {
                return Some((self.cursor + i, class));
            }
        }
        self.cursor = self.text.len();
        None
    }

    fn start_run(&mut self, start: usize) {
        self.run.clear();
        self.run_next = 0;
        let mut end = self.text.len();
        for (i, c) in self.text[start..].char_indices() {
            if classify(c) != CharClass::Cjk {
                end = start + i;
                break;
            }
            self.run.push(start + i);
        }
        self.run.push(end);
        self.cursor = end;
    }

    /// Emits the next piece of the pending CJK run: overlapping pairs, or the single character
    /// of a one-character run.
    fn emit_from_run(&mut self) -> bool {
        let chars = self.run.len().saturating_sub(1);
        if chars == 0 {
            return false;
        }
        let i = self.run_next;
        let width = if chars == 1 { 1 } else { 2 };
        if i + width > chars {
            self.run.clear();
            return false;
        }
        let (from, to) = (self.run[i], self.run[i + width]);
        self.run_next += 1;
        self.key = None;
        self.token.term.clear();
        self.token.term.push_str(&self.text[from..to]);
        self.set_span(from, to, WordFlags::default(), true);
        true
    }

    /// Reads one word starting at `start`; returns whether it produced a token.
    fn read_word(&mut self, start: usize) -> bool {
        let text = self.text;
        // Most words are ASCII letters and digits: find their end byte by byte, and go through
        // characters only for words with other characters or apostrophes.
        let bytes = text.as_bytes();
        let mut end = start;
        while bytes.get(end).is_some_and(u8::is_ascii_alphanumeric) {
            end += 1;
        }
        let plain = bytes
            .get(end)
            .is_none_or(|&b| b.is_ascii() && b != b'\'' && b != b'`');
        if !plain {
            end = word_end(text, start);
        }
        self.cursor = end;
        let raw = &text[start..end];
        self.key = None;
        if plain && raw.len() <= RAW_BYTES && self.keys_only {
            self.key = Some(RawKey(raw_key(text.as_bytes(), start, raw.len())));
            self.token.term.clear();
            self.set_span(start, end, WordFlags::default(), false);
            return true;
        }
        if plain && raw.len() <= RAW_BYTES {
            // The common case: a short ASCII word, looked up as written.
            let flags = plain_term(
                &self.analyzer.stemmer,
                text,
                (start, end),
                &mut self.word,
                &mut self.token.term,
            );
            self.set_span(start, end, flags, false);
            return true;
        }
        self.word.clear();
        fold_into(raw, &mut self.word);
        if self.word.is_empty() || self.word.len() > MAX_TERM_BYTES {
            return false;
        }
        self.token.term.clear();
        let flags = term_of_folded(&self.analyzer.stemmer, &self.word, &mut self.token.term);
        self.set_span(start, end, flags, false);
        true
    }

    fn set_span(&mut self, from: usize, to: usize, flags: WordFlags, cjk: bool) {
        self.token.from = from;
        self.token.to = to;
        self.token.position = self.next_position;
        self.token.stopword = flags.stop;
        self.token.common = flags.common;
        self.token.cjk = cjk;
        self.next_position += 1;
    }
}

/// Words stemmed on this thread, so that each distinct word is stemmed once: word frequencies are
/// Zipfian, and the Snowball stemmer costs far more than a hash lookup. Bounded: cleared when
/// full.
const STEM_CACHE_WORDS: usize = 100_000;

/// What the analyzer knows of a word besides its stem.
#[derive(Clone, Copy, Debug, Default)]
struct WordFlags {
    /// A stop word.
    stop: bool,
    /// Its stem forms common grams ([`is_common_term`]).
    common: bool,
}

/// Word → (stem, flags).
type StemCache = FxHashMap<Box<str>, (Box<str>, WordFlags)>;

/// Words (and stems) of at most this many bytes also go into a small direct-mapped table in
/// front of the [`StemCache`]: the most frequent words are short, and a slot holds its word and
/// stem inline, one memory access where the map needs three (control bytes, key, stem).
const FRONT_BYTES: usize = 14;
const FRONT_SLOTS: usize = 4096;

#[derive(Clone, Copy, Default)]
struct FrontSlot {
    word_len: u8,
    stem_len: u8,
    word: [u8; FRONT_BYTES],
    stem: [u8; FRONT_BYTES],
    flags: WordFlags,
}

struct Stems {
    raw: Box<[RawSlot]>,
    front: Box<[FrontSlot]>,
    all: StemCache,
}

thread_local! {
    static STEMS: RefCell<Stems> = RefCell::new(Stems {
        raw: vec![RawSlot::default(); RAW_SLOTS].into_boxed_slice(),
        front: vec![FrontSlot::default(); FRONT_SLOTS].into_boxed_slice(),
        all: StemCache::default(),
    });
}

/// Appends the English stem of `word` (lowercase ASCII) to `out`; returns whether the word is a
/// stop word and its stem a stop word's.
fn stem_into(stemmer: &Stemmer, word: &str, out: &mut String) -> WordFlags {
    use std::hash::Hasher;
    STEMS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let Stems { front, all, .. } = &mut *cache;
        let slot = (word.len() <= FRONT_BYTES).then(|| {
            let mut h = rustc_hash::FxHasher::default();
            h.write(word.as_bytes());
            // Fx mixes into the high bits.
            (h.finish() >> 52) as usize % FRONT_SLOTS
        });
        if let Some(i) = slot {
            let f = &front[i];
            if usize::from(f.word_len) == word.len() && &f.word[..word.len()] == word.as_bytes() {
                // Stems are whole ASCII strings.
                push_ascii(out, &f.stem[..usize::from(f.stem_len)]);
                return f.flags;
            }
        }
        let start = out.len();
        let flags = match all.get(word) {
            Some((stem, flags)) => {
                out.push_str(stem);
                *flags
            }
            None => {
                let stem = stemmer.stem(word);
                let flags = WordFlags {
                    stop: is_stopword(word),
                    common: is_common_term(&stem),
                };
                out.push_str(&stem);
                if all.len() >= STEM_CACHE_WORDS {
                    all.clear();
                }
                all.insert(word.into(), (stem.into(), flags));
                flags
            }
        };
        let stem = &out[start..];
        if let Some(i) = slot
            && stem.len() <= FRONT_BYTES
        {
            let f = &mut front[i];
            f.word_len = word.len() as u8;
            f.word[..word.len()].copy_from_slice(word.as_bytes());
            f.stem_len = stem.len() as u8;
            f.stem[..stem.len()].copy_from_slice(stem.as_bytes());
            f.flags = flags;
        }
        flags
    })
}

/// Appends the term of a folded word to `out`: its stem when it is lowercase letters, itself
/// otherwise (numbers, words with digits, other scripts).
fn term_of_folded(stemmer: &Stemmer, word: &str, out: &mut String) -> WordFlags {
    // Stop words are all lowercase ASCII, so other words need no check.
    if word.bytes().all(|b| b.is_ascii_lowercase()) {
        stem_into(stemmer, word, out)
    } else {
        out.push_str(word);
        WordFlags::default()
    }
}

/// ASCII words of letters and digits of at most this many bytes are looked up as written, before
/// folding, in a direct-mapped table in front of the stem cache ([`RawSlot`]).
const RAW_BYTES: usize = 16;
/// Every thread that analyzes text has one (320 KB): 65,536 slots took 0.9% of indexing's
/// instructions out but added 60 MB to a server's memory (2.6 MB for each of its threads).
const RAW_SLOTS: usize = 8192;

/// A word as written (`The`, `economy`, `1990s`) and its term, both inline: a hit costs one
/// multiply and two compares, with no folding, no hashing of bytes and no call to compare them.
/// Word frequencies are Zipfian, so most tokens of prose hit.
#[derive(Clone, Copy, Default)]
struct RawSlot {
    /// The word's bytes, little-endian, zero-padded; all zero when the slot is empty (no word is
    /// empty).
    key: [u64; 2],
    term: [u8; RAW_BYTES],
    term_len: u8,
    flags: WordFlags,
}

/// Appends a term kept in a table slot: ASCII (copied from a whole ASCII string), so each byte is
/// a `char`; validating it as UTF-8 instead cost more than the rest of a hit.
#[inline]
fn push_ascii(out: &mut String, term: &[u8]) {
    out.extend(term.iter().map(|&b| char::from(b)));
}

/// The key of the word of `len` bytes (at most [`RAW_BYTES`]) at `start` of `text`: two loads
/// and two masks where the text goes on long enough (copying the word into a buffer first made
/// the loads wait for the copy).
#[inline]
fn raw_key(text: &[u8], start: usize, len: usize) -> [u64; 2] {
    let mask = |n: usize| if n >= 8 { !0 } else { (1u64 << (8 * n)) - 1 };
    match text.get(start..start + RAW_BYTES) {
        Some(b) => {
            let (lo, hi) = b.split_at(8);
            [
                u64::from_le_bytes(lo.try_into().expect("8 bytes")) & mask(len),
                u64::from_le_bytes(hi.try_into().expect("8 bytes")) & mask(len.saturating_sub(8)),
            ]
        }
        None => {
            let mut key = [0u64; 2];
            for (i, &b) in text[start..start + len].iter().enumerate() {
                key[i / 8] |= u64::from(b) << (8 * (i % 8));
            }
            key
        }
    }
}

/// Appends the term of the word `text[start..end]`, ASCII letters and digits, at most
/// [`RAW_BYTES`] bytes, to `out`; `word` is scratch space for its folded form.
fn plain_term(
    stemmer: &Stemmer,
    text: &str,
    (start, end): (usize, usize),
    word: &mut String,
    out: &mut String,
) -> WordFlags {
    let raw = &text[start..end];
    let key = raw_key(text.as_bytes(), start, raw.len());
    let slot = RawKey(key).slot(RAW_SLOTS);
    out.clear();
    let hit = STEMS.with(|cache| {
        let cache = cache.borrow();
        let s = &cache.raw[slot];
        (s.key == key).then(|| {
            push_ascii(out, &s.term[..usize::from(s.term_len)]);
            s.flags
        })
    });
    if let Some(flags) = hit {
        return flags;
    }
    word.clear();
    fold_into(raw, word);
    let flags = term_of_folded(stemmer, word, out);
    if out.len() <= RAW_BYTES {
        STEMS.with(|cache| {
            let s = &mut cache.borrow_mut().raw[slot];
            s.key = key;
            s.term[..out.len()].copy_from_slice(out.as_bytes());
            s.term_len = out.len() as u8;
            s.flags = flags;
        });
    }
    flags
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CharClass {
    Word,
    Cjk,
    Separator,
}

/// Where the word starting at `start` ends, character by character.
fn word_end(text: &str, start: usize) -> usize {
    let mut chars = text[start..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match classify(c) {
            CharClass::Word => {}
            CharClass::Separator if is_apostrophe(c) => {
                // Inside a word (Kyo'ngje, Korea's) the apostrophe joins; at its end it ends it.
                let next_is_word = chars
                    .peek()
                    .is_some_and(|&(_, n)| classify(n) == CharClass::Word);
                if !next_is_word {
                    return start + i;
                }
            }
            _ => return start + i,
        }
    }
    text.len()
}

fn classify(c: char) -> CharClass {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() {
            CharClass::Word
        } else {
            CharClass::Separator
        };
    }
    if is_cjk(c) {
        CharClass::Cjk
    } else if c.is_alphanumeric() || is_combining_mark(c) {
        CharClass::Word
    } else {
        CharClass::Separator
    }
}

/// Scripts written without spaces inside compounds: Hangul syllables, CJK ideographs, kana.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{AC00}'..='\u{D7A3}'   // Hangul syllables
        | '\u{1100}'..='\u{11FF}' // Hangul jamo
        | '\u{3130}'..='\u{318F}' // Hangul compatibility jamo
        | '\u{3040}'..='\u{30FF}' // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
    )
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | 'ʼ' | '`' | '´' | 'ʻ' | '′')
}

/// Lowercases a word and strips its diacritics and apostrophes, as the analyzer does before
/// stemming.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    fold_into(word, &mut out);
    out
}

/// Folds one character (see [`fold`]); punctuation other than apostrophes is kept as is.
pub fn fold_char(c: char, out: &mut String) {
    if is_apostrophe(c) {
        return;
    }
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else {
        fold_into(c.encode_utf8(&mut [0; 4]), out);
    }
}

/// Lowercases and strips diacritics; apostrophes vanish. Hangul never reaches here.
fn fold_into(word: &str, out: &mut String) {
    if word.is_ascii() {
        for b in word.bytes() {
            if b.is_ascii_alphanumeric() {
                out.push(b.to_ascii_lowercase() as char);
            }
        }
        return;
    }
    for c in word.chars() {
        if is_apostrophe(c) || is_combining_mark(c) {
            continue;
        }
        match c {
            'ß' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ø' | 'Ø' => out.push('o'),
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
            'ł' | 'Ł' => out.push('l'),
            'ı' => out.push('i'),
            'þ' | 'Þ' => out.push_str("th"),
            _ => decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    out.extend(d.to_lowercase());
                }
            }),
        }
    }
}

/// English stop words, checked on the folded, unstemmed word.
pub fn is_stopword(folded: &str) -> bool {
    STOPWORDS.binary_search(&folded).is_ok()
}

/// Common grams: one of the most frequent words and the word beside it, indexed as one term so
/// that a phrase such as "the library" or "version of the" is found without reading where `the`
/// and `of` occur in every paragraph that holds the other words (for the words in nearly every
/// paragraph, those positions are most of a phrase search's work).
///
/// Only the few words that make up a fifth of English prose form grams: each gram is one more
/// term to index, and a phrase's less frequent stop words (`which`, `should`) cost little to
/// check. Both sides decide on the *term* (the stem), not on the word it came from, since a
/// query can only see terms.
pub fn is_common_term(term: &str) -> bool {
    COMMON_TERMS.contains(&term)
}

/// The terms of [`is_common_term`] (these words are their own stems).
const COMMON_TERMS: &[&str] = &["a", "and", "in", "is", "of", "or", "that", "the", "to"];

/// Whether two consecutive terms are indexed together as a common gram: one of them is a
/// common word and neither is a piece of a Hangul or CJK run.
pub fn is_gram(first: &str, second: &str) -> bool {
    let cjk = |t: &str| t.chars().next().is_some_and(is_cjk);
    (is_common_term(first) || is_common_term(second)) && !cjk(first) && !cjk(second)
}

/// Marks a common gram: no word holds it, so a query for a word never finds a gram, and as the
/// first byte it sorts every gram before every word, so a prefix (`libr*`) never expands to one.
pub const GRAM_MARK: char = '\u{1}';

/// Writes the common gram of two consecutive terms into `out` (cleared first).
pub fn gram_into(first: &str, second: &str, out: &mut String) {
    out.clear();
    out.push(GRAM_MARK);
    out.push_str(first);
    out.push(' ');
    out.push_str(second);
}

/// The terms that find a phrase, with their offsets in it: a gram for each consecutive pair
/// that is one, and each word that no gram covers as itself (the same paragraphs as the words'
/// own positions, without reading where the most frequent words occur). None when no pair is
/// a gram (then the phrase is searched on its words).
pub fn phrase_grams(terms: &[String]) -> Option<Vec<(usize, String)>> {
    let mut out = Vec::with_capacity(terms.len());
    let mut has_gram = false;
    // The word at `i` is covered when a gram starts at it or ends at it.
    let mut ends_gram = false;
    for (i, term) in terms.iter().enumerate() {
        let starts_gram = terms.get(i + 1).is_some_and(|next| is_gram(term, next));
        if starts_gram {
            let mut g = String::new();
            gram_into(term, &terms[i + 1], &mut g);
            out.push((i, g));
            has_gram = true;
        } else if !ends_gram {
            out.push((i, term.clone()));
        }
        ends_gram = starts_gram;
    }
    has_gram.then_some(out)
}

/// Sorted, so that lookup is a binary search.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        Analyzer::new().terms(text)
    }

    /// What [`Analyzer::word_keys`] promises its callers: the term of a plain ASCII word starts
    /// with the word's first character, lowercased. Checked on every word of up to three
    /// letters and on words built to meet each of the stemmer's suffix rules.
    #[test]
    fn a_plain_words_term_keeps_its_first_letter() {
        let a = Analyzer::new();
        let letters: Vec<char> = ('a'..='z').chain('0'..='9').collect();
        let mut words: Vec<String> = Vec::new();
        for &x in &letters {
            words.push(x.to_string());
            for &y in &letters {
                words.push(format!("{x}{y}"));
                for &z in &letters {
                    words.push(format!("{x}{y}{z}"));
                }
            }
        }
        let bodies = [
            "", "a", "e", "i", "o", "u", "y", "b", "ss", "ie", "ee", "ing", "ar",
        ];
        let suffixes = [
            "s", "es", "ies", "ied", "ed", "ing", "ingly", "edly", "eed", "eedly", "ly", "ful",
            "ness", "ation", "ational", "ization", "ive", "ize", "ise", "ent", "ement", "ment",
            "ance", "ence", "er", "ic", "able", "ible", "ant", "ism", "iti", "ous", "al", "ate",
            "iviti", "biliti", "li", "alli", "fulli", "lessli", "y", "e", "ion", "sses", "us",
        ];
        for first in 'a'..='z' {
            for body in bodies {
                for suffix in suffixes {
                    words.push(format!("{first}{body}{suffix}"));
                    words.push(format!("{}{body}{suffix}", first.to_ascii_uppercase()));
                }
            }
        }
        for w in [
            "skis", "skies", "dying", "lying", "tying", "idly", "gently", "ugly", "early", "only",
            "singly", "news", "howe", "atlas", "cosmos", "bias", "andes", "Ying", "yes", "aing",
        ] {
            words.push(w.to_string());
        }
        for w in &words {
            let term = a.term_of_word(w);
            let first = w.as_bytes()[0].to_ascii_lowercase();
            assert_eq!(term.as_bytes().first(), Some(&first), "{w} -> {term}");
        }
    }

    #[test]
    fn common_grams_spell_phrases_of_frequent_words() {
        let a = Analyzer::new();
        let grams = |q: &str| -> Option<Vec<(usize, String)>> { phrase_grams(&a.terms(q)) };
        let spelled = |v: &[(usize, &str)]| -> Option<Vec<(usize, String)>> {
            Some(v.iter().map(|(i, t)| (*i, t.to_string())).collect())
        };
        assert_eq!(
            grams("version of the library"),
            spelled(&[
                (0, "\u{1}version of"),
                (1, "\u{1}of the"),
                (2, "\u{1}the librari")
            ])
        );
        // A word that no gram covers is searched as itself, at its offset.
        assert_eq!(
            grams("the Korean peninsula"),
            spelled(&[(0, "\u{1}the korean"), (2, "peninsula")])
        );
        assert_eq!(
            grams("economic policy of"),
            spelled(&[(0, "econom"), (1, "\u{1}polici of")])
        );
        assert_eq!(grams("to be"), spelled(&[(0, "\u{1}to be")]));
        // A common word beside a Hangul piece forms no gram (the index has none).
        assert_eq!(grams("the 자립"), None);
        let stemmer = Stemmer::create(Algorithm::English);
        assert!(COMMON_TERMS.iter().all(|w| stemmer.stem(w) == *w));
        assert_eq!(grams("economic policy"), None);
        assert_eq!(grams("the"), None);
    }

    #[test]
    fn stopwords_are_sorted() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn stems_english() {
        assert_eq!(terms("trading"), terms("trade"));
        assert_eq!(terms("Sanctions"), terms("sanction"));
        assert_eq!(terms("economies"), terms("economy"));
    }

    #[test]
    fn folds_romanized_korean_spellings_to_one_term() {
        let expected = terms("Kyongje Yongu");
        for spelling in [
            "Kyo'ngje Yo'ngu",
            "Kyŏngje Yŏn'gu",
            "Kyo’ngje Yo’ngu",
            "KYONGJE YONGU",
        ] {
            assert_eq!(terms(spelling), expected, "{spelling}");
        }
    }

    #[test]
    fn hyphens_split_names_at_consecutive_positions() {
        let a = Analyzer::new().analyze("Kim Jong-un");
        let b = Analyzer::new().analyze("Kim Jong Un");
        let key = |t: &[Token]| {
            t.iter()
                .map(|t| (t.term.clone(), t.position))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b));
    }

    #[test]
    fn possessives_fold_into_the_word() {
        assert_eq!(terms("Korea’s"), terms("Korea"));
        assert_eq!(terms("people's"), terms("people"));
    }

    #[test]
    fn hangul_runs_become_overlapping_pairs_with_positions() {
        let tokens = Analyzer::new().analyze("자립적민족경제와 무역");
        let got: Vec<_> = tokens
            .iter()
            .map(|t| (t.term.as_str(), t.position))
            .collect();
        assert_eq!(
            got,
            vec![
                ("자립", 0),
                ("립적", 1),
                ("적민", 2),
                ("민족", 3),
                ("족경", 4),
                ("경제", 5),
                ("제와", 6),
                ("무역", 7)
            ]
        );
        assert_eq!(
            &"자립적민족경제와 무역"[tokens[3].from..tokens[3].to],
            "민족"
        );
    }

    #[test]
    fn single_hangul_syllable_is_kept() {
        assert_eq!(terms("김 정일"), vec!["김", "정일"]);
    }

    #[test]
    fn mixed_scripts_split_at_the_boundary() {
        assert_eq!(terms("DPRK의 2013년"), vec!["dprk", "의", "2013", "년"]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "“Kyo’ngje Yo’ngu,” (2013).";
        for t in Analyzer::new().analyze(text) {
            assert!(text.is_char_boundary(t.from) && text.is_char_boundary(t.to));
        }
        let first = &Analyzer::new().analyze(text)[0];
        assert_eq!(&text[first.from..first.to], "Kyo’ngje");
    }

    #[test]
    fn trailing_apostrophe_ends_the_word() {
        assert_eq!(terms("countries’ trade"), terms("countries trade"));
    }

    #[test]
    fn stopwords_are_flagged_not_dropped() {
        let tokens = Analyzer::new().analyze("Workers' Party of Korea");
        assert_eq!(tokens.len(), 4);
        assert!(tokens[2].stopword);
        assert!(!tokens[1].stopword);
    }

    #[test]
    fn overlong_terms_are_skipped() {
        let long = "x".repeat(200);
        assert_eq!(terms(&format!("a {long} b")), vec!["a", "b"]);
    }

    #[test]
    fn fold_does_not_stem() {
        let a = Analyzer::new();
        assert_eq!(a.fold("Trad"), "trad");
        assert_eq!(a.fold("Yŏn'gu"), "yongu");
    }

    #[test]
    fn words_looked_up_as_written_get_the_terms_of_the_full_analysis() {
        let a = Analyzer::new();
        let stemmer = Stemmer::create(Algorithm::English);
        // Mixed case, digits, stop words, exactly 16 and 17 bytes, and enough distinct words to
        // make slots of the table collide.
        let mut words: Vec<String> = [
            "The",
            "THE",
            "the",
            "Economies",
            "economy",
            "1990s",
            "Kim",
            "trading",
            "sixteenbyteswords",
            "sixteenbyteword",
            "Sixteenbyteword",
            "Which",
            "of",
        ]
        .iter()
        .map(|w| w.to_string())
        .collect();
        // Each special word again right away (a hit), then many others, then again.
        let specials = words.clone();
        words.extend(specials.iter().cloned());
        words.extend((0..20_000).map(|i| format!("w{i}ord")));
        words.extend(specials);
        let expected = |w: &str| {
            let folded = fold(w);
            if folded.bytes().all(|b| b.is_ascii_lowercase()) {
                (stemmer.stem(&folded).into_owned(), is_stopword(&folded))
            } else {
                (folded, false)
            }
        };
        let text = words.join(" ");
        for pass in 0..3 {
            let tokens = a.analyze(&text);
            assert_eq!(tokens.len(), words.len(), "pass {pass}");
            for (t, w) in tokens.iter().zip(&words) {
                assert_eq!(
                    (t.term.clone(), t.stopword),
                    expected(w),
                    "pass {pass}: {w}"
                );
                assert_eq!(t.common, is_common_term(&t.term), "pass {pass}: {w}");
            }
        }
    }
}
