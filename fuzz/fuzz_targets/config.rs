//! `ferry.toml`: checking a file either gives a configuration whose queries work, or an error
//! at a line and column inside the file; human durations read back as they are written.
#![no_main]

use ferry_config::{Config, format_duration, parse_duration};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::from_str(text, "/repo/ferry.toml") {
        Ok(config) => {
            for env in config.environments() {
                assert_eq!(config.environment(&env.name), Some(env));
                let dir = config.overlay_dir(env);
                assert!(
                    dir.starts_with("/repo"),
                    "overlay {} leaves the root",
                    dir.display()
                );
                let _ = config.downstream(&env.name).count();
                if let Some(up) = &env.upstream {
                    assert!(config.environment(up).is_some(), "upstream {up} exists");
                }
                let shown = format_duration(env.soak);
                assert_eq!(parse_duration(&shown), Ok(env.soak), "soak {shown}");
            }
            for image in &config.images {
                assert_eq!(config.image(&image.name), Some(image));
                let _ = config.image_by_repository(&image.repository);
            }
        }
        Err(error) => {
            let d = error.diagnostic().expect("a text error has a place");
            let lines = text.split('\n').count();
            assert!(
                d.line >= 1 && d.line <= lines && d.column >= 1,
                "error at {}:{} of a {lines}-line file: {error}",
                d.line,
                d.column
            );
            let _ = error.to_string();
        }
    }
    // Durations: the first line on its own.
    let first = text.lines().next().unwrap_or("");
    if let Ok(d) = parse_duration(first) {
        let shown = format_duration(d);
        assert_eq!(
            parse_duration(&shown),
            Ok(d),
            "{first:?} shown as {shown:?}"
        );
    }
});
