//! `Options::new` refuses what would not make a valid repository, naming the option.

use ferry_error::Classify as _;
use ferry_init::{InitError, Options, RawOptions};

fn raw() -> RawOptions {
    RawOptions {
        app: "shop".into(),
        images: vec!["backend=ghcr.io/acme/backend".into()],
        repo: Some("acme/shop".into()),
        ..RawOptions::default()
    }
}

fn refused(raw: RawOptions) -> (&'static str, String) {
    match Options::new(raw) {
        Err(e @ InitError::Option { option, .. }) => {
            assert_eq!(e.exit_code(), 2, "{e}");
            (option, e.to_string())
        }
        other => panic!("expected an option error, got {other:?}"),
    }
}

#[test]
fn the_defaults_are_three_environments_with_prod_blue_green() {
    let options = Options::new(raw()).unwrap();
    assert_eq!(options.environments, ["dev", "staging", "prod"]);
    assert_eq!(options.blue_green, ["prod"]);
    assert_eq!(options.base_branch, "main");
    assert_eq!(options.upstream("staging"), Some("dev"));
    assert_eq!(options.upstream("dev"), None);
    assert_eq!(options.namespace("prod"), "shop-prod");
    assert_eq!(options.repo_url(), "https://github.com/acme/shop.git");
}

#[test]
fn names_that_are_not_kubernetes_names_are_refused() {
    for app in [
        "",
        "Shop",
        "shop_app",
        "-shop",
        "shop-",
        "1shop",
        &"a".repeat(41),
    ] {
        let (option, message) = refused(RawOptions {
            app: app.into(),
            ..raw()
        });
        assert_eq!(option, "--app", "{message}");
    }
    let (option, _) = refused(RawOptions {
        environments: vec!["dev".into(), "Prod".into()],
        ..raw()
    });
    assert_eq!(option, "--environments");
    // Written unquoted in YAML, these would be booleans to Kubernetes.
    for word in ["no", "on", "yes", "off", "y"] {
        let (option, message) = refused(RawOptions {
            environments: vec!["dev".into(), word.into()],
            ..raw()
        });
        assert_eq!(option, "--environments");
        assert!(message.contains("boolean"), "{message}");
    }
}

#[test]
fn images_are_checked() {
    for (image, says) in [
        ("backend", "NAME=REPOSITORY"),
        ("Backend=ghcr.io/acme/backend", "lowercase"),
        ("backend=ghcr.io/acme/backend:1.0", "without tag or digest"),
        ("backend=ghcr.io/Acme/backend", "without tag or digest"),
    ] {
        let (option, message) = refused(RawOptions {
            images: vec![image.into()],
            ..raw()
        });
        assert_eq!(option, "--image");
        assert!(message.contains(says), "{image}: {message}");
    }
    let (_, message) = refused(RawOptions {
        images: vec![
            "backend=ghcr.io/acme/backend".into(),
            "backend=ghcr.io/acme/other".into(),
        ],
        ..raw()
    });
    assert!(message.contains("given twice"), "{message}");
    let (_, message) = refused(RawOptions {
        images: vec![
            "backend=ghcr.io/acme/backend".into(),
            "api=ghcr.io/acme/backend".into(),
        ],
        ..raw()
    });
    assert!(message.contains("share a repository"), "{message}");
    let (_, message) = refused(RawOptions {
        images: vec![],
        ..raw()
    });
    assert!(message.contains("at least one image"), "{message}");
}

#[test]
fn environments_twice_and_unknown_blue_green_are_refused() {
    let (option, _) = refused(RawOptions {
        environments: vec!["dev".into(), "dev".into()],
        ..raw()
    });
    assert_eq!(option, "--environments");
    let (option, message) = refused(RawOptions {
        blue_green: Some(vec!["qa".into()]),
        ..raw()
    });
    assert_eq!(option, "--blue-green");
    assert!(message.contains("dev,staging,prod"), "{message}");
}

#[test]
fn each_forge_needs_its_repository() {
    let (option, _) = refused(RawOptions {
        repo: None,
        ..raw()
    });
    assert_eq!(option, "--repo");
    for repo in ["acme", "acme/shop/x", "ac me/shop", "acme/.shop"] {
        let (option, _) = refused(RawOptions {
            repo: Some(repo.into()),
            ..raw()
        });
        assert_eq!(option, "--repo", "{repo}");
    }
    let git = |url: Option<&str>| RawOptions {
        forge: Some("git".into()),
        repo: None,
        repo_url: url.map(Into::into),
        ..raw()
    };
    assert_eq!(refused(git(None)).0, "--repo-url");
    for url in ["--upload-pack=x", "ext::sh -c x", "https://x/\"y", "a b"] {
        assert_eq!(refused(git(Some(url))).0, "--repo-url", "{url}");
    }
    let options = Options::new(git(Some("/srv/git/shop.git"))).unwrap();
    assert_eq!(options.repo_url(), "/srv/git/shop.git");
    assert_eq!(
        refused(RawOptions {
            forge: Some("gitlab".into()),
            ..raw()
        })
        .0,
        "--forge"
    );
    for base in ["-x", "a\"b", "{x}", "a b"] {
        assert_eq!(
            refused(RawOptions {
                base_branch: Some(base.into()),
                ..raw()
            })
            .0,
            "--base",
            "{base}"
        );
    }
}
