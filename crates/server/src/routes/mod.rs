//! One module per resource, mirroring the URL tree.

pub mod documents;
pub mod facets;
pub mod health;
pub mod meili;
pub mod search;
pub mod web;
