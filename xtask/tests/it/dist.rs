//! `cargo xtask dist`: the archive holds every binary, the licence, the README, completions and
//! man pages; `SHA256SUMS` verifies it.

use std::io::Read as _;

use sha2::Digest as _;

use crate::{binaries, built};

/// The archive's files: path → (mode, bytes); a symbolic link's bytes are `-> TARGET`.
fn entries(archive: &std::path::Path) -> std::collections::BTreeMap<String, (u32, Vec<u8>)> {
    let file = std::fs::File::open(archive).expect("open the archive");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    tar.entries()
        .expect("read the archive")
        .map(|entry| {
            let mut entry = entry.expect("an entry");
            let path = entry.path().expect("a path").to_string_lossy().into_owned();
            let mode = entry.header().mode().expect("a mode");
            let mut bytes = Vec::new();
            if let Some(target) = entry.link_name().expect("a link name") {
                bytes = format!("-> {}", target.display()).into_bytes();
            }
            entry.read_to_end(&mut bytes).expect("read an entry");
            (path, (mode, bytes))
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn the_archive_holds_binaries_docs_completions_and_man_pages_and_its_sums_verify() {
    let Some(built) = built() else { return };
    let archive = built.out.join(format!("{}.tar.gz", built.name));
    let found = entries(&archive);

    let mut expected: Vec<String> = vec!["LICENSE".into(), "README.md".into()];
    for (b, _) in binaries() {
        expected.extend([
            format!("bin/{b}"),
            format!("completions/bash/{b}"),
            format!("completions/zsh/_{b}"),
            format!("completions/fish/{b}.fish"),
            format!("completions/powershell/{b}.ps1"),
            format!("man/man1/{b}.1"),
        ]);
    }
    let mut expected: Vec<String> = expected
        .into_iter()
        .map(|p| format!("{}/{p}", built.name))
        .collect();
    expected.sort();
    let listed: Vec<&String> = found.keys().collect();
    assert_eq!(listed, expected.iter().collect::<Vec<_>>());

    let file = |p: &str| &found[&format!("{}/{p}", built.name)];
    assert_eq!(file("bin/ferry-lint").0, 0o755);
    // One binary; every step is a link to it.
    assert!(file("bin/ferry").1.len() > 8, "bin/ferry is the binary");
    for (b, _) in binaries().iter().filter(|(b, _)| b != "ferry") {
        assert_eq!(file(&format!("bin/{b}")).1, b"-> ferry", "bin/{b}");
    }
    assert_eq!(file("man/man1/ferry-lint.1").0, 0o644);
    let text = |p: &str| String::from_utf8(file(p).1.clone()).expect("text");
    assert!(text("man/man1/ferry-pr.1").contains(".TH ferry-pr 1"));
    assert!(text("man/man1/ferry.1").contains("lint"));
    assert!(text("completions/bash/ferry").contains("lint"));
    assert!(text("completions/zsh/_ferry-lint").starts_with("#compdef ferry-lint"));
    assert!(text("completions/fish/ferry-promote.fish").contains("complete -c ferry-promote"));
    let licence =
        std::fs::read(ferry_test_support::workspace_root().join("LICENSE")).expect("read LICENSE");
    assert_eq!(file("LICENSE").1, licence);

    let sums = std::fs::read_to_string(built.out.join("SHA256SUMS")).expect("read SHA256SUMS");
    let bytes = std::fs::read(&archive).expect("read the archive");
    let hex: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sums, format!("{hex}  {}.tar.gz\n", built.name));
    if let Some(sha256sum) = ferry_test_support::require_tool("sha256sum") {
        let check = std::process::Command::new(sha256sum)
            .args(["--check", "--strict", "SHA256SUMS"])
            .current_dir(&built.out)
            .output()
            .expect("run sha256sum");
        assert!(check.status.success(), "{check:?}");
    }
}
