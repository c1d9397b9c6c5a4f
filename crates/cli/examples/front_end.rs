//! A binary on Ferry's front end: `front_end NAME [--fail KIND] [--format json]` greets NAME,
//! or fails with an error of the kind asked (`not-found`, `usage`, `git`, …) wrapped in context,
//! reported as every Ferry binary reports it and ending with the kind's exit code.

use std::process::ExitCode;

use ferry_cli::{Classify, Context as _, Error, ErrorKind, Format};

#[derive(Debug, clap::Parser)]
struct Cli {
    /// Whom to greet.
    name: String,
    /// Fail with an error of this kind.
    #[arg(long, value_name = "KIND")]
    fail: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// A library's error: its type declares its kind.
#[derive(Debug, thiserror::Error)]
#[error("the library failed as asked")]
struct LibraryError(ErrorKind);

impl Classify for LibraryError {
    fn error_kind(&self) -> ErrorKind {
        self.0
    }
}

fn library(fail: Option<ErrorKind>) -> Result<&'static str, LibraryError> {
    match fail {
        Some(kind) => Err(LibraryError(kind)),
        None => Ok("hello"),
    }
}

fn main() -> ExitCode {
    ferry_cli::main("front-end", |cli: Cli| {
        let fail = match cli.fail.as_deref() {
            Some(name) => Some(
                ErrorKind::from_name(name)
                    .ok_or_else(|| Error::usage(format!("--fail: no kind `{name}`")))?,
            ),
            None => None,
        };
        let greeting = library(fail).with_context(|| format!("cannot greet {}", cli.name))?;
        match cli.format {
            Format::Text => println!("{greeting}, {}", cli.name),
            Format::Json => println!("{}", serde_json::json!({ "greeting": greeting })),
        }
        Ok(())
    })
}
