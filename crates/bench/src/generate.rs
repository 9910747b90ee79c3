//! The corpus generator: a deterministic corpus of N paragraphs of real prose, as JSON Lines.
//!
//! The prose comes from two inputs that are the same on every machine that runs the benchmark:
//! the license texts every Debian system ships (`/usr/share/common-licenses`, package
//! `base-files`) and folio's bundled sample corpus (research articles on North Korea's economy,
//! cleaned by folio's own pipeline). Their sentences train a word-level Markov chain of order two;
//! a generated paragraph is a few sentences, each either a real sentence taken whole or a new one
//! walked from the chain (real word pairs, so phrases and co-occurrences are natural), lightly
//! varied: about one long word in forty is swapped for a word from a long-tailed synthetic
//! vocabulary (power law over two million words), which gives the rare terms a real corpus of a
//! million paragraphs has and two small inputs do not.
//!
//! Documents have 1 to 60 paragraphs (most are short), one of a dozen sources (skewed: the first
//! has about a quarter of the documents), a year in 1995–2025 (skewed to recent), authors, and
//! sometimes document-level themes (folio's taxonomy); folio's tagger adds paragraph themes from
//! the text when the corpus is indexed.
//!
//! Everything is drawn from one seeded generator, in one thread, so the same seed and size give
//! the same bytes.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

use crate::rng::{Rng, splitmix64};

/// Where the license texts are.
pub const LICENSES_DIR: &str = "/usr/share/common-licenses";

/// The sources, most frequent first (weights fall as 1/rank^1.1).
pub const SOURCES: [&str; 12] = [
    "Northern Economic Review",
    "Peninsula Policy Forum",
    "Institute of Planning Studies",
    "Trade and Sanctions Monitor",
    "Open Licence Quarterly",
    "Pyongyang Watch",
    "Regional Security Digest",
    "Commons Law Journal",
    "Agrarian Policy Notes",
    "Border Economy Letters",
    "Software Freedom Papers",
    "Archive of Translated Reports",
];

pub fn source_weights() -> Vec<f64> {
    (1..=SOURCES.len())
        .map(|r| 1.0 / (r as f64).powf(1.1))
        .collect()
}

/// First and last year of the corpus.
pub const YEARS: (u32, u32) = (1995, 2025);

/// Paragraphs per JSON Lines file.
const PER_FILE: usize = 20_000;

/// Size of the synthetic long-tail vocabulary.
const TAIL_WORDS: u64 = 2_000_000;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    pub paragraphs: usize,
    pub seed: u64,
    pub out: PathBuf,
    pub licenses: PathBuf,
    pub sample_corpus: PathBuf,
}

/// What was generated, and what the query mix is derived from.
#[derive(Debug)]
pub struct Generated {
    pub documents: usize,
    pub paragraphs: usize,
    pub bytes: u64,
    pub files: usize,
    pub secs: f64,
    pub inputs: Inputs,
    pub material: Material,
}

/// The real prose the corpus is made from.
#[derive(Clone, Debug, Serialize)]
pub struct Inputs {
    pub license_files: Vec<String>,
    pub sample_paragraphs: usize,
    pub sentences: usize,
    pub words: usize,
    /// BLAKE3 of the sentences: two runs with the same fingerprint, seed and size have the same
    /// corpus.
    pub fingerprint: String,
}

/// Statistics of the generated corpus, for deriving queries.
#[derive(Debug, Default)]
pub struct Material {
    pub paragraphs: usize,
    /// Lowercase ASCII words and the number of paragraphs holding them, most frequent first.
    pub df: Vec<(String, u32)>,
    /// A deterministic sample of paragraphs.
    pub sample: Vec<String>,
    /// Theme ids given to documents.
    pub themes: Vec<String>,
}

/// Sentences as token ids, by origin.
struct Pool {
    words: Vec<String>,
    ids: HashMap<String, u32>,
    licenses: Vec<Vec<u32>>,
    sample: Vec<Vec<u32>>,
    /// Order-2 chain: (previous, current) → successors (repeated by frequency).
    chain: HashMap<u64, Vec<u32>>,
}

const BOS: u32 = u32::MAX - 1;
const EOS: u32 = u32::MAX;

fn key(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}

impl Pool {
    fn new() -> Pool {
        Pool {
            words: Vec::new(),
            ids: HashMap::new(),
            licenses: Vec::new(),
            sample: Vec::new(),
            chain: HashMap::new(),
        }
    }

    fn intern(&mut self, w: &str) -> u32 {
        if let Some(&id) = self.ids.get(w) {
            return id;
        }
        let id = self.words.len() as u32;
        self.words.push(w.to_string());
        self.ids.insert(w.to_string(), id);
        id
    }

    fn add(&mut self, sentence: &str, from_sample: bool) {
        let ids: Vec<u32> = sentence
            .split_whitespace()
            .map(|w| self.intern(w))
            .collect();
        if ids.len() < 4 {
            return;
        }
        let (mut a, mut b) = (BOS, BOS);
        for &t in ids.iter().chain(std::iter::once(&EOS)) {
            self.chain.entry(key(a, b)).or_default().push(t);
            a = b;
            b = t;
        }
        if from_sample {
            self.sample.push(ids);
        } else {
            self.licenses.push(ids);
        }
    }
}

/// Splits a paragraph into sentences (at `.`, `?` or `!` followed by a capital, a digit or a
/// quote).
fn sentences(paragraph: &str) -> Vec<String> {
    let words: Vec<&str> = paragraph.split_whitespace().collect();
    let mut out = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        cur.push(w);
        let end = w.trim_end_matches(['"', '”', '’', '\'', ')']);
        let ends = end.ends_with(['.', '?', '!']) && !is_abbreviation(end);
        let next_starts = words.get(i + 1).is_none_or(|n| {
            n.chars().next().is_some_and(|c| {
                c.is_uppercase() || c.is_ascii_digit() || matches!(c, '"' | '“' | '(')
            })
        });
        if ends && next_starts {
            out.push(cur.join(" "));
            cur.clear();
        }
    }
    if cur.len() >= 4 {
        let mut s = cur.join(" ");
        if !s.ends_with(['.', '?', '!']) {
            s.push('.');
        }
        out.push(s);
    }
    out
}

fn is_abbreviation(word: &str) -> bool {
    let w = word.trim_start_matches(['(', '"', '“']);
    matches!(
        w,
        "e.g." | "i.e." | "etc." | "Mr." | "Ms." | "Dr." | "No." | "U.S." | "vs." | "Inc." | "cf."
    ) || (w.len() <= 2 && w.ends_with('.'))
}

/// The paragraphs of a license file: blank-line separated, lines joined, headings dropped.
fn license_paragraphs(text: &str) -> Vec<String> {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect();
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let joined = block.split_whitespace().collect::<Vec<_>>().join(" ");
        let words = joined.split_whitespace().count();
        let letters = joined.chars().filter(|c| c.is_alphabetic()).count();
        let upper = joined.chars().filter(|c| c.is_uppercase()).count();
        if words < 6 || letters == 0 || upper * 2 > letters {
            continue;
        }
        let joined = joined.replace("``", "\"").replace("''", "\"");
        out.push(joined);
    }
    out
}

/// Reads the inputs and builds the chain.
fn pool(opts: &Options) -> anyhow::Result<(Pool, Inputs)> {
    let mut pool = Pool::new();
    let mut license_files = Vec::new();
    match std::fs::read_dir(&opts.licenses) {
        Ok(rd) => {
            let mut files: Vec<PathBuf> = rd
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.path())
                .collect();
            files.sort();
            for f in files {
                let text = std::fs::read_to_string(&f)
                    .with_context(|| format!("cannot read {}", f.display()))?;
                for p in license_paragraphs(&text) {
                    for s in sentences(&p) {
                        pool.add(&s, false);
                    }
                }
                license_files.push(
                    f.file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default(),
                );
            }
        }
        Err(e) => eprintln!(
            "warning: cannot read {} ({e}); the corpus is made from the sample corpus alone and differs from other machines'",
            opts.licenses.display()
        ),
    }
    let corpus = folio_corpus::Corpus::open(&opts.sample_corpus).with_context(|| {
        format!(
            "cannot open the sample corpus {}",
            opts.sample_corpus.display()
        )
    })?;
    let pipeline = crate::settings::pipeline()?;
    let mut sample_paragraphs = 0;
    for doc in corpus.documents() {
        let doc = pipeline.prepare(doc?)?;
        for p in &doc.paragraphs {
            if p.kind != folio_corpus::Kind::Body {
                continue;
            }
            sample_paragraphs += 1;
            for s in sentences(&p.text) {
                pool.add(&s, true);
            }
        }
    }
    if pool.sample.is_empty() && pool.licenses.is_empty() {
        anyhow::bail!("no prose to generate a corpus from");
    }
    let mut hasher = blake3::Hasher::new();
    let mut words = 0;
    for s in pool.licenses.iter().chain(&pool.sample) {
        words += s.len();
        for &t in s {
            hasher.update(pool.words[t as usize].as_bytes());
            hasher.update(b" ");
        }
        hasher.update(b"\n");
    }
    let inputs = Inputs {
        license_files,
        sample_paragraphs,
        sentences: pool.licenses.len() + pool.sample.len(),
        words,
        fingerprint: hasher.finalize().to_hex()[..16].to_string(),
    };
    Ok((pool, inputs))
}

const SYLLABLES: [&str; 48] = [
    "ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "bra", "chu", "del", "fen", "gor", "hal",
    "jin", "kor", "lum", "mar", "nod", "pel", "quin", "ros", "sul", "tar", "ulm", "ves", "wen",
    "yor", "zam", "ari", "eno", "ost", "ule", "ith", "an", "erk", "oph", "ist", "ung", "pa", "di",
    "go", "hu", "be", "cy", "fa", "tro",
];

/// The synthetic word of a rank: common ranks are short, rare ones longer.
pub fn tail_word(rank: u64, salt: u64) -> String {
    let mut h = splitmix64(rank ^ salt.rotate_left(17));
    let magnitude = 64 - rank.leading_zeros() as u64;
    let n = 2 + magnitude / 8 + (h & 1);
    let mut w = String::new();
    for _ in 0..n {
        h = splitmix64(h);
        w.push_str(SYLLABLES[(h % SYLLABLES.len() as u64) as usize]);
    }
    w
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// One JSON Lines record.
#[derive(Serialize)]
struct Record<'a> {
    id: String,
    title: String,
    source: &'a str,
    year: u32,
    date: String,
    authors: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    themes: Vec<&'a str>,
    text: String,
}

struct Generator<'a> {
    pool: &'a Pool,
    rng: Rng,
}

impl Generator<'_> {
    fn home(&mut self, sample: bool) -> &[Vec<u32>] {
        if sample && !self.pool.sample.is_empty() || self.pool.licenses.is_empty() {
            &self.pool.sample
        } else {
            &self.pool.licenses
        }
    }

    /// One sentence, as tokens: a real one (a quarter of the time) or a walk of the chain from
    /// the opening of a real one.
    fn sentence(&mut self, sample: bool, out: &mut Vec<u32>) {
        let n = self.home(sample).len();
        let i = self.rng.below(n);
        let verbatim = self.rng.chance(0.25);
        let pool = self.pool;
        let src = if sample && !pool.sample.is_empty() || pool.licenses.is_empty() {
            &pool.sample[i]
        } else {
            &pool.licenses[i]
        };
        if verbatim {
            out.extend_from_slice(src);
            return;
        }
        let (mut a, mut b) = (src[0], src[1]);
        out.push(a);
        out.push(b);
        for _ in 0..70 {
            let Some(next) = pool.chain.get(&key(a, b)) else {
                break;
            };
            let t = next[self.rng.below(next.len())];
            if t == EOS {
                break;
            }
            out.push(t);
            a = b;
            b = t;
        }
    }

    /// Renders tokens with light variation.
    fn render(&mut self, tokens: &[u32], out: &mut String) {
        for (i, &t) in tokens.iter().enumerate() {
            let w = &self.pool.words[t as usize];
            if !out.is_empty() {
                out.push(' ');
            }
            let core_start = w.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(0);
            let core_end = w
                .rfind(|c: char| c.is_ascii_alphabetic())
                .map_or(0, |e| e + 1);
            let core = &w[core_start..core_end.max(core_start)];
            if i > 0
                && core.len() >= 4
                && core.bytes().all(|b| b.is_ascii_lowercase())
                && self.rng.chance(0.025)
            {
                let rank = self.rng.zipf(TAIL_WORDS, 1.0);
                out.push_str(&w[..core_start]);
                out.push_str(&tail_word(rank, 0));
                out.push_str(&w[core_end..]);
            } else {
                out.push_str(w);
            }
        }
        if !out.ends_with(['.', '?', '!', '"', '”', ')']) {
            out.push('.');
        }
    }

    fn paragraph(&mut self, sample: bool) -> String {
        const SENTENCES: [f64; 7] = [0.12, 0.25, 0.25, 0.18, 0.10, 0.06, 0.04];
        let n = 1 + self.rng.weighted(&SENTENCES);
        let mut text = String::new();
        let mut tokens = Vec::new();
        let mut words = 0;
        let mut k = 0;
        while (k < n || words < 15) && words < 220 {
            tokens.clear();
            let from_sample = if self.rng.chance(0.85) {
                sample
            } else {
                !sample
            };
            self.sentence(from_sample, &mut tokens);
            words += tokens.len();
            let mut s = String::new();
            self.render(&tokens, &mut s);
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&s);
            k += 1;
        }
        // A paragraph starting with `[` would be read as a footnote.
        text.trim_start_matches(['[', '(', '-', '*']).to_string()
    }

    fn title(&mut self, sample: bool) -> String {
        let n = self.home(sample).len();
        let i = self.rng.below(n);
        let len = self.rng.range(4, 9);
        let pool = self.pool;
        let src = if sample && !pool.sample.is_empty() || pool.licenses.is_empty() {
            &pool.sample[i]
        } else {
            &pool.licenses[i]
        };
        let start = self.rng.below(src.len().saturating_sub(len).max(1));
        let words: Vec<String> = src[start..(start + len).min(src.len())]
            .iter()
            .map(|&t| {
                pool.words[t as usize]
                    .trim_matches(|c: char| !c.is_alphanumeric())
                    .to_string()
            })
            .filter(|w| !w.is_empty())
            .map(|w| {
                if w.len() >= 4 {
                    capitalize(&w)
                } else {
                    w.to_lowercase()
                }
            })
            .collect();
        if words.is_empty() {
            "Untitled".to_string()
        } else {
            capitalize(&words.join(" "))
        }
    }
}

/// Counts each lowercase ASCII word once per paragraph.
fn count_words(text: &str, df: &mut HashMap<String, u32>, seen: &mut Vec<String>) {
    seen.clear();
    for w in text.split(|c: char| !c.is_ascii_alphabetic()) {
        if w.len() < 2 {
            continue;
        }
        seen.push(w.to_ascii_lowercase());
    }
    seen.sort_unstable();
    seen.dedup();
    for w in seen.iter() {
        match df.get_mut(w.as_str()) {
            Some(c) => *c += 1,
            None => {
                df.insert(w.clone(), 1);
            }
        }
    }
}

/// Generates the corpus into `opts.out` (created).
pub fn generate(opts: &Options) -> anyhow::Result<Generated> {
    let started = Instant::now();
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("cannot create {}", opts.out.display()))?;
    let (pool, inputs) = pool(opts)?;
    let taxonomy = crate::settings::taxonomy()?;
    let theme_ids: Vec<&str> = taxonomy.themes.iter().map(|t| t.id.as_str()).collect();
    let theme_weights: Vec<f64> = (1..=theme_ids.len()).map(|r| 1.0 / r as f64).collect();
    let source_weights = source_weights();

    let mut root = Rng::new(opts.seed);
    let mut g = Generator {
        pool: &pool,
        rng: root.fork(1),
    };
    let mut df: HashMap<String, u32> = HashMap::new();
    let mut seen = Vec::new();
    let sample_every = (opts.paragraphs / 3000).max(1);
    let mut material = Material {
        themes: theme_ids.iter().map(|s| s.to_string()).collect(),
        ..Material::default()
    };

    let mut produced = 0usize;
    let mut documents = 0usize;
    let mut bytes = 0u64;
    let mut files = 0usize;
    let mut writer: Option<std::io::BufWriter<std::fs::File>> = None;
    let mut in_file = 0usize;
    let mut line = Vec::new();
    while produced < opts.paragraphs {
        if writer.is_none() || in_file >= PER_FILE {
            if let Some(mut w) = writer.take() {
                w.flush()?;
            }
            let path = opts.out.join(format!("part-{files:04}.jsonl"));
            writer = Some(std::io::BufWriter::with_capacity(
                1 << 20,
                std::fs::File::create(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?,
            ));
            files += 1;
            in_file = 0;
        }
        // Document shape.
        let rng = &mut g.rng;
        let wanted = ((rng.f64() * 60f64.ln()).exp() as usize).clamp(1, 60);
        let n = wanted.min(opts.paragraphs - produced);
        let sample = rng.chance(0.5);
        let source = SOURCES[rng.weighted(&source_weights)];
        let span = (YEARS.1 - YEARS.0 + 1) as f64;
        let year = YEARS.1 - ((rng.f64().powf(2.2) * span) as u32).min(YEARS.1 - YEARS.0);
        let date = format!("{year}-{:02}-{:02}", rng.range(1, 12), rng.range(1, 28));
        let authors: Vec<String> = (0..rng.range(1, 3))
            .map(|_| {
                let first = capitalize(&tail_word(rng.zipf(2_000, 1.0), 11));
                let last = capitalize(&tail_word(rng.zipf(20_000, 1.0), 12));
                format!("{first} {last}")
            })
            .collect();
        let themes: Vec<&str> = match rng.weighted(&[0.65, 0.28, 0.07]) {
            0 => Vec::new(),
            k => {
                let mut t: Vec<&str> = (0..k)
                    .map(|_| theme_ids[rng.weighted(&theme_weights)])
                    .collect();
                t.dedup();
                t
            }
        };
        let title = g.title(sample);
        let mut paragraphs = Vec::with_capacity(n);
        for _ in 0..n {
            let p = g.paragraph(sample);
            count_words(&p, &mut df, &mut seen);
            if (produced + paragraphs.len()).is_multiple_of(sample_every) {
                material.sample.push(p.clone());
            }
            paragraphs.push(p);
        }
        let record = Record {
            id: format!("d{documents:07}"),
            title,
            source,
            year,
            date,
            authors,
            themes,
            text: paragraphs.join("\n\n"),
        };
        line.clear();
        serde_json::to_writer(&mut line, &record)?;
        line.push(b'\n');
        writer.as_mut().expect("open").write_all(&line)?;
        bytes += line.len() as u64;
        produced += n;
        in_file += n;
        documents += 1;
    }
    if let Some(mut w) = writer.take() {
        w.flush()?;
    }
    let mut df: Vec<(String, u32)> = df.into_iter().collect();
    df.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    material.df = df;
    material.paragraphs = produced;
    Ok(Generated {
        documents,
        paragraphs: produced,
        bytes,
        files,
        secs: started.elapsed().as_secs_f64(),
        inputs,
        material,
    })
}

/// The default location of the sample corpus: the workspace's `index/corpus`.
pub fn default_sample_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
        .join("index")
        .join("corpus")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_ends() {
        let s = sentences("The plan failed. Trade grew, e.g. in coal. 2019 was different! (end)");
        assert_eq!(s.len(), 3, "{s:?}");
        assert_eq!(s[0], "The plan failed.");
    }

    #[test]
    fn tail_words_are_stable_and_varied() {
        assert_eq!(tail_word(1, 0), tail_word(1, 0));
        assert_ne!(tail_word(1, 0), tail_word(2, 0));
        assert!(tail_word(1_000_000, 0).len() > tail_word(1, 0).len() / 2);
    }

    #[test]
    fn license_headings_are_dropped() {
        let p = license_paragraphs(
            "GNU GENERAL PUBLIC LICENSE\nVersion 3\n\nEveryone is permitted to copy and\ndistribute verbatim copies.\n",
        );
        assert_eq!(
            p,
            vec!["Everyone is permitted to copy and distribute verbatim copies."]
        );
    }
}
