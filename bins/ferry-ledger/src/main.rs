//! The `ferry-ledger` binary. Its work is the library's (`src/lib.rs`), which `ferry ledger` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_ledger_cli::main(std::env::args_os().collect())
}
