//! The `ferry-scan` binary. Its work is the library's (`src/lib.rs`), which `ferry scan` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_scan_cli::main(std::env::args_os().collect())
}
