//! `folio-bench`: folio at up to a million paragraphs, side by side with SQLite FTS5 and raw
//! tantivy in the same run, on the same generated corpus and the same queries.
//!
//! One run, per size: generate the corpus into a temporary folder; derive the query mix; build
//! folio's index (`folio index`), a raw tantivy index and an FTS5 database, each in a child
//! process whose wall time and peak memory are measured the same way; run the mix in-process on
//! folio's search crate, on raw tantivy and on FTS5; start `folio serve` on 127.0.0.1, time it
//! to ready, run the mix over HTTP at concurrency 1 and load it at 8 and 64; read the server's
//! memory. Then print a table and write the figures as JSON. The temporary folder and every child
//! process are removed at the end, on error and on Ctrl-C.

mod embedded;
mod engines;
mod fts;
mod generate;
mod http;
mod queries;
mod raw;
mod report;
mod rng;
mod settings;
mod stats;
mod sys;

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::report::*;

#[derive(Parser)]
#[command(
    name = "folio-bench",
    about = "Benchmark folio against SQLite FTS5 and raw tantivy on a generated corpus"
)]
struct Cli {
    /// Corpus sizes in paragraphs: 10k, 100k, 1m or a number; several run one after another.
    #[arg(long, value_delimiter = ',', default_value = "100k")]
    size: Vec<String>,
    /// Seed of the corpus and the query mix.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where to make the temporary folder (default: the system's temporary folder).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Keep the temporary folder (corpus, indexes, logs) and print its path.
    #[arg(long)]
    keep: bool,
    /// The `folio` binary (default: `folio` beside this binary, built first when run by cargo).
    #[arg(long, value_name = "PATH")]
    folio: Option<PathBuf>,
    /// Do not look for a `folio` binary: index and serve with the same library calls inside this
    /// binary (in child processes). For the CI smoke test.
    #[arg(long)]
    embedded: bool,
    /// Measured passes over the query mix in-process and at concurrency 1 (after one warmup).
    #[arg(long, default_value_t = 5)]
    passes: usize,
    /// Fewer passes for an engine whose warmup pass shows they would take longer than this.
    #[arg(long, default_value_t = 120)]
    budget_secs: u64,
    /// Seconds of load at each of concurrency 8 and 64.
    #[arg(long, default_value_t = 15)]
    load_secs: u64,
    /// How many times to start the server to time it to ready (the median is reported).
    #[arg(long, default_value_t = 3)]
    starts: usize,
    /// Where to write the JSON figures (default: target/folio-bench/results-….json).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// A short run: one pass, one second of load, one start (for smoke tests; figures are noise).
    #[arg(long)]
    quick: bool,
    /// The sample corpus mixed into the generated one (default: the workspace's index/corpus).
    #[arg(long, value_name = "DIR")]
    sample_corpus: Option<PathBuf>,
    #[command(subcommand)]
    internal: Option<Internal>,
}

/// The child processes' work (not for direct use).
#[derive(Subcommand)]
enum Internal {
    #[command(hide = true)]
    FolioIndex {
        #[arg(long)]
        corpus: PathBuf,
        #[arg(long)]
        index_dir: PathBuf,
    },
    #[command(hide = true)]
    Serve {
        #[arg(long)]
        index_dir: PathBuf,
        #[arg(long)]
        listen: String,
    },
    #[command(hide = true)]
    RawIndex {
        #[arg(long)]
        corpus: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Runs the query mix of a kept run (`--keep`) on one engine, for profiling.
    #[command(hide = true)]
    SearchLoop {
        /// The kept temporary folder.
        #[arg(long)]
        dir: PathBuf,
        /// folio, raw or fts5.
        #[arg(long, default_value = "folio")]
        engine: String,
        #[arg(long, default_value_t = 3)]
        passes: usize,
        /// Only queries of this kind (a prefix of its name: "stop", "prefix", …), or else
        /// those whose request holds this text (`sections%20cyj`).
        #[arg(long)]
        class: Option<String>,
        /// Score every match completely (`search.pruning = false`).
        #[arg(long)]
        no_pruning: bool,
        /// Also print the slowest queries (median over the passes) and what they found.
        #[arg(long, default_value_t = 0)]
        slowest: usize,
        /// Only check that pruned and complete ranking agree on the queries (no timing).
        #[arg(long)]
        check_pruning: bool,
        /// Threads one search may use (`search.threads`; default: the shipped setting).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Sends a kept run's query mix to a running server at a concurrency, for profiling it.
    #[command(hide = true)]
    Load {
        /// The kept temporary folder (for its queries).
        #[arg(long)]
        dir: PathBuf,
        /// The server's address (loopback only).
        #[arg(long)]
        addr: std::net::SocketAddr,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        secs: u64,
    },
    #[command(hide = true)]
    FtsBuild {
        #[arg(long)]
        corpus: PathBuf,
        #[arg(long)]
        db: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.internal {
        Some(job) => internal(job),
        None => run(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn internal(job: &Internal) -> anyhow::Result<()> {
    match job {
        Internal::FolioIndex { corpus, index_dir } => embedded::index(corpus, index_dir),
        Internal::Serve { index_dir, listen } => embedded::serve(index_dir, listen),
        Internal::RawIndex { corpus, out } => {
            let report = raw::build(corpus, out)?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Internal::SearchLoop {
            dir,
            engine,
            passes,
            class,
            no_pruning,
            slowest,
            check_pruning,
            threads,
        } => search_loop(
            dir,
            engine,
            class.as_deref(),
            &LoopOptions {
                passes: *passes,
                no_pruning: *no_pruning,
                slowest: *slowest,
                check: *check_pruning,
                threads: *threads,
            },
        ),
        Internal::Load {
            dir,
            addr,
            concurrency,
            secs,
        } => {
            let queries = read_queries(dir)?;
            let paths: Vec<String> = queries.iter().map(|q| q.http_path()).collect();
            let load = http::load(*addr, &paths, *concurrency, Duration::from_secs(*secs));
            println!(
                "c={} {:.0} searches/s, p50 {:.2} ms, p99 {:.2} ms, {} errors of {}",
                load.concurrency,
                load.per_sec,
                load.latency.p50_ms,
                load.latency.p99_ms,
                load.errors,
                load.requests
            );
            Ok(())
        }
        Internal::FtsBuild { corpus, db } => {
            let report = fts::build(corpus, db)?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
    }
}

/// The query mix a kept run (`--keep`) wrote into `dir`.
fn read_queries(dir: &Path) -> anyhow::Result<Vec<queries::Query>> {
    let path = dir.join("queries.json");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {} (the folder of a run kept with --keep)",
            path.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a query mix", path.display()))
}

/// How `search-loop` runs (its flags).
#[derive(Clone, Copy)]
struct LoopOptions {
    passes: usize,
    no_pruning: bool,
    slowest: usize,
    check: bool,
    threads: Option<usize>,
}

fn search_loop(
    dir: &Path,
    engine: &str,
    class: Option<&str>,
    options: &LoopOptions,
) -> anyhow::Result<()> {
    let LoopOptions {
        passes,
        no_pruning,
        slowest,
        check,
        threads,
    } = *options;
    let mut queries = read_queries(dir)?;
    if let Some(c) = class {
        // A kind of query, or else the queries whose request holds the text.
        if queries.iter().any(|q| q.class.name().starts_with(c)) {
            queries.retain(|q| q.class.name().starts_with(c));
        } else {
            queries.retain(|q| q.http_path().contains(c));
        }
    }
    let store = folio_search::IndexStore::new(dir.join("folio-index"));
    if check {
        let engine = folio_search::Engine::open_current(&store, settings::engine_options()?)?;
        let n = check_pruning(&engine, &store, &queries)?;
        println!("same hits, scores and facets on all {n} queries");
        return Ok(());
    }
    let budget = Duration::from_secs(3600);
    let run = match engine {
        "folio" => {
            let mut options = settings::engine_options()?;
            options.config.pruning = !no_pruning;
            if let Some(n) = threads {
                options.config.threads = n;
            }
            let engine = folio_search::Engine::open_current(&store, options)?;
            engines::measure(&queries, passes, budget, engines::folio_search(&engine))
        }
        "raw" => {
            let build = store.current()?.context("no folio index")?;
            let raw = raw::RawSearch::open(&build.path)?;
            engines::measure(&queries, passes, budget, |q| raw.search(q))
        }
        "fts5" => {
            let fts = fts::Fts::open(&dir.join("fts5.sqlite"))?;
            engines::measure(&queries, passes, budget, |q| fts.search(q))
        }
        other => bail!("unknown engine {other}; use folio, raw or fts5"),
    };
    let s = run.summary(&queries);
    println!(
        "{} queries, {} passes, {} errors",
        queries.len(),
        s.passes,
        s.errors
    );
    for (name, l) in std::iter::once(("all".to_string(), s.all)).chain(s.by_class) {
        println!(
            "{name:<28} p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms",
            l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
        );
    }
    if slowest > 0 {
        let mut per_query: Vec<Vec<u64>> = vec![Vec::new(); queries.len()];
        for (i, us) in &run.samples {
            per_query[*i].push(*us);
        }
        let mut medians: Vec<(u64, usize)> = per_query
            .iter_mut()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(i, v)| {
                v.sort_unstable();
                (v[v.len() / 2], i)
            })
            .collect();
        medians.sort_unstable_by(|a, b| b.cmp(a));
        for (us, i) in medians.into_iter().take(slowest) {
            let total = run.outcomes[i].as_ref().map_or(0, |o| o.total);
            println!(
                "{:>8.2} ms  {:>9} found  {}",
                us as f64 / 1000.0,
                total,
                queries[i].http_path()
            );
        }
    }
    Ok(())
}

/// Runs every query with pruning (the default) and with every match scored completely, and
/// fails unless both give the same hits, scores, totals and facets.
fn check_pruning(
    pruned: &folio_search::Engine,
    store: &folio_search::IndexStore,
    queries: &[queries::Query],
) -> anyhow::Result<usize> {
    let mut options = settings::engine_options()?;
    options.config.pruning = false;
    let complete = folio_search::Engine::open_current(store, options)?;
    for q in queries {
        let r = q.request();
        let a = pruned.search(&r)?;
        let b = complete.search(&r)?;
        let hits = |x: &folio_search::SearchResponse| -> Vec<(String, f32)> {
            x.hits.iter().map(|h| (h.id.clone(), h.score)).collect()
        };
        if hits(&a) != hits(&b) || a.total != b.total || a.facets != b.facets {
            bail!(
                "pruned ranking differs from complete scoring on {:?}: {:?} vs {:?}",
                q.folio_q(),
                hits(&a),
                hits(&b)
            );
        }
    }
    Ok(queries.len())
}

fn parse_size(s: &str) -> anyhow::Result<usize> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mult) = if let Some(n) = t.strip_suffix('m') {
        (n, 1_000_000)
    } else if let Some(n) = t.strip_suffix('k') {
        (n, 1_000)
    } else {
        (t.as_str(), 1)
    };
    let n: usize = num
        .parse()
        .with_context(|| format!("bad size {s:?} (use 10k, 100k, 1m or a number)"))?;
    if n == 0 {
        bail!("size must be at least 1");
    }
    Ok(n * mult)
}

/// Progress lines on stderr, with the time since the start of the run.
struct Log {
    started: Instant,
}

impl Log {
    fn say(&self, msg: impl AsRef<str>) {
        eprintln!(
            "[{:>7.1} s] {}",
            self.started.elapsed().as_secs_f64(),
            msg.as_ref()
        );
    }
}

/// How the folio side runs.
enum Folio {
    Binary(PathBuf),
    Embedded(PathBuf),
}

impl Folio {
    fn describe(&self) -> String {
        match self {
            Folio::Binary(p) => format!("folio binary {}", p.display()),
            Folio::Embedded(_) => "embedded (folio's library calls inside folio-bench)".into(),
        }
    }
}

fn self_exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("cannot find this program's path")
}

/// Finds (and, under cargo, builds) the `folio` binary.
fn locate_folio(cli: &Cli, log: &Log) -> anyhow::Result<Folio> {
    if cli.embedded {
        return Ok(Folio::Embedded(self_exe()?));
    }
    if let Some(p) = &cli.folio {
        if !p.is_file() {
            bail!("--folio {}: no such file", p.display());
        }
        return Ok(Folio::Binary(p.clone()));
    }
    let exe = self_exe()?;
    let dir = exe.parent().context("no folder for this program")?;
    let beside = dir.join("folio");
    // Under `cargo run`, build folio with the same profile first so it is never stale.
    if let Ok(cargo) = std::env::var("CARGO") {
        let release = dir.file_name().is_some_and(|n| n == "release");
        log.say(format!(
            "building folio ({} profile)",
            if release { "release" } else { "dev" }
        ));
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "folio", "--bin", "folio"]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().context("cannot run cargo to build folio")?;
        if !status.success() {
            bail!("building folio failed");
        }
    }
    if !beside.is_file() {
        bail!(
            "no folio binary at {} (build it with `cargo build --release -p folio -p folio-bench`, pass --folio PATH, or --embedded)",
            beside.display()
        );
    }
    Ok(Folio::Binary(beside))
}

/// A command for a child: environment free of folio settings, run in `cwd` so that no
/// `config/folio.toml` is picked up.
fn child_command(program: &Path, cwd: &Path) -> Command {
    let mut cmd = Command::new(program);
    for (k, _) in std::env::vars() {
        if k.starts_with("FOLIO_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(cwd).stdin(Stdio::null());
    cmd
}

/// Times folio's and raw tantivy's indexing is measured at each size (the faster run counts).
const INDEX_ROUNDS: usize = 2;

/// Runs a child to completion, with stdout and stderr in files named after `name`.
/// The figures of one index build: its child process's exit and wall time, what it reported,
/// and the size of what it wrote.
fn index_figures(
    exit: &sys::Exit,
    wall: f64,
    own_secs: f64,
    paragraphs: u64,
    output: &Path,
) -> IndexFigures {
    IndexFigures {
        wall_secs: wall,
        own_secs,
        paragraphs,
        paragraphs_per_sec: paragraphs as f64 / wall,
        size_bytes: sys::dir_size(output),
        peak_rss_bytes: exit.max_rss,
        cpu_secs: exit.user_secs + exit.sys_secs,
    }
}

fn run_child(mut cmd: Command, dir: &Path, name: &str) -> anyhow::Result<(sys::Exit, f64, String)> {
    let out_path = dir.join(format!("{name}.out"));
    let err_path = dir.join(format!("{name}.err"));
    cmd.stdout(File::create(&out_path)?)
        .stderr(File::create(&err_path)?);
    let started = Instant::now();
    let child = sys::spawn(&mut cmd).with_context(|| format!("cannot start {name}"))?;
    let exit = sys::wait(child)?;
    let wall = started.elapsed().as_secs_f64();
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    if !exit.success() {
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        bail!(
            "{name} failed ({}):\n{}\n{}",
            exit.describe(),
            stdout.lines().rev().take(5).collect::<Vec<_>>().join("\n"),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    Ok((exit, wall, stdout))
}

/// A running server, stopped when dropped.
struct Server {
    child: Option<Child>,
    pid: u32,
    addr: SocketAddr,
}

impl Server {
    fn stop(&mut self) {
        if let Some(child) = self.child.take() {
            let _ = sys::stop(child, Duration::from_secs(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the server and waits until `/ready` answers 200; returns it and the time that took.
fn start_server(
    folio: &Folio,
    tmp: &Path,
    index_dir: &Path,
    corpus: &Path,
    n: usize,
) -> anyhow::Result<(Server, f64)> {
    let err_path = tmp.join(format!("serve-{n}.err"));
    let mut cmd = match folio {
        Folio::Binary(p) => {
            let mut c = child_command(p, tmp);
            c.arg("serve")
                .arg("--listen")
                .arg("127.0.0.1:0")
                .arg("--index-dir")
                .arg(index_dir)
                .arg("--corpus")
                .arg(corpus)
                .env("FOLIO_LOG", "info");
            c
        }
        Folio::Embedded(p) => {
            let mut c = child_command(p, tmp);
            c.arg("serve")
                .arg("--index-dir")
                .arg(index_dir)
                .arg("--listen")
                .arg("127.0.0.1:0");
            c
        }
    };
    cmd.stdout(Stdio::null()).stderr(File::create(&err_path)?);
    let started = Instant::now();
    let child = sys::spawn(&mut cmd).context("cannot start the server")?;
    let pid = child.id();
    let mut server = Server {
        child: Some(child),
        pid,
        addr: "127.0.0.1:0".parse().expect("address"),
    };
    let deadline = started + Duration::from_secs(120);
    let addr = loop {
        let log = std::fs::read_to_string(&err_path).unwrap_or_default();
        if let Some(rest) = log.split("listening on http://").nth(1) {
            let a: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            if let Ok(a) = a.parse::<SocketAddr>() {
                break a;
            }
        }
        if let Some(child) = server.child.as_mut()
            && let Some(status) = child.try_wait()?
        {
            server.child = None;
            bail!("the server exited ({status}) before listening:\n{log}");
        }
        if Instant::now() > deadline {
            bail!("the server did not start listening in 120 s:\n{log}");
        }
        std::thread::sleep(Duration::from_micros(500));
    };
    server.addr = addr;
    let ready = http::wait_ready(addr, deadline).context("the server never became ready")?;
    Ok((server, (ready - started).as_secs_f64() * 1000.0))
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    let log = Log {
        started: Instant::now(),
    };
    sys::install_interrupt_handler();
    let sizes: Vec<usize> = cli
        .size
        .iter()
        .map(|s| parse_size(s))
        .collect::<anyhow::Result<_>>()?;
    let folio = locate_folio(cli, &log)?;
    log.say(format!("folio side: {}", folio.describe()));
    let mut results = Vec::new();
    for (label, &n) in cli.size.iter().zip(&sizes) {
        let r = run_size(cli, &folio, label.trim(), n, &log)?;
        println!("{}", r.table());
        results.push(r);
    }
    let out = match &cli.out {
        Some(p) => p.clone(),
        None => {
            let exe = self_exe()?;
            let target = exe
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            target
                .join("folio-bench")
                .join(format!("results-{}-{}.json", cli.size.join("-"), secs))
        }
    };
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&serde_json::json!({ "runs": results }))?,
    )
    .with_context(|| format!("cannot write {}", out.display()))?;
    println!("Figures written to {}", out.display());
    Ok(())
}

fn run_size(
    cli: &Cli,
    folio: &Folio,
    label: &str,
    n: usize,
    log: &Log,
) -> anyhow::Result<SizeResult> {
    let (passes, load_secs, starts, budget) = if cli.quick {
        (1, 1, 1, Duration::from_secs(30))
    } else {
        (
            cli.passes.max(1),
            cli.load_secs.max(1),
            cli.starts.max(1),
            Duration::from_secs(cli.budget_secs),
        )
    };
    let base = cli.dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base)?;
    let tmp = tempfile::Builder::new()
        .prefix("folio-bench-")
        .tempdir_in(&base)
        .with_context(|| format!("cannot make a temporary folder in {}", base.display()))?;
    let dir = tmp.path().to_path_buf();
    sys::remove_on_interrupt((!cli.keep).then(|| dir.clone()));
    log.say(format!("size {label}: working in {}", dir.display()));
    let result = measure_size(
        cli, folio, label, n, &dir, log, passes, load_secs, starts, budget,
    );
    if cli.keep {
        let kept = tmp.keep();
        log.say(format!("kept {}", kept.display()));
    } else {
        drop(tmp);
    }
    sys::remove_on_interrupt(None);
    result
}

#[allow(clippy::too_many_arguments)]
fn measure_size(
    cli: &Cli,
    folio: &Folio,
    label: &str,
    n: usize,
    dir: &Path,
    log: &Log,
    passes: usize,
    load_secs: u64,
    starts: usize,
    budget: Duration,
) -> anyhow::Result<SizeResult> {
    let exe = self_exe()?;
    let corpus_dir = dir.join("corpus");
    let index_dir = dir.join("folio-index");
    let raw_dir = dir.join("raw-index");
    let db = dir.join("fts5.sqlite");

    // The corpus.
    log.say(format!(
        "generating {} paragraphs",
        report::thousands(n as f64)
    ));
    let generated = generate::generate(&generate::Options {
        paragraphs: n,
        seed: cli.seed,
        out: corpus_dir.clone(),
        licenses: PathBuf::from(generate::LICENSES_DIR),
        sample_corpus: cli
            .sample_corpus
            .clone()
            .unwrap_or_else(generate::default_sample_corpus),
    })?;
    log.say(format!(
        "generated {} documents, {:.0} MB in {:.1} s (inputs: {} license files, {} sample paragraphs, fingerprint {})",
        generated.documents,
        generated.bytes as f64 / 1e6,
        generated.secs,
        generated.inputs.license_files.len(),
        generated.inputs.sample_paragraphs,
        generated.inputs.fingerprint
    ));
    let queries = queries::derive(&generated.material, cli.seed);
    std::fs::write(
        dir.join("queries.json"),
        serde_json::to_string_pretty(&queries)?,
    )?;
    let query_figures = QueryFigures {
        count: queries.len(),
        with_facets: queries.iter().filter(|q| q.facets).count(),
        filtered: queries.iter().filter(|q| q.filtered()).count(),
        by_class: queries::Class::ALL
            .iter()
            .map(|c| {
                (
                    c.name().to_string(),
                    queries.iter().filter(|q| q.class == *c).count(),
                )
            })
            .collect(),
    };
    let corpus_figures = CorpusFigures {
        documents: generated.documents,
        paragraphs: generated.paragraphs,
        bytes: generated.bytes,
        files: generated.files,
        generate_secs: generated.secs,
        inputs: generated.inputs.clone(),
    };
    drop(generated);
    log.say(format!("{} queries derived", queries.len()));

    // Indexing, folio and raw tantivy in turn, `index_rounds` times each: the machine is shared,
    // and one slow run (a neighbour's burst) would decide the ratio; each side's faster run is
    // reported.
    let rounds = if cli.quick { 1 } else { INDEX_ROUNDS };
    let mut folio_ix: Option<IndexFigures> = None;
    let mut raw_ix: Option<IndexFigures> = None;
    let faster = |best: &mut Option<IndexFigures>, run: IndexFigures| {
        if best.as_ref().is_none_or(|b| run.wall_secs < b.wall_secs) {
            *best = Some(run);
        }
    };
    for round in 1..=rounds {
        log.say(format!("indexing with folio (round {round} of {rounds})"));
        std::fs::remove_dir_all(&index_dir).ok();
        let (program, subcommand) = match folio {
            Folio::Binary(p) => (p, "index"),
            Folio::Embedded(p) => (p, "folio-index"),
        };
        let mut cmd = child_command(program, dir);
        cmd.arg(subcommand)
            .arg("--corpus")
            .arg(&corpus_dir)
            .arg("--index-dir")
            .arg(&index_dir);
        let (exit, wall, _) = run_child(cmd, dir, "folio-index")?;
        let store = folio_search::IndexStore::new(&index_dir);
        let build = store.current()?.context("folio index made no build")?;
        log.say(format!(
            "folio: {} paragraphs in {wall:.1} s, peak {:.0} MB",
            build.info.paragraphs,
            exit.max_rss as f64 / 1e6
        ));
        faster(
            &mut folio_ix,
            index_figures(
                &exit,
                wall,
                build.info.duration_ms as f64 / 1000.0,
                build.info.paragraphs,
                &build.path,
            ),
        );

        log.say(format!(
            "indexing with raw tantivy (round {round} of {rounds})"
        ));
        let mut cmd = child_command(&exe, dir);
        cmd.arg("raw-index")
            .arg("--corpus")
            .arg(&corpus_dir)
            .arg("--out")
            .arg(&raw_dir);
        let (exit, wall, out) = run_child(cmd, dir, "raw-index")?;
        let rep: raw::BuildReport =
            serde_json::from_str(out.trim()).context("raw tantivy's report")?;
        log.say(format!(
            "raw tantivy: {} paragraphs in {wall:.1} s, peak {:.0} MB",
            rep.paragraphs,
            exit.max_rss as f64 / 1e6
        ));
        faster(
            &mut raw_ix,
            index_figures(&exit, wall, rep.secs, rep.paragraphs, &raw_dir),
        );
        std::fs::remove_dir_all(&raw_dir).ok();
    }
    let (folio_ix, raw_ix) = (
        folio_ix.context("no folio index round")?,
        raw_ix.context("no raw tantivy round")?,
    );
    let store = folio_search::IndexStore::new(&index_dir);
    let build = store.current()?.context("folio index made no build")?;

    // Indexing: FTS5.
    log.say("building the FTS5 database");
    let mut cmd = child_command(&exe, dir);
    cmd.arg("fts-build")
        .arg("--corpus")
        .arg(&corpus_dir)
        .arg("--db")
        .arg(&db);
    let (exit, wall, out) = run_child(cmd, dir, "fts-build")?;
    let rep: fts::BuildReport = serde_json::from_str(out.trim()).context("FTS5's report")?;
    let fts_ix = index_figures(&exit, wall, rep.sqlite_secs, rep.paragraphs, &db);
    log.say(format!(
        "FTS5: {} paragraphs in {wall:.1} s ({:.1} s in SQLite), peak {:.0} MB",
        rep.paragraphs,
        rep.sqlite_secs,
        exit.max_rss as f64 / 1e6
    ));

    // In-process searches.
    log.say("searching in-process: folio");
    let engine = folio_search::Engine::open_current(&store, settings::engine_options()?)?;
    let folio_run = engines::measure(&queries, passes, budget, engines::folio_search(&engine));
    log.say("checking pruned ranking against complete scoring");
    let checked = check_pruning(&engine, &store, &queries)?;
    log.say(format!(
        "same hits, scores and facets on all {checked} queries"
    ));
    drop(engine);
    log.say("searching in-process: raw tantivy");
    let raw_search = raw::RawSearch::open(&build.path)?;
    let raw_run = engines::measure(&queries, passes, budget, |q| raw_search.search(q));
    drop(raw_search);
    log.say("searching in-process: FTS5");
    let fts = fts::Fts::open(&db)?;
    let fts_run = engines::measure(&queries, passes, budget, |q| fts.search(q));
    drop(fts);

    // HTTP.
    let paths: Vec<String> = queries.iter().map(|q| q.http_path()).collect();
    let mut ready = Vec::new();
    let mut server = None;
    for k in 0..starts {
        if let Some(mut s) = server.take() {
            Server::stop(&mut s);
        }
        let (s, ms) = start_server(folio, dir, &index_dir, &corpus_dir, k)?;
        log.say(format!("server ready in {ms:.0} ms on {}", s.addr));
        ready.push(ms);
        server = Some(s);
    }
    let mut server = server.context("no server")?;
    log.say("HTTP at concurrency 1");
    let warm = http::sequential(server.addr, &paths, 1)?;
    let c1 = http::sequential(server.addr, &paths, passes)?;
    let c1_run = engines::Run {
        passes,
        samples: c1.samples.clone(),
        outcomes: Vec::new(),
        errors: warm.errors.iter().chain(&c1.errors).cloned().collect(),
    };
    log.say("HTTP at concurrency 8");
    let c8 = http::load(server.addr, &paths, 8, Duration::from_secs(load_secs));
    log.say("HTTP at concurrency 64");
    let c64 = http::load(server.addr, &paths, 64, Duration::from_secs(load_secs));
    let status = sys::proc_status(server.pid).unwrap_or_default();
    let get = |k: &str| status.get(k).copied().unwrap_or(0);
    let mut sorted = ready.clone();
    sorted.sort_by(f64::total_cmp);
    let server_figures = report::Server {
        binary: folio.describe(),
        ready_median_ms: sorted[sorted.len() / 2],
        ready_ms: ready,
        rss_anon_bytes: get("RssAnon"),
        rss_shmem_bytes: get("RssShmem"),
        rss_file_bytes: get("RssFile"),
        vm_rss_bytes: get("VmRSS"),
        vm_hwm_bytes: get("VmHWM"),
    };
    server.stop();
    log.say("done measuring");

    // Agreement.
    let mut agreement = Agreement::default();
    let mut ratios = Vec::new();
    for (i, q) in queries.iter().enumerate() {
        let folio_total = folio_run.outcomes[i].map(|o| o.total);
        if let (Some(a), Some(b)) = (folio_total, warm.totals[i])
            && a != b
        {
            agreement
                .http_total_mismatches
                .push(format!("{}: in-process {a}, HTTP {b}", q.folio_q()));
        }
        if !q.class.is_single_term() || q.filtered() {
            continue;
        }
        let (Some(f), Some(s)) = (folio_total, fts_run.outcomes[i].map(|o| o.total)) else {
            continue;
        };
        agreement.single_term_queries += 1;
        match (f > 0, s > 0) {
            (true, true) => {
                agreement.both_found += 1;
                ratios.push(f as f64 / s as f64);
            }
            (true, false) => agreement.folio_only.push(q.folio_q()),
            (false, true) => agreement.fts5_only.push(q.folio_q()),
            (false, false) => agreement.neither += 1,
        }
    }
    ratios.sort_by(f64::total_cmp);
    agreement.median_total_ratio = ratios.get(ratios.len() / 2).copied().unwrap_or(0.0);

    let (cpu, cores, memory) = sys::machine();
    let mut http_errors: Vec<String> = c1_run.errors.iter().take(5).cloned().collect();
    http_errors.extend(c8.error_samples.iter().cloned());
    http_errors.extend(c64.error_samples.iter().cloned());
    let mut result = SizeResult {
        label: label.to_string(),
        paragraphs_requested: n,
        seed: cli.seed,
        date: sys::today(),
        machine: Machine {
            cpu,
            cores,
            memory_bytes: memory,
        },
        corpus: corpus_figures,
        queries: query_figures,
        indexing: Indexing {
            folio: folio_ix,
            raw_tantivy: raw_ix,
            fts5: fts_ix,
        },
        in_process: InProcess {
            folio: folio_run.summary(&queries),
            raw_tantivy: raw_run.summary(&queries),
            fts5: fts_run.summary(&queries),
        },
        http: Http {
            c1: c1_run.summary(&queries),
            c8,
            c64,
            error_samples: http_errors,
        },
        server: server_figures,
        agreement,
        targets: Vec::new(),
    };
    for (name, run) in [
        ("folio", &folio_run),
        ("raw tantivy", &raw_run),
        ("FTS5", &fts_run),
    ] {
        for e in run.errors.iter().take(3) {
            log.say(format!("{name} error: {e}"));
        }
    }
    result.evaluate();
    Ok(result)
}
