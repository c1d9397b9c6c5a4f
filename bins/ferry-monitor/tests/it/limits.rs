//! Bounded time and memory on hostile inputs: every input class finishes within 10 s and
//! 512 MB of address space (`prlimit --as`), or is refused.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;

use ferry_test_support::bounded::run_bounded;

/// Runs `ferry-monitor ARGS` in `dir` within 10 s and 512 MB of address space (the test fails
/// otherwise). Returns the exit code, stdout and stderr.
fn bounded(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let bin = assert_cmd::cargo::cargo_bin("ferry-monitor");
    let run = run_bounded(&bin, args, dir).expect("prlimit (util-linux) is needed");
    assert!(
        !run.stderr.contains("memory allocation") && !run.stderr.contains("panicked"),
        "{}",
        run.stderr
    );
    (run.code(), run.stdout, run.stderr)
}

#[test]
fn assess_refuses_devices() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = bounded(dir.path(), &["assess", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn assess_refuses_a_fifo_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("objects.yaml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let (code, _, err) = bounded(dir.path(), &["assess", "objects.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn assess_refuses_a_file_over_the_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    let mut file = std::fs::File::create(&path).unwrap();
    let line = format!("# {}\n", "x".repeat(1000));
    for _ in 0..100_000 {
        file.write_all(line.as_bytes()).unwrap();
    }
    drop(file);
    let (code, _, err) = bounded(dir.path(), &["assess", "big.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("larger than 16 MiB"), "{err}");
}

#[test]
fn assess_finishes_on_an_alias_bomb() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
    );
    for i in 1..10 {
        let prev = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    text.push_str("kind: Pod\napiVersion: v1\n");
    std::fs::write(dir.path().join("bomb.yaml"), text).unwrap();
    let (code, out, err) = bounded(dir.path(), &["assess", "bomb.yaml"]);
    assert!(code == 2 || code == 3 || code == 0, "{out}{err}");
}

/// A server answering 200 with an endless body, or JSON nested 200 000 deep on `/deep`.
fn hostile_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                if request.starts_with(b"GET /deep ") {
                    let body = "[".repeat(200_000) + &"]".repeat(200_000);
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    return;
                }
                // 1 GiB declared; sent until the client hangs up.
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    1u64 << 30
                );
                let chunk = vec![b'x'; 1 << 16];
                for _ in 0..(1 << 14) {
                    if stream.write_all(&chunk).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

const ONE_CHECK: [&str; 6] = ["--warmup", "0s", "--checks", "1", "--failures", "1"];

#[test]
fn watch_reads_no_more_of_a_huge_body_than_a_check_needs() {
    let addr = hostile_server();
    let dir = tempfile::tempdir().unwrap();
    for spec in [
        format!("http://{addr}/big"),
        format!("http://{addr}/big,body=healthy"),
        format!("http://{addr}/big,json=/status=UP"),
    ] {
        let mut args = vec!["watch", "--http", &spec, "--format", "json"];
        args.extend(ONE_CHECK);
        let (code, out, err) = bounded(dir.path(), &args);
        // Status only: healthy; a body check cut at the limit: an error, inconclusive.
        let want = if spec.contains(',') { 3 } else { 0 };
        assert_eq!(code, want, "{spec}: {out}{err}");
    }
}

#[test]
fn watch_calls_json_nested_too_deep_an_error_not_a_failure() {
    let addr = hostile_server();
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("http://{addr}/deep,json=/status=UP");
    let mut args = vec!["watch", "--http", &spec, "--format", "json"];
    args.extend(ONE_CHECK);
    let (code, out, err) = bounded(dir.path(), &args);
    assert_eq!(code, 3, "inconclusive, not unhealthy: {out}{err}");
    assert!(out.contains("nested too deeply"), "{out}");
}

#[test]
fn ferry_toml_that_is_a_device_a_fifo_or_huge_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = bounded(
        dir.path(),
        &["watch", "--env", "dev", "--config", "/dev/zero"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a regular file"), "{err}");

    let fifo = dir.path().join("fifo.toml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let (code, _, err) = bounded(
        dir.path(),
        &["watch", "--env", "dev", "--config", "fifo.toml"],
    );
    assert_eq!(code, 2, "{err}");

    let big = dir.path().join("ferry.toml");
    let mut file = std::fs::File::create(&big).unwrap();
    file.write_all(b"[[environment]]\nname = \"dev\"\noverlay = \"o/dev\"\n")
        .unwrap();
    let line = format!("# {}\n", "x".repeat(1000));
    for _ in 0..100_000 {
        file.write_all(line.as_bytes()).unwrap();
    }
    drop(file);
    let (code, _, err) = bounded(dir.path(), &["watch", "--env", "dev"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("larger than 1024 KiB"), "{err}");
}

#[test]
fn a_nul_byte_in_a_configured_path_is_refused_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ferry.toml"),
        "[[environment]]\nname = \"dev\"\noverlay = \"o/dev\\u0000x\"\n",
    )
    .unwrap();
    let (code, _, err) = bounded(dir.path(), &["watch", "--env", "dev"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ferry.toml:3:11: environment[0].overlay: contains a NUL byte"),
        "{err}"
    );
}

/// Writes a `ferry.toml` just under the size limit: `build(i)` gives the text of item `i`.
fn just_under_the_limit(dir: &Path, head: &str, build: impl Fn(usize) -> String) -> usize {
    let mut text = String::from(head);
    let mut n = 0;
    loop {
        let item = build(n);
        if text.len() + item.len() > 1_000_000 {
            break;
        }
        text.push_str(&item);
        n += 1;
    }
    std::fs::write(dir.join("ferry.toml"), text).unwrap();
    n
}

#[test]
fn ferry_toml_at_the_size_limit_loads_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    // A chain of environments, each promoted from the one before (about 14 000).
    let n = just_under_the_limit(dir.path(), "", |i| {
        let up = if i == 0 {
            String::new()
        } else {
            format!("upstream = \"e{}\"\n", i - 1)
        };
        format!("[[environment]]\nname = \"e{i}\"\noverlay = \"o/e{i}\"\n{up}")
    });
    assert!(n > 10_000, "{n}");
    let (code, _, err) = bounded(dir.path(), &["watch", "--env", "e1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("configures no probe"), "{err}");
    // The same chain written last environment first: the promotion order is rebuilt.
    let n = just_under_the_limit(dir.path(), "", |i| {
        format!(
            "[[environment]]\nname = \"e{i}\"\noverlay = \"o/e{i}\"\nupstream = \"e{}\"\n",
            i + 1
        )
    });
    let text = std::fs::read_to_string(dir.path().join("ferry.toml")).unwrap();
    std::fs::write(
        dir.path().join("ferry.toml"),
        format!("{text}[[environment]]\nname = \"e{n}\"\noverlay = \"o/e{n}\"\n"),
    )
    .unwrap();
    let (code, _, err) = bounded(dir.path(), &["watch", "--env", "e1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("configures no probe"), "{err}");
    // Many images and sources.
    just_under_the_limit(
        dir.path(),
        "[[environment]]\nname = \"dev\"\noverlay = \"o/dev\"\n[images]\n",
        |i| format!("i{i} = \"registry.example.com/acme/i{i}\"\n"),
    );
    let (code, _, err) = bounded(dir.path(), &["watch", "--env", "dev"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("configures no probe"), "{err}");
}
