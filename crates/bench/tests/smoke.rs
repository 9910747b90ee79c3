//! The benchmark's smoke test: the whole run at its smallest size (10k paragraphs), end to end,
//! with folio's indexing and serving embedded in the benchmark's binary (the `folio` binary is
//! not built by this crate's tests). It checks that everything ran and agreed, never how fast.

use std::process::Command;

use serde_json::Value;

fn num(v: &Value, path: &str) -> f64 {
    let mut cur = v;
    for key in path.split('.') {
        cur = &cur[key];
    }
    cur.as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number: {cur}"))
}

#[test]
fn the_benchmark_runs_at_10k_paragraphs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.json");
    let output = Command::new(env!("CARGO_BIN_EXE_folio-bench"))
        .args(["--size", "10k", "--embedded", "--quick", "--dir"])
        .arg(dir.path())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "folio-bench failed:\n{stdout}\n{stderr}"
    );
    // The table was printed.
    assert!(
        stdout.contains("Targets (stated for 1M paragraphs)"),
        "{stdout}"
    );

    let results: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let run = &results["runs"][0];
    let context = format!("{stdout}\n{stderr}");

    // The corpus and the three indexes hold the same paragraphs.
    assert_eq!(num(run, "corpus.paragraphs"), 10_000.0);
    assert_eq!(num(run, "indexing.raw_tantivy.paragraphs"), 10_000.0);
    let folio = num(run, "indexing.folio.paragraphs");
    assert!(folio >= 9_900.0, "folio kept {folio} paragraphs");
    assert_eq!(num(run, "indexing.fts5.paragraphs"), folio);
    assert!(num(run, "queries.count") >= 250.0);

    // Every query succeeded on every engine, in-process and over HTTP.
    for engine in ["folio", "raw_tantivy", "fts5"] {
        assert_eq!(
            num(run, &format!("in_process.{engine}.errors")),
            0.0,
            "{engine}: {context}"
        );
    }
    assert_eq!(num(run, "http.c1.errors"), 0.0, "{context}");
    for c in ["c8", "c64"] {
        assert!(num(run, &format!("http.{c}.requests")) > 0.0, "{context}");
        assert_eq!(num(run, &format!("http.{c}.errors")), 0.0, "{context}");
    }
    assert!(num(run, "server.ready_median_ms") > 0.0);
    assert!(num(run, "server.rss_anon_bytes") > 0.0);

    // folio and FTS5 agree on what single terms match, and HTTP answers as in-process.
    let a = &run["agreement"];
    let single = num(run, "agreement.single_term_queries");
    let both = num(run, "agreement.both_found") + num(run, "agreement.neither");
    assert!(single >= 20.0, "{a}");
    assert!(both >= 0.9 * single, "folio and FTS5 disagree: {a}");
    let ratio = num(run, "agreement.median_total_ratio");
    assert!((0.5..=2.0).contains(&ratio), "totals differ: {a}");
    assert_eq!(
        a["http_total_mismatches"].as_array().map(Vec::len),
        Some(0),
        "{a}"
    );

    // The temporary folder was removed.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("folio-bench-"))
        .collect();
    assert!(left.is_empty(), "temporary folders left: {left:?}");
}

/// The profiling subcommands read a run kept with `--keep`; pointed elsewhere, they say which
/// file is missing and what should be there.
#[test]
fn a_profiling_run_without_a_kept_folder_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // The error it printed, once it failed.
    let failure = || {
        let output = Command::new(env!("CARGO_BIN_EXE_folio-bench"))
            .args(["search-loop", "--dir"])
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!output.status.success(), "{stderr}");
        stderr
    };
    let stderr = failure();
    let file = dir.path().join("queries.json");
    assert!(
        stderr.contains(&format!("cannot read {}", file.display())) && stderr.contains("--keep"),
        "{stderr}"
    );

    std::fs::write(&file, "[{\"class\": 1}]").unwrap();
    let stderr = failure();
    assert!(
        stderr.contains(&format!("{} is not a query mix", file.display()))
            && stderr.contains("line 1"),
        "{stderr}"
    );
}
