//! The README's Actions section shows the files `ferry init` writes for the command it shows,
//! word for word: each block after `<!-- excerpt: PATH -->` is a run of whole lines of PATH.

use ferry_init::{Options, RawOptions, generate};

/// The command the README shows, and the options it stands for.
const COMMAND: &str = "ferry init --app shop --image backend=ghcr.io/acme/backend --image frontend=ghcr.io/acme/frontend --repo acme/shop";

fn options() -> Options {
    Options::new(RawOptions {
        app: "shop".into(),
        images: vec![
            "backend=ghcr.io/acme/backend".into(),
            "frontend=ghcr.io/acme/frontend".into(),
        ],
        repo: Some("acme/shop".into()),
        ..RawOptions::default()
    })
    .expect("the README's options are valid")
}

/// The README's `## Actions` section.
fn section() -> String {
    let readme = std::fs::read_to_string(ferry_test_support::workspace_root().join("README.md"))
        .expect("README.md");
    let start = readme
        .find("\n## Actions\n")
        .expect("README has an Actions section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_owned()
}

/// (path, block) of every excerpt in `section`.
fn excerpts(section: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = section;
    while let Some(at) = rest.find("<!-- excerpt: ") {
        rest = &rest[at + "<!-- excerpt: ".len()..];
        let (path, after) = rest.split_once(" -->\n").expect("`<!-- excerpt: PATH -->`");
        let after = after.strip_prefix("```").expect("a fenced block follows");
        let (_, body) = after.split_once('\n').expect("the fence's line");
        let (block, _) = body.split_once("```\n").expect("the closing fence");
        found.push((path.to_owned(), block.to_owned()));
        rest = after;
    }
    found
}

#[test]
fn the_actions_section_shows_the_generated_files_word_for_word() {
    let section = section();
    assert!(section.contains(COMMAND), "the README shows `{COMMAND}`");
    let files = generate(&options());
    let excerpts = excerpts(&section);
    assert!(excerpts.len() >= 5, "{} excerpts", excerpts.len());
    for (path, block) in &excerpts {
        let file = files
            .iter()
            .find(|f| &f.path == path)
            .unwrap_or_else(|| panic!("README excerpt of {path}, which ferry init does not write"));
        let whole_lines = file.contents.starts_with(block.as_str())
            || file.contents.contains(&format!("\n{block}"));
        assert!(
            whole_lines && block.ends_with('\n'),
            "the README's excerpt of {path} is not in the generated file:\n{block}"
        );
    }
}

#[test]
fn a_changed_excerpt_is_found() {
    let section = section().replacen("cancel-in-progress: false", "cancel-in-progress: true", 1);
    let files = generate(&options());
    let differs = excerpts(&section).iter().any(|(path, block)| {
        let file = files.iter().find(|f| &f.path == path).unwrap();
        !file.contents.contains(block.as_str())
    });
    assert!(differs, "an edited excerpt still matches");
}
