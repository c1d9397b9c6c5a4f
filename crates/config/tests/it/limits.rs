//! Bounds on `ferry.toml`: size, file kind, NUL bytes; and `[registries]`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferry_config::{Config, ConfigError, RegistryCredentials};

const ENV: &str = "[[environment]]\nname = \"dev\"\noverlay = \"overlays/dev\"\n";

#[test]
fn a_file_over_the_limit_is_refused_while_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferry.toml");
    // 100 MB of comments: valid TOML, refused by size without parsing.
    let line = format!("# {}\n", "x".repeat(98));
    let mut text = String::from(ENV);
    while text.len() < 100_000_000 {
        text.push_str(&line.repeat(10_000));
    }
    std::fs::write(&path, &text).unwrap();
    let started = Instant::now();
    let err = Config::load(&path).unwrap_err();
    assert!(matches!(err, ConfigError::Refused { .. }), "{err}");
    assert!(err.to_string().contains("larger than 1024 KiB"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn devices_and_fifos_are_refused_not_read() {
    for special in ["/dev/zero", "/dev/null"] {
        let err = Config::load(special).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("ferry.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        // Without a writer, opening a FIFO blocks forever: the check must come first.
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let _ = tx.send(Config::load(&path).map(|_| ()).map_err(|e| e.to_string()));
        });
        let result = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("a FIFO must be refused at once");
        assert!(result.unwrap_err().contains("not a regular file"));
    } else {
        panic!("mkfifo is needed for this test");
    }
}

#[test]
fn nul_bytes_in_values_are_refused_with_file_and_line() {
    let text = format!(
        "{ENV}\n[[environment]]\nname = \"prod\"\noverlay = \"overlays/prod\\u0000/../../etc\"\nupstream = \"dev\"\n"
    );
    let err = Config::from_str(&text, "repo/ferry.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("repo/ferry.toml:7:11: environment[1].overlay: contains a NUL byte"),
        "{err}"
    );
    let text = format!("{ENV}[forge.git]\nremote = \"/srv/git\\u0000x\"\n");
    let err = Config::from_str(&text, "ferry.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("ferry.toml:5:10: forge.git.remote: contains a NUL"),
        "{err}"
    );
}

#[test]
fn registries_are_read_with_their_credential_source() {
    let text = format!(
        r#"{ENV}
[registries."localhost:5055"]

[registries."Registry.Example.com"]
plain-http = true
username-env = "REG_USER"
password-env = "REG_PASSWORD"

[registries."ghcr.io"]
token-env = "GHCR_TOKEN"

[registries."ecr.example.com"]
credential-helper = "ecr-login"

[registries."[::1]:5000"]
plain-http = false
docker-config = "ci/docker.json"
"#
    );
    let config = Config::from_str(&text, "/repo/ferry.toml").unwrap();
    let local = config.registry("localhost:5055").unwrap();
    assert_eq!(local.plain_http, None);
    assert_eq!(local.credentials, RegistryCredentials::Default);
    let example = config.registry("registry.example.com").unwrap();
    assert_eq!(example.plain_http, Some(true));
    assert_eq!(
        example.credentials,
        RegistryCredentials::Env {
            username: "REG_USER".into(),
            password: "REG_PASSWORD".into()
        }
    );
    assert_eq!(
        config.registry("ghcr.io").unwrap().credentials,
        RegistryCredentials::TokenEnv("GHCR_TOKEN".into())
    );
    assert_eq!(
        config.registry("ecr.example.com").unwrap().credentials,
        RegistryCredentials::Helper("ecr-login".into())
    );
    let v6 = config.registry("[::1]:5000").unwrap();
    assert_eq!(v6.plain_http, Some(false));
    assert_eq!(
        v6.credentials,
        RegistryCredentials::DockerConfig(PathBuf::from("/repo/ci/docker.json"))
    );

    for (bad, want) in [
        (
            "[registries.\"x.io\"]\nusername-env = \"U\"\n",
            "registries.\"x.io\".username-env: username-env needs password-env",
        ),
        (
            "[registries.\"x.io\"]\ntoken-env = \"ghp_secret value\"\n",
            "invalid environment variable name",
        ),
        (
            "[registries.\"x.io\"]\ntoken-env = \"T\"\ncredential-helper = \"pass\"\n",
            "give one source of credentials",
        ),
        ("[registries.\"https://x.io\"]\n", "invalid registry"),
        (
            "[registries.\"x.io\"]\nplain = true\n",
            "unknown field `plain`",
        ),
    ] {
        let err = Config::from_str(&format!("{ENV}{bad}"), "ferry.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{bad}: {err}");
    }
}
