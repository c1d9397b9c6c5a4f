//! Links `ferry` as a position-dependent executable on Linux (`-no-pie`): the loader then has
//! no relocations to apply to its 1.4 MB of relocated read-only data (80,000 of them in a
//! position-independent build), which each process would otherwise copy and write on start-up,
//! about 350 page faults. A step run once per overlay pays this start-up every time (issue #20:
//! `ferry --version` 1.6 ms → 1.0 ms of CPU, 451 → 102 page faults). The shared libraries,
//! stack and heap keep their randomised addresses; only the executable's own image is fixed.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-link-arg-bin=ferry=-no-pie");
    }
}
