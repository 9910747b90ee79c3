//! Relevance evaluation: how well the ranking of a set of queries matches graded judgments.
//!
//! Judgments are a TOML file of `[[query]]` tables, each with `q` and `judged`, a map from
//! paragraph id to grade (3 answers the query directly, 2 relevant, 1 related; unlisted 0).
//! Scores are nDCG@5 (gain `2^grade - 1`, log2 discount) and precision@3 (grade 2 or more counts).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::Result;
use crate::model::SearchRequest;

/// A judgments file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Judgments {
    pub query: Vec<JudgedQuery>,
}

/// One query and its graded paragraphs.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JudgedQuery {
    pub q: String,
    pub judged: BTreeMap<String, u8>,
}

/// Scores of one query.
#[derive(Clone, Debug, Serialize)]
pub struct QueryScore {
    pub q: String,
    pub ndcg5: f64,
    pub p3: f64,
    /// The best precision@3 possible with these judgments.
    pub ideal_p3: f64,
    /// The top five paragraphs and their grades.
    pub top: Vec<(String, u8)>,
    pub relaxed: bool,
}

/// Scores of a whole judgments file.
#[derive(Clone, Debug, Serialize)]
pub struct Evaluation {
    pub queries: Vec<QueryScore>,
    pub mean_ndcg5: f64,
    pub mean_p3: f64,
    pub mean_ideal_p3: f64,
}

/// Normalized discounted cumulative gain of the first `k` of `ranked`.
pub fn ndcg_at(ranked: &[u8], judged: &BTreeMap<String, u8>, k: usize) -> f64 {
    let dcg = |grades: &mut dyn Iterator<Item = u8>| -> f64 {
        grades
            .take(k)
            .enumerate()
            .map(|(i, g)| (2f64.powi(g as i32) - 1.0) / ((i + 2) as f64).log2())
            .sum()
    };
    let mut ideal: Vec<u8> = judged.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg = dcg(&mut ideal.into_iter());
    if idcg == 0.0 {
        return 0.0;
    }
    dcg(&mut ranked.iter().copied()) / idcg
}

/// Share of the first `k` of `ranked` with grade 2 or more.
pub fn precision_at(ranked: &[u8], k: usize) -> f64 {
    ranked.iter().take(k).filter(|&&g| g >= 2).count() as f64 / k as f64
}

/// Runs every query of `judgments` on `engine`.
pub fn evaluate(engine: &Engine, judgments: &Judgments) -> Result<Evaluation> {
    let mut queries = Vec::new();
    for jq in &judgments.query {
        let response = engine.search(&SearchRequest {
            q: jq.q.clone(),
            limit: Some(10),
            facets: Some(Vec::new()),
            ..SearchRequest::default()
        })?;
        let grades: Vec<u8> = response
            .hits
            .iter()
            .map(|h| jq.judged.get(&h.id).copied().unwrap_or(0))
            .collect();
        let mut ideal: Vec<u8> = jq.judged.values().copied().collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        queries.push(QueryScore {
            q: jq.q.clone(),
            ndcg5: ndcg_at(&grades, &jq.judged, 5),
            p3: precision_at(&grades, 3),
            ideal_p3: precision_at(&ideal, 3),
            top: response
                .hits
                .iter()
                .take(5)
                .zip(&grades)
                .map(|(h, g)| (h.id.clone(), *g))
                .collect(),
            relaxed: response.relaxed,
        });
    }
    let n = queries.len().max(1) as f64;
    Ok(Evaluation {
        mean_ndcg5: queries.iter().map(|q| q.ndcg5).sum::<f64>() / n,
        mean_p3: queries.iter().map(|q| q.p3).sum::<f64>() / n,
        mean_ideal_p3: queries.iter().map(|q| q.ideal_p3).sum::<f64>() / n,
        queries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_reversed_rankings() {
        let judged: BTreeMap<String, u8> = [("a", 3), ("b", 2), ("c", 1)]
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        assert!((ndcg_at(&[3, 2, 1], &judged, 5) - 1.0).abs() < 1e-9);
        let reversed = ndcg_at(&[1, 2, 3], &judged, 5);
        assert!(reversed < 1.0 && reversed > 0.5, "{reversed}");
        assert_eq!(ndcg_at(&[0, 0, 0], &judged, 5), 0.0);
        assert_eq!(precision_at(&[3, 0, 2], 3), 2.0 / 3.0);
        assert_eq!(precision_at(&[1, 1], 3), 0.0);
    }
}
