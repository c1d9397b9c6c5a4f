//! `ferry-set-image`: set, change or remove `images:` entries of a kustomization, changing only
//! the bytes of the entries concerned.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use ferry_cli::{Error, Format, Result};
use ferry_kustomize::{
    FileEditError, ImageEdit, ImageEntry, ImageSpec, WriteMode, set_images_in_file,
};
use serde_json::json;

/// Exit code: a --check run found that the file would change.
const EXIT_WOULD_CHANGE: u8 = 1;

/// Set image names, tags and digests in a kustomization without reformatting it.
///
/// SPEC is one of NAME=NEWNAME:TAG@DIGEST, NAME=NEWNAME, NAME=NEWNAME:TAG, NAME=NEWNAME@DIGEST,
/// NAME:TAG, NAME@DIGEST, NAME:TAG@DIGEST, as in `kustomize edit set image`. A SPEC replaces the
/// whole entry: fields it does not mention are removed; `*` keeps the current NEWNAME, TAG or
/// DIGEST (for example `app=*:1.4.0` changes only the tag). Only the bytes of the changed entries
/// change; comments, order, quoting, indentation and line endings stay as they are.
///
/// Exit codes: 0 done (changed or already up to date), 1 --check found a change to make or a
/// read-only file was refused, 2 bad usage or bad input, 3 reading or writing failed. With
/// GITHUB_OUTPUT set, `changed=true|false` is appended to it.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    long_about,
    after_help = "Examples:\n  ferry-set-image overlays/dev backend=registry.example.com/acme/backend:1.4.0\n  ferry-set-image overlays/prod backend=*@sha256:<64 hex> --check\n  ferry-set-image kustomization.yaml --remove old-sidecar"
)]
struct Cli {
    /// A kustomization file or a directory holding one (default `.`), followed by SPECs.
    #[arg(value_name = "[DIR|FILE] SPEC")]
    args: Vec<String>,
    /// Remove the entry with this name (repeatable).
    #[arg(long, value_name = "NAME")]
    remove: Vec<String>,
    /// Write nothing; exit 1 when the file would change.
    #[arg(long)]
    check: bool,
    /// Replace the file even when it is read-only (its mode and owner are kept).
    #[arg(long, conflicts_with = "check")]
    force: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Splits the positional arguments into the target path and the edits.
fn plan(cli: &Cli) -> Result<(PathBuf, Vec<ImageEdit>)> {
    let mut args = cli.args.as_slice();
    let mut target = PathBuf::from(".");
    if let Some(first) = args.first()
        && Path::new(first).exists()
    {
        target = PathBuf::from(first);
        args = &args[1..];
    }
    let mut edits = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        match ImageSpec::parse(arg) {
            Ok(spec) => edits.push(ImageEdit::Set(spec)),
            Err(e) if i == 0 && target == Path::new(".") && cli.args.len() > 1 => {
                return Err(Error::usage(format!(
                    "{e}\n(`{arg}` is not an existing file or directory either)"
                )));
            }
            Err(e) => return Err(Error::usage(e.to_string())),
        }
    }
    for name in &cli.remove {
        if let Err(reason) = ferry_kustomize::spec::check_name(name, "image name") {
            return Err(Error::usage(format!("--remove {name}: {reason}")));
        }
        edits.push(ImageEdit::Remove(name.clone()));
    }
    if edits.is_empty() {
        return Err(Error::usage(
            "no image specified: give at least one SPEC or --remove NAME (see --help)",
        ));
    }
    Ok((target, edits))
}

fn reference(entry: &ImageEntry) -> String {
    let mut out = entry.new_name.clone().unwrap_or_else(|| entry.name.clone());
    if let Some(tag) = &entry.new_tag {
        out.push(':');
        out.push_str(tag);
    } else if let (Some(suffix), None) = (&entry.tag_suffix, &entry.digest) {
        out.push_str(":<tag>");
        out.push_str(suffix);
    }
    if let Some(digest) = &entry.digest {
        out.push('@');
        out.push_str(digest);
    }
    out
}

/// One line per entry that was added, changed or removed.
fn changes(before: &[ImageEntry], after: &[ImageEntry]) -> Vec<String> {
    // By name, so that a file with very many entries is compared in linear time.
    let old: std::collections::HashMap<&str, &ImageEntry> =
        before.iter().map(|e| (e.name.as_str(), e)).collect();
    let new: std::collections::HashSet<&str> = after.iter().map(|e| e.name.as_str()).collect();
    let mut lines = Vec::new();
    for entry in after {
        match old.get(entry.name.as_str()).copied() {
            Some(old) if old == entry => {}
            Some(old) => lines.push(format!(
                "  {}: {} -> {}",
                entry.name,
                reference(old),
                reference(entry)
            )),
            None => lines.push(format!("  {}: added {}", entry.name, reference(entry))),
        }
    }
    for old in before {
        if !new.contains(old.name.as_str()) {
            lines.push(format!("  {}: removed", old.name));
        }
    }
    lines
}

/// Appends `changed=true|false` to `$GITHUB_OUTPUT`; a failure is only a warning.
fn github_output(changed: bool) {
    if let Err(e) = ferry_cli::github_output::write(&[("changed", changed.to_string())]) {
        tracing::warn!("{e}");
    }
}

fn run(cli: &Cli) -> Result<u8> {
    let (target, edits) = plan(cli)?;
    let mode = if cli.check {
        WriteMode::Check
    } else if cli.force {
        WriteMode::Force
    } else {
        WriteMode::Write
    };
    let result = set_images_in_file(&target, &edits, mode)?;
    let outcome = &result.outcome;
    for edit in &edits {
        if let ImageEdit::Set(spec) = edit
            && !outcome.before.iter().any(|e| e.name == spec.name)
            && let Some(similar) = outcome
                .before
                .iter()
                .find(|e| e.name.rsplit('/').next() == Some(spec.name.as_str()))
        {
            eprintln!(
                "warning: no entry is named `{}`, so a new entry was {}; entries match images by their full name, did you mean `{}`?",
                spec.name,
                if cli.check { "planned" } else { "added" },
                similar.name
            );
        }
    }
    for entry in &outcome.after {
        if entry.tag_suffix.is_some() && (entry.new_tag.is_some() || entry.digest.is_some()) {
            eprintln!(
                "warning: `images` entry `{}` has a tagSuffix, which kustomize ignores while the entry sets newTag or digest",
                entry.name
            );
        }
    }
    github_output(outcome.changed);
    let path = result.path.display().to_string();
    match cli.format {
        Format::Json => {
            let value = json!({
                "file": path,
                "changed": outcome.changed,
                "written": result.written,
                "check": cli.check,
                "before": outcome.before,
                "after": outcome.after,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
        Format::Text => {
            if !outcome.changed {
                println!("{path}: up to date");
            } else {
                let verb = if cli.check { "would change" } else { "updated" };
                println!("{path}: {verb}");
                for line in changes(&outcome.before, &outcome.after) {
                    println!("{line}");
                }
            }
        }
    }
    Ok(if cli.check && outcome.changed {
        EXIT_WOULD_CHANGE
    } else {
        0
    })
}

/// Runs `ferry-set-image` with this command line (the program name first): the binary's `main`,
/// and `ferry set-image` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_from(args, "error", |cli: Cli| run(&cli).map_err(located))
}

/// The error with the `file`, `line` and `column` of the JSON report (null when unknown).
fn located(error: Error) -> Error {
    let (file, line, column) =
        error
            .downcast_ref::<FileEditError>()
            .map_or((None, None, None), |e| {
                let (path, line, column) = e.location();
                (Some(path.display().to_string()), line, column)
            });
    error
        .with("file", file)
        .with("line", line)
        .with("column", column)
}
