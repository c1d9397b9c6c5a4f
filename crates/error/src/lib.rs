//! The kinds of error Ferry reports and the exit codes they imply, and [`Classify`]: the trait by
//! which a library's error type declares its kind.
//!
//! Every binary ends an error the same way (`ferry_cli`): a message, the `kind` of the JSON error
//! report and the exit code the kind fixes (1 a negative answer or refusal, 2 usage or bad input,
//! 3 an external system or the machine failed). The kind comes from the error itself: each error
//! type of a library crate implements [`Classify`], next to its definition, so a binary can only
//! return an error whose kind is declared — an error type without it does not convert into the
//! binaries' error (`ferry_cli::Error`) and the binary does not compile.
//!
//! ```
//! use ferry_error::{Classify, ErrorKind};
//!
//! #[derive(Debug)]
//! struct NoSuchTag(String);
//!
//! impl std::fmt::Display for NoSuchTag {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         write!(f, "no tag {}", self.0)
//!     }
//! }
//!
//! impl std::error::Error for NoSuchTag {}
//!
//! impl Classify for NoSuchTag {
//!     fn error_kind(&self) -> ErrorKind {
//!         ErrorKind::NotFound
//!     }
//! }
//!
//! let error = NoSuchTag("1.2.3".into());
//! assert_eq!(error.error_kind().name(), "not-found");
//! assert_eq!(error.exit_code(), 1);
//! ```
//!
//! # Example
//!
//! A library error whose variants are of different kinds (`examples/classify.rs`; `cargo run -p
//! ferry-error --example classify`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/classify.rs")]
//! ```

use std::error::Error;

/// An error that knows what kind of failure it is: the `kind` of the JSON error report and,
/// through it, the exit code.
///
/// Implement it for every public error type of a library crate. A type whose variants differ in
/// kind matches on them; a variant that wraps another error of the crate asks that error.
pub trait Classify: Error + Send + Sync + 'static {
    /// The kind of this error.
    fn error_kind(&self) -> ErrorKind;

    /// The exit code of the kind ([`ErrorKind::exit_code`]).
    fn exit_code(&self) -> u8 {
        self.error_kind().exit_code()
    }
}

/// A local file or stream cannot be read or written.
impl Classify for std::io::Error {
    fn error_kind(&self) -> ErrorKind {
        ErrorKind::Io
    }
}

impl<E: Classify> Classify for Box<E> {
    fn error_kind(&self) -> ErrorKind {
        (**self).error_kind()
    }
}

/// What went wrong, by kind: the `kind` of the JSON error report, the same in every binary, and
/// the exit code it implies (see `docs/cli.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The command line is wrong: an unknown or missing argument, flags that exclude each
    /// other, a value that does not parse, a name the configuration does not know (an
    /// environment, an image). Exit 2.
    Usage,
    /// What Ferry reads is wrong: `ferry.toml`, a kustomization, an image reference, a
    /// directory that is not a Git repository. Exit 2.
    BadInput,
    /// No change (pull request or change record) has this id. Exit 2.
    UnknownChange,
    /// A rule refused: a promotion gate. Exit 1.
    Refused,
    /// The change would lower an image. Exit 1.
    Downgrade,
    /// The environment is on hold for the image. Exit 1.
    Held,
    /// What was asked for does not exist: an image or tag in the registry, a Rollout, a
    /// revision to go back to. Exit 1.
    NotFound,
    /// The change is merged or closed already (`ferry pr merge`, `close`). Exit 1.
    NotOpen,
    /// The change's head is not the commit the reviewer approved (`ferry pr merge --head`).
    /// Exit 1.
    HeadMoved,
    /// A file the change edits changed on the base since it was computed (`ferry pr merge`,
    /// plain git). Exit 1.
    Stale,
    /// An image build failed: a Dockerfile step, or the Dockerfile itself (`ferry build`).
    /// Exit 1.
    Build,
    /// The forge (GitHub's API) failed. Exit 3.
    Forge,
    /// Git failed: a fetch, a push, reading the repository. Exit 3.
    Git,
    /// The base branch kept moving: every compare-and-swap attempt lost. Exit 3.
    Contended,
    /// The registry failed. Exit 3.
    Registry,
    /// A registry answered plain HTTP where HTTPS was tried (use `--plain-http` or
    /// `[registries."HOST"]`). Exit 3.
    PlainHttp,
    /// A service did not answer (connection refused, timeout, 5xx). Exit 3.
    Unavailable,
    /// The credentials were refused. Exit 3.
    Authentication,
    /// The credentials cannot be read (docker `config.json`, a credential helper). Exit 3.
    Credentials,
    /// The Kubernetes API failed or did not answer in time. Exit 3.
    Kubernetes,
    /// Waiting ended before the outcome was known (`--wait`, `--timeout`). Exit 3.
    Timeout,
    /// A local file cannot be read or written (such as `$GITHUB_OUTPUT`). Exit 3.
    Io,
}

impl ErrorKind {
    /// Every kind, in the order `docs/cli.md` lists them.
    pub const ALL: [ErrorKind; 22] = [
        ErrorKind::Usage,
        ErrorKind::BadInput,
        ErrorKind::UnknownChange,
        ErrorKind::Refused,
        ErrorKind::Downgrade,
        ErrorKind::Held,
        ErrorKind::NotFound,
        ErrorKind::NotOpen,
        ErrorKind::HeadMoved,
        ErrorKind::Stale,
        ErrorKind::Build,
        ErrorKind::Forge,
        ErrorKind::Git,
        ErrorKind::Contended,
        ErrorKind::Registry,
        ErrorKind::PlainHttp,
        ErrorKind::Unavailable,
        ErrorKind::Authentication,
        ErrorKind::Credentials,
        ErrorKind::Kubernetes,
        ErrorKind::Timeout,
        ErrorKind::Io,
    ];

    /// The stable name (`usage`, `bad-input`, …) of the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::BadInput => "bad-input",
            ErrorKind::UnknownChange => "unknown-change",
            ErrorKind::Refused => "refused",
            ErrorKind::Downgrade => "downgrade",
            ErrorKind::Held => "held",
            ErrorKind::NotFound => "not-found",
            ErrorKind::NotOpen => "not-open",
            ErrorKind::HeadMoved => "head-moved",
            ErrorKind::Stale => "stale",
            ErrorKind::Build => "build",
            ErrorKind::Forge => "forge",
            ErrorKind::Git => "git",
            ErrorKind::Contended => "contended",
            ErrorKind::Registry => "registry",
            ErrorKind::PlainHttp => "plain-http",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Authentication => "authentication",
            ErrorKind::Credentials => "credentials",
            ErrorKind::Kubernetes => "kubernetes",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Io => "io",
        }
    }

    /// The kind named `name`, if any.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The exit code: 1 a negative answer or refusal, 2 usage or bad input, 3 an external
    /// system failed.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Refused
            | ErrorKind::Downgrade
            | ErrorKind::Held
            | ErrorKind::NotFound
            | ErrorKind::NotOpen
            | ErrorKind::HeadMoved
            | ErrorKind::Stale
            | ErrorKind::Build => 1,
            ErrorKind::Usage | ErrorKind::BadInput | ErrorKind::UnknownChange => 2,
            ErrorKind::Forge
            | ErrorKind::Git
            | ErrorKind::Contended
            | ErrorKind::Registry
            | ErrorKind::PlainHttp
            | ErrorKind::Unavailable
            | ErrorKind::Authentication
            | ErrorKind::Credentials
            | ErrorKind::Kubernetes
            | ErrorKind::Timeout
            | ErrorKind::Io => 3,
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_unique_names_and_exit_codes_1_to_3() {
        let names: std::collections::BTreeSet<&str> =
            ErrorKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            assert!((1..=3).contains(&kind.exit_code()), "{kind}");
            assert_eq!(ErrorKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(ErrorKind::from_name("nonsense"), None);
    }

    #[test]
    fn io_errors_are_io_also_boxed() {
        let error = std::io::Error::other("disk full");
        assert_eq!(error.error_kind(), ErrorKind::Io);
        assert_eq!(Box::new(error).exit_code(), 3);
    }
}
