use std::fmt;
use std::path::PathBuf;

/// Where in the corpus a problem is: a file, and a line of it when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file, relative to the corpus folder where possible.
    pub file: PathBuf,
    /// 1-based line number.
    pub line: Option<usize>,
}

impl Location {
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Location {
            file: file.into(),
            line: None,
        }
    }

    pub fn line(file: impl Into<PathBuf>, line: usize) -> Self {
        Location {
            file: file.into(),
            line: Some(line),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file.display()),
            None => write!(f, "{}", self.file.display()),
        }
    }
}

/// Errors while reading a corpus. Each names the file (and line) so the user can fix it.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The corpus folder does not exist or cannot be listed.
    #[error("cannot read corpus folder {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The folder holds no article files at all.
    #[error(
        "corpus folder {0} holds no documents (expected .txt, .md, .html or .jsonl files with metadata)"
    )]
    Empty(PathBuf),
    /// A file could not be read.
    #[error("{at}: cannot read file: {source}")]
    Io {
        at: Location,
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid UTF-8.
    #[error("{at}: not UTF-8 text (invalid byte at column {column}); convert the file to UTF-8")]
    NotUtf8 { at: Location, column: usize },
    /// Front matter, a manifest or a JSON Lines record that does not parse.
    #[error("{at}: {what} does not parse: {message}")]
    Syntax {
        at: Location,
        what: &'static str,
        message: String,
    },
    /// Metadata that parses but is wrong: no year, a bad date, an unknown theme, …
    #[error("{at}: {message}")]
    Metadata { at: Location, message: String },
    /// folio itself failed on a document (a bug); the build goes on without it with
    /// `--skip-invalid`.
    #[error(
        "{at}: folio failed while reading this document ({message}); please report it with the file"
    )]
    Internal { at: Location, message: String },
    /// Two files would get the same document id.
    #[error(
        "{at}: document id `{id}` is already used by {other}; give one of them an explicit `id`"
    )]
    DuplicateId {
        at: Location,
        id: String,
        other: PathBuf,
    },
}

impl CorpusError {
    /// The location the error is about, when it is about one file.
    pub fn location(&self) -> Option<&Location> {
        match self {
            CorpusError::Folder { .. } | CorpusError::Empty(_) => None,
            CorpusError::Io { at, .. }
            | CorpusError::NotUtf8 { at, .. }
            | CorpusError::Syntax { at, .. }
            | CorpusError::Metadata { at, .. }
            | CorpusError::Internal { at, .. }
            | CorpusError::DuplicateId { at, .. } => Some(at),
        }
    }

    /// Whether indexing can go on without this file (with `--skip-invalid`): everything but a
    /// missing or empty corpus folder.
    pub fn is_per_file(&self) -> bool {
        self.location().is_some()
    }
}

pub type Result<T, E = CorpusError> = std::result::Result<T, E>;

/// Line (1-based) of a byte offset in `text`.
pub(crate) fn line_of(text: &str, byte: usize) -> usize {
    text.as_bytes()[..byte.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Turns invalid UTF-8 into an error naming the line and column of the first bad byte.
pub(crate) fn decode_utf8(bytes: Vec<u8>, file: &std::path::Path) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line_start = bytes[..bad]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line = bytes[..bad].iter().filter(|&&b| b == b'\n').count() + 1;
        CorpusError::NotUtf8 {
            at: Location::line(file, line),
            column: bad - line_start + 1,
        }
    })
}
