//! The composite action `action.yml`: actionlint and zizmor find nothing in it, and its install
//! script installs a `cargo xtask dist` archive after checking it against `SHA256SUMS`, refuses
//! a wrong checksum and builds with `cargo install --locked` when there is no archive.

use std::path::Path;
use std::process::{Command, Output};

use ferry_test_support::{require_tool, workspace_root};

/// A repository holding the action and a workflow that uses it (`uses: ./`), so actionlint
/// checks the action's inputs and outputs where it is used.
fn harness() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::copy(
        workspace_root().join("action.yml"),
        dir.path().join("action.yml"),
    )
    .expect("copy action.yml");
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).expect("create the workflows directory");
    std::fs::write(
        workflows.join("install.yml"),
        "name: Install\non: push\npermissions: {}\njobs:\n  install:\n    runs-on: ubuntu-latest\n    steps:\n\
         \x20     - id: ferry\n        uses: ./\n        with:\n          version: 0.1.0\n\
         \x20     - run: ferry --version && echo \"$BIN_DIR ($METHOD)\"\n        env:\n\
         \x20         BIN_DIR: ${{ steps.ferry.outputs.bin-dir }}\n\
         \x20         METHOD: ${{ steps.ferry.outputs.method }}\n",
    )
    .expect("write the workflow");
    let git = Command::new("git")
        .args(["init", "--quiet"])
        .current_dir(dir.path())
        .status()
        .expect("run git init");
    assert!(git.success());
    dir
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn actionlint_and_zizmor_find_nothing_in_the_action() {
    let (Some(actionlint), Some(zizmor)) = (require_tool("actionlint"), require_tool("zizmor"))
    else {
        return;
    };
    let repo = harness();
    let out = Command::new(actionlint)
        .current_dir(repo.path())
        .output()
        .expect("run actionlint");
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}",
        text(&out)
    );
    let out = Command::new(zizmor)
        .args(["--offline", "action.yml"])
        .current_dir(repo.path())
        .output()
        .expect("run zizmor");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("No findings to report"),
        "{}",
        text(&out)
    );
}

/// A mistake in the action is found: the test above cannot pass on a linter that checks
/// nothing.
#[test]
fn actionlint_finds_a_wrong_input_of_the_action() {
    let Some(actionlint) = require_tool("actionlint") else {
        return;
    };
    let repo = harness();
    let workflow = repo.path().join(".github/workflows/install.yml");
    let text_before = std::fs::read_to_string(&workflow).expect("read the workflow");
    std::fs::write(
        &workflow,
        text_before.replace("version: 0.1.0", "versoin: 0.1.0"),
    )
    .expect("write the workflow");
    let out = Command::new(actionlint)
        .current_dir(repo.path())
        .output()
        .expect("run actionlint");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("input \"versoin\" is not defined"),
        "{}",
        text(&out)
    );
}

/// The action's install script (its one `run:`), read through ferry-kustomize.
fn install_script() -> String {
    let text =
        std::fs::read_to_string(workspace_root().join("action.yml")).expect("read action.yml");
    let doc = ferry_kustomize::located::parse_located(&text, "action.yml")
        .expect("action.yml is YAML")
        .expect("one document");
    let steps = doc
        .get("runs")
        .and_then(|r| r.get("steps"))
        .expect("runs.steps");
    assert_eq!(
        doc.get("runs")
            .and_then(|r| r.get("using"))
            .and_then(|u| u.as_str()),
        Some("composite")
    );
    steps.items()[0]
        .get("run")
        .and_then(|r| r.as_str())
        .expect("the install step's run")
        .to_string()
}

/// Runs the install script as the runner would, with `curl` serving `releases` (a directory
/// per tag) and a `cargo` that records its arguments and installs a stand-in `ferry`.
#[cfg(unix)]
fn install(releases: &Path, version: &str, work: &Path) -> (Output, String, Option<String>) {
    use std::os::unix::fs::PermissionsExt;
    let fake = work.join("fake-bin");
    std::fs::create_dir_all(&fake).expect("create fake-bin");
    let curl = format!(
        "#!/bin/sh\n# The last argument is the URL, the one after --output the file.\n\
         out=''; url=''\nwhile [ $# -gt 0 ]; do\n  case \"$1\" in\n    --output) out=\"$2\"; shift ;;\n    *) url=\"$1\" ;;\n  esac\n  shift\ndone\n\
         file='{}'/\"${{url#https://github.com/ferry-gitops/ferry/releases/download/}}\"\n\
         [ -f \"$file\" ] || {{ echo \"curl: (22) 404 $url\" >&2; exit 22; }}\ncp \"$file\" \"$out\"\n",
        releases.display()
    );
    let cargo = format!(
        "#!/bin/sh\necho \"$*\" > '{}/cargo-args'\nmkdir -p \"$CARGO_HOME/bin\"\n\
         printf '#!/bin/sh\\necho ferry built by cargo\\n' > \"$CARGO_HOME/bin/ferry\"\nchmod +x \"$CARGO_HOME/bin/ferry\"\n",
        work.display()
    );
    for (name, script) in [("curl", curl), ("cargo", cargo)] {
        let path = fake.join(name);
        std::fs::write(&path, script).expect("write a stand-in");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("make it executable");
    }
    let cargo_home = work.join("cargo-home");
    let output = work.join("github-output");
    std::fs::write(&output, "").expect("create GITHUB_OUTPUT");
    let (os, arch) = match std::env::consts::ARCH {
        "aarch64" => ("Linux", "ARM64"),
        _ => ("Linux", "X64"),
    };
    let path = format!(
        "{}:{}/bin:/usr/bin:/bin",
        fake.display(),
        cargo_home.display()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(install_script())
        .env_clear()
        .env("PATH", path)
        .env("HOME", work)
        .env("CARGO_HOME", &cargo_home)
        .env("GITHUB_OUTPUT", &output)
        .env("RUNNER_OS", os)
        .env("RUNNER_ARCH", arch)
        .env("FERRY_VERSION", version)
        .env("FERRY_REPOSITORY", "ferry-gitops/ferry")
        .output()
        .expect("run the install script");
    let outputs = std::fs::read_to_string(&output).expect("read GITHUB_OUTPUT");
    let cargo_args = std::fs::read_to_string(work.join("cargo-args")).ok();
    (out, outputs, cargo_args)
}

#[cfg(unix)]
#[test]
fn the_action_installs_the_archive_checksum_verified_or_builds_with_cargo() {
    let Some(built) = crate::built() else { return };
    if !built.target.ends_with("-unknown-linux-gnu") {
        ferry_test_support::skip_notice(&format!(
            "the install test plays a Linux runner; the host is {}",
            built.target
        ));
        return;
    }
    let version = env!("CARGO_PKG_VERSION");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let releases = dir.path().join("releases");
    let tag = releases.join(format!("v{version}"));
    ferry_test_support::git::copy_dir(&built.out, &tag);

    // The archive, checksum verified.
    let work = dir.path().join("ok");
    let (out, outputs, cargo) = install(&releases, version, &work);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("checksum verified"), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("ferry {version}")),
        "{}",
        text(&out)
    );
    let bin_dir = work.join("cargo-home/bin");
    assert!(
        outputs.contains(&format!("bin-dir={}\n", bin_dir.display())),
        "{outputs}"
    );
    assert!(outputs.contains("method=archive\n"), "{outputs}");
    assert_eq!(cargo, None);
    for (binary, _) in crate::binaries() {
        assert!(bin_dir.join(binary).is_file(), "{binary} not installed");
    }

    // A wrong checksum is refused, never worked around with cargo.
    let sums = tag.join("SHA256SUMS");
    let good = std::fs::read_to_string(&sums).expect("read SHA256SUMS");
    std::fs::write(&sums, format!("{}{}", "0".repeat(64), &good[64..])).expect("spoil the sums");
    let work = dir.path().join("tampered");
    let (out, _, cargo) = install(&releases, version, &work);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("checksum mismatch"), "{}", text(&out));
    assert_eq!(cargo, None);
    assert!(!work.join("cargo-home/bin/ferry").exists());

    // No archive for the release: cargo install --locked from the tag.
    let work = dir.path().join("cargo");
    let (out, outputs, cargo) = install(&releases, "9.9.9", &work);
    assert!(out.status.success(), "{}", text(&out));
    assert!(outputs.contains("method=cargo\n"), "{outputs}");
    let cargo = cargo.expect("cargo was run");
    assert!(
        cargo.starts_with("install --locked --root")
            && cargo.contains("--git https://github.com/ferry-gitops/ferry --tag v9.9.9")
            && cargo.contains("ferry-lint-cli"),
        "{cargo}"
    );
    // It installs exactly the packages of bins/: a library package there has no binary and
    // fails `cargo install`.
    let named: std::collections::BTreeSet<&str> = cargo
        .split_whitespace()
        .skip_while(|word| *word != "--tag")
        .skip(2)
        .collect();
    assert_eq!(
        named,
        binary_packages().iter().map(String::as_str).collect(),
        "{cargo}"
    );

    // Inputs are checked before they reach a URL or a command.
    let work = dir.path().join("bad");
    let (out, _, cargo) = install(&releases, "1.0; rm -rf /", &work);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(cargo, None);
}

/// The packages that ship the release's binaries (`cargo xtask dist --list`).
fn binary_packages() -> std::collections::BTreeSet<String> {
    crate::binaries().iter().map(|(_, p)| p.clone()).collect()
}
