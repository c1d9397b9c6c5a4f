//! Golden files (insta) of every generated file: the default repository and the two-environment
//! plain-git one. `cargo insta review` after an intended change.

use ferry_init::generate;

use crate::cases;

fn snapshot_name(case: &str, path: &str) -> String {
    format!("{case}__{}", path.replace('/', "__"))
}

fn check(case: &str, options: &ferry_init::Options) {
    let files = generate(options);
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    insta::assert_snapshot!(format!("{case}__files"), paths.join("\n"));
    for file in &files {
        insta::assert_snapshot!(snapshot_name(case, &file.path), &file.contents);
    }
}

#[test]
fn default_repository() {
    check("default", &cases::default());
}

#[test]
fn plain_git_two_environments() {
    check("plain_git", &cases::plain_git());
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(generate(&cases::default()), generate(&cases::default()));
}
