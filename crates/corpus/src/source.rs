//! Finding and reading the documents of a corpus folder.
//!
//! A corpus is a folder (searched recursively; hidden entries and `README.*` files are skipped):
//! - article files: `.txt`, `.md` / `.markdown`, `.html` / `.htm`, each one document, with
//!   metadata in TOML (`+++`) or YAML (`---`) front matter and/or in a manifest beside them;
//! - manifests: `documents.json` (an array of objects, or `{"documents": [...]}`) or
//!   `documents.toml` (`[[document]]` tables), each entry naming its `file`;
//! - JSON Lines files (`.jsonl`): one document per line, metadata and `text` together, with an
//!   optional `format` of `text`, `markdown` or `html`.
//!
//! Documents are read one at a time ([`Corpus::documents`]), so memory does not grow with the
//! corpus.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{CorpusError, Location, Result, decode_utf8, line_of};
use crate::meta::{DocumentMeta, RawMeta, slug, toml_to_json};

/// How a document's text is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Html,
}

impl Format {
    fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "txt" | "text" => Some(Format::Text),
            "md" | "markdown" => Some(Format::Markdown),
            "html" | "htm" | "xhtml" => Some(Format::Html),
            _ => None,
        }
    }
}

/// A document read from the corpus, before cleaning.
#[derive(Clone, Debug)]
pub struct SourceDocument {
    pub meta: DocumentMeta,
    pub format: Format,
    /// The text after any front matter.
    pub body: String,
    /// Line of the file where `body` starts.
    pub first_line: usize,
    /// Where the document is, for error messages.
    pub location: Location,
}

#[derive(Debug)]
enum Entry {
    File {
        path: PathBuf,
        rel: String,
        format: Format,
        manifest: Option<(RawMeta, Location)>,
    },
    Jsonl {
        path: PathBuf,
        rel: String,
    },
}

/// A corpus folder, listed. Opening it reads the manifests; documents are read on demand.
#[derive(Debug)]
pub struct Corpus {
    root: PathBuf,
    entries: Vec<Entry>,
}

impl Corpus {
    /// Lists the corpus folder and reads its manifests.
    pub fn open(root: impl Into<PathBuf>) -> Result<Corpus> {
        let root = root.into();
        let mut files = Vec::new();
        walk(&root, &root, &mut files).map_err(|source| CorpusError::Folder {
            path: root.clone(),
            source,
        })?;
        files.sort();

        let mut manifest_meta: HashMap<PathBuf, (RawMeta, Location)> = HashMap::new();
        for rel in files.iter().filter(|r| is_manifest(r)) {
            for (file, meta, at) in read_manifest(&root, rel)? {
                if let Some((_, first)) = manifest_meta.get(&file) {
                    return Err(CorpusError::Metadata {
                        at,
                        message: format!("`{}` is already described at {first}", file.display()),
                    });
                }
                manifest_meta.insert(file, (meta, at));
            }
        }

        let mut entries = Vec::new();
        for rel in &files {
            if is_manifest(rel) {
                continue;
            }
            let ext = rel.extension().and_then(|e| e.to_str()).unwrap_or("");
            let rel_str = rel.to_string_lossy().replace('\\', "/");
            if ext.eq_ignore_ascii_case("jsonl") {
                entries.push(Entry::Jsonl {
                    path: root.join(rel),
                    rel: rel_str,
                });
            } else if let Some(format) = Format::from_extension(ext) {
                entries.push(Entry::File {
                    path: root.join(rel),
                    rel: rel_str,
                    format,
                    manifest: manifest_meta.remove(rel),
                });
            }
        }
        if let Some((file, (_, at))) = manifest_meta.into_iter().next() {
            return Err(CorpusError::Metadata {
                at,
                message: format!(
                    "the manifest describes `{}`, which is not in the corpus",
                    file.display()
                ),
            });
        }
        if entries.is_empty() {
            return Err(CorpusError::Empty(root));
        }
        Ok(Corpus { root, entries })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Number of files holding documents (a JSON Lines file counts once).
    pub fn file_count(&self) -> usize {
        self.entries.len()
    }

    /// Total size in bytes of the document files, for progress reporting.
    pub fn total_bytes(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| match e {
                Entry::File { path, .. } | Entry::Jsonl { path, .. } => {
                    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
                }
            })
            .sum()
    }

    /// A hash of every file of the corpus (names and contents): equal hashes mean an index built
    /// from one is up to date for the other.
    pub fn fingerprint(&self) -> std::io::Result<String> {
        let mut files = Vec::new();
        walk(&self.root, &self.root, &mut files)?;
        files.sort();
        let mut hasher = blake3::Hasher::new();
        for rel in files {
            hasher.update(rel.to_string_lossy().as_bytes());
            hasher.update(&[0]);
            let mut f = fs::File::open(self.root.join(&rel))?;
            let len = std::io::copy(&mut f, &mut hasher)?;
            hasher.update(&len.to_le_bytes());
        }
        Ok(hasher.finalize().to_hex()[..32].to_string())
    }

    /// A hash of the files' names, sizes and modification times: cheap, and equal whenever the
    /// files are untouched (a copied corpus may differ here yet have the same content).
    pub fn stat_fingerprint(&self) -> std::io::Result<String> {
        let mut files = Vec::new();
        walk(&self.root, &self.root, &mut files)?;
        files.sort();
        let mut hasher = blake3::Hasher::new();
        for rel in files {
            let meta = fs::metadata(self.root.join(&rel))?;
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            hasher.update(rel.to_string_lossy().as_bytes());
            hasher.update(&[0]);
            hasher.update(&meta.len().to_le_bytes());
            hasher.update(&mtime.to_le_bytes());
        }
        Ok(hasher.finalize().to_hex()[..32].to_string())
    }

    /// The documents, one at a time, in a stable order. Each item is a document or the error that
    /// kept one from being read; the iteration goes on after an error.
    pub fn documents(&self) -> Documents<'_> {
        Documents {
            corpus: self,
            next: 0,
            jsonl: None,
            ids: HashMap::new(),
        }
    }
}

fn is_manifest(rel: &Path) -> bool {
    matches!(
        rel.file_name().and_then(|n| n.to_str()),
        Some("documents.json" | "documents.toml")
    )
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.to_ascii_lowercase().starts_with("readme.") {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() || (kind.is_symlink() && path.is_dir()) {
            walk(root, &path, out)?;
        } else {
            out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
        }
    }
    Ok(())
}

fn read_file(path: &Path, rel: &str) -> Result<String> {
    let bytes = fs::read(path).map_err(|source| CorpusError::Io {
        at: Location::file(rel),
        source,
    })?;
    let mut text = decode_utf8(bytes, Path::new(rel))?;
    if text.starts_with('\u{feff}') {
        text.remove(0);
    }
    Ok(text)
}

/// Reads a manifest into (file relative to the corpus root, metadata, location) triples.
fn read_manifest(root: &Path, rel: &Path) -> Result<Vec<(PathBuf, RawMeta, Location)>> {
    let rel_str = rel.to_string_lossy().to_string();
    let text = read_file(&root.join(rel), &rel_str)?;
    let dir = rel.parent().unwrap_or(Path::new(""));
    let is_json = rel.extension().is_some_and(|e| e == "json");
    let (entries, what): (Vec<Value>, _) = if is_json {
        let value: Value = serde_json::from_str(&text).map_err(|e| CorpusError::Syntax {
            at: Location::line(&rel_str, e.line()),
            what: "manifest",
            message: e.to_string(),
        })?;
        let list = match value {
            Value::Array(items) => items,
            Value::Object(mut map) => match map.remove("documents") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        (list, "JSON")
    } else {
        let table: toml::Table = toml::from_str(&text).map_err(|e| CorpusError::Syntax {
            at: Location::line(&rel_str, e.span().map_or(1, |s| line_of(&text, s.start))),
            what: "manifest",
            message: e.message().to_string(),
        })?;
        let list = match table.get("document").or(table.get("documents")) {
            Some(toml::Value::Array(items)) => items.iter().cloned().map(toml_to_json).collect(),
            _ => Vec::new(),
        };
        (list, "TOML")
    };
    let mut out = Vec::new();
    let mut search_from = 0;
    for (i, value) in entries.into_iter().enumerate() {
        let file = value
            .get("file")
            .and_then(Value::as_str)
            .map(str::to_string);
        // The line of the entry: where its file name appears in the manifest.
        let line = file
            .as_deref()
            .and_then(|f| {
                let needle = if is_json {
                    format!("\"{f}\"")
                } else {
                    f.to_string()
                };
                text[search_from..].find(&needle).map(|p| {
                    search_from += p;
                    line_of(&text, search_from)
                })
            })
            .unwrap_or(1);
        let at = Location::line(&rel_str, line);
        let Some(file) = file else {
            return Err(CorpusError::Metadata {
                at,
                message: format!("{what} manifest entry {} has no `file`", i + 1),
            });
        };
        let meta = RawMeta::from_value(value).ok_or_else(|| CorpusError::Metadata {
            at: at.clone(),
            message: format!("{what} manifest entry {} is not an object", i + 1),
        })?;
        let target = dir.join(&file);
        if !root.join(&target).is_file() {
            return Err(CorpusError::Metadata {
                at,
                message: format!("the manifest names `{file}`, which does not exist"),
            });
        }
        out.push((target, meta, at));
    }
    Ok(out)
}

/// Splits TOML (`+++`) or YAML (`---`) front matter from the body.
/// Returns the metadata, the body, and the line where the body starts.
fn front_matter(text: &str, rel: &str) -> Result<(Option<RawMeta>, usize, usize)> {
    let (fence, is_toml) = if text.starts_with("+++") {
        ("+++", true)
    } else if text.starts_with("---") {
        ("---", false)
    } else {
        return Ok((None, 0, 1));
    };
    let first_line_end = text.find('\n').unwrap_or(text.len());
    if text[..first_line_end].trim_end() != fence {
        return Ok((None, 0, 1));
    }
    let rest = &text[first_line_end + 1.min(text.len() - first_line_end)..];
    let mut offset = first_line_end + 1;
    let mut close = None;
    for line in rest.split_inclusive('\n') {
        let t = line.trim_end();
        if t == fence || (!is_toml && t == "...") {
            close = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((close_start, body_start)) = close else {
        return Err(CorpusError::Syntax {
            at: Location::line(rel, 1),
            what: "front matter",
            message: format!("the `{fence}` block opened on line 1 is never closed"),
        });
    };
    let fm = &text[first_line_end + 1..close_start];
    let fm_line = 2;
    let value: Value = if is_toml {
        let table: toml::Table = toml::from_str(fm).map_err(|e| CorpusError::Syntax {
            at: Location::line(
                rel,
                fm_line + e.span().map_or(0, |s| line_of(fm, s.start) - 1),
            ),
            what: "TOML front matter",
            message: e.message().to_string(),
        })?;
        toml_to_json(toml::Value::Table(table))
    } else {
        let v: Value = serde_yaml_ng::from_str(fm).map_err(|e| CorpusError::Syntax {
            at: Location::line(
                rel,
                fm_line + e.location().map_or(0, |l| l.line().saturating_sub(1)),
            ),
            what: "YAML front matter",
            message: e.to_string(),
        })?;
        if v.is_null() {
            Value::Object(Default::default())
        } else {
            v
        }
    };
    let meta = RawMeta::from_value(value).ok_or_else(|| CorpusError::Syntax {
        at: Location::line(rel, fm_line),
        what: "front matter",
        message: "expected keys and values (title, source, year, …)".to_string(),
    })?;
    Ok((Some(meta), body_start, line_of(text, body_start)))
}

/// Iterator over a corpus's documents.
pub struct Documents<'a> {
    corpus: &'a Corpus,
    next: usize,
    jsonl: Option<JsonlReader>,
    ids: HashMap<String, String>,
}

struct JsonlReader {
    rel: String,
    lines: std::io::Lines<BufReader<fs::File>>,
    line: usize,
}

impl Iterator for Documents<'_> {
    type Item = Result<SourceDocument>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(reader) = &mut self.jsonl {
                match reader.lines.next() {
                    Some(line) => {
                        reader.line += 1;
                        let at = Location::line(&reader.rel, reader.line);
                        let line = match line {
                            Ok(l) => l,
                            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                                return Some(Err(CorpusError::NotUtf8 { at, column: 1 }));
                            }
                            Err(source) => {
                                self.jsonl = None;
                                return Some(Err(CorpusError::Io { at, source }));
                            }
                        };
                        if line.trim().is_empty() {
                            continue;
                        }
                        let rel = reader.rel.clone();
                        let n = reader.line;
                        let doc = jsonl_document(&line, &rel, n).and_then(|d| self.claim_id(d));
                        return Some(doc);
                    }
                    None => self.jsonl = None,
                }
            }
            let entry = self.corpus.entries.get(self.next)?;
            self.next += 1;
            match entry {
                Entry::Jsonl { path, rel } => match fs::File::open(path) {
                    Ok(f) => {
                        self.jsonl = Some(JsonlReader {
                            rel: rel.clone(),
                            lines: BufReader::new(f).lines(),
                            line: 0,
                        })
                    }
                    Err(source) => {
                        return Some(Err(CorpusError::Io {
                            at: Location::file(rel),
                            source,
                        }));
                    }
                },
                Entry::File {
                    path,
                    rel,
                    format,
                    manifest,
                } => {
                    let doc = file_document(path, rel, *format, manifest.as_ref())
                        .and_then(|d| self.claim_id(d));
                    return Some(doc);
                }
            }
        }
    }
}

impl Documents<'_> {
    fn claim_id(&mut self, doc: SourceDocument) -> Result<SourceDocument> {
        if let Some(other) = self.ids.get(&doc.meta.id) {
            return Err(CorpusError::DuplicateId {
                at: doc.location.clone(),
                id: doc.meta.id.clone(),
                other: PathBuf::from(other),
            });
        }
        self.ids
            .insert(doc.meta.id.clone(), doc.location.to_string());
        Ok(doc)
    }
}

fn explicit_id(meta: &RawMeta, at: &Location) -> Result<Option<String>> {
    match meta.str("id") {
        None => Ok(None),
        Some(id) if slug(id) == id => Ok(Some(id.to_string())),
        Some(id) => Err(CorpusError::Metadata {
            at: at.clone(),
            message: format!(
                "`id` {id:?} is not URL-safe; use lowercase letters, digits, `-` and `_` (for example {:?})",
                slug(id)
            ),
        }),
    }
}

fn file_document(
    path: &Path,
    rel: &str,
    format: Format,
    manifest: Option<&(RawMeta, Location)>,
) -> Result<SourceDocument> {
    let text = read_file(path, rel)?;
    let (fm, body_start, first_line) = front_matter(&text, rel)?;
    let mut meta = RawMeta::default();
    if format == Format::Html
        && let Some(page) = RawMeta::from_value(Value::Object(crate::blocks::html_metadata(&text)))
    {
        meta.merge(page);
    }
    let mut at = Location::line(rel, 1);
    if let Some((m, manifest_at)) = manifest {
        meta.merge(m.clone());
        at = manifest_at.clone();
    }
    if let Some(fm) = fm {
        meta.merge(fm);
        at = Location::line(rel, 1);
    }
    let stem = Path::new(rel).with_extension("");
    let stem = stem.to_string_lossy();
    let id = match explicit_id(&meta, &at)? {
        Some(id) => id,
        None => slug(&stem),
    };
    let fallback_title = Path::new(rel)
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let meta = meta.validate(id, rel.to_string(), &fallback_title, &at)?;
    let mut body = text;
    body.drain(..body_start);
    Ok(SourceDocument {
        meta,
        format,
        body,
        first_line,
        location: Location::file(rel),
    })
}

fn jsonl_document(line: &str, rel: &str, n: usize) -> Result<SourceDocument> {
    let at = Location::line(rel, n);
    let value: Value = serde_json::from_str(line).map_err(|e| CorpusError::Syntax {
        at: at.clone(),
        what: "JSON Lines record",
        message: e.to_string(),
    })?;
    let format = match value.get("format").and_then(Value::as_str) {
        None | Some("text" | "txt") => Format::Text,
        Some("markdown" | "md") => Format::Markdown,
        Some("html") => Format::Html,
        Some(other) => {
            return Err(CorpusError::Metadata {
                at,
                message: format!("`format` {other:?} is not one of text, markdown, html"),
            });
        }
    };
    let mut meta = RawMeta::from_value(value).ok_or_else(|| CorpusError::Syntax {
        at: at.clone(),
        what: "JSON Lines record",
        message: "expected an object with metadata and `text`".to_string(),
    })?;
    let body = match meta.take_text() {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        _ => {
            return Err(CorpusError::Metadata {
                at,
                message: "the record has no `text`".to_string(),
            });
        }
    };
    let stem = Path::new(rel).with_extension("");
    let id = match explicit_id(&meta, &at)? {
        Some(id) => id,
        None => format!("{}-{n}", slug(&stem.to_string_lossy())),
    };
    let fallback = format!("{} line {n}", stem.to_string_lossy());
    let meta = meta.validate(id, rel.to_string(), &fallback, &at)?;
    Ok(SourceDocument {
        meta,
        format,
        body,
        first_line: n,
        location: at,
    })
}
