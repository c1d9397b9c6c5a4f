//! `cargo xtask fuzz [--time 10m] [TARGET...]`: builds the fuzz targets of `fuzz/` with nightly
//! `cargo fuzz` and runs each for the given time, one after the other, starting from the
//! committed seed corpus (`fuzz/corpus/TARGET`). Reports executions and findings per target
//! and fails when a target found something. See `docs/fuzzing.md`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::root;

const USAGE: &str =
    "usage: cargo xtask fuzz [--time DURATION] [TARGET...] (DURATION: 30s, 10m, 1h; default 10m)";

/// What to install when `cargo fuzz` is missing.
const INSTALL: &str = "cargo-fuzz is not installed: run `cargo install --locked cargo-fuzz` \
     (and `rustup toolchain install nightly` if `cargo +nightly` is missing), then try again";

/// libFuzzer limits per input: the bounds every input class must stay within.
const PER_INPUT_TIMEOUT_SECS: u32 = 10;
const RSS_LIMIT_MB: u32 = 1024;

/// What one target's run gave.
struct Outcome {
    target: String,
    executions: Option<u64>,
    corpus: usize,
    finding: Option<String>,
    log: PathBuf,
}

pub(crate) fn run(args: &[&str]) -> Result<()> {
    let (time, mut targets) = parse_args(args)?;
    let all = list_targets()?;
    if targets.is_empty() {
        targets = all.clone();
    }
    if let Some(unknown) = targets.iter().find(|t| !all.contains(t)) {
        bail!(
            "no fuzz target `{unknown}`; the targets are {}",
            all.join(", ")
        );
    }
    check_tools()?;
    let dirs = Dirs::new();
    crate::run(&mut fuzz_command(&dirs, "build")).context("building the fuzz targets failed")?;

    let mut outcomes = Vec::new();
    for target in &targets {
        println!("fuzzing {target} for {}s", time.as_secs());
        let outcome = run_target(&dirs, target, time)?;
        println!("  {}", describe(&outcome));
        outcomes.push(outcome);
    }

    println!("\nfuzz summary ({}s per target):", time.as_secs());
    for o in &outcomes {
        println!("  {}", describe(o));
    }
    let found: Vec<&Outcome> = outcomes.iter().filter(|o| o.finding.is_some()).collect();
    if !found.is_empty() {
        for o in &found {
            println!(
                "\n{}: {} (log: {})\nreproduce: cargo +nightly fuzz run -s none {} ARTIFACT",
                o.target,
                o.finding.as_deref().unwrap_or_default(),
                o.log.display(),
                o.target
            );
        }
        bail!("{} fuzz target(s) found a problem", found.len());
    }
    Ok(())
}

fn describe(o: &Outcome) -> String {
    let execs = o
        .executions
        .map_or_else(|| "? executions".to_owned(), |n| format!("{n} executions"));
    let result = o.finding.as_deref().unwrap_or("no finding");
    format!(
        "{}: {execs}, corpus {} inputs, {result}",
        o.target, o.corpus
    )
}

/// `--time` and the targets.
fn parse_args(args: &[&str]) -> Result<(Duration, Vec<String>)> {
    let mut time = Duration::from_secs(600);
    let mut targets = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let value = match arg.strip_prefix("--time") {
            Some("") => Some(*rest.next().context(USAGE)?),
            Some(v) if v.starts_with('=') => Some(&v[1..]),
            _ => None,
        };
        match value {
            Some(v) => time = parse_time(v)?,
            None if arg.starts_with('-') => bail!("unknown option {arg}\n{USAGE}"),
            None => targets.push((*arg).to_owned()),
        }
    }
    Ok((time, targets))
}

/// `30s`, `10m`, `1h` or plain seconds.
fn parse_time(text: &str) -> Result<Duration> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number
        .parse()
        .with_context(|| format!("invalid --time {text:?}\n{USAGE}"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => bail!("invalid --time {text:?}\n{USAGE}"),
    };
    if secs == 0 {
        bail!("--time must be at least one second");
    }
    Ok(Duration::from_secs(secs))
}

fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

/// The targets: `fuzz/fuzz_targets/*.rs`.
fn list_targets() -> Result<Vec<String>> {
    let dir = fuzz_dir().join("fuzz_targets");
    let mut targets: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    targets.sort();
    Ok(targets)
}

/// `cargo` through rustup, with the toolchain `+nightly` picks (not the one running xtask).
fn nightly_cargo() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("+nightly")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("CARGO");
    cmd
}

fn check_tools() -> Result<()> {
    let ok = |cmd: &mut Command| {
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ok(nightly_cargo().arg("--version")) {
        bail!(
            "`cargo +nightly` does not run: install the nightly toolchain (`rustup toolchain install nightly`)"
        );
    }
    if !ok(nightly_cargo().args(["fuzz", "--version"])) {
        bail!("{INSTALL}");
    }
    Ok(())
}

/// Where the fuzz build and its working files go.
struct Dirs {
    /// Cargo's target directory for the nightly, instrumented build.
    target: PathBuf,
    /// Inputs the fuzzer found, per target (the committed seeds stay untouched).
    work: PathBuf,
    /// Crashing inputs, per target.
    artifacts: PathBuf,
    /// libFuzzer's output, per target.
    logs: PathBuf,
}

impl Dirs {
    /// Below `FERRY_FUZZ_TARGET_DIR`, else `fuzz` below the workspace's target directory.
    fn new() -> Dirs {
        let base = std::env::var_os("FERRY_FUZZ_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::target_dir().join("fuzz"));
        Dirs {
            work: base.join("corpus"),
            artifacts: base.join("artifacts"),
            logs: base.join("logs"),
            target: base,
        }
    }
}

/// `cargo +nightly fuzz SUBCOMMAND` with the common build options.
fn fuzz_command(dirs: &Dirs, subcommand: &str) -> Command {
    let mut cmd = nightly_cargo();
    cmd.current_dir(root())
        .args(["fuzz", subcommand, "--sanitizer", "none", "--target-dir"])
        .arg(&dirs.target);
    cmd
}

fn run_target(dirs: &Dirs, target: &str, time: Duration) -> Result<Outcome> {
    let work = dirs.work.join(target);
    let artifacts = dirs.artifacts.join(target);
    for dir in [&work, &artifacts, &dirs.logs] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let seeds = fuzz_dir().join("corpus").join(target);
    let log = dirs.logs.join(format!("{target}.log"));
    let log_file =
        std::fs::File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
    let mut cmd = fuzz_command(dirs, "run");
    cmd.arg(target).arg(&work);
    if seeds.is_dir() {
        cmd.arg(&seeds);
    }
    cmd.arg("--")
        .arg(format!("-max_total_time={}", time.as_secs()))
        .arg(format!("-timeout={PER_INPUT_TIMEOUT_SECS}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-print_final_stats=1")
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
    let started = Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("cannot run cargo fuzz for {target}"))?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let executions = final_stat(&text, "stat::number_of_executed_units");
    let corpus = std::fs::read_dir(&work).map_or(0, |d| d.count());
    let finding = if status.success() {
        None
    } else {
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        for line in tail.iter().rev() {
            println!("    | {line}");
        }
        let saved = text
            .lines()
            .find_map(|l| l.split_once("Test unit written to ").map(|(_, p)| p.trim()));
        let kind = finding_kind(&text);
        Some(match saved {
            Some(path) => format!("FINDING: {kind}, input saved to {path}"),
            None => format!(
                "FINDING: {kind} ({status} after {}s)",
                started.elapsed().as_secs()
            ),
        })
    };
    Ok(Outcome {
        target: target.to_owned(),
        executions,
        corpus,
        finding,
        log,
    })
}

/// A `stat::NAME: VALUE` line of libFuzzer's final statistics.
fn final_stat(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .rev()
        .find_map(|l| {
            l.strip_prefix(name)?
                .trim_start_matches(':')
                .trim()
                .parse()
                .ok()
        })
        .or_else(|| {
            // Without final statistics (a crash), the last progress line: `#N ...`.
            text.lines()
                .rev()
                .find_map(|l| l.strip_prefix('#')?.split_whitespace().next()?.parse().ok())
        })
}

fn finding_kind(text: &str) -> &'static str {
    if text.contains("ERROR: libFuzzer: timeout") {
        "timeout (an input took longer than 10 s)"
    } else if text.contains("out-of-memory") {
        "out of memory (an input took more than 1 GiB)"
    } else if text.contains("panicked at") || text.contains("deadly signal") {
        "crash (panic)"
    } else if text.contains("error: could not compile") || text.contains("error[E") {
        "build failure"
    } else {
        "failure"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_targets_are_parsed() {
        let (time, targets) = parse_args(&["--time", "30s", "config", "resolve"]).unwrap();
        assert_eq!(time, Duration::from_secs(30));
        assert_eq!(targets, ["config", "resolve"]);
        assert_eq!(
            parse_args(&["--time=10m"]).unwrap().0,
            Duration::from_secs(600)
        );
        assert_eq!(parse_args(&[]).unwrap().0, Duration::from_secs(600));
        assert_eq!(parse_time("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_time("45").unwrap(), Duration::from_secs(45));
        assert!(parse_time("10x").is_err());
        assert!(parse_time("0s").is_err());
        assert!(parse_args(&["--jobs", "2"]).is_err());
        assert!(parse_args(&["--time"]).is_err());
    }

    #[test]
    fn every_target_has_a_seed_corpus() {
        let targets = list_targets().unwrap();
        assert!(targets.len() >= 7, "{targets:?}");
        for target in targets {
            let seeds = fuzz_dir().join("corpus").join(&target);
            let count = std::fs::read_dir(&seeds).map_or(0, |d| d.count());
            assert!(count > 0, "{target} has no seeds in {}", seeds.display());
        }
    }

    #[test]
    fn libfuzzer_statistics_and_findings_are_read() {
        let done = "#1024\tpulse  cov: 10\n#2048\tDONE   cov: 12\nstat::number_of_executed_units: 2051\nstat::peak_rss_mb: 40\n";
        assert_eq!(
            final_stat(done, "stat::number_of_executed_units"),
            Some(2051)
        );
        let crash = "#77\tNEW cov: 3\nthread '<unnamed>' panicked at src/x.rs:1:1\n==1== ERROR: libFuzzer: deadly signal\n";
        assert_eq!(
            final_stat(crash, "stat::number_of_executed_units"),
            Some(77)
        );
        assert_eq!(finding_kind(crash), "crash (panic)");
        assert!(
            finding_kind("==1== ERROR: libFuzzer: timeout after 11 seconds").starts_with("timeout")
        );
        assert!(
            finding_kind("==1== ERROR: libFuzzer: out-of-memory (used: 2000Mb)")
                .starts_with("out of memory")
        );
    }
}
