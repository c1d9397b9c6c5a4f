//! Which `ferry.toml` a command reads: the one it names, else the nearest one.

use std::path::{Path, PathBuf};

use crate::{Config, FILE_NAME};

/// No `ferry.toml` in the directory searched or above it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no {FILE_NAME} in {} or above; pass --config FILE", start.display())]
pub struct NoConfigFile {
    /// The directory the search started in.
    pub start: PathBuf,
}

/// A usage error (exit 2): the command needs `--config FILE`.
impl ferry_error::Classify for NoConfigFile {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Usage
    }
}

impl Config {
    /// The config file of a command: `explicit` (its `--config`) as given, else the nearest
    /// `ferry.toml` in `start` or above ([`Config::discover`]).
    pub fn locate(explicit: Option<&Path>, start: &Path) -> Result<PathBuf, NoConfigFile> {
        match explicit {
            Some(path) => Ok(path.to_path_buf()),
            None => Config::discover(start).ok_or_else(|| NoConfigFile {
                start: start.to_path_buf(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_file_wins_then_the_nearest_one_up() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let inner = tmp.path().join("a").join("b");
        std::fs::create_dir_all(&inner).expect("dirs");
        let e = Config::locate(None, &inner).expect_err("no file yet");
        assert_eq!(
            e.to_string(),
            format!(
                "no ferry.toml in {} or above; pass --config FILE",
                inner.display()
            )
        );
        std::fs::write(tmp.path().join("a").join(FILE_NAME), "").expect("write");
        assert_eq!(
            Config::locate(None, &inner),
            Ok(tmp.path().join("a").join(FILE_NAME))
        );
        let named = Path::new("elsewhere.toml");
        assert_eq!(Config::locate(Some(named), &inner), Ok(named.to_path_buf()));
    }
}
