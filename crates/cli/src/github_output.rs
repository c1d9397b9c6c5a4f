//! Step outputs for GitHub Actions: name/value pairs appended to the file `$GITHUB_OUTPUT` names.
//!
//! A single-line value is written as `name=value`. A value holding a line break is written in
//! the delimiter form the runner reads: `name<<DELIMITER`, the value, then `DELIMITER` on a line
//! of its own. The delimiter is random and never occurs in any value of the same write, so no
//! value can end its block early or smuggle in another output.
//!
//! ```
//! let text = ferry_cli::github_output::render(&[("tag", "1.4.0"), ("notes", "a\nb")]).unwrap();
//! let (single, block) = text.split_once('\n').unwrap();
//! assert_eq!(single, "tag=1.4.0");
//! let delimiter = block.lines().next().unwrap().strip_prefix("notes<<").unwrap();
//! assert_eq!(block, format!("notes<<{delimiter}\na\nb\n{delimiter}\n"));
//! ```

use std::ffi::OsString;
use std::hash::{BuildHasher as _, Hasher as _};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The environment variable that names the step output file.
pub const VAR: &str = "GITHUB_OUTPUT";

/// Why step outputs could not be written.
#[derive(Debug, thiserror::Error)]
pub enum GithubOutputError {
    /// An output name the runner could not read back.
    #[error("invalid GITHUB_OUTPUT name {name:?}: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The file could not be opened or appended to. The message includes the I/O error, which
    /// is therefore not also a `source` (error chains would print it twice).
    #[error("cannot write GITHUB_OUTPUT file {}: {error}", path.display())]
    Io {
        /// The output file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
}

/// Step outputs that cannot be written are an I/O failure (exit 3).
impl ferry_error::Classify for GithubOutputError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Io
    }
}

/// Where step outputs go: a file, or nowhere outside GitHub Actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GithubOutput {
    path: Option<PathBuf>,
    always_delimited: bool,
}

impl GithubOutput {
    /// The file `$GITHUB_OUTPUT` names; unset or empty means outputs are dropped.
    pub fn from_env() -> Self {
        Self::from_var(crate::env::var_os(VAR))
    }

    /// Like [`GithubOutput::from_env`], from the variable's value.
    pub fn from_var(value: Option<OsString>) -> Self {
        Self {
            path: value.filter(|v| !v.is_empty()).map(PathBuf::from),
            always_delimited: false,
        }
    }

    /// Outputs appended to this file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self {
            path: Some(path.into()),
            always_delimited: false,
        }
    }

    /// Writes every value in the delimiter form, single-line ones too, as the toolkit's
    /// `core.setOutput` does.
    #[must_use]
    pub fn always_delimited(mut self) -> Self {
        self.always_delimited = true;
        self
    }

    /// The output file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends the pairs, in order, with a single write; without a file it checks the names and
    /// does nothing else.
    pub fn write<V: AsRef<str>>(&self, pairs: &[(&str, V)]) -> Result<(), GithubOutputError> {
        let text = render_with(pairs, self.always_delimited, random_delimiter())?;
        let Some(path) = &self.path else {
            return Ok(());
        };
        let io = |error| GithubOutputError::Io {
            path: path.clone(),
            error,
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)
    }
}

/// Appends the pairs to the file `$GITHUB_OUTPUT` names; does nothing when it is unset or empty.
pub fn write<V: AsRef<str>>(pairs: &[(&str, V)]) -> Result<(), GithubOutputError> {
    GithubOutput::from_env().write(pairs)
}

/// The text [`write()`] appends for these pairs.
pub fn render<V: AsRef<str>>(pairs: &[(&str, V)]) -> Result<String, GithubOutputError> {
    render_with(pairs, false, random_delimiter())
}

fn render_with<V: AsRef<str>>(
    pairs: &[(&str, V)],
    always_delimited: bool,
    mut delimiter: String,
) -> Result<String, GithubOutputError> {
    for (name, _) in pairs {
        check_name(name)?;
    }
    let delimited = |value: &str| always_delimited || value.contains(['\n', '\r']);
    // Growing the delimiter ends: a value cannot contain a longer string than itself.
    while pairs
        .iter()
        .map(|(_, v)| v.as_ref())
        .any(|v| delimited(v) && v.contains(&delimiter))
    {
        delimiter.push('_');
    }
    let mut text = String::new();
    for (name, value) in pairs {
        let value = value.as_ref();
        if delimited(value) {
            text.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
        } else {
            text.push_str(&format!("{name}={value}\n"));
        }
    }
    Ok(text)
}

fn check_name(name: &str) -> Result<(), GithubOutputError> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.contains(['\n', '\r']) {
        "it contains a line break"
    } else if name.contains('=') {
        "it contains `=`"
    } else if name.contains("<<") {
        "it contains `<<`"
    } else {
        return Ok(());
    };
    Err(GithubOutputError::InvalidName {
        name: name.to_string(),
        reason,
    })
}

/// `ghadelimiter_` and 16 random hex digits (std's randomly keyed hasher, no extra dependency).
fn random_delimiter() -> String {
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    hasher.write_u128(nanos);
    format!("ghadelimiter_{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads an output file the way the Actions runner does: a line whose first `=` comes before
    /// any `<<` is `name=value`; otherwise `name<<DELIMITER` starts a block ended by a line equal
    /// to the delimiter.
    fn parse(text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut lines = text.split('\n');
        while let Some(line) = lines.next() {
            if line.is_empty() {
                continue;
            }
            let equals = line.find('=');
            let heredoc = line.find("<<");
            match (equals, heredoc) {
                (Some(e), h) if h.is_none_or(|h| e < h) => {
                    out.push((line[..e].to_string(), line[e + 1..].to_string()));
                }
                (_, Some(h)) => {
                    let delimiter = &line[h + 2..];
                    let mut value = Vec::new();
                    loop {
                        let next = lines.next().expect("the block is closed");
                        if next == delimiter {
                            break;
                        }
                        value.push(next);
                    }
                    out.push((line[..h].to_string(), value.join("\n")));
                }
                _ => panic!("unreadable line {line:?}"),
            }
        }
        out
    }

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn single_line_values_are_name_equals_value() {
        let pairs = [("changed", "true"), ("empty", ""), ("odd", "a=b<<c")];
        let text = render(&pairs).unwrap();
        assert_eq!(text, "changed=true\nempty=\nodd=a=b<<c\n");
        assert_eq!(parse(&text), owned(&pairs));
    }

    #[test]
    fn multi_line_values_use_a_delimiter_that_is_not_in_them() {
        let pairs = [
            ("reason", "probe failed:\nconnection refused"),
            ("verdict", "unhealthy"),
            ("trailing", "line\n"),
            ("crlf", "a\r\nb"),
        ];
        let text = render(&pairs).unwrap();
        let header = text.lines().next().unwrap();
        let delimiter = header.strip_prefix("reason<<ghadelimiter_").unwrap();
        assert_eq!(delimiter.len(), 16, "{header}");
        assert!(text.contains("\nverdict=unhealthy\n"), "{text}");
        assert_eq!(parse(&text), owned(&pairs));
    }

    #[test]
    fn a_value_holding_the_delimiter_gets_a_longer_one() {
        let base = "ghadelimiter_0123456789abcdef".to_string();
        let sneaky = format!("x\n{base}\ninjected=yes\n{base}_");
        let pairs = [("notes", sneaky.as_str()), ("other", "y")];
        let text = render_with(&pairs, false, base.clone()).unwrap();
        assert!(text.starts_with(&format!("notes<<{base}__\n")), "{text}");
        assert_eq!(parse(&text), owned(&pairs));
    }

    #[test]
    fn always_delimited_writes_every_value_in_blocks() {
        let pairs = [("version", "1.2.3"), ("tags", "a:1\na:latest")];
        let text = render_with(&pairs, true, "D".to_string()).unwrap();
        assert_eq!(text, "version<<D\n1.2.3\nD\ntags<<D\na:1\na:latest\nD\n");
        assert_eq!(parse(&text), owned(&pairs));
    }

    #[test]
    fn writes_append_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("output");
        std::fs::write(&path, "earlier=1\n").unwrap();
        let output = GithubOutput::file(&path);
        output.write(&[("changed", "true")]).unwrap();
        output
            .write(&[("message", "two\nlines".to_string())])
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            parse(&text),
            owned(&[
                ("earlier", "1"),
                ("changed", "true"),
                ("message", "two\nlines")
            ])
        );
    }

    #[test]
    fn an_unset_or_empty_variable_writes_nothing() {
        for value in [None, Some(OsString::new())] {
            let output = GithubOutput::from_var(value);
            assert_eq!(output.path(), None);
            output.write(&[("changed", "true")]).unwrap();
        }
        let output = GithubOutput::from_var(Some("/tmp/out".into()));
        assert_eq!(output.path(), Some(Path::new("/tmp/out")));
    }

    #[test]
    fn bad_names_and_unwritable_files_are_typed_errors() {
        for name in ["", "a=b", "a<<b", "a\nb"] {
            let error = GithubOutput::default().write(&[(name, "v")]).unwrap_err();
            assert!(
                matches!(&error, GithubOutputError::InvalidName { name: n, .. } if n == name),
                "{error}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let error = GithubOutput::file(dir.path().join("missing/output"))
            .write(&[("a", "b")])
            .unwrap_err();
        assert!(matches!(error, GithubOutputError::Io { .. }), "{error}");
        assert!(error.to_string().contains("missing/output: "), "{error}");
        assert!(std::error::Error::source(&error).is_none());
    }
}
