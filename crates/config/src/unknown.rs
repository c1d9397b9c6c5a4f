//! The one error for an environment name that is not configured, whoever finds it (loading the
//! ledger, a promotion, a rollback, the ledger itself).

use std::path::PathBuf;

/// An environment name that is not configured: what was asked, where, and the names known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no environment `{name}` in {}; known: {}", place.as_ref().map_or_else(|| "the ledger".to_owned(), |p| p.display().to_string()), known.join(", "))]
pub struct UnknownEnvironment {
    /// The name asked for.
    pub name: String,
    /// The config file (`None`: only the ledger was asked, which knows no file).
    pub place: Option<PathBuf>,
    /// The environments that are known, in order.
    pub known: Vec<String>,
}

impl UnknownEnvironment {
    /// `name` is not an environment of `config`.
    pub fn in_config(config: &crate::Config, name: &str) -> Self {
        UnknownEnvironment {
            name: name.to_owned(),
            place: Some(config.path.clone()),
            known: config
                .environments()
                .iter()
                .map(|e| e.name.clone())
                .collect(),
        }
    }
}

/// The name came from the command line: a usage error (exit 2).
impl ferry_error::Classify for UnknownEnvironment {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Usage
    }
}
