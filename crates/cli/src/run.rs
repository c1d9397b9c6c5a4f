//! How every binary runs: [`main`] (or [`main_async`]) parses the command line
//! ([`crate::start`]), runs the binary's work and ends with its exit code, reporting an error
//! the one way ([`Error::report`](crate::Error::report)).
//!
//! ```no_run
//! use ferry_cli::{Context as _, Error, Format};
//!
//! #[derive(clap::Parser)]
//! struct Cli {
//!     #[arg(long, value_enum, default_value_t = Format::Text)]
//!     format: Format,
//!     name: String,
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     ferry_cli::main("ferry-example", |cli: Cli| {
//!         if cli.name.is_empty() {
//!             return Err(Error::usage("the name is empty"));
//!         }
//!         std::fs::read_to_string(&cli.name).with_context(|| format!("cannot read {}", cli.name))?;
//!         Ok(())
//!     })
//! }
//! ```

use std::ffi::OsString;
use std::process::ExitCode;

#[cfg(feature = "runtime")]
use crate::error::Error;
use crate::error::Result;
#[cfg(feature = "runtime")]
use crate::report::ErrorKind;

/// What a binary's work returns when it does not fail: `()` exits 0; a `u8` is the exit code of
/// an answer (an invalid overlay, an unhealthy verdict: 1), which is not an error.
pub trait Outcome {
    /// The exit code.
    fn exit_code(self) -> ExitCode;
}

impl Outcome for () {
    fn exit_code(self) -> ExitCode {
        ExitCode::SUCCESS
    }
}

impl Outcome for u8 {
    fn exit_code(self) -> ExitCode {
        ExitCode::from(self)
    }
}

impl Outcome for ExitCode {
    fn exit_code(self) -> ExitCode {
        self
    }
}

/// Runs a binary: parses the command line ([`crate::start`]: a refused one exits 2), runs `work`
/// with it and returns the exit code: the outcome's, or the error's after printing its report
/// (`PREFIX: message` on stderr, the JSON report on stdout when the command line says
/// `--format json`).
pub fn main<C: clap::Parser, T: Outcome>(
    prefix: &str,
    work: impl FnOnce(C) -> Result<T>,
) -> ExitCode {
    main_from(std::env::args_os().collect(), prefix, work)
}

/// [`main`] with the command line given (the program name first) instead of the process's:
/// how a step runs inside the multi-call `ferry` binary (`ferry pr open …` runs `ferry-pr`'s
/// work with `ferry-pr open …`).
pub fn main_from<C: clap::Parser, T: Outcome>(
    args: Vec<OsString>,
    prefix: &str,
    work: impl FnOnce(C) -> Result<T>,
) -> ExitCode {
    let json = crate::report::json_in_args(args.iter().skip(1).cloned());
    let cli = crate::report::start_from::<C>(args);
    finish_as(prefix, json, work(cli))
}

/// The exit code of a binary's work: the outcome's, or the error's after printing its report
/// ([`Error::report`](crate::Error::report), as JSON too when the command line asks for it).
pub fn finish<T: Outcome>(prefix: &str, result: Result<T>) -> ExitCode {
    finish_as(prefix, crate::report::json_requested(), result)
}

/// [`finish`] with the report's format decided by the caller (`json`: the command line asked
/// for `--format json`).
fn finish_as<T: Outcome>(prefix: &str, json: bool, result: Result<T>) -> ExitCode {
    match result {
        Ok(outcome) => outcome.exit_code(),
        Err(error) => error.report(prefix, json),
    }
}

/// The Tokio runtime a binary's work runs on.
#[cfg(feature = "runtime")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// One thread: the work's futures need not be `Send` (the forges' are not).
    CurrentThread,
    /// A thread pool, for work whose spawned tasks must make progress while the main future
    /// blocks a thread (`ferry-monitor`'s watchers).
    MultiThread,
}

/// [`main`] for async work: runs it on a Tokio runtime of the given flavour (all drivers
/// enabled); a runtime that cannot start is an `io` error.
#[cfg(feature = "runtime")]
pub fn main_async<C, T, F>(prefix: &str, runtime: Runtime, work: impl FnOnce(C) -> F) -> ExitCode
where
    C: clap::Parser,
    T: Outcome,
    F: std::future::Future<Output = Result<T>>,
{
    main_async_from(std::env::args_os().collect(), prefix, runtime, work)
}

/// [`main_async`] with the command line given (the program name first): see [`main_from`].
#[cfg(feature = "runtime")]
pub fn main_async_from<C, T, F>(
    args: Vec<OsString>,
    prefix: &str,
    runtime: Runtime,
    work: impl FnOnce(C) -> F,
) -> ExitCode
where
    C: clap::Parser,
    T: Outcome,
    F: std::future::Future<Output = Result<T>>,
{
    let json = crate::report::json_in_args(args.iter().skip(1).cloned());
    let cli = crate::report::start_from::<C>(args);
    finish_as(prefix, json, block_on(runtime, work(cli)))
}

/// Runs `work` to completion on a new Tokio runtime of the given flavour: the one way Ferry's
/// binaries build their runtime.
#[cfg(feature = "runtime")]
pub fn block_on<T>(
    runtime: Runtime,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let mut builder = match runtime {
        Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        Runtime::MultiThread => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|e| Error::msg(ErrorKind::Io, format!("cannot start the runtime: {e}")))?;
    runtime.block_on(work)
}
