//! The `ferry-rollout` binary. Its work is the library's (`src/lib.rs`), which `ferry rollout` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_rollout::main(std::env::args_os().collect())
}
