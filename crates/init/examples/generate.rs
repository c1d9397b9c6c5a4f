//! The files of a two-environment repository on the plain-git forge, planned against an empty
//! directory, written, then planned again: nothing differs.

use ferry_init::{Options, RawOptions, State, generate, plan};

fn main() {
    let options = Options::new(RawOptions {
        app: "shop".into(),
        images: vec!["backend=registry.example.com/acme/backend".into()],
        forge: Some("git".into()),
        repo_url: Some("https://git.example.com/acme/shop.git".into()),
        environments: vec!["dev".into(), "prod".into()],
        ..RawOptions::default()
    })
    .expect("valid options");
    let files = generate(&options);
    assert_eq!(files[0].path, "ferry.toml");
    assert!(
        files
            .iter()
            .any(|f| f.path == "infra/k8s/overlays/prod/backend-rollout.yaml")
    );
    // The plain-git forge has no GitHub workflows.
    assert!(!files.iter().any(|f| f.path.starts_with(".github/")));

    let dir = tempfile::tempdir().expect("a temporary directory");
    let first = plan(dir.path(), files.clone()).expect("plan");
    assert!(first.files.iter().all(|p| p.state == State::Missing));
    let applied = first.apply(dir.path(), false).expect("apply");
    assert_eq!(applied.created.len(), files.len());

    let again = plan(dir.path(), files).expect("plan again");
    assert_eq!(again.differences().count(), 0);
    println!("{} files written, then the same", applied.created.len());
}
