//! Reading a test history the way `ferry status --offline` does.

use ferry_config::Config;
use ferry_delivery::History;
use ferry_delivery::read::{ReadOptions, read_local};
use ferry_git::Repo;
use ferry_test_support::history::History as GitHistory;
use jiff::Timestamp;

/// The history of the repository, at its `main`.
pub fn load(h: &GitHistory) -> History {
    let config = Config::load(h.dir.join("ferry.toml")).expect("the blueprint's config loads");
    let repo = Repo::discover(&h.dir).expect("the repository opens");
    let base = repo.resolve("main").expect("main resolves");
    read_local(&repo, &config, base, &ReadOptions::default()).expect("the history reads")
}

/// `seconds` as a timestamp.
pub fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).expect("a valid time")
}

/// The start of the stories.
pub const T0: i64 = 1_790_000_000;
/// A minute, an hour.
pub const MIN: i64 = 60;
/// An hour.
pub const HOUR: i64 = 3600;
