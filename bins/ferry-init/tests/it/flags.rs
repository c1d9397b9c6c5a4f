//! Every `ferry STEP …` command the generated workflows run names a step that exists and only
//! options its `--help` lists: the workflows are checked against the real binaries.

use std::path::Path;
use std::process::Command;

use ferry_init::{FERRY_PACKAGES, Options, RawOptions, generate};
use ferry_kustomize::documents::parse_documents;

use crate::end_to_end::bin_dir;

fn variants() -> Vec<Options> {
    let default = RawOptions {
        app: "shop".into(),
        images: vec![
            "backend=ghcr.io/acme/backend".into(),
            "frontend=ghcr.io/acme/frontend".into(),
        ],
        repo: Some("acme/shop".into()),
        ..RawOptions::default()
    };
    let plain = RawOptions {
        app: "api".into(),
        images: vec!["api=registry.example.com/acme/api".into()],
        repo: Some("acme/api".into()),
        environments: vec!["test".into(), "live".into()],
        blue_green: Some(vec![]),
        ..RawOptions::default()
    };
    [default, plain]
        .into_iter()
        .map(|raw| Options::new(raw).expect("valid options"))
        .collect()
}

/// Every `ferry …` command line of every `run:` script of the workflows of `options`.
fn ferry_commands(options: &Options) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for file in generate(options)
        .iter()
        .filter(|f| f.path.starts_with(".github/workflows/"))
    {
        let workflow = parse_documents(&file.contents, &file.path).expect("a workflow parses");
        for job in workflow[0]["jobs"].as_object().expect("jobs").values() {
            for step in job["steps"].as_array().expect("steps") {
                let Some(script) = step["run"].as_str() else {
                    continue;
                };
                for line in script.lines() {
                    let line = without_substitutions(line);
                    let words: Vec<String> = line
                        .split_whitespace()
                        .take_while(|w| !matches!(*w, ">" | "|" | "&&" | ";"))
                        .map(str::to_owned)
                        .collect();
                    if words.first().map(String::as_str) == Some("ferry") {
                        commands.push(words);
                    }
                }
            }
        }
    }
    commands
}

/// `line` without its command substitutions (`"$(git log -1 --format=%cI)"` is a value).
fn without_substitutions(line: &str) -> String {
    let mut out = line.to_owned();
    while let Some(start) = out.find("$(") {
        let end = out[start..].find(')').map_or(out.len(), |e| start + e + 1);
        out.replace_range(start..end, "VALUE");
    }
    out
}

/// The `--help` of `binary` with `subcommand` when it has one by that name, else its own.
fn help(bins: &Path, binary: &str, subcommand: Option<&str>) -> String {
    let run = |args: &[&str]| {
        let out = Command::new(bins.join(binary))
            .args(args)
            .output()
            .expect("run the step");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    subcommand
        .and_then(|sub| run(&[sub, "--help"]))
        .or_else(|| run(&["--help"]))
        .unwrap_or_else(|| panic!("{binary} --help fails"))
}

#[test]
fn every_ferry_command_in_the_workflows_exists_with_its_options() {
    let binaries: Vec<&str> = FERRY_PACKAGES.iter().map(|(_, b)| *b).collect();
    let Some(bins) = bin_dir(&binaries) else {
        return;
    };
    let mut checked = 0;
    for options in variants() {
        for words in ferry_commands(&options) {
            let binary = format!("ferry-{}", words[1]);
            assert!(
                binaries.contains(&binary.as_str()),
                "`{}`: no step {binary}",
                words.join(" ")
            );
            let subcommand = words.get(2).filter(|w| !w.starts_with('-'));
            let text = help(&bins, &binary, subcommand.map(String::as_str));
            for word in &words[2..] {
                let flag = word.split('=').next().expect("a word");
                let is_flag = flag.starts_with("--") || (flag.len() == 2 && flag.starts_with('-'));
                if !is_flag {
                    continue;
                }
                let listed = text.contains(&format!("{flag} "))
                    || text.contains(&format!("{flag},"))
                    || text.contains(&format!("{flag}\n"));
                assert!(
                    listed,
                    "`{}`: {binary} has no option {flag}:\n{text}",
                    words.join(" ")
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 40, "only {checked} options checked");
}
