//! The `folio` binary, run as a user runs it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn folio() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_folio"));
    c.env_remove("FOLIO_LOG").env_remove("FOLIO_CONFIG");
    c
}

fn run(args: &[&str]) -> Output {
    let out = folio().args(args).output().unwrap();
    eprintln!(
        "folio {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn index_bundled(index: &Path) -> Output {
    run(&[
        "index",
        "--corpus",
        path(&repo().join("index/corpus")),
        "--index-dir",
        path(index),
    ])
}

fn current(index: &Path) -> Option<String> {
    std::fs::read_to_string(index.join("CURRENT")).ok()
}

fn write_corpus(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

const PROSE: &str = "A paragraph of prose that is long enough to count as a paragraph of an article about zanzibarite.";

#[test]
fn index_prints_a_summary() {
    let index = tempfile::tempdir().unwrap();
    let out = index_bundled(index.path());
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.starts_with("Indexed 5 documents, 131 paragraphs (30 lines dropped as furniture) in "),
        "{text}"
    );
    assert!(text.contains("\nIndex: ") && text.contains(" MB)"));
    assert!(
        text.contains("Paragraphs per theme:\n  central-control "),
        "{text}"
    );
    for theme in [
        "foreign-trade",
        "sanctions",
        "self-reliance",
        "defense-industry",
        "enterprise-reform",
        "diplomacy",
        "party-politics",
        "science-technology",
        "pandemic",
    ] {
        assert!(text.contains(&format!("\n  {theme}")), "{theme}");
    }
    // Without a terminal, progress is plain lines.
    assert!(stderr(&out).contains("indexing 5 files"));
    // The same corpus gives the same ids again.
    let first = run(&[
        "search",
        "trade",
        "--json",
        "--index-dir",
        path(index.path()),
    ]);
    assert!(index_bundled(index.path()).status.success());
    let second = run(&[
        "search",
        "trade",
        "--json",
        "--index-dir",
        path(index.path()),
    ]);
    let ids = |o: &Output| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&first), ids(&second));
}

#[test]
fn bad_input_names_the_file_and_line_and_writes_nothing() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a.md",
            format!("+++\ntitle = \"T\"\nyear = 20x1\n+++\n{PROSE}\n").into_bytes(),
            "error: a.md:3: TOML front matter does not parse",
        ),
        (
            "b.md",
            format!("+++\ntitle = \"T\"\n+++\n{PROSE}\n").into_bytes(),
            "error: b.md:1: no year",
        ),
        (
            "c.txt",
            b"+++\nyear = 2020\n+++\nok\n\xff\n".to_vec(),
            "error: c.txt:5: not UTF-8 text",
        ),
    ];
    for (name, bytes, expected) in cases {
        let corpus = write_corpus(&[(name, &bytes)]);
        let index = tempfile::tempdir().unwrap();
        let out = run(&[
            "index",
            "--corpus",
            path(corpus.path()),
            "--index-dir",
            path(index.path()),
        ]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(stderr(&out).contains(expected), "{name}: {}", stderr(&out));
        assert_eq!(current(index.path()), None, "{name}: nothing published");
        let leftovers: Vec<_> = std::fs::read_dir(index.path().join("builds"))
            .unwrap()
            .collect();
        assert!(leftovers.is_empty(), "{name}: no half-written build");
    }
    let empty = tempfile::tempdir().unwrap();
    let out = run(&[
        "index",
        "--corpus",
        path(empty.path()),
        "--index-dir",
        path(&empty.path().join("idx")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("holds no documents"));
}

#[test]
fn a_failed_build_leaves_the_previous_index_servable() {
    let index = tempfile::tempdir().unwrap();
    assert!(index_bundled(index.path()).status.success());
    let before = current(index.path()).unwrap();
    let corpus = write_corpus(&[("bad.md", b"+++\ntitle = 3\nyear = 2020\n+++\ntext\n")]);
    let out = run(&[
        "index",
        "--corpus",
        path(corpus.path()),
        "--index-dir",
        path(index.path()),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("bad.md:1: `title` must be a string"),
        "{}",
        stderr(&out)
    );
    assert_eq!(current(index.path()).unwrap(), before);
    let out = run(&["search", "Juche", "--index-dir", path(index.path())]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("paragraphs"));
}

#[test]
fn skip_invalid_indexes_the_rest_and_lists_the_bad_files() {
    let good = format!("+++\ntitle = \"Good\"\nsource = \"S\"\nyear = 2020\n+++\n{PROSE}\n");
    let corpus = write_corpus(&[
        ("good.md", good.as_bytes()),
        ("bad.md", b"+++\ntitle = \"Bad\"\n+++\ntext\n"),
    ]);
    let index = tempfile::tempdir().unwrap();
    let out = run(&[
        "index",
        "--skip-invalid",
        "--corpus",
        path(corpus.path()),
        "--index-dir",
        path(index.path()),
    ]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.starts_with("Indexed 1 documents, 1 paragraphs"),
        "{text}"
    );
    assert!(
        text.contains("Skipped 1 invalid files:\n  bad.md:1: no year"),
        "{text}"
    );
    assert!(stderr(&out).contains("skipped: bad.md:1: no year"));
}

#[test]
fn a_killed_build_leaves_the_previous_index_intact() {
    let index = tempfile::tempdir().unwrap();
    assert!(index_bundled(index.path()).status.success());
    let before = current(index.path()).unwrap();
    // A corpus big enough that indexing takes a while.
    let corpus = tempfile::tempdir().unwrap();
    let mut jsonl = String::new();
    for i in 0..4000 {
        let text = (0..8).map(|j| format!("Paragraph {j} of report {i} discusses grain markets, coal exports and the state plan in detail.")).collect::<Vec<_>>().join("\n\n");
        jsonl.push_str(&serde_json::json!({"title": format!("Report {i}"), "source": "Bulk", "year": 2000 + i % 20, "text": text}).to_string());
        jsonl.push('\n');
    }
    std::fs::write(corpus.path().join("bulk.jsonl"), jsonl).unwrap();
    let mut child = folio()
        .args([
            "index",
            "--corpus",
            path(corpus.path()),
            "--index-dir",
            path(index.path()),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let partial = loop {
        let found = std::fs::read_dir(index.path().join("builds"))
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().ends_with(".partial"));
        if let Some(p) = found {
            break p.path();
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the build finished before it could be killed"
        );
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(5));
    };
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        current(index.path()).unwrap(),
        before,
        "CURRENT still names the old build"
    );
    let out = run(&[
        "search",
        "Juche",
        "--json",
        "--index-dir",
        path(index.path()),
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["total"].as_u64().unwrap() > 0);
    // The next build clears the debris.
    assert!(index_bundled(index.path()).status.success());
    assert!(!partial.exists());
}

#[test]
fn search_in_the_terminal() {
    let index = tempfile::tempdir().unwrap();
    assert!(index_bundled(index.path()).status.success());
    let out = run(&[
        "search",
        "Kyongje Yongu",
        "--source",
        "38 North",
        "--year",
        "2023",
        "--limit",
        "2",
        "--index-dir",
        path(index.path()),
    ]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.starts_with("20 paragraphs ("), "{text}");
    assert!(text.contains("1. Understanding Kim Jong Un's Economic Policymaking:"));
    assert!(text.contains("Sources: 38 North (20)"));
    assert!(text.contains("Years: 2023 (20)"));
    assert!(!text.contains("<mark>"), "no markup outside a terminal");
    let out = run(&[
        "search",
        "trade",
        "--theme",
        "sanctions",
        "--json",
        "--index-dir",
        path(index.path()),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["hits"][0]["highlight"]["text"]
            .as_str()
            .unwrap()
            .contains("<mark>")
    );
    assert!(v["hits"].as_array().unwrap().iter().all(|h| {
        h["themes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "sanctions")
    }));
    let out = run(&[
        "search",
        "x",
        "--year",
        "20x",
        "--index-dir",
        path(index.path()),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("invalid year range `20x`"));
    let empty = tempfile::tempdir().unwrap();
    let out = run(&["search", "x", "--index-dir", path(empty.path())]);
    assert!(stderr(&out).contains("no index in"), "{}", stderr(&out));
}

#[test]
fn explain_shows_why_a_paragraph_got_its_themes() {
    let index = tempfile::tempdir().unwrap();
    assert!(index_bundled(index.path()).status.success());
    let out = run(&[
        "explain",
        "004_a8b6ee5173a16553-p1",
        "--index-dir",
        path(index.path()),
    ]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("Themes in the index: foreign-trade"),
        "{text}"
    );
    assert!(text.contains("foreign-trade — score"));
    assert!(text.contains("\"trading companies\""), "{text}");
    assert!(text.contains(": given"));
    let out = run(&[
        "explain",
        "004_a8b6ee5173a16553-p1",
        "--json",
        "--index-dir",
        path(index.path()),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["themes"][0]["assigned"], true);
    let out = run(&["explain", "nope-p1", "--index-dir", path(index.path())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no paragraph with id `nope-p1`"));
}

#[test]
fn clean_shows_what_is_kept_and_dropped() {
    let out = run(&[
        "clean",
        path(&repo().join("index/corpus/004_a8b6ee5173a16553.txt")),
    ]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.starts_with("004_a8b6ee5173a16553 — 12 paragraphs kept, 2 lines dropped"),
        "{text}"
    );
    assert!(text.contains("Pattern    Read in Korean"));
    assert!(text.contains("Hashtags   #Economic"));
}

#[test]
fn settings_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("folio.toml");
    std::fs::write(&config, "[search]\ndefault_limt = 5\n").unwrap();
    let out = run(&["--config", path(&config), "search", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("folio.toml:2: search.default_limt: unknown field"),
        "{}",
        stderr(&out)
    );
    let out = folio()
        .args(["search", "x"])
        .env("FOLIO_MAX_LIMIT", "lots")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("FOLIO_MAX_LIMIT=\"lots\": expected a whole number")
    );
}

// Serving.

struct Server {
    child: Child,
    base: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    fn start(index: &Path, corpus: &Path, extra_env: &[(&str, &str)]) -> Server {
        let mut cmd = folio();
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--index-dir",
            path(index),
            "--corpus",
            path(corpus),
        ])
        .env("FOLIO_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let base = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            log.lock().unwrap().push_str(&line);
            log.lock().unwrap().push('\n');
            if let Some(i) = line.find("listening on http://") {
                break line[i + "listening on ".len()..].trim().to_string();
            }
        };
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push_str(&line);
                sink.lock().unwrap().push('\n');
            }
        });
        Server { child, base, log }
    }

    fn get(&self, path: &str) -> (u16, serde_json::Value) {
        match ureq::get(&format!("{}{path}", self.base))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
        {
            Ok(mut r) => {
                let status = r.status().as_u16();
                (
                    status,
                    r.body_mut().read_json().unwrap_or(serde_json::Value::Null),
                )
            }
            Err(e) => panic!("GET {path}: {e}"),
        }
    }

    fn wait_ready(&self) -> serde_json::Value {
        let started = Instant::now();
        loop {
            let (status, body) = self.get("/ready");
            if status == 200 {
                return body;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "not ready: {body}\n{}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn serve_builds_on_first_start_answers_and_stops_gracefully() {
    let index = tempfile::tempdir().unwrap();
    let server = Server::start(index.path(), &repo().join("index/corpus"), &[]);
    let ready = server.wait_ready();
    assert_eq!(
        (ready["documents"].as_u64(), ready["paragraphs"].as_u64()),
        (Some(5), Some(131))
    );
    let (status, body) = server.get("/search?q=trading%20companies&source=Daily%20NK");
    assert_eq!(status, 200);
    assert!(body["total"].as_u64().unwrap() >= 5);
    assert!(
        body["hits"][0]["highlight"]["text"]
            .as_str()
            .unwrap()
            .contains("<mark>trading</mark> <mark>companies</mark>")
    );
    let health = folio()
        .args(["healthcheck", "--url", &server.base])
        .output()
        .unwrap();
    assert!(health.status.success());

    // A request that is in flight when SIGTERM arrives is answered before the process exits.
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .write_all(b"GET /search?q=Juche HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // Let the server read the start of the request first: a connection it has read nothing
    // from yet is idle, and idle connections are closed at once on shutdown (on a busy machine
    // the signal could otherwise overtake the bytes).
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.child.id();
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    stream.write_all(b"Connection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let status = server.terminate();
    assert_eq!(status.code(), Some(0));
    let down = folio()
        .args(["healthcheck", "--url", &format!("http://{addr}")])
        .output()
        .unwrap();
    assert!(!down.status.success());
}

#[test]
fn serve_restarts_without_rebuilding_and_rebuilds_for_a_changed_corpus() {
    let index = tempfile::tempdir().unwrap();
    let corpus = tempfile::tempdir().unwrap();
    let doc = |word: &str| {
        format!("+++\ntitle = \"T\"\nsource = \"S\"\nyear = 2020\n+++\n{PROSE} {word}.\n")
    };
    std::fs::write(corpus.path().join("a.md"), doc("first")).unwrap();
    let server = Server::start(index.path(), corpus.path(), &[]);
    let first = server.wait_ready()["build"].clone();
    assert_eq!(server.terminate().code(), Some(0));

    let server = Server::start(index.path(), corpus.path(), &[]);
    let (status, ready) = server.get("/ready");
    assert_eq!(
        (status, &ready["build"]),
        (200, &first),
        "ready at once with the same build"
    );
    assert_eq!(server.terminate().code(), Some(0));

    std::fs::write(corpus.path().join("b.md"), doc("second")).unwrap();
    let server = Server::start(index.path(), corpus.path(), &[]);
    let ready = server.wait_ready();
    assert_ne!(ready["build"], first);
    assert_eq!(ready["documents"], 2);
    assert!(server.log.lock().unwrap().contains("the corpus changed"));
    assert_eq!(server.terminate().code(), Some(0));
}

#[test]
fn a_new_build_is_picked_up_by_a_running_server() {
    let index = tempfile::tempdir().unwrap();
    let small = repo().join("testdata/small");
    let server = Server::start(index.path(), &small, &[("FOLIO_RELOAD_SECS", "1")]);
    let first = server.wait_ready();
    assert_eq!(first["paragraphs"], 12);
    assert!(index_bundled(index.path()).status.success());
    let started = Instant::now();
    loop {
        let (_, ready) = server.get("/ready");
        if ready["build"] != first["build"] {
            assert_eq!(ready["paragraphs"], 131);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server did not switch builds"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(server.terminate().code(), Some(0));
}
