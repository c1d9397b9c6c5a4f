//! The ignore file: its YAML shape, and refusals that name the line, the column and the field.

use ferry_scan::IgnoreFile;
use jiff::civil::date;

#[test]
fn reads_entries_with_optional_package_and_path() {
    let text = "# accepted findings\nignores:\n  - id: CVE-2019-14697\n    package: musl\n    \
                reason: no fix in the base image yet\n    expires: 2027-01-31\n  - id: KSV-0118\n    \
                path: deploy/frontend.yaml\n    reason: \"default security context | tracked in #12\"\n    \
                expires: '2027-03-01'\n";
    let file = IgnoreFile::parse(text, "scan-ignore.yaml").unwrap();
    assert_eq!(file.ignores.len(), 2);
    let first = &file.ignores[0];
    assert_eq!(first.id, "CVE-2019-14697");
    assert_eq!(first.package.as_deref(), Some("musl"));
    assert_eq!(first.path, None);
    assert_eq!(first.expires, date(2027, 1, 31));
    assert_eq!(
        file.ignores[1].path.as_deref(),
        Some("deploy/frontend.yaml")
    );
    assert_eq!(file.ignores[1].expires, date(2027, 3, 1));
}

#[test]
fn an_empty_file_ignores_nothing() {
    for text in ["", "# nothing accepted\n", "ignores: []\n"] {
        assert_eq!(
            IgnoreFile::parse(text, "i.yaml").unwrap(),
            IgnoreFile::default(),
            "{text:?}"
        );
    }
}

fn error(text: &str) -> String {
    IgnoreFile::parse(text, ".ferry/scan-ignore.yaml")
        .unwrap_err()
        .to_string()
}

#[test]
fn refusals_name_the_file_line_and_field() {
    let cases = [
        // A typo is not silently an entry without an expiry.
        (
            "ignores:\n  - id: CVE-1\n    reason: r\n    expiry: 2027-01-31\n",
            ".ferry/scan-ignore.yaml:4:",
            "expiry",
        ),
        (
            "ignores:\n  - id: CVE-1\n    reason: r\n",
            ".ferry/scan-ignore.yaml:",
            "expires",
        ),
        (
            "ignores:\n  - id: CVE-1\n    expires: 2027-01-31\n",
            ".ferry/scan-ignore.yaml:",
            "reason",
        ),
        (
            "ignores:\n  - id: CVE-1\n    reason: r\n    expires: next week\n",
            ".ferry/scan-ignore.yaml:4:",
            "YYYY-MM-DD",
        ),
        (
            "ignores:\n  - id: CVE-1\n    reason: r\n    expires: 2027-02-30\n",
            ".ferry/scan-ignore.yaml:4:",
            "not a date",
        ),
        (
            "ignores:\n  - id: CVE-1\n    reason: '  '\n    expires: 2027-01-31\n",
            ".ferry/scan-ignore.yaml:3:",
            "must not be empty",
        ),
        (
            "ignore:\n  - id: CVE-1\n",
            ".ferry/scan-ignore.yaml:1:",
            "ignore",
        ),
        ("ignores:\n  - id: [CVE-1\n", ".ferry/scan-ignore.yaml:", ""),
    ];
    for (text, prefix, needle) in cases {
        let message = error(text);
        assert!(
            message.starts_with(prefix) && message.contains(needle),
            "{text:?}: {message}"
        );
    }
}

#[test]
fn reads_a_file_and_refuses_what_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan-ignore.yaml");
    std::fs::write(
        &path,
        "ignores:\n  - id: CVE-1\n    reason: r\n    expires: 2027-01-31\n",
    )
    .unwrap();
    assert_eq!(IgnoreFile::read(&path).unwrap().ignores.len(), 1);
    let err = IgnoreFile::read(dir.path()).unwrap_err().to_string();
    assert!(err.contains("not a regular file"), "{err}");
    let err = IgnoreFile::read(&dir.path().join("missing.yaml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.yaml"), "{err}");
    std::fs::write(&path, [b'a', 0xff, b'\n']).unwrap();
    let err = IgnoreFile::read(&path).unwrap_err().to_string();
    assert!(err.contains("not UTF-8"), "{err}");
}
