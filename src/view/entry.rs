//! The Entry screen: one whole entry as pretty JSON, members in the order written, objects and
//! arrays folded and unfolded with space, long lines wrapped. Every key and string is shown
//! JSON-escaped and then made terminal-safe, so what is on screen is also valid JSON text.

use super::sessions::scrolled;
use super::theme::Theme;
use crate::redact::Redactor;
use crate::text;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// A JSON value, members kept in the order written (serde_json's map would sort them).
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    /// A string, number, boolean or null, as JSON text (strings quoted and escaped).
    Scalar(String),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Scalar(
            serde_json::Number::from_f64(v).map_or_else(|| "null".to_owned(), |n| n.to_string()),
        ))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Scalar(json_string(v)))
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar("null".to_owned()))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar("null".to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value()?;
            members.push((json_string(&key), value));
        }
        Ok(Node::Object(members))
    }
}

/// `s` as a JSON string literal that is also safe on a terminal: serde_json escapes quotes and
/// C0 controls, and `text::escape` the rest (C1 controls, bidirectional overrides), as
/// `\u....`, which JSON reads back as the same character.
fn json_string(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned());
    text::escape(&quoted, false).into_owned()
}

impl Node {
    /// The entry's JSON (redacted as asked, as the reader redacts it) as a tree.
    pub fn parse(bytes: &[u8], redactor: &Redactor) -> Result<Node, serde_json::Error> {
        serde_json::from_slice(&redactor.redact_entry(bytes))
    }

    /// The tree as pretty JSON with two-space indentation (what `y` copies).
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, 0);
        out
    }

    fn write_pretty(&self, out: &mut String, depth: usize) {
        let indent = |out: &mut String, depth: usize| out.push_str(&"  ".repeat(depth));
        match self {
            Node::Scalar(s) => out.push_str(s),
            Node::Object(members) if members.is_empty() => out.push_str("{}"),
            Node::Array(items) if items.is_empty() => out.push_str("[]"),
            Node::Object(members) => {
                out.push_str("{\n");
                for (i, (key, value)) in members.iter().enumerate() {
                    indent(out, depth + 1);
                    out.push_str(key);
                    out.push_str(": ");
                    value.write_pretty(out, depth + 1);
                    out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
                }
                indent(out, depth);
                out.push('}');
            }
            Node::Array(items) => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    indent(out, depth + 1);
                    item.write_pretty(out, depth + 1);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                indent(out, depth);
                out.push(']');
            }
        }
    }

    /// How many nodes the tree holds (each numbered in preorder).
    fn count(&self) -> usize {
        1 + match self {
            Node::Scalar(_) => 0,
            Node::Object(members) => members.iter().map(|(_, v)| v.count()).sum(),
            Node::Array(items) => items.iter().map(Node::count).sum(),
        }
    }
}

/// What one line of the pretty JSON shows.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonLine {
    pub depth: usize,
    /// The node that opens on this line (its preorder number), when it can be folded.
    pub fold: Option<usize>,
    pub key: Option<String>,
    /// The value, an opening bracket, or a closing one.
    pub text: String,
    /// A scalar string (coloured as one).
    pub string: bool,
    pub comma: bool,
}

/// The Entry screen's state.
pub struct EntryScreen {
    /// Which entry: its number in the file (1-based) and its session, for the title.
    pub title: String,
    pub node: Node,
    folded: HashSet<usize>,
    lines: Vec<JsonLine>,
    pub selected: usize,
    offset: usize,
}

impl EntryScreen {
    pub fn new(title: String, node: Node) -> EntryScreen {
        let mut screen = EntryScreen {
            title,
            node,
            folded: HashSet::new(),
            lines: Vec::new(),
            selected: 0,
            offset: 0,
        };
        screen.relayout();
        screen
    }

    /// Lines of the JSON as folded now.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there is nothing to show (never: an entry is at least `{}`).
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn relayout(&mut self) {
        let mut lines = Vec::new();
        let mut number = 0;
        flatten(
            &self.node,
            None,
            0,
            false,
            &self.folded,
            &mut number,
            &mut lines,
        );
        self.lines = lines;
        self.selected = self.selected.min(self.lines.len().saturating_sub(1));
    }

    /// Folds or unfolds the object or array on the selected line (or the one it closes or is
    /// inside of).
    pub fn toggle(&mut self) {
        let target = self.lines[..=self.selected.min(self.lines.len().saturating_sub(1))]
            .iter()
            .rev()
            .find_map(|l| l.fold);
        let Some(node) = target else {
            return;
        };
        if !self.folded.remove(&node) {
            self.folded.insert(node);
        }
        self.relayout();
        if let Some(at) = self.lines.iter().position(|l| l.fold == Some(node)) {
            self.selected = at;
        }
    }

    /// Folds every object and array below the top level, or unfolds all when some are folded.
    pub fn toggle_all(&mut self) {
        if self.folded.is_empty() {
            let total = self.node.count();
            self.folded = (1..total).collect();
        } else {
            self.folded.clear();
        }
        self.relayout();
    }

    /// Draws the screen into `area`, long lines wrapped.
    pub fn render(&mut self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        let width = usize::from(area.width).max(8);
        let height = usize::from(area.height);
        // Scroll by lines, so that the selected line and all its wrapped rows are in view.
        self.offset = scrolled(self.offset, self.selected, height);
        loop {
            let rows: usize = self.lines[self.offset..=self.selected.min(self.lines.len() - 1)]
                .iter()
                .map(|l| wrapped(l, width).len())
                .sum();
            if rows <= height || self.offset >= self.selected {
                break;
            }
            self.offset += 1;
        }
        let mut out: Vec<Line<'static>> = Vec::with_capacity(height);
        for (i, line) in self.lines.iter().enumerate().skip(self.offset) {
            if out.len() >= height {
                break;
            }
            let selected = i == self.selected;
            for (j, row) in wrapped(line, width).into_iter().enumerate() {
                if out.len() >= height {
                    break;
                }
                let spans: Vec<Span<'static>> = row
                    .into_iter()
                    .map(|(s, kind)| {
                        let style = match kind {
                            Part::Key => theme.key(),
                            Part::String => theme.string(),
                            Part::Plain => Style::new(),
                        };
                        Span::styled(s, style)
                    })
                    .collect();
                let mut l = Line::from(spans);
                if selected && (j == 0 || self.lines[i].fold.is_none()) {
                    l = l.style(theme.selected());
                }
                out.push(l);
            }
        }
        frame.render_widget(Paragraph::new(out), area);
    }

    /// The text of line `i`, its key included (for searching).
    pub fn line_text(&self, i: usize) -> String {
        self.lines.get(i).map_or_else(String::new, |l| {
            format!("{}: {}", l.key.as_deref().unwrap_or(""), l.text)
        })
    }

    /// Moves the selection (by `delta` lines, clamped).
    pub fn move_by(&mut self, delta: isize) {
        let last = self.lines.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last) as usize;
    }

    /// Selects the first or last line.
    pub fn jump(&mut self, to_end: bool) {
        self.selected = if to_end {
            self.lines.len().saturating_sub(1)
        } else {
            0
        };
    }
}

/// The tree as lines, folded nodes on one line; `number` counts nodes in preorder.
fn flatten(
    node: &Node,
    key: Option<&str>,
    depth: usize,
    comma: bool,
    folded: &HashSet<usize>,
    number: &mut usize,
    out: &mut Vec<JsonLine>,
) {
    let me = *number;
    *number += 1;
    let line = |fold, text: String, string| JsonLine {
        depth,
        fold,
        key: key.map(str::to_owned),
        text,
        string,
        comma,
    };
    let (open, close, len) = match node {
        Node::Scalar(s) => {
            out.push(line(None, s.clone(), s.starts_with('"')));
            return;
        }
        Node::Object(m) => ("{", "}", m.len()),
        Node::Array(a) => ("[", "]", a.len()),
    };
    if len == 0 {
        out.push(line(None, format!("{open}{close}"), false));
        return;
    }
    if folded.contains(&me) {
        let what = match node {
            Node::Object(_) if len == 1 => "1 key".to_owned(),
            Node::Object(_) => format!("{len} keys"),
            _ if len == 1 => "1 item".to_owned(),
            _ => format!("{len} items"),
        };
        out.push(line(Some(me), format!("{open}… {what}{close}"), false));
        // The folded node's descendants keep their numbers.
        *number += node.count() - 1;
        return;
    }
    out.push(JsonLine {
        comma: false,
        ..line(Some(me), open.to_owned(), false)
    });
    match node {
        Node::Object(members) => {
            for (i, (k, v)) in members.iter().enumerate() {
                flatten(v, Some(k), depth + 1, i + 1 < len, folded, number, out);
            }
        }
        Node::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, None, depth + 1, i + 1 < len, folded, number, out);
            }
        }
        Node::Scalar(_) => {}
    }
    out.push(JsonLine {
        depth,
        fold: None,
        key: None,
        text: close.to_owned(),
        string: false,
        comma,
    });
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Part {
    Key,
    String,
    Plain,
}

/// A line cut into rows of at most `width` columns; rows after the first are indented one
/// step further than the line.
fn wrapped(line: &JsonLine, width: usize) -> Vec<Vec<(String, Part)>> {
    let indent = "  ".repeat(line.depth);
    let mut parts: Vec<(String, Part)> = vec![(indent.clone(), Part::Plain)];
    if let Some(key) = &line.key {
        parts.push((key.clone(), Part::Key));
        parts.push((": ".to_owned(), Part::Plain));
    }
    let kind = if line.string {
        Part::String
    } else {
        Part::Plain
    };
    parts.push((line.text.clone(), kind));
    if line.comma {
        parts.push((",".to_owned(), Part::Plain));
    }
    let continuation = format!("{indent}  ");
    let mut rows = vec![Vec::new()];
    let mut used = 0;
    for (s, part) in parts {
        let mut piece = String::new();
        for c in s.chars() {
            let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if used + w > width && used > continuation.len() {
                if !piece.is_empty()
                    && let Some(row) = rows.last_mut()
                {
                    row.push((std::mem::take(&mut piece), part));
                }
                rows.push(vec![(continuation.clone(), Part::Plain)]);
                used = continuation.len();
            }
            piece.push(c);
            used += w;
        }
        if !piece.is_empty()
            && let Some(row) = rows.last_mut()
        {
            row.push((piece, part));
        }
    }
    rows
}
