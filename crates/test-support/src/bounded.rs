//! Running a program under the bounds every input must respect: at most 512 MB of memory
//! (address space, through util-linux `prlimit`) and 10 s of wall time. Hostile-input tests
//! generate their input in a temporary directory and run the binary through [`run_bounded`].

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The memory bound: address space of the process.
pub const MEMORY_BYTES: u64 = 512 * 1024 * 1024;

/// The time bound.
pub const TIME: Duration = Duration::from_secs(10);

/// How a bounded run ended.
#[derive(Debug)]
pub struct Bounded {
    /// The exit status (never a signal: [`run_bounded`] fails the test then).
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Wall time taken.
    pub elapsed: Duration,
}

impl Bounded {
    /// The exit code.
    pub fn code(&self) -> i32 {
        self.status.code().expect("an exit code, not a signal")
    }
}

/// One bounded run at a time in a test binary: the time bound measures the program, not the
/// other tests of the binary running beside it.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `program args` in `dir` under [`MEMORY_BYTES`] and [`TIME`], and fails the test when it
/// runs longer (it is killed) or ends by a signal (an allocation past the memory bound aborts).
/// `None` (with a notice) when `prlimit` is not installed.
pub fn run_bounded<S: AsRef<OsStr>>(program: &Path, args: &[S], dir: &Path) -> Option<Bounded> {
    let prlimit = crate::require_tool("prlimit")?;
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut child = Command::new(prlimit)
        .arg(format!("--as={MEMORY_BYTES}"))
        .arg("--")
        .arg(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if start.elapsed() > TIME {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{} {:?} did not finish within {TIME:?}",
                program.display(),
                args.iter().map(AsRef::as_ref).collect::<Vec<_>>()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let stdout = out.join().expect("stdout reader");
    let stderr = err.join().expect("stderr reader");
    assert!(
        status.code().is_some(),
        "{} ended by a signal ({status}) after {elapsed:?}, likely past the {MEMORY_BYTES} byte \
         memory bound: {stderr}",
        program.display()
    );
    Some(Bounded {
        status,
        stdout,
        stderr,
        elapsed,
    })
}
