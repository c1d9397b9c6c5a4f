//! `ferry-validate` end to end: exit codes, the JSON shape other tools rely on, text output.

use assert_cmd::Command;
use ferry_test_support::{fixtures_dir, workspace_root};
use serde_json::Value;

fn bin() -> Command {
    Command::cargo_bin("ferry-validate").unwrap()
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("JSON output")
}

#[test]
fn blueprint_environments_from_ferry_toml() {
    let out = bin()
        .current_dir(workspace_root())
        .args([
            "--config",
            "fixtures/blueprint/ferry.toml",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    let overlays = report["overlays"].as_array().unwrap();
    let paths: Vec<&str> = overlays
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "infra/k8s/overlays/dev",
            "infra/k8s/overlays/staging",
            "infra/k8s/overlays/prod"
        ]
    );
    for o in overlays {
        assert_eq!(o["valid"], true, "{o}");
        assert!(o["errors"].as_array().unwrap().is_empty());
        assert!(o["warnings"].is_array());
        let keys: Vec<&String> = o.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["path", "valid", "errors", "warnings", "workloads"]);
        for w in o["workloads"].as_array().unwrap() {
            let keys: Vec<&String> = w.as_object().unwrap().keys().collect();
            assert_eq!(
                keys,
                ["apiVersion", "kind", "namespace", "name", "containers"]
            );
            for c in w["containers"].as_array().unwrap() {
                let keys: Vec<&String> = c.as_object().unwrap().keys().collect();
                assert_eq!(keys, ["name", "image", "init"]);
            }
        }
    }
    let prod = &overlays[2]["workloads"];
    let kinds: Vec<(String, String)> = prod
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["kind"].as_str().unwrap().into(),
                w["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    for name in ["backend", "frontend"] {
        assert!(
            kinds.contains(&("Rollout".into(), name.into())),
            "{kinds:?}"
        );
        assert!(
            !kinds.contains(&("Deployment".into(), name.into())),
            "{kinds:?}"
        );
    }
    let dev = &overlays[0]["workloads"];
    assert!(
        dev.as_array()
            .unwrap()
            .iter()
            .any(|w| w["kind"] == "Deployment"),
        "{dev}"
    );
}

#[test]
fn overlay_dirs_and_text_output() {
    let dir = fixtures_dir().join("kustomize/overlays/full");
    let out = bin()
        .arg(&dir)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(": valid, 8 workload(s), 0 error(s), 0 warning(s)"),
        "{text}"
    );
    assert!(text.contains("Deployment full/f-web (apps/v1)"), "{text}");
    assert!(
        text.contains("migrate (init): registry.example.com/acme/migrate:0.2.0"),
        "{text}"
    );
}

#[test]
fn invalid_overlay_exits_1_with_positions() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join(".git")).unwrap();
    let ov = repo.path().join("ov");
    std::fs::create_dir_all(&ov).unwrap();
    std::fs::write(
        ov.join("kustomization.yaml"),
        "resources:\n- missing.yaml\nbases: []\n",
    )
    .unwrap();
    let out = bin()
        .current_dir(repo.path())
        .args(["ov", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    let o = &report["overlays"][0];
    assert_eq!(o["path"], "ov");
    assert_eq!(o["valid"], false);
    let e = &o["errors"][0];
    assert_eq!(e["file"], "ov/kustomization.yaml");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(2), Some(3))
    );
    assert!(e["message"].as_str().unwrap().contains("not found"));
    assert_eq!(o["warnings"][0]["line"], 3);
}

#[test]
fn usage_errors_exit_2() {
    bin().args(["--format", "xml"]).assert().code(2);
    let empty = tempfile::tempdir().unwrap();
    bin().current_dir(empty.path()).assert().code(2);
    bin()
        .args(["--config", "does-not-exist.toml"])
        .assert()
        .code(2);
}

#[test]
fn missing_overlay_dir_is_invalid() {
    let out = bin()
        .args(["/nonexistent/overlay", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_eq!(json(&out)["overlays"][0]["valid"], false);
}

#[test]
fn load_restrictor_comes_from_ferry_toml() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    };
    write(
        "shared/web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    \
         spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n",
    );
    write(
        "ov/kustomization.yaml",
        "resources:\n- ../shared/web.yaml\n",
    );
    let env = "[[environment]]\nname = \"dev\"\noverlay = \"ov\"\n";
    // kustomize's default (and Argo CD's): the file outside ov/ is refused.
    write("ferry.toml", env);
    let out = bin()
        .current_dir(dir.path())
        .args(["--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    let message = report["overlays"][0]["errors"][0]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("LoadRestrictionsRootOnly"), "{message}");
    // `load-restrictor = "none"` matches Argo CD's `--load-restrictor LoadRestrictionsNone`.
    write(
        "ferry.toml",
        &format!("[kustomize]\nload-restrictor = \"none\"\n\n{env}"),
    );
    let out = bin()
        .current_dir(dir.path())
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    assert_eq!(report["overlays"][0]["workloads"][0]["name"], "web");
}
