//! The table on a terminal: `ferry-status` run on a pseudo-terminal by util-linux's `script`
//! colours it; a pipe, `NO_COLOR` (set and not empty) and `--color never` give plain text;
//! `--color always` colours even with `NO_COLOR`. Without colour codes, the terminal's table is
//! the pipe's, byte for byte.

use crate::stdout;
use std::path::Path;
use std::process::{Output, Stdio};

use ferry_test_support::git::binary_in;
use ferry_test_support::history::History;
use ferry_test_support::require_tool;

const T0: i64 = 1_790_000_000;
/// The demo's story seven hours in: dev and prod verified, staging held.
const NOW: &str = "2026-09-21T21:13:20Z";
const ARGS: [&str; 3] = ["--offline", "--now", NOW];

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_ferry-status"))
}

/// `arg` quoted for `sh`.
fn quoted(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// `ferry-status --offline --now NOW extra` on a pseudo-terminal (`script -q -e -c`),
/// `NO_COLOR` as given (`None`: unset); what the terminal showed, its line ends made `\n` again.
fn on_terminal(script: &Path, dir: &Path, no_color: Option<&str>, extra: &[&str]) -> String {
    on_terminal_at(script, dir, no_color, NOW, extra)
}

/// As [`on_terminal`], at `now`.
fn on_terminal_at(
    script: &Path,
    dir: &Path,
    no_color: Option<&str>,
    now: &str,
    extra: &[&str],
) -> String {
    let command: Vec<String> = [
        bin().to_str().expect("a UTF-8 path"),
        "--offline",
        "--now",
        now,
    ]
    .into_iter()
    .chain(extra.iter().copied())
    .map(quoted)
    .collect();
    let mut cmd = binary_in(script, dir);
    cmd.args(["-q", "-e", "-c", &command.join(" "), "/dev/null"])
        .stdin(Stdio::null())
        .env("SHELL", "/bin/sh");
    match no_color {
        Some(value) => cmd.env("NO_COLOR", value),
        None => cmd.env_remove("NO_COLOR"),
    };
    let out = cmd.output().expect("script runs");
    stdout(&out).replace("\r\n", "\n")
}

/// `ferry-status --offline --now NOW extra` into a pipe, `NO_COLOR` unset.
fn piped(dir: &Path, extra: &[&str]) -> Output {
    binary_in(bin(), dir)
        .args(ARGS)
        .args(extra)
        .env_remove("NO_COLOR")
        .output()
        .expect("ferry-status runs")
}

/// `text` without its ANSI escape sequences (`ESC [ … letter`).
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            assert_eq!(chars.next(), Some('['), "a CSI sequence in {text:?}");
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn a_terminal_gets_colours_a_pipe_and_no_color_plain_text() {
    let Some(script) = require_tool("script") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (h, _) = History::demo(&tmp.path().join("repo"), T0);

    let pipe = stdout(&piped(&h.dir, &[]));
    assert!(!pipe.contains('\x1b'), "a pipe gets plain text: {pipe:?}");
    assert!(pipe.starts_with("ENV "), "{pipe}");

    // On a terminal: the header bold, each state in its colour, the hold in red.
    let tty = on_terminal(&script, &h.dir, None, &[]);
    for coloured in [
        "\x1b[1mENV\x1b[0m",
        "\x1b[1mdev\x1b[0m",
        "\x1b[32mverified\x1b[0m",
        "\x1b[31mheld\x1b[0m  ",
        "  \x1b[31mheld\x1b[0m backend:1.5.0, frontend:1.5.0 since",
    ] {
        assert!(tty.contains(coloured), "{coloured:?} in {tty:?}");
    }
    // A soak still running is yellow (staging's 1.4.0 is back since the rollback 40m ago;
    // prod's soak is 1h); a soak passed is not.
    assert!(
        tty.contains("\x1b[33mprod up to date, soak 20m left\x1b[0m\n"),
        "{tty:?}"
    );
    assert!(tty.contains("  staging behind, soak passed\n"), "{tty:?}");
    assert_eq!(plain(&tty), pipe, "the same table, colours aside");

    // NO_COLOR set and not empty: plain text on the terminal too.
    assert_eq!(on_terminal(&script, &h.dir, Some("1"), &[]), pipe);
    // Empty, it asks for nothing (no-color.org).
    assert_eq!(on_terminal(&script, &h.dir, Some(""), &[]), tty);
    // The flag wins over both.
    assert_eq!(
        on_terminal(&script, &h.dir, Some("1"), &["--color", "always"]),
        tty
    );
    assert_eq!(
        on_terminal(&script, &h.dir, None, &["--color", "never"]),
        pipe
    );
    assert_eq!(stdout(&piped(&h.dir, &["--color", "always"])), tty);
}

#[test]
fn a_soak_still_running_is_yellow_on_a_terminal() {
    let Some(script) = require_tool("script") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("a temp dir");
    let h = History::new(&tmp.path().join("repo"), T0);
    // 1.5.0 entered dev 10 minutes before `now`: staging's 30m soak has 20m left.
    let dev = h.deploy("dev", "1.5.0", T0 + 3600);
    h.verify("dev", "1.5.0", &dev, T0 + 3600 + 5 * 60);
    let now = jiff::Timestamp::from_second(T0 + 3600 + 10 * 60).expect("a time");
    let tty = on_terminal_at(&script, &h.dir, None, &now.to_string(), &[]);
    let dev_row = tty
        .lines()
        .find(|l| l.starts_with("\x1b[1mdev\x1b[0m"))
        .expect("dev's row");
    assert!(
        dev_row.ends_with("\x1b[33mstaging behind, soak 20m left\x1b[0m"),
        "{dev_row:?}"
    );
    assert!(
        dev_row.contains("\x1b[32mverified\x1b[0m"),
        "dev runs the verified 1.5.0: {dev_row:?}"
    );
    let staging_row = tty
        .lines()
        .find(|l| l.starts_with("\x1b[1mstaging\x1b[0m"))
        .expect("staging's row");
    assert!(
        staging_row.contains("\x1b[33munverified\x1b[0m"),
        "staging runs the blueprint's images, never verified: {staging_row:?}"
    );
}
