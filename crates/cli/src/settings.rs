//! Settings, resolved once: the shipped `config/folio.toml` (built into the binary) as defaults,
//! then the user's config file, then `FOLIO_*` environment variables, then command-line flags.
//!
//! Each layer is a TOML table merged key by key over the one below, and the result is
//! deserialized once into typed structs that reject unknown keys, so a typo or a value of the
//! wrong type in any layer is an error naming the key and where it was set (the config file's
//! line, the environment variable, or a flag). The environment is passed in as a map, so tests
//! never touch the process environment.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use folio_corpus::{CleaningConfig, Taxonomy};
use folio_indexer::IndexConfig;
use folio_search::{SearchConfig, Synonyms};
use folio_server::ServerConfig;
use serde::{Deserialize, Serialize};

const DEFAULT_SETTINGS: &str = include_str!("../../../config/folio.toml");
const DEFAULT_THEMES: &str = include_str!("../../../config/themes.toml");
const DEFAULT_SYNONYMS: &str = include_str!("../../../config/synonyms.toml");

/// Where the config file is looked for when none is named.
pub const DEFAULT_CONFIG_PATH: &str = "config/folio.toml";

/// All of folio's settings.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub paths: Paths,
    pub server: ServerConfig,
    pub search: SearchConfig,
    pub index: IndexSettings,
    pub cleaning: CleaningConfig,
}

/// Files and folders.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    /// Folder of articles to index.
    pub corpus: PathBuf,
    /// Where index builds live.
    pub index_dir: PathBuf,
    /// Theme taxonomy (relative to the config file).
    pub themes: PathBuf,
    /// Synonyms (relative to the config file).
    pub synonyms: PathBuf,
}

/// `[index]`: how builds are made, and when `folio serve` rebuilds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IndexSettings {
    #[serde(default = "default_memory")]
    pub writer_memory_mb: usize,
    #[serde(default)]
    pub threads: usize,
    /// What `folio serve` does when the index was built from another corpus or other settings:
    /// `if-changed` rebuilds before serving, `never` serves it as it is.
    #[serde(default)]
    pub on_start: OnStart,
}

fn default_memory() -> usize {
    IndexConfig::default().writer_memory_mb
}

/// See [`IndexSettings::on_start`].
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OnStart {
    #[default]
    IfChanged,
    Never,
}

impl IndexSettings {
    pub fn build_config(&self) -> IndexConfig {
        IndexConfig {
            writer_memory_mb: self.writer_memory_mb,
            threads: self.threads,
        }
    }
}

/// A setting that can come from the environment.
struct EnvVar {
    name: &'static str,
    key: &'static str,
    kind: ValueKind,
}

#[derive(Clone, Copy)]
enum ValueKind {
    Str,
    Int,
    Float,
    Bool,
    List,
}

const ENV_VARS: &[EnvVar] = &[
    EnvVar {
        name: "FOLIO_CORPUS",
        key: "paths.corpus",
        kind: ValueKind::Str,
    },
    EnvVar {
        name: "FOLIO_INDEX_DIR",
        key: "paths.index_dir",
        kind: ValueKind::Str,
    },
    EnvVar {
        name: "FOLIO_THEMES",
        key: "paths.themes",
        kind: ValueKind::Str,
    },
    EnvVar {
        name: "FOLIO_SYNONYMS",
        key: "paths.synonyms",
        kind: ValueKind::Str,
    },
    EnvVar {
        name: "FOLIO_LISTEN",
        key: "server.listen",
        kind: ValueKind::Str,
    },
    EnvVar {
        name: "FOLIO_CORS_ORIGINS",
        key: "server.cors_origins",
        kind: ValueKind::List,
    },
    EnvVar {
        name: "FOLIO_REQUEST_TIMEOUT_SECS",
        key: "server.request_timeout_secs",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_BODY_LIMIT_BYTES",
        key: "server.body_limit_bytes",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_CONCURRENCY_LIMIT",
        key: "server.concurrency_limit",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_SEARCH_WORKERS",
        key: "server.search_workers",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_RELOAD_SECS",
        key: "server.reload_secs",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_DEFAULT_LIMIT",
        key: "search.default_limit",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_MAX_LIMIT",
        key: "search.max_limit",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_MAX_OFFSET",
        key: "search.max_offset",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_SNIPPET_CHARS",
        key: "search.snippet_chars",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_TITLE_BOOST",
        key: "search.title_boost",
        kind: ValueKind::Float,
    },
    EnvVar {
        name: "FOLIO_SECTION_BOOST",
        key: "search.section_boost",
        kind: ValueKind::Float,
    },
    EnvVar {
        name: "FOLIO_PROXIMITY_BOOST",
        key: "search.proximity_boost",
        kind: ValueKind::Float,
    },
    EnvVar {
        name: "FOLIO_RELAX_BELOW",
        key: "search.relax_below",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_FOOTNOTE_WEIGHT",
        key: "search.footnote_weight",
        kind: ValueKind::Float,
    },
    EnvVar {
        name: "FOLIO_SEARCH_THREADS",
        key: "search.threads",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_SEARCH_PRUNING",
        key: "search.pruning",
        kind: ValueKind::Bool,
    },
    EnvVar {
        name: "FOLIO_TERM_BITMAPS_MB",
        key: "search.term_bitmaps_mb",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_WRITER_MEMORY_MB",
        key: "index.writer_memory_mb",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_INDEX_THREADS",
        key: "index.threads",
        kind: ValueKind::Int,
    },
    EnvVar {
        name: "FOLIO_ON_START",
        key: "index.on_start",
        kind: ValueKind::Str,
    },
];

/// Environment variables that are read elsewhere and so are not settings typos.
const OTHER_ENV: &[&str] = &["FOLIO_CONFIG", "FOLIO_LOG", "FOLIO_LOG_FORMAT"];

/// The settings and where the theme and synonym texts come from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub settings: Settings,
    /// The config file used, if any (otherwise the built-in defaults).
    pub file: Option<PathBuf>,
    themes: TextSource,
    synonyms: TextSource,
    /// `FOLIO_*` variables that are not settings (probably typos).
    pub unknown_env: Vec<String>,
}

#[derive(Clone, Debug)]
enum TextSource {
    BuiltIn(&'static str),
    File(PathBuf),
}

impl TextSource {
    fn read(&self) -> anyhow::Result<(String, String)> {
        match self {
            TextSource::BuiltIn(text) => Ok((text.to_string(), "built-in defaults".to_string())),
            TextSource::File(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                Ok((text, path.display().to_string()))
            }
        }
    }
}

/// Flags given on the command line, as settings keys.
pub type Flags = Vec<(&'static str, toml::Value)>;

impl Loaded {
    /// Resolves the settings. `config` is the `--config` flag; `env` the process environment.
    pub fn load(
        config: Option<&Path>,
        env: &HashMap<String, String>,
        flags: &Flags,
    ) -> anyhow::Result<Loaded> {
        let mut table: toml::Table =
            toml::from_str(DEFAULT_SETTINGS).expect("built-in settings parse");
        let file = match config
            .map(Path::to_path_buf)
            .or_else(|| env.get("FOLIO_CONFIG").map(PathBuf::from))
        {
            Some(path) => {
                if !path.is_file() {
                    bail!("config file {} does not exist", path.display());
                }
                Some(path)
            }
            None => Some(PathBuf::from(DEFAULT_CONFIG_PATH)).filter(|p| p.is_file()),
        };
        let mut themes = TextSource::BuiltIn(DEFAULT_THEMES);
        let mut synonyms = TextSource::BuiltIn(DEFAULT_SYNONYMS);
        // Keys set by the environment or a flag, with where they were set, for errors.
        let mut origins: HashMap<&str, String> = HashMap::new();
        let mut file_text = String::new();
        if let Some(path) = &file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read config file {}", path.display()))?;
            let user: toml::Table =
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e))?;
            let dir = path.parent().unwrap_or(Path::new(""));
            // Theme and synonym files are relative to the config file that names them.
            let paths = user.get("paths").and_then(toml::Value::as_table);
            let rel = |key: &str, default: &str| {
                let name = paths
                    .and_then(|p| p.get(key))
                    .and_then(toml::Value::as_str)
                    .unwrap_or(default);
                dir.join(name)
            };
            themes = TextSource::File(rel("themes", "themes.toml"));
            synonyms = TextSource::File(rel("synonyms", "synonyms.toml"));
            merge(&mut table, user);
            file_text = text;
        }

        let mut unknown_env = Vec::new();
        let mut env_names: Vec<&String> = env.keys().filter(|k| k.starts_with("FOLIO_")).collect();
        env_names.sort();
        for name in env_names {
            let value = &env[name];
            match ENV_VARS.iter().find(|v| v.name == name) {
                Some(var) => {
                    let parsed = parse_env(var, value)?;
                    set(&mut table, var.key, parsed);
                    origins.insert(var.key, format!("{name}={value:?}"));
                    match var.key {
                        "paths.themes" => themes = TextSource::File(PathBuf::from(value)),
                        "paths.synonyms" => synonyms = TextSource::File(PathBuf::from(value)),
                        _ => {}
                    }
                }
                None if OTHER_ENV.contains(&name.as_str()) => {}
                None => unknown_env.push(name.clone()),
            }
        }
        for (key, value) in flags {
            set(&mut table, key, value.clone());
            origins.insert(key, "a command-line flag".to_string());
        }

        let settings: Settings = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| {
                let key = e.path().to_string();
                let place = origins
                    .get(key.as_str())
                    .cloned()
                    .or_else(|| {
                        let path = file.as_ref()?;
                        let line = line_of(&file_text, &key)?;
                        Some(format!("{}:{line}", path.display()))
                    })
                    .unwrap_or_else(|| "settings".to_string());
                anyhow::anyhow!("{place}: {key}: {}", e.into_inner().message())
            })?;
        settings.validate()?;
        Ok(Loaded {
            settings,
            file,
            themes,
            synonyms,
            unknown_env,
        })
    }

    /// The theme taxonomy.
    pub fn taxonomy(&self) -> anyhow::Result<Taxonomy> {
        let (text, origin) = self.themes.read()?;
        Taxonomy::from_toml(&text).with_context(|| format!("themes ({origin})"))
    }

    /// The synonyms, analyzed.
    pub fn synonyms(&self) -> anyhow::Result<Synonyms> {
        let (text, origin) = self.synonyms.read()?;
        Synonyms::from_toml(&text, &folio_text::Analyzer::new())
            .with_context(|| format!("synonyms ({origin})"))
    }

    /// A hash of the settings that shape an index: when it changes, the index is rebuilt.
    pub fn index_fingerprint(&self, taxonomy: &Taxonomy) -> String {
        let mut h = blake3::Hasher::new();
        h.update(&folio_search::schema::SCHEMA_VERSION.to_le_bytes());
        h.update(
            serde_json::to_string(&self.settings.cleaning)
                .expect("serializes")
                .as_bytes(),
        );
        h.update(
            serde_json::to_string(taxonomy)
                .expect("serializes")
                .as_bytes(),
        );
        h.finalize().to_hex()[..32].to_string()
    }
}

impl Settings {
    fn validate(&self) -> anyhow::Result<()> {
        self.server.validate().map_err(anyhow::Error::msg)?;
        let s = &self.search;
        if s.max_limit == 0 || s.default_limit == 0 || s.default_limit > s.max_limit {
            bail!(
                "search.default_limit ({}) must be between 1 and search.max_limit ({})",
                s.default_limit,
                s.max_limit
            );
        }
        if !(s.title_boost.is_finite()
            && s.title_boost >= 0.0
            && s.section_boost.is_finite()
            && s.section_boost >= 0.0)
        {
            bail!("search.title_boost and search.section_boost must be numbers of 0 or more");
        }
        if self.index.writer_memory_mb < 16 {
            bail!("index.writer_memory_mb must be at least 16");
        }
        folio_corpus::Cleaner::new(&self.cleaning)?;
        Ok(())
    }
}

fn parse_env(var: &EnvVar, value: &str) -> anyhow::Result<toml::Value> {
    let v = value.trim();
    Ok(match var.kind {
        ValueKind::Str => toml::Value::String(v.to_string()),
        ValueKind::Int => toml::Value::Integer(
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .with_context(|| format!("{}={value:?}: expected a whole number", var.name))?,
        ),
        ValueKind::Float => toml::Value::Float(
            v.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .with_context(|| format!("{}={value:?}: expected a number", var.name))?,
        ),
        ValueKind::Bool => toml::Value::Boolean(match v {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => bail!("{}={value:?}: expected true or false", var.name),
        }),
        ValueKind::List => toml::Value::Array(
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_string()))
                .collect(),
        ),
    })
}

/// The line of the config file `text` where the setting `key` (`section.name`, or a section)
/// is written, if it is. The settings are checked once merged, where their places are lost.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let table = toml::de::DeTable::parse(text).ok()?;
    let mut span = table.span();
    let mut current = table.get_ref();
    for part in key.split('.') {
        // An item of a list reads as `name[2]`: its line is the list's.
        let name = part.split('[').next().unwrap_or(part);
        let value = current.get(name)?;
        span = value.span();
        match value.get_ref() {
            toml::de::DeValue::Table(t) => current = t,
            _ => break,
        }
    }
    Some(text[..span.start.min(text.len())].matches('\n').count() + 1)
}

/// Merges `over` into `base`, table by table; other values are replaced.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Sets `section.key` in the table.
fn set(table: &mut toml::Table, key: &str, value: toml::Value) {
    let (section, name) = key.split_once('.').expect("keys are section.name");
    let entry = table
        .entry(section.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(t) = entry {
        t.insert(name.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn built_in_defaults_load() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nothing.toml");
        assert!(Loaded::load(Some(&missing), &env(&[]), &vec![]).is_err());
        let l = Loaded::load(None, &env(&[]), &vec![]).unwrap();
        assert_eq!(l.settings.search.default_limit, 10);
        assert!(!l.settings.cleaning.furniture.is_empty());
        assert!(l.taxonomy().unwrap().themes.len() >= 10);
    }

    #[test]
    fn precedence_is_flag_env_file_default() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("folio.toml");
        std::fs::write(
            &file,
            "[server]\nlisten = \"127.0.0.1:1111\"\n[search]\ndefault_limit = 5\n",
        )
        .unwrap();
        let e = env(&[("FOLIO_LISTEN", "127.0.0.1:2222")]);
        let l = Loaded::load(Some(&file), &e, &vec![]).unwrap();
        assert_eq!(l.settings.server.listen, "127.0.0.1:2222");
        assert_eq!(l.settings.search.default_limit, 5);
        // Sections the file leaves out keep the shipped defaults.
        assert!(!l.settings.cleaning.furniture.is_empty());
        let flags: Flags = vec![(
            "server.listen",
            toml::Value::String("127.0.0.1:3333".into()),
        )];
        let l = Loaded::load(Some(&file), &e, &flags).unwrap();
        assert_eq!(l.settings.server.listen, "127.0.0.1:3333");
        // Theme files are relative to the config file.
        assert!(l.taxonomy().is_err(), "no themes.toml beside the file");
    }

    #[test]
    fn errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("folio.toml");
        std::fs::write(&file, "[server]\nlistn = \"x\"\n").unwrap();
        let err = Loaded::load(Some(&file), &env(&[]), &vec![])
            .unwrap_err()
            .to_string();
        assert!(err.contains("listn"), "{err}");
        // A value of the wrong type names the file, its line and the key.
        std::fs::write(
            &file,
            "# comment\n[server]\nlisten = \"127.0.0.1:1\"\n\n[search]\nterm_bitmaps_mb = -3\n",
        )
        .unwrap();
        let err = Loaded::load(Some(&file), &env(&[]), &vec![])
            .unwrap_err()
            .to_string();
        let at = format!("{}:6: search.term_bitmaps_mb: ", file.display());
        assert!(err.starts_with(&at), "{err}");
        assert!(err.contains("`-3`"), "{err}");
        let err = Loaded::load(None, &env(&[("FOLIO_LISTEN", "nowhere")]), &vec![])
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.listen"), "{err}");
        let err = Loaded::load(None, &env(&[("FOLIO_MAX_LIMIT", "many")]), &vec![])
            .unwrap_err()
            .to_string();
        assert!(err.contains("FOLIO_MAX_LIMIT"), "{err}");
        let l = Loaded::load(None, &env(&[("FOLIO_LISTN", "x")]), &vec![]).unwrap();
        assert_eq!(l.unknown_env, vec!["FOLIO_LISTN"]);
    }
}
