//! The `folio` command: a thin front over the indexer, the search engine and the server.

mod commands;
mod progress;
mod settings;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::settings::{Flags, Loaded};

#[derive(Parser)]
#[command(name = "folio", version, about = "Full-text search for research corpora", long_about = None)]
struct Cli {
    /// Settings file (default: config/folio.toml if it exists, else built-in defaults).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the index from a corpus folder.
    Index {
        /// Folder of articles.
        #[arg(long, value_name = "DIR")]
        corpus: Option<PathBuf>,
        /// Where index builds live.
        #[arg(long, value_name = "DIR")]
        index_dir: Option<PathBuf>,
        /// Index the valid documents and list the invalid ones instead of stopping at the first.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Serve the search API and website (building the index first if there is none).
    Serve {
        /// Address to listen on, such as 127.0.0.1:8080.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        #[arg(long, value_name = "DIR")]
        index_dir: Option<PathBuf>,
        #[arg(long, value_name = "DIR")]
        corpus: Option<PathBuf>,
    },
    /// Search the index from the terminal.
    Search {
        /// The query (see the README for the syntax).
        query: String,
        /// Only paragraphs from this source (repeatable).
        #[arg(long)]
        source: Vec<String>,
        /// Only paragraphs with this theme (repeatable).
        #[arg(long)]
        theme: Vec<String>,
        /// A year or range: 2021, 2015..2020, 2015.., ..2020.
        #[arg(long)]
        year: Option<String>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Print the API's JSON response.
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "DIR")]
        index_dir: Option<PathBuf>,
    },
    /// Show why a paragraph got its themes.
    Explain {
        /// A paragraph id, such as 000_f985a095ab119c7d-p3.
        paragraph_id: String,
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "DIR")]
        index_dir: Option<PathBuf>,
    },
    /// Show how one file is cleaned: the paragraphs kept and the lines dropped as furniture.
    Clean {
        /// An article file inside a corpus folder.
        file: PathBuf,
        /// The corpus folder holding the file's metadata (default: the file's folder).
        #[arg(long, value_name = "DIR")]
        corpus: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Measure ranking quality against graded judgments (nDCG@5, precision@3).
    Relevance {
        /// Judgments file (see index/relevance.toml).
        #[arg(long, value_name = "FILE", default_value = "index/relevance.toml")]
        judgments: PathBuf,
        /// Show the top five hits of every query with their grades.
        #[arg(long)]
        verbose: bool,
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "DIR")]
        index_dir: Option<PathBuf>,
    },
    /// Check that a running server is ready (exit code 0) or not (1); for container health checks.
    Healthcheck {
        /// The server's base URL (default: from the `listen` setting).
        #[arg(long)]
        url: Option<String>,
    },
}

fn path_flag(flags: &mut Flags, key: &'static str, value: &Option<PathBuf>) {
    if let Some(v) = value {
        flags.push((key, toml::Value::String(v.to_string_lossy().to_string())));
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: HashMap<String, String> = std::env::vars().collect();
    let mut flags: Flags = Vec::new();
    match &cli.command {
        Command::Index {
            corpus, index_dir, ..
        } => {
            path_flag(&mut flags, "paths.corpus", corpus);
            path_flag(&mut flags, "paths.index_dir", index_dir);
        }
        Command::Serve {
            listen,
            index_dir,
            corpus,
        } => {
            path_flag(&mut flags, "paths.corpus", corpus);
            path_flag(&mut flags, "paths.index_dir", index_dir);
            if let Some(l) = listen {
                flags.push(("server.listen", toml::Value::String(l.clone())));
            }
        }
        Command::Search { index_dir, .. }
        | Command::Explain { index_dir, .. }
        | Command::Relevance { index_dir, .. } => {
            path_flag(&mut flags, "paths.index_dir", index_dir);
        }
        Command::Clean { .. } | Command::Healthcheck { .. } => {}
    }
    let serving = matches!(cli.command, Command::Serve { .. });
    commands::init_logging(&env, serving);

    let result = Loaded::load(cli.config.as_deref(), &env, &flags).and_then(|loaded| {
        for name in &loaded.unknown_env {
            tracing::warn!("{name} is not a folio setting; ignored");
        }
        match cli.command {
            Command::Index { skip_invalid, .. } => commands::index(&loaded, skip_invalid),
            Command::Serve { .. } => commands::serve(&loaded),
            Command::Search {
                query,
                source,
                theme,
                year,
                limit,
                json,
                ..
            } => commands::search(&loaded, query, source, theme, year, limit, json),
            Command::Explain {
                paragraph_id, json, ..
            } => commands::explain(&loaded, &paragraph_id, json),
            Command::Clean { file, corpus, json } => {
                commands::clean(&loaded, &file, corpus.as_deref(), json)
            }
            Command::Healthcheck { url } => commands::healthcheck(&loaded, url.as_deref()),
            Command::Relevance {
                judgments,
                verbose,
                json,
                ..
            } => commands::relevance(&loaded, &judgments, verbose, json),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
