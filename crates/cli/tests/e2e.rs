//! End to end: the `folio` binary of this build serves the bundled corpus on a free port, and the
//! browser tests (`node --test e2e/`, headless Chromium) drive the website and the embeddable
//! widget against it, the widget from a page on another origin served by a small static server
//! of `examples/`. `e2e/meili_client_test.py` runs too when it exists.
//!
//! Without node, `e2e/node_modules` (`npm ci --prefix e2e`) or Chromium (`/usr/bin/chromium`, or
//! `CHROMIUM`), the browser part is skipped with a note; `FOLIO_E2E=require` makes that a failure.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long one suite may run.
const SUITE_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// How long folio may take to build the index and become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(180);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

fn required() -> bool {
    std::env::var("FOLIO_E2E").is_ok_and(|v| v == "require")
}

/// A note that cargo's output capture does not swallow.
fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Something the suite needs is missing: skip with a note, or fail under `FOLIO_E2E=require`.
fn missing(suite: &str, what: &str, fix: &str) -> bool {
    assert!(
        !required(),
        "FOLIO_E2E=require, but {what} for the {suite} tests ({fix})"
    );
    note(&format!(
        "SKIPPED the {suite} end-to-end tests: {what} ({fix}). Set FOLIO_E2E=require to make this a failure."
    ));
    false
}

fn runs(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Can the browser tests run here?
fn browser_ready(root: &Path) -> bool {
    const SUITE: &str = "browser";
    let Some(version) = runs("node", &["--version"]) else {
        return missing(SUITE, "node is not installed", "apt-get install nodejs npm");
    };
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        return missing(
            SUITE,
            &format!("node {version} is older than 20"),
            "install node 20 or newer",
        );
    }
    if !root
        .join("e2e/node_modules/playwright-core/package.json")
        .is_file()
    {
        return missing(
            SUITE,
            "e2e/node_modules is not installed",
            "npm ci --prefix e2e",
        );
    }
    if !chromium().is_file() {
        return missing(
            SUITE,
            &format!("{} does not exist", chromium().display()),
            "apt-get install chromium, or set CHROMIUM",
        );
    }
    true
}

/// Can the Meilisearch client test run here? `None`: there is no such test.
fn meili_ready(root: &Path) -> Option<bool> {
    const SUITE: &str = "Meilisearch client";
    if !root.join("e2e/meili_client_test.py").is_file() {
        return None;
    }
    if runs("python3", &["--version"]).is_none() {
        return Some(missing(
            SUITE,
            "python3 is not installed",
            "apt-get install python3",
        ));
    }
    let requirements = root.join("e2e/requirements.txt");
    if let Ok(text) = std::fs::read_to_string(&requirements) {
        for line in text.lines() {
            let name: String = line
                .split('#')
                .next()
                .unwrap_or("")
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
                .collect();
            if name.is_empty() {
                continue;
            }
            if runs("python3", &["-m", "pip", "show", "-q", &name]).is_none() {
                return Some(missing(
                    SUITE,
                    &format!("the Python package {name} is not installed"),
                    "pip install -r e2e/requirements.txt",
                ));
            }
        }
    }
    Some(true)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running `folio serve`; stopped with SIGTERM when dropped.
struct Folio {
    child: Child,
    url: String,
    log: PathBuf,
    _index: tempfile::TempDir,
}

impl Folio {
    fn start(root: &Path) -> Folio {
        let index = tempfile::tempdir().expect("a temporary index folder");
        let log = index.path().join("folio.log");
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let out = std::fs::File::create(&log).expect("a log file");
        let err = out.try_clone().expect("a log file");
        let child = Command::new(env!("CARGO_BIN_EXE_folio"))
            .current_dir(root)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--index-dir")
            .arg(index.path().join("data"))
            .arg("--corpus")
            .arg(root.join("index/corpus"))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("folio starts");
        let mut folio = Folio {
            child,
            url,
            log,
            _index: index,
        };
        folio.wait_ready();
        folio
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    fn wait_ready(&mut self) {
        let start = Instant::now();
        let ready = format!("{}/ready", self.url);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "folio exited ({status}) before it was ready:\n{}",
                    self.log_tail()
                );
            }
            if matches!(ureq::get(&ready).call(), Ok(r) if r.status() == 200) {
                return;
            }
            assert!(
                start.elapsed() < READY_TIMEOUT,
                "folio was not ready after {READY_TIMEOUT:?}:\n{}",
                self.log_tail()
            );
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGTERM, then the exit status (killed after 15 s).
    fn terminate(&mut self) -> Option<ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status);
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for Folio {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// A plain static file server of one folder, on another port (so another origin) than folio.
struct StaticServer {
    url: String,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    fn start(dir: PathBuf) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the examples");
        let addr = listener.local_addr().expect("an address");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let dir = dir.clone();
                    thread::spawn(move || serve_file(stream, &dir));
                }
            }
        });
        StaticServer {
            url: format!("http://{addr}"),
            stop,
            addr,
            thread: Some(thread),
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn serve_file(mut stream: TcpStream, dir: &Path) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Skip the headers.
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let path = percent_decode(target.split(['?', '#']).next().unwrap_or("/"));
    let mut file = dir.to_path_buf();
    let mut ok = method == "GET" || method == "HEAD";
    for part in path.split('/').filter(|p| !p.is_empty()) {
        ok &= part != ".." && !part.contains('\\');
        file.push(part);
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let body = if ok { std::fs::read(&file).ok() } else { None };
    let (status, content_type, body) = match body {
        Some(body) => {
            let content_type = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                Some("js" | "mjs") => "text/javascript; charset=utf-8",
                Some("css") => "text/css; charset=utf-8",
                Some("json") => "application/json",
                Some("svg") => "image/svg+xml",
                Some("png") => "image/png",
                _ => "application/octet-stream",
            };
            ("200 OK", content_type, body)
        }
        None => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            b"not found\n".to_vec(),
        ),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = stream.write_all(&body);
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Drain what the client still sends, so the close is clean.
    let _ = reader.read(&mut [0; 1024]);
}

/// Runs a suite with its output passed through (past cargo's capture); returns the exit status
/// and the output's lines.
fn run_suite(name: &str, mut command: Command) -> (ExitStatus, Vec<String>) {
    note(&format!("== {name}"));
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{name} could not start: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let echo = thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = writeln!(std::io::stdout(), "{line}");
            lines.push(line);
        }
        lines
    });
    let start = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if start.elapsed() > SUITE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} took longer than {SUITE_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(200));
    };
    let lines = echo.join().unwrap_or_default();
    (status, lines)
}

/// The number after `# name ` in node's closing lines.
fn tap_count(lines: &[String], name: &str) -> Option<u64> {
    let prefix = format!("# {name} ");
    lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix(&prefix).and_then(|n| n.trim().parse().ok()))
}

#[test]
fn website_widget_and_clients_in_real_browsers() {
    let root = repo_root();
    let browser = browser_ready(&root);
    let meili = meili_ready(&root);
    if !browser && meili != Some(true) {
        return;
    }

    let mut folio = Folio::start(&root);
    let examples = StaticServer::start(root.join("examples"));
    note(&format!(
        "folio at {}, examples at {}",
        folio.url, examples.url
    ));

    let mut failures = Vec::new();
    if browser {
        let mut node = Command::new("node");
        node.current_dir(&root)
            .args(["--test", "e2e/"])
            .env("FOLIO_URL", &folio.url)
            .env("EXAMPLES_URL", &examples.url)
            .env("CHROMIUM", chromium());
        let (status, lines) = run_suite("browser tests: node --test e2e/", node);
        let passed = tap_count(&lines, "pass").unwrap_or(0);
        let failed = tap_count(&lines, "fail").unwrap_or(0);
        if !status.success() || failed > 0 {
            failures.push(format!(
                "browser tests failed ({status}, {failed} failed); screenshots in e2e/artifacts/"
            ));
        } else if passed == 0 {
            failures.push("the browser tests ran no test".to_string());
        }
    }
    if meili == Some(true) {
        let mut python = Command::new("python3");
        python
            .current_dir(&root)
            .arg("e2e/meili_client_test.py")
            .env("FOLIO_URL", &folio.url);
        let (status, _) = run_suite("Meilisearch client test: e2e/meili_client_test.py", python);
        if !status.success() {
            failures.push(format!("e2e/meili_client_test.py failed ({status})"));
        }
    }

    drop(examples);
    let stopped = folio.terminate();
    if !failures.is_empty() {
        panic!(
            "{}\nfolio's log:\n{}",
            failures.join("\n"),
            folio.log_tail()
        );
    }
    let status = stopped.expect("folio stops within 15 s of SIGTERM");
    assert!(
        status.success(),
        "folio exits cleanly on SIGTERM: {status}\n{}",
        folio.log_tail()
    );
}

#[test]
fn percent_decoding() {
    assert_eq!(percent_decode("/embed/index.html"), "/embed/index.html");
    assert_eq!(percent_decode("/a%20b/%C3%A9"), "/a b/é");
    assert_eq!(percent_decode("/100%"), "/100%");
}
