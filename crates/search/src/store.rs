//! The index folder: where builds are written and which one is current.
//!
//! ```text
//! index/data/
//!   CURRENT                 name of the build in use (replaced atomically)
//!   builds/<name>/          a complete tantivy index plus folio-build.json
//!   builds/<name>.partial/  a build in progress; never read
//!   build.lock              held by the one process that is building
//! ```
//!
//! A build is written into a `.partial` folder, synced, renamed, and only then does `CURRENT` name
//! it (write to a temporary file, sync, rename over). A build that fails or is killed at any point
//! leaves `CURRENT` and the build it names untouched, so the previous index stays servable. A
//! running server notices a new `CURRENT` and switches to it ([`crate::IndexHandle`]).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Result, SearchError};
use crate::schema::SCHEMA_VERSION;

const CURRENT: &str = "CURRENT";
const BUILDS: &str = "builds";
const LOCK: &str = "build.lock";
const PARTIAL: &str = ".partial";
/// Name of the build description written into each build folder.
pub const BUILD_INFO: &str = "folio-build.json";

/// What a build was made from and what it holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct BuildInfo {
    pub schema_version: u32,
    pub folio_version: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
    /// Content hash of the corpus folder.
    pub corpus_fingerprint: String,
    /// Hash of the corpus files' names, sizes and modification times: a quick check that the
    /// corpus is unchanged, before hashing contents.
    #[serde(default)]
    pub corpus_stat: String,
    /// Hash of the settings that shape an index (cleaning, themes).
    pub config_fingerprint: String,
    pub documents: u64,
    pub paragraphs: u64,
    pub dropped_lines: u64,
    /// Paragraphs per theme.
    pub themes: std::collections::BTreeMap<String, u64>,
    /// Files left out with `--skip-invalid`, with the reason.
    #[serde(default)]
    pub skipped: Vec<String>,
    /// What the numbers in the `facet_key` and `theme_bits` fields stand for.
    #[serde(default)]
    pub facets: crate::schema::FacetCodes,
    pub duration_ms: u64,
}

/// An index folder.
#[derive(Clone, Debug)]
pub struct IndexStore {
    root: PathBuf,
}

/// A build being written. Dropping it without [`IndexStore::publish`] deletes it.
#[derive(Debug)]
pub struct PendingBuild {
    name: String,
    path: PathBuf,
    _lock: File,
    published: bool,
}

impl PendingBuild {
    /// Folder to write the tantivy index into.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PendingBuild {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// The build in use.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentBuild {
    pub name: String,
    pub path: PathBuf,
    pub info: BuildInfo,
}

impl IndexStore {
    pub fn new(root: impl Into<PathBuf>) -> IndexStore {
        IndexStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn io(&self, path: &Path, source: std::io::Error) -> SearchError {
        SearchError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Name of the current build, if any.
    pub fn current_name(&self) -> Result<Option<String>> {
        let path = self.root.join(CURRENT);
        match fs::read_to_string(&path) {
            Ok(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(&path, e)),
        }
    }

    /// The current build and its description, if there is one.
    pub fn current(&self) -> Result<Option<CurrentBuild>> {
        let Some(name) = self.current_name()? else {
            return Ok(None);
        };
        let path = self.root.join(BUILDS).join(&name);
        let info_path = path.join(BUILD_INFO);
        let text = fs::read_to_string(&info_path).map_err(|e| self.io(&info_path, e))?;
        let info: BuildInfo = serde_json::from_str(&text)
            .map_err(|e| SearchError::CorruptIndex(format!("{}: {e}", info_path.display())))?;
        Ok(Some(CurrentBuild { name, path, info }))
    }

    /// Starts a build: takes the build lock (failing if another build holds it), removes what
    /// interrupted builds left behind, and creates an empty `.partial` folder.
    pub fn begin(&self) -> Result<PendingBuild> {
        let builds = self.root.join(BUILDS);
        fs::create_dir_all(&builds).map_err(|e| self.io(&builds, e))?;
        let lock_path = self.root.join(LOCK);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| self.io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(SearchError::BuildInProgress(self.root.clone()));
            }
            Err(fs::TryLockError::Error(e)) => return Err(self.io(&lock_path, e)),
        }
        // Holding the lock, any .partial folder is debris of a build that died.
        if let Ok(entries) = fs::read_dir(&builds) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().ends_with(PARTIAL) {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!(
            "b{}-{:04x}{seq}",
            now.as_millis(),
            std::process::id() & 0xffff
        );
        let path = builds.join(format!("{name}{PARTIAL}"));
        fs::create_dir(&path).map_err(|e| self.io(&path, e))?;
        Ok(PendingBuild {
            name,
            path,
            _lock: lock,
            published: false,
        })
    }

    /// Completes a build: writes its description, makes it durable, renames it into place and
    /// points `CURRENT` at it. Older builds but the previous one are removed.
    pub fn publish(&self, mut pending: PendingBuild, info: &BuildInfo) -> Result<CurrentBuild> {
        let info = BuildInfo {
            schema_version: SCHEMA_VERSION,
            ..info.clone()
        };
        let info_path = pending.path.join(BUILD_INFO);
        let json = serde_json::to_vec_pretty(&info).expect("build info serializes");
        write_synced(&info_path, &json).map_err(|e| self.io(&info_path, e))?;
        sync_dir(&pending.path).map_err(|e| self.io(&pending.path, e))?;
        let builds = self.root.join(BUILDS);
        let final_path = builds.join(&pending.name);
        fs::rename(&pending.path, &final_path).map_err(|e| self.io(&final_path, e))?;
        pending.published = true;
        sync_dir(&builds).map_err(|e| self.io(&builds, e))?;

        let previous = self.current_name()?;
        let tmp = self.root.join(format!("{CURRENT}.tmp"));
        write_synced(&tmp, pending.name.as_bytes()).map_err(|e| self.io(&tmp, e))?;
        let current = self.root.join(CURRENT);
        fs::rename(&tmp, &current).map_err(|e| self.io(&current, e))?;
        sync_dir(&self.root).map_err(|e| self.io(&self.root, e))?;

        // Keep the new build and the one before it (a server may still be reading it).
        if let Ok(entries) = fs::read_dir(&builds) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                if name != pending.name
                    && Some(&name) != previous.as_ref()
                    && !name.ends_with(PARTIAL)
                {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        Ok(CurrentBuild {
            name: pending.name.clone(),
            path: final_path,
            info,
        })
    }

    /// Total size in bytes of a build folder.
    pub fn size_of(path: &Path) -> u64 {
        fs::read_dir(path)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn sync_dir(path: &Path) -> std::io::Result<()> {
    File::open(path)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpublished_builds_leave_current_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = IndexStore::new(dir.path());
        assert_eq!(store.current().unwrap(), None);
        let first = store.begin().unwrap();
        let first_name = first.name().to_string();
        store.publish(first, &BuildInfo::default()).unwrap();
        assert_eq!(
            store.current_name().unwrap().as_deref(),
            Some(first_name.as_str())
        );

        let second = store.begin().unwrap();
        let partial = second.path().to_path_buf();
        assert!(partial.exists());
        drop(second);
        assert!(!partial.exists());
        assert_eq!(
            store.current_name().unwrap().as_deref(),
            Some(first_name.as_str())
        );
    }

    #[test]
    fn one_build_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = IndexStore::new(dir.path());
        let _first = store.begin().unwrap();
        assert!(matches!(
            store.begin(),
            Err(SearchError::BuildInProgress(_))
        ));
    }

    #[test]
    fn debris_of_killed_builds_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = IndexStore::new(dir.path());
        let debris = dir.path().join("builds/b1-0000.partial");
        fs::create_dir_all(&debris).unwrap();
        let _build = store.begin().unwrap();
        assert!(!debris.exists());
    }
}
