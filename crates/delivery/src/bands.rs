//! The DORA performance bands of each metric.
//!
//! Thresholds from the software delivery performance clusters of DORA's *Accelerate State of
//! DevOps Report 2023* (Google Cloud, dora.dev); the report gives one typical value per
//! cluster for the change failure rate, used here as the upper bound of its band:
//!
//! | metric | elite | high | medium | low |
//! |---|---|---|---|---|
//! | deployment frequency | at least once a day (on demand) | at least once a week | at least once a month | less often |
//! | lead time for changes (median) | under a day | under a week | under a month | longer |
//! | change failure rate | at most 5 % | at most 10 % | at most 15 % | more |
//! | time to restore (median) | under an hour | under a day | under a week | longer |

use serde::Serialize;

/// A DORA performance band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Band {
    /// The best cluster.
    Elite,
    /// The second.
    High,
    /// The third.
    Medium,
    /// The last.
    Low,
}

impl Band {
    /// `elite`, `high`, `medium` or `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Elite => "elite",
            Band::High => "high",
            Band::Medium => "medium",
            Band::Low => "low",
        }
    }
}

impl std::fmt::Display for Band {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const HOUR: f64 = 3600.0;
const DAY: f64 = 24.0 * HOUR;
const WEEK: f64 = 7.0 * DAY;
/// A month as DORA's bands mean it: 30 days.
const MONTH: f64 = 30.0 * DAY;

/// The band of a deployment frequency in deployments per day.
pub fn deployment_frequency(per_day: f64) -> Band {
    if per_day >= 1.0 {
        Band::Elite
    } else if per_day >= 1.0 / 7.0 {
        Band::High
    } else if per_day >= 1.0 / 30.0 {
        Band::Medium
    } else {
        Band::Low
    }
}

/// The band of a lead time for changes (median, seconds).
pub fn lead_time(seconds: f64) -> Band {
    below(seconds, [DAY, WEEK, MONTH])
}

/// The band of a time to restore (median, seconds).
pub fn time_to_restore(seconds: f64) -> Band {
    below(seconds, [HOUR, DAY, WEEK])
}

/// The band of a change failure rate (0 to 1).
pub fn change_failure_rate(rate: f64) -> Band {
    if rate <= 0.05 {
        Band::Elite
    } else if rate <= 0.10 {
        Band::High
    } else if rate <= 0.15 {
        Band::Medium
    } else {
        Band::Low
    }
}

fn below(value: f64, [elite, high, medium]: [f64; 3]) -> Band {
    if value < elite {
        Band::Elite
    } else if value < high {
        Band::High
    } else if value < medium {
        Band::Medium
    } else {
        Band::Low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        assert_eq!(deployment_frequency(1.0), Band::Elite);
        assert_eq!(deployment_frequency(0.5), Band::High);
        assert_eq!(deployment_frequency(1.0 / 7.0), Band::High);
        assert_eq!(deployment_frequency(0.1), Band::Medium);
        assert_eq!(deployment_frequency(0.01), Band::Low);
        assert_eq!(lead_time(DAY - 1.0), Band::Elite);
        assert_eq!(lead_time(DAY), Band::High);
        assert_eq!(lead_time(2.0 * MONTH), Band::Low);
        assert_eq!(time_to_restore(59.0 * 60.0), Band::Elite);
        assert_eq!(time_to_restore(2.0 * DAY), Band::Medium);
        assert_eq!(change_failure_rate(0.05), Band::Elite);
        assert_eq!(change_failure_rate(0.2), Band::Low);
    }
}
