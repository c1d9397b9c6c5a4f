//! Where lead times start with an application repository: the revision label first, else the
//! tag (a tag of the application, `v` + tag, or a commit id).

use std::collections::BTreeMap;

use ferry_delivery::revision_times;
use ferry_git::Repo;
use ferry_test_support::git::{git, init_commit};

const T0: i64 = 1_790_000_000;

#[test]
fn the_label_names_the_revision_before_the_tag() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let app = tmp.path().join("app");
    std::fs::create_dir_all(&app).expect("a directory");
    std::fs::write(app.join("main.rs"), "fn main() {}\n").expect("a file");
    let first = init_commit(&app, "first", T0);
    std::fs::write(app.join("main.rs"), "fn main() { }\n").expect("a file");
    git(&app, &["commit", "-q", "-am", "second"], T0 + 3600);
    git(&app, &["tag", "v2.0.0"], T0 + 3600);
    let repo = Repo::open(&app).expect("the repository opens");

    let labelled = "r.io/acme/api:2.0.0";
    let unknown_label = "r.io/acme/web:2.0.0";
    let by_commit = format!("r.io/acme/db:sha-{}", &first[..7]);
    let labels = BTreeMap::from([
        (labelled.to_owned(), first[..12].to_owned()),
        (unknown_label.to_owned(), "ffffffffffff".to_owned()),
    ]);
    let times = revision_times(
        &repo,
        [
            labelled,
            unknown_label,
            by_commit.as_str(),
            "r.io/acme/x:9.9",
        ],
        &labels,
    );
    let at = |s: i64| jiff::Timestamp::from_second(s).expect("a time");
    assert_eq!(
        times,
        BTreeMap::from([
            // The label's commit, although the tag names the second one.
            (labelled.to_owned(), at(T0)),
            // A label the application does not have: the tag (`v2.0.0`).
            (unknown_label.to_owned(), at(T0 + 3600)),
            (by_commit.clone(), at(T0)),
        ])
    );
}
