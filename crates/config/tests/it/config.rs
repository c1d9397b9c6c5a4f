//! `ferry.toml` files on disk: the blueprint, promotion order, defaults and every kind of error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_config::{Config, ConfigError, ForgeKind, LoadRestrictor, MergeMethod};

/// Writes `text` as `ferry.toml` in a fresh directory and loads it.
fn load(text: &str) -> (tempfile::TempDir, Result<Config, ConfigError>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferry.toml");
    std::fs::write(&path, text).unwrap();
    let result = Config::load(&path);
    (dir, result)
}

/// The error message for `text`, with the temp directory replaced by `DIR`.
fn error(text: &str) -> String {
    let (dir, result) = load(text);
    let err = result.expect_err("the file should be rejected");
    let diagnostic = err.diagnostic().expect("an error inside the file");
    assert_eq!(diagnostic.path, dir.path().join("ferry.toml"));
    err.to_string()
        .replace(&dir.path().display().to_string(), "DIR")
}

const TWO_ENVS: &str = r#"
[[environment]]
name = "dev"
overlay = "overlays/dev"

[[environment]]
name = "prod"
overlay = "overlays/prod"
upstream = "dev"
"#;

#[test]
fn blueprint_loads_with_overlays_that_exist() {
    let path = ferry_test_support::fixtures_dir().join("blueprint/ferry.toml");
    let config = Config::load(&path).unwrap();
    let names: Vec<&str> = config
        .environments()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ["dev", "staging", "prod"]);
    for env in config.environments() {
        let dir = config.overlay_dir(env);
        assert!(
            dir.join("kustomization.yaml").is_file(),
            "{}",
            dir.display()
        );
        assert_eq!(
            env.overlay,
            PathBuf::from(format!("infra/k8s/overlays/{}", env.name))
        );
    }
    let prod = config.environment("prod").unwrap();
    assert_eq!(prod.upstream.as_deref(), Some("staging"));
    assert!(!prod.auto_merge);
    assert_eq!(prod.soak, Duration::from_secs(3600));
    assert_eq!(prod.monitor.interval, Duration::from_secs(60));
    assert_eq!(prod.monitor.checks, 15);
    assert_eq!(
        prod.monitor.warmup,
        Duration::from_secs(60),
        "inherited from [monitor]"
    );
    assert_eq!(prod.monitor.http.len(), 2);
    assert_eq!(
        prod.monitor.http[1].body.as_deref(),
        Some("<title>Acme Shop</title>")
    );
    let dev = config.environment("dev").unwrap();
    assert!(dev.auto_merge);
    assert_eq!(dev.soak, Duration::ZERO);
    assert_eq!(dev.monitor.warmup, Duration::from_secs(10));
    assert_eq!(dev.monitor.http[0].status, 200);
    assert_eq!(dev.argocd_app.as_deref(), Some("shop-dev"));
    assert_eq!(
        config
            .downstream("dev")
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        ["staging"]
    );

    assert_eq!(
        config.image("backend").unwrap().repository,
        "registry.example.com/acme/backend"
    );
    assert_eq!(
        config
            .image_by_repository("registry.example.com/acme/frontend")
            .unwrap()
            .name,
        "frontend"
    );
    assert!(config.image("postgres").is_none());

    assert_eq!(config.forge.kind, ForgeKind::GitHub);
    assert_eq!(config.forge.base_branch, "main");
    assert_eq!(config.forge.labels, ["ferry", "deploy"]);
    let github = config.forge.github.as_ref().unwrap();
    assert_eq!(
        (github.owner.as_str(), github.repo.as_str()),
        ("acme", "shop-deploy")
    );
    assert_eq!(github.api_url, "https://api.github.com");
    assert_eq!(github.graphql_url, "https://api.github.com/graphql");
    assert_eq!(github.merge_method, MergeMethod::Squash);
    assert_eq!(config.forge.git.remote, "origin");
}

#[test]
fn required_checks_keep_their_place_and_refuse_blanks_and_repeats() {
    let with = |checks: &str| {
        format!(
            "[forge]\nrequired-checks = {checks}\n\n[[environment]]\nname = \"dev\"\noverlay = \"o/dev\"\n"
        )
    };
    let config =
        ferry_config::Config::from_str(&with(r#"["test", "GitOps / validate"]"#), "/r/ferry.toml")
            .unwrap();
    let checks: Vec<(&str, usize, usize)> = config
        .forge
        .required_checks
        .iter()
        .map(|c| (c.name.as_str(), c.line, c.column))
        .collect();
    assert_eq!(checks, [("test", 2, 20), ("GitOps / validate", 2, 28)]);
    let err = ferry_config::Config::from_str(&with(r#"[" "]"#), "f.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("f.toml:2:20: forge.required-checks[0]"),
        "{err}"
    );
    let err = ferry_config::Config::from_str(&with(r#"["a", "a"]"#), "f.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("forge.required-checks[1]: \"a\" is listed twice"),
        "{err}"
    );
}

#[test]
fn root_is_the_directory_of_the_file() {
    let (dir, result) = load(TWO_ENVS);
    let config = result.unwrap();
    assert_eq!(config.root, dir.path());
    let prod = config.environment("prod").unwrap();
    assert_eq!(config.overlay_dir(prod), dir.path().join("overlays/prod"));

    let relative = Config::from_str(TWO_ENVS, "ferry.toml").unwrap();
    assert_eq!(
        relative.overlay_dir(&relative.environments()[0]),
        Path::new("./overlays/dev")
    );
}

#[test]
fn defaults_for_a_minimal_file() {
    let config = Config::from_str(
        "[[environment]]\nname = \"dev\"\noverlay = \"./k8s/dev/\"\n",
        "x/ferry.toml",
    )
    .unwrap();
    let dev = &config.environments()[0];
    assert_eq!(dev.overlay, PathBuf::from("k8s/dev"));
    assert_eq!(dev.upstream, None);
    assert!(!dev.auto_merge);
    assert_eq!(dev.soak, Duration::ZERO);
    assert_eq!(dev.monitor, ferry_config::Monitor::default());
    assert_eq!(dev.line, 2);
    assert!(config.images.is_empty());
    assert_eq!(config.forge.kind, ForgeKind::Git);
    assert_eq!(config.forge.base_branch, "main");
    assert_eq!(config.forge.branch_prefix, "deploy/");
    assert_eq!(config.forge.git.remote, "origin");
    assert!(config.forge.github.is_none());
    let m = &config.monitor;
    assert_eq!(
        (
            m.warmup,
            m.interval,
            m.checks,
            m.failures,
            m.error_budget,
            m.timeout
        ),
        (
            Duration::from_secs(60),
            Duration::from_secs(30),
            10,
            3,
            5,
            Duration::from_secs(900)
        )
    );
}

#[test]
fn environments_come_in_promotion_order() {
    let text = r#"
[[environment]]
name = "prod"
overlay = "o/prod"
upstream = "staging"

[[environment]]
name = "qa"
overlay = "o/qa"
upstream = "dev"

[[environment]]
name = "staging"
overlay = "o/staging"
upstream = "dev"

[[environment]]
name = "dev"
overlay = "o/dev"

[[environment]]
name = "sandbox"
overlay = "o/sandbox"
"#;
    let config = Config::from_str(text, "ferry.toml").unwrap();
    let names: Vec<&str> = config
        .environments()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ["dev", "sandbox", "qa", "staging", "prod"]);
    let down: Vec<&str> = config.downstream("dev").map(|e| e.name.as_str()).collect();
    assert_eq!(down, ["qa", "staging"]);
}

#[test]
fn github_enterprise_urls_and_options() {
    let text = format!(
        r#"
[forge]
kind = "github"
base-branch = "release/2025"
branch-prefix = ""
author = "Ferry Bot <ferry@example.com>"

[forge.github]
owner = "acme"
repo = "deploy"
api-url = "https://github.example.com/api/v3/"
app-id = 42
merge-method = "rebase"
{TWO_ENVS}"#
    );
    let config = Config::from_str(&text, "ferry.toml").unwrap();
    let github = config.forge.github.unwrap();
    assert_eq!(github.api_url, "https://github.example.com/api/v3");
    assert_eq!(github.graphql_url, "https://github.example.com/api/graphql");
    assert_eq!(github.app_id, Some(42));
    assert_eq!(github.merge_method, MergeMethod::Rebase);
    assert_eq!(config.forge.base_branch, "release/2025");
    assert_eq!(config.forge.branch_prefix, "");
    assert_eq!(
        config.forge.author.as_deref(),
        Some("Ferry Bot <ferry@example.com>")
    );
}

#[test]
fn forge_kind_and_merge_method_read_their_flag_spellings() {
    assert_eq!("git".parse::<ForgeKind>(), Ok(ForgeKind::Git));
    assert_eq!("github".parse::<ForgeKind>(), Ok(ForgeKind::GitHub));
    assert_eq!(ForgeKind::GitHub.to_string(), "github");
    assert_eq!(
        "GitHub".parse::<ForgeKind>(),
        Err("unknown forge \"GitHub\"; expected \"git\" or \"github\"".to_owned())
    );
    assert_eq!("merge".parse::<MergeMethod>(), Ok(MergeMethod::Merge));
    assert_eq!(MergeMethod::Rebase.to_string(), "rebase");
    assert!("ff".parse::<MergeMethod>().is_err());
}

/// The blueprint is also the demo's repository: each environment's overlay must render with the
/// real kustomize, and prod must run Rollouts instead of the deleted Deployments.
#[test]
fn blueprint_overlays_render_with_kubectl() {
    let Some(kubectl) = ferry_test_support::require_tool("kubectl") else {
        return;
    };
    let config =
        Config::load(ferry_test_support::fixtures_dir().join("blueprint/ferry.toml")).unwrap();
    for env in config.environments() {
        let output = std::process::Command::new(&kubectl)
            .arg("kustomize")
            .arg(config.overlay_dir(env))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{}: {stderr}", env.name);
        let rendered = String::from_utf8(output.stdout).unwrap();
        let namespace = format!("namespace: acme-{}", env.name);
        assert!(rendered.contains(&namespace), "{}", env.name);
        let rollouts = rendered.matches("kind: Rollout\n").count();
        let deployments = rendered.matches("kind: Deployment\n").count();
        if env.name == "prod" {
            assert_eq!((rollouts, deployments), (2, 0));
        } else {
            assert_eq!((rollouts, deployments), (0, 2), "{}", env.name);
        }
        for image in &config.images {
            assert!(
                rendered.contains(&format!("image: {}:", image.repository)),
                "{} {}",
                env.name,
                image.name
            );
        }
    }
}

#[test]
fn a_missing_file_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferry.toml");
    let err = Config::load(&path).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.diagnostic().is_none());
    assert!(
        err.to_string()
            .starts_with(&format!("cannot read {}: ", path.display())),
        "{err}"
    );
}

#[test]
fn discover_finds_the_nearest_file_above() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ferry.toml"), TWO_ENVS).unwrap();
    let deep = dir.path().join("a/b/c");
    std::fs::create_dir_all(&deep).unwrap();
    assert_eq!(Config::discover(&deep), Some(dir.path().join("ferry.toml")));
    let other = tempfile::tempdir().unwrap();
    assert_eq!(Config::discover(other.path()), None);
}

// ---- errors: each names file:line:column, the key and the problem ----

/// Environments `dev` and `prod` (lines 2-9) followed by `extra`.
fn with(extra: &str) -> String {
    format!("{TWO_ENVS}{extra}")
}

/// `TWO_ENVS` with `prod`'s `upstream = "dev"` line (line 9) followed by `more` lines.
fn prod_with(more: &str) -> String {
    TWO_ENVS.replace("upstream = \"dev\"", &format!("upstream = \"dev\"\n{more}"))
}

/// Asserts each (file text, message) pair; messages are `DIR/ferry.toml:LINE:COLUMN: FIELD: ...`.
fn assert_errors(cases: &[(String, &str)]) {
    for (text, expected) in cases {
        assert_eq!(&error(text), expected, "for the file:\n{text}");
    }
}

#[test]
fn unknown_keys_name_the_key_and_the_known_ones() {
    assert_errors(&[
        (
            with("\n[deploy]\nx = 1\n"),
            "DIR/ferry.toml:11:2: deploy: unknown field `deploy`, expected one of `images`, `sources`, `forge`, `monitor`, `kustomize`, `environment`, `registries`",
        ),
        (
            prod_with("automerge = true"),
            "DIR/ferry.toml:10:1: environment[1].automerge: unknown field `automerge`, expected one of `name`, `overlay`, `upstream`, `auto-merge`, `soak`, `argocd-app`, `monitor`",
        ),
        (
            with("\n[monitor]\nhttp = []\n"),
            "DIR/ferry.toml:12:1: monitor.http: unknown field `http`, expected one of `warmup`, `interval`, `checks`, `failures`, `error-budget`, `timeout`, `prometheus`",
        ),
        (
            prod_with("[environment.monitor]\nhttp = [{ url = \"http://x\", code = 200 }]"),
            "DIR/ferry.toml:11:29: environment[1].monitor.http[0].code: unknown field `code`, expected one of `url`, `status`, `body`",
        ),
        (
            with("\n[forge.gitlab]\nurl = \"x\"\n"),
            "DIR/ferry.toml:11:8: forge.gitlab: unknown field `gitlab`, expected one of `kind`, `base-branch`, `branch-prefix`, `labels`, `author`, `required-checks`, `git`, `github`",
        ),
    ]);
}

#[test]
fn wrong_types_and_missing_keys() {
    assert_errors(&[
        (
            prod_with("soak = 30"),
            "DIR/ferry.toml:10:8: environment[1].soak: invalid type: integer `30`, expected a string",
        ),
        (
            prod_with("auto-merge = \"yes\""),
            "DIR/ferry.toml:10:14: environment[1].auto-merge: invalid type: string \"yes\", expected a boolean",
        ),
        (
            with("\n[images]\nbackend = 5\n"),
            "DIR/ferry.toml:12:11: images.backend: invalid type: integer `5`, expected a string",
        ),
        (
            "environment = 3\n".to_owned(),
            "DIR/ferry.toml:1:15: environment: invalid type: integer `3`, expected a sequence",
        ),
        (
            TWO_ENVS.replace("overlay = \"overlays/prod\"\n", ""),
            "DIR/ferry.toml:6:1: environment[1]: missing field `overlay`",
        ),
        (
            with("\n[forge]\nkind = \"github\"\n[forge.github]\nowner = \"acme\"\n"),
            "DIR/ferry.toml:13:1: forge.github: missing field `repo`",
        ),
        (
            "[images]\n".to_owned(),
            "DIR/ferry.toml:2:1: environment: no environments: add an [[environment]] table with `name` and `overlay`",
        ),
    ]);
}

#[test]
fn toml_syntax_errors() {
    assert_errors(&[
        (
            "[[environment]\nname = \"dev\"\n".to_owned(),
            "DIR/ferry.toml:1:15: invalid TOML: unclosed array table, expected `]`",
        ),
        (
            TWO_ENVS.replace("name = \"dev\"", "name = \"dev\"\nname = \"x\""),
            "DIR/ferry.toml:4:1: invalid TOML: duplicate key `name`",
        ),
        (
            with("\n[images]\nbackend = \"a/b\"\nbackend = \"a/c\"\n"),
            "DIR/ferry.toml:13:1: invalid TOML: duplicate key `backend`",
        ),
    ]);
}

#[test]
fn environment_values() {
    assert_errors(&[
        (
            prod_with("soak = \"30 minutes\""),
            "DIR/ferry.toml:10:8: environment[1].soak: invalid duration \"30 minutes\": a unit is missing; write a number followed by a unit (ms, s, m, h, d), e.g. \"30m\" or \"1h30m\"",
        ),
        (
            TWO_ENVS.replace(
                "overlay = \"overlays/dev\"",
                "overlay = \"overlays/dev\"\nsoak = \"1h\"",
            ),
            "DIR/ferry.toml:5:8: environment[0].soak: environment \"dev\" has no upstream, so there is nothing to soak in; remove `soak` or set `upstream`",
        ),
        (
            TWO_ENVS.replace("name = \"prod\"", "name = \"Prod\""),
            "DIR/ferry.toml:7:8: environment[1].name: invalid environment name \"Prod\": use lowercase letters, digits, `-`, `_` and `.`, starting with a letter or digit (it becomes part of branch names)",
        ),
        (
            TWO_ENVS.replace("overlays/prod", "/srv/overlays/prod"),
            "DIR/ferry.toml:8:11: environment[1].overlay: invalid overlay path \"/srv/overlays/prod\": it must be relative to the directory of ferry.toml, not absolute",
        ),
        (
            TWO_ENVS.replace("overlays/prod", "../other-repo/prod"),
            "DIR/ferry.toml:8:11: environment[1].overlay: invalid overlay path \"../other-repo/prod\": it must not contain `..`: overlays live inside the repository",
        ),
        (
            TWO_ENVS.replace("overlays/prod", "overlays/prod/../../../etc"),
            "DIR/ferry.toml:8:11: environment[1].overlay: invalid overlay path \"overlays/prod/../../../etc\": it must not contain `..`: overlays live inside the repository",
        ),
        (
            TWO_ENVS.replace("overlays/prod", "./overlays/dev/"),
            "DIR/ferry.toml:8:11: environment[1].overlay: environments \"dev\" and \"prod\" use the same overlay \"overlays/dev\"; each environment needs its own",
        ),
        (
            prod_with("argocd-app = \"\""),
            "DIR/ferry.toml:10:14: environment[1].argocd-app: the Argo CD application name must not be empty or padded with spaces",
        ),
    ]);
}

#[test]
fn upstream_rules() {
    assert_errors(&[
        (
            TWO_ENVS.replace("name = \"prod\"", "name = \"dev\""),
            "DIR/ferry.toml:7:8: environment[1].name: environment \"dev\" is defined twice (first on line 3); names must be unique",
        ),
        (
            TWO_ENVS.replace("upstream = \"dev\"", "upstream = \"qa\""),
            "DIR/ferry.toml:9:12: environment[1].upstream: unknown upstream environment \"qa\"; defined environments: \"dev\", \"prod\"",
        ),
        (
            TWO_ENVS.replace("upstream = \"dev\"", "upstream = \"prod\""),
            "DIR/ferry.toml:9:12: environment[1].upstream: environment \"prod\" cannot be its own upstream",
        ),
        (
            TWO_ENVS.replace(
                "overlay = \"overlays/dev\"",
                "overlay = \"overlays/dev\"\nupstream = \"prod\"",
            ),
            "DIR/ferry.toml:5:12: environment[0].upstream: upstream environments form a cycle (promotion order dev → prod → dev); the first environment must have no upstream",
        ),
        (
            r#"
[[environment]]
name = "dev"
overlay = "o/dev"

[[environment]]
name = "a"
overlay = "o/a"
upstream = "c"

[[environment]]
name = "b"
overlay = "o/b"
upstream = "a"

[[environment]]
name = "c"
overlay = "o/c"
upstream = "b"
"#
            .to_owned(),
            "DIR/ferry.toml:9:12: environment[1].upstream: upstream environments form a cycle (promotion order a → b → c → a); the first environment must have no upstream",
        ),
    ]);
}

#[test]
fn images_and_forge_values() {
    assert_errors(&[
        (
            with("\n[images]\nbackend = \"registry.example.com/acme/backend:1.2.3\"\n"),
            "DIR/ferry.toml:12:11: images.backend: invalid repository \"registry.example.com/acme/backend:1.2.3\": remove the tag: give the repository only",
        ),
        (
            with("\n[images]\nBackend = \"a/b\"\n"),
            "DIR/ferry.toml:12:1: images.Backend: invalid image name \"Backend\": use lowercase letters, digits, `-`, `_` and `.`, starting with a letter or digit",
        ),
        (
            with("\n[images]\nbackend = \"a/b\"\napi = \"a/b\"\n"),
            "DIR/ferry.toml:13:7: images.api: repository \"a/b\" is already the image `backend`; give each repository one name",
        ),
        (
            with("\n[forge]\nkind = \"gitlab\"\n"),
            "DIR/ferry.toml:12:8: forge.kind: unknown forge \"gitlab\"; expected \"git\" or \"github\"",
        ),
        (
            with("\n[forge]\nkind = \"github\"\n"),
            "DIR/ferry.toml:12:8: forge.kind: the github forge needs a [forge.github] table with `owner` and `repo`",
        ),
        (
            with(
                "\n[forge]\nkind = \"github\"\n[forge.github]\nowner = \"acme/deploy\"\nrepo = \"x\"\n",
            ),
            "DIR/ferry.toml:14:9: forge.github.owner: invalid GitHub owner \"acme/deploy\": use letters, digits, `-`, `_` and `.` (write owner and repo separately, not \"owner/repo\")",
        ),
        (
            with("\n[forge.github]\nowner = \"a\"\nrepo = \"b\"\napi-url = \"api.github.com\"\n"),
            "DIR/ferry.toml:14:11: forge.github.api-url: invalid URL \"api.github.com\": expected an http:// or https:// URL",
        ),
        (
            with(
                "\n[forge.github]\nowner = \"a\"\nrepo = \"b\"\nmerge-method = \"fast-forward\"\n",
            ),
            "DIR/ferry.toml:14:16: forge.github.merge-method: unknown merge method \"fast-forward\"; expected \"squash\", \"merge\" or \"rebase\"",
        ),
        (
            with("\n[forge]\nbase-branch = \"my branch\"\n"),
            "DIR/ferry.toml:12:15: forge.base-branch: invalid branch name \"my branch\": it must not contain spaces or any of ~ ^ : ? * [ \\",
        ),
        (
            with("\n[forge.git]\nremote = \"--upload-pack=touch /tmp/PWNED\"\n"),
            "DIR/ferry.toml:12:10: forge.git.remote: invalid remote \"--upload-pack=touch /tmp/PWNED\": it starts with `-`, so git would read it as an option; give a remote name (e.g. \"origin\") or a URL or path git can push to",
        ),
        (
            with("\n[forge.git]\nremote = \"ext::sh -c touch% /tmp/PWNED\"\n"),
            "DIR/ferry.toml:12:10: forge.git.remote: invalid remote \"ext::sh -c touch% /tmp/PWNED\": the `ext::` and `fd::` transports run commands; give a URL or path; give a remote name (e.g. \"origin\") or a URL or path git can push to",
        ),
        (
            with("\n[forge.git]\nremote = \" https://bot:S3CRET@host/x.git\"\n"),
            "DIR/ferry.toml:12:10: forge.git.remote: invalid remote \" https://***@host/x.git\": it starts or ends with whitespace; give a remote name (e.g. \"origin\") or a URL or path git can push to",
        ),
        (
            with("\n[forge]\nauthor = \"ferry@example.com\"\n"),
            "DIR/ferry.toml:12:10: forge.author: invalid author \"ferry@example.com\": write `Name <email>`, e.g. \"Ferry <ferry@example.com>\"",
        ),
    ]);
}

#[test]
fn monitor_values() {
    assert_errors(&[
        (
            with("\n[monitor]\nfailures = 11\n"),
            "DIR/ferry.toml:12:12: monitor.failures: failures (11) is more than checks (10), so a release could never be found unhealthy; lower failures or raise checks",
        ),
        (
            with("\n[monitor]\nchecks = 0\n"),
            "DIR/ferry.toml:12:10: monitor.checks: expected a whole number from 1 to 4294967295, found 0",
        ),
        (
            with("\n[monitor]\nerror-budget = -1\n"),
            "DIR/ferry.toml:12:16: monitor.error-budget: expected a whole number from 0 to 4294967295, found -1",
        ),
        (
            with("\n[monitor]\ninterval = \"0s\"\n"),
            "DIR/ferry.toml:12:12: monitor.interval: the interval must be longer than 0s",
        ),
        (
            with("\n[monitor]\ntimeout = \"15\"\n"),
            "DIR/ferry.toml:12:11: monitor.timeout: invalid duration \"15\": a unit is missing; write a number followed by a unit (ms, s, m, h, d), e.g. \"30m\" or \"1h30m\"",
        ),
        (
            prod_with("[environment.monitor]\nchecks = 2"),
            "DIR/ferry.toml:11:10: environment[1].monitor.checks: failures (3) is more than checks (2), so a release could never be found unhealthy; lower failures or raise checks",
        ),
        (
            prod_with("[environment.monitor]\nhttp = [{ url = \"ftp://x\" }]"),
            "DIR/ferry.toml:11:17: environment[1].monitor.http[0].url: invalid URL \"ftp://x\": expected an http:// or https:// URL",
        ),
        (
            prod_with("[environment.monitor]\nhttp = [{ url = \"http://x\", status = 700 }]"),
            "DIR/ferry.toml:11:38: environment[1].monitor.http[0].status: invalid HTTP status 700: expected 100 to 599",
        ),
        (
            prod_with(
                "[environment.monitor]\nhttp = [{ url = \"http://x\" }, { url = \"http://y\", body = \"(\" }]",
            ),
            "DIR/ferry.toml:11:58: environment[1].monitor.http[1].body: invalid regular expression \"(\": unclosed group",
        ),
    ]);
}

#[test]
fn monitor_settings_layer_defaults_global_and_environment() {
    let text = with(
        "\n[monitor]\ninterval = \"10s\"\nchecks = 5\n\n[[environment]]\nname = \"qa\"\noverlay = \"overlays/qa\"\nupstream = \"dev\"\n[environment.monitor]\nfailures = 5\nhttp = [{ url = \"https://qa.example.com/healthz\", status = 204 }]\n",
    );
    let config = Config::from_str(&text, "ferry.toml").unwrap();
    assert_eq!(config.monitor.interval, Duration::from_secs(10));
    assert_eq!(config.monitor.checks, 5);
    let prod = config.environment("prod").unwrap();
    assert_eq!(prod.monitor, config.monitor);
    let qa = config.environment("qa").unwrap();
    assert_eq!(qa.monitor.failures, 5);
    assert_eq!(qa.monitor.checks, 5);
    assert_eq!(qa.monitor.interval, Duration::from_secs(10));
    assert_eq!(qa.monitor.warmup, Duration::from_secs(60));
    assert_eq!(qa.monitor.http[0].status, 204);
    assert_eq!(qa.monitor.http[0].url, "https://qa.example.com/healthz");
}

#[test]
fn errors_point_into_the_loaded_file_and_leave_it_alone() {
    let text = prod_with("soak = \"soon\"");
    let (dir, result) = load(&text);
    let err = result.unwrap_err();
    let d = err.diagnostic().unwrap();
    assert_eq!((d.line, d.column), (10, 8));
    assert_eq!(d.field.as_deref(), Some("environment[1].soak"));
    assert!(
        d.message.starts_with("invalid duration \"soon\""),
        "{}",
        d.message
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ferry.toml")).unwrap(),
        text
    );
}

#[test]
fn sources_name_the_repository_each_image_is_built_from() {
    let (_dir, config) = load(&with(
        "\n[images]\nbackend = \"registry.example.com/acme/backend\"\nfrontend = \"r.io/web\"\n\n[sources]\nbackend = \"https://github.com/acme/backend/\"\n",
    ));
    let config = config.unwrap();
    let backend = config
        .image_by_repository("registry.example.com/acme/backend")
        .unwrap();
    assert_eq!(
        backend.source.as_deref(),
        Some("https://github.com/acme/backend")
    );
    assert_eq!(config.image_by_repository("r.io/web").unwrap().source, None);

    let images = "\n[images]\nbackend = \"r.io/backend\"\n\n[sources]\n";
    assert_errors(&[
        (
            with(&format!("{images}api = \"https://github.com/acme/api\"\n")),
            "DIR/ferry.toml:15:1: sources.api: no image `api` in [images]; name the image there first",
        ),
        (
            with(&format!("{images}backend = \"github.com/acme/backend\"\n")),
            "DIR/ferry.toml:15:11: sources.backend: invalid source repository \"github.com/acme/backend\": use an http:// or https:// address, e.g. https://github.com/acme/backend",
        ),
        (
            with(&format!("{images}backend = \"https://github.com\"\n")),
            "DIR/ferry.toml:15:11: sources.backend: invalid source repository \"https://github.com\": name the host and the repository path",
        ),
    ]);
}

#[test]
fn kustomize_load_restrictor_follows_kustomize_by_default() {
    let (_dir, config) = load(TWO_ENVS);
    assert_eq!(
        config.unwrap().kustomize.load_restrictor,
        LoadRestrictor::RootOnly
    );
    for (value, want) in [
        ("none", LoadRestrictor::None),
        ("LoadRestrictionsNone", LoadRestrictor::None),
        ("root-only", LoadRestrictor::RootOnly),
    ] {
        let (_dir, config) = load(&format!(
            "{TWO_ENVS}\n[kustomize]\nload-restrictor = \"{value}\"\n"
        ));
        assert_eq!(config.unwrap().kustomize.load_restrictor, want, "{value}");
    }
    let e = error(&format!(
        "[kustomize]\nload-restrictor = \"off\"\n{TWO_ENVS}"
    ));
    assert!(e.contains("kustomize.load-restrictor"), "{e}");
    assert!(e.contains("unknown load restrictor \"off\""), "{e}");
    assert!(e.contains(":2:"), "{e}");
}

// ---- Prometheus metrics ----

#[test]
fn metrics_take_the_prometheus_of_monitor_and_keep_their_places() {
    let text = with(
        "\n[monitor.prometheus]\nurl = \"http://prometheus:9090\"\n\n\
         [environment.monitor]\n\n\
         [[environment.monitor.metrics]]\nname = \"error-rate\"\nquery = \"sum(rate(e[1m]))\"\n\
         success = \"result[0] < 0.05\"\nfailure-limit = 2\n",
    );
    let (_dir, result) = load(&text);
    let config = result.expect("the file loads");
    let prod = config.environment("prod").expect("prod");
    let p = prod
        .monitor
        .prometheus
        .as_ref()
        .expect("inherited from [monitor]");
    assert_eq!(p.url, "http://prometheus:9090");
    assert_eq!(p.timeout, std::time::Duration::from_secs(30));
    let m = &prod.monitor.metrics[0];
    assert_eq!(
        (
            m.name.as_str(),
            m.query.as_str(),
            m.success.as_str(),
            m.failure.as_str()
        ),
        ("error-rate", "sum(rate(e[1m]))", "result[0] < 0.05", "")
    );
    assert_eq!(m.failure_limit, Some(2));
    assert!(
        m.success_at
            .ends_with("ferry.toml:19:11: environment[1].monitor.metrics[0].success"),
        "{}",
        m.success_at
    );
    assert!(
        config
            .environment("dev")
            .expect("dev")
            .monitor
            .metrics
            .is_empty()
    );
}

#[test]
fn metric_mistakes_name_their_place() {
    let metric = |extra: &str| {
        prod_with(&format!(
            "[environment.monitor]\n\n[[environment.monitor.metrics]]\nname = \"m\"\nquery = \"q\"\n{extra}"
        ))
    };
    assert_errors(&[
        (
            with("\n[monitor.prometheus]\nurl = \"ftp://p\"\n"),
            "DIR/ferry.toml:12:7: monitor.prometheus.url: invalid URL \"ftp://p\": expected an http:// or https:// URL without a query",
        ),
        (
            with("\n[monitor.prometheus]\nurl = \"http://p\"\ntimeout = \"0s\"\n"),
            "DIR/ferry.toml:13:11: monitor.prometheus.timeout: the timeout must be longer than 0s",
        ),
        (
            metric("success = \"result[0] > 1\""),
            "DIR/ferry.toml:14:9: environment[1].monitor.metrics[0].query: no Prometheus to ask: set [monitor.prometheus] url (or this environment's [environment.monitor.prometheus])",
        ),
        (
            metric(""),
            "DIR/ferry.toml:12:1: environment[1].monitor.metrics[0].success: give `success` (e.g. \"result[0] >= 0.95\"), `failure`, or both",
        ),
        (
            metric(
                "success = \"true\"\nfailure-limit = -2\n[environment.monitor.prometheus]\nurl = \"http://p\"",
            ),
            "DIR/ferry.toml:16:17: environment[1].monitor.metrics[0].failure-limit: expected a whole number from -1, found -2",
        ),
        (
            metric("success = \"true\"\ninterval = \"1m\""),
            "DIR/ferry.toml:16:1: environment[1].monitor.metrics[0].interval: unknown field `interval`, expected one of `name`, `query`, `success`, `failure`, `failure-limit`, `inconclusive-limit`, `consecutive-error-limit`",
        ),
    ]);
}
