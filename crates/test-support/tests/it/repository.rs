//! The repository's own promises: a licence file matching Cargo.toml, no stale "not yet" text.

use ferry_test_support::workspace_root;

#[test]
fn the_license_file_matches_cargo_toml() {
    let root = workspace_root();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    assert!(manifest.contains("license = \"Apache-2.0\""), "{manifest}");
    let license = std::fs::read_to_string(root.join("LICENSE")).expect("a LICENSE file");
    assert!(license.trim_start().starts_with("Apache License"));
    assert!(license.contains("Version 2.0, January 2004"));
    assert!(license.contains("END OF TERMS AND CONDITIONS"));
}

#[test]
fn docs_say_nothing_is_missing_that_exists() {
    let root = workspace_root();
    let mut pages = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        pages.push(entry.expect("a docs entry").path());
    }
    for page in pages {
        let text = std::fs::read_to_string(&page).expect("a page");
        for stale in ["does not exist yet", "not implemented yet"] {
            assert!(
                !text.contains(stale),
                "{} says `{stale}`; check it against the code",
                page.display()
            );
        }
    }
}
