//! `ferry-scan`: gate Trivy reports (vulnerabilities, configuration checks, secrets) by
//! severity, with ignores that expire; write SARIF for GitHub code scanning and a markdown
//! summary for the job page.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ferry_cli::{Context as _, Error, Format, GithubOutput, Result};
use ferry_scan::ignore::DEFAULT_IGNORE_FILE;
use ferry_scan::trivy::Target;
use ferry_scan::{IgnoreFile, Policy, Report, text};
use jiff::civil::Date;

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

/// Runs `ferry-scan` with this command line (the program name first): the binary's `main`,
/// and `ferry scan` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_from(args, "ferry-scan: error", run)
}

/// Runs the command; exit 0 when the gate passed, 1 when it failed.
fn run(cli: Cli) -> Result<u8> {
    let passed = match cli.command {
        Command::Gate { report, gate } => {
            let report = ferry_scan::read_report(&report)?;
            let policy = policy(&gate)?;
            finish(&report, &gate, policy)?
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
                        return Err(Error::usage(format!("{} is not a file", archive.display())));
                    }
                    Target::ImageArchive(archive)
                }
                (Some(reference), None) => Target::Image(reference),
                (None, None) => unreachable!("clap requires REF or --input"),
            };
            let report = ferry_scan::trivy::scan(&trivy.trivy, &target, &trivy.trivy_args)?;
            finish(&report, &gate, policy)?
        }
        Command::Config { dir, trivy, gate } => {
            let policy = policy(&gate)?;
            if !dir.is_dir() {
                return Err(Error::usage(format!(
                    "{} is not a directory",
                    dir.display()
                )));
            }
            let target = Target::Config(dir);
            let report = ferry_scan::trivy::scan(&trivy.trivy, &target, &trivy.trivy_args)?;
            finish(&report, &gate, policy)?
        }
    };
    Ok(if passed { 0 } else { 1 })
}

fn policy(gate: &GateArgs) -> Result<Policy> {
    let fail_on = ferry_scan::parse_severities(&gate.fail_on).context("--fail-on")?;
    Ok(Policy {
        fail_on,
        only_fixed: gate.only_fixed,
    })
}

/// The ignore file named, else the default one when it exists.
fn ignores(gate: &GateArgs) -> Result<IgnoreFile> {
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
    Ok(IgnoreFile::read(&path)?)
}

/// Judges the report, writes SARIF, the summary and the outputs, prints the verdict; whether
/// the gate passed.
fn finish(report: &Report, gate: &GateArgs, policy: Policy) -> Result<bool> {
    let ignore = ignores(gate)?;
    let today = gate.today.unwrap_or_else(|| {
        jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
    });
    let verdict = ferry_scan::evaluate(report, &policy, &ignore, today);
    if let Some(path) = &gate.sarif {
        ferry_scan::sarif::write_file(path, report, &verdict)
            .with_context(|| format!("cannot write the SARIF file {}", path.display()))?;
    }
    let markdown = ferry_scan::summary::to_markdown(&verdict);
    ferry_cli::step_summary::append(&markdown)?;
    for line in text::notes(&verdict) {
        eprintln!("ferry-scan: {line}");
    }
    let printed = match (gate.format, gate.summary) {
        (Format::Json, _) => {
            let doc = text::json_verdict(&verdict, gate.sarif.as_deref());
            format!("{}\n", serde_json::to_string_pretty(&doc).expect("JSON"))
        }
        (Format::Text, true) => markdown,
        (Format::Text, false) => text::verdict(&verdict),
    };
    std::io::stdout()
        .lock()
        .write_all(printed.as_bytes())
        .context("cannot write to stdout")?;
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
    GithubOutput::from_env().write(&outputs)?;
    Ok(verdict.passed)
}
