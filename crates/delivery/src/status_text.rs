//! [`Status`] as a table: one row per environment, then a line per hold and open change.
//! With colour (for a terminal) the state and the soak are coloured; without, plain text.

use std::fmt::Write as _;

use crate::status::{EnvStatus, State, Status};

const RESET: &str = "\x1b[0m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";

/// A duration in seconds as its two largest units (`2d 3h`, `5m 2s`, `0s`).
pub fn age(seconds: i64) -> String {
    let text = ferry_config::human_seconds(seconds);
    text.split(' ').take(2).collect::<Vec<_>>().join(" ")
}

/// The table; `color`: ANSI colours for a terminal.
pub fn render(status: &Status, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    };
    let header = ["ENV", "STATE", "IMAGES", "DEPLOYED", "VERIFIED", "NEXT"];
    let rows: Vec<[String; 6]> = status.environments.iter().map(row).collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], colors: &[Option<&str>], out: &mut String| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let last = i + 1 == cells.len();
            let pad = if last {
                String::new()
            } else {
                " ".repeat(widths[i] - cell.chars().count() + 2)
            };
            match colors.get(i).copied().flatten() {
                Some(code) => text.push_str(&paint(code, cell)),
                None => text.push_str(cell),
            }
            text.push_str(&pad);
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    let bold: Vec<Option<&str>> = vec![Some(BOLD); 6];
    line(&header.map(str::to_owned), &bold, &mut out);
    for (env, r) in status.environments.iter().zip(&rows) {
        let state_color = match env.state {
            State::Verified => GREEN,
            State::Unverified => YELLOW,
            State::Held | State::Broken => RED,
            State::Empty => DIM,
        };
        let next_color = env
            .next
            .iter()
            .any(|n| n.soak_left_seconds != Some(0))
            .then_some(YELLOW);
        line(
            r,
            &[Some(BOLD), Some(state_color), None, None, None, next_color],
            &mut out,
        );
        for h in &env.holds {
            let what = if h.images.is_empty() {
                "every image".to_owned()
            } else {
                h.images.join(", ")
            };
            let _ = writeln!(
                out,
                "  {} {what} since {}: {} ({})",
                paint(RED, "held"),
                ferry_config::human_time(&h.created_at),
                h.reason,
                h.release
            );
        }
        if let Some(changes) = &env.open_changes {
            for c in changes {
                let images = if c.images.is_empty() {
                    "no image change".to_owned()
                } else {
                    c.images.join(", ")
                };
                let opened = c
                    .age_seconds
                    .map(|a| format!(", opened {} ago", age(a)))
                    .unwrap_or_default();
                let merge = if c.merge == "review" {
                    "waits for review"
                } else {
                    "auto-merge"
                };
                let _ = writeln!(
                    out,
                    "  {} {} {images}{opened}, {merge}{}",
                    paint(YELLOW, "open"),
                    c.id,
                    c.url
                        .as_deref()
                        .map(|u| format!(" {u}"))
                        .unwrap_or_default()
                );
            }
        }
        if let Some(d) = &env.deployed
            && let Some(error) = &d.error
        {
            let _ = writeln!(out, "  {} {error}", paint(RED, "does not render:"));
        }
    }
    if !status.open_changes_read {
        out.push_str("(offline: open changes were not read from the forge)\n");
    }
    out
}

fn row(env: &EnvStatus) -> [String; 6] {
    let images = if env.images.is_empty() {
        "-".to_owned()
    } else {
        crate::history::first_of_each(env.images.iter().map(|i| i.short.clone())).join(", ")
    };
    let deployed = env.deployed.as_ref().map_or_else(
        || "-".to_owned(),
        |d| {
            let rollback = if d.rollback_of.is_some() {
                " rollback"
            } else {
                ""
            };
            format!(
                "{} ago {}{rollback}",
                age(d.age_seconds),
                crate::history::short(&d.commit)
            )
        },
    );
    let verified = match (&env.verified.at, env.verified.verified) {
        (Some(at), true) => ferry_config::human_time(at),
        _ => "no".to_owned(),
    };
    let next = if env.next.is_empty() {
        "-".to_owned()
    } else {
        env.next
            .iter()
            .map(|n| {
                let soak = match n.soak_left_seconds {
                    _ if n.soak_seconds == 0 => "no soak".to_owned(),
                    Some(0) => "soak passed".to_owned(),
                    Some(left) => {
                        format!("soak {} left", age(i64::try_from(left).unwrap_or(i64::MAX)))
                    }
                    None => "soak unknown".to_owned(),
                };
                let behind = if n.behind { "behind" } else { "up to date" };
                format!("{} {behind}, {soak}", n.env)
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    [
        env.name.clone(),
        env.state.as_str().to_owned(),
        images,
        deployed,
        verified,
        next,
    ]
}
