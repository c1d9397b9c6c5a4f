//! What a build and a push report as they go, and the reading of the engine's build stream
//! into steps and lines.

/// A Dockerfile step as the engine announces it (`Step 2/3 : COPY app /app`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The step's number, from 1.
    pub number: u32,
    /// The number of steps.
    pub total: u32,
    /// The instruction as written.
    pub instruction: String,
}

impl Step {
    /// Reads `Step N/M : INSTRUCTION`.
    pub fn parse(line: &str) -> Option<Step> {
        let rest = line.strip_prefix("Step ")?;
        let (counts, instruction) = rest.split_once(" : ")?;
        let (number, total) = counts.split_once('/')?;
        Some(Step {
            number: number.trim().parse().ok()?,
            total: total.trim().parse().ok()?,
            instruction: instruction.trim_end().to_owned(),
        })
    }
}

/// One thing that happened during a build or a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A step started.
    Step(Step),
    /// A line the current step (or the engine) printed.
    Output(String),
    /// The image was built.
    Built {
        /// The image id (`sha256:…`).
        id: String,
    },
    /// A push of this tag starts.
    Pushing {
        /// The tag.
        tag: String,
    },
    /// The state of a layer in a push (`Preparing`, `Pushing`, `Pushed`, `Layer already
    /// exists`). The engine API's push stream, as bollard reads it, names no layer.
    Layer {
        /// The state.
        status: String,
        /// Bytes done, while pushing.
        current: Option<u64>,
        /// Bytes in all, while pushing.
        total: Option<u64>,
    },
    /// A tag was pushed and the registry stores this digest.
    Pushed {
        /// The tag.
        tag: String,
        /// The manifest digest.
        digest: String,
    },
}

/// Assembles the engine's `stream` chunks into lines (a step's header and its line break come
/// in separate chunks) and tracks the current step and what it printed.
#[derive(Debug, Default)]
pub struct BuildLog {
    partial: String,
    step: Option<Step>,
    output: Vec<String>,
}

impl BuildLog {
    /// Takes a `stream` chunk; returns the events of the lines it completes.
    pub fn push(&mut self, chunk: &str) -> Vec<Event> {
        self.partial.push_str(chunk);
        let mut events = Vec::new();
        while let Some(at) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=at).collect();
            let line = line.trim_end_matches(['\n', '\r']).to_owned();
            events.extend(self.line(line));
        }
        events
    }

    /// Ends the stream: a last line without a line break.
    pub fn finish(&mut self) -> Vec<Event> {
        let rest = std::mem::take(&mut self.partial);
        if rest.is_empty() {
            Vec::new()
        } else {
            self.line(rest).into_iter().collect()
        }
    }

    fn line(&mut self, line: String) -> Option<Event> {
        if let Some(step) = Step::parse(&line) {
            self.step = Some(step.clone());
            self.output.clear();
            return Some(Event::Step(step));
        }
        if line.trim().is_empty() {
            return None;
        }
        self.output.push(line.clone());
        Some(Event::Output(line))
    }

    /// The step running now, if one started.
    pub fn step(&self) -> Option<&Step> {
        self.step.as_ref()
    }

    /// What the current step printed so far.
    pub fn output(&self) -> &[String] {
        &self.output
    }
}

/// The digest in the engine's last push line (`TAG: digest: sha256:… size: N`).
pub fn pushed_digest(status: &str) -> Option<String> {
    let (_, rest) = status.split_once(": digest: ")?;
    let digest = rest.split_whitespace().next()?;
    digest.starts_with("sha256:").then(|| digest.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_lines_from_chunks() {
        let mut log = BuildLog::default();
        let mut events = log.push("Step 1/2 : FROM scratch");
        events.extend(log.push("\n"));
        events.extend(log.push(" ---> \nStep 2/2 : COPY a /a\n"));
        events.extend(log.push("COPY failed: no a"));
        assert_eq!(
            events,
            [
                Event::Step(Step {
                    number: 1,
                    total: 2,
                    instruction: "FROM scratch".into()
                }),
                Event::Output(" ---> ".into()),
                Event::Step(Step {
                    number: 2,
                    total: 2,
                    instruction: "COPY a /a".into()
                }),
            ]
        );
        assert_eq!(log.finish(), [Event::Output("COPY failed: no a".into())]);
        assert_eq!(log.step().map(|s| s.number), Some(2));
        assert_eq!(log.output(), ["COPY failed: no a"]);
    }

    #[test]
    fn reads_the_pushed_digest() {
        assert_eq!(
            pushed_digest("1.0: digest: sha256:7e80725462d17b3051e63b9571e5d44b9974aed3e2bb5f5b2ddd311ad954e3d8 size: 524")
                .as_deref(),
            Some("sha256:7e80725462d17b3051e63b9571e5d44b9974aed3e2bb5f5b2ddd311ad954e3d8")
        );
        assert_eq!(pushed_digest("Preparing"), None);
        assert_eq!(Step::parse("Stepping 1/2 : x"), None);
    }
}
