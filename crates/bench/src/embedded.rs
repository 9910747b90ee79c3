//! `folio index` and `folio serve` inside the benchmark's own binary, for runs without a `folio`
//! binary (the CI smoke test, which builds only this crate's binaries). They make the library
//! calls the `folio` commands make with the shipped settings, in a child process of their own, so
//! every measure (peak memory, time to ready, serving memory) is still taken.

use std::path::Path;
use std::sync::Arc;

use folio_search::{IndexHandle, IndexStore};

/// `folio index --corpus CORPUS --index-dir INDEX_DIR`.
pub fn index(corpus: &Path, index_dir: &Path) -> anyhow::Result<()> {
    let corpus = folio_corpus::Corpus::open(corpus)?;
    let pipeline = crate::settings::pipeline()?;
    let store = IndexStore::new(index_dir);
    let summary = folio_indexer::build(
        &corpus,
        &pipeline,
        &store,
        &crate::settings::index_config()?,
        "folio-bench embedded",
        false,
        &folio_indexer::Silent,
    )?;
    println!(
        "Indexed {} documents, {} paragraphs in {:.2} s",
        summary.build.info.documents,
        summary.build.info.paragraphs,
        summary.build.info.duration_ms as f64 / 1000.0
    );
    Ok(())
}

/// `folio serve --listen LISTEN --index-dir INDEX_DIR` on an existing index.
pub fn serve(index_dir: &Path, listen: &str) -> anyhow::Result<()> {
    let mut config = crate::settings::server_config()?;
    config.listen = listen.to_string();
    let addr = config.validate().map_err(anyhow::Error::msg)?;
    let handle = Arc::new(IndexHandle::new(
        IndexStore::new(index_dir),
        crate::settings::engine_options()?,
    ));
    handle.reload()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        eprintln!("listening on http://{}", listener.local_addr()?);
        if config.reload_secs > 0 {
            // As `folio serve`: look for a newer build now and then.
            let handle = handle.clone();
            let every = std::time::Duration::from_secs(config.reload_secs);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    let h = handle.clone();
                    let _ = tokio::task::spawn_blocking(move || h.reload()).await;
                }
            });
        }
        let state = folio_server::AppState::new(handle, config);
        folio_server::serve(listener, state, folio_server::shutdown_signal()).await?;
        anyhow::Ok(())
    })
}
