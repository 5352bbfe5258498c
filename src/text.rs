//! Text from traces made safe and measured for the terminal: control characters, escape
//! sequences and bidirectional overrides made visible; widths in terminal columns; cuts on
//! character boundaries.

use std::borrow::Cow;
use std::fmt::Write as _;
use unicode_width::UnicodeWidthChar;

/// The ellipsis that marks shortened text.
pub const ELLIPSIS: char = '…';

/// Whether `c` must not reach a terminal as it is: C0 and C1 controls, DEL, and the invisible
/// characters that reorder or hide text (bidirectional overrides and isolates, zero-width
/// characters, the BOM).
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\0'..='\x1f' | '\x7f'..='\u{9f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}'
        | '\u{feff}')
}

/// Makes `s` safe to print: every unsafe character becomes a visible escape (`\n`, `\x1b`,
/// `\u202e`). With `keep_newlines`, line breaks stay line breaks (for multi-line views).
pub fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let needs = |b: u8| !(0x20..0x7f).contains(&b);
    if !s.bytes().any(needs) {
        return Cow::Borrowed(s);
    }
    if !s
        .chars()
        .any(|c| is_unsafe(c) && !(keep_newlines && c == '\n'))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && is_unsafe(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The number of terminal columns `s` takes (its characters must already be safe).
pub fn width(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Shortens `s` to at most `max` columns, ending in an ellipsis when cut. Cuts fall between
/// characters, and combining marks stay with the character before them.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let budget = max - 1;
    let mut used = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > budget {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    let mut out = String::with_capacity(end + ELLIPSIS.len_utf8());
    out.push_str(&s[..end]);
    out.push(ELLIPSIS);
    Cow::Owned(out)
}

/// Trace text made safe for the terminal, owned (for table cells and reports).
pub fn safe(s: &str) -> String {
    escape(s, false).into_owned()
}

/// `n` and the noun that goes with it: `1 entry`, `3 entries`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `s` (already safe) wrapped at spaces into lines of at most `width` columns. Words are kept
/// whole (ids and times hold hyphens, so only spaces break), unless one is wider than a line.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let options = textwrap::Options::new(width.max(1))
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(true);
    let lines: Vec<String> = textwrap::wrap(s, options)
        .into_iter()
        .map(Cow::into_owned)
        .collect();
    if lines.is_empty() {
        vec![String::new()]
    } else {
        lines
    }
}

/// The longest word of `s` (already safe), in columns: the narrowest `s` wraps to whole.
pub fn longest_word(s: &str) -> usize {
    s.split(' ').map(width).max().unwrap_or(0)
}

/// `s` quoted, escaped and shortened for an error message.
pub fn quote_for_message(s: &str) -> String {
    format!("\"{}\"", truncate(&escape(s, false), 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_could_drive_a_terminal() {
        assert_eq!(escape("plain text", false), "plain text");
        assert!(matches!(escape("日本語", false), Cow::Borrowed(_)));
        assert_eq!(escape("\x1b[31mred\x1b[0m", false), "\\x1b[31mred\\x1b[0m");
        assert_eq!(
            escape("\x1b]8;;http://x\x07link", false),
            "\\x1b]8;;http://x\\x07link"
        );
        assert_eq!(escape("abc\u{202e}cba", false), "abc\\u202ecba");
        assert_eq!(escape("a\nb\tc\r", false), "a\\nb\\tc\\r");
        assert_eq!(escape("a\nb\u{9b}", true), "a\nb\\u009b");
    }

    #[test]
    fn measures_and_cuts_by_display_width() {
        assert_eq!(width("日本語"), 6);
        assert_eq!(width("🤖🚀"), 4);
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(truncate("日本語テキスト", 7), "日本語…");
        assert_eq!(truncate("日本語テキスト", 6), "日本…");
        assert_eq!(truncate("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
        assert_eq!(truncate("short", 5), "short");
        assert_eq!(truncate("longer", 5), "long…");
        assert_eq!(truncate("x", 0), "");
    }

    #[test]
    fn wraps_at_spaces_keeping_words_whole() {
        assert_eq!(
            wrap("tool timeout after 30s", 12),
            ["tool timeout", "after 30s"]
        );
        assert_eq!(
            wrap("req-17461590-planner x", 8),
            ["req-1746", "1590-pla", "nner x"]
        );
        assert_eq!(wrap("", 8), [""]);
        assert_eq!(longest_word("tool timeout"), 7);
        assert_eq!(
            (plural(1, "entry", "entries"), plural(2, "run", "runs")),
            ("1 entry".into(), "2 runs".into())
        );
    }
}
