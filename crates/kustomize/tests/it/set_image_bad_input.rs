//! Bad input: each case gives a clear error (with a line where there is one), leaves the file
//! byte-for-byte unchanged, and never panics.

use std::path::Path;

use ferry_kustomize::{
    EditErrorKind, FileEditError, ImageEdit, ImageSpec, WriteMode, set_images_in_file,
};

fn edit() -> Vec<ImageEdit> {
    vec![ImageEdit::Set(ImageSpec::parse("app:1.4.0").unwrap())]
}

/// Writes `content`, runs the edit, checks the file is unchanged, returns the error.
fn refused(dir: &Path, name: &str, content: &[u8]) -> FileEditError {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    let err = set_images_in_file(&path, &edit(), WriteMode::Write).expect_err(name);
    assert!(
        std::fs::read(&path).unwrap() == content,
        "{name}: the file changed"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("ferry-"))
        .collect();
    assert!(leftovers.is_empty(), "{name}: temporary files left behind");
    err
}

fn edit_error(err: &FileEditError) -> &ferry_kustomize::EditError {
    match err {
        FileEditError::Edit { source, .. } => source,
        other => panic!("expected an edit error, got {other}"),
    }
}

#[test]
fn line_numbered_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, EditErrorKind, usize, &str)] = &[
        (
            "malformed.yaml",
            "resources:\n- a.yaml\nimages: [\n- name: app\n",
            EditErrorKind::Yaml,
            4,
            "invalid YAML",
        ),
        (
            "unclosed-quote.yaml",
            "images:\n- name: \"app\n  newTag: x\n",
            EditErrorKind::Yaml,
            2,
            "invalid YAML",
        ),
        (
            "tabs.yaml",
            "images:\n\t- name: app\n",
            EditErrorKind::Yaml,
            2,
            "tab",
        ),
        (
            "duplicate-top.yaml",
            "images: []\nnamespace: a\nimages: []\n",
            EditErrorKind::Invalid,
            3,
            "duplicate key `images`",
        ),
        (
            "duplicate-field.yaml",
            "images:\n- name: app\n  newTag: a\n  newTag: b\n",
            EditErrorKind::Invalid,
            4,
            "duplicate key `newTag`",
        ),
        (
            "duplicate-entry.yaml",
            "images:\n- name: app\n- name: app\n",
            EditErrorKind::Invalid,
            3,
            "second entry for `app`",
        ),
        (
            "anchor.yaml",
            "images:\n- &a\n  name: app\n  newTag: x\n",
            EditErrorKind::Unsupported,
            3,
            "anchors and aliases",
        ),
        (
            "alias.yaml",
            "x: &t v1\nimages:\n- name: app\n  newTag: *t\n",
            EditErrorKind::Unsupported,
            1,
            "anchors and aliases",
        ),
        (
            "number-tag.yaml",
            "images:\n- name: web\n  newTag: 1.10\n",
            EditErrorKind::Invalid,
            3,
            "quote it",
        ),
        (
            "unknown-field.yaml",
            "images:\n- name: app\n  tag: x\n",
            EditErrorKind::Invalid,
            3,
            "unknown field `tag`",
        ),
        (
            "not-a-list.yaml",
            "images:\n  app: x\n",
            EditErrorKind::Invalid,
            2,
            "must be a list",
        ),
        (
            "scalar-root.yaml",
            "just text\n",
            EditErrorKind::Invalid,
            1,
            "must be a mapping",
        ),
        (
            "two-documents.yaml",
            "images: []\n---\nimages: []\n",
            EditErrorKind::Unsupported,
            2,
            "one YAML document",
        ),
        (
            "multiline-tag.yaml",
            "images:\n- name: app\n  newTag: |\n    1.0\n",
            EditErrorKind::Unsupported,
            3,
            "several lines",
        ),
    ];
    let mut wrong = Vec::new();
    for (name, content, kind, line, needle) in cases {
        let err = refused(tmp.path(), name, content.as_bytes());
        let e = edit_error(&err);
        let text = err.to_string();
        let prefix = format!("{}:{line}:", tmp.path().join(name).display());
        if e.kind != *kind
            || e.line != Some(*line)
            || !text.contains(needle)
            || !text.starts_with(&prefix)
        {
            wrong.push(format!("{name}: {:?} line {:?}: {text}", e.kind, e.line));
        }
    }
    assert!(wrong.is_empty(), "unexpected errors:\n{}", wrong.join("\n"));
}

#[test]
fn fifty_megabytes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut content =
        b"images:\n- name: app\n  newTag: x\nconfigMapGenerator:\n- name: big\n  literals:\n"
            .to_vec();
    let line = b"  - KEY=0123456789012345678901234567890123456789012345678901234567890123456789\n";
    while content.len() < 50 * 1024 * 1024 {
        content.extend_from_slice(line);
    }
    let err = refused(tmp.path(), "big.yaml", &content);
    assert_eq!(edit_error(&err).kind, EditErrorKind::TooLarge, "{err}");
    assert!(err.to_string().contains("at most"), "{err}");
    // The text-level function refuses it too, without parsing.
    let text = String::from_utf8(content).unwrap();
    assert_eq!(
        ferry_kustomize::set_images(&text, &edit())
            .unwrap_err()
            .kind,
        EditErrorKind::TooLarge
    );
}

#[test]
fn deep_nesting() {
    let tmp = tempfile::tempdir().unwrap();
    let flow = format!(
        "images: []\nx: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let err = refused(tmp.path(), "deep-flow.yaml", flow.as_bytes());
    let kind = edit_error(&err).kind;
    assert!(
        matches!(kind, EditErrorKind::TooDeep | EditErrorKind::Yaml),
        "{err}"
    );

    let mut block = String::from("images: []\n");
    for depth in 0..200 {
        block.push_str(&" ".repeat(depth));
        block.push_str("k:\n");
    }
    let err = refused(tmp.path(), "deep-block.yaml", block.as_bytes());
    let kind = edit_error(&err).kind;
    assert!(
        matches!(kind, EditErrorKind::TooDeep | EditErrorKind::Yaml),
        "{err}"
    );
    assert!(edit_error(&err).line.is_some(), "{err}");
}

#[test]
fn not_utf8_and_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let err = refused(tmp.path(), "latin1.yaml", b"images: []\n# caf\xe9\n");
    assert!(matches!(err, FileEditError::NotUtf8 { .. }), "{err}");
    let empty_dir = tmp.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    let err = set_images_in_file(&empty_dir, &edit(), WriteMode::Write).unwrap_err();
    assert!(matches!(err, FileEditError::NotFound { .. }), "{err}");
    let both = tmp.path().join("both");
    std::fs::create_dir(&both).unwrap();
    std::fs::write(both.join("kustomization.yaml"), "images: []\n").unwrap();
    std::fs::write(both.join("kustomization.yml"), "images: []\n").unwrap();
    let err = set_images_in_file(&both, &edit(), WriteMode::Write).unwrap_err();
    assert!(matches!(err, FileEditError::Ambiguous { .. }), "{err}");
}

#[test]
fn writes_are_atomic_and_keep_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("overlay");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("Kustomization");
    std::fs::write(&path, "images:\n- name: app\n  newTag: 1.3.0\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();

    let check = set_images_in_file(&dir, &edit(), WriteMode::Check).unwrap();
    assert!(check.outcome.changed && !check.written);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "images:\n- name: app\n  newTag: 1.3.0\n"
    );

    let done = set_images_in_file(&dir, &edit(), WriteMode::Write).unwrap();
    assert!(done.written);
    assert_eq!(done.path, path);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "images:\n- name: app\n  newTag: 1.4.0\n"
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary file left"
    );

    let again = set_images_in_file(&dir, &edit(), WriteMode::Write).unwrap();
    assert!(!again.outcome.changed && !again.written);
}

/// Found by the `image_edit`/`kustomization` fuzz targets: `newTag: !x` is an empty value with a
/// local tag, which the kustomization model reads as no tag and the editor read as `""`.
#[test]
fn tags_other_than_str_are_refused_in_entries() {
    for text in [
        "images: [{name: app, newTag: !.3.0}]\n",
        "images:\n- name: app\n  newTag: !local 1.0\n",
        "images:\n- name: !!int app\n",
    ] {
        let err = ferry_kustomize::read_images(text).expect_err(text);
        assert_eq!(err.kind, EditErrorKind::Unsupported, "{text}: {err}");
        assert!(err.message.contains("!!str"), "{text}: {err}");
        assert!(err.line.is_some(), "{text}: {err}");
    }
    let ok = ferry_kustomize::read_images("images:\n- name: app\n  newTag: !!str 1.10\n").unwrap();
    assert_eq!(ok[0].new_tag.as_deref(), Some("1.10"));
}

/// Found by the `image_edit` fuzz target: YAML breaks lines at a lone carriage return, so the
/// parser's columns and the editor's (which counts lines by LF) disagreed, and appending an
/// entry computed a negative indentation (a panic, or a huge allocation in release builds).
#[test]
fn lone_carriage_returns_are_refused() {
    let text = "images:\r  - name: app\n    newTag: \"1\"\n";
    let edits = [ImageEdit::Set(ImageSpec::parse("web:2.0").unwrap())];
    let err = ferry_kustomize::set_images(text, &edits).expect_err("a lone CR");
    assert_eq!(err.kind, EditErrorKind::Unsupported, "{err}");
    assert_eq!((err.line, err.column), (Some(1), Some(8)), "{err}");
    assert!(err.message.contains("carriage return"), "{err}");
    // CRLF files stay editable.
    let crlf = "images:\r\n  - name: app\r\n    newTag: \"1\"\r\n";
    let out = ferry_kustomize::set_images(crlf, &edits).unwrap();
    assert!(out.text.ends_with("newTag: \"2.0\"\r\n"), "{:?}", out.text);
}
