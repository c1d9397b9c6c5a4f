//! The pull request comments of `ferry diff --comment`, decided without I/O: each part of the
//! diff carries a hidden marker (`<!-- ferry:diff key=KEY part=I/N -->`), so the next run finds
//! its comments, updates them in place, creates the parts that are new and deletes the parts
//! left over.

/// The start of every marker.
const MARKER_START: &str = "<!-- ferry:diff key=";

/// The hidden first line of part `part` of `total` of the comments of `key` (the key's
/// characters other than letters, digits, `.`, `_` and `-` become `_`).
pub fn marker(key: &str, part: usize, total: usize) -> String {
    format!("{MARKER_START}{} part={part}/{total} -->", sanitize(key))
}

fn sanitize(key: &str) -> String {
    let key: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // `--` would end the HTML comment.
    let mut key = key.replace("--", "-_");
    if key.is_empty() {
        key.push('_');
    }
    key
}

/// The key and part number of a body that starts with a marker.
pub fn parse_marker(body: &str) -> Option<(String, usize)> {
    let first = body.lines().next()?.trim();
    let rest = first
        .strip_prefix(MARKER_START)?
        .strip_suffix("-->")?
        .trim();
    let (key, part) = rest.split_once(" part=")?;
    let (part, total) = part.split_once('/')?;
    let part: usize = part.parse().ok()?;
    let _total: usize = total.parse().ok()?;
    (part >= 1).then(|| (key.to_owned(), part))
}

/// A comment already on the pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    /// Its id.
    pub id: u64,
    /// Its body.
    pub body: String,
    /// Its author's login.
    pub author: String,
}

/// One step of bringing the comments up to date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentAction {
    /// Part `part` is already as it should be.
    Keep {
        /// The comment.
        id: u64,
        /// Its part number.
        part: usize,
    },
    /// Part `part` exists with another body.
    Update {
        /// The comment.
        id: u64,
        /// Its part number.
        part: usize,
        /// The new body.
        body: String,
    },
    /// Part `part` does not exist yet.
    Create {
        /// Its part number.
        part: usize,
        /// Its body.
        body: String,
    },
    /// A comment of `key` that is no longer needed: a part beyond the new count, or a second
    /// comment with the same part number.
    Delete {
        /// The comment.
        id: u64,
    },
}

/// What to do so that the pull request holds exactly `bodies` (from
/// [`comment_bodies`](crate::markdown::comment_bodies) with `key`), given its comments in the
/// order GitHub lists them (oldest first). Only comments whose body starts with a marker of
/// `key` count, and, when `author` is given, only those of that author. Updates and keeps come
/// in part order, creations after them (so new parts follow the old ones), deletions last.
pub fn plan_comments(
    key: &str,
    existing: &[Existing],
    bodies: &[String],
    author: Option<&str>,
) -> Vec<CommentAction> {
    let key = sanitize(key);
    let mut ours: Vec<(usize, &Existing)> = existing
        .iter()
        .filter(|c| author.is_none_or(|a| c.author == a))
        .filter_map(|c| {
            let (found, part) = parse_marker(&c.body)?;
            (found == key).then_some((part, c))
        })
        .collect();
    let mut actions = Vec::new();
    let mut creations = Vec::new();
    for (index, body) in bodies.iter().enumerate() {
        let part = index + 1;
        match ours.iter().position(|(p, _)| *p == part) {
            Some(at) => {
                let (_, comment) = ours.remove(at);
                if comment.body == *body {
                    actions.push(CommentAction::Keep {
                        id: comment.id,
                        part,
                    });
                } else {
                    actions.push(CommentAction::Update {
                        id: comment.id,
                        part,
                        body: body.clone(),
                    });
                }
            }
            None => creations.push(CommentAction::Create {
                part,
                body: body.clone(),
            }),
        }
    }
    actions.extend(creations);
    actions.extend(
        ours.into_iter()
            .map(|(_, c)| CommentAction::Delete { id: c.id }),
    );
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: u64, body: &str) -> Existing {
        Existing {
            id,
            body: body.to_owned(),
            author: "github-actions[bot]".into(),
        }
    }

    fn part(key: &str, n: usize, total: usize, text: &str) -> String {
        format!("{}\n{text}", marker(key, n, total))
    }

    #[test]
    fn markers_round_trip_and_keys_cannot_end_the_comment() {
        assert_eq!(marker("all", 2, 3), "<!-- ferry:diff key=all part=2/3 -->");
        assert_eq!(
            parse_marker(&part("all", 2, 3, "x")),
            Some(("all".into(), 2))
        );
        assert_eq!(
            marker("a-->b c", 1, 1),
            "<!-- ferry:diff key=a-__b_c part=1/1 -->"
        );
        assert_eq!(
            marker("a--b", 1, 1),
            "<!-- ferry:diff key=a-_b part=1/1 -->"
        );
        assert_eq!(
            parse_marker("Looks good <!-- ferry:diff key=all part=1/1 -->"),
            None
        );
        assert_eq!(parse_marker("<!-- ferry:diff key=all part=0/1 -->"), None);
    }

    #[test]
    fn the_first_run_creates_and_the_second_updates_in_place() {
        let bodies = vec![part("all", 1, 1, "one")];
        assert_eq!(
            plan_comments("all", &[comment(7, "LGTM")], &bodies, None),
            vec![CommentAction::Create {
                part: 1,
                body: bodies[0].clone()
            }]
        );
        let existing = [comment(7, "LGTM"), comment(9, &part("all", 1, 1, "old"))];
        assert_eq!(
            plan_comments("all", &existing, &bodies, None),
            vec![CommentAction::Update {
                id: 9,
                part: 1,
                body: bodies[0].clone()
            }]
        );
        let same = [comment(9, &bodies[0])];
        assert_eq!(
            plan_comments("all", &same, &bodies, None),
            vec![CommentAction::Keep { id: 9, part: 1 }]
        );
    }

    #[test]
    fn parts_grow_and_shrink_and_other_keys_and_authors_are_left_alone() {
        let two = vec![part("all", 1, 2, "a"), part("all", 2, 2, "b")];
        let existing = [
            comment(1, &part("all", 1, 1, "old")),
            comment(2, &part("staging", 1, 1, "other key")),
        ];
        assert_eq!(
            plan_comments("all", &existing, &two, None),
            vec![
                CommentAction::Update {
                    id: 1,
                    part: 1,
                    body: two[0].clone()
                },
                CommentAction::Create {
                    part: 2,
                    body: two[1].clone()
                },
            ]
        );
        let one = vec![part("all", 1, 1, "a")];
        let existing = [
            comment(1, &part("all", 1, 3, "a")),
            comment(3, &part("all", 2, 3, "b")),
            comment(4, &part("all", 3, 3, "c")),
            comment(5, &part("all", 1, 3, "duplicate")),
        ];
        assert_eq!(
            plan_comments("all", &existing, &one, None),
            vec![
                CommentAction::Update {
                    id: 1,
                    part: 1,
                    body: one[0].clone()
                },
                CommentAction::Delete { id: 3 },
                CommentAction::Delete { id: 4 },
                CommentAction::Delete { id: 5 },
            ]
        );
        let mut someone = comment(8, &part("all", 1, 1, "spoof"));
        someone.author = "mallory".into();
        assert_eq!(
            plan_comments("all", &[someone], &one, Some("github-actions[bot]")),
            vec![CommentAction::Create {
                part: 1,
                body: one[0].clone()
            }]
        );
    }
}
