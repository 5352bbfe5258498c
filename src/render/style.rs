//! How terminal output looks: one [`Style`] (width, colour, time zone, ASCII) decided once from
//! `--width`, `--color`, `--utc`/`--local` and the terminal, and the small helpers every view
//! draws with.

use crate::text;
use crate::time::DisplayZone;
use owo_colors::{OwoColorize, Style as Paint};
use std::borrow::Cow;
use std::io::{self, Write};

/// How output is to look, decided once from the command line and the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Columns available: no line is wider.
    pub width: usize,
    /// Colour hooks, errors and headings (terminal output only).
    pub color: bool,
    /// The zone times are shown in.
    pub zone: DisplayZone,
    /// `->` and `...` instead of `→` and `…` (the locale or `--ascii` asks for ASCII).
    pub ascii: bool,
}

impl Style {
    /// The style with ASCII drawing too when `ascii` (a command's own `--ascii`).
    pub fn with_ascii(self, ascii: bool) -> Style {
        Style {
            ascii: self.ascii || ascii,
            ..self
        }
    }

    /// The style at another width (a part of the output drawn narrower, or a test's).
    pub fn with_width(self, width: usize) -> Style {
        Style { width, ..self }
    }

    /// The arrow between two agents.
    pub fn arrow(&self) -> &'static str {
        if self.ascii { "->" } else { "→" }
    }

    /// The mark of shortened text.
    pub fn ellipsis(&self) -> &'static str {
        if self.ascii { "..." } else { "…" }
    }

    /// `s` (already safe) shortened to `max` columns with the style's ellipsis; borrowed when
    /// it fits.
    pub fn cut<'s>(&self, s: &'s str, max: usize) -> Cow<'s, str> {
        if text::width(s) <= max {
            return Cow::Borrowed(s);
        }
        if !self.ascii {
            return Cow::Owned(text::truncate(s, max).into_owned());
        }
        let kept = text::truncate(s, max.saturating_sub(2));
        let kept = kept.strip_suffix(text::ELLIPSIS).unwrap_or(&kept);
        let dots = &"..."[..max.min(3)];
        Cow::Owned(format!("{kept}{dots}"))
    }

    /// `s` in colour `paint` when colour is on.
    pub fn paint<'s>(&self, s: &'s str, paint: Paint) -> Cow<'s, str> {
        if self.color && !s.is_empty() {
            Cow::Owned(s.style(paint).to_string())
        } else {
            Cow::Borrowed(s)
        }
    }

    /// A section heading after a blank line: bold when colour is on, wrapped to the width.
    pub fn heading(&self, out: &mut dyn Write, title: &str) -> io::Result<()> {
        writeln!(out)?;
        self.title(out, title)
    }

    /// A title line, bold when colour is on, wrapped to the width.
    pub fn title(&self, out: &mut dyn Write, title: &str) -> io::Result<()> {
        let bold = Paint::new().bold();
        for line in text::wrap(title, self.width) {
            writeln!(out, "{}", self.paint(&line, bold))?;
        }
        Ok(())
    }

    /// Text (already safe) wrapped at spaces to the width, words kept whole where they fit.
    pub fn prose(&self, out: &mut dyn Write, prose: &str) -> io::Result<()> {
        for line in text::wrap(prose, self.width) {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }

    /// `parts` joined by `separator` (` → `, ` · `), on as many lines as the width needs;
    /// lines after the first start with `indent` spaces. With `mark_at_break` a line that
    /// breaks ends with the separator's mark (a route's arrow), else the break replaces it (a
    /// list of facts). A part is only cut when it is wider than a line.
    pub fn joined(
        &self,
        out: &mut dyn Write,
        parts: &[String],
        separator: &str,
        indent: usize,
        mark_at_break: bool,
    ) -> io::Result<()> {
        let mark = separator.trim_end();
        let gap = &separator[mark.len()..];
        let mut line = String::new();
        let mut used = 0;
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let tail = if mark_at_break && !last { mark } else { "" };
            let width = text::width(part) + text::width(tail);
            let before = if mark_at_break { gap } else { separator };
            if i > 0 && used > indent && used + text::width(before) + width > self.width {
                writeln!(out, "{}", line.trim_end())?;
                line.clear();
                line.extend(std::iter::repeat_n(' ', indent));
                used = indent;
            } else if i > 0 {
                line.push_str(before);
                used += text::width(before);
            }
            let room = self.width.saturating_sub(used + text::width(tail)).max(1);
            let shown = self.cut(part, room);
            used += text::width(&shown) + text::width(tail);
            line.push_str(&shown);
            line.push_str(tail);
        }
        writeln!(out, "{}", line.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(width: usize, ascii: bool) -> Style {
        Style {
            width,
            color: false,
            zone: DisplayZone::Utc,
            ascii,
        }
    }

    #[test]
    fn cuts_by_display_width_with_the_style_ellipsis() {
        let s = style(80, false);
        assert_eq!(s.cut("planner", 24), "planner");
        assert_eq!(s.cut("エージェントエージェント", 9), "エージェ…");
        assert_eq!(
            style(80, true).cut("エージェントエージェント", 9),
            "エージ..."
        );
        assert_eq!(style(80, true).cut("abc", 3), "abc");
        assert_eq!((s.arrow(), style(80, true).arrow()), ("→", "->"));
    }

    #[test]
    fn joined_parts_wrap_whole() {
        let parts: Vec<String> = ["planner", "researcher", "analyzer", "summarizer"]
            .map(String::from)
            .to_vec();
        let mut out = Vec::new();
        style(24, false)
            .joined(&mut out, &parts, " → ", 2, true)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "planner → researcher →\n  analyzer → summarizer\n"
        );
    }
}
