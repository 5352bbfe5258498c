//! The Sessions screen: the sessions of the trace directory with what `list --verbose` tells
//! of each, newest first, sortable by any column, narrowed by id or agent, errors only on
//! demand. Files are summarised on a background thread, and the directory is looked at again
//! every few seconds, so that new sessions (and sessions still being written) show up.

use super::theme::Theme;
use crate::redact::Redactor;
use crate::session::{self, SessionFile};
use crate::summary::{Head, Summary, read_head, summarize};
use crate::text;
use crate::time::{DisplayZone, Timestamp};
use crate::units;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant, SystemTime};

/// From this many columns on, start times are shown in full (with the year and zone).
const WIDE: u16 = 120;

/// The columns of numbers, aligned right.
const RIGHT_ALIGNED: [usize; 5] = [2, 4, 5, 7, 8];

/// How often the directory is looked at again.
const RESCAN: Duration = Duration::from_secs(2);

/// The columns, in order.
pub const COLUMNS: [&str; 9] = [
    "SESSION", "STARTED", "SIZE", "STATUS", "ENTRIES", "EVENTS", "AGENTS", "DURATION", "ERRORS",
];

/// A session's file, read on the worker thread.
#[derive(Debug)]
struct Read {
    path: PathBuf,
    /// The size and modification time the reading was of.
    size: u64,
    modified: Option<SystemTime>,
    head: Result<Head, String>,
    summary: Option<Result<Summary, String>>,
}

/// One session as listed.
#[derive(Debug)]
pub struct Listed {
    pub session: SessionFile,
    head: Option<Result<Head, String>>,
    summary: Option<Result<Summary, String>>,
}

impl Listed {
    fn started(&self) -> Option<Timestamp> {
        self.head.as_ref()?.as_ref().ok()?.started
    }

    fn summary(&self) -> Option<&Summary> {
        self.summary.as_ref()?.as_ref().ok()
    }

    /// Whether the session has failed runs (or could not be read).
    pub fn has_errors(&self) -> bool {
        match &self.summary {
            Some(Ok(s)) => s.errors > 0,
            Some(Err(_)) => true,
            None => matches!(self.head, Some(Err(_))),
        }
    }

    fn status(&self) -> String {
        match &self.head {
            None => "…".to_owned(),
            Some(Ok(head)) => head.status.to_string(),
            Some(Err(_)) => "unreadable".to_owned(),
        }
    }

    fn matches(&self, narrow: &str) -> bool {
        if narrow.is_empty() {
            return true;
        }
        let narrow = narrow.to_lowercase();
        self.session.id.to_lowercase().contains(&narrow)
            || self
                .summary()
                .is_some_and(|s| s.agents.iter().any(|a| a.to_lowercase().contains(&narrow)))
    }

    /// The cells of the row, escaped.
    fn cells(&self, zone: DisplayZone, short_times: bool) -> [String; 9] {
        let dash = || "-".to_owned();
        let pending = || if self.head.is_none() { "…" } else { "-" }.to_owned();
        let s = self.summary();
        [
            text::escape(&self.session.id, false).into_owned(),
            self.started().map_or_else(pending, |t| {
                if short_times {
                    t.to_chrono(zone).format("%m-%d %H:%M:%S").to_string()
                } else {
                    t.date_time(zone)
                }
            }),
            units::bytes(self.session.size),
            self.status(),
            s.map_or_else(pending, |s| s.entries.to_string()),
            s.map_or_else(pending, |s| s.events.to_string()),
            s.map_or_else(pending, |s| {
                let agents: Vec<&str> = s.agents.iter().map(String::as_str).collect();
                text::escape(&agents.join(", "), false).into_owned()
            }),
            s.and_then(Summary::duration_ms)
                .map_or_else(dash, units::duration_ms),
            s.map_or_else(pending, |s| s.errors.to_string()),
        ]
    }
}

/// The Sessions screen's state.
pub struct Sessions {
    dir: PathBuf,
    zone: DisplayZone,
    all: Vec<Listed>,
    /// Indices into `all` of the rows shown, in the order shown.
    shown: Vec<usize>,
    /// The column sorted by, and whether in descending order.
    pub sort: usize,
    pub descending: bool,
    /// Text that narrows the list (matched in ids and agent names).
    pub narrow: String,
    pub errors_only: bool,
    pub selected: usize,
    /// Whether the user has moved the selection: until then the newest row stays selected while
    /// sessions are read in the background, whatever order their reads finish in.
    chosen: bool,
    offset: usize,
    requests: Sender<SessionFile>,
    results: Receiver<Read>,
    /// Reads asked for and not yet answered.
    pending: usize,
    last_scan: Instant,
    /// Why the directory could not be read, if it could not.
    pub problem: Option<String>,
}

impl Sessions {
    /// Lists `dir` and starts reading its sessions in the background.
    pub fn new(dir: &Path, zone: DisplayZone, redactor: &Redactor) -> Sessions {
        let (requests, work) = mpsc::channel::<SessionFile>();
        let (done, results) = mpsc::channel();
        let redactor = redactor.clone();
        std::thread::spawn(move || {
            for session in work {
                let head = read_head(&session.path).map_err(|e| e.to_string());
                let summary = head
                    .is_ok()
                    .then(|| summarize(&session.path, &redactor).map_err(|e| e.to_string()));
                let read = Read {
                    path: session.path,
                    size: session.size,
                    modified: session.modified,
                    head,
                    summary,
                };
                if done.send(read).is_err() {
                    break;
                }
            }
        });
        let mut sessions = Sessions {
            dir: dir.to_path_buf(),
            zone,
            all: Vec::new(),
            shown: Vec::new(),
            sort: 1,
            descending: true,
            narrow: String::new(),
            errors_only: false,
            selected: 0,
            chosen: false,
            offset: 0,
            requests,
            results,
            pending: 0,
            last_scan: Instant::now(),
            problem: None,
        };
        sessions.scan();
        sessions
    }

    /// Looks at the directory: new sessions are added, changed ones read again, gone ones
    /// dropped.
    fn scan(&mut self) {
        self.last_scan = Instant::now();
        let found = match session::discover(&self.dir) {
            Ok(found) => found,
            Err(e) => {
                self.problem = Some(e.to_string());
                return;
            }
        };
        self.problem = None;
        let selected = self.selected_session().map(|s| s.path.clone());
        self.all
            .retain(|l| found.sessions.iter().any(|s| s.path == l.session.path));
        for file in found.sessions {
            match self.all.iter_mut().find(|l| l.session.path == file.path) {
                Some(listed) if listed.session == file => {}
                Some(listed) => {
                    listed.session = file.clone();
                    self.pending += 1;
                    let _ = self.requests.send(file);
                }
                None => {
                    self.all.push(Listed {
                        session: file.clone(),
                        head: None,
                        summary: None,
                    });
                    self.pending += 1;
                    let _ = self.requests.send(file);
                }
            }
        }
        self.arrange(selected.as_deref());
    }

    /// Takes in what the worker has read, and looks at the directory again when it is time.
    /// Returns whether anything changed.
    pub fn tick(&mut self) -> bool {
        let mut changed = false;
        while let Ok(read) = self.results.try_recv() {
            self.pending = self.pending.saturating_sub(1);
            self.apply(read);
            changed = true;
        }
        if changed {
            let selected = self.selected_session().map(|s| s.path.clone());
            self.arrange(selected.as_deref());
        }
        if self.last_scan.elapsed() >= RESCAN {
            let before = self.all.len();
            self.scan();
            changed |= before != self.all.len();
        }
        changed
    }

    /// Waits until every session asked for is read (for tests, which need a settled screen).
    pub fn wait(&mut self) {
        while self.pending > 0 {
            match self.results.recv_timeout(Duration::from_secs(30)) {
                Ok(read) => {
                    self.pending -= 1;
                    self.apply(read);
                }
                Err(_) => break,
            }
        }
        self.arrange(None);
    }

    fn apply(&mut self, read: Read) {
        if let Some(listed) = self.all.iter_mut().find(|l| l.session.path == read.path)
            && listed.session.size == read.size
            && listed.session.modified == read.modified
        {
            listed.head = Some(read.head);
            listed.summary = read.summary;
        }
    }

    /// Sorts and narrows the rows, keeping `keep` selected when it is still shown.
    pub fn arrange(&mut self, keep: Option<&Path>) {
        let keep = keep
            .map(Path::to_path_buf)
            .or_else(|| self.selected_session().map(|s| s.path.clone()))
            .filter(|_| self.chosen);
        let mut shown: Vec<usize> = (0..self.all.len())
            .filter(|&i| {
                let l = &self.all[i];
                l.matches(&self.narrow) && (!self.errors_only || l.has_errors())
            })
            .collect();
        let all = &self.all;
        let column = self.sort;
        shown.sort_by(|&a, &b| {
            let (a, b) = (&all[a], &all[b]);
            let order = compare(a, b, column);
            let order = if self.descending {
                order.reverse()
            } else {
                order
            };
            order.then_with(|| a.session.id.cmp(&b.session.id))
        });
        self.shown = shown;
        self.selected = keep
            .and_then(|path| {
                self.shown
                    .iter()
                    .position(|&i| self.all[i].session.path == path)
            })
            .unwrap_or(0)
            .min(self.shown.len().saturating_sub(1));
    }

    /// Selects the row at `at`, as the user asked: it stays selected as rows come and go.
    pub fn choose(&mut self, at: usize) {
        self.selected = at;
        self.chosen = true;
    }

    /// Sorts by the next column (`forward`) or the one before; the same column again turns the
    /// order around.
    pub fn sort_by(&mut self, column: usize) {
        if column == self.sort {
            self.descending = !self.descending;
        } else {
            self.sort = column % COLUMNS.len();
            // Text reads best A to Z; numbers and times biggest or newest first.
            self.descending = !matches!(self.sort, 0 | 3 | 6);
        }
        self.arrange(None);
    }

    /// The session under the cursor.
    pub fn selected_session(&self) -> Option<&SessionFile> {
        self.shown.get(self.selected).map(|&i| &self.all[i].session)
    }

    /// Rows shown.
    pub fn len(&self) -> usize {
        self.shown.len()
    }

    /// Whether no row is shown.
    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    /// Sessions in the directory.
    pub fn total(&self) -> usize {
        self.all.len()
    }

    /// Draws the screen into `area`.
    pub fn render(&mut self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        if area.height < 2 {
            return;
        }
        if self.shown.is_empty() {
            let message = if let Some(problem) = &self.problem {
                problem.clone()
            } else if self.all.is_empty() {
                format!(
                    "no trace files in {} (names ending in {}); choose the directory with --dir",
                    crate::error::shown(&self.dir),
                    session::SUFFIXES.join(", ")
                )
            } else {
                "no session matches; Esc clears the narrowing, e shows all".to_owned()
            };
            frame.render_widget(Paragraph::new(message).style(theme.dim()), area);
            return;
        }
        let body = area.height.saturating_sub(1) as usize;
        self.offset = scrolled(self.offset, self.selected, body);
        let rows: Vec<[String; 9]> = self
            .shown
            .iter()
            .skip(self.offset)
            .take(body)
            .map(|&i| self.all[i].cells(self.zone, area.width < WIDE))
            .collect();
        let widths = column_widths(&rows, area.width, self.sort);
        let header = Row::new(COLUMNS.iter().enumerate().map(|(i, name)| {
            let arrow = match (i == self.sort, self.descending) {
                (false, _) => "",
                (true, true) if theme.ascii => "v",
                (true, false) if theme.ascii => "^",
                (true, true) => "▼",
                (true, false) => "▲",
            };
            Cell::from(format!("{name}{arrow}"))
        }))
        .style(theme.header());
        let selected = self.selected - self.offset;
        let table_rows = rows.into_iter().enumerate().map(|(i, cells)| {
            let errors = cells[8] != "0" && cells[8] != "-" && cells[8] != "…";
            let unreadable = cells[3] == "unreadable";
            let mut row = Row::new(cells.into_iter().enumerate().map(|(c, content)| {
                let content = text::truncate(&content, widths[c]).into_owned();
                let cell = if RIGHT_ALIGNED.contains(&c) {
                    Cell::from(Line::from(content).alignment(Alignment::Right))
                } else {
                    Cell::from(content)
                };
                if c == 8 && errors || c == 3 && unreadable {
                    cell.style(theme.error())
                } else {
                    cell
                }
            }));
            if i == selected {
                row = row.style(theme.selected());
            }
            row
        });
        let constraints = widths
            .iter()
            .map(|&w| Constraint::Length(u16::try_from(w).unwrap_or(u16::MAX)));
        let table = Table::new(table_rows, constraints)
            .header(header)
            .column_spacing(1);
        frame.render_widget(table, area);
    }

    /// The status line's text for this screen.
    pub fn status(&self) -> Line<'static> {
        let mut parts = vec![format!(
            "{} of {} sessions",
            self.shown.len(),
            self.all.len()
        )];
        if !self.narrow.is_empty() {
            parts.push(format!(
                "narrowed to '{}'",
                text::escape(&self.narrow, false)
            ));
        }
        if self.errors_only {
            parts.push("errors only".to_owned());
        }
        if self.pending > 0 {
            parts.push(format!("reading {}", self.pending));
        }
        if let Some(session) = self.selected_session() {
            parts.push(crate::error::shown(&session.path));
        }
        Line::from(Span::raw(parts.join(" · ")))
    }
}

/// The order of two sessions by `column`, ascending.
fn compare(a: &Listed, b: &Listed, column: usize) -> std::cmp::Ordering {
    let (sa, sb) = (a.summary(), b.summary());
    match column {
        0 => a.session.id.cmp(&b.session.id),
        1 => a
            .started()
            .cmp(&b.started())
            .then(a.session.modified.cmp(&b.session.modified)),
        2 => a.session.size.cmp(&b.session.size),
        3 => a.status().cmp(&b.status()),
        4 => sa.map(|s| s.entries).cmp(&sb.map(|s| s.entries)),
        5 => sa.map(|s| s.events).cmp(&sb.map(|s| s.events)),
        6 => sa.map(|s| &s.agents).cmp(&sb.map(|s| &s.agents)),
        7 => sa
            .and_then(Summary::duration_ms)
            .partial_cmp(&sb.and_then(Summary::duration_ms))
            .unwrap_or(std::cmp::Ordering::Equal),
        _ => sa.map(|s| s.errors).cmp(&sb.map(|s| s.errors)),
    }
}

/// The first row to show so that `selected` is in view of `height` rows, moving as little as
/// possible from `offset`.
pub fn scrolled(offset: usize, selected: usize, height: usize) -> usize {
    let height = height.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    }
}

/// Widths for the columns: each as wide as its widest cell (or header), AGENTS taking what is
/// left and the others shrinking only when even that does not fit.
fn column_widths(rows: &[[String; 9]], width: u16, sort: usize) -> Vec<usize> {
    let mut widths: Vec<usize> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, h)| text::width(h) + usize::from(i == sort))
        .collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(text::width(cell));
        }
    }
    let spacing = COLUMNS.len() - 1;
    let available = usize::from(width).saturating_sub(spacing);
    let fixed: usize = widths
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 6)
        .map(|(_, w)| w)
        .sum();
    widths[6] = widths[6].min(available.saturating_sub(fixed)).max(5);
    // Still too wide (a narrow terminal): the session id and start time give way.
    let mut total: usize = widths.iter().sum();
    for column in [3, 0, 1] {
        if total <= available {
            break;
        }
        let floor = match column {
            0 => 12,
            1 => 10,
            _ => 4,
        };
        let cut = (total - available).min(widths[column].saturating_sub(floor));
        widths[column] -= cut;
        total -= cut;
    }
    widths
}
