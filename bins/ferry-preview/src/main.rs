//! The `ferry-preview` binary. Its work is the library's (`src/lib.rs`), which `ferry preview`
//! runs in-process too.

fn main() -> std::process::ExitCode {
    ferry_preview_cli::main(std::env::args_os().collect())
}
