//! The `ferry-metrics` binary. Its work is the library's (`src/lib.rs`), which `ferry metrics` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_metrics::main(std::env::args_os().collect())
}
