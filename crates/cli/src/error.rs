//! The error of every binary: what went wrong (an [`anyhow::Error`], with its context and
//! causes) and its [`ErrorKind`], which fixes the exit code and the JSON report's `kind`.
//!
//! A library error converts into it with `?` only when its type implements
//! [`Classify`]: the kind is declared by the type, not guessed from a list.
//! An error of no declared kind (a message of the binary's own, a foreign error) is given its kind
//! explicitly: [`Error::new`], [`Error::usage`], [`WithKind::with_kind`]. Context added with
//! [`Context`] keeps the kind of the error it wraps.

use std::fmt::{self, Debug, Display};

use ferry_error::Classify;
use serde_json::{Map, Value};

use crate::report::{ErrorKind, Failure};

/// The result of a binary's work.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A binary's error: an error with its context, its kind, and fields the JSON report adds
/// (`file`, `line`, …).
pub struct Error {
    kind: ErrorKind,
    error: anyhow::Error,
    fields: Map<String, Value>,
}

impl<E: Classify> From<E> for Error {
    fn from(error: E) -> Error {
        Error {
            kind: error.error_kind(),
            error: anyhow::Error::new(error),
            fields: Map::new(),
        }
    }
}

impl Error {
    /// `error` (any error, or an [`anyhow::Error`] with its context) as a failure of `kind`.
    pub fn new(kind: ErrorKind, error: impl Into<anyhow::Error>) -> Error {
        Error {
            kind,
            error: error.into(),
            fields: Map::new(),
        }
    }

    /// A failure of `kind` with this message.
    pub fn msg(kind: ErrorKind, message: impl Display + Debug + Send + Sync + 'static) -> Error {
        Error::new(kind, anyhow::Error::msg(message))
    }

    /// A usage error (exit 2): the command line is wrong.
    pub fn usage(message: impl Display + Debug + Send + Sync + 'static) -> Error {
        Error::msg(ErrorKind::Usage, message)
    }

    /// Bad input (exit 2): what Ferry reads is wrong.
    pub fn bad_input(message: impl Display + Debug + Send + Sync + 'static) -> Error {
        Error::msg(ErrorKind::BadInput, message)
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The exit code of the kind.
    pub fn exit_code(&self) -> u8 {
        self.kind.exit_code()
    }

    /// The same error with another kind: when the binary knows better what a failure means
    /// here (a `--verify` that cannot start is a usage error whatever failed below it).
    pub fn reclassify(mut self, kind: ErrorKind) -> Error {
        self.kind = kind;
        self
    }

    /// The error wrapped in `context` (said before it in the message); the kind stays.
    pub fn context(mut self, context: impl Display + Send + Sync + 'static) -> Error {
        self.error = self.error.context(context);
        self
    }

    /// Adds a field to the JSON `error` object (`null` values are kept: the shape is stable).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Error {
        self.fields.insert(key.to_owned(), value.into());
        self
    }

    /// The error of type `E` in the chain, the outermost first.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.error
            .chain()
            .find_map(|cause| cause.downcast_ref::<E>())
    }

    /// The error with its context, as an [`anyhow::Error`].
    pub fn as_anyhow(&self) -> &anyhow::Error {
        &self.error
    }

    /// The report: the kind, the message with each cause once ([`crate::report::error_chain`]),
    /// scrubbed of secrets, and the fields.
    pub fn failure(&self) -> Failure {
        let mut failure = Failure::from_error(self.kind, self.error.as_ref());
        failure.fields = self.fields.clone();
        failure
    }

    /// Prints the report (`PREFIX: message` on stderr, with `json` also the JSON report on
    /// stdout) and returns the exit code to end with; ends quietly with 0 when the error is
    /// stdout's reader going away ([`crate::report::is_broken_pipe`]).
    pub fn report(&self, prefix: &str, json: bool) -> std::process::ExitCode {
        if crate::report::is_broken_pipe(self.error.as_ref()) {
            return std::process::ExitCode::SUCCESS;
        }
        self.failure().report(prefix, json)
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Display::fmt(&self.error, f)
    }
}

impl Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {:?}", self.kind, self.error)
    }
}

/// The outermost message; its source is the wrapped error itself (the same message, then its
/// causes), so that code still on [`anyhow::Error`] finds every typed cause in the chain.
/// (The kind is lost when it becomes an [`anyhow::Error`]: keep an [`Error`] to the end.)
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.error.as_ref())
    }
}

/// Context for the errors of a binary, as [`anyhow::Context`] adds it, keeping the kind: the
/// error must have one already (a [`Classify`] error or an [`Error`]).
pub trait Context<T> {
    /// Wraps the error in `context`.
    fn context<C: Display + Send + Sync + 'static>(self, context: C) -> Result<T>;

    /// Wraps the error in the context `f` makes, only when there is an error.
    fn with_context<C: Display + Send + Sync + 'static>(self, f: impl FnOnce() -> C) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context<C: Display + Send + Sync + 'static>(self, context: C) -> Result<T> {
        self.map_err(|e| e.into().context(context))
    }

    fn with_context<C: Display + Send + Sync + 'static>(self, f: impl FnOnce() -> C) -> Result<T> {
        self.map_err(|e| e.into().context(f()))
    }
}

/// Gives an error of no declared kind (an [`anyhow::Error`], a foreign error) its kind.
pub trait WithKind<T> {
    /// The error as a failure of `kind`.
    fn with_kind(self, kind: ErrorKind) -> Result<T>;
}

impl<T, E: Into<anyhow::Error>> WithKind<T> for std::result::Result<T, E> {
    fn with_kind(self, kind: ErrorKind) -> Result<T> {
        self.map_err(|e| Error::new(kind, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("no tag {0}")]
    struct NoTag(&'static str);

    impl Classify for NoTag {
        fn error_kind(&self) -> ErrorKind {
            ErrorKind::NotFound
        }
    }

    fn find() -> Result<(), NoTag> {
        Err(NoTag("1.2.3"))
    }

    #[test]
    fn a_classified_error_keeps_its_kind_through_context() {
        let run = || -> Result<()> {
            find().context("cannot check the image")?;
            Ok(())
        };
        let error = run().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound);
        assert_eq!(error.exit_code(), 1);
        assert_eq!(error.to_string(), "cannot check the image");
        assert_eq!(
            error.failure().message,
            "cannot check the image: no tag 1.2.3"
        );
        assert!(error.downcast_ref::<NoTag>().is_some());
        let again = Err::<(), _>(error).context("outer").unwrap_err();
        assert_eq!(again.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn untyped_errors_get_their_kind_explicitly() {
        let parse = "x".parse::<u8>().with_kind(ErrorKind::Usage).unwrap_err();
        assert_eq!(parse.exit_code(), 2);
        let io: Error = std::io::Error::other("disk full").into();
        assert_eq!(io.kind(), ErrorKind::Io);
        let usage = Error::usage("--env is required").with("field", "env");
        assert_eq!(usage.failure().to_json()["error"]["field"], "env");
        assert_eq!(
            usage.reclassify(ErrorKind::BadInput).kind(),
            ErrorKind::BadInput
        );
    }
}
