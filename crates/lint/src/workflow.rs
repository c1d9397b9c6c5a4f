//! The parts of a GitHub Actions workflow the rules read, each with its place in the file.

use ferry_kustomize::located::{Located, Value};

use crate::calls::{FerryCall, ferry_calls};
pub use crate::pos::Pos;

/// A workflow file.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// The file, relative to the repository root.
    pub file: String,
    /// `on:`: the events that start it.
    pub triggers: Vec<Trigger>,
    /// Where `on:` is (the top of the file when it is missing).
    pub on_at: Pos,
    /// The workflow's `permissions:`.
    pub permissions: Option<Permissions>,
    /// The workflow's `concurrency:`.
    pub concurrency: Option<Concurrency>,
    /// The workflow's `env:`.
    pub env: Vec<(String, String)>,
    /// The jobs, in file order.
    pub jobs: Vec<Job>,
}

/// One event of `on:` with its filters.
#[derive(Debug, Clone)]
pub struct Trigger {
    /// `push`, `pull_request`, `workflow_dispatch`, …
    pub event: String,
    /// Where the event is named.
    pub at: Pos,
    /// `branches:`.
    pub branches: Option<Vec<String>>,
    /// `branches-ignore:`.
    pub branches_ignore: Option<Vec<String>>,
    /// `tags:` (a push with tags but no branches filter runs for tags only).
    pub tags: Option<Vec<String>>,
    /// `paths:`.
    pub paths: Option<Vec<String>>,
    /// `paths-ignore:`.
    pub paths_ignore: Option<Vec<String>>,
    /// Where the paths filter is (`paths:` or `paths-ignore:`), else the event.
    pub filter_at: Pos,
}

/// A scope's access in `permissions:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `none`, or the scope left out of a map.
    None,
    /// `read`.
    Read,
    /// `write`.
    Write,
}

impl Level {
    /// `none`, `read`, `write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Read => "read",
            Level::Write => "write",
        }
    }
}

/// `permissions:` of a workflow or job.
#[derive(Debug, Clone)]
pub struct Permissions {
    /// Where it is.
    pub at: Pos,
    /// What it grants.
    pub grant: Grant,
}

/// What a `permissions:` grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// `read-all`.
    ReadAll,
    /// `write-all`.
    WriteAll,
    /// A map of scopes; scopes left out get `none`.
    Scopes(Vec<(String, Level)>),
}

impl Permissions {
    /// The access granted to `scope`.
    pub fn level(&self, scope: &str) -> Level {
        match &self.grant {
            Grant::ReadAll => Level::Read,
            Grant::WriteAll => Level::Write,
            Grant::Scopes(scopes) => scopes
                .iter()
                .find(|(s, _)| s == scope)
                .map_or(Level::None, |(_, l)| *l),
        }
    }
}

/// `concurrency:` of a workflow or job.
#[derive(Debug, Clone)]
pub struct Concurrency {
    /// Where it is.
    pub at: Pos,
    /// The group (the whole value when it is a string).
    pub group: Option<String>,
    /// `cancel-in-progress:` as written (`true`, `false` or an expression); `None` when absent.
    pub cancel_in_progress: Option<String>,
    /// Where `cancel-in-progress:` is, else where `concurrency:` is.
    pub cancel_at: Pos,
}

/// A job.
#[derive(Debug, Clone)]
pub struct Job {
    /// The job's id (its key under `jobs:`).
    pub id: String,
    /// Its `name:`.
    pub name: Option<String>,
    /// Where its key is.
    pub at: Pos,
    /// `permissions:`.
    pub permissions: Option<Permissions>,
    /// `concurrency:`.
    pub concurrency: Option<Concurrency>,
    /// `env:`.
    pub env: Vec<(String, String)>,
    /// `uses:` of a job that calls a reusable workflow.
    pub uses: Option<String>,
    /// The steps.
    pub steps: Vec<Step>,
}

impl Job {
    /// The name of the check this job reports: its `name:`, else its id.
    pub fn check_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// A step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Where the step starts.
    pub at: Pos,
    /// `id:`.
    pub id: Option<String>,
    /// `uses:`.
    pub uses: Option<String>,
    /// `run:`.
    pub run: Option<String>,
    /// `with:` inputs.
    pub with: Vec<(String, String)>,
    /// `env:`.
    pub env: Vec<(String, String)>,
    /// The `ferry` commands of `run:`.
    pub calls: Vec<FerryCall>,
}

impl Step {
    /// The action `uses:` names, without its version (`actions/checkout`).
    pub fn action(&self) -> Option<&str> {
        self.uses
            .as_deref()
            .map(|u| u.split('@').next().unwrap_or(u))
    }

    /// The value of the input `name`.
    pub fn input(&self, name: &str) -> Option<&str> {
        self.with
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What is wrong with a workflow's shape, at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    /// Where.
    pub at: Pos,
    /// What.
    pub message: String,
}

fn pos(node: &Located) -> Pos {
    Pos {
        line: node.line,
        column: node.column,
    }
}

fn shape(node: &Located, message: impl Into<String>) -> ShapeError {
    ShapeError {
        at: pos(node),
        message: message.into(),
    }
}

/// The text of a scalar (numbers and booleans as written).
fn text(node: &Located) -> Option<String> {
    match &node.value {
        Value::String(s) | Value::Number(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A string or a list of strings.
fn strings(node: &Located, what: &str) -> Result<Vec<String>, ShapeError> {
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .map(|i| text(i).ok_or_else(|| shape(i, format!("{what}: expected a string"))))
            .collect(),
        _ => text(node)
            .map(|t| vec![t])
            .ok_or_else(|| shape(node, format!("{what}: expected a string or a list"))),
    }
}

/// `env:` as name and text pairs (an expression for the whole map gives none).
fn env(node: Option<&Located>) -> Vec<(String, String)> {
    node.map(|n| {
        n.entries()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), text(v).unwrap_or_default())))
            .collect()
    })
    .unwrap_or_default()
}

/// Reads a workflow from its parsed document; `source` is the file's text (to place `ferry`
/// commands inside `run:` scripts).
pub fn read(file: &str, doc: &Located, source: &str) -> Result<Workflow, ShapeError> {
    if !doc.is_map() {
        return Err(shape(doc, "a workflow is a mapping"));
    }
    let (on_at, triggers) = match doc.entry("on") {
        Some((key, on)) => (pos(key), triggers(on)?),
        None => (pos(doc), Vec::new()),
    };
    let mut jobs = Vec::new();
    if let Some(node) = doc.get("jobs") {
        for (key, job) in node.entries() {
            jobs.push(read_job(key, job, source)?);
        }
    }
    Ok(Workflow {
        file: file.to_string(),
        triggers,
        on_at,
        permissions: doc.get("permissions").map(permissions).transpose()?,
        concurrency: doc.get("concurrency").map(concurrency),
        env: env(doc.get("env")),
        jobs,
    })
}

fn triggers(on: &Located) -> Result<Vec<Trigger>, ShapeError> {
    let bare = |node: &Located| -> Result<Trigger, ShapeError> {
        let event = text(node).ok_or_else(|| shape(node, "on: expected an event name"))?;
        Ok(Trigger {
            event,
            at: pos(node),
            branches: None,
            branches_ignore: None,
            tags: None,
            paths: None,
            paths_ignore: None,
            filter_at: pos(node),
        })
    };
    match &on.value {
        Value::Seq(items) => items.iter().map(bare).collect(),
        Value::Map(entries) => entries
            .iter()
            .map(|(key, filters)| {
                let mut trigger = bare(key)?;
                let list = |name: &str| -> Result<Option<Vec<String>>, ShapeError> {
                    filters
                        .get(name)
                        .map(|n| strings(n, &format!("on.{}.{name}", trigger.event)))
                        .transpose()
                };
                trigger.branches = list("branches")?;
                trigger.branches_ignore = list("branches-ignore")?;
                trigger.tags = list("tags")?;
                trigger.paths = list("paths")?;
                trigger.paths_ignore = list("paths-ignore")?;
                if let Some((k, _)) = filters
                    .entry("paths")
                    .or_else(|| filters.entry("paths-ignore"))
                {
                    trigger.filter_at = pos(k);
                }
                Ok(trigger)
            })
            .collect(),
        _ => Ok(vec![bare(on)?]),
    }
}

fn permissions(node: &Located) -> Result<Permissions, ShapeError> {
    let grant = match &node.value {
        Value::String(s) if s == "read-all" => Grant::ReadAll,
        Value::String(s) if s == "write-all" => Grant::WriteAll,
        Value::Map(entries) => Grant::Scopes(
            entries
                .iter()
                .map(|(k, v)| {
                    let level = match text(v).as_deref() {
                        Some("read") => Level::Read,
                        Some("write") => Level::Write,
                        Some("none") => Level::None,
                        _ => return Err(shape(v, "permissions: expected read, write or none")),
                    };
                    Ok((text(k).unwrap_or_default(), level))
                })
                .collect::<Result<_, _>>()?,
        ),
        // `permissions: {}` and `permissions:` grant nothing.
        Value::Null => Grant::Scopes(Vec::new()),
        _ => {
            return Err(shape(
                node,
                "permissions: expected read-all, write-all or a map of scopes",
            ));
        }
    };
    Ok(Permissions {
        at: pos(node),
        grant,
    })
}

fn concurrency(node: &Located) -> Concurrency {
    match &node.value {
        Value::Map(_) => Concurrency {
            at: pos(node),
            group: node.get("group").and_then(text),
            cancel_in_progress: node.get("cancel-in-progress").and_then(text),
            cancel_at: node
                .entry("cancel-in-progress")
                .map_or(pos(node), |(k, _)| pos(k)),
        },
        _ => Concurrency {
            at: pos(node),
            group: text(node),
            cancel_in_progress: None,
            cancel_at: pos(node),
        },
    }
}

fn read_job(key: &Located, job: &Located, source: &str) -> Result<Job, ShapeError> {
    let id = text(key).unwrap_or_default();
    let mut steps = Vec::new();
    if let Some(list) = job.get("steps") {
        for step in list.items() {
            steps.push(read_step(step, source));
        }
    }
    Ok(Job {
        name: job.get("name").and_then(text),
        at: pos(key),
        permissions: job.get("permissions").map(permissions).transpose()?,
        concurrency: job.get("concurrency").map(concurrency),
        env: env(job.get("env")),
        uses: job.get("uses").and_then(text),
        steps,
        id,
    })
}

fn read_step(step: &Located, source: &str) -> Step {
    let run = step.get("run");
    let calls = run
        .and_then(|r| Some((r, r.as_str()?)))
        .map(|(node, script)| ferry_calls(script, &place(node, source)))
        .unwrap_or_default();
    Step {
        at: pos(step),
        id: step.get("id").and_then(text),
        uses: step.get("uses").and_then(text),
        run: run.and_then(text),
        with: env(step.get("with")),
        env: env(step.get("env")),
        calls,
    }
}

/// Where each line of a `run:` script is in the file: for a block scalar (`|`, `>`), the
/// lines after the indicator; for a one-line scalar, its own line.
fn place(node: &Located, source: &str) -> impl Fn(usize, &str) -> Pos + use<> {
    let lines: Vec<String> = source.lines().map(str::to_string).collect();
    let start = node.line;
    let first = lines
        .get(start.saturating_sub(1))
        .map(|l| l.chars().skip(node.column - 1).collect::<String>())
        .unwrap_or_default();
    let block = first.starts_with('|') || first.starts_with('>');
    let column = node.column;
    move |index: usize, script_line: &str| {
        let line = if block { start + 1 + index } else { start };
        let trimmed = script_line.trim();
        let column = lines
            .get(line - 1)
            .and_then(|l| l.find(trimmed).map(|byte| l[..byte].chars().count() + 1))
            .unwrap_or(if block { 1 } else { column });
        Pos { line, column }
    }
}
