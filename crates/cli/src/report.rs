//! How every binary reports an error and ends: one message (each cause once), a kind from
//! [`ErrorKind`] whose exit code is fixed, the JSON form on stdout with `--format json`, and a
//! quiet end when the reader of stdout has gone away (`ferry … | head -1`).

use std::error::Error;
use std::ffi::OsString;
use std::process::ExitCode;

use serde_json::{Map, Value, json};

pub use ferry_error::ErrorKind;

/// A binary's error, ready to report: its kind, the message, and fields the JSON report adds
/// (`file`, `line`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The kind, which fixes the exit code.
    pub kind: ErrorKind,
    /// The message, each cause once.
    pub message: String,
    /// More fields of the JSON `error` object.
    pub fields: Map<String, Value>,
}

impl Failure {
    /// A failure with this message, scrubbed of the secrets the process knows
    /// ([`ferry_redact::scrub`]).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: ferry_redact::scrub(&message.into()),
            fields: Map::new(),
        }
    }

    /// A failure whose message is `error` with its causes ([`error_chain`]).
    pub fn from_error(kind: ErrorKind, error: &(dyn Error + 'static)) -> Failure {
        Failure::new(kind, error_chain(error))
    }

    /// Adds a field to the JSON `error` object (`null` values are kept: the shape is stable).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Failure {
        self.fields.insert(key.to_owned(), value.into());
        self
    }

    /// The exit code of the kind.
    pub fn exit_code(&self) -> u8 {
        self.kind.exit_code()
    }

    /// `{"error": {"kind", "exit_code", "message", …fields}}`.
    pub fn to_json(&self) -> Value {
        let mut error = Map::new();
        error.insert("kind".into(), json!(self.kind.name()));
        error.insert("exit_code".into(), json!(self.exit_code()));
        error.insert("message".into(), json!(self.message));
        for (key, value) in &self.fields {
            error.insert(key.clone(), value.clone());
        }
        json!({ "error": error })
    }

    /// Prints the failure (`PREFIX: message` on stderr, the prefix being the program's name or
    /// `error`; with `json` also [`Failure::to_json`]
    /// on stdout) and returns the exit code to end with.
    pub fn report(&self, prefix: &str, json: bool) -> ExitCode {
        use std::io::Write;
        let _ = writeln!(std::io::stderr().lock(), "{prefix}: {}", self.message);
        if json {
            let mut out = std::io::stdout().lock();
            let written = writeln!(out, "{}", self.to_json()).and_then(|()| out.flush());
            if written.is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
                return ExitCode::SUCCESS;
            }
        }
        ExitCode::from(self.exit_code())
    }
}

/// Reports `error` as a failure of `kind` and returns the exit code, or ends quietly with 0 when
/// the error is stdout's reader going away ([`is_broken_pipe`]).
pub fn fail(program: &str, json: bool, kind: ErrorKind, error: &(dyn Error + 'static)) -> ExitCode {
    if is_broken_pipe(error) {
        return ExitCode::SUCCESS;
    }
    Failure::from_error(kind, error).report(program, json)
}

/// The message of `error` followed by its causes, `: `-separated, each said once: a cause whose
/// text the message before it already holds (`#[error("{path}: {source}")]`, or a context that
/// repeats its cause) is left out.
pub fn error_chain(error: &(dyn Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut previous = message.clone();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !previous.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        previous = text;
        source = cause.source();
    }
    message
}

/// Whether `error` or one of its causes is an I/O error `BrokenPipe`: the reader of stdout
/// closed it (`… | head -1`), which ends a binary quietly.
pub fn is_broken_pipe(error: &(dyn Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        let pipe = Some(std::io::ErrorKind::BrokenPipe);
        // serde_json's writer errors hide the I/O error: their `source` is its source.
        if e.downcast_ref::<std::io::Error>().map(std::io::Error::kind) == pipe
            || e.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == pipe
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// Whether the command line asks for JSON (`--format json` or `--format=json`), read from the
/// process's arguments so that errors before and during parsing are reported as asked.
pub fn json_requested() -> bool {
    json_in_args(std::env::args_os().skip(1))
}

pub(crate) fn json_in_args(args: impl IntoIterator<Item = OsString>) -> bool {
    let mut json = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--") => break,
            Some("--format") => json = args.next().is_some_and(|v| v == "json"),
            Some(a) if a.starts_with("--format=") => json = a == "--format=json",
            _ => {}
        }
    }
    json
}

/// Makes a panic caused by writing to a closed stdout or stderr (`println!` into `… | head -1`
/// panics with "failed printing to stdout: Broken pipe") a quiet exit with code 0: the reader
/// has seen what it wanted. Other panics are reported as before.
pub fn quiet_on_broken_pipe() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied());
        if message.is_some_and(is_broken_pipe_panic) {
            std::process::exit(0);
        }
        previous(info);
    }));
}

/// Whether a panic message is the standard library's for printing into a closed pipe.
fn is_broken_pipe_panic(message: &str) -> bool {
    (message.starts_with("failed printing to stdout")
        || message.starts_with("failed printing to stderr"))
        && message.contains("Broken pipe")
}

/// The start of every binary: [`quiet_on_broken_pipe`], [`crate::init_logging`], and the
/// command line parsed; a command line clap refuses is reported as an [`ErrorKind::Usage`]
/// failure (also as JSON with `--format json`) and ends the process with exit 2. `--help` and
/// `--version` print as usual and exit 0. `--ferry-generate man|bash|zsh|fish|powershell` as
/// the first argument prints the binary's man page or completions ([`crate::generate`]).
pub fn start<C: clap::Parser>() -> C {
    start_from(std::env::args_os().collect())
}

/// [`start`] with the command line given (the program name first) instead of the process's.
pub fn start_from<C: clap::Parser>(args: Vec<OsString>) -> C {
    quiet_on_broken_pipe();
    if let Some(code) = crate::generate::answer_from(&args, C::command) {
        std::process::exit(code);
    }
    crate::init_logging();
    let json = json_in_args(args.iter().skip(1).cloned());
    match C::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => std::process::exit(parse_failure(&error, json)),
    }
}

/// Prints clap's message (help and version to stdout, errors to stderr and, with `json`, as a
/// usage failure on stdout) and returns clap's exit code.
fn parse_failure(error: &clap::Error, json: bool) -> i32 {
    let _ = error.print();
    if json && let Some(failure) = usage_failure(error) {
        println!("{}", failure.to_json());
    }
    error.exit_code()
}

/// The usage failure of a command line clap refused; `None` for `--help` and `--version`.
fn usage_failure(error: &clap::Error) -> Option<Failure> {
    error
        .use_stderr()
        .then(|| Failure::new(ErrorKind::Usage, one_line(&error.render().to_string())))
}

/// Clap's error message on one line: the lines before `Usage:`, trimmed, without the `error: `
/// prefix (`the following required arguments were not provided: --env <ENV>`).
fn one_line(text: &str) -> String {
    let text = text.strip_prefix("error: ").unwrap_or(text);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}

#[cfg(test)]
mod tests;
