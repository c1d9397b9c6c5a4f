//! What the benchmarks share: finding a tool on `PATH`, the median of timed runs, how durations
//! are shown, and the peak resident size of a command.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The program `name` on `PATH`, if there is one.
pub(crate) fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The median of `times` (the mean of the middle two for an even count); zero when there are
/// none.
pub(crate) fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    let n = times.len();
    match n {
        0 => Duration::ZERO,
        _ if n % 2 == 1 => times[n / 2],
        _ => (times[n / 2 - 1] + times[n / 2]) / 2,
    }
}

/// `1.234 s`.
pub(crate) fn show(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// `12.3` (milliseconds, without the unit).
pub(crate) fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The peak resident size (KiB) of one run of `cmd` (program, arguments, directory), measured by
/// `/usr/bin/time -f %M`; `None` when that is missing or the run fails.
pub(crate) fn peak_rss(cmd: &Command) -> Option<u64> {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .current_dir(cmd.get_current_dir().unwrap_or(Path::new(".")))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines().last()?.trim().parse().ok()
}

/// The arguments of the benchmarks on the generated repository (`bench ledger`, `bench
/// status`): `[--commits N] [--runs R] [--keep]`.
pub(crate) struct RepoArgs {
    /// Commits to generate (default 10,000).
    pub(crate) commits: usize,
    /// Runs of each measurement (default 5).
    pub(crate) runs: usize,
    /// Keep the generated repository.
    pub(crate) keep: bool,
}

/// Parses [`RepoArgs`]; anything else is an error showing `usage`.
pub(crate) fn repo_args(args: &[&str], usage: &str) -> anyhow::Result<RepoArgs> {
    use anyhow::Context;
    let mut parsed = RepoArgs {
        commits: 10_000,
        runs: 5,
        keep: false,
    };
    let mut rest = args;
    loop {
        rest = match rest {
            ["--commits", n, tail @ ..] => {
                parsed.commits = n.parse().context("--commits takes a number")?;
                tail
            }
            ["--runs", n, tail @ ..] => {
                parsed.runs = n.parse().context("--runs takes a number")?;
                tail
            }
            ["--keep", tail @ ..] => {
                parsed.keep = true;
                tail
            }
            [] => break,
            _ => anyhow::bail!("{usage}"),
        };
    }
    anyhow::ensure!(parsed.commits >= 1 && parsed.runs >= 1, "{usage}");
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_run() {
        let d = Duration::from_millis;
        assert_eq!(median(vec![d(9), d(1), d(5)]), d(5));
        assert_eq!(median(vec![d(4), d(1)]), Duration::from_micros(2500));
        assert_eq!(median(Vec::new()), Duration::ZERO);
    }
}
