//! Progress of `folio index`: a bar on a terminal, a plain line every few seconds otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use folio_corpus::{CorpusError, Document};
use folio_indexer::Progress;
use indicatif::{ProgressBar, ProgressStyle};

pub enum Reporter {
    Bar(ProgressBar),
    Lines(Mutex<LineState>),
}

pub struct LineState {
    files: usize,
    done: usize,
    paragraphs: u64,
    last: Instant,
}

impl Reporter {
    pub fn new() -> Reporter {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40} {bytes}/{total_bytes} {msg}",
                )
                .expect("static template"),
            );
            Reporter::Bar(bar)
        } else {
            Reporter::Lines(Mutex::new(LineState {
                files: 0,
                done: 0,
                paragraphs: 0,
                last: Instant::now(),
            }))
        }
    }

    pub fn finish(&self) {
        if let Reporter::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Reporter {
    fn begin(&self, files: usize, bytes: u64) {
        match self {
            Reporter::Bar(bar) => bar.set_length(bytes),
            Reporter::Lines(state) => {
                let mut s = state.lock().expect("progress lock");
                s.files = files;
                eprintln!("indexing {files} files ({bytes} bytes)");
            }
        }
    }

    fn document(&self, doc: &Document, bytes: u64) {
        match self {
            Reporter::Bar(bar) => {
                bar.inc(bytes);
                bar.set_message(doc.meta.id.clone());
            }
            Reporter::Lines(state) => {
                let mut s = state.lock().expect("progress lock");
                s.done += 1;
                s.paragraphs += doc.paragraphs.len() as u64;
                if s.last.elapsed() >= Duration::from_secs(2) {
                    eprintln!("indexed {} documents, {} paragraphs", s.done, s.paragraphs);
                    s.last = Instant::now();
                }
            }
        }
    }

    fn skipped(&self, error: &CorpusError) {
        match self {
            Reporter::Bar(bar) => bar.println(format!("skipped: {error}")),
            Reporter::Lines(_) => eprintln!("skipped: {error}"),
        }
    }
}
