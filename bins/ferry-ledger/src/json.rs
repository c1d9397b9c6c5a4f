//! JSON output laid out as `serde_json::to_writer_pretty` lays it out (two-space indentation),
//! with each line break and its indentation written at once: a long history prints a hundred
//! thousand lines.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

/// Writes `value` as pretty JSON.
pub(crate) fn write_pretty(out: &mut impl Write, value: &impl Serialize) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, Pretty::default());
    value.serialize(&mut serializer)
}

/// serde_json's `PrettyFormatter` with a two-space indent.
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

/// A line break and the indentation of the deepest lines written at once.
const BREAK: &[u8] = b"\n                                                                ";

impl Pretty {
    fn line<W: ?Sized + Write>(&self, out: &mut W) -> io::Result<()> {
        let width = 1 + 2 * self.depth;
        if let Some(line) = BREAK.get(..width) {
            return out.write_all(line);
        }
        out.write_all(b"\n")?;
        (0..self.depth).try_for_each(|_| out.write_all(b"  "))
    }

    fn open<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(out)?;
        }
        out.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        self.line(out)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.item(out, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.item(out, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_serde_jsons_pretty_one() {
        // Nesting deeper than one write of indentation, empty and one-item containers,
        // escapes and every kind of value.
        let mut deep = serde_json::json!({ "leaf": [1, "two", null] });
        for i in 0..40 {
            deep = serde_json::json!({ "level": i, "inner": deep, "empty": [], "none": {} });
        }
        let value = serde_json::json!({
            "base": "abc",
            "list": [[], {}, [1], {"a": {"b": []}}, "q\"uo\\te\n\u{1}é", 1.5, -3, true, false],
            "deep": deep,
        });
        let mut ours = Vec::new();
        write_pretty(&mut ours, &value).expect("writes");
        let theirs = serde_json::to_vec_pretty(&value).expect("writes");
        assert_eq!(
            String::from_utf8(ours).expect("UTF-8"),
            String::from_utf8(theirs).expect("UTF-8")
        );
    }
}
