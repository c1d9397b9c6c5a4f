//! The option sets the tests generate.

use std::path::Path;

use ferry_init::{File, Options, RawOptions, generate};

/// The default: GitHub, dev → staging → prod (prod blue-green), two images on ghcr.io.
pub fn default() -> Options {
    Options::new(RawOptions {
        app: "shop".into(),
        images: vec![
            "backend=ghcr.io/acme/backend".into(),
            "frontend=ghcr.io/acme/frontend".into(),
        ],
        repo: Some("acme/shop".into()),
        ..RawOptions::default()
    })
    .expect("the default options are valid")
}

/// Two environments on the plain-git forge (prod blue-green, the default for `prod`).
pub fn plain_git() -> Options {
    Options::new(RawOptions {
        app: "shop".into(),
        images: vec!["backend=registry.example.com/acme/backend".into()],
        forge: Some("git".into()),
        repo_url: Some("https://git.example.com/acme/shop.git".into()),
        environments: vec!["dev".into(), "prod".into()],
        ..RawOptions::default()
    })
    .expect("the plain-git options are valid")
}

/// GitHub with two environments, no blue-green and a registry that needs credentials: the
/// workflow shapes the default does not have.
pub fn github_two_plain() -> Options {
    Options::new(RawOptions {
        app: "api".into(),
        images: vec!["api=registry.example.com/acme/api".into()],
        repo: Some("acme/api".into()),
        environments: vec!["test".into(), "live".into()],
        blue_green: Some(vec![]),
        base_branch: Some("trunk".into()),
        ..RawOptions::default()
    })
    .expect("the options are valid")
}

/// Every case, by name.
pub fn all() -> Vec<(&'static str, Options)> {
    vec![
        ("default", default()),
        ("plain_git", plain_git()),
        ("github_two_plain", github_two_plain()),
    ]
}

/// Writes the files of `options` under `dir`.
pub fn write(dir: &Path, options: &Options) -> Vec<File> {
    let files = generate(options);
    ferry_init::plan(dir, files.clone())
        .expect("plan")
        .apply(dir, false)
        .expect("apply");
    files
}
