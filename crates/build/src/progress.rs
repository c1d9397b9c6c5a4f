//! Progress as text: on a terminal each step in bold, its lines dimmed and the push's layer
//! state on one line redrawn in place; elsewhere (CI, a file, a pipe) plain lines, one per step,
//! output line and change of the layer state. The caller writes the text (to stderr).

use crate::event::Event;

/// Turns events into the text to show.
#[derive(Debug, Default)]
pub struct Progress {
    tty: bool,
    /// The running push's layer line, last shown.
    layer: Option<String>,
}

impl Progress {
    /// Progress for a terminal (`tty`) or plain lines.
    pub fn new(tty: bool) -> Self {
        Self {
            tty,
            ..Self::default()
        }
    }

    /// The text that shows `event`.
    pub fn render(&mut self, event: &Event) -> String {
        match event {
            Event::Step(step) => {
                let line = format!("Step {}/{} : {}", step.number, step.total, step.instruction);
                if self.tty {
                    format!("\x1b[1m{line}\x1b[0m\n")
                } else {
                    format!("{line}\n")
                }
            }
            Event::Output(line) => {
                if self.tty {
                    format!("\x1b[2m{line}\x1b[0m\n")
                } else {
                    format!("{line}\n")
                }
            }
            Event::Built { id } => format!("built {id}\n"),
            Event::Pushing { tag } => {
                self.layer = None;
                format!("pushing {tag}\n")
            }
            Event::Pushed { tag, digest } => {
                // A terminal ends the redrawn line first.
                let end = if self.tty && self.layer.take().is_some() {
                    "\n"
                } else {
                    ""
                };
                format!("{end}pushed {tag} ({digest})\n")
            }
            Event::Layer {
                status,
                current,
                total,
            } => self.layer(status, *current, *total),
        }
    }

    fn layer(&mut self, status: &str, current: Option<u64>, total: Option<u64>) -> String {
        if !self.tty {
            // Plain lines: each change of state once, not each byte count.
            if self.layer.as_deref() == Some(status) {
                return String::new();
            }
            self.layer = Some(status.to_owned());
            return format!("  {status}\n");
        }
        let line = match (current, total) {
            (Some(current), Some(total)) if total > 0 => format!(
                "  {status} {} {}/{}",
                bar(current, total),
                bytes(current),
                bytes(total)
            ),
            _ => format!("  {status}"),
        };
        self.layer = Some(line.clone());
        format!("\r\x1b[2K{line}")
    }
}

/// A 20-character progress bar.
fn bar(current: u64, total: u64) -> String {
    let filled = usize::try_from(current.min(total).saturating_mul(20) / total).unwrap_or(20);
    format!("[{}{}]", "=".repeat(filled), " ".repeat(20 - filled))
}

/// A byte count for people (`1.5MB`).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n}B");
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Step;

    fn layer(status: &str, current: Option<u64>, total: Option<u64>) -> Event {
        Event::Layer {
            status: status.into(),
            current,
            total,
        }
    }

    #[test]
    fn plain_lines_show_each_layer_state_once() {
        let mut p = Progress::new(false);
        let step = Event::Step(Step {
            number: 1,
            total: 2,
            instruction: "FROM scratch".into(),
        });
        assert_eq!(p.render(&step), "Step 1/2 : FROM scratch\n");
        assert_eq!(p.render(&Event::Output(" ---> abc".into())), " ---> abc\n");
        assert_eq!(
            p.render(&Event::Pushing {
                tag: "r/a:1".into()
            }),
            "pushing r/a:1\n"
        );
        assert_eq!(p.render(&layer("Preparing", None, None)), "  Preparing\n");
        assert_eq!(p.render(&layer("Preparing", None, None)), "");
        assert_eq!(
            p.render(&layer("Pushing", Some(10), Some(100))),
            "  Pushing\n"
        );
        assert_eq!(p.render(&layer("Pushing", Some(50), Some(100))), "");
        assert_eq!(p.render(&layer("Pushed", None, None)), "  Pushed\n");
        assert!(!p.render(&step).contains('\x1b'));
    }

    #[test]
    fn a_terminal_redraws_the_layer_line_in_place() {
        let mut p = Progress::new(true);
        p.render(&Event::Pushing {
            tag: "r/a:1".into(),
        });
        assert_eq!(
            p.render(&layer("Preparing", None, None)),
            "\r\x1b[2K  Preparing"
        );
        assert_eq!(
            p.render(&layer("Pushing", Some(1500), Some(3000))),
            "\r\x1b[2K  Pushing [==========          ] 1.5kB/3.0kB"
        );
        let done = Event::Pushed {
            tag: "r/a:1".into(),
            digest: "sha256:x".into(),
        };
        assert_eq!(p.render(&done), "\npushed r/a:1 (sha256:x)\n");
        assert!(p.render(&Event::Output("x".into())).starts_with("\x1b[2m"));
    }

    #[test]
    fn byte_counts() {
        assert_eq!(bytes(999), "999B");
        assert_eq!(bytes(1500), "1.5kB");
        assert_eq!(bytes(2_500_000), "2.5MB");
    }
}
