//! The `ferry-render` binary. Its work is the library's (`src/lib.rs`), which `ferry render` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_render::main(std::env::args_os().collect())
}
