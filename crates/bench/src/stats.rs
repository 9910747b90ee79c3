//! Latency samples and their percentiles.

use serde::Serialize;

/// Percentiles of a set of latencies, in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Latency {
    /// From durations in microseconds.
    pub fn of_micros(micros: impl IntoIterator<Item = u64>) -> Latency {
        let mut v: Vec<f64> = micros.into_iter().map(|u| u as f64 / 1000.0).collect();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return Latency::default();
        }
        Latency {
            samples: v.len(),
            mean_ms: v.iter().sum::<f64>() / v.len() as f64,
            p50_ms: percentile(&v, 50.0),
            p95_ms: percentile(&v, 95.0),
            p99_ms: percentile(&v, 99.0),
            max_ms: *v.last().expect("non-empty"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let l = Latency::of_micros((1..=100).map(|i| i * 1000));
        assert_eq!(l.p50_ms, 50.0);
        assert_eq!(l.p95_ms, 95.0);
        assert_eq!(l.p99_ms, 99.0);
        assert_eq!(l.max_ms, 100.0);
        assert_eq!(Latency::of_micros([]).samples, 0);
    }
}
