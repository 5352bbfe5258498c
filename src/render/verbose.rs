//! The verbose view (`trace --verbose`): every entry in full: its fields, its agent result, and
//! its whole merged state (data and meta), pretty-printed and wrapped to the width, nothing cut.
//! Text keeps its line breaks; everything else that could drive a terminal is made visible.

use super::{ERROR_STYLE, Style, hook_style};
use crate::json::{self, raw_text};
use crate::model::TraceEntry;
use crate::read::{Entry, EntryView, ReadSummary};
use crate::render::table::write_title;
use crate::text;
use crate::units;
use owo_colors::Style as Paint;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::io::{self, Write};

/// Width of the entry field labels (`event`, `target`, ...).
const LABEL_WIDTH: usize = 8;
/// State keys are aligned up to this width; longer keys push their value further right.
const KEY_CAP: usize = 24;
/// A value gets at least this many columns beside its key, else it starts on the next line.
const MIN_VALUE_WIDTH: usize = 24;
/// Lines longer than this many bytes are wrapped a piece at a time: wrapping takes memory in
/// proportion to the text wrapped (a value can be hundreds of MB).
const WRAP_SEGMENT: usize = 64 * 1024;

/// Writes each entry in full, entries separated by a blank line.
pub struct VerboseView<'w> {
    out: &'w mut dyn Write,
    session_id: String,
    style: Style,
    started: bool,
    buf: String,
}

impl<'w> VerboseView<'w> {
    pub fn new(out: &'w mut dyn Write, session_id: &str, style: Style) -> Self {
        VerboseView {
            out,
            session_id: session_id.to_owned(),
            style,
            started: false,
            buf: String::new(),
        }
    }
}

impl EntryView for VerboseView<'_> {
    fn entry(&mut self, read: &Entry<'_>) -> io::Result<()> {
        if !self.started {
            write_title(self.out, &self.session_id)?;
            self.started = true;
        } else {
            self.out.write_all(b"\n")?;
        }
        self.buf.clear();
        let block = EntryBlock {
            style: self.style,
            session_id: &self.session_id,
        };
        block.write(read, &mut self.buf);
        self.out.write_all(self.buf.as_bytes())
    }

    fn caught_up(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self, _summary: &ReadSummary) -> io::Result<()> {
        Ok(())
    }
}

/// What one entry's block needs to know.
struct EntryBlock<'a> {
    style: Style,
    session_id: &'a str,
}

impl EntryBlock<'_> {
    fn write(&self, read: &Entry<'_>, out: &mut String) {
        let e = &read.entry;
        let zone = self.style.zone;
        // `#N  time  hook  agent`, wrapped between its parts when the width is short.
        let number = format!("#{}", read.index);
        let time = e.timestamp.rfc3339(zone);
        let hook = text::escape(e.hook.as_str(), false);
        let agent = text::escape(e.agent(), false);
        let parts = [
            (number.as_str(), None),
            (time.as_str(), None),
            (&*hook, self.style(hook_style(&e.hook))),
            (or_dash(&agent), None),
        ];
        let mut used = 0;
        for (i, (part, style)) in parts.into_iter().enumerate() {
            if i > 0 && used + 2 + text::width(part) > self.style.width {
                out.push_str("\n  ");
                used = 2;
            } else if i > 0 {
                out.push_str("  ");
                used += 2;
            }
            push_styled(out, part, style);
            used += text::width(part);
        }
        out.push('\n');

        let fields: [(&str, &str); 4] = [
            ("type", &e.kind),
            ("event", &e.event_id),
            ("source", &e.source_agent_id),
            ("target", &e.target_agent_id),
        ];
        for (label, value) in fields {
            if !value.is_empty() {
                self.field(out, 2, label, LABEL_WIDTH, value, None);
            }
        }
        if !e.session_id.is_empty() && e.session_id != self.session_id {
            self.field(out, 2, "session", LABEL_WIDTH, &e.session_id, None);
        }
        let error_style = self.style(ERROR_STYLE);
        if let Some(error) = &e.error {
            self.field(out, 2, "error", LABEL_WIDTH, error, error_style);
        }
        if let Some(ns) = e.duration_ns {
            self.field(
                out,
                2,
                "duration",
                LABEL_WIDTH,
                &units::duration_ms(ns / 1e6),
                None,
            );
        }
        if let Some(result) = &e.agent_result {
            let mut summary = format!("duration_ms {}", result.duration_ms);
            for (name, time) in [("start", result.start_time), ("end", result.end_time)] {
                if let Some(t) = time {
                    summary.push_str(&format!("\n{name:<11} {}", t.rfc3339(zone)));
                }
            }
            self.field(out, 2, "result", LABEL_WIDTH, &summary, None);
            if let Some(error) = result
                .error
                .as_deref()
                .filter(|r| Some(*r) != e.error.as_deref())
            {
                self.field(out, 2, "result error", LABEL_WIDTH, error, error_style);
            }
        }
        self.state(out, "data", e.merged_data(), data_of(e));
        self.state(out, "meta", e.merged_meta(), meta_of(e));
    }

    /// A state block: `data` or `meta`, then its members one per line, keys aligned.
    fn state<'a>(
        &self,
        out: &mut String,
        label: &str,
        merged: Result<Vec<(Cow<'a, str>, &'a RawValue)>, serde_json::Error>,
        raw: Option<&'a RawValue>,
    ) {
        match merged {
            Ok(members) if members.is_empty() => {}
            Ok(members) => {
                out.push_str(&format!("  {label}\n"));
                let key_width = members
                    .iter()
                    .map(|(k, _)| text::width(&text::escape(k, false)))
                    .max()
                    .unwrap_or(0)
                    .min(KEY_CAP);
                for (key, value) in &members {
                    self.field(out, 4, key, key_width, &value_text(value), None);
                }
            }
            // Not an object: shown as it is.
            Err(_) => {
                if let Some(raw) = raw {
                    self.field(out, 2, label, LABEL_WIDTH, &value_text(raw), None);
                }
            }
        }
    }

    /// One `label  value` line, the value wrapped to the width (continuation lines aligned
    /// under it) and escaped with its line breaks kept.
    fn field(
        &self,
        out: &mut String,
        indent: usize,
        label: &str,
        label_width: usize,
        value: &str,
        style: Option<Paint>,
    ) {
        let label = text::escape(label, false);
        let label_used = text::width(&label).max(label_width);
        let width = self.style.width;
        let mut column = indent + label_used + 2;
        push_spaces(out, indent);
        out.push_str(&label);
        let value = text::escape(value, true);
        // A value goes below its label when beside it an id or time would have to break.
        let longest = value.split('\n').map(text::longest_word).max().unwrap_or(0);
        let beside =
            column + MIN_VALUE_WIDTH.max(longest.min(width.saturating_sub(indent + 2))) <= width;
        if !beside {
            column = indent + 2;
        }
        // Ids and times hold hyphens: lines break at spaces, or inside a word too long to fit.
        let options = textwrap::Options::new(width.saturating_sub(column).max(MIN_VALUE_WIDTH))
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        let mut first = true;
        for line in value
            .split('\n')
            .flat_map(|line| segments(line, WRAP_SEGMENT))
        {
            let wrapped = textwrap::wrap(line, &options);
            let pieces: &[Cow<'_, str>] = if wrapped.is_empty() {
                &[Cow::Borrowed("")]
            } else {
                &wrapped
            };
            for piece in pieces {
                if first && beside {
                    push_spaces(out, column - indent - text::width(&label));
                } else {
                    out.push('\n');
                    if !piece.is_empty() {
                        push_spaces(out, column);
                    }
                }
                first = false;
                push_styled(out, piece, style);
            }
        }
        out.push('\n');
    }

    fn style(&self, style: Paint) -> Option<Paint> {
        self.style.color.then_some(style)
    }
}

fn data_of<'a>(e: &TraceEntry<'a>) -> Option<&'a RawValue> {
    [e.output_state(), e.state.as_ref()]
        .into_iter()
        .flatten()
        .find_map(|s| s.data)
}

fn meta_of<'a>(e: &TraceEntry<'a>) -> Option<&'a RawValue> {
    [e.output_state(), e.state.as_ref()]
        .into_iter()
        .flatten()
        .find_map(|s| s.meta)
}

/// A value as shown: a string's text (`""` when empty), anything else as indented JSON.
fn value_text(raw: &RawValue) -> Cow<'_, str> {
    if raw.get().starts_with('"') {
        let s = raw_text(raw);
        if s.is_empty() {
            Cow::Borrowed("\"\"")
        } else {
            s
        }
    } else {
        Cow::Owned(json::indented_text(raw.get()))
    }
}

/// `line` in pieces of at most about `max` bytes, each cut after a space where there is one
/// and always between characters. Wrapped one by one, they wrap as the whole line does, but
/// where two pieces meet (a line there may end early).
fn segments(line: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let line = rest?;
        if line.len() <= max {
            rest = None;
            return Some(line);
        }
        let mut cut = max;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        let cut = line[..cut].rfind(' ').map_or(cut, |space| space + 1);
        let (piece, after) = line.split_at(cut);
        rest = Some(after);
        Some(piece)
    })
}

fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn push_styled(out: &mut String, s: &str, style: Option<Paint>) {
    match style {
        Some(style) if !s.is_empty() => out.push_str(&format!(
            "{}{s}{}",
            style.prefix_formatter(),
            style.suffix_formatter()
        )),
        _ => out.push_str(s),
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::DisplayZone;

    /// One entry rendered as the view renders it.
    fn render(json: &str, width: usize) -> String {
        let e = TraceEntry::parse(json.as_bytes()).unwrap();
        let read = Entry {
            entry: e,
            bytes: json.as_bytes(),
            at: Default::default(),
            index: 7,
        };
        let block = EntryBlock {
            style: Style {
                width,
                color: false,
                zone: DisplayZone::Utc,
                ascii: false,
            },
            session_id: "s",
        };
        let mut out = String::new();
        block.write(&read, &mut out);
        out
    }

    #[test]
    fn long_lines_are_wrapped_a_piece_at_a_time() {
        let pieces: Vec<&str> = segments("ab cd abcd\u{e9}", 5).collect();
        assert_eq!(pieces, ["ab ", "cd ", "abcd", "\u{e9}"]);
        assert_eq!(segments("", 5).collect::<Vec<_>>(), [""]);
        assert_eq!(
            segments("abcdefgh", 3).collect::<Vec<_>>(),
            ["abc", "def", "gh"]
        );
    }

    #[test]
    fn an_entry_in_full() {
        let shown = render(
            r#"{"timestamp":"2025-05-02T14:32:15.5+05:30","event_id":"e-1","session_id":"other",
            "agent_id":"researcher","hook":"AgentError","error":"boom\u001b[2J",
            "state":{"data":{"card":"4111","message":"line one\nline two","long":"aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa","n":{"k":[1,2]}},"meta":{"route":""}},
            "agent_result":{"duration_ms":0,"error":"other cause","output_state":null,
            "start_time":"0001-01-01T00:00:00Z"}}"#,
            60,
        );
        assert_eq!(
            shown,
            r#"#7  2025-05-02T09:02:15.500Z  AgentError  researcher
  event     e-1
  session   other
  error     boom\x1b[2J
  result    duration_ms 0
  result error  other cause
  data
    card     4111
    long     aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa
             aaaa aaaa aaaa
    message  line one
             line two
    n        {
               "k": [
                 1,
                 2
               ]
             }
  meta
    route  ""
"#
        );
    }
}
