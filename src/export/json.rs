//! JSON output of the exports, and the one JSON formatter they share. State values are kept raw
//! from the input, indented as the writer indented them; the formatter lays them out again,
//! compact on one line or indented where they stand, and otherwise copies them byte for byte:
//! numbers, strings and key order are never re-parsed, so nothing is rounded or reordered.
//! Characters that could drive a terminal (C1 controls, DEL, bidirectional overrides, ...) are
//! written as `\uXXXX` escapes: the same strings to a JSON reader, and safe on a terminal.

use super::EntryRenderer;
use crate::export::{ExportEntry, ExportState, StateMap};
use crate::json::{
    HIGHS, Strings, bytes_below, bytes_equal, compact, indented, newline_indent, safe_string,
    unsafe_char_at,
};
use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};
use std::io::{self, Write};

/// How JSON is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One line, no insignificant whitespace.
    Compact,
    /// Two-space indentation, as `serde_json::to_writer_pretty` writes it.
    Pretty,
}

/// Writes `value` as JSON laid out as asked; with `Pretty`, as if it stood `depth` levels deep.
pub fn write<W: Write + ?Sized, T: Serialize + ?Sized>(
    out: &mut W,
    value: &T,
    layout: Layout,
    depth: usize,
) -> io::Result<()> {
    let mut serializer = Serializer::with_formatter(out, JsonFormatter::new(layout, depth));
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// Writes an export entry as JSON, laid out as [`write`] lays out what it is given.
pub fn write_entry<W: Write + ?Sized>(
    out: &mut W,
    e: &ExportEntry<'_>,
    layout: Layout,
    depth: usize,
) -> io::Result<()> {
    let f = &mut JsonFormatter::new(layout, depth);
    let mut o = Object::begin(out, f)?;
    o.text("timestamp", Some(e.timestamp_text().as_str()))?;
    o.text("hook", e.hook_name())?;
    if !e.kind.is_empty() {
        o.text("type", Some(e.kind))?;
    }
    o.text("agent_id", e.agent_id)?;
    o.text("event_id", e.event_id)?;
    o.text("session_id", e.session_id)?;
    o.text("source_agent_id", e.source_agent_id)?;
    o.text("target_agent_id", e.target_agent_id)?;
    o.text("next_agent", e.next_agent.as_deref())?;
    o.field("duration_ms")?;
    match e.duration_ms.filter(|ms| ms.is_finite()) {
        Some(ms) => o.f.write_f64(o.out, ms)?,
        None => o.f.write_null(o.out)?,
    }
    o.value_done()?;
    o.text("error", e.error)?;
    o.field("state")?;
    match &e.state {
        Some(state) => state_object(o.out, o.f, state)?,
        None => o.f.write_null(o.out)?,
    }
    o.value_done()?;
    o.end()
}

/// Writes a merged state (`{"data":...,"meta":...}`) as JSON, laid out as [`write`] lays
/// out what it is given.
pub fn write_state<W: Write + ?Sized>(
    out: &mut W,
    state: &ExportState<'_>,
    layout: Layout,
    depth: usize,
) -> io::Result<()> {
    state_object(out, &mut JsonFormatter::new(layout, depth), state)
}

/// Writes the data or meta of a merged state as JSON, laid out as [`write`] lays out what it
/// is given.
pub fn write_state_map<W: Write + ?Sized>(
    out: &mut W,
    map: &StateMap<'_>,
    layout: Layout,
    depth: usize,
) -> io::Result<()> {
    state_map(out, &mut JsonFormatter::new(layout, depth), map)
}

fn state_object<W: Write + ?Sized>(
    out: &mut W,
    f: &mut JsonFormatter,
    state: &ExportState<'_>,
) -> io::Result<()> {
    let mut o = Object::begin(out, f)?;
    for (name, map) in [("data", &state.data), ("meta", &state.meta)] {
        o.field(name)?;
        state_map(o.out, o.f, map)?;
        o.value_done()?;
    }
    o.end()
}

fn state_map<W: Write + ?Sized>(
    out: &mut W,
    f: &mut JsonFormatter,
    map: &StateMap<'_>,
) -> io::Result<()> {
    match map {
        StateMap::Members(members) => {
            let mut o = Object::begin(out, f)?;
            for (key, value) in members {
                o.key(key)?;
                o.f.write_raw_fragment(o.out, value.get())?;
                o.value_done()?;
            }
            o.end()
        }
        StateMap::Object(raw) => f.write_raw_fragment(out, raw.get()),
        StateMap::Other(raw) => f.write_raw_fragment(out, raw.get()),
    }
}

/// An object being written member by member, driving the formatter as serde_json drives it
/// for a map, so that the layout is the same.
struct Object<'o, W: ?Sized> {
    out: &'o mut W,
    f: &'o mut JsonFormatter,
    first: bool,
}

impl<'o, W: Write + ?Sized> Object<'o, W> {
    fn begin(out: &'o mut W, f: &'o mut JsonFormatter) -> io::Result<Self> {
        f.begin_object(out)?;
        Ok(Object {
            out,
            f,
            first: true,
        })
    }

    /// A member's key, from the input; its value is written next, then
    /// [`Object::value_done`].
    fn key(&mut self, key: &str) -> io::Result<()> {
        self.f.begin_object_key(self.out, self.first)?;
        self.first = false;
        quoted(self.out, key)?;
        self.f.end_object_key(self.out)?;
        self.f.begin_object_value(self.out)
    }

    /// A member's key that is one of our field names (nothing in it to escape); its value is
    /// written next, then [`Object::value_done`].
    fn field(&mut self, name: &'static str) -> io::Result<()> {
        self.f.begin_object_key(self.out, self.first)?;
        self.first = false;
        self.out.write_all(b"\"")?;
        self.out.write_all(name.as_bytes())?;
        self.out.write_all(b"\"")?;
        self.f.end_object_key(self.out)?;
        self.f.begin_object_value(self.out)
    }

    fn value_done(&mut self) -> io::Result<()> {
        self.f.end_object_value(self.out)
    }

    /// A field whose value is a string, or `null`.
    fn text(&mut self, name: &'static str, value: Option<&str>) -> io::Result<()> {
        self.field(name)?;
        match value {
            Some(text) => quoted(self.out, text)?,
            None => self.f.write_null(self.out)?,
        }
        self.value_done()
    }

    fn end(self) -> io::Result<()> {
        self.f.end_object(self.out)
    }
}

/// Writes `s` as a JSON string, in one pass: escaped as serde_json escapes it (`\"`, `\\`,
/// control characters), and the characters that could drive a terminal escaped too, as
/// [`safe_string`] escapes them.
fn quoted<W: ?Sized + Write>(out: &mut W, s: &str) -> io::Result<()> {
    let b = s.as_bytes();
    out.write_all(b"\"")?;
    let (mut run, mut i) = (0, 0);
    loop {
        i = next_to_check(b, i);
        let Some(&c) = b.get(i) else {
            break;
        };
        let (code, len) = match c {
            b'"' | b'\\' | 0x08 | b'\t' | b'\n' | 0x0c | b'\r' => {
                out.write_all(&b[run..i])?;
                out.write_all(match c {
                    b'"' => b"\\\"",
                    b'\\' => b"\\\\",
                    0x08 => b"\\b",
                    b'\t' => b"\\t",
                    b'\n' => b"\\n",
                    0x0c => b"\\f",
                    _ => b"\\r",
                })?;
                i += 1;
                run = i;
                continue;
            }
            0x00..=0x1f => (u32::from(c), 1),
            _ => match unsafe_char_at(b, i) {
                Some((unsafe_char, len)) => (unsafe_char as u32, len),
                None => {
                    // A character that is fine as it is: on to the next.
                    i += match c {
                        0x00..=0xdf => 1 + usize::from(c >= 0xc0),
                        0xe0..=0xef => 3,
                        _ => 4,
                    };
                    continue;
                }
            },
        };
        out.write_all(&b[run..i])?;
        write!(out, "\\u{code:04x}")?;
        i += len;
        run = i;
    }
    out.write_all(&b[run..])?;
    out.write_all(b"\"")
}

/// The index of the first byte from `i` on that [`quoted`] must look at: a control character,
/// `"`, `\\`, DEL, or a byte of a character that is not ASCII (`b.len()` when none is left).
/// Eight bytes at a time; a byte found may also be an ASCII one that needs nothing.
fn next_to_check(b: &[u8], mut i: usize) -> usize {
    let hits = |word: &[u8]| {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or([0; 8]));
        bytes_below(w, 0x20)
            | bytes_equal(w, b'"')
            | bytes_equal(w, b'\\')
            | bytes_equal(w, 0x7f)
            | (w & HIGHS)
    };
    let at = |hits: u64| (hits.trailing_zeros() / 8) as usize;
    while let Some(word) = b.get(i..i + 8) {
        let found = hits(word);
        if found != 0 {
            return i + at(found);
        }
        i += 8;
    }
    if i >= b.len() {
        return b.len();
    }
    // The last few bytes: the last eight, less those already looked at. (A borrow from one of
    // those can flag the byte above it: a byte that needs nothing, which `quoted` passes.)
    let Some(last) = b.len().checked_sub(8) else {
        while b
            .get(i)
            .is_some_and(|&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
        {
            i += 1;
        }
        return i;
    };
    let found = hits(&b[last..]) & (u64::MAX << (8 * (i - last)));
    if found == 0 {
        b.len()
    } else {
        last + at(found)
    }
}

/// `--format json`: one JSON array of normalised entries, written entry by entry as they are
/// read (an empty session is `[]`). agentcli reads it back as a session file.
pub struct JsonArray<'w> {
    out: &'w mut dyn Write,
    written: u64,
    /// The entry being written, reused: one write of it to `out`.
    entry: Vec<u8>,
}

impl<'w> JsonArray<'w> {
    pub fn new(out: &'w mut dyn Write) -> Self {
        JsonArray {
            out,
            written: 0,
            entry: Vec::new(),
        }
    }
}

impl EntryRenderer for JsonArray<'_> {
    fn entry(&mut self, entry: &ExportEntry<'_>) -> io::Result<()> {
        self.entry.clear();
        self.entry.extend_from_slice(if self.written == 0 {
            b"[\n  "
        } else {
            b",\n  "
        });
        write_entry(&mut self.entry, entry, Layout::Pretty, 1)?;
        self.out.write_all(&self.entry)?;
        self.written += 1;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out
            .write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })
    }
}

/// A serde_json formatter for a `Layout` that also lays out raw fragments (`RawValue`s).
struct JsonFormatter {
    layout: Layout,
    depth: usize,
    has_value: bool,
}

impl JsonFormatter {
    fn new(layout: Layout, depth: usize) -> Self {
        JsonFormatter {
            layout,
            depth,
            has_value: false,
        }
    }

    fn pretty(&self) -> bool {
        self.layout == Layout::Pretty
    }
}

impl Formatter for JsonFormatter {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.pretty() && self.has_value {
            newline_indent(w, self.depth)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.pretty() {
            newline_indent(w, self.depth)?;
        }
        Ok(())
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.pretty() && self.has_value {
            newline_indent(w, self.depth)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.pretty() {
            newline_indent(w, self.depth)?;
        }
        Ok(())
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(if self.pretty() { b": " } else { b":" })
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        safe_string(fragment.as_bytes(), w)
    }

    fn write_raw_fragment<W: ?Sized + Write>(&mut self, w: &mut W, raw: &str) -> io::Result<()> {
        match self.layout {
            Layout::Compact => compact(raw.as_bytes(), Strings::TerminalSafe, w),
            Layout::Pretty => indented(raw.as_bytes(), self.depth, Strings::TerminalSafe, w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::MAX_INDENT_DEPTH;
    use serde_json::value::RawValue;

    fn laid_out(raw: &str, layout: Layout) -> String {
        let raw: &RawValue = serde_json::from_str(raw).unwrap();
        let mut out = Vec::new();
        let mut map = std::collections::BTreeMap::new();
        map.insert("value", raw);
        write(&mut out, &map, layout, 0).unwrap();
        String::from_utf8(out).unwrap()
    }

    const RAW: &str = "{\n    \"a b\": [1, 2.50, {\"c\" :\"x , y: {z}\\\" [\"}],\n \"e\": {}, \"f\": [ ],\n \"g\": \"\\\\\"\n}";

    #[test]
    fn compact_removes_only_the_space_between_tokens() {
        assert_eq!(
            laid_out(RAW, Layout::Compact),
            r#"{"value":{"a b":[1,2.50,{"c":"x , y: {z}\" ["}],"e":{},"f":[],"g":"\\"}}"#
        );
    }

    #[test]
    fn pretty_indents_raw_values_where_they_stand() {
        let expected = r#"{
  "value": {
    "a b": [
      1,
      2.50,
      {
        "c": "x , y: {z}\" ["
      }
    ],
    "e": {},
    "f": [],
    "g": "\\"
  }
}"#;
        assert_eq!(laid_out(RAW, Layout::Pretty), expected);
        // The same as serde_json's own pretty printer, for what it can print.
        let value: serde_json::Value = serde_json::from_str(RAW).unwrap();
        let theirs = serde_json::to_string_pretty(&serde_json::json!({ "value": value })).unwrap();
        assert_eq!(theirs.replace("2.5,", "2.50,"), expected);
    }

    /// Found exporting fixtures/bad/deep-nesting (100,000 levels, 800 KB): each level was
    /// indented on a line of its own, 20 GB of JSON written over six minutes.
    #[test]
    fn deep_raw_values_stay_on_one_line_below_the_indentation_limit() {
        let depth = 100_000;
        let raw = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let written = laid_out(&raw, Layout::Pretty);
        assert!(written.len() < 2 * raw.len() + 4 * MAX_INDENT_DEPTH.pow(2));
        assert_eq!(written.lines().count(), 2 * MAX_INDENT_DEPTH + 1);
        // Still JSON (read without recursion, as the reader reads state values).
        serde_json::from_str::<serde::de::IgnoredAny>(&written).unwrap();
    }

    #[test]
    fn what_could_drive_a_terminal_is_escaped_and_reads_back_the_same() {
        let text = "a\u{9b}31m b\u{202e} c\u{7f} 日本\u{1b}";
        let raw = serde_json::to_string(text).unwrap();
        for layout in [Layout::Compact, Layout::Pretty] {
            let mut out = Vec::new();
            write(&mut out, &serde_json::json!({ "k": text }), layout, 0).unwrap();
            let written = String::from_utf8(out).unwrap();
            assert!(
                written.contains(r"a\u009b31m b\u202e c\u007f 日本\u001b"),
                "{written}"
            );
            let back: serde_json::Value = serde_json::from_str(&written).unwrap();
            assert_eq!(back["k"], text);
            let from_raw = laid_out(&raw, layout);
            assert!(
                from_raw.contains(r"a\u009b31m b\u202e c\u007f 日本\u001b"),
                "{from_raw}"
            );
        }
    }

    #[test]
    fn scalars_pass_through() {
        for raw in ["\"t\\u003ce\\nxt\"", "-1.5e10", "true", "null"] {
            assert_eq!(
                laid_out(raw, Layout::Compact),
                format!("{{\"value\":{raw}}}")
            );
        }
    }
}
