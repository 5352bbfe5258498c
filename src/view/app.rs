//! The viewer's state and what each key does, apart from the terminal: tests drive an [`App`]
//! with keys and draw it on ratatui's `TestBackend`.

use super::ViewOptions;
use super::entry::{EntryScreen, Node};
use super::index::{Index, Step};
use super::sessions::{COLUMNS, Sessions};
use super::study::Pending;
use super::theme::Theme;
use super::timeline::{self, Cursor, RowCache};
use super::waterfall::Waterfall;
use crate::filter::Filter;
use crate::redact::Redactor;
use crate::session::SessionFile;
use crate::text;
use crate::time::DisplayZone;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use std::time::{Duration, Instant};

/// How long one indexing step may take before the screen is drawn and keys are read again.
pub const STEP: Duration = Duration::from_millis(40);
/// How long a search may read entries for one key press before it gives up.
const SEARCH_BUDGET: Duration = Duration::from_secs(2);

/// The keys, for `?` and `view --help`.
pub const KEYS: [(&str, &str); 20] = [
    ("↑ ↓ j k", "move"),
    ("PgUp PgDn", "move a page"),
    ("Home End g G", "first, last"),
    ("Enter", "open"),
    ("Esc Backspace", "back"),
    ("Tab", "next tab (Timeline, Waterfall, Flow)"),
    ("/", "search (sessions: narrow by id or agent)"),
    ("n N", "next, previous match"),
    ("f", "filter entries (the --filter language)"),
    ("F", "follow the session as it is written"),
    ("e", "sessions: only those with errors"),
    ("1-9 s", "sessions: sort by column N, or the next"),
    ("space", "entry: fold or unfold"),
    ("z", "entry: fold all, unfold all"),
    ("y", "entry: copy its JSON to stdout on exit"),
    ("+ -", "waterfall: zoom in, out"),
    ("← → h l", "waterfall: move along the time axis"),
    ("?", "this help"),
    ("q", "quit"),
    ("Ctrl-C", "quit"),
];

/// Which screen is in front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Sessions,
    Session,
    Entry,
}

/// The Session screen's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Timeline,
    Waterfall,
    Flow,
}

impl Tab {
    const ALL: [Tab; 3] = [Tab::Timeline, Tab::Waterfall, Tab::Flow];

    fn name(self) -> &'static str {
        match self {
            Tab::Timeline => "Timeline",
            Tab::Waterfall => "Waterfall",
            Tab::Flow => "Flow",
        }
    }

    fn next(self, forward: bool) -> Tab {
        let at = Tab::ALL.iter().position(|&t| t == self).unwrap_or(0);
        let n = Tab::ALL.len();
        Tab::ALL[if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        }]
    }
}

/// A line of text being typed at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
    /// What was wrong with the text last entered (a filter that does not parse).
    pub error: Option<String>,
    /// Where the selection was when the prompt opened (a search goes back there on Esc).
    origin: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// `/` on the Sessions screen: narrow the list as you type.
    Narrow,
    /// `/` on the Session and Entry screens: go to the next match as you type.
    Search,
    /// `f`: a filter expression, applied on Enter.
    Filter,
}

/// An open session.
pub struct Open {
    pub file: SessionFile,
    pub index: Index,
    cache: RowCache,
    cursor: Cursor,
    pub tab: Tab,
    pub follow: bool,
    /// Why the file cannot be read further, when it cannot.
    broken: Option<String>,
    /// The flow and analysis, once a tab that shows them is opened.
    study: Option<Pending>,
    waterfall: Waterfall,
    /// The Flow tab's first line shown.
    flow_offset: usize,
}

impl Open {
    /// The study of the session, asked for if it was not (or if it is out of date: the
    /// filter changed, or the followed file grew).
    fn study(&mut self, zone: DisplayZone, redactor: &Redactor) -> &mut Pending {
        let filter = self.index.filter().clone();
        self.study.get_or_insert_with(|| {
            Pending::start(&self.file.id, &self.file.path, filter, zone, redactor)
        })
    }
}

/// The viewer. See the module documentation.
pub struct App {
    opts: ViewOptions,
    theme: Theme,
    pub sessions: Sessions,
    pub open: Option<Open>,
    entry: Option<EntryScreen>,
    pub screen: Screen,
    help: bool,
    pub prompt: Option<Prompt>,
    /// The last search, for `n` and `N`.
    search: String,
    /// A message for the status line, shown until the next key.
    message: Option<String>,
    /// The height of the list last drawn: a page for PgUp / PgDn.
    page: usize,
    /// The width of the screen last drawn.
    width: u16,
    pub quit: bool,
    /// The JSON the user copied with `y`, written to stdout on exit.
    pub copied: Option<String>,
}

impl App {
    /// The viewer on the Sessions screen, or on the session the command line named.
    pub fn new(opts: ViewOptions) -> App {
        let theme = Theme::new(opts.color, opts.ascii);
        let sessions = Sessions::new(&opts.dir, opts.zone, &opts.redactor);
        let session = opts.session.clone();
        let mut app = App {
            opts,
            theme,
            sessions,
            open: None,
            entry: None,
            screen: Screen::Sessions,
            help: false,
            prompt: None,
            search: String::new(),
            message: None,
            page: 10,
            width: 80,
            quit: false,
            copied: None,
        };
        if let Some(session) = session {
            app.open_session(session);
        }
        app
    }

    /// Work between key presses: indexing the open session (a step at a time), following it,
    /// taking in the Sessions screen's background reads. Returns whether to draw again, and
    /// whether more work is waiting (then the caller should not sleep).
    pub fn tick(&mut self) -> (bool, bool) {
        let mut changed = self.sessions.tick();
        let mut busy = false;
        if let Some(open) = &mut self.open
            && open.broken.is_none()
            && (!open.index.is_caught_up() || open.follow)
        {
            let at_bottom = open.index.is_empty() || open.cursor.selected + 1 >= open.index.len();
            let before = (open.index.len(), open.index.bytes_indexed());
            match open.index.step(STEP) {
                Ok(Step::More) => busy = true,
                Ok(Step::CaughtUp) => {}
                Ok(Step::Restarted) => {
                    open.cache.clear();
                    open.cursor = Cursor::default();
                    self.message = Some(format!(
                        "{} was truncated or rewritten: reading it again from the start",
                        crate::error::shown(&open.file.path)
                    ));
                    busy = true;
                }
                Err(e) => open.broken = Some(e.to_string()),
            }
            if open.follow && at_bottom && !open.index.is_empty() {
                open.cursor.selected = open.index.len() - 1;
            }
            let grew = before != (open.index.len(), open.index.bytes_indexed());
            // What the Waterfall and Flow tabs show is read again when they are next shown.
            if grew && open.follow && open.tab == Tab::Timeline {
                open.study = None;
            }
            changed |= grew;
        }
        if let Some(open) = &mut self.open {
            if open.tab != Tab::Timeline && open.study.is_none() {
                open.study(self.opts.zone, &self.opts.redactor);
            }
            if let Some(study) = &mut open.study {
                changed |= study.poll();
            }
        }
        (changed, busy)
    }

    /// Indexes the open session to its end, reads every session's summary and makes the
    /// study a tab shows: a settled screen, for tests.
    pub fn settle(&mut self) {
        self.sessions.wait();
        if let Some(open) = &mut self.open {
            if let Err(e) = open.index.finish() {
                open.broken = Some(e.to_string());
            }
            if open.tab != Tab::Timeline {
                open.study(self.opts.zone, &self.opts.redactor).wait();
            }
        }
    }

    fn open_session(&mut self, file: SessionFile) {
        match Index::open(&file.path, self.opts.filter.clone()) {
            Ok(index) => {
                self.open = Some(Open {
                    file,
                    index,
                    cache: RowCache::default(),
                    cursor: Cursor::default(),
                    tab: Tab::Timeline,
                    follow: false,
                    broken: None,
                    study: None,
                    waterfall: Waterfall::default(),
                    flow_offset: 0,
                });
                self.screen = Screen::Session;
            }
            Err(e) => {
                self.message = Some(format!(
                    "cannot read {}: {e}",
                    crate::error::shown(&file.path)
                ));
            }
        }
    }

    /// Handles one key press.
    pub fn key(&mut self, key: KeyEvent) {
        self.message = None;
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        if self.help {
            self.help = false;
            return;
        }
        if self.prompt.is_some() {
            self.prompt_key(key);
            return;
        }
        match key.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => self.help = true,
            KeyCode::Up | KeyCode::Char('k') => self.move_by(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_by(1),
            KeyCode::PageUp => self.move_by(-(self.page as isize)),
            KeyCode::PageDown => self.move_by(self.page as isize),
            KeyCode::Home | KeyCode::Char('g') => self.move_by(isize::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => self.move_by(isize::MAX / 2),
            KeyCode::Enter => self.enter(),
            KeyCode::Esc | KeyCode::Backspace => self.back(),
            KeyCode::Char('/') => self.open_prompt(match self.screen {
                Screen::Sessions => PromptKind::Narrow,
                _ => PromptKind::Search,
            }),
            KeyCode::Char('n') => self.search_next(true, false),
            KeyCode::Char('N') => self.search_next(false, false),
            _ => match self.screen {
                Screen::Sessions => self.sessions_key(key),
                Screen::Session => self.session_key(key),
                Screen::Entry => self.entry_key(key),
            },
        }
    }

    fn sessions_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Char('e') => {
                self.sessions.errors_only = !self.sessions.errors_only;
                self.sessions.arrange(None);
            }
            KeyCode::Char('s') => self
                .sessions
                .sort_by((self.sessions.sort + 1) % COLUMNS.len()),
            KeyCode::Char('S') => self.sessions.sort_by(self.sessions.sort),
            KeyCode::Char(c @ '1'..='9') => {
                self.sessions.sort_by(usize::from(c as u8 - b'1'));
            }
            _ => {}
        }
    }

    fn session_key(&mut self, key: KeyEvent) {
        let Some(open) = &mut self.open else {
            return;
        };
        match key.code {
            KeyCode::Char('f') => self.open_prompt(PromptKind::Filter),
            KeyCode::Char('F') => {
                if open.index.is_compressed() {
                    self.message =
                        Some("a compressed session is not written to: nothing to follow".into());
                } else {
                    open.follow = !open.follow;
                    if open.follow && !open.index.is_empty() {
                        open.cursor.selected = open.index.len() - 1;
                    }
                }
            }
            KeyCode::Tab => open.tab = open.tab.next(true),
            KeyCode::BackTab => open.tab = open.tab.next(false),
            KeyCode::Char(c @ ('+' | '=' | '-')) if open.tab == Tab::Waterfall => {
                let factor = if c == '-' { 0.5 } else { 2.0 };
                if let Some(Pending::Done(study)) = &open.study {
                    open.waterfall
                        .zoom_by(factor, &study.analysis.timeline.runs);
                }
            }
            KeyCode::Left | KeyCode::Char('h') if open.tab == Tab::Waterfall => {
                open.waterfall.pan_by(-1.0);
            }
            KeyCode::Right | KeyCode::Char('l') if open.tab == Tab::Waterfall => {
                open.waterfall.pan_by(1.0);
            }
            _ => {}
        }
    }

    fn entry_key(&mut self, key: KeyEvent) {
        let Some(entry) = &mut self.entry else {
            return;
        };
        match key.code {
            KeyCode::Char(' ') => entry.toggle(),
            KeyCode::Char('z') => entry.toggle_all(),
            KeyCode::Char('y') => {
                self.copied = Some(entry.node.pretty());
                self.message = Some("copied: the entry's JSON is written to stdout on exit".into());
            }
            _ => {}
        }
    }

    fn move_by(&mut self, delta: isize) {
        let clamp = |at: usize, len: usize| -> usize {
            let last = len.saturating_sub(1) as isize;
            (at as isize).saturating_add(delta).clamp(0, last.max(0)) as usize
        };
        match self.screen {
            Screen::Sessions => {
                let at = clamp(self.sessions.selected, self.sessions.len());
                self.sessions.choose(at);
            }
            Screen::Session => {
                if let Some(open) = &mut self.open {
                    match open.tab {
                        Tab::Timeline => {
                            open.cursor.selected = clamp(open.cursor.selected, open.index.len());
                        }
                        Tab::Waterfall => {
                            let runs = match &open.study {
                                Some(Pending::Done(study)) => study.analysis.timeline.runs.len(),
                                _ => 0,
                            };
                            open.waterfall.selected = clamp(open.waterfall.selected, runs);
                        }
                        Tab::Flow => {
                            let lines = match &mut open.study {
                                Some(Pending::Done(study)) => study
                                    .flow_text(
                                        &open.file.id,
                                        self.width,
                                        self.opts.zone,
                                        self.opts.ascii,
                                    )
                                    .len(),
                                _ => 0,
                            };
                            let last = lines.saturating_sub(self.page);
                            open.flow_offset = clamp(open.flow_offset, last + 1);
                        }
                    }
                }
            }
            Screen::Entry => {
                if let Some(entry) = &mut self.entry {
                    entry.move_by(delta);
                }
            }
        }
    }

    fn enter(&mut self) {
        match self.screen {
            Screen::Sessions => {
                if let Some(file) = self.sessions.selected_session().cloned() {
                    self.open_session(file);
                }
            }
            Screen::Session => {
                if self.open.as_ref().is_some_and(|o| o.tab == Tab::Timeline) {
                    self.open_entry();
                }
            }
            Screen::Entry => {
                if let Some(entry) = &mut self.entry {
                    entry.toggle();
                }
            }
        }
    }

    fn open_entry(&mut self) {
        let Some(open) = &mut self.open else {
            return;
        };
        let i = open.cursor.selected;
        let bytes = match open.cache.bytes(&open.index, i) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return,
            Err(e) => {
                self.message = Some(format!("cannot read the entry again: {e}"));
                return;
            }
        };
        match Node::parse(&bytes, &self.opts.redactor) {
            Ok(node) => {
                let number = open.index.entry_number(i).map_or(0, |n| n + 1);
                let title = format!(
                    "entry {number} of session {}",
                    text::escape(&open.file.id, false)
                );
                self.entry = Some(EntryScreen::new(title, node));
                self.screen = Screen::Entry;
            }
            Err(e) => self.message = Some(format!("cannot show the entry: {e}")),
        }
    }

    fn back(&mut self) {
        match self.screen {
            Screen::Entry => self.screen = Screen::Session,
            Screen::Session => {
                self.open = None;
                self.screen = Screen::Sessions;
            }
            Screen::Sessions => {
                self.sessions.narrow.clear();
                self.sessions.errors_only = false;
                self.sessions.arrange(None);
            }
        }
    }

    fn open_prompt(&mut self, kind: PromptKind) {
        let origin = match self.screen {
            Screen::Sessions => self.sessions.selected,
            Screen::Session => self.open.as_ref().map_or(0, |o| o.cursor.selected),
            Screen::Entry => self.entry.as_ref().map_or(0, |e| e.selected),
        };
        let text = match kind {
            PromptKind::Narrow => self.sessions.narrow.clone(),
            PromptKind::Search => String::new(),
            PromptKind::Filter => self
                .open
                .as_ref()
                .map(|o| o.index.filter().to_string())
                .filter(|f| !f.is_empty() && !f.starts_with('('))
                .unwrap_or_default(),
        };
        self.prompt = Some(Prompt {
            kind,
            text,
            error: None,
            origin,
        });
    }

    fn prompt_key(&mut self, key: KeyEvent) {
        let Some(prompt) = &mut self.prompt else {
            return;
        };
        let kind = prompt.kind;
        match key.code {
            KeyCode::Esc => {
                let origin = prompt.origin;
                self.prompt = None;
                match kind {
                    PromptKind::Narrow => {
                        self.sessions.narrow.clear();
                        self.sessions.arrange(None);
                    }
                    PromptKind::Search => self.select(origin),
                    PromptKind::Filter => {}
                }
            }
            KeyCode::Enter => match kind {
                PromptKind::Narrow | PromptKind::Search => self.prompt = None,
                PromptKind::Filter => {
                    let text = prompt.text.clone();
                    self.apply_filter(&text);
                }
            },
            KeyCode::Backspace => {
                prompt.text.pop();
                self.prompt_changed();
            }
            KeyCode::Char(c) => {
                prompt.text.push(c);
                self.prompt_changed();
            }
            _ => {}
        }
    }

    fn prompt_changed(&mut self) {
        let Some(prompt) = &mut self.prompt else {
            return;
        };
        prompt.error = None;
        match prompt.kind {
            PromptKind::Narrow => {
                self.sessions.narrow = prompt.text.clone();
                self.sessions.arrange(None);
            }
            PromptKind::Search => {
                self.search = prompt.text.clone();
                let origin = prompt.origin;
                self.select(origin);
                self.search_next(true, true);
            }
            PromptKind::Filter => {}
        }
    }

    /// Applies a filter typed at the prompt: expressions separated by spaces, all of which must
    /// hold; an empty one shows every entry. A bad one leaves the prompt open with the error.
    fn apply_filter(&mut self, typed: &str) {
        let exprs: Vec<&str> = typed.split_whitespace().collect();
        let filter = match Filter::parse_all(&exprs, self.opts.now) {
            Ok(filter) => filter,
            Err(e) => {
                if let Some(prompt) = &mut self.prompt {
                    prompt.error = Some(e.to_string());
                }
                return;
            }
        };
        self.prompt = None;
        let Some(open) = &mut self.open else {
            return;
        };
        let was = open.index.entry_number(open.cursor.selected);
        if let Err(e) = open.index.set_filter(filter) {
            open.broken = Some(e.to_string());
            return;
        }
        open.cache.clear();
        open.study = None;
        open.waterfall = Waterfall::default();
        open.cursor.selected = was.map_or(0, |n| open.index.position_of(n));
        open.cursor.selected = open.cursor.selected.min(open.index.len().saturating_sub(1));
        self.message = Some(format!(
            "{} of {} entries shown",
            open.index.len(),
            open.index.total()
        ));
    }

    fn select(&mut self, at: usize) {
        match self.screen {
            Screen::Sessions => self.sessions.choose(at),
            Screen::Session => {
                if let Some(open) = &mut self.open {
                    open.cursor.selected = at;
                }
            }
            Screen::Entry => {
                if let Some(entry) = &mut self.entry {
                    entry.selected = at;
                }
            }
        }
    }

    /// Moves to the next (or previous) row holding the search text, in any case; `here`:
    /// the current row counts.
    fn search_next(&mut self, forward: bool, here: bool) {
        let needle = self.search.to_lowercase();
        if needle.is_empty() {
            return;
        }
        let found = match self.screen {
            Screen::Sessions => None,
            Screen::Session => self.open.as_mut().and_then(|open| {
                if open.tab != Tab::Timeline {
                    open.tab = Tab::Timeline;
                }
                search_entries(&open.index, open.cursor.selected, &needle, forward, here)
            }),
            Screen::Entry => self
                .entry
                .as_ref()
                .and_then(|entry| search_lines(entry, &needle, forward, here)),
        };
        match found {
            Some(Found::At(at)) => self.select(at),
            Some(Found::GaveUp(at)) => {
                self.message = Some(format!(
                    "'{}' not found in the entries searched (up to {} of them); n searches on",
                    text::escape(&self.search, false),
                    at + 1
                ));
                self.select(at);
            }
            None => {
                self.message = Some(format!("'{}' not found", text::escape(&self.search, false)))
            }
        }
    }

    /// Draws the whole screen.
    pub fn render(&mut self, frame: &mut Frame<'_>) {
        let area = frame.area();
        let [title, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        self.page = usize::from(body.height.saturating_sub(2)).max(1);
        self.width = body.width;
        frame.render_widget(
            Paragraph::new(self.title_line()).style(self.theme.header()),
            title,
        );
        match self.screen {
            Screen::Sessions => self.sessions.render(frame, body, &self.theme),
            Screen::Session => self.render_session(frame, body),
            Screen::Entry => {
                if let Some(entry) = &mut self.entry {
                    entry.render(frame, body, &self.theme);
                }
            }
        }
        let status_line = self.status_line();
        frame.render_widget(
            Paragraph::new(status_line).style(self.theme.status()),
            status,
        );
        if self.help {
            self.render_help(frame, body);
        }
    }

    fn title_line(&self) -> Line<'static> {
        let session = self
            .open
            .as_ref()
            .map(|o| text::escape(&o.file.id, false).into_owned());
        let text = match (self.screen, session) {
            (Screen::Sessions, _) | (_, None) => format!(
                "agentcli view · sessions in {}",
                crate::error::shown(&self.opts.dir)
            ),
            (Screen::Session, Some(id)) => {
                let open = self.open.as_ref();
                let follow = if open.is_some_and(|o| o.follow) {
                    " · following"
                } else {
                    ""
                };
                let tabs: Vec<String> = Tab::ALL
                    .iter()
                    .map(|&t| {
                        if open.is_some_and(|o| o.tab == t) {
                            format!("[{}]", t.name())
                        } else {
                            t.name().to_owned()
                        }
                    })
                    .collect();
                format!("{id} · {}{follow}", tabs.join(" "))
            }
            (Screen::Entry, Some(_)) => self
                .entry
                .as_ref()
                .map(|e| e.title.clone())
                .unwrap_or_default(),
        };
        Line::from(text)
    }

    fn render_session(&mut self, frame: &mut Frame<'_>, area: Rect) {
        let Some(open) = &mut self.open else {
            return;
        };
        if let Some(why) = &open.broken
            && open.index.is_empty()
        {
            let message = format!(
                "cannot read {}: {why}",
                crate::error::shown(&open.file.path)
            );
            frame.render_widget(Paragraph::new(message).style(self.theme.error()), area);
            return;
        }
        if !open.index.is_caught_up() && !open.follow {
            let [bar, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
            let progress = open.index.progress();
            let text = format!(
                "indexing {:.0}% ({} entries, {} read); q quits",
                progress * 100.0,
                open.index.total(),
                crate::units::bytes(open.index.bytes_indexed())
            );
            frame.render_widget(
                ratatui::widgets::Gauge::default()
                    .ratio(progress.clamp(0.0, 1.0))
                    .label(text)
                    .gauge_style(self.theme.mark()),
                bar,
            );
            timeline::render(
                frame,
                rest,
                &open.index,
                &mut open.cache,
                &mut open.cursor,
                self.opts.zone,
                &self.opts.redactor,
                &self.theme,
            );
            return;
        }
        let tab = open.tab;
        if tab == Tab::Timeline {
            timeline::render(
                frame,
                area,
                &open.index,
                &mut open.cache,
                &mut open.cursor,
                self.opts.zone,
                &self.opts.redactor,
                &self.theme,
            );
            return;
        }
        let zone = self.opts.zone;
        let id = open.file.id.clone();
        open.study(zone, &self.opts.redactor);
        let Some(study) = &mut open.study else {
            return;
        };
        match study {
            Pending::Reading(_) => frame.render_widget(
                Paragraph::new("reading the session for its runs and flow…")
                    .style(self.theme.dim()),
                area,
            ),
            Pending::Failed(why) => {
                frame.render_widget(Paragraph::new(why.clone()).style(self.theme.error()), area)
            }
            Pending::Done(study) if tab == Tab::Waterfall => {
                open.waterfall
                    .render(frame, area, &study.analysis, zone, &self.theme);
            }
            Pending::Done(study) => {
                let lines = study.flow_text(&id, area.width, zone, self.opts.ascii);
                let height = usize::from(area.height);
                open.flow_offset = open.flow_offset.min(lines.len().saturating_sub(height));
                let shown: Vec<Line<'static>> = lines
                    .iter()
                    .skip(open.flow_offset)
                    .take(height)
                    .map(|l| Line::from(l.clone()))
                    .collect();
                frame.render_widget(Paragraph::new(shown), area);
            }
        }
    }

    fn status_line(&mut self) -> Line<'static> {
        if let Some(prompt) = &self.prompt {
            let label = match prompt.kind {
                PromptKind::Narrow => "narrow: ",
                PromptKind::Search => "search: ",
                PromptKind::Filter => "filter: ",
            };
            let mut spans = vec![
                Span::raw(label),
                Span::raw(text::escape(&prompt.text, false).into_owned()),
                Span::raw("▏"),
            ];
            if let Some(error) = &prompt.error {
                spans.push(Span::styled(format!("  {error}"), self.theme.error()));
            }
            return Line::from(spans);
        }
        if let Some(message) = &self.message {
            return Line::from(message.clone());
        }
        match self.screen {
            Screen::Sessions => self.sessions.status(),
            Screen::Session => match &mut self.open {
                Some(open) if open.tab == Tab::Waterfall => match &open.study {
                    Some(Pending::Done(study)) => open.waterfall.status(&study.analysis),
                    _ => Line::from(""),
                },
                Some(open) if open.tab == Tab::Flow => Line::from(
                    "the flow as `trace --flow-only` prints it, then `trace --analyze` · ↑ ↓ scroll",
                ),
                Some(open) => {
                    let mut line = timeline::status(
                        &open.index,
                        &mut open.cache,
                        &open.cursor,
                        self.opts.zone,
                        &self.opts.redactor,
                    );
                    if open.index.problems() > 0 {
                        line.push_span(Span::styled(
                            format!(
                                " · {} damaged entries skipped (`agentcli trace` says where)",
                                open.index.problems()
                            ),
                            self.theme.error(),
                        ));
                    }
                    if let Some(why) = &open.broken {
                        line.push_span(Span::styled(
                            format!(" · cannot read further: {why}"),
                            self.theme.error(),
                        ));
                    }
                    line
                }
                None => Line::from(""),
            },
            Screen::Entry => Line::from(
                "space folds · z folds all · y copies to stdout on exit · Esc back · ? keys",
            ),
        }
    }

    fn render_help(&self, frame: &mut Frame<'_>, area: Rect) {
        let width = 60.min(area.width);
        let height = (KEYS.len() as u16 + 2).min(area.height);
        let x = area.x + (area.width - width) / 2;
        let y = area.y + (area.height - height) / 2;
        let popup = Rect::new(x, y, width, height);
        let lines: Vec<Line<'static>> = KEYS
            .iter()
            .map(|(keys, what)| {
                let keys = if self.theme.ascii {
                    keys.replace('↑', "Up")
                        .replace('↓', "Down")
                        .replace('←', "Left")
                        .replace('→', "Right")
                } else {
                    (*keys).to_owned()
                };
                Line::from(vec![
                    Span::styled(format!("{keys:>14}  "), self.theme.header()),
                    Span::raw(*what),
                ])
            })
            .collect();
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" keys · any key closes "),
            ),
            popup,
        );
    }
}

/// Where a search ended.
enum Found {
    At(usize),
    /// Nothing found within the time allowed; the search got as far as this.
    GaveUp(usize),
}

/// The next entry (in the order shown) whose JSON holds `needle` (lowercase), from `from`.
fn search_entries(
    index: &Index,
    from: usize,
    needle: &str,
    forward: bool,
    here: bool,
) -> Option<Found> {
    let len = index.len();
    if len == 0 {
        return None;
    }
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    let started = Instant::now();
    let mut buf = Vec::new();
    let mut lower = Vec::new();
    let first = if here { 0 } else { 1 };
    for step in first..=len {
        let i = if forward {
            (from + step) % len
        } else {
            (from + len - step % len) % len
        };
        if index.read(i, &mut buf).ok()? {
            lower.clear();
            lower.extend(buf.iter().map(u8::to_ascii_lowercase));
            if finder.find(&lower).is_some() {
                return Some(Found::At(i));
            }
        }
        if started.elapsed() > SEARCH_BUDGET {
            return Some(Found::GaveUp(i));
        }
    }
    None
}

/// The next line of the entry screen holding `needle` (lowercase).
fn search_lines(entry: &EntryScreen, needle: &str, forward: bool, here: bool) -> Option<Found> {
    let len = entry.len();
    let first = if here { 0 } else { 1 };
    (first..=len)
        .map(|step| {
            if forward {
                (entry.selected + step) % len.max(1)
            } else {
                (entry.selected + len - step % len.max(1)) % len.max(1)
            }
        })
        .find(|&i| entry.line_text(i).to_lowercase().contains(needle))
        .map(Found::At)
}
