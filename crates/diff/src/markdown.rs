//! The markdown of `ferry diff`: a title, a table per environment, the image changes, then one
//! collapsible `<details>` per object with its diff. As one document (the job summary) or split
//! into pull request comments of at most GitHub's 65,536 characters.

use std::fmt::Write as _;

use crate::comment::marker;
use crate::compare::ObjectChange;
use crate::report::{Report, Section, change_title, counts_line};
use crate::text::title;

/// GitHub's limit on the body of a comment, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// The limit of a job summary (`$GITHUB_STEP_SUMMARY`): 1 MiB per step.
pub const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;

/// The most image changes the table lists; the rest are counted.
const MAX_IMAGE_ROWS: usize = 100;

/// Room kept in each comment for its marker line.
const MARKER_ROOM: usize = 120;

/// The report as one markdown document of at most `limit` bytes (objects that do not fit are
/// counted at the end), for the job summary.
pub fn to_markdown(report: &Report, limit: usize) -> String {
    let (head, blocks) = blocks(report);
    let mut out = head;
    let mut left_out = 0;
    let note_room = 200;
    for block in blocks {
        if left_out > 0 {
            left_out += usize::from(block.change.is_some());
            continue;
        }
        let text = block.fit(limit.saturating_sub(out.len() + note_room));
        match text {
            Some(text) => out.push_str(&text),
            None => left_out += usize::from(block.change.is_some()),
        }
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "\n*{left_out} more object(s) not shown: the summary is limited to {} bytes; run `ferry diff` for all of them.*",
            limit
        );
    }
    out
}

/// The report as pull request comments of at most `limit` bytes each (so at most `limit`
/// characters however GitHub counts them), each starting with the hidden marker of `key` and its
/// part number ([`marker`]). An object whose diff alone is too long is cut, saying how many lines
/// were left out.
pub fn comment_bodies(report: &Report, key: &str, limit: usize) -> Vec<String> {
    let budget = limit.saturating_sub(MARKER_ROOM).max(1024);
    let (head, blocks) = blocks(report);
    let mut parts: Vec<String> = vec![head];
    let mut section: Option<&str> = None;
    for block in &blocks {
        let current = parts.last().expect("there is always a part");
        let room = budget.saturating_sub(current.len());
        let fits = block.text.len() <= room;
        // A block too long for any part is cut anyway: into this part while it has room.
        let cut_here = !fits && block.text.len() > budget && room >= budget / 2;
        if cut_here {
            let text = block.fit(room).unwrap_or_else(|| too_long(block));
            parts
                .last_mut()
                .expect("there is always a part")
                .push_str(&text);
        } else if !fits {
            // A fresh part.
            let continued = continuation(parts.len() + 1, block, section);
            let fresh_room = budget.saturating_sub(continued.len());
            let text = block.fit(fresh_room).unwrap_or_else(|| too_long(block));
            parts.push(continued + &text);
        } else {
            parts
                .last_mut()
                .expect("there is always a part")
                .push_str(&block.text);
        }
        if let Some(name) = block.section {
            section = Some(name);
        }
    }
    let total = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(index, body)| format!("{}\n{body}", marker(key, index + 1, total)))
        .collect()
}

/// What stands for a block that cannot be cut small enough (a list of thousands of
/// references).
fn too_long(block: &Block<'_>) -> String {
    match block.change {
        Some((report, change)) => format!(
            "{}: too long to show here; run `ferry diff` for it.\n\n",
            escape(&change_title(report, change))
        ),
        None => "(too long to show here)\n\n".to_owned(),
    }
}

/// The first lines of a part after the first: which part, and the section it continues.
fn continuation(part: usize, next: &Block<'_>, section: Option<&str>) -> String {
    let mut out = format!("*ferry diff, continued (part {part})*\n\n");
    if next.section.is_none()
        && let Some(name) = section
    {
        let _ = writeln!(out, "#### {} (continued)\n", escape(name));
    }
    out
}

/// One piece of the document: a section heading or an object's details.
struct Block<'r> {
    text: String,
    /// The section a heading block starts.
    section: Option<&'r str>,
    /// The change an object block shows (it can be cut to fit).
    change: Option<(&'r Report, &'r ObjectChange)>,
}

impl Block<'_> {
    /// The block in at most `room` bytes: whole, or an object with its diff cut; `None` when
    /// not even that fits.
    fn fit(&self, room: usize) -> Option<String> {
        if self.text.len() <= room {
            return Some(self.text.clone());
        }
        let (report, change) = self.change?;
        let cut = object_block(report, change, Some(room));
        (cut.len() <= room).then_some(cut)
    }
}

/// The head (title, table, images) and the blocks of the report.
fn blocks(report: &Report) -> (String, Vec<Block<'_>>) {
    let mut head = format!("### {}\n\n", escape(&title(report)));
    if report.sections.is_empty() {
        head.push_str("No environment compared.\n");
    } else {
        head.push_str("| environment | difference |\n|---|---|\n");
        for section in &report.sections {
            let counts = section.comparison.counts();
            let _ = writeln!(
                head,
                "| {} | {} |",
                cell(&section.name),
                cell(&counts_line(report, &counts))
            );
        }
    }
    let images: Vec<_> = report.images().collect();
    if !images.is_empty() {
        head.push_str("\n**Images**\n\n| environment | object | container | old | new |\n|---|---|---|---|---|\n");
        for (section, change) in images.iter().take(MAX_IMAGE_ROWS) {
            let init = if change.init { " (init)" } else { "" };
            let _ = writeln!(
                head,
                "| {} | {} | {}{init} | {} | {} |",
                cell(section),
                cell(&change.object.to_string()),
                cell(&change.container),
                code(change.old.as_deref()),
                code(change.new.as_deref())
            );
        }
        if images.len() > MAX_IMAGE_ROWS {
            let _ = writeln!(
                head,
                "\n*and {} more image changes*",
                images.len() - MAX_IMAGE_ROWS
            );
        }
    }
    if report.differences() == 0 {
        head.push_str("\nNo difference.\n");
    }
    let mut blocks = Vec::new();
    for section in &report.sections {
        if section.comparison.is_empty() {
            continue;
        }
        blocks.push(Block {
            text: section_heading(report, section),
            section: Some(&section.name),
            change: None,
        });
        for change in &section.comparison.objects {
            blocks.push(Block {
                text: object_block(report, change, None),
                section: None,
                change: Some((report, change)),
            });
        }
    }
    (head, blocks)
}

fn section_heading(report: &Report, section: &Section) -> String {
    let counts = section.comparison.counts();
    format!(
        "\n#### {}\n\n{}\n\n",
        escape(&section.name),
        escape(&counts_line(report, &counts))
    )
}

/// An object's `<details>` block; with `room`, its diff is cut to fit in that many bytes.
fn object_block(report: &Report, change: &ObjectChange, room: Option<usize>) -> String {
    let fence = fence_for(&change.diff);
    let mut top = format!(
        "<details><summary>{}</summary>\n\n",
        escape(&change_title(report, change))
    );
    if !change.references.is_empty() {
        let names: Vec<String> = change
            .references
            .iter()
            .map(|r| escape(&r.to_string()))
            .collect();
        let _ = writeln!(top, "Referenced by: {}\n", names.join(", "));
    }
    let _ = writeln!(top, "{fence}diff");
    let bottom = format!("{fence}\n\n</details>\n\n");
    let Some(room) = room else {
        return format!("{top}{}{bottom}", with_newline(&change.diff));
    };
    let lines: Vec<&str> = change.diff.lines().collect();
    let note = |left: usize| {
        format!(
            "\n*{left} more line(s) of this diff not shown: run `ferry diff` for all of it.*\n\n"
        )
    };
    let fixed = top.len() + bottom.len() + note(lines.len()).len();
    let mut body = String::new();
    let mut shown = 0;
    for line in &lines {
        if fixed + body.len() + line.len() + 1 > room {
            break;
        }
        body.push_str(line);
        body.push('\n');
        shown += 1;
    }
    let mut out = format!("{top}{body}{bottom}");
    if shown < lines.len() {
        // The note goes inside the details, after the fence.
        out.truncate(out.len() - "</details>\n\n".len());
        out.push_str(&note(lines.len() - shown));
        out.push_str("</details>\n\n");
    }
    out
}

fn with_newline(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}

/// A code fence longer than any run of backticks in `text` (at least three).
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// `text` safe inside HTML and markdown text: `&`, `<`, `>` escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A table cell: escaped, `|` escaped.
fn cell(text: &str) -> String {
    escape(text).replace('|', "\\|")
}

/// An image as inline code, `(none)` when absent.
fn code(image: Option<&str>) -> String {
    match image {
        Some(image) if !image.contains('`') => format!("`{}`", cell(image)),
        Some(image) => cell(image),
        None => "(none)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{ChangeKind, Comparison};
    use crate::object::ObjectId;
    use crate::report::Mode;

    /// A report of `objects` changed ConfigMaps whose diffs have `lines` lines each.
    fn report(objects: usize, lines: usize) -> Report {
        let change = |i: usize| ObjectChange {
            change: ChangeKind::Changed,
            id: ObjectId {
                group: String::new(),
                kind: "ConfigMap".into(),
                namespace: Some("shop".into()),
                name: format!("table-{i}"),
            },
            old_id: None,
            images: Vec::new(),
            references: Vec::new(),
            masked: false,
            diff: (0..lines)
                .map(|l| format!("+  row {l:05} of table {i}\n"))
                .collect(),
        };
        Report {
            mode: Mode::Revisions,
            from: "main".into(),
            to: "working tree".into(),
            ignore_images: false,
            sections: vec![Section {
                name: "prod".into(),
                comparison: Comparison {
                    objects: (0..objects).map(change).collect(),
                    unchanged: 0,
                },
            }],
        }
    }

    #[test]
    fn a_short_diff_is_one_comment_with_its_marker() {
        let bodies = comment_bodies(&report(2, 3), "all", GITHUB_COMMENT_LIMIT);
        assert_eq!(bodies.len(), 1);
        assert!(bodies[0].starts_with("<!-- ferry:diff key=all part=1/1 -->\n### ferry diff"));
        assert!(
            bodies[0].contains("<details><summary>~ changed: ConfigMap shop/table-1</summary>")
        );
    }

    #[test]
    fn a_long_diff_is_split_at_objects_within_the_limit() {
        // 12 objects of about 10 KB each: two parts.
        let report = report(12, 400);
        let bodies = comment_bodies(&report, "all", GITHUB_COMMENT_LIMIT);
        assert!(bodies.len() >= 2, "{}", bodies.len());
        let total = bodies.len();
        for (index, body) in bodies.iter().enumerate() {
            assert!(
                body.len() <= GITHUB_COMMENT_LIMIT,
                "part {index}: {}",
                body.len()
            );
            assert!(body.starts_with(&marker("all", index + 1, total)));
        }
        assert!(bodies[1].contains("*ferry diff, continued (part 2)*"));
        assert!(bodies[1].contains("#### prod (continued)"));
        // Every object is shown whole, exactly once.
        for i in 0..12 {
            let summary = format!("ConfigMap shop/table-{i}</summary>");
            let count: usize = bodies.iter().map(|b| b.matches(&summary).count()).sum();
            assert_eq!(count, 1, "table-{i}");
            let last_row = format!("row 00399 of table {i}\n");
            assert!(
                bodies.iter().any(|b| b.contains(&last_row)),
                "table-{i} is cut"
            );
        }
    }

    #[test]
    fn one_diff_too_long_for_a_comment_is_cut_and_says_so() {
        let bodies = comment_bodies(&report(1, 5000), "all", GITHUB_COMMENT_LIMIT);
        assert_eq!(bodies.len(), 1);
        assert!(bodies[0].len() <= GITHUB_COMMENT_LIMIT);
        assert!(
            bodies[0].contains("more line(s) of this diff not shown"),
            "{}",
            &bodies[0][..200]
        );
        assert!(bodies[0].trim_end().ends_with("</details>"));
        let summary = to_markdown(&report(40, 400), 100_000);
        assert!(summary.len() <= 100_000);
        assert!(summary.contains("more object(s) not shown"));
    }

    #[test]
    fn fences_outgrow_the_backticks_inside() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ``` b"), "````");
        assert_eq!(fence_for("`````"), "``````");
    }

    #[test]
    fn html_and_table_cells_are_escaped() {
        assert_eq!(escape("<b>&"), "&lt;b&gt;&amp;");
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(code(None), "(none)");
        assert_eq!(code(Some("nginx:1")), "`nginx:1`");
    }
}
