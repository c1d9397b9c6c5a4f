//! xtask's integration tests: one test binary (see docs/architecture.md).

mod action;
mod demo;
mod dist;

use std::path::PathBuf;

/// `target/debug`: this test runs from `target/debug/deps`.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("target/debug")
        .to_path_buf()
}

/// `cargo xtask ARGS`: its standard output, when it succeeds.
fn xtask(args: &[&std::ffi::OsStr]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("run xtask");
    assert!(
        out.status.success(),
        "xtask {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Every binary a release ships and its package, `ferry` first: `cargo xtask dist --list`,
/// the xtask's one list (the packages under `bins/`).
pub fn binaries() -> &'static [(String, String)] {
    static BINARIES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    BINARIES.get_or_init(|| {
        let list: Vec<(String, String)> = xtask(&["dist".as_ref(), "--list".as_ref()])
            .lines()
            .map(|l| {
                let (binary, package) = l.split_once(' ').expect("BINARY PACKAGE");
                (binary.to_owned(), package.to_owned())
            })
            .collect();
        assert_eq!(list.first().map(|(b, _)| b.as_str()), Some("ferry"));
        list
    })
}

/// A release made by `cargo xtask dist` from the workspace's debug binaries.
pub struct Built {
    /// Where `dist` wrote the archive and `SHA256SUMS`.
    pub out: PathBuf,
    /// The archive's top directory, `ferry-vVERSION-TARGET`.
    pub name: String,
    /// The host target.
    pub target: String,
}

/// `cargo xtask dist --bin-dir` on a small launcher of the debug `ferry` (the archive's layout,
/// completions and man pages are the real ones; the launchers keep it small and quick), made
/// once per test run; `None` (a skip notice, a failure under CI) when the binaries are not
/// built.
#[cfg(unix)]
pub fn built() -> Option<&'static Built> {
    use std::os::unix::fs::PermissionsExt;
    static BUILT: std::sync::OnceLock<Option<Built>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            // The release ships the multi-call `ferry` only; the steps are links to it.
            let bins = bin_dir();
            if !bins.join("ferry").is_file() {
                ferry_test_support::skip_notice(&format!(
                    "ferry is not built in {}; run `cargo test --workspace`",
                    bins.display()
                ));
                return None;
            }
            let dir = tempfile::tempdir().expect("a temporary directory").keep();
            let launchers = dir.join("bin");
            std::fs::create_dir_all(&launchers).expect("create the launcher directory");
            let path = launchers.join("ferry");
            let script = format!(
                "#!/bin/sh\nexec '{}' \"$@\"\n",
                bins.join("ferry").display()
            );
            std::fs::write(&path, script).expect("write a launcher");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .expect("make the launcher executable");
            let out = dir.join("dist");
            xtask(&[
                "dist".as_ref(),
                "--bin-dir".as_ref(),
                launchers.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
            ]);
            let rustc = std::process::Command::new("rustc")
                .arg("-vV")
                .output()
                .expect("run rustc -vV");
            let target = String::from_utf8_lossy(&rustc.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("host: "))
                .expect("rustc names its host")
                .to_string();
            Some(Built {
                out,
                name: format!("ferry-v{}-{target}", env!("CARGO_PKG_VERSION")),
                target,
            })
        })
        .as_ref()
}
