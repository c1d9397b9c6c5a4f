//! Lints a repository written to a temporary directory: its deploy job has no concurrency
//! group, which `ferry-lint` reports with the file, line and column.

use ferry_lint::{Repository, Rule, lint};

fn main() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().to_path_buf();
    std::fs::write(
        dir.join("ferry.toml"),
        "[images]\nbackend = \"registry.example.com/acme/backend\"\n\n\
         [[environment]]\nname = \"dev\"\noverlay = \"infra/k8s/overlays/dev\"\n",
    )
    .expect("write ferry.toml");
    let workflows = dir.join(".github/workflows");
    std::fs::create_dir_all(&workflows).expect("create the workflows directory");
    std::fs::write(
        workflows.join("deploy.yml"),
        "on: workflow_dispatch\n\
         permissions:\n  contents: read\n\
         jobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n\
         \x20     - run: ferry pr open --env dev --image backend=1.2.3 --dry-run\n\
         \x20     - run: ferry rollout promote --env dev\n",
    )
    .expect("write the workflow");

    let repo = Repository::load(&dir, None).expect("a valid repository");
    let findings = lint(&repo);
    for finding in &findings {
        println!("{finding}");
    }
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule, Rule::DeployConcurrency);
    assert_eq!(
        (
            findings[0].file.as_str(),
            findings[0].line,
            findings[0].column
        ),
        (".github/workflows/deploy.yml", 5, 3)
    );
}
