//! `ferry`: runs the step binaries. `ferry STEP ARGS…` runs `ferry-STEP ARGS…`, looked up first
//! beside this executable, then on `PATH` (as `git` and `cargo` find their subcommands).
//! `ferry --help` lists the steps it knows and those it finds.
//!
//! Exit codes: the step's own; 2 when the step is unknown, 3 when it cannot be started.

use std::collections::BTreeMap;
use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use ferry_cli::{Error, ErrorKind};

/// The steps Ferry ships, in pipeline order, with a one-line summary.
const STEPS: &[(&str, &str)] = &[
    (
        "init",
        "write the GitOps repository: ferry.toml, overlays, Argo CD, workflows",
    ),
    (
        "tag",
        "compute image tags from the Git context (docker/metadata-action rules)",
    ),
    (
        "build",
        "build an image on the Docker Engine, push its tags, report the digest",
    ),
    ("image", "check, inspect and copy images in a registry"),
    (
        "scan",
        "gate Trivy reports: severities, expiring ignores, SARIF for code scanning",
    ),
    (
        "set-image",
        "set an image in a kustomization, editing one entry in place",
    ),
    (
        "validate",
        "validate overlays and list the image each workload runs",
    ),
    (
        "pr",
        "open, update, wait for and clean up the GitOps change of an environment",
    ),
    (
        "promote",
        "promote what one environment ran and verified to the next",
    ),
    (
        "monitor",
        "watch an environment's health after a deployment",
    ),
    (
        "rollout",
        "control Argo Rollouts: status, promote, abort, retry, undo",
    ),
    (
        "rollback",
        "put an environment back on its last verified images, in Git, and hold",
    ),
    ("ledger", "show what each environment ran, from Git history"),
    (
        "lint",
        "check workflows and ferry.toml against the rules that break pipelines",
    ),
];

fn main() -> ExitCode {
    ferry_cli::report::quiet_on_broken_pipe();
    if let Some(code) = ferry_cli::generate::answer(command) {
        return ExitCode::from(u8::try_from(code).unwrap_or(2));
    }
    let mut args = env::args_os().skip(1);
    let Some(first) = args.next() else {
        eprint!("{}", help());
        return ExitCode::from(2);
    };
    let rest: Vec<OsString> = args.collect();
    match first.to_str() {
        Some("-h" | "--help" | "help") if rest.is_empty() => {
            print!("{}", help());
            ExitCode::SUCCESS
        }
        Some("help") => run_step(&rest[0], &[OsString::from("--help")]),
        Some("-V" | "--version") => {
            println!("ferry {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(flag) if flag.starts_with('-') => {
            let code = failure(
                ErrorKind::Usage,
                format!("unexpected option `{flag}` before the step"),
            );
            eprint!("\n{}", help());
            code
        }
        _ => run_step(&first, &rest),
    }
}

/// The front end's command line as clap describes it, for its man page and completions
/// (`ferry --ferry-generate man|bash|…`): one subcommand per step, its arguments the step's own.
fn command() -> clap::Command {
    let mut cmd = clap::Command::new("ferry")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Ferry carries container images through GitOps environments safely.")
        .long_about(
            "Ferry carries container images through GitOps environments safely. \
             `ferry STEP ARGS` runs `ferry-STEP ARGS`, found beside ferry, then on PATH; \
             `ferry help STEP` or `ferry STEP --help` shows a step's options (and `man ferry-STEP`).",
        )
        .subcommand_required(true);
    for (step, summary) in STEPS {
        cmd = cmd.subcommand(
            clap::Command::new(*step).about(*summary).arg(
                clap::Arg::new("args")
                    .num_args(0..)
                    .trailing_var_arg(true)
                    .allow_hyphen_values(true)
                    .help(format!("The arguments of ferry-{step}")),
            ),
        );
    }
    cmd
}

fn run_step(step: &OsString, args: &[OsString]) -> ExitCode {
    let name = {
        let mut n = OsString::from("ferry-");
        n.push(step);
        n
    };
    let Some(program) = find(&name) else {
        let code = failure(
            ErrorKind::Usage,
            format!(
                "no step `{}`: `{}` is neither beside {} nor on PATH",
                step.to_string_lossy(),
                name.to_string_lossy(),
                self_dir().map_or_else(|| "ferry".into(), |d| d.display().to_string()),
            ),
        );
        eprint!("\n{}", help());
        return code;
    };
    exec(&program, args)
}

#[cfg(unix)]
fn exec(program: &Path, args: &[OsString]) -> ExitCode {
    use std::os::unix::process::CommandExt;
    // Only returns on failure.
    let error = Command::new(program).args(args).exec();
    failure(
        ErrorKind::Io,
        format!("cannot run {}: {error}", program.display()),
    )
}

#[cfg(not(unix))]
fn exec(program: &Path, args: &[OsString]) -> ExitCode {
    match Command::new(program).args(args).status() {
        Ok(status) => ExitCode::from(status.code().map_or(2, |c| c as u8)),
        Err(error) => failure(
            ErrorKind::Io,
            format!("cannot run {}: {error}", program.display()),
        ),
    }
}

/// Reports a failure of `ferry` itself (as JSON too when the step's arguments ask for it).
fn failure(kind: ErrorKind, message: String) -> ExitCode {
    ferry_cli::finish::<()>("error", Err(Error::msg(kind, message)))
}

fn self_dir() -> Option<PathBuf> {
    env::current_exe().ok()?.parent().map(Path::to_path_buf)
}

/// Directories searched for steps, in order: this executable's directory, then `PATH`.
fn search_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = self_dir().into_iter().collect();
    if let Some(path) = ferry_cli::env::var_os(ferry_cli::env::PATH) {
        dirs.extend(env::split_paths(&path));
    }
    dirs
}

fn find(name: &OsString) -> Option<PathBuf> {
    let file = executable_name(name);
    search_dirs()
        .into_iter()
        .map(|dir| dir.join(&file))
        .find(|p| is_executable(p))
}

fn executable_name(name: &OsString) -> OsString {
    let mut file = name.clone();
    file.push(env::consts::EXE_SUFFIX);
    file
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Steps found on disk (`ferry-*` executables), by step name → where.
fn found_steps() -> BTreeMap<String, PathBuf> {
    let mut found = BTreeMap::new();
    for dir in search_dirs() {
        let Ok(entries) = dir.read_dir() else {
            continue;
        };
        for entry in entries.flatten() {
            let file = entry.file_name();
            let Some(file) = file.to_str() else { continue };
            let Some(step) = file
                .strip_prefix("ferry-")
                .and_then(|s| s.strip_suffix(env::consts::EXE_SUFFIX).or(Some(s)))
            else {
                continue;
            };
            // Skip build artefacts such as `ferry-pr-3f2a.d` next to the binaries.
            if step.is_empty() || step.contains('.') || !is_executable(&entry.path()) {
                continue;
            }
            found.entry(step.to_owned()).or_insert_with(|| entry.path());
        }
    }
    found
}

fn help() -> String {
    let found = found_steps();
    let mut out = String::from(
        "Ferry carries container images through GitOps environments safely.\n\n\
         Usage: ferry STEP [ARGS]...   (runs ferry-STEP; `ferry help STEP` or `ferry STEP --help` for its options)\n\n\
         Steps:\n",
    );
    for (step, summary) in STEPS {
        let mark = if found.contains_key(*step) {
            ""
        } else {
            "  (not installed)"
        };
        out.push_str(&format!("  {step:<10} {summary}{mark}\n"));
    }
    let others: Vec<&String> = found
        .keys()
        .filter(|s| !STEPS.iter().any(|(k, _)| k == s))
        .collect();
    if !others.is_empty() {
        out.push_str("\nOther ferry-* programs found:\n");
        for step in others {
            out.push_str(&format!("  {step}\n"));
        }
    }
    out.push_str(
        "\nOptions:\n  -h, --help     Print this help\n  -V, --version  Print the version\n",
    );
    out
}
