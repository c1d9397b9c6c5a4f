//! The `ferry` commands of a `run:` script: `ferry STEP …` and `ferry-STEP …`, wherever the
//! binary lives, inside `$(…)` too.

use crate::pos::Pos;

/// The subcommands of the steps that have them.
const SUBCOMMANDS: &[(&str, &[&str])] = &[
    (
        "pr",
        &["open", "wait", "list", "show", "merge", "close", "cleanup"],
    ),
    ("monitor", &["watch", "assess", "sync"]),
    ("rollback", &["release", "holds"]),
    ("ledger", &["mark-verified"]),
    (
        "rollout",
        &["status", "promote", "abort", "retry", "undo", "wait"],
    ),
];

/// One `ferry` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FerryCall {
    /// The step: `pr`, `promote`, …
    pub step: String,
    /// Its subcommand, when the step has them (`open` of `ferry pr open`).
    pub sub: Option<String>,
    /// The words after the step, quotes removed.
    pub args: Vec<String>,
    /// Where the command starts.
    pub at: Pos,
}

impl FerryCall {
    /// `ferry STEP [SUB]`, as the messages name it.
    pub fn command(&self) -> String {
        match &self.sub {
            Some(sub) => format!("ferry {} {sub}", self.step),
            None => format!("ferry {}", self.step),
        }
    }

    /// Every value of `--name VALUE` and `--name=VALUE`.
    pub fn values(&self, name: &str) -> Vec<&str> {
        let flag = format!("--{name}");
        let mut out = Vec::new();
        let mut words = self.args.iter();
        while let Some(word) = words.next() {
            if *word == flag {
                if let Some(value) = words.next() {
                    out.push(value.as_str());
                }
            } else if let Some(value) = word.strip_prefix(&flag).and_then(|r| r.strip_prefix('=')) {
                out.push(value);
            }
        }
        out
    }

    /// Whether `--name` is given (alone or with a value).
    pub fn has(&self, name: &str) -> bool {
        let flag = format!("--{name}");
        self.args
            .iter()
            .any(|w| *w == flag || w.starts_with(&format!("{flag}=")))
    }

    /// Whether this is `STEP` with subcommand `sub` (`None`: the step's default command).
    pub fn is(&self, step: &str, sub: Option<&str>) -> bool {
        self.step == step && self.sub.as_deref() == sub
    }
}

/// The `ferry` commands of `script`; `place` turns (line index in the script, that line's
/// text) into a position in the file.
pub fn ferry_calls(script: &str, place: &dyn Fn(usize, &str) -> Pos) -> Vec<FerryCall> {
    let mut calls = Vec::new();
    let lines: Vec<&str> = script.lines().collect();
    let mut index = 0;
    while index < lines.len() {
        // A command continued with `\` at the end of its lines.
        let start = index;
        let mut joined = String::new();
        loop {
            let line = lines[index];
            index += 1;
            match line.trim_end().strip_suffix('\\') {
                Some(head) if index < lines.len() => {
                    joined.push_str(head);
                    joined.push(' ');
                }
                _ => {
                    joined.push_str(line);
                    break;
                }
            }
        }
        for command in commands(&joined) {
            if let Some(call) = call(&command, place(start, lines[start])) {
                calls.push(call);
            }
        }
    }
    calls
}

/// Splits a shell line into commands (at `;`, `&&`, `||`, `|`, `$(`, `(`, `)` and backticks
/// outside quotes), each a list of words with quotes removed; a `#` word ends the line.
fn commands(line: &str) -> Vec<Vec<String>> {
    let mut commands = vec![Vec::new()];
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    let end_word = |word: &mut Option<String>, commands: &mut Vec<Vec<String>>| {
        if let Some(w) = word.take() {
            commands.last_mut().expect("one command at least").push(w);
        }
    };
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else {
                word.get_or_insert_with(String::new).push(c);
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            '#' if word.is_none() => break,
            c if c.is_whitespace() => end_word(&mut word, &mut commands),
            ';' | '&' | '|' | '(' | ')' | '`' => {
                end_word(&mut word, &mut commands);
                commands.push(Vec::new());
            }
            '$' if chars.peek() == Some(&'(') => {
                chars.next();
                end_word(&mut word, &mut commands);
                commands.push(Vec::new());
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    end_word(&mut word, &mut commands);
    commands.retain(|c| !c.is_empty());
    commands
}

/// The `ferry` call a command is, if any: its program (after `VAR=value` assignments and
/// `env`, `exec`, `time`, `sudo`) is `ferry` or `ferry-STEP`, by file name.
fn call(words: &[String], at: Pos) -> Option<FerryCall> {
    let mut rest = words
        .iter()
        .skip_while(|w| is_assignment(w) || matches!(w.as_str(), "env" | "exec" | "time" | "sudo"));
    let program = rest.next()?;
    let name = program.rsplit('/').next().unwrap_or(program);
    let (step, args): (String, Vec<String>) = if name == "ferry" {
        let step = rest.next()?;
        if step.starts_with('-') || step == "help" {
            return None;
        }
        (step.clone(), rest.cloned().collect())
    } else {
        let step = name.strip_prefix("ferry-")?;
        if step.is_empty() {
            return None;
        }
        (step.to_string(), rest.cloned().collect())
    };
    let sub = SUBCOMMANDS
        .iter()
        .find(|(s, _)| *s == step)
        .and_then(|(_, subs)| args.iter().find(|a| subs.contains(&a.as_str())).cloned());
    Some(FerryCall {
        step,
        sub,
        args,
        at,
    })
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(script: &str) -> Vec<FerryCall> {
        ferry_calls(script, &|index, _| Pos {
            line: index + 1,
            column: 1,
        })
    }

    #[test]
    fn finds_ferry_commands_in_scripts() {
        let found = calls(
            "set -eu\n\
             id=$(ferry pr open --env dev \\\n  --image \"backend=${TAG}\" --format json | jq -r .id)\n\
             echo 'ferry pr open --env nope' # ferry promote --to x\n\
             ./bin/ferry-promote --to=prod && FERRY_LOG=debug ferry monitor --format text watch --env dev\n\
             ferry --version\n",
        );
        let shown: Vec<(String, usize)> = found.iter().map(|c| (c.command(), c.at.line)).collect();
        assert_eq!(
            shown,
            [
                ("ferry pr open".to_string(), 2),
                ("ferry promote".to_string(), 5),
                ("ferry monitor watch".to_string(), 5),
            ]
        );
        assert_eq!(found[0].values("env"), ["dev"]);
        assert_eq!(found[0].values("image"), ["backend=${TAG}"]);
        assert_eq!(found[1].values("to"), ["prod"]);
        assert!(found[2].has("env") && !found[2].has("verify"));
    }
}
