//! [`Metrics`] as text (a table per environment) and as the Markdown of a GitHub Actions step
//! summary (the headline numbers).

use std::fmt::Write as _;

use crate::bands::Band;
use crate::metrics::{Durations, EnvMetrics, Metrics};
use crate::status_text::age;

/// A number of seconds as its two largest units.
pub fn duration(seconds: f64) -> String {
    age(seconds.round() as i64)
}

/// `1 deployment`, `2 deployments`.
pub fn deployments(n: usize) -> String {
    if n == 1 {
        "1 deployment".to_owned()
    } else {
        format!("{n} deployments")
    }
}

/// `1 day`, `90 days` (rounded).
pub fn days(days: f64) -> String {
    let n = days.round();
    if n == 1.0 {
        "1 day".to_owned()
    } else {
        format!("{n:.0} days")
    }
}

/// A rate as a percentage with one decimal (`12.5%`).
pub fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// The four headline cells of an environment: frequency, lead time, failure rate, restore.
pub fn headline(env: &EnvMetrics) -> [(String, Option<Band>); 4] {
    let f = &env.deployment_frequency;
    let cfr = &env.change_failure_rate;
    [
        (
            format!(
                "{:.2}/day, {:.1}/week ({})",
                f.per_day,
                f.per_week,
                deployments(f.count)
            ),
            Some(f.band),
        ),
        durations(&env.lead_time),
        match cfr.rate {
            Some(rate) => (
                format!("{} ({} of {})", percent(rate), cfr.failed, cfr.deployments),
                cfr.band,
            ),
            None => ("no data".to_owned(), None),
        },
        durations(&env.time_to_restore),
    ]
}

fn durations<S>(d: &Durations<S>) -> (String, Option<Band>) {
    match d.summary {
        Some(s) => (
            format!(
                "median {}, p90 {} ({})",
                duration(s.median),
                duration(s.p90),
                deployments(s.count)
            ),
            d.band,
        ),
        None => ("no data".to_owned(), None),
    }
}

/// The metric names, in [`headline`]'s order.
pub const METRIC_NAMES: [&str; 4] = [
    "deployment frequency",
    "lead time for changes",
    "change failure rate",
    "time to restore",
];

/// The text report.
pub fn render(metrics: &Metrics) -> String {
    let mut out = format!(
        "Delivery metrics from {} to {} ({}); lead time from the {}\n",
        ferry_config::human_time(&metrics.since),
        ferry_config::human_time(&metrics.now),
        days(metrics.days),
        match metrics.lead_time_from {
            "application-commit" => "application commit",
            _ => "first environment",
        }
    );
    for env in &metrics.environments {
        let _ = writeln!(out, "\n{}", env.env);
        for (name, (value, band)) in METRIC_NAMES.iter().zip(headline(env)) {
            let band = band.map(|b| format!("  [{b}]")).unwrap_or_default();
            let _ = writeln!(out, "  {name:<22} {value}{band}");
        }
        for f in &env.change_failure_rate.failures {
            let evidence = match f.by {
                "rollback" => format!("rolled back by {}", crate::history::short(&f.evidence)),
                _ => format!("held: {}", f.evidence),
            };
            let _ = writeln!(
                out,
                "  failed {} at {}: {evidence}",
                crate::history::short(&f.commit),
                ferry_config::human_time(&f.deployed_at)
            );
        }
        for commit in &env.change_failure_rate.unrestored {
            let _ = writeln!(out, "  not restored yet: {}", crate::history::short(commit));
        }
    }
    out
}

/// The step summary: a Markdown table of the headline numbers.
pub fn summary_markdown(metrics: &Metrics) -> String {
    let mut out = format!(
        "### Delivery metrics ({} to {})\n\n| environment | {} |\n|---|---|---|---|---|\n",
        days(metrics.days),
        ferry_config::human_time(&metrics.now),
        METRIC_NAMES.join(" | ")
    );
    for env in &metrics.environments {
        let cells: Vec<String> = headline(env)
            .into_iter()
            .map(|(value, band)| match band {
                Some(b) => format!("{value} **{b}**"),
                None => value,
            })
            .collect();
        let _ = writeln!(out, "| {} | {} |", env.env, cells.join(" | "));
    }
    out
}
