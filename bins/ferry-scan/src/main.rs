//! `ferry-scan`: gate Trivy reports (vulnerabilities, configuration checks, secrets) by
//! severity, with ignores that expire; write SARIF for GitHub code scanning and a markdown
//! summary for the job page.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use ferry_cli::{ErrorKind, Format, GithubOutput};
use ferry_scan::ignore::DEFAULT_IGNORE_FILE;
use ferry_scan::report::ReportError;
use ferry_scan::trivy::{Target, TrivyError};
use ferry_scan::{IgnoreError, IgnoreFile, Judged, Kind, Policy, Report, Verdict};
use jiff::civil::Date;
use serde_json::json;

/// Gate Trivy reports: fail on the severities you choose, with ignores that expire; write
/// SARIF for GitHub code scanning and a markdown summary.
///
/// `gate` reads a report Trivy wrote (`trivy image --format json …`); `image` and `config`
/// run Trivy themselves and gate its report the same way. In GitHub Actions the summary is
/// appended to GITHUB_STEP_SUMMARY and the outputs result, failing and sarif are written to
/// GITHUB_OUTPUT.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    long_about,
    after_help = "Exit codes: 0 the gate passed; 1 the gate failed (the failing findings are \
                  listed); 2 usage error or bad input (a report or ignore file that does not \
                  parse); 3 a file cannot be read or written, or Trivy is missing or failed."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Gate a Trivy JSON report.
    Gate {
        /// The report (`trivy … --format json --output FILE`).
        #[arg(long, value_name = "FILE")]
        report: PathBuf,
        #[command(flatten)]
        gate: GateArgs,
    },
    /// Run `trivy image` on an image (a reference, or an archive with --input) and gate its
    /// report.
    Image {
        /// The image reference.
        #[arg(
            value_name = "REF",
            required_unless_present = "input",
            conflicts_with = "input"
        )]
        reference: Option<String>,
        /// An image archive (`docker save`, OCI layout) instead of a reference.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        #[command(flatten)]
        trivy: TrivyArgs,
        #[command(flatten)]
        gate: GateArgs,
    },
    /// Run `trivy config` on a directory of configuration files and gate its report.
    Config {
        /// The directory (Kubernetes manifests, Dockerfiles, Terraform, …).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        #[command(flatten)]
        trivy: TrivyArgs,
        #[command(flatten)]
        gate: GateArgs,
    },
}

#[derive(Debug, Args)]
struct TrivyArgs {
    /// The Trivy program.
    #[arg(long, value_name = "PATH", default_value = "trivy")]
    trivy: PathBuf,
    /// More arguments for Trivy, after `--` (e.g. `-- --scanners misconfig --skip-check-update`).
    #[arg(last = true, value_name = "TRIVY_ARGS")]
    trivy_args: Vec<OsString>,
}

#[derive(Debug, Args)]
struct GateArgs {
    /// The severities that fail the gate, comma-separated.
    #[arg(long, value_name = "SEVERITIES", default_value = "CRITICAL")]
    fail_on: String,
    /// Only vulnerabilities with a fix fail the gate (configuration checks and secrets always
    /// can).
    #[arg(long)]
    only_fixed: bool,
    /// The ignore file (default: .ferry/scan-ignore.yaml when it exists).
    #[arg(long, value_name = "FILE")]
    ignore: Option<PathBuf>,
    /// Write SARIF 2.1.0 for GitHub code scanning to this file.
    #[arg(long, value_name = "FILE")]
    sarif: Option<PathBuf>,
    /// Print the markdown summary instead of the text verdict.
    #[arg(long)]
    summary: bool,
    /// Judge the ignores' expiry on this day (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE")]
    today: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// An error with its kind (which fixes the exit code).
struct Failure {
    kind: ErrorKind,
    error: anyhow::Error,
}

fn fail(kind: ErrorKind, error: impl Into<anyhow::Error>) -> Failure {
    Failure {
        kind,
        error: error.into(),
    }
}

fn main() -> ExitCode {
    let cli: Cli = ferry_cli::start();
    let json = match &cli.command {
        Command::Gate { gate, .. } | Command::Image { gate, .. } | Command::Config { gate, .. } => {
            gate.format == Format::Json
        }
    };
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(f) => ferry_cli::report::fail("ferry-scan: error", json, f.kind, f.error.as_ref()),
    }
}

/// Runs the command; `Ok(passed)`.
fn run(cli: Cli) -> Result<bool, Failure> {
    match cli.command {
        Command::Gate { report, gate } => {
            let report = ferry_scan::read_report(&report).map_err(report_failure)?;
            gate_report(&report, &gate)
        }
        Command::Image {
            reference,
            input,
            trivy,
            gate,
        } => {
            let policy = policy(&gate)?;
            let target = match (reference, input) {
                (_, Some(archive)) => {
                    if !archive.is_file() {
                        return Err(fail(
                            ErrorKind::Usage,
                            anyhow::anyhow!("{} is not a file", archive.display()),
                        ));
                    }
                    Target::ImageArchive(archive)
                }
                (Some(reference), None) => Target::Image(reference),
                (None, None) => unreachable!("clap requires REF or --input"),
            };
            let report = scan(&trivy, &target)?;
            finish(&report, &gate, policy)
        }
        Command::Config { dir, trivy, gate } => {
            let policy = policy(&gate)?;
            if !dir.is_dir() {
                return Err(fail(
                    ErrorKind::Usage,
                    anyhow::anyhow!("{} is not a directory", dir.display()),
                ));
            }
            let report = scan(&trivy, &Target::Config(dir))?;
            finish(&report, &gate, policy)
        }
    }
}

fn report_failure(e: ReportError) -> Failure {
    let kind = match e {
        ReportError::Io { .. } => ErrorKind::Io,
        ReportError::Refused { .. } | ReportError::Invalid { .. } | ReportError::Schema { .. } => {
            ErrorKind::BadInput
        }
    };
    fail(kind, e)
}

fn scan(args: &TrivyArgs, target: &Target) -> Result<Report, Failure> {
    ferry_scan::trivy::scan(&args.trivy, target, &args.trivy_args).map_err(|e| {
        let kind = match e {
            TrivyError::Report(_) => ErrorKind::BadInput,
            TrivyError::NotInstalled { .. } | TrivyError::Io { .. } | TrivyError::Failed { .. } => {
                ErrorKind::Io
            }
        };
        fail(kind, e)
    })
}

fn policy(gate: &GateArgs) -> Result<Policy, Failure> {
    let fail_on = ferry_scan::parse_severities(&gate.fail_on)
        .map_err(|e| fail(ErrorKind::Usage, anyhow::anyhow!("--fail-on: {e}")))?;
    Ok(Policy {
        fail_on,
        only_fixed: gate.only_fixed,
    })
}

fn gate_report(report: &Report, gate: &GateArgs) -> Result<bool, Failure> {
    let policy = policy(gate)?;
    finish(report, gate, policy)
}

/// The ignore file named, else the default one when it exists.
fn ignores(gate: &GateArgs) -> Result<IgnoreFile, Failure> {
    let path = match &gate.ignore {
        Some(path) => path.clone(),
        None => {
            let default = PathBuf::from(DEFAULT_IGNORE_FILE);
            if !default.exists() {
                return Ok(IgnoreFile::default());
            }
            default
        }
    };
    IgnoreFile::read(&path).map_err(|e| {
        let kind = match &e {
            IgnoreError::Read(ReportError::Io { .. }) => ErrorKind::Io,
            _ => ErrorKind::BadInput,
        };
        fail(kind, e)
    })
}

/// Judges the report, writes SARIF, the summary and the outputs, prints the verdict.
fn finish(report: &Report, gate: &GateArgs, policy: Policy) -> Result<bool, Failure> {
    let ignore = ignores(gate)?;
    let today = gate.today.unwrap_or_else(|| {
        jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
    });
    let verdict = ferry_scan::evaluate(report, &policy, &ignore, today);
    if let Some(path) = &gate.sarif {
        let sarif = ferry_scan::sarif::to_sarif(report, &verdict);
        let text = serde_json::to_string_pretty(&sarif).expect("SARIF is JSON");
        write_atomically(path, &text)
            .with_context(|| format!("cannot write the SARIF file {}", path.display()))
            .map_err(|e| fail(ErrorKind::Io, e))?;
    }
    let markdown = ferry_scan::summary::to_markdown(&verdict);
    ferry_cli::step_summary::append(&markdown).map_err(|e| fail(ErrorKind::Io, e))?;
    for line in notes(&verdict) {
        eprintln!("ferry-scan: {line}");
    }
    let printed = match (gate.format, gate.summary) {
        (Format::Json, _) => {
            let mut doc = serde_json::to_value(&verdict).expect("a verdict is JSON");
            doc["counts"] = verdict
                .counts()
                .into_iter()
                .map(|(s, c)| (s.name().to_string(), json!(c)))
                .collect::<serde_json::Map<_, _>>()
                .into();
            doc["failing"] = verdict
                .failing()
                .map(|j| serde_json::to_value(j).expect("a finding is JSON"))
                .collect::<Vec<_>>()
                .into();
            doc["sarif"] = json!(gate.sarif.as_ref().map(|p| p.display().to_string()));
            format!("{}\n", serde_json::to_string_pretty(&doc).expect("JSON"))
        }
        (Format::Text, true) => markdown,
        (Format::Text, false) => text_verdict(&verdict),
    };
    std::io::stdout()
        .lock()
        .write_all(printed.as_bytes())
        .context("cannot write to stdout")
        .map_err(|e| fail(ErrorKind::Io, e))?;
    let outputs = [
        (
            "result",
            if verdict.passed { "passed" } else { "failed" }.to_string(),
        ),
        ("failing", verdict.failing().count().to_string()),
        (
            "sarif",
            gate.sarif
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        ),
    ];
    GithubOutput::from_env()
        .write(&outputs)
        .map_err(|e| fail(ErrorKind::Io, e))?;
    Ok(verdict.passed)
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".ferry-tmp-{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Notes for stderr: expired ignores, ignores expiring soon, ignores that matched nothing.
fn notes(verdict: &Verdict) -> Vec<String> {
    let mut out = Vec::new();
    let entry = |i: &usize| verdict.ignores.get(*i);
    for e in verdict.expired.iter().filter_map(entry) {
        out.push(format!(
            "warning: the ignore of {} expired on {}: it no longer ignores",
            e.describe(),
            e.expires
        ));
    }
    for e in verdict.expiring_soon.iter().filter_map(entry) {
        out.push(format!(
            "note: the ignore of {} expires on {}",
            e.describe(),
            e.expires
        ));
    }
    for e in verdict.unused.iter().filter_map(entry) {
        out.push(format!(
            "note: the ignore of {} matches no finding",
            e.describe()
        ));
    }
    out
}

/// The text verdict: one line of outcome and counts, then each failing finding.
fn text_verdict(verdict: &Verdict) -> String {
    let failing: Vec<&Judged> = verdict.failing().collect();
    let fail_on: Vec<&str> = verdict.policy.fail_on.iter().map(|s| s.name()).collect();
    let mut out = format!(
        "{}: {} of {} finding{} fail{} the gate (fails on {}{})\n",
        if verdict.passed { "passed" } else { "FAILED" },
        failing.len(),
        verdict.findings.len(),
        if verdict.findings.len() == 1 { "" } else { "s" },
        if failing.len() == 1 { "s" } else { "" },
        fail_on.join(","),
        if verdict.policy.only_fixed {
            ", only fixed"
        } else {
            ""
        }
    );
    let counts: Vec<String> = verdict
        .counts()
        .into_iter()
        .map(|(s, c)| {
            if c.ignored > 0 {
                format!("{s} {} ({} ignored)", c.found, c.ignored)
            } else {
                format!("{s} {}", c.found)
            }
        })
        .collect();
    out.push_str(&format!("  {}\n", counts.join(", ")));
    for j in failing {
        out.push_str(&format!("{}\n", finding_line(verdict, j)));
    }
    out
}

/// `CRITICAL CVE-… musl 1.1.20-r4 (fixed in 1.1.20-r5) in TARGET`, or for a check or secret
/// `HIGH KSV-0014 in deploy.yaml:20: TITLE`.
fn finding_line(verdict: &Verdict, j: &Judged) -> String {
    let f = &j.finding;
    let mut line = match f.kind {
        Kind::Vulnerability => format!(
            "{} {} {} {} ({}) in {}",
            f.severity,
            f.id,
            f.package.as_deref().unwrap_or("-"),
            f.installed.as_deref().unwrap_or("-"),
            f.fixed
                .as_deref()
                .map_or_else(|| "no fix".to_string(), |v| format!("fixed in {v}")),
            f.location()
        ),
        Kind::Misconfiguration | Kind::Secret => {
            let place = match f.start_line() {
                Some(l) => format!("{}:{l}", f.location()),
                None => f.location().to_string(),
            };
            format!("{} {} in {place}: {}", f.severity, f.id, f.title)
        }
    };
    if let Some(e) = j.expired_ignore.and_then(|i| verdict.ignores.get(i)) {
        line.push_str(&format!(" (its ignore expired on {})", e.expires));
    }
    format!("  {line}")
}
