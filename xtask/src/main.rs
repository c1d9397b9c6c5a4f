//! `cargo xtask`: developer tasks for Ferry.

fn main() -> anyhow::Result<()> {
    anyhow::bail!("no tasks yet")
}
