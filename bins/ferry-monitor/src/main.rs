//! The `ferry-monitor` binary. Its work is the library's (`src/lib.rs`), which `ferry monitor` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_monitor::main(std::env::args_os().collect())
}
