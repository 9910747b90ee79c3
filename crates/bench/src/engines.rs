//! Running the query mix in-process on each engine, with warmup and a fixed number of passes.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::queries::{Class, Query};
use crate::stats::Latency;

/// What one search found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub total: u64,
    pub hits: usize,
}

/// The samples of one engine on the mix.
#[derive(Debug, Default)]
pub struct Run {
    /// Measured passes over the mix (after one warmup pass).
    pub passes: usize,
    /// (query index, microseconds) of every measured search.
    pub samples: Vec<(usize, u64)>,
    /// What each query found (from the warmup pass); None where it failed.
    pub outcomes: Vec<Option<Outcome>>,
    pub errors: Vec<String>,
}

/// Figures of a run: all queries, the ones asking for facets, and per kind of query.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub passes: usize,
    pub errors: usize,
    pub all: Latency,
    pub with_facets: Latency,
    pub by_class: Vec<(String, Latency)>,
    pub filtered: Latency,
}

impl Run {
    pub fn summary(&self, queries: &[Query]) -> Summary {
        let pick = |f: &dyn Fn(&Query) -> bool| {
            Latency::of_micros(
                self.samples
                    .iter()
                    .filter(|(i, _)| f(&queries[*i]))
                    .map(|(_, us)| *us),
            )
        };
        Summary {
            passes: self.passes,
            errors: self.errors.len(),
            all: pick(&|_| true),
            with_facets: pick(&|q| q.facets),
            filtered: pick(&|q| q.filtered()),
            by_class: Class::ALL
                .iter()
                .map(|c| (c.name().to_string(), pick(&|q| q.class == *c)))
                .filter(|(_, l)| l.samples > 0)
                .collect(),
        }
    }
}

/// Runs the mix once to warm up (recording outcomes), then `passes` more times, fewer if a pass
/// takes so long that they would not fit in `budget` (at least one).
pub fn measure(
    queries: &[Query],
    passes: usize,
    budget: Duration,
    mut search: impl FnMut(&Query) -> anyhow::Result<Outcome>,
) -> Run {
    let mut run = Run {
        outcomes: vec![None; queries.len()],
        ..Run::default()
    };
    let started = Instant::now();
    for (i, q) in queries.iter().enumerate() {
        match search(q) {
            Ok(o) => run.outcomes[i] = Some(o),
            Err(e) => run.errors.push(format!("{}: {e:#}", q.folio_q())),
        }
    }
    let warm = started.elapsed().as_secs_f64().max(1e-6);
    run.passes = passes.min(((budget.as_secs_f64() / warm) as usize).max(1));
    for _ in 0..run.passes {
        for (i, q) in queries.iter().enumerate() {
            let t = Instant::now();
            let r = search(q);
            let us = t.elapsed().as_micros() as u64;
            match r {
                Ok(o) => {
                    std::hint::black_box(o);
                    run.samples.push((i, us));
                }
                Err(e) => run.errors.push(format!("{}: {e:#}", q.folio_q())),
            }
        }
    }
    run
}

/// folio's engine in-process: the search crate, as `folio serve` opens it.
pub fn folio_search(
    engine: &folio_search::Engine,
) -> impl FnMut(&Query) -> anyhow::Result<Outcome> + '_ {
    move |q| {
        let r = engine.search(&q.request())?;
        Ok(Outcome {
            total: r.total,
            hits: r.hits.len(),
        })
    }
}
