//! A build context with a `.dockerignore`: what the engine would receive, without the files
//! the patterns exclude (an exception with `!` brings one back).
//!
//! Run with `cargo run -p ferry-build --example context`.

use ferry_build::{DockerIgnore, archive};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    std::fs::create_dir_all(root.join("docs"))?;
    for (path, text) in [
        ("Dockerfile", "FROM scratch\nCOPY app.txt /app.txt\n"),
        (".dockerignore", "*.log\ndocs\n!docs/NOTICE\n"),
        ("app.txt", "the app\n"),
        ("debug.log", "not sent\n"),
        ("docs/guide.md", "not sent\n"),
        ("docs/NOTICE", "sent: an exception\n"),
    ] {
        std::fs::write(root.join(path), text)?;
    }
    let context = archive(root, None)?;
    for entry in &context.entries {
        println!("{entry}");
    }
    assert_eq!(
        context.entries,
        [".dockerignore", "Dockerfile", "app.txt", "docs/NOTICE"]
    );
    assert_eq!(context.dockerfile, "Dockerfile");

    // The rules alone: the last pattern that matches decides.
    let ignore = DockerIgnore::parse("*.md\n!README.md\n")?;
    assert!(ignore.excludes("CHANGES.md"));
    assert!(!ignore.excludes("README.md"));
    Ok(())
}
