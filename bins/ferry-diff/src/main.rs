//! The `ferry-diff` binary. Its work is the library's (`src/lib.rs`), which `ferry diff` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_diff_cli::main(std::env::args_os().collect())
}
