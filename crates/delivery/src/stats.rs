//! Median and 90th percentile, by the nearest-rank method: the value at rank
//! `ceil(p/100 × n)` of the sorted samples (1-based), so every percentile is a value that
//! occurred, with the deployment behind it.

use serde::Serialize;

/// The median and 90th percentile of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// How many samples.
    pub count: usize,
    /// The median (50th percentile, nearest rank).
    pub median: f64,
    /// The 90th percentile (nearest rank).
    pub p90: f64,
}

/// The `p`th percentile (0 < p ≤ 100) of `sorted` (ascending) by nearest rank; `None` when
/// there is no sample.
pub fn percentile(sorted: &[f64], p: u32) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // ceil(p × n / 100) in integers.
    let rank = (p as usize * n).div_ceil(100).clamp(1, n);
    Some(sorted[rank - 1])
}

/// The summary of `samples` (any order); `None` when empty.
pub fn summarize(samples: &[f64]) -> Option<Summary> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(Summary {
        count: sorted.len(),
        median: percentile(&sorted, 50)?,
        p90: percentile(&sorted, 90)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let s: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&s, 50), Some(5.0));
        assert_eq!(percentile(&s, 90), Some(9.0));
        assert_eq!(percentile(&[7.0], 90), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0], 50), Some(1.0));
        assert_eq!(percentile(&[], 50), None);
        let s: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(percentile(&s, 90), Some(10.0));
    }
}
