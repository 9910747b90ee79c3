//! The SQLite FTS5 baseline: the same paragraphs as folio's index (cleaned and tagged by folio's
//! pipeline), in SQLite with its bundled FTS5, searched the way an application on SQLite would.
//!
//! Tables: `paragraphs(rowid, pid, title, text, source, year)`, `paragraph_themes(rowid, theme)`
//! (primary key `(rowid, theme)`, without rowid), and `fts`, an external-content FTS5 table over
//! `text` and `title` with `tokenize='porter unicode61 remove_diacritics 2'`. Built in one
//! transaction with `journal_mode=OFF`, then `rebuild` and `optimize` (one b-tree, as a merged
//! tantivy index has few segments).
//!
//! A search: the top 10 by `bm25()` (the MATCH restricted to the text column, filters in
//! WHERE), then `snippet()` of the text and `highlight()` of the title for each of the 10, the
//! total by `count(*)`, and, when facets are asked for, three GROUP BY queries over the match
//! set, each with the other facets' filters (disjunctive facets, as folio counts them).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use rayon::prelude::*;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, params, params_from_iter};
use serde::Serialize;

use crate::engines::Outcome;
use crate::queries::Query;

const SCHEMA: &str = "
CREATE TABLE paragraphs(
    rowid INTEGER PRIMARY KEY,
    pid TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    source TEXT NOT NULL,
    year INTEGER NOT NULL
);
CREATE TABLE paragraph_themes(
    rowid INTEGER NOT NULL,
    theme TEXT NOT NULL,
    PRIMARY KEY(rowid, theme)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE fts USING fts5(
    text, title,
    content='paragraphs', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
";

/// What building the database took.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct BuildReport {
    pub paragraphs: u64,
    /// Time spent in SQLite: inserts, the full-text index and its optimization (folio's cleaning
    /// and tagging, which produce the rows, are not counted).
    pub sqlite_secs: f64,
    pub total_secs: f64,
}

/// Builds the database from the corpus (run in a child process, so its memory is its own).
pub fn build(corpus_dir: &Path, db: &Path) -> anyhow::Result<BuildReport> {
    let started = Instant::now();
    let corpus = folio_corpus::Corpus::open(corpus_dir)?;
    let pipeline = crate::settings::pipeline()?;
    let conn = Connection::open(db).with_context(|| format!("cannot create {}", db.display()))?;
    let mut in_sqlite = Duration::ZERO;
    let t = Instant::now();
    conn.execute_batch(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;
         PRAGMA locking_mode=EXCLUSIVE;",
    )?;
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch("BEGIN")?;
    in_sqlite += t.elapsed();
    let mut rowid: i64 = 0;
    {
        let mut insert = conn.prepare(
            "INSERT INTO paragraphs(rowid, pid, title, text, source, year) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut theme =
            conn.prepare("INSERT OR IGNORE INTO paragraph_themes(rowid, theme) VALUES (?1, ?2)")?;
        let mut docs = corpus.documents();
        loop {
            let batch: Vec<_> = docs.by_ref().take(64).collect();
            if batch.is_empty() {
                break;
            }
            let prepared: Vec<_> = batch
                .into_par_iter()
                .map(|d| d.and_then(|d| pipeline.prepare(d)))
                .collect();
            for doc in prepared {
                let doc = doc?;
                let t = Instant::now();
                for p in &doc.paragraphs {
                    rowid += 1;
                    insert.execute(params![
                        rowid,
                        folio_corpus::paragraph_id(&doc.meta.id, p.position),
                        doc.meta.title,
                        p.text,
                        doc.meta.source,
                        doc.meta.year,
                    ])?;
                    for th in &p.themes {
                        theme.execute(params![rowid, th])?;
                    }
                }
                in_sqlite += t.elapsed();
            }
        }
    }
    let t = Instant::now();
    conn.execute_batch("COMMIT")?;
    conn.execute_batch(
        "INSERT INTO fts(fts) VALUES('rebuild'); INSERT INTO fts(fts) VALUES('optimize');",
    )?;
    conn.execute_batch("ANALYZE")?;
    in_sqlite += t.elapsed();
    drop(conn);
    Ok(BuildReport {
        paragraphs: rowid as u64,
        sqlite_secs: in_sqlite.as_secs_f64(),
        total_secs: started.elapsed().as_secs_f64(),
    })
}

/// An open database, ready to search.
pub struct Fts {
    conn: Connection,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Facet {
    Source,
    Year,
    Theme,
}

/// The WHERE clauses of a query's filters, leaving out one facet's (for its disjunctive count).
/// Returns the SQL, its parameters (numbered from 2; ?1 is the MATCH) and whether it needs the
/// `paragraphs` table joined as `p`.
fn filters(q: &Query, skip: Option<Facet>) -> (String, Vec<Value>, bool) {
    let mut sql = String::new();
    let mut params = Vec::new();
    let mut join = false;
    if let (Some(s), false) = (&q.source, skip == Some(Facet::Source)) {
        sql.push_str(" AND p.source = ?");
        params.push(Value::Text(s.clone()));
        join = true;
    }
    if let (Some((a, b)), false) = (q.years, skip == Some(Facet::Year)) {
        sql.push_str(" AND p.year BETWEEN ? AND ?");
        params.push(Value::Integer(a as i64));
        params.push(Value::Integer(b as i64));
        join = true;
    }
    if let (Some(t), false) = (&q.theme, skip == Some(Facet::Theme)) {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM paragraph_themes t2 WHERE t2.rowid = fts.rowid AND t2.theme = ?)",
        );
        params.push(Value::Text(t.clone()));
    }
    (sql, params, join)
}

const JOIN_P: &str = " JOIN paragraphs p ON p.rowid = fts.rowid";

impl Fts {
    pub fn open(db: &Path) -> anyhow::Result<Fts> {
        let conn = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open {}", db.display()))?;
        // Memory-map the file as tantivy does, and give the page cache room.
        conn.execute_batch("PRAGMA mmap_size=4294967296; PRAGMA cache_size=-262144;")?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Fts { conn })
    }

    fn all_params(m: &str, rest: Vec<Value>) -> Vec<Value> {
        let mut v = vec![Value::Text(m.to_string())];
        v.extend(rest);
        v
    }

    pub fn search(&self, q: &Query) -> anyhow::Result<Outcome> {
        let m = q.fts5_match();
        let (where_all, params_all, join_all) = filters(q, None);
        let join = if join_all { JOIN_P } else { "" };

        // The 10 best.
        let sql = format!(
            "SELECT fts.rowid FROM fts{join} WHERE fts MATCH ?1{where_all} ORDER BY bm25(fts) LIMIT 10"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let top: Vec<i64> = stmt
            .query_map(
                params_from_iter(Self::all_params(&m, params_all.clone())),
                |r| r.get(0),
            )?
            .collect::<Result<_, _>>()?;
        // Their stored fields, snippet and highlighted title.
        let mut hit = self.conn.prepare_cached(
            "SELECT p.pid, p.title, p.source, p.year, \
             snippet(fts, 0, '<mark>', '</mark>', '…', 40), \
             highlight(fts, 1, '<mark>', '</mark>') \
             FROM fts JOIN paragraphs p ON p.rowid = fts.rowid \
             WHERE fts MATCH ?1 AND fts.rowid = ?2",
        )?;
        let mut bytes = 0usize;
        for rowid in &top {
            let mut rows = hit.query(params![m, rowid])?;
            if let Some(row) = rows.next()? {
                let snippet: String = row.get(4)?;
                let title: String = row.get(5)?;
                bytes += snippet.len() + title.len();
            }
        }
        std::hint::black_box(bytes);
        // The total.
        let sql = format!("SELECT count(*) FROM fts{join} WHERE fts MATCH ?1{where_all}");
        let total: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(Self::all_params(&m, params_all)), |r| {
                r.get(0)
            })?;
        // Facets.
        if q.facets {
            for facet in [Facet::Source, Facet::Year, Facet::Theme] {
                let (w, p, needs_p) = filters(q, Some(facet));
                let sql = match facet {
                    Facet::Source => format!(
                        "SELECT p.source, count(*) FROM fts{JOIN_P} WHERE fts MATCH ?1{w} GROUP BY p.source"
                    ),
                    Facet::Year => format!(
                        "SELECT p.year, count(*) FROM fts{JOIN_P} WHERE fts MATCH ?1{w} GROUP BY p.year"
                    ),
                    Facet::Theme => format!(
                        "SELECT t.theme, count(*) FROM fts JOIN paragraph_themes t ON t.rowid = fts.rowid{} \
                         WHERE fts MATCH ?1{w} GROUP BY t.theme",
                        if needs_p { JOIN_P } else { "" }
                    ),
                };
                let mut stmt = self.conn.prepare_cached(&sql)?;
                let counts: Vec<i64> = stmt
                    .query_map(params_from_iter(Self::all_params(&m, p)), |r| r.get(1))?
                    .collect::<Result<_, _>>()?;
                std::hint::black_box(counts);
            }
        }
        Ok(Outcome {
            total: total as u64,
            hits: top.len(),
        })
    }
}
