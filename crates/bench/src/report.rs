//! The figures of a run, their table, and the targets of the issue.

use serde::Serialize;

use crate::engines::Summary;
use crate::generate::Inputs;
use crate::http::Load;
use crate::stats::Latency;

#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CorpusFigures {
    pub documents: usize,
    pub paragraphs: usize,
    pub bytes: u64,
    pub files: usize,
    pub generate_secs: f64,
    pub inputs: Inputs,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct QueryFigures {
    pub count: usize,
    pub with_facets: usize,
    pub filtered: usize,
    pub by_class: Vec<(String, usize)>,
}

/// Building one index.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IndexFigures {
    /// From starting the process to its exit.
    pub wall_secs: f64,
    /// What the engine itself reports (FTS5: time in SQLite only).
    pub own_secs: f64,
    pub paragraphs: u64,
    pub paragraphs_per_sec: f64,
    pub size_bytes: u64,
    pub peak_rss_bytes: u64,
    pub cpu_secs: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Indexing {
    pub folio: IndexFigures,
    pub raw_tantivy: IndexFigures,
    pub fts5: IndexFigures,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct InProcess {
    pub folio: Summary,
    pub raw_tantivy: Summary,
    pub fts5: Summary,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Http {
    /// One connection, one request at a time.
    pub c1: Summary,
    pub c8: Load,
    pub c64: Load,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_samples: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Server {
    /// What served: the `folio` binary's path, or `embedded`.
    pub binary: String,
    /// From starting the process to the first 200 from `/ready`, each start.
    pub ready_ms: Vec<f64>,
    pub ready_median_ms: f64,
    /// From /proc/<pid>/status after the load.
    pub rss_anon_bytes: u64,
    pub rss_shmem_bytes: u64,
    pub rss_file_bytes: u64,
    pub vm_rss_bytes: u64,
    pub vm_hwm_bytes: u64,
}

/// Whether folio and FTS5 find the same single-term queries, and how many paragraphs.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Agreement {
    pub single_term_queries: usize,
    pub both_found: usize,
    pub folio_only: Vec<String>,
    pub fts5_only: Vec<String>,
    pub neither: usize,
    /// Median of folio's total ÷ FTS5's total over the queries both found.
    pub median_total_ratio: f64,
    /// Queries whose total over HTTP differs from the in-process total.
    pub http_total_mismatches: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub name: String,
    pub value: String,
    pub target: String,
    pub met: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct SizeResult {
    pub label: String,
    pub paragraphs_requested: usize,
    pub seed: u64,
    pub date: String,
    pub machine: Machine,
    pub corpus: CorpusFigures,
    pub queries: QueryFigures,
    pub indexing: Indexing,
    pub in_process: InProcess,
    pub http: Http,
    pub server: Server,
    pub agreement: Agreement,
    pub targets: Vec<Target>,
}

const MB: f64 = 1_000_000.0;

impl SizeResult {
    /// The targets (stated for 1M paragraphs; evaluated at every size).
    pub fn evaluate(&mut self) {
        let ix = &self.indexing;
        let mut t = Vec::new();
        let ratio = ix.folio.wall_secs / ix.raw_tantivy.wall_secs.max(1e-9);
        t.push(Target {
            name: "indexing time vs raw tantivy".into(),
            value: format!("{ratio:.2}x"),
            target: "<= 1.5x".into(),
            met: ratio <= 1.5,
        });
        t.push(Target {
            name: "indexing peak memory".into(),
            value: format!("{:.0} MB", ix.folio.peak_rss_bytes as f64 / MB),
            target: "< 1000 MB".into(),
            met: (ix.folio.peak_rss_bytes as f64) < 1000.0 * MB,
        });
        let h = &self.http.c1.with_facets;
        t.push(Target {
            name: "HTTP p50, c=1, 3 facets + highlights".into(),
            value: format!("{:.2} ms", h.p50_ms),
            target: "< 1 ms".into(),
            met: h.p50_ms < 1.0,
        });
        t.push(Target {
            name: "HTTP p99, c=1, 3 facets + highlights".into(),
            value: format!("{:.2} ms", h.p99_ms),
            target: "< 15 ms".into(),
            met: h.p99_ms < 15.0,
        });
        let f = &self.in_process.fts5.with_facets;
        let r50 = f.p50_ms / h.p50_ms.max(1e-9);
        let r99 = f.p99_ms / h.p99_ms.max(1e-9);
        t.push(Target {
            name: "FTS5 p50 / folio HTTP p50".into(),
            value: format!("{r50:.1}x"),
            target: ">= 10x".into(),
            met: r50 >= 10.0,
        });
        t.push(Target {
            name: "FTS5 p99 / folio HTTP p99".into(),
            value: format!("{r99:.1}x"),
            target: ">= 50x".into(),
            met: r99 >= 50.0,
        });
        let c64 = &self.http.c64;
        t.push(Target {
            name: "throughput at c=64".into(),
            value: format!("{:.0}/s, {} errors", c64.per_sec, c64.errors),
            target: ">= 1500/s, no errors".into(),
            met: c64.per_sec >= 1500.0 && c64.errors == 0,
        });
        let s = &self.server;
        let mem = (s.rss_anon_bytes + s.rss_shmem_bytes) as f64;
        t.push(Target {
            name: "serving memory beyond the index's mapped pages".into(),
            value: format!("{:.0} MB", mem / MB),
            target: "< 300 MB".into(),
            met: mem < 300.0 * MB,
        });
        t.push(Target {
            name: "start to ready on an existing index".into(),
            value: format!("{:.0} ms", s.ready_median_ms),
            target: "< 1000 ms".into(),
            met: s.ready_median_ms < 1000.0,
        });
        self.targets = t;
    }

    /// The table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        out.push_str(&format!(
            "\nfolio benchmark: {} paragraphs in {} documents (seed {}), {} queries\n{}, {} cores, {:.1} GB, {}\n",
            thousands(self.corpus.paragraphs as f64),
            thousands(self.corpus.documents as f64),
            self.seed,
            self.queries.count,
            m.cpu,
            m.cores,
            m.memory_bytes as f64 / 1e9,
            self.date,
        ));
        out.push_str("folio÷raw: folio's figure over raw tantivy's; FTS5÷folio: FTS5's over folio's (above 1: folio is faster or smaller).\n\n");
        let header = format!(
            "{:<44} {:>11} {:>11} {:>11} {:>10} {:>11}\n",
            "", "folio", "raw tantivy", "SQLite FTS5", "folio÷raw", "FTS5÷folio"
        );
        let row = |out: &mut String,
                   label: &str,
                   f: Option<f64>,
                   r: Option<f64>,
                   s: Option<f64>,
                   fmt: &dyn Fn(f64) -> String| {
            let cell = |v: Option<f64>| v.map(fmt).unwrap_or_default();
            let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
                _ => String::new(),
            };
            out.push_str(&format!(
                "{:<44} {:>11} {:>11} {:>11} {:>10} {:>11}\n",
                label,
                cell(f),
                cell(r),
                cell(s),
                ratio(f, r),
                ratio(s, f)
            ));
        };
        let secs = |v: f64| format!("{v:.1} s");
        let mb = |v: f64| format!("{:.0} MB", v / MB);
        let ms = |v: f64| format!("{v:.2} ms");
        let num = |v: f64| thousands(v);

        out.push_str("Indexing\n");
        out.push_str(&header);
        let ix = &self.indexing;
        let engines = [&ix.folio, &ix.raw_tantivy, &ix.fts5];
        type Figure = fn(&IndexFigures) -> f64;
        type Format<'a> = &'a dyn Fn(f64) -> String;
        let rows: [(&str, Figure, Format); 6] = [
            (
                "  wall time (process start to exit)",
                |f| f.wall_secs,
                &secs,
            ),
            (
                "  paragraphs per second (wall)",
                |f| f.paragraphs_per_sec,
                &num,
            ),
            ("  paragraphs indexed", |f| f.paragraphs as f64, &num),
            ("  index size", |f| f.size_bytes as f64, &mb),
            ("  peak memory (max RSS)", |f| f.peak_rss_bytes as f64, &mb),
            ("  CPU time (user + system)", |f| f.cpu_secs, &secs),
        ];
        for (i, (label, figure, format)) in rows.iter().enumerate() {
            let [folio, raw, fts5] = engines.map(|e| Some(figure(e)));
            row(&mut out, label, folio, raw, fts5, format);
            if i == 0 {
                let sqlite_only = Some(ix.fts5.own_secs);
                row(
                    &mut out,
                    "  FTS5: time in SQLite only",
                    None,
                    None,
                    sqlite_only,
                    &secs,
                );
            }
        }

        let ip = &self.in_process;
        out.push_str(&format!(
            "\nSearch in-process, one at a time (passes: folio {}, raw {}, FTS5 {})\n",
            ip.folio.passes, ip.raw_tantivy.passes, ip.fts5.passes
        ));
        out.push_str(&header);
        let lat_rows =
            |out: &mut String, name: &str, f: &Latency, r: Option<&Latency>, s: &Latency| {
                row(
                    out,
                    &format!("  {name} p50"),
                    Some(f.p50_ms),
                    r.map(|l| l.p50_ms),
                    Some(s.p50_ms),
                    &ms,
                );
                row(
                    out,
                    &format!("  {name} p95"),
                    Some(f.p95_ms),
                    r.map(|l| l.p95_ms),
                    Some(s.p95_ms),
                    &ms,
                );
                row(
                    out,
                    &format!("  {name} p99"),
                    Some(f.p99_ms),
                    r.map(|l| l.p99_ms),
                    Some(s.p99_ms),
                    &ms,
                );
            };
        lat_rows(
            &mut out,
            "all queries",
            &ip.folio.all,
            Some(&ip.raw_tantivy.all),
            &ip.fts5.all,
        );
        lat_rows(
            &mut out,
            "with 3 facets",
            &ip.folio.with_facets,
            Some(&ip.raw_tantivy.with_facets),
            &ip.fts5.with_facets,
        );
        for (name, l) in &ip.folio.by_class {
            let find = |s: &Summary| s.by_class.iter().find(|(n, _)| n == name).map(|(_, l)| *l);
            let r = find(&ip.raw_tantivy);
            let s = find(&ip.fts5);
            row(
                &mut out,
                &format!("  {name} p50"),
                Some(l.p50_ms),
                r.map(|l| l.p50_ms),
                s.map(|l| l.p50_ms),
                &ms,
            );
        }
        row(
            &mut out,
            "  errors",
            Some(ip.folio.errors as f64),
            Some(ip.raw_tantivy.errors as f64),
            Some(ip.fts5.errors as f64),
            &num,
        );

        let h = &self.http;
        out.push_str(&format!(
            "\nfolio over HTTP (FTS5 column: FTS5 in-process), {}\n",
            self.server.binary
        ));
        out.push_str(&header);
        lat_rows(&mut out, "c=1 all queries", &h.c1.all, None, &ip.fts5.all);
        lat_rows(
            &mut out,
            "c=1 with 3 facets",
            &h.c1.with_facets,
            None,
            &ip.fts5.with_facets,
        );
        for l in [&h.c8, &h.c64] {
            row(
                &mut out,
                &format!("  c={} searches per second", l.concurrency),
                Some(l.per_sec),
                None,
                None,
                &num,
            );
            row(
                &mut out,
                &format!("  c={} p50", l.concurrency),
                Some(l.latency.p50_ms),
                None,
                None,
                &ms,
            );
            row(
                &mut out,
                &format!("  c={} p99", l.concurrency),
                Some(l.latency.p99_ms),
                None,
                None,
                &ms,
            );
            row(
                &mut out,
                &format!("  c={} errors (of {})", l.concurrency, l.requests),
                Some(l.errors as f64),
                None,
                None,
                &num,
            );
        }
        let s = &self.server;
        row(
            &mut out,
            "  start to ready (median)",
            Some(s.ready_median_ms),
            None,
            None,
            &|v| format!("{v:.0} ms"),
        );
        row(
            &mut out,
            "  serving memory: RssAnon + RssShmem",
            Some((s.rss_anon_bytes + s.rss_shmem_bytes) as f64),
            None,
            None,
            &mb,
        );
        row(
            &mut out,
            "  serving memory: RssFile (index pages)",
            Some(s.rss_file_bytes as f64),
            None,
            None,
            &mb,
        );

        let a = &self.agreement;
        out.push_str(&format!(
            "\nfolio and FTS5 on {} single-term queries: both found {}, folio only {}, FTS5 only {}, neither {}; median total ratio {:.2}; HTTP totals differing from in-process: {}\n",
            a.single_term_queries,
            a.both_found,
            a.folio_only.len(),
            a.fts5_only.len(),
            a.neither,
            a.median_total_ratio,
            a.http_total_mismatches.len()
        ));

        out.push_str("\nTargets (stated for 1M paragraphs)\n");
        for t in &self.targets {
            out.push_str(&format!(
                "  {:<50} {:>22}  target {:<22} {}\n",
                t.name,
                t.value,
                t.target,
                if t.met { "met" } else { "MISSED" }
            ));
        }
        out
    }
}

/// 1234567 → "1,234,567" (rounded).
pub fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1000.0), "1,000");
    }
}
