//! General filter expressions over the facet fields: the engine side of filter languages such as
//! Meilisearch's (parsed in the server). Folio's own API uses the simpler [`crate::Filters`],
//! whose facet filters the collector applies itself to count disjunctive facets; an expression
//! here is part of the query, so facets are counted with it applied.

use std::ops::Bound;

use tantivy::Term;
use tantivy::query::{AllQuery, BooleanQuery, EmptyQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;

use crate::schema::Fields;

/// A field that can be filtered on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterField {
    Source,
    Theme,
    Year,
    Kind,
    DocId,
    Position,
}

impl FilterField {
    /// The field for a name as clients write it (`theme` and `themes` both work).
    pub fn parse(name: &str) -> Option<FilterField> {
        Some(match name {
            "source" => FilterField::Source,
            "theme" | "themes" => FilterField::Theme,
            "year" => FilterField::Year,
            "kind" => FilterField::Kind,
            "doc_id" => FilterField::DocId,
            "position" => FilterField::Position,
            _ => return None,
        })
    }

    /// Names accepted by [`FilterField::parse`], for error messages.
    pub const NAMES: &'static [&'static str] =
        &["source", "theme", "year", "kind", "doc_id", "position"];

    pub fn is_numeric(self) -> bool {
        matches!(self, FilterField::Year | FilterField::Position)
    }
}

/// A filter expression.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterExpr {
    And(Vec<FilterExpr>),
    Or(Vec<FilterExpr>),
    Not(Box<FilterExpr>),
    /// Equal to a string (string fields) or a number given as text (numeric fields).
    Equals(FilterField, String),
    /// A numeric range; bounds may be fractional.
    Range(FilterField, Bound<f64>, Bound<f64>),
    /// The field has a value.
    Exists(FilterField),
    /// The field has no value (an empty list of themes).
    Empty(FilterField),
    /// Matches nothing (`IS NULL`: no folio field is ever null).
    Nothing,
}

impl FilterExpr {
    /// The tantivy query selecting what the expression accepts.
    pub fn to_query(&self, fields: &Fields) -> Box<dyn Query> {
        match self {
            FilterExpr::And(parts) => bool_query(parts, fields, Occur::Must),
            FilterExpr::Or(parts) => bool_query(parts, fields, Occur::Should),
            FilterExpr::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery)),
                (Occur::MustNot, inner.to_query(fields)),
            ])),
            FilterExpr::Equals(field, value) => equals(fields, *field, value),
            FilterExpr::Range(field, lo, hi) => range(fields, *field, *lo, *hi),
            // A paragraph has themes when its theme bits are not all zero (the bits' fast field
            // answers this without a column of theme strings).
            FilterExpr::Exists(FilterField::Theme) => Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_u64(fields.theme_bits, 1)),
                Bound::Unbounded,
            )),
            FilterExpr::Exists(_) => Box::new(AllQuery),
            FilterExpr::Empty(FilterField::Theme) => {
                FilterExpr::Not(Box::new(FilterExpr::Exists(FilterField::Theme))).to_query(fields)
            }
            FilterExpr::Empty(_) | FilterExpr::Nothing => Box::new(EmptyQuery),
        }
    }
}

fn bool_query(parts: &[FilterExpr], fields: &Fields, occur: Occur) -> Box<dyn Query> {
    if parts.is_empty() {
        return if occur == Occur::Must {
            Box::new(AllQuery)
        } else {
            Box::new(EmptyQuery)
        };
    }
    Box::new(BooleanQuery::new(
        parts.iter().map(|p| (occur, p.to_query(fields))).collect(),
    ))
}

fn equals(fields: &Fields, field: FilterField, value: &str) -> Box<dyn Query> {
    let text = |f| {
        Box::new(TermQuery::new(
            Term::from_field_text(f, value),
            IndexRecordOption::Basic,
        )) as Box<dyn Query>
    };
    match field {
        FilterField::Source => text(fields.source),
        FilterField::Theme => text(fields.themes),
        FilterField::Kind => text(fields.kind),
        FilterField::DocId => text(fields.doc_id),
        FilterField::Year | FilterField::Position => match value.trim().parse::<f64>() {
            Ok(n) => range(fields, field, Bound::Included(n), Bound::Included(n)),
            Err(_) => Box::new(EmptyQuery),
        },
    }
}

fn range(fields: &Fields, field: FilterField, lo: Bound<f64>, hi: Bound<f64>) -> Box<dyn Query> {
    let f = match field {
        FilterField::Year => fields.year,
        FilterField::Position => fields.position,
        _ => return Box::new(EmptyQuery),
    };
    // Integer fields: turn float bounds into inclusive integer bounds.
    let lower = match lo {
        Bound::Unbounded => 0u64,
        Bound::Included(x) if x <= 0.0 => 0,
        Bound::Excluded(x) if x < 0.0 => 0,
        Bound::Included(x) => x.ceil() as u64,
        Bound::Excluded(x) => (x.floor() as u64).saturating_add(1),
    };
    let upper = match hi {
        Bound::Unbounded => u64::MAX,
        Bound::Included(x) if x < 0.0 => return Box::new(EmptyQuery),
        Bound::Excluded(x) if x <= 0.0 => return Box::new(EmptyQuery),
        Bound::Included(x) => x.floor() as u64,
        Bound::Excluded(x) if x.fract() == 0.0 => x as u64 - 1,
        Bound::Excluded(x) => x.floor() as u64,
    };
    if lower > upper {
        return Box::new(EmptyQuery);
    }
    Box::new(RangeQuery::new(
        Bound::Included(Term::from_field_u64(f, lower)),
        Bound::Included(Term::from_field_u64(f, upper)),
    ))
}
