//! The body of a Ferry pull request: a marker and a table of image changes.

use std::fmt::Write as _;

/// Start of the hidden marker on the first line of every Ferry pull request body:
/// `<!-- ferry:change env=<env> -->`. It tells Ferry's changes apart from other pull requests.
pub const BODY_MARKER: &str = "<!-- ferry:change env=";

/// One row of the image table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageChangeRow {
    /// The workload (e.g. `Deployment/api`).
    pub workload: String,
    /// The container in it.
    pub container: String,
    /// The image reference before, when there was one.
    pub old: Option<String>,
    /// The image reference after.
    pub new: String,
    /// The application's repository on the web (e.g. `https://github.com/acme/api`), for a
    /// compare link.
    pub source_repo: Option<String>,
}

/// The body of the pull request that changes `env`: marker, summary, image table.
pub fn render_body(env: &str, base: &str, rows: &[ImageChangeRow]) -> String {
    let mut out = format!("{BODY_MARKER}{env} -->\n");
    let _ = writeln!(
        out,
        "Ferry updates the images of **{}** (base `{}`).\n",
        cell(env),
        cell(base)
    );
    if rows.is_empty() {
        out.push_str("No image changes.\n");
        return out;
    }
    out.push_str("| Workload | Container | Image | Source |\n");
    out.push_str("| --- | --- | --- | --- |\n");
    for row in rows {
        let old = row
            .old
            .as_deref()
            .map_or_else(|| "(none)".to_owned(), |o| format!("`{}`", cell(o)));
        let link = match (&row.source_repo, &row.old) {
            (Some(repo), Some(old)) => compare_url(repo, old, &row.new)
                .map(|url| format!("[compare]({url})"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {old} → `{}` | {link} |",
            cell(&row.workload),
            cell(&row.container),
            cell(&row.new)
        );
    }
    out
}

/// The environment named by the marker of a Ferry pull request body.
pub fn body_env(body: &str) -> Option<&str> {
    let rest = body.lines().next()?.strip_prefix(BODY_MARKER)?;
    let env = rest.strip_suffix("-->")?.trim();
    (!env.is_empty()).then_some(env)
}

/// The images a Ferry change body sets: the new reference of each row of its image table
/// (`… → `NEW` …`), in table order.
pub fn body_images(body: &str) -> Vec<String> {
    body.lines()
        .filter(|line| line.starts_with('|'))
        .filter_map(|line| {
            let (_, after) = line.split_once("→ `")?;
            let (image, _) = after.split_once('`')?;
            Some(image.to_owned())
        })
        .collect()
}

/// A `…/compare/OLD...NEW` link between the source revisions of two image references, when
/// both tags name a revision: a commit sha (`1a2b3c4`, `sha-1a2b3c4`) or a version (`v1.2.3`,
/// `1.2.3`). `None` for digests, equal revisions or other tags.
pub fn compare_url(source_repo: &str, old: &str, new: &str) -> Option<String> {
    let old = revision(tag_of(old)?)?;
    let new = revision(tag_of(new)?)?;
    if old == new {
        return None;
    }
    let repo = source_repo.trim_end_matches('/').trim_end_matches(".git");
    Some(format!("{repo}/compare/{old}...{new}"))
}

/// The tag of an image reference (`name:tag` or `name:tag@digest`).
fn tag_of(reference: &str) -> Option<&str> {
    let without_digest = reference.split('@').next()?;
    let last = without_digest.rsplit('/').next()?;
    last.split_once(':').map(|(_, tag)| tag)
}

/// The source revision a tag names.
fn revision(tag: &str) -> Option<&str> {
    let hex = |s: &str| (7..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit());
    let sha = tag.strip_prefix("sha-").unwrap_or(tag);
    if hex(sha) {
        return Some(sha);
    }
    let version = tag.strip_prefix('v').unwrap_or(tag);
    let core = version.split(['-', '+']).next().unwrap_or(version);
    let numeric = !core.is_empty()
        && core.split('.').count() >= 2
        && core
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    numeric.then_some(tag)
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace(['\n', '\r'], " ")
        .replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_images_of_a_body_are_read_back() {
        let body = render_body(
            "prod",
            "main",
            &[
                row(Some("r.example.com/api:1.0"), "r.example.com/api:1.1", None),
                row(None, "r.example.com/web:2.0", None),
            ],
        );
        assert_eq!(
            body_images(&body),
            ["r.example.com/api:1.1", "r.example.com/web:2.0"]
        );
        assert!(body_images("no table here").is_empty());
    }

    fn row(old: Option<&str>, new: &str, repo: Option<&str>) -> ImageChangeRow {
        ImageChangeRow {
            workload: "Deployment/api".into(),
            container: "api".into(),
            old: old.map(Into::into),
            new: new.into(),
            source_repo: repo.map(Into::into),
        }
    }

    #[test]
    fn body_has_marker_table_and_compare_links() {
        let body = render_body(
            "dev",
            "main",
            &[
                row(
                    Some("ghcr.io/acme/api:v1.2.3"),
                    "ghcr.io/acme/api:v1.3.0",
                    Some("https://github.com/acme/api.git"),
                ),
                row(None, "ghcr.io/acme/worker:sha-1a2b3c4", None),
            ],
        );
        assert_eq!(
            body,
            "<!-- ferry:change env=dev -->\n\
             Ferry updates the images of **dev** (base `main`).\n\n\
             | Workload | Container | Image | Source |\n\
             | --- | --- | --- | --- |\n\
             | Deployment/api | api | `ghcr.io/acme/api:v1.2.3` → `ghcr.io/acme/api:v1.3.0` | [compare](https://github.com/acme/api/compare/v1.2.3...v1.3.0) |\n\
             | Deployment/api | api | (none) → `ghcr.io/acme/worker:sha-1a2b3c4` |  |\n"
        );
        assert_eq!(body_env(&body), Some("dev"));
        assert_eq!(body_env("Some other PR"), None);
    }

    #[test]
    fn compare_links_need_revisions_on_both_sides() {
        let repo = "https://github.com/acme/api";
        assert_eq!(
            compare_url(repo, "r.io/api:sha-1a2b3c4", "r.io/api:9f8e7d6c5b4a").as_deref(),
            Some("https://github.com/acme/api/compare/1a2b3c4...9f8e7d6c5b4a")
        );
        assert_eq!(
            compare_url(repo, "localhost:5000/api:1.2.3", "localhost:5000/api:1.2.4").as_deref(),
            Some("https://github.com/acme/api/compare/1.2.3...1.2.4")
        );
        assert_eq!(
            compare_url(repo, "r.io/api:latest", "r.io/api:v2.0.0"),
            None
        );
        assert_eq!(
            compare_url(repo, "r.io/api@sha256:abcd", "r.io/api:v2.0.0"),
            None
        );
        assert_eq!(
            compare_url(repo, "r.io/api:v1.0.0", "r.io/api:v1.0.0"),
            None
        );
    }

    #[test]
    fn cells_cannot_break_the_table() {
        let body = render_body("prod|x", "main", &[row(None, "a:b|c\nd", None)]);
        assert!(body.contains("**prod\\|x**"));
        assert!(body.contains("`a:b\\|c d`"));
    }
}
