//! The HTML report: well-formed (an XML parser reads it), self-contained (no URL, no script,
//! no external font or stylesheet), with a chart per metric and a band per metric; and, in an
//! opt-in test, looked at as a picture through headless Chromium.

use std::collections::BTreeMap;

use ferry_delivery::metrics::{Metrics, MetricsRequest, metrics};
use ferry_delivery::{DeploymentFact, EnvHistory, History};

use crate::support::{HOUR, T0, at};

/// A history of two environments over four weeks, with failures and restores.
fn report() -> Metrics {
    let image = |tag: u32| {
        BTreeMap::from([(
            "api/api".to_owned(),
            format!("registry.example.com/acme/api:1.{tag}.0"),
        )])
    };
    let env = |name: &str, offset: i64, upstream: Option<&str>| {
        let mut deployments = Vec::new();
        for i in 0..20u32 {
            let time = T0 + i64::from(i) * 30 * HOUR + offset;
            let failed = i % 6 == 5 && upstream.is_some();
            deployments.push(DeploymentFact {
                commit: format!("{name}{i:0>width$}", width = 40 - name.len()),
                time: at(time),
                summary: format!("deploy 1.{i}.0 <&> \"quoted\""),
                images: image(i),
                changed: vec!["api/api".to_owned()],
                error: None,
                rollback_of: None,
                verified_at: (!failed).then(|| at(time + 600)),
            });
        }
        EnvHistory {
            name: name.into(),
            upstream: upstream.map(str::to_owned),
            deployments,
            ..EnvHistory::default()
        }
    };
    let mut history = History {
        base: "0".repeat(40),
        environments: vec![env("dev", 0, None), env("prod", 5 * HOUR, Some("dev"))],
        ..History::default()
    };
    // Every failed prod deployment is held with a reason that needs escaping.
    history.holds = history.environments[1]
        .deployments
        .iter()
        .filter(|d| d.verified_at.is_none())
        .map(|d| {
            ferry_gitops::gates::Hold::new(
                "prod",
                d.images.clone(),
                "probe <checkout> failed & 5xx",
                d.time
                    .checked_add(jiff::SignedDuration::from_mins(3))
                    .expect("a time"),
            )
        })
        .collect();
    metrics(
        &history,
        &MetricsRequest {
            since: at(T0 - 24 * HOUR),
            now: at(T0 + 27 * 24 * HOUR),
            only: None,
            revisions: None,
        },
    )
}

#[test]
fn the_report_is_well_formed_and_self_contained() {
    let html = ferry_delivery::html::render(&report(), "Delivery metrics <acme>");
    assert!(html.starts_with("<!DOCTYPE html>"));
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .expect("the report is well-formed XML");
    let lower = html.to_ascii_lowercase();
    for needle in [
        "http:", "https:", "//", "<script", "@import", "url(", "<link", "src=",
    ] {
        // `//` only as part of a URL: none may appear at all.
        assert!(!lower.contains(needle), "the report contains {needle:?}");
    }
    let count = |tag: &str| doc.descendants().filter(|n| n.has_tag_name(tag)).count();
    assert_eq!(count("svg"), 8, "four charts per environment");
    assert_eq!(count("table"), 2, "a table per environment");
    let bands: Vec<String> = doc
        .descendants()
        .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("band ")))
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        bands.len(),
        8,
        "a band per metric and environment: {bands:?}"
    );
    assert!(html.contains("probe &lt;checkout&gt; failed &amp; 5xx"));
    insta::assert_snapshot!("report_html", html);
}

/// Renders the report with headless Chromium (Debian's `chromium`) to a PNG outside the
/// repository and checks that a picture came out. Run with `cargo test -p ferry-delivery --
/// --ignored`; look at the file it names.
#[test]
#[ignore = "needs chromium; renders the report to a PNG to look at"]
fn the_report_renders_in_chromium() {
    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|c| {
        std::process::Command::new(c)
            .arg("--version")
            .output()
            .is_ok()
    }) else {
        panic!("chromium is not installed (apt-get install chromium)");
    };
    let dir = std::env::temp_dir().join("ferry-metrics-report");
    std::fs::create_dir_all(&dir).expect("a directory for the report");
    let html = dir.join("report.html");
    let png = dir.join("report.png");
    std::fs::write(
        &html,
        ferry_delivery::html::render(&report(), "Delivery metrics"),
    )
    .expect("the report writes");
    let _ = std::fs::remove_file(&png);
    let status = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,2400",
            &format!("--screenshot={}", png.display()),
        ])
        .arg(&html)
        .status()
        .expect("chromium runs");
    assert!(status.success(), "chromium failed: {status}");
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
    assert!(
        bytes.len() > 20_000,
        "a picture, not a blank page: {} bytes",
        bytes.len()
    );
    println!("the report as a picture: {}", png.display());
}
