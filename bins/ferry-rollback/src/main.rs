//! The `ferry-rollback` binary. Its work is the library's (`src/lib.rs`), which `ferry rollback` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_rollback_cli::main(std::env::args_os().collect())
}
