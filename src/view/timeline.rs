//! The Timeline tab: one row per entry, as `trace` prints them (time, hook, agent, state,
//! error), coloured by hook, errors standing out. Only the rows on screen are read from the
//! file (through the [`Index`]), and the rows read are kept in a small cache.

use super::index::Index;
use super::sessions::scrolled;
use super::theme::Theme;
use crate::model::{Hook, TraceEntry};
use crate::redact::Redactor;
use crate::render::table::summarize_state;
use crate::text;
use crate::time::DisplayZone;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use std::collections::HashMap;
use std::io;

/// Rows kept read; past this the cache starts again (a screen holds far fewer).
const CACHE_ROWS: usize = 4096;
/// Widest a state summary is made: no screen is wider.
const STATE_MAX: usize = 400;

/// One entry as a row, its text escaped.
#[derive(Debug, Clone)]
pub struct RowText {
    pub time: String,
    pub hook: Hook<'static>,
    pub agent: String,
    pub state: String,
    pub error: Option<String>,
    /// The whole event id (for the status line).
    pub event: String,
}

impl RowText {
    /// The row of an entry that could not be read again (the file changed under the view).
    fn unreadable(why: &str) -> RowText {
        RowText {
            time: "?".to_owned(),
            hook: Hook::Missing,
            agent: "?".to_owned(),
            state: String::new(),
            error: Some(format!("cannot read this entry again: {why}")),
            event: String::new(),
        }
    }

    fn from_entry(e: &TraceEntry<'_>, zone: DisplayZone) -> RowText {
        let mut state = String::new();
        summarize_state(e, STATE_MAX, &mut state);
        let agent = e.agent();
        RowText {
            time: e.timestamp.clock_millis(zone),
            hook: Hook::from_name(text::escape(e.hook.as_str(), false).into_owned().into()),
            agent: if agent.is_empty() {
                "-".to_owned()
            } else {
                text::escape(agent, false).into_owned()
            },
            state,
            error: e
                .error_message()
                .map(|m| text::escape(m, false).into_owned()),
            event: text::escape(&e.event_id, false).into_owned(),
        }
    }
}

/// The rows read so far, by entry number.
#[derive(Default)]
pub struct RowCache {
    rows: HashMap<u32, RowText>,
    buf: Vec<u8>,
}

impl RowCache {
    /// Forgets every row (the filter changed, or the file was indexed again).
    pub fn clear(&mut self) {
        self.rows.clear();
    }

    /// The row of the `i`th entry shown.
    pub fn row(
        &mut self,
        index: &Index,
        i: usize,
        zone: DisplayZone,
        redactor: &Redactor,
    ) -> Option<&RowText> {
        let n = index.entry_number(i)?;
        if !self.rows.contains_key(&n) {
            if self.rows.len() >= CACHE_ROWS {
                self.rows.clear();
            }
            let row = match index.read(i, &mut self.buf) {
                Ok(_) => match TraceEntry::parse(&redactor.redact_entry(&self.buf)) {
                    Ok(e) => RowText::from_entry(&e, zone),
                    Err(e) => RowText::unreadable(&e.to_string()),
                },
                Err(e) => RowText::unreadable(&e.to_string()),
            };
            self.rows.insert(n, row);
        }
        self.rows.get(&n)
    }

    /// The bytes of the `i`th entry shown, read again.
    pub fn bytes(&mut self, index: &Index, i: usize) -> io::Result<Option<Vec<u8>>> {
        let mut buf = Vec::new();
        Ok(index.read(i, &mut buf)?.then_some(buf))
    }
}

/// The Timeline tab's cursor and scroll position.
#[derive(Debug, Default, Clone, Copy)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

/// Draws the timeline of `index` into `area`.
#[allow(clippy::too_many_arguments)]
pub fn render(
    frame: &mut Frame<'_>,
    area: Rect,
    index: &Index,
    cache: &mut RowCache,
    cursor: &mut Cursor,
    zone: DisplayZone,
    redactor: &Redactor,
    theme: &Theme,
) {
    if index.is_empty() {
        let message = if !index.is_caught_up() {
            "reading…".to_owned()
        } else if index.total() == 0 {
            "no entries in this session yet".to_owned()
        } else {
            format!(
                "no entries for {} (of {}); f changes the filter",
                index.filter(),
                index.total()
            )
        };
        frame.render_widget(Paragraph::new(message).style(theme.dim()), area);
        return;
    }
    let body = area.height.saturating_sub(1) as usize;
    cursor.offset = scrolled(cursor.offset, cursor.selected, body);
    let mut rows = Vec::with_capacity(body);
    for i in cursor.offset..(cursor.offset + body).min(index.len()) {
        if let Some(row) = cache.row(index, i, zone, redactor) {
            rows.push((i, row.clone()));
        }
    }
    let agent_width = rows
        .iter()
        .map(|(_, r)| text::width(&r.agent))
        .max()
        .unwrap_or(5)
        .clamp(5, 24);
    let hook_width = rows
        .iter()
        .map(|(_, r)| text::width(r.hook.as_str()))
        .max()
        .unwrap_or(4)
        .clamp(4, 19);
    let rest = usize::from(area.width).saturating_sub(12 + hook_width + agent_width + 4);
    let error_width = rows
        .iter()
        .filter_map(|(_, r)| r.error.as_deref().map(text::width))
        .max()
        .unwrap_or(5)
        .clamp(5, (rest / 3).max(5));
    let widths = [
        Constraint::Length(12),
        Constraint::Length(hook_width as u16),
        Constraint::Length(agent_width as u16),
        Constraint::Fill(1),
        Constraint::Length(error_width as u16),
    ];
    let header = Row::new(["TIMESTAMP", "HOOK", "AGENT", "STATE", "ERROR"]).style(theme.header());
    let fixed = 12 + hook_width + agent_width + error_width + 4;
    let state_width = usize::from(area.width).saturating_sub(fixed).max(1);
    let cut = |s: &str, width: usize| text::truncate(s, width).into_owned();
    let table_rows = rows.into_iter().map(|(i, r)| {
        let failed = r.error.is_some() || r.hook == Hook::AgentError;
        let error = match &r.error {
            Some(e) => Cell::from(cut(e, error_width)).style(theme.error()),
            None => Cell::from("-"),
        };
        let hook_style = theme.hook(&r.hook);
        let mut row = Row::new([
            Cell::from(r.time),
            Cell::from(r.hook.as_str().to_owned()).style(hook_style),
            Cell::from(cut(&r.agent, agent_width)),
            Cell::from(cut(&r.state, state_width)),
            error,
        ]);
        if i == cursor.selected {
            row = row.style(theme.selected());
        } else if failed && !theme.color {
            row = row.style(theme.error());
        }
        row
    });
    let table = Table::new(table_rows, widths)
        .header(header)
        .column_spacing(1);
    frame.render_widget(table, area);
}

/// The status line for the selected entry: its number, event id and agent, in full.
pub fn status(
    index: &Index,
    cache: &mut RowCache,
    cursor: &Cursor,
    zone: DisplayZone,
    redactor: &Redactor,
) -> Line<'static> {
    let Some(n) = index.entry_number(cursor.selected) else {
        return Line::from("");
    };
    let (event, agent) = cache
        .row(index, cursor.selected, zone, redactor)
        .map(|r| (r.event.clone(), r.agent.clone()))
        .unwrap_or_default();
    let event = if event.is_empty() {
        "-".to_owned()
    } else {
        event
    };
    Line::from(format!(
        "entry {} · {} of {} shown · event {event} · agent {agent}",
        n + 1,
        cursor.selected + 1,
        index.len()
    ))
}
