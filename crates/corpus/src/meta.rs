//! Document metadata: what a manifest entry, front matter or a JSON Lines record may say about an
//! article, and the checks that turn it into a [`DocumentMeta`].
//!
//! Metadata comes from up to three places, later ones overriding earlier ones field by field:
//! the `<meta>` tags of a saved web page, an entry in `documents.json` / `documents.toml`, and the
//! file's own front matter. Unknown keys are ignored (real manifests carry notes of their own);
//! wrong values are errors that name the file and line.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{CorpusError, Location, Result};

/// The validated metadata of one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMeta {
    /// Stable, URL-safe id.
    pub id: String,
    pub title: String,
    /// The publisher as researchers name it ("38 North", "IFANS").
    pub source: String,
    pub authors: Vec<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: Option<String>,
    pub year: u32,
    pub url: Option<String>,
    pub language: String,
    /// Themes that apply to the whole document.
    pub themes: Vec<String>,
    pub series: Option<String>,
    pub publisher: Option<String>,
    /// The file the document came from, relative to the corpus folder.
    pub file: String,
}

/// Metadata as written by the user, every field optional. Values are merged from several places
/// before validation.
#[derive(Clone, Debug, Default)]
pub struct RawMeta {
    pub(crate) fields: serde_json::Map<String, Value>,
}

/// Keys folio reads; anything else is kept out of the merge so it cannot shadow these.
const KNOWN: &[&str] = &[
    "file",
    "id",
    "title",
    "source",
    "authors",
    "author",
    "date",
    "year",
    "url",
    "language",
    "lang",
    "themes",
    "series",
    "publisher",
    "text",
];

impl RawMeta {
    /// From an already parsed object (JSON, TOML or YAML turned into JSON values).
    pub fn from_value(value: Value) -> Option<RawMeta> {
        match value {
            Value::Object(map) => Some(RawMeta {
                fields: map
                    .into_iter()
                    .filter(|(k, _)| KNOWN.contains(&k.as_str()))
                    .collect(),
            }),
            _ => None,
        }
    }

    /// Fields of `other` override fields of `self`.
    pub fn merge(&mut self, other: RawMeta) {
        for (k, v) in other.fields {
            if !v.is_null() {
                self.fields.insert(k, v);
            } else {
                self.fields.entry(k).or_insert(v);
            }
        }
    }

    pub(crate) fn str(&self, key: &str) -> Option<&str> {
        self.fields
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    pub(crate) fn take_text(&mut self) -> Option<Value> {
        self.fields.remove("text")
    }

    /// Validates and completes the metadata. `fallback_title` is used when none is given;
    /// `at` locates errors.
    pub fn validate(
        &self,
        id: String,
        file: String,
        fallback_title: &str,
        at: &Location,
    ) -> Result<DocumentMeta> {
        let err = |message: String| CorpusError::Metadata {
            at: at.clone(),
            message,
        };
        let string = |key: &str| -> Result<Option<String>> {
            match self.fields.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
                Some(other) => Err(err(format!("`{key}` must be a string, not {other}"))),
            }
        };
        let list = |key: &str| -> Result<Vec<String>> {
            match self.fields.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::String(s)) => Ok(vec![s.trim().to_string()]),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.trim().to_string()),
                        other => Err(err(format!("`{key}` must list strings, not {other}"))),
                    })
                    .filter(|r| r.as_ref().map_or(true, |s| !s.is_empty()))
                    .collect(),
                Some(other) => Err(err(format!(
                    "`{key}` must be a string or a list of strings, not {other}"
                ))),
            }
        };

        let date = match self.fields.get("date") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(parse_date(s.trim()).map_err(err)?),
            Some(Value::Number(n)) => Some(parse_date(&n.to_string()).map_err(err)?),
            Some(other) => {
                return Err(err(format!(
                    "`date` must be a string like 2023-02-06, not {other}"
                )));
            }
        };
        let year_field = match self.fields.get("year") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(y) if (1..=9999).contains(&y) => Some(y as u32),
                _ => {
                    return Err(err(format!(
                        "`year` must be a whole number between 1 and 9999, not {n}"
                    )));
                }
            },
            Some(Value::String(s)) => match s.trim().parse::<u32>() {
                Ok(y) if (1..=9999).contains(&y) => Some(y),
                _ => {
                    return Err(err(format!(
                        "`year` must be a whole number between 1 and 9999, not {s:?}"
                    )));
                }
            },
            Some(other) => return Err(err(format!("`year` must be a number, not {other}"))),
        };
        let date_year = date
            .as_deref()
            .map(|d| d[..4].parse::<u32>().expect("validated date"));
        let year = match (year_field, date_year) {
            (Some(y), Some(d)) if y != d => {
                return Err(err(format!(
                    "`year` {y} disagrees with `date` {}; fix one of them",
                    date.as_deref().unwrap_or_default()
                )));
            }
            (Some(y), _) | (None, Some(y)) => y,
            (None, None) => {
                return Err(err(
                    "no year: give the document a `year` (or a `date` to take it from)".to_string(),
                ));
            }
        };

        let mut authors = list("authors")?;
        if authors.is_empty() {
            authors = list("author")?;
        }
        let title = string("title")?.unwrap_or_else(|| fallback_title.to_string());
        let source = string("source")?.unwrap_or_else(|| "unknown".to_string());
        let language = string("language")?
            .or(string("lang")?)
            .unwrap_or_else(|| "en".to_string());
        let mut themes = list("themes")?;
        themes.sort();
        themes.dedup();
        Ok(DocumentMeta {
            id,
            title,
            source,
            authors,
            date,
            year,
            url: string("url")?,
            language,
            themes,
            series: string("series")?,
            publisher: string("publisher")?,
            file,
        })
    }
}

/// Accepts `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, and a full timestamp (of which the date is kept).
pub fn parse_date(s: &str) -> Result<String, String> {
    let bad = || format!("`date` {s:?} is not a date like 2023-02-06 (or 2023-02, or 2023)");
    let day_part = s.split(['T', ' ']).next().unwrap_or(s);
    let parts: Vec<&str> = day_part.split('-').collect();
    let num = |p: &str, len: usize| -> Option<u32> {
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok())?
    };
    let year = parts.first().and_then(|p| num(p, 4)).ok_or_else(bad)?;
    if year == 0 {
        return Err(bad());
    }
    match parts.len() {
        1 => Ok(format!("{year:04}")),
        2 | 3 => {
            let month = num(parts[1], 2)
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(bad)?;
            if parts.len() == 2 {
                return Ok(format!("{year:04}-{month:02}"));
            }
            let max_day = match month {
                2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            let day = num(parts[2], 2)
                .filter(|d| (1..=max_day).contains(d))
                .ok_or_else(bad)?;
            Ok(format!("{year:04}-{month:02}-{day:02}"))
        }
        _ => Err(bad()),
    }
}

/// TOML values as JSON values, dates as strings.
pub(crate) fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Turns a file name or title into a URL-safe id: lowercase ASCII letters, digits, `-` and `_`.
pub fn slug(s: &str) -> String {
    let mut folded = String::with_capacity(s.len());
    for c in s.chars() {
        folio_text::fold_char(c, &mut folded);
    }
    let mut out = String::new();
    let mut dash = false;
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out.truncate(80);
    out.trim_end_matches('-').to_string()
}
#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: Value) -> RawMeta {
        RawMeta::from_value(json).unwrap()
    }

    fn at() -> Location {
        Location::line("a.md", 1)
    }

    #[test]
    fn year_comes_from_date() {
        let m = raw(serde_json::json!({"title": "T", "date": "2021-11-02"}))
            .validate("a".into(), "a.md".into(), "a", &at())
            .unwrap();
        assert_eq!(m.year, 2021);
        assert_eq!(m.date.as_deref(), Some("2021-11-02"));
    }

    #[test]
    fn missing_year_is_an_error() {
        let e = raw(serde_json::json!({"title": "T"}))
            .validate("a".into(), "a.md".into(), "a", &at())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.md:1: no year: give the document a `year` (or a `date` to take it from)"
        );
    }

    #[test]
    fn year_and_date_must_agree() {
        let e = raw(serde_json::json!({"date": "2021-11-02", "year": 2020}))
            .validate("a".into(), "a.md".into(), "a", &at())
            .unwrap_err();
        assert!(e.to_string().contains("disagrees"), "{e}");
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2024").unwrap(), "2024");
        assert_eq!(parse_date("2024-02").unwrap(), "2024-02");
        assert_eq!(parse_date("2024-02-29").unwrap(), "2024-02-29");
        assert_eq!(parse_date("2024-02-29T10:00:00Z").unwrap(), "2024-02-29");
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("02/06/2023").is_err());
        assert!(parse_date("2023-13-01").is_err());
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("000_f985a095ab119c7d"), "000_f985a095ab119c7d");
        assert_eq!(
            slug("Reports/Kyŏngje Yŏn'gu 2016"),
            "reports-kyongje-yongu-2016"
        );
        assert_eq!(slug("  --x--  "), "x");
    }
}
