//! Reading a `ferry.toml`: environments in promotion order, logical images, and an error that
//! names file, line, column and key.
//!
//! Run with `cargo run -p ferry-config --example load`.

use std::time::Duration;

use ferry_config::Config;

const FERRY_TOML: &str = r#"
[images]
backend = "registry.example.com/acme/backend"

# Listed out of order on purpose: promotion order follows `upstream`.
[[environment]]
name = "prod"
overlay = "infra/k8s/overlays/prod"
upstream = "staging"
soak = "1h"

[[environment]]
name = "dev"
overlay = "infra/k8s/overlays/dev"
auto-merge = true

[[environment]]
name = "staging"
overlay = "infra/k8s/overlays/staging"
upstream = "dev"
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(ferry_config::FILE_NAME);
    std::fs::write(&path, FERRY_TOML)?;

    let config = Config::load(&path)?;
    let order: Vec<&str> = config
        .environments()
        .iter()
        .map(|env| env.name.as_str())
        .collect();
    println!("promotion order: {}", order.join(" → "));
    assert_eq!(order, ["dev", "staging", "prod"]);

    let prod = config.environment("prod").expect("prod is configured");
    println!(
        "prod: overlay {}, soak {}",
        config.overlay_dir(prod).display(),
        ferry_config::human_duration(prod.soak)
    );
    assert_eq!(prod.soak, Duration::from_secs(3600));
    assert_eq!(
        config.overlay_dir(prod),
        dir.path().join("infra/k8s/overlays/prod")
    );
    let backend = config.image("backend").expect("backend is configured");
    println!("backend: {}", backend.repository);

    // A mistake is refused with its place in the file.
    let broken = FERRY_TOML.replace("upstream = \"staging\"", "upstream = \"stagign\"");
    std::fs::write(&path, broken)?;
    let err = Config::load(&path).expect_err("an unknown upstream is refused");
    println!("refused: {err}");
    assert!(err.to_string().contains("stagign"), "{err}");
    Ok(())
}
