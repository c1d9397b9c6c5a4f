//! `ferry`: the multi-call binary of Ferry's steps. `ferry STEP ARGS…` runs the step in this
//! process, as `ferry-STEP ARGS…` would; so does this binary when it is invoked through a link
//! named `ferry-STEP` (the release archive ships one `ferry` and a link per step). A `STEP`
//! it does not know runs `ferry-STEP`, looked up first beside this executable, then on `PATH`
//! (as `git` and `cargo` find their subcommands). `ferry --help` lists the steps it knows and
//! the other `ferry-*` programs it finds.
//!
//! Exit codes: the step's own; 2 when the step is unknown, 3 when it cannot be started.

use std::collections::BTreeMap;
use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use ferry_cli::{Error, ErrorKind};

/// A step's entry point: its binary's `main`, given the command line (the program name first).
type Entry = fn(Vec<OsString>) -> ExitCode;

/// The steps Ferry ships, in pipeline order: the name, a one-line summary, and the step's
/// `main` (the library of its `bins/ferry-STEP` package), which `ferry STEP …` and a link
/// `ferry-STEP` → `ferry` run in-process. A new step adds one line here and its package to
/// `Cargo.toml`.
const STEPS: &[(&str, &str, Entry)] = &[
    (
        "init",
        "write the GitOps repository: ferry.toml, overlays, Argo CD, workflows",
        ferry_init_cli::main,
    ),
    (
        "tag",
        "compute image tags from the Git context (docker/metadata-action rules)",
        ferry_tag::main,
    ),
    (
        "build",
        "build an image on the Docker Engine, push its tags, report the digest",
        ferry_build_cli::main,
    ),
    (
        "image",
        "check, inspect and copy images in a registry",
        ferry_image_cli::main,
    ),
    (
        "scan",
        "gate Trivy reports: severities, expiring ignores, SARIF for code scanning",
        ferry_scan_cli::main,
    ),
    (
        "set-image",
        "set an image in a kustomization, editing one entry in place",
        ferry_set_image::main,
    ),
    (
        "validate",
        "validate overlays and list the image each workload runs",
        ferry_validate::main,
    ),
    (
        "render",
        "print an overlay's kustomize build output, byte-identical to kubectl kustomize",
        ferry_render::main,
    ),
    (
        "diff",
        "show a GitOps change rendered, object by object, and drift between environments",
        ferry_diff_cli::main,
    ),
    (
        "pr",
        "open, update, wait for and clean up the GitOps change of an environment",
        ferry_pr::main,
    ),
    (
        "promote",
        "promote what one environment ran and verified to the next",
        ferry_promote::main,
    ),
    (
        "monitor",
        "watch an environment's health after a deployment",
        ferry_monitor::main,
    ),
    (
        "rollout",
        "control Argo Rollouts: status, promote, abort, retry, undo",
        ferry_rollout::main,
    ),
    (
        "preview",
        "deploy a candidate into a preview namespace, test it, smoke-test a blue-green preview, clean up",
        ferry_preview_cli::main,
    ),
    (
        "rollback",
        "put an environment back on its last verified images, in Git, and hold",
        ferry_rollback_cli::main,
    ),
    (
        "ledger",
        "show what each environment ran, from Git history",
        ferry_ledger_cli::main,
    ),
    (
        "status",
        "every environment at a glance: images, verified, held, open changes, soak",
        ferry_status::main,
    ),
    (
        "metrics",
        "delivery metrics (DORA) from the Git history; text, JSON or an HTML report",
        ferry_metrics::main,
    ),
    (
        "lint",
        "check workflows and ferry.toml against the rules that break pipelines",
        ferry_lint_cli::main,
    ),
];

fn main() -> ExitCode {
    let mut args = env::args_os();
    let program = args.next();
    // Invoked as `ferry-STEP` (a link to this binary): that step, with the command line as is.
    if let Some(entry) = program.as_deref().and_then(linked_step) {
        return entry(env::args_os().collect());
    }
    ferry_cli::report::quiet_on_broken_pipe();
    if let Some(code) = ferry_cli::generate::answer(command) {
        return ExitCode::from(u8::try_from(code).unwrap_or(2));
    }
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
        Some("help") => run_step(&rest[0], vec![OsString::from("--help")]),
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
        _ => run_step(&first, rest),
    }
}

/// The entry of the step this program name calls for: `ferry-STEP` (or `ferry-STEP.exe`), by
/// its file name, for a step of [`STEPS`].
fn linked_step(program: &std::ffi::OsStr) -> Option<Entry> {
    let file = Path::new(program).file_name()?.to_str()?;
    let file = file.strip_suffix(env::consts::EXE_SUFFIX).unwrap_or(file);
    let step = file.strip_prefix("ferry-")?;
    builtin(step)
}

/// The entry of a step of [`STEPS`].
fn builtin(step: &str) -> Option<Entry> {
    STEPS
        .iter()
        .find(|(name, _, _)| *name == step)
        .map(|&(_, _, entry)| entry)
}

/// The front end's command line as clap describes it, for its man page and completions
/// (`ferry --ferry-generate man|bash|…`): one subcommand per step, its arguments the step's own.
fn command() -> clap::Command {
    let mut cmd = clap::Command::new("ferry")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Ferry carries container images through GitOps environments safely.")
        .long_about(
            "Ferry carries container images through GitOps environments safely. \
             `ferry STEP ARGS` runs step STEP as `ferry-STEP ARGS` would (other steps: \
             `ferry-STEP` found beside ferry, then on PATH); \
             `ferry help STEP` or `ferry STEP --help` shows a step's options (and `man ferry-STEP`).",
        )
        .subcommand_required(true);
    for (step, summary, _) in STEPS {
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

fn run_step(step: &OsString, args: Vec<OsString>) -> ExitCode {
    let name = {
        let mut n = OsString::from("ferry-");
        n.push(step);
        n
    };
    if let Some(entry) = step.to_str().and_then(builtin) {
        let mut command_line = vec![name];
        command_line.extend(args);
        return entry(command_line);
    }
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
    exec(&program, &args)
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
         Usage: ferry STEP [ARGS]...   (as ferry-STEP; `ferry help STEP` or `ferry STEP --help` for its options)\n\n\
         Steps:\n",
    );
    for (step, summary, _) in STEPS {
        out.push_str(&format!("  {step:<10} {summary}\n"));
    }
    let others: Vec<&String> = found.keys().filter(|s| builtin(s).is_none()).collect();
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
