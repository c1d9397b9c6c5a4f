//! A library error type declaring its kind: the exit code and the JSON report's `kind` follow
//! from the type, so every binary that returns it ends the same way.
//!
//! Run with `cargo run -p ferry-error --example classify`.

use std::fmt;

use ferry_error::{Classify, ErrorKind};

/// The errors of a small library: each variant is a different kind of failure.
#[derive(Debug)]
enum TagError {
    /// The registry has no such tag: a negative answer.
    NotFound(String),
    /// The argument is not a tag: bad input.
    Invalid(String),
    /// The registry did not answer: the environment failed.
    Unreachable(String),
}

impl fmt::Display for TagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagError::NotFound(tag) => write!(f, "no tag {tag}"),
            TagError::Invalid(tag) => write!(f, "{tag:?} is not a tag"),
            TagError::Unreachable(host) => write!(f, "cannot reach {host}"),
        }
    }
}

impl std::error::Error for TagError {}

impl Classify for TagError {
    fn error_kind(&self) -> ErrorKind {
        match self {
            TagError::NotFound(_) => ErrorKind::NotFound,
            TagError::Invalid(_) => ErrorKind::BadInput,
            TagError::Unreachable(_) => ErrorKind::Registry,
        }
    }
}

fn main() {
    let errors = [
        TagError::NotFound("1.5.0".into()),
        TagError::Invalid("1.5.0 beta".into()),
        TagError::Unreachable("registry.example.com".into()),
    ];
    for error in &errors {
        let kind = error.error_kind();
        println!("{error}: kind {}, exit {}", kind.name(), error.exit_code());
    }
    // 1 a negative answer, 2 usage or bad input, 3 an external system failed.
    let codes: Vec<u8> = errors.iter().map(|e| e.exit_code()).collect();
    assert_eq!(codes, [1, 2, 3]);
    assert_eq!(ErrorKind::from_name("not-found"), Some(ErrorKind::NotFound));
}
