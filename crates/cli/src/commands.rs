//! The subcommands. Each turns settings into calls on the library crates and prints results.

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use folio_corpus::{Cleaner, Corpus, Pipeline, Tagger, Taxonomy};
use folio_search::{
    Engine, EngineOptions, FacetCount, Filters, HighlightOptions, IndexHandle, IndexStore,
    SearchRequest, ThemeInfo, YearRange,
};
use tracing_subscriber::EnvFilter;

use crate::progress::Reporter;
use crate::settings::{Loaded, OnStart};

/// Logs to stderr: `FOLIO_LOG` filters (default `info` when serving, `warn` otherwise),
/// `FOLIO_LOG_FORMAT=json` for JSON lines.
pub fn init_logging(env: &HashMap<String, String>, serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = EnvFilter::try_new(env.get("FOLIO_LOG").map(String::as_str).unwrap_or(default))
        .unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if env.get("FOLIO_LOG_FORMAT").is_some_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

fn pipeline(loaded: &Loaded, taxonomy: &Taxonomy) -> anyhow::Result<Pipeline> {
    let cleaner = Cleaner::new(&loaded.settings.cleaning)?;
    let tagger = Tagger::new(taxonomy, folio_text::Analyzer::new()).context("themes")?;
    Ok(Pipeline::new(cleaner, tagger))
}

fn theme_infos(taxonomy: &Taxonomy) -> Vec<ThemeInfo> {
    ThemeInfo::all(taxonomy)
}

fn engine_options(loaded: &Loaded, taxonomy: &Taxonomy) -> anyhow::Result<EngineOptions> {
    Ok(EngineOptions {
        config: loaded.settings.search.clone(),
        synonyms: loaded.synonyms()?,
        themes: theme_infos(taxonomy),
    })
}

fn open_engine(loaded: &Loaded) -> anyhow::Result<Engine> {
    let taxonomy = loaded.taxonomy()?;
    let store = IndexStore::new(&loaded.settings.paths.index_dir);
    Ok(Engine::open_current(
        &store,
        engine_options(loaded, &taxonomy)?,
    )?)
}

/// Builds the index, printing progress and a summary.
fn build_index(
    loaded: &Loaded,
    taxonomy: &Taxonomy,
    skip_invalid: bool,
    quiet: bool,
) -> anyhow::Result<folio_indexer::Summary> {
    let s = &loaded.settings;
    let corpus = Corpus::open(&s.paths.corpus)?;
    let pipeline = pipeline(loaded, taxonomy)?;
    let store = IndexStore::new(&s.paths.index_dir);
    let reporter = Reporter::new();
    let silent = folio_indexer::Silent;
    let progress: &dyn folio_indexer::Progress = if quiet { &silent } else { &reporter };
    let result = folio_indexer::build(
        &corpus,
        &pipeline,
        &store,
        &s.index.build_config(),
        &loaded.index_fingerprint(taxonomy),
        skip_invalid,
        progress,
    );
    reporter.finish();
    Ok(result?)
}

pub fn index(loaded: &Loaded, skip_invalid: bool) -> anyhow::Result<ExitCode> {
    let taxonomy = loaded.taxonomy()?;
    let summary = build_index(loaded, &taxonomy, skip_invalid, false)?;
    let info = &summary.build.info;
    println!(
        "Indexed {} documents, {} paragraphs ({} lines dropped as furniture) in {:.2} s",
        info.documents,
        info.paragraphs,
        info.dropped_lines,
        info.duration_ms as f64 / 1000.0
    );
    println!(
        "Index: {} ({:.1} MB)",
        summary.build.path.display(),
        summary.size_bytes as f64 / 1_000_000.0
    );
    println!("Paragraphs per theme:");
    for t in &taxonomy.themes {
        println!(
            "  {:<20} {}",
            t.id,
            info.themes.get(&t.id).copied().unwrap_or(0)
        );
    }
    if !info.skipped.is_empty() {
        println!("Skipped {} invalid files:", info.skipped.len());
        for s in &info.skipped {
            println!("  {s}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Why the index must be (re)built before serving, if it must.
fn staleness(
    loaded: &Loaded,
    taxonomy: &Taxonomy,
    store: &IndexStore,
) -> anyhow::Result<Option<String>> {
    let Some(current) = store.current()? else {
        return Ok(Some("no index yet".to_string()));
    };
    let info = &current.info;
    if info.schema_version != folio_search::schema::SCHEMA_VERSION {
        return Ok(Some(
            "the index was built by another version of folio".to_string(),
        ));
    }
    if loaded.settings.index.on_start == OnStart::Never {
        return Ok(None);
    }
    if info.config_fingerprint != loaded.index_fingerprint(taxonomy) {
        return Ok(Some("the cleaning or theme settings changed".to_string()));
    }
    let corpus = match Corpus::open(&loaded.settings.paths.corpus) {
        Ok(c) => c,
        Err(e) => {
            // No corpus to compare with (an index shipped alone): serve what there is.
            tracing::warn!("cannot check the corpus for changes: {e}");
            return Ok(None);
        }
    };
    if corpus.stat_fingerprint()? == info.corpus_stat {
        return Ok(None);
    }
    if corpus.fingerprint()? == info.corpus_fingerprint {
        return Ok(None);
    }
    Ok(Some("the corpus changed".to_string()))
}

pub fn serve(loaded: &Loaded) -> anyhow::Result<ExitCode> {
    let s = loaded.settings.clone();
    let addr = s.server.validate().map_err(anyhow::Error::msg)?;
    let taxonomy = loaded.taxonomy()?;
    let store = IndexStore::new(&s.paths.index_dir);
    let handle = Arc::new(IndexHandle::new(
        store.clone(),
        engine_options(loaded, &taxonomy)?,
    ));
    match &loaded.file {
        Some(f) => tracing::info!("settings from {}", f.display()),
        None => tracing::info!("settings: built-in defaults"),
    }
    let stale = staleness(loaded, &taxonomy, &store)?;
    if stale.is_none() {
        handle.reload()?;
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        tracing::info!("listening on http://{local}");
        let state = folio_server::AppState::new(handle.clone(), s.server.clone());

        if let Some(reason) = stale {
            tracing::info!("building the index before serving: {reason}");
            let loaded = loaded.clone();
            let handle = handle.clone();
            let state = state.clone();
            tokio::task::spawn_blocking(move || {
                let result = build_index(&loaded, &taxonomy, false, true).and_then(|summary| {
                    tracing::info!(
                        documents = summary.build.info.documents,
                        paragraphs = summary.build.info.paragraphs,
                        "index built"
                    );
                    Ok(handle.reload()?)
                });
                if let Err(e) = result {
                    tracing::error!("cannot build the index: {e:#}");
                    state.set_build_error(format!("{e:#}"));
                }
            });
        }
        if s.server.reload_secs > 0 {
            let handle = handle.clone();
            let every = Duration::from_secs(s.server.reload_secs);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    let h = handle.clone();
                    match tokio::task::spawn_blocking(move || h.reload()).await {
                        Ok(Ok(true)) => tracing::info!("switched to a new index build"),
                        Ok(Ok(false)) => {}
                        Ok(Err(e)) => tracing::warn!("cannot switch to the new index build: {e}"),
                        Err(e) => tracing::warn!("index reload task failed: {e}"),
                    }
                }
            });
        }
        folio_server::serve(listener, state, folio_server::shutdown_signal()).await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Marks for terminal output; replaced by colours or removed after unescaping.
const PRE: &str = "\u{1}";
const POST: &str = "\u{2}";

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

pub fn search(
    loaded: &Loaded,
    query: String,
    source: Vec<String>,
    theme: Vec<String>,
    year: Option<String>,
    limit: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let engine = open_engine(loaded)?;
    let year = year.as_deref().map(YearRange::parse).transpose()?;
    let req = SearchRequest {
        q: query,
        filters: Filters {
            source,
            theme,
            year,
            ..Filters::default()
        },
        limit: Some(limit),
        highlight: if json {
            HighlightOptions::default()
        } else {
            HighlightOptions {
                pre_tag: PRE.into(),
                post_tag: POST.into(),
                snippet_chars: None,
            }
        },
        ..SearchRequest::default()
    };
    let response = engine.search(&req)?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &response)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let color = std::io::stdout().is_terminal();
    let paint = |s: &str| {
        let s = unescape(s);
        if color {
            s.replace(PRE, "\x1b[1;33m").replace(POST, "\x1b[0m")
        } else {
            s.replace(
                [PRE.chars().next().unwrap(), POST.chars().next().unwrap()],
                "",
            )
        }
    };
    let (bold, dim, reset) = if color {
        ("\x1b[1m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    writeln!(
        out,
        "{} paragraphs{} ({:.1} ms)\n",
        response.total,
        if response.relaxed {
            ", no paragraph holds every word: best partial matches"
        } else {
            ""
        },
        response.took_ms
    )?;
    for (i, hit) in response.hits.iter().enumerate() {
        let section = hit
            .section
            .as_deref()
            .map(|s| format!(" · {s}"))
            .unwrap_or_default();
        writeln!(
            out,
            "{}. {bold}{}{reset} — {}, {}{section}",
            i + 1,
            paint(&hit.highlight.title),
            hit.source,
            hit.year
        )?;
        writeln!(out, "   {}", paint(&hit.highlight.text))?;
        let themes = if hit.themes.is_empty() {
            String::new()
        } else {
            format!(" · {}", hit.themes.join(", "))
        };
        writeln!(out, "   {dim}{} · {}{themes}{reset}\n", hit.id, hit.kind)?;
    }
    let line = |name: &str, items: Vec<String>| -> String {
        if items.is_empty() {
            String::new()
        } else {
            format!("{name}: {}\n", items.join(" · "))
        }
    };
    let fmt = |v: &Option<Vec<FacetCount<String>>>| -> Vec<String> {
        v.iter()
            .flatten()
            .map(|f| format!("{} ({})", f.value, f.count))
            .collect()
    };
    let years: Vec<String> = response
        .facets
        .year
        .iter()
        .flatten()
        .map(|f| format!("{} ({})", f.value, f.count))
        .collect();
    write!(
        out,
        "{}{}{}",
        line("Sources", fmt(&response.facets.source)),
        line("Years", years),
        line("Themes", fmt(&response.facets.theme))
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn explain(loaded: &Loaded, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let engine = open_engine(loaded)?;
    let taxonomy = loaded.taxonomy()?;
    let tagger = Tagger::new(&taxonomy, folio_text::Analyzer::new())?;
    let ctx = engine.paragraph(id, 0)?;
    let explanation = tagger.explain(&ctx.paragraph.text, &ctx.document.themes);
    let assigned: Vec<&str> = explanation
        .iter()
        .filter(|e| e.assigned)
        .map(|e| e.theme.as_str())
        .collect();
    let stored: Vec<&str> = ctx.paragraph.themes.iter().map(String::as_str).collect();
    if json {
        let value = serde_json::json!({
            "paragraph": ctx.paragraph,
            "indexed_themes": stored,
            "themes": explanation,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} — {} ({}, {})",
        ctx.paragraph.id, ctx.document.title, ctx.document.source, ctx.document.year
    );
    println!("{}\n", ctx.paragraph.text);
    println!(
        "Themes in the index: {}",
        if stored.is_empty() {
            "none".to_string()
        } else {
            stored.join(", ")
        }
    );
    if explanation.is_empty() {
        println!("No theme has evidence in this paragraph.");
    }
    for e in &explanation {
        let verdict = if e.from_document {
            "given (the document lists it)"
        } else if e.assigned {
            "given"
        } else if e.score >= e.threshold {
            "not given (more than the maximum of themes scored higher)"
        } else {
            "not given (below the threshold)"
        };
        println!(
            "\n{} — score {:.2}, threshold {:.2}: {verdict}",
            e.theme, e.score, e.threshold
        );
        for m in &e.evidence {
            println!(
                "  {:<40} ×{} weight {:.1} → {:.2}",
                format!("{:?}", m.phrase),
                m.occurrences,
                m.weight,
                m.contribution
            );
        }
    }
    let mut a = assigned.clone();
    let mut b = stored.clone();
    a.sort_unstable();
    b.sort_unstable();
    if a != b {
        println!(
            "\nThe themes settings changed since this index was built; run `folio index` to apply them."
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn clean(
    loaded: &Loaded,
    file: &Path,
    corpus: Option<&Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let folder = match corpus {
        Some(c) => c.to_path_buf(),
        None => file.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let name = file.file_name().context("not a file")?;
    let taxonomy = loaded.taxonomy()?;
    let pipeline = pipeline(loaded, &taxonomy)?;
    let corpus = Corpus::open(&folder)?;
    let wanted = file
        .canonicalize()
        .with_context(|| format!("cannot read {}", file.display()))?;
    let src = corpus
        .documents()
        .filter_map(Result::ok)
        .find(|d| {
            folder.join(&d.meta.file).canonicalize().ok().as_deref() == Some(wanted.as_path())
        })
        .with_context(|| {
            format!(
                "{} is not a valid document of {} (run `folio index` for the error)",
                name.to_string_lossy(),
                folder.display()
            )
        })?;
    let doc = pipeline.prepare(src)?;
    if json {
        let value = serde_json::json!({"document": doc.meta, "paragraphs": doc.paragraphs, "dropped": doc.dropped});
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} — {} paragraphs kept, {} lines dropped\n",
        doc.meta.id,
        doc.paragraphs.len(),
        doc.dropped.len()
    );
    for p in &doc.paragraphs {
        let line = p.line.map(|l| format!("line {l}")).unwrap_or_default();
        println!(
            "[{} {} {}] {}",
            p.position,
            p.kind.as_str(),
            line,
            p.section.as_deref().unwrap_or("")
        );
        println!("  {}", p.text);
    }
    println!("\nDropped:");
    for d in &doc.dropped {
        let line = d.line.map(|l| format!("line {l}")).unwrap_or_default();
        println!("  {line:>9} {:<10} {}", format!("{:?}", d.reason), d.text);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn healthcheck(loaded: &Loaded, url: Option<&str>) -> anyhow::Result<ExitCode> {
    let target = match url {
        Some(u) => {
            let rest = u
                .strip_prefix("http://")
                .context("only http:// URLs are supported")?;
            rest.trim_end_matches('/').to_string()
        }
        None => {
            let addr: SocketAddr = loaded
                .settings
                .server
                .validate()
                .map_err(anyhow::Error::msg)?;
            let host = if addr.ip().is_unspecified() {
                if addr.is_ipv4() {
                    "127.0.0.1".to_string()
                } else {
                    "[::1]".to_string()
                }
            } else {
                addr.ip().to_string()
            };
            format!("{host}:{}", addr.port())
        }
    };
    let addr = target
        .to_socket_addrs()
        .with_context(|| format!("bad address {target}"))?
        .next()
        .with_context(|| format!("bad address {target}"))?;
    let started = Instant::now();
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(3))
        .with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(3)))?;
    write!(stream, "GET /ready HTTP/1.0\r\nHost: {target}\r\n\r\n")?;
    let mut response = String::new();
    stream.take(4096).read_to_string(&mut response)?;
    let status = response.split_whitespace().nth(1).unwrap_or("");
    if status == "200" {
        println!("ready ({} ms)", started.elapsed().as_millis());
        Ok(ExitCode::SUCCESS)
    } else {
        bail!(
            "not ready: {}",
            response.lines().next().unwrap_or("no answer")
        )
    }
}

pub fn relevance(
    loaded: &Loaded,
    judgments: &Path,
    verbose: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(judgments)
        .with_context(|| format!("cannot read {}", judgments.display()))?;
    let judgments: folio_search::eval::Judgments =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", judgments.display()))?;
    let engine = open_engine(loaded)?;
    let eval = folio_search::eval::evaluate(&engine, &judgments)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&eval)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<55} {:>7} {:>6}", "query", "nDCG@5", "P@3");
    for q in &eval.queries {
        let relaxed = if q.relaxed { " (relaxed)" } else { "" };
        println!(
            "{:<55} {:>7.3} {:>6.3}",
            format!("{}{relaxed}", q.q),
            q.ndcg5,
            q.p3
        );
        if verbose {
            for (id, grade) in &q.top {
                println!("    {grade} {id}");
            }
        }
    }
    println!(
        "{:<55} {:>7.3} {:>6.3}   ({} queries; best possible P@3 {:.3})",
        "mean",
        eval.mean_ndcg5,
        eval.mean_p3,
        eval.queries.len(),
        eval.mean_ideal_p3
    );
    Ok(ExitCode::SUCCESS)
}
