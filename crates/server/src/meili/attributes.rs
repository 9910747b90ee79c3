//! The attributes of a paragraph as Meilisearch clients see it: one document per paragraph.
//!
//! The list is the contract of the compatible API: `attributesToRetrieve`, `attributesToHighlight`
//! and `attributesToCrop` name these, hits carry them, and `theme` is an alias of `themes`
//! because InstantSearch pages written for other indexes use either name.

use folio_search::Hit;
use serde_json::Value;

/// A displayed attribute, in the order hits list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attr {
    Id,
    DocId,
    Title,
    Text,
    Source,
    Year,
    Date,
    Authors,
    Themes,
    Theme,
    Section,
    Kind,
    Position,
    Url,
}

impl Attr {
    pub const ALL: [Attr; 14] = [
        Attr::Id,
        Attr::DocId,
        Attr::Title,
        Attr::Text,
        Attr::Source,
        Attr::Year,
        Attr::Date,
        Attr::Authors,
        Attr::Themes,
        Attr::Theme,
        Attr::Section,
        Attr::Kind,
        Attr::Position,
        Attr::Url,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Attr::Id => "id",
            Attr::DocId => "doc_id",
            Attr::Title => "title",
            Attr::Text => "text",
            Attr::Source => "source",
            Attr::Year => "year",
            Attr::Date => "date",
            Attr::Authors => "authors",
            Attr::Themes => "themes",
            Attr::Theme => "theme",
            Attr::Section => "section",
            Attr::Kind => "kind",
            Attr::Position => "position",
            Attr::Url => "url",
        }
    }

    pub fn parse(name: &str) -> Option<Attr> {
        Attr::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The field name folio's highlighter knows the attribute by (it marks titles, sections and
    /// authors with the query's field-specific terms too).
    pub fn highlight_field(self) -> &'static str {
        match self {
            Attr::Title => "title",
            Attr::Section => "section",
            Attr::Authors => "authors",
            _ => "text",
        }
    }

    /// The attribute's value in a hit.
    pub fn value(self, hit: &Hit) -> Value {
        let opt = |s: &Option<String>| s.clone().map_or(Value::Null, Value::String);
        let list = |v: &[String]| Value::Array(v.iter().cloned().map(Value::String).collect());
        match self {
            Attr::Id => Value::String(hit.id.clone()),
            Attr::DocId => Value::String(hit.doc_id.clone()),
            Attr::Title => Value::String(hit.title.clone()),
            Attr::Text => Value::String(hit.text.clone()),
            Attr::Source => Value::String(hit.source.clone()),
            Attr::Year => Value::from(hit.year),
            Attr::Date => opt(&hit.date),
            Attr::Authors => list(&hit.authors),
            Attr::Themes | Attr::Theme => list(&hit.themes),
            Attr::Section => opt(&hit.section),
            Attr::Kind => Value::String(hit.kind.clone()),
            Attr::Position => Value::from(hit.position),
            Attr::Url => opt(&hit.url),
        }
    }
}

/// A set of attributes, kept in [`Attr::ALL`] order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttrSet(u16);

impl AttrSet {
    pub fn all() -> AttrSet {
        AttrSet((1 << Attr::ALL.len()) - 1)
    }

    pub fn insert(&mut self, a: Attr) {
        self.0 |= 1 << a as u16;
    }

    pub fn contains(self, a: Attr) -> bool {
        self.0 & (1 << a as u16) != 0
    }

    pub fn union(self, other: AttrSet) -> AttrSet {
        AttrSet(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Attr> {
        Attr::ALL.into_iter().filter(move |a| self.contains(*a))
    }

    /// The attributes named in a list: `*` means all; names that are not attributes are skipped,
    /// as Meilisearch skips them.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> AttrSet {
        let mut set = AttrSet::default();
        for name in names {
            if name == "*" {
                return AttrSet::all();
            }
            if let Some(a) = Attr::parse(name) {
                set.insert(a);
            }
        }
        set
    }
}
