//! The shared front end of Ferry's binaries: logging, the `--format` flag, GitHub Actions
//! step outputs and (feature `forge`) the forge setup and exit codes of the binaries that work
//! through a forge.
//!
//! Every binary runs through [`main`] (or [`main_async`]): the command line parsed, the work
//! run, the error reported the one way with the kind its type declares ([`Error`],
//! [`ferry_error::Classify`]) and the exit code that kind fixes.
//!
//! This is the one Ferry crate that reads environment variables; every other crate takes its
//! values as arguments. [`env`](mod@env) lists every variable Ferry reads.
//!
//! Logs go to stderr; the only printing is the binaries' error report ([`report`]).
//!
//! # Example
//!
//! A binary on the front end: it greets NAME or fails with an error of the kind asked, reported
//! as every Ferry binary reports it (`examples/front_end.rs`; `cargo run -p ferry-cli --example
//! front_end -- NAME [--fail KIND] [--format json]`; it takes arguments, so
//! `tests/it/front_end.rs` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/front_end.rs")]
//! ```

pub mod env;
pub mod error;
#[cfg(feature = "forge")]
pub mod forge;
pub mod generate;
pub mod github_event;
pub mod github_output;
#[cfg(feature = "kube")]
pub mod kube;
pub mod paths;
#[cfg(feature = "registry")]
pub mod registry;
pub mod report;
pub mod run;
pub mod step_summary;

pub use error::{Context, Error, Result, WithKind};
pub use ferry_error::Classify;
pub use ferry_redact as redact;
pub use github_output::{GithubOutput, GithubOutputError};
pub use report::{ErrorKind, Failure, start, start_from};
pub use run::{Outcome, finish, main, main_from};
#[cfg(feature = "runtime")]
pub use run::{Runtime, block_on, main_async, main_async_from};

/// The environment variable holding the log filter, e.g. `FERRY_LOG=debug`.
pub const LOG_VAR: &str = env::FERRY_LOG;

/// The log filter when none is set.
pub const DEFAULT_LOG: &str = "warn";

/// Sends `tracing` logs to stderr, filtered by `FERRY_LOG` (`tracing_subscriber::EnvFilter`
/// syntax, e.g. `debug` or `ferry_health=trace`); when it is unset or empty, by `RUST_LOG`; when
/// both are, or the filter is invalid, `warn`. Colours only when stderr is a terminal and
/// `NO_COLOR` is unset or empty. Does nothing if a global subscriber is already set.
///
/// Every log line is scrubbed of secrets ([`redact::scrub`]), and the secrets of the environment
/// ([`register_env_secrets`]) are registered first, at every log level.
pub fn init_logging() {
    register_env_secrets();
    let directives = env::non_empty(env::FERRY_LOG).or_else(|| env::non_empty(env::RUST_LOG));
    let _ = tracing_subscriber::fmt()
        .with_writer(|| Scrubbed(std::io::stderr()))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()) && !env::no_color())
        .with_env_filter(log_filter(directives.as_deref()))
        .try_init();
}

/// Whether an environment variable of this name holds a secret (`GITHUB_TOKEN`,
/// `FERRY_REGISTRY_PASSWORD`, `FERRY_GITHUB_APP_PRIVATE_KEY`, `FERRY_SLACK_WEBHOOK`, …).
fn is_secret_var(name: &str) -> bool {
    let name = name.to_ascii_uppercase();
    [
        "TOKEN",
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "PRIVATE_KEY",
        "WEBHOOK",
        "CREDENTIAL",
    ]
    .iter()
    .any(|part| name.contains(part))
}

/// Registers the values of the environment variables that hold secrets (names containing
/// `TOKEN`, `PASSWORD`, `PASSWD`, `SECRET`, `PRIVATE_KEY`, `WEBHOOK` or `CREDENTIAL`) with
/// [`redact`], so no message or log line shows them whatever echoes them.
pub fn register_env_secrets() {
    for (name, value) in env::vars_os() {
        if let (Some(name), Some(value)) = (name.to_str(), value.to_str())
            && is_secret_var(name)
        {
            redact::register(value);
            redact::register_url(value);
        }
    }
}

/// A writer that scrubs what it writes of secrets ([`redact::scrub`]); `tracing` writes one
/// event per call.
struct Scrubbed<W>(W);

impl<W: std::io::Write> std::io::Write for Scrubbed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(redact::scrub(text).as_bytes())?,
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The page of this GitHub Actions run (`$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/
/// $GITHUB_RUN_ID`), outside Actions `None`.
pub fn github_run_url() -> Option<String> {
    let var = |name: &str| env::var(name).filter(|v| !v.is_empty());
    Some(format!(
        "{}/{}/actions/runs/{}",
        var(env::GITHUB_SERVER_URL)?.trim_end_matches('/'),
        var(env::GITHUB_REPOSITORY)?,
        var(env::GITHUB_RUN_ID)?
    ))
}

/// The filter for these directives: `warn` when there are none or they are invalid.
fn log_filter(directives: Option<&str>) -> tracing_subscriber::EnvFilter {
    directives
        .and_then(|d| tracing_subscriber::EnvFilter::try_new(d.trim()).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(DEFAULT_LOG))
}

/// The `--format` of every binary: text for people, JSON for programs.
///
/// Use it as `#[arg(long, value_enum, default_value_t = Format::Text)]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// Text for people.
    #[default]
    Text,
    /// JSON for programs.
    Json,
}

impl clap::ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[Format::Text, Format::Json]
    }

    // The values carry no help of their own, so `--help` lists them on one line.
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            Format::Text => "text",
            Format::Json => "json",
        }))
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory as _, Parser};

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    }

    #[test]
    fn the_log_filter_defaults_to_warn() {
        assert_eq!(log_filter(None).to_string(), "warn");
        assert_eq!(log_filter(Some("bad[[")).to_string(), "warn");
        assert_eq!(log_filter(Some(" debug ")).to_string(), "debug");
        assert_eq!(
            log_filter(Some("ferry_health=trace")).to_string(),
            "ferry_health=trace"
        );
    }

    #[test]
    fn format_parses_text_and_json_and_defaults_to_text() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).map(|c| c.format);
        assert_eq!(parse(&["x"]).unwrap(), Format::Text);
        assert_eq!(parse(&["x", "--format", "json"]).unwrap(), Format::Json);
        assert_eq!(parse(&["x", "--format=text"]).unwrap(), Format::Text);
        assert!(parse(&["x", "--format", "yaml"]).is_err());
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("[possible values: text, json]"), "{help}");
    }
}
