//! The `ferry-lint` binary. Its work is the library's (`src/lib.rs`), which `ferry lint` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_lint_cli::main(std::env::args_os().collect())
}
