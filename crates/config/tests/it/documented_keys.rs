//! Every key `docs/config.md` documents is parsed by ferry-config and read by some binary.
//!
//! The keys come from the tables of docs/config.md (the first column of each `| Key |` table,
//! under the heading that names its TOML table). Each is checked twice: the key is accepted in
//! a file (an unknown key is an error), and the Rust field that holds it is read somewhere
//! outside `crates/config` (by a binary or by a library a binary calls), not only stored.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (table, key) for every documented key, e.g. ("monitor", "warmup"),
/// ("environment.monitor", "http"), ("registries.\"HOST\"", "plain-http").
fn documented() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(workspace().join("docs/config.md")).unwrap();
    let mut table = String::new();
    let mut in_keys = false;
    let mut keys = Vec::new();
    for line in text.lines() {
        let heading = line
            .strip_prefix("### ")
            .or_else(|| line.starts_with("`[").then_some(line));
        if let Some(h) = heading.or_else(|| line.strip_prefix("Only in ").map(|_| line)) {
            if let Some(start) = h.find("`[") {
                let rest = &h[start + 2..];
                let name = &rest[..rest.find(']').unwrap()];
                table = name.trim_start_matches('[').to_string();
            }
            in_keys = false;
            continue;
        }
        if line.starts_with("| Key |") {
            in_keys = true;
            continue;
        }
        if !line.starts_with('|') {
            in_keys = false;
            continue;
        }
        if in_keys && !line.starts_with("|---") {
            let cell = line.split('|').nth(1).unwrap().trim();
            if let Some(key) = cell.strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
                if key.starts_with('[') {
                    continue; // a sub-table, documented under its own heading
                }
                keys.push((table.clone(), key.to_string()));
            }
        }
    }
    keys
}

/// The Rust expression that reads a key's value, by key.
fn reader(table: &str, key: &str) -> String {
    match (table, key) {
        (t, "username-env" | "password-env") if t.starts_with("registries") => {
            "RegistryCredentials::Env".into()
        }
        (t, "token-env") if t.starts_with("registries") => "RegistryCredentials::TokenEnv".into(),
        (t, "docker-config") if t.starts_with("registries") => {
            "RegistryCredentials::DockerConfig".into()
        }
        (t, "credential-helper") if t.starts_with("registries") => {
            "RegistryCredentials::Helper".into()
        }
        (t, "plain-http") if t.starts_with("registries") => "registry.plain_http".into(),
        _ => format!(".{}", key.replace('-', "_")),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "tests" | "target" | "config" | "fuzz") {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(path);
        }
    }
}

#[test]
fn every_documented_key_is_read_by_some_binary() {
    let keys = documented();
    let tables: std::collections::BTreeSet<&str> = keys.iter().map(|(t, _)| t.as_str()).collect();
    for wanted in [
        "environment",
        "forge",
        "forge.git",
        "forge.github",
        "monitor",
        "environment.monitor",
    ] {
        assert!(
            tables.contains(wanted),
            "no key table for [{wanted}] found in docs/config.md: {tables:?}"
        );
    }
    assert!(
        tables.iter().any(|t| t.starts_with("registries")),
        "{tables:?}"
    );
    let mut files = Vec::new();
    for dir in ["bins", "crates"] {
        rust_files(&workspace().join(dir), &mut files);
    }
    let sources: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let mut unread = Vec::new();
    for (table, key) in &keys {
        let expr = reader(table, key);
        // Test code does not count: only what follows a `#[cfg(test)]` is cut.
        let used = sources.iter().any(|s| {
            let code = s.split("#[cfg(test)]").next().unwrap_or(s);
            code.contains(&expr)
        });
        if !used {
            unread.push(format!("[{table}] {key} (looked for `{expr}`)"));
        }
    }
    assert!(
        unread.is_empty(),
        "documented in docs/config.md but read by no binary:\n{}",
        unread.join("\n")
    );
    assert!(keys.len() >= 30, "only {} keys found: {keys:?}", keys.len());
}

/// A file with one value for `key` of `table`, to check that ferry-config accepts the key.
fn sample(table: &str, key: &str) -> Option<String> {
    const ENV: &str = "[[environment]]\nname = \"dev\"\noverlay = \"o/dev\"\n";
    let value = match key {
        "name" | "overlay" | "upstream" | "soak" | "owner" | "repo" => return None,
        "auto-merge" | "plain-http" => "true".to_string(),
        "checks" => "5".to_string(),
        "failures" | "error-budget" | "app-id" => "1".to_string(),
        "warmup" | "interval" | "timeout" => "\"1s\"".to_string(),
        "labels" | "required-checks" => "[\"x\"]".to_string(),
        "http" => "[{ url = \"https://x.example.com/\" }]".to_string(),
        "workloads" => "[\"deployment/web\"]".to_string(),
        "namespace" => "\"shop\"".to_string(),
        "author" => "\"A <a@example.com>\"".to_string(),
        "api-url" | "graphql-url" => "\"https://api.example.com\"".to_string(),
        "kind" => "\"git\"".to_string(),
        "merge-method" => "\"merge\"".to_string(),
        "base-branch" => "\"main\"".to_string(),
        "branch-prefix" => "\"deploy/\"".to_string(),
        "remote" => "\"origin\"".to_string(),
        "argocd-app" => "\"app\"".to_string(),
        "username-env" => "\"U\"\npassword-env = \"P\"".to_string(),
        "password-env" => return None,
        "token-env" => "\"T\"".to_string(),
        "docker-config" => "\"docker.json\"".to_string(),
        "credential-helper" => "\"pass\"".to_string(),
        "load-restrictor" => "\"none\"".to_string(),
        "metrics" => "[]".to_string(),
        "url" => "\"http://prometheus.example.com:9090\"".to_string(),
        "query" | "success" | "failure" => "\"true\"".to_string(),
        "failure-limit" | "inconclusive-limit" | "consecutive-error-limit" => "2".to_string(),
        _ => "\"x\"".to_string(),
    };
    let line = format!("{key} = {value}\n");
    Some(match table {
        "environment" => format!("{ENV}{line}"),
        "environment.monitor" => format!("{ENV}[environment.monitor]\n{line}"),
        "forge.github" => format!("{ENV}[forge.github]\nowner = \"o\"\nrepo = \"r\"\n{line}"),
        "monitor.prometheus" if key != "url" => {
            format!("{ENV}[monitor.prometheus]\nurl = \"http://p.example.com\"\n{line}")
        }
        // A metric needs a name, a query, a condition and a Prometheus to ask.
        "environment.monitor.metrics" => {
            let mut text = format!(
                "[monitor.prometheus]\nurl = \"http://p.example.com\"\n{ENV}[[environment.monitor.metrics]]\n{line}"
            );
            for (k, v) in [
                ("name", "\"m\""),
                ("query", "\"q\""),
                ("success", "\"true\""),
            ] {
                if k != key {
                    text.push_str(&format!("{k} = {v}\n"));
                }
            }
            text
        }
        t if t.starts_with("registries") => format!("{ENV}[registries.\"r.example.com\"]\n{line}"),
        t => format!("{ENV}[{t}]\n{line}"),
    })
}

#[test]
fn every_documented_key_is_accepted_by_ferry_config() {
    for (table, key) in documented() {
        let Some(text) = sample(&table, &key) else {
            continue;
        };
        if let Err(e) = ferry_config::Config::from_str(&text, "ferry.toml") {
            panic!("[{table}] {key} is documented but refused: {e}\n{text}");
        }
    }
}
