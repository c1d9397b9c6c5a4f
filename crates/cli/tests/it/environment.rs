//! Every environment variable Ferry reads is one constant of `ferry_cli::env`, documented in
//! docs/environment.md (generated from that module), and only `ferry-cli` reads the environment.
//!
//! `FERRY_BLESS=1 cargo test -p ferry-cli --test environment` rewrites docs/environment.md.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `(name, doc)` of each `pub const` of crates/cli/src/env.rs, in order.
fn variables() -> Vec<(String, String)> {
    let source = std::fs::read_to_string(root().join("crates/cli/src/env.rs")).expect("env.rs");
    let mut doc: Vec<String> = Vec::new();
    let mut vars = Vec::new();
    for line in source.lines() {
        let line = line.trim();
        if let Some(text) = line.strip_prefix("///") {
            doc.push(text.trim().to_owned());
        } else if let Some(rest) = line.strip_prefix("pub const ") {
            let (name, value) = rest
                .split_once(": &str = ")
                .expect("pub const NAME: &str = …");
            assert_eq!(
                value,
                format!("\"{name}\";"),
                "the constant {name} holds its own name"
            );
            assert!(!doc.is_empty(), "the constant {name} has no doc comment");
            vars.push((name.to_owned(), doc.join(" ")));
            doc.clear();
        } else {
            doc.clear();
        }
    }
    vars
}

fn render(vars: &[(String, String)]) -> String {
    let mut out = String::from(
        "# Environment variables\n\n\
         <!-- Generated from crates/cli/src/env.rs: edit the doc comments there, then run\n     \
         FERRY_BLESS=1 cargo test -p ferry-cli --test environment -->\n\n\
         Every environment variable Ferry reads. Only `ferry-cli` reads them (`ferry_cli::env`, \
         one constant each); the library crates take every value as an argument. Besides these, \
         Ferry reads the variables `ferry.toml` names in `[registries.\"HOST\"]` \
         (`username-env`, `password-env`, `token-env`, [config.md](config.md)) and those \
         `ferry-build --build-arg NAME` and `--secret-build-arg NAME` name \
         ([ferry-build.md](ferry-build.md)), and scrubs the \
         values of variables whose names say they hold a secret (`*TOKEN*`, `*PASSWORD*`, \
         `*SECRET*`, …) from everything it prints ([cli.md](cli.md)).\n\n\
         | Variable | Meaning |\n|---|---|\n",
    );
    for (name, doc) in vars {
        out.push_str(&format!("| `{name}` | {} |\n", doc.replace('|', "\\|")));
    }
    out
}

#[test]
fn docs_environment_md_is_generated_from_the_env_module() {
    let vars = variables();
    assert!(vars.len() > 20, "{vars:?}");
    let expected = render(&vars);
    let path = root().join("docs/environment.md");
    if std::env::var_os("FERRY_BLESS").is_some() {
        std::fs::write(&path, &expected).expect("writes docs/environment.md");
    }
    let actual = std::fs::read_to_string(&path).expect("docs/environment.md");
    assert!(
        actual == expected,
        "docs/environment.md is not what crates/cli/src/env.rs says; run \
         FERRY_BLESS=1 cargo test -p ferry-cli --test environment\n--- expected:\n{expected}"
    );
}

/// How the environment is read: std's functions and clap's `env = "NAME"` (name a constant of
/// `ferry_cli::env` instead, which this test cannot tell from the literal).
const READS: &[&str] = &[
    "env::var(",
    "env::var_os(",
    "env::vars(",
    "env::vars_os(",
    "env = \"",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("reads the directory")
        .flatten()
    {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            // Tests and test support read the environment of the test run, as they like.
            if name != "tests" && name != "target" {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") && name != "tests.rs" {
            out.push(path);
        }
    }
}

/// Sources that still read the environment themselves, until their binaries move onto the
/// front end (`ferry-promote` and `ferry-rollback`, with their orchestration). A file listed
/// here that reads nothing any more fails the test: take it off the list.
const NOT_YET: &[&str] = &[];

/// Only `ferry-cli` reads environment variables: no library crate, no binary.
#[test]
fn only_ferry_cli_reads_the_environment() {
    let root = root();
    let mut files = Vec::new();
    for dir in ["crates", "bins"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "found only {} sources", files.len());
    let mut reads = Vec::new();
    let mut not_yet = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).expect("under the root");
        let relative = relative.to_string_lossy().replace('\\', "/");
        if relative.starts_with("crates/cli/") || relative.starts_with("crates/test-support/") {
            continue;
        }
        // A package's build script runs when Cargo builds it and reads what Cargo sets for it
        // (`CARGO_CFG_*`), never the environment Ferry runs in.
        if relative.matches('/').count() == 2 && relative.ends_with("/build.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("reads the source");
        // Unit tests at the end of a file read what they like.
        let code = text.split("#[cfg(test)]\nmod ").next().unwrap_or(&text);
        for (number, line) in code.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") {
                continue;
            }
            // `ferry_cli::env::var(…)` is the way to read.
            let line = line.replace("ferry_cli::env::", "");
            if READS.iter().any(|read| line.contains(read)) {
                if NOT_YET.contains(&relative.as_str()) {
                    not_yet.push(relative.clone());
                } else {
                    reads.push(format!("{relative}:{}: {}", number + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        reads.is_empty(),
        "only ferry-cli reads the environment (add the variable to ferry_cli::env and read it \
         there):\n{}",
        reads.join("\n")
    );
    for file in NOT_YET {
        assert!(
            not_yet.iter().any(|f| f == file),
            "{file} reads no environment variable any more: take it off NOT_YET"
        );
    }
}
