//! Drift between two environments: namespaces, name prefixes and generated hashes are no
//! difference; images are, unless ignored; a patch of one environment is.

use crate::{diff_ok, overlay, repository, require_git, run, write};

#[test]
fn drift_between_two_environments() {
    if !require_git() {
        return;
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let repo = repository(tmp.path());
    // Only the images differ (1.4.0 in staging, 1.3.0 in prod).
    let images = diff_ok(&repo, &["--envs", "staging", "prod"]);
    insta::assert_snapshot!("drift_images", images);
    let (code, beyond, _) = run(
        &repo,
        &[
            "--envs",
            "staging",
            "prod",
            "--ignore-images",
            "--exit-code",
        ],
    );
    assert_eq!(code, 0, "{beyond}");
    assert!(beyond.contains("no difference"), "{beyond}");

    // prod runs more replicas and another log level.
    let more = "replicas:
  - name: web
    count: 4
configMapGenerator:
  - name: web-config
    behavior: merge
    literals:
      - LOG_LEVEL=warn
";
    write(
        &repo,
        "deploy/overlays/prod/kustomization.yaml",
        &overlay("prod", "1.3.0", more),
    );
    let (code, drift, stderr) = run(
        &repo,
        &[
            "--envs",
            "staging",
            "prod",
            "--ignore-images",
            "--exit-code",
        ],
    );
    assert_eq!(code, 1, "{drift}{stderr}");
    insta::assert_snapshot!("drift_beyond_images", drift);

    let (code, _, stderr) = run(&repo, &["--envs", "staging", "staging"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = run(&repo, &["--envs", "staging", "qa"]);
    assert_eq!(code, 2, "{stderr}");
}
