//! Shell completions and man pages of a binary's command line, made with `clap_complete` and
//! `clap_mangen` from the binary's own clap definition: `BINARY --ferry-generate WHAT` (the first
//! argument; [`crate::start`] answers it for every binary) prints one, for `cargo xtask dist`.

use std::io::Write;

/// The hidden first argument that asks a binary for a completion script or its man page.
pub const FLAG: &str = "--ferry-generate";

/// What can be generated: `man`, or a shell's completions.
pub const KINDS: [&str; 5] = ["man", "bash", "zsh", "fish", "powershell"];

/// Why nothing was generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Not one of [`KINDS`].
    #[error("cannot generate {0:?}: expected one of man, bash, zsh, fish, powershell")]
    Unknown(String),
    /// Writing failed.
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
}

impl ferry_error::Classify for GenerateError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            GenerateError::Unknown(_) => ferry_error::ErrorKind::Usage,
            GenerateError::Io(_) => ferry_error::ErrorKind::Io,
        }
    }
}

/// Writes `what` (one of [`KINDS`]) for the command line `cmd` to `out`.
pub fn generate(
    mut cmd: clap::Command,
    what: &str,
    out: &mut dyn Write,
) -> Result<(), GenerateError> {
    use clap_complete::Shell;
    let shell = match what {
        "man" => {
            clap_mangen::Man::new(cmd).render(out)?;
            return Ok(());
        }
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        "powershell" => Shell::PowerShell,
        other => return Err(GenerateError::Unknown(other.to_string())),
    };
    let name = cmd.get_name().to_string();
    clap_complete::generate(shell, &mut cmd, name, out);
    Ok(())
}

/// The value after [`FLAG`] when the command line starts with it.
pub fn requested() -> Option<String> {
    requested_in(&std::env::args_os().collect::<Vec<_>>())
}

/// The value after [`FLAG`] when this command line (the program name first) starts with it.
pub fn requested_in(args: &[std::ffi::OsString]) -> Option<String> {
    let mut args = args.iter().skip(1);
    (*args.next()? == FLAG).then(|| args.next().map(|v| v.to_string_lossy().into_owned()))?
}

/// Answers [`FLAG`] when the command line asks for it: prints what it asks for to stdout and
/// returns the exit code (0, or 2 for an unknown kind); `None` otherwise.
pub fn answer(cmd: impl FnOnce() -> clap::Command) -> Option<i32> {
    answer_from(&std::env::args_os().collect::<Vec<_>>(), cmd)
}

/// [`answer`] for this command line (the program name first) instead of the process's.
pub fn answer_from(
    args: &[std::ffi::OsString],
    cmd: impl FnOnce() -> clap::Command,
) -> Option<i32> {
    let what = requested_in(args)?;
    let mut stdout = std::io::stdout().lock();
    match generate(cmd(), &what, &mut stdout).and_then(|()| Ok(stdout.flush()?)) {
        Ok(()) => Some(0),
        Err(error) => {
            let kind = ferry_error::Classify::error_kind(&error);
            let _ = writeln!(std::io::stderr(), "error: {error}");
            Some(i32::from(kind.exit_code()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> clap::Command {
        clap::Command::new("ferry-x")
            .about("Does x.")
            .arg(clap::Arg::new("env").long("env").help("The environment"))
    }

    #[test]
    fn generates_man_pages_and_completions_for_the_binary() {
        let mut out = Vec::new();
        generate(cmd(), "man", &mut out).unwrap();
        let man = String::from_utf8(out).unwrap();
        assert!(man.starts_with(".ie"), "{man}");
        assert!(man.contains(".TH ferry-x 1"), "{man}");
        assert!(man.contains("\\-\\-env"), "{man}");
        for (shell, marker) in [
            ("bash", "_ferry__x()"),
            ("zsh", "#compdef ferry-x"),
            ("fish", "complete -c ferry-x"),
            ("powershell", "Register-ArgumentCompleter"),
        ] {
            let mut out = Vec::new();
            generate(cmd(), shell, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains(marker), "{shell}: {text}");
            assert!(text.contains("env"), "{shell}: {text}");
        }
        let err = generate(cmd(), "tcsh", &mut Vec::new()).unwrap_err();
        assert_eq!(
            ferry_error::Classify::error_kind(&err),
            ferry_error::ErrorKind::Usage
        );
    }
}
