//! The viewer drawn on ratatui's `TestBackend`: each screen pinned as text at 80×24 and
//! 200×50, and what keys do, as a user would see it on screen.

use super::ViewOptions;
use super::app::{App, Screen};
use super::index::{Index, Step};
use crate::filter::Filter;
use crate::redact::Redactor;
use crate::session::SessionFile;
use crate::time::DisplayZone;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn options(dir: &Path, session: Option<&str>) -> ViewOptions {
    ViewOptions {
        dir: dir.to_path_buf(),
        session: session.map(|s| crate::session::resolve(s, dir).unwrap()),
        filter: Filter::default(),
        redactor: Redactor::off(),
        zone: DisplayZone::Written,
        color: true,
        ascii: false,
        now: chrono::Local::now(),
    }
}

fn app_with(opts: ViewOptions) -> App {
    let mut app = App::new(opts);
    app.settle();
    app
}

/// The fixtures directory, named relatively so that paths on screen are the same everywhere.
fn fixtures(session: Option<&str>) -> App {
    app_with(options(Path::new("fixtures"), session))
}

fn draw(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| app.render(frame)).unwrap();
    terminal
}

/// The screen as text, one line per row, trailing blanks trimmed.
fn screen(app: &mut App, width: u16, height: u16) -> String {
    let terminal = draw(app, width, height);
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let mut line = String::new();
        for x in 0..width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn press(app: &mut App, code: KeyCode) {
    app.key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

#[test]
fn the_sessions_screen_lists_newest_first_with_what_list_verbose_says() {
    let mut app = fixtures(None);
    insta::assert_snapshot!("sessions_80x24", screen(&mut app, 80, 24));
    insta::assert_snapshot!("sessions_200x50", screen(&mut app, 200, 50));
}

#[test]
fn sessions_narrow_by_typing_sort_by_column_and_show_errors_only() {
    let mut app = fixtures(None);
    press(&mut app, KeyCode::Char('e'));
    let shown = screen(&mut app, 120, 24);
    assert!(shown.contains("2 of 5 sessions · errors only"), "{shown}");
    assert!(!shown.contains("req-20000001"), "{shown}");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "2000");
    let shown = screen(&mut app, 120, 24);
    assert!(shown.contains("narrow: 2000"), "{shown}");
    assert!(shown.contains("req-20000001"), "{shown}");
    assert!(!shown.contains("req-17461590"), "{shown}");
    press(&mut app, KeyCode::Esc);
    // Sorting by the first column, SESSION, puts ids in order.
    press(&mut app, KeyCode::Char('1'));
    let shown = screen(&mut app, 120, 24);
    let first = shown.find("req-17461590").unwrap();
    let last = shown.find("req-30000001").unwrap();
    assert!(first < last, "{shown}");
    assert!(shown.contains("SESSION▲"), "{shown}");
    press(&mut app, KeyCode::Char('1'));
    let shown = screen(&mut app, 120, 24);
    assert!(shown.find("req-30000001").unwrap() < shown.find("req-17461590").unwrap());
}

#[test]
fn the_timeline_shows_entries_as_trace_does_with_the_full_event_id_below() {
    let mut app = fixtures(Some("req-17461592"));
    assert_eq!(app.screen, Screen::Session);
    insta::assert_snapshot!("timeline_80x24", screen(&mut app, 80, 24));
    insta::assert_snapshot!("timeline_200x50", screen(&mut app, 200, 50));
}

#[test]
fn errors_stand_out_in_colour_and_in_monochrome() {
    for color in [true, false] {
        let mut opts = options(Path::new("fixtures"), Some("req-17461592"));
        opts.color = color;
        let mut app = app_with(opts);
        press(&mut app, KeyCode::Char('/'));
        type_text(&mut app, "AgentError");
        press(&mut app, KeyCode::Enter);
        // The search selected the first; the second is drawn as any row is.
        let terminal = draw(&mut app, 120, 30);
        let buffer = terminal.backend().buffer();
        let row = (0..30u16)
            .filter(|&y| {
                let line: String = (0..120u16).map(|x| buffer[(x, y)].symbol()).collect();
                line.contains("AgentError")
            })
            .nth(1)
            .expect("a second AgentError row");
        let x = (0..120u16)
            .find(|&x| buffer[(x, row)].symbol() == "A")
            .unwrap();
        let style = buffer[(x, row)].style();
        let stands_out = if color {
            style.fg == Some(ratatui::style::Color::Red)
        } else {
            style.fg.is_none_or(|c| c == ratatui::style::Color::Reset)
                && style.add_modifier.contains(Modifier::UNDERLINED)
        };
        assert!(stands_out, "color {color}: {style:?}");
    }
}

#[test]
fn the_entry_screen_shows_the_whole_entry_as_json_folds_and_copies() {
    let mut app = fixtures(Some("req-17461592"));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "agenterror");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Entry);
    insta::assert_snapshot!("entry_80x24", screen(&mut app, 80, 24));
    insta::assert_snapshot!("entry_200x50", screen(&mut app, 200, 50));

    // Space on `agent_result` folds it to one line.
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "agent_result");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char(' '));
    let shown = screen(&mut app, 80, 24);
    assert!(shown.contains("\"agent_result\": {… 5 keys}"), "{shown}");
    assert!(!shown.contains("\"duration_ms\""), "{shown}");
    press(&mut app, KeyCode::Char(' '));
    assert!(screen(&mut app, 80, 24).contains("\"duration_ms\""));

    press(&mut app, KeyCode::Char('y'));
    let copied = app.copied.clone().unwrap();
    let json: serde_json::Value = serde_json::from_str(&copied).unwrap();
    assert_eq!(json["hook"], "AgentError");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Session);
    press(&mut app, KeyCode::Backspace);
    assert_eq!(app.screen, Screen::Sessions);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn long_strings_wrap_in_the_entry_screen() {
    let dir = tempfile::tempdir().unwrap();
    let long = "word ".repeat(60);
    let entry = format!(
        r#"{{"timestamp":"2025-05-02T14:32:15Z","hook":"AfterAgentRun","agent_id":"a","agent_result":{{"output_state":{{"data":{{"text":"{long}END"}}}}}}}}"#
    );
    std::fs::write(dir.path().join("s.trace.jsonl"), format!("{entry}\n")).unwrap();
    let mut app = app_with(options(dir.path(), Some("s")));
    press(&mut app, KeyCode::Enter);
    let shown = screen(&mut app, 80, 24);
    assert!(shown.contains("END"), "{shown}");
    assert!(shown.lines().all(|l| l.chars().count() <= 80));
}

#[test]
fn help_lists_the_keys_over_the_screen_and_any_key_closes_it() {
    let mut app = fixtures(None);
    press(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!("help_80x24", screen(&mut app, 80, 24));
    press(&mut app, KeyCode::Char('x'));
    assert!(!screen(&mut app, 80, 24).contains("any key closes"));
}

#[test]
fn a_filter_typed_with_f_uses_the_filter_language_and_says_what_is_wrong() {
    let mut app = fixtures(Some("req-17461592"));
    press(&mut app, KeyCode::Char('f'));
    type_text(&mut app, "colour=red");
    press(&mut app, KeyCode::Enter);
    let shown = screen(&mut app, 120, 24);
    assert!(shown.contains("filter: colour=red"), "{shown}");
    assert!(shown.contains("unknown key 'colour'"), "{shown}");
    for _ in 0.."colour=red".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "hook=AgentError");
    press(&mut app, KeyCode::Enter);
    let shown = screen(&mut app, 120, 24);
    assert!(shown.contains("entries shown"), "{shown}");
    let rows = shown.lines().filter(|l| l.contains("AgentError")).count();
    assert_eq!(rows, app.open.as_ref().unwrap().index.len());
    assert!(rows >= 2, "{shown}");
}

#[test]
fn trace_text_is_escaped_on_every_screen() {
    let dir = tempfile::tempdir().unwrap();
    let entry = r#"{"timestamp":"2025-05-02T14:32:15Z","hook":"AgentError","agent_id":"evil\u001b[31m","error":"bad\u202eworse","event_id":"e\u0007"}"#;
    std::fs::write(dir.path().join("s.trace.jsonl"), format!("{entry}\n")).unwrap();
    let mut app = app_with(options(dir.path(), None));
    let mut shown = screen(&mut app, 120, 24);
    press(&mut app, KeyCode::Enter);
    app.settle();
    shown += &screen(&mut app, 120, 24);
    press(&mut app, KeyCode::Enter);
    shown += &screen(&mut app, 120, 24);
    assert!(!shown.contains(['\u{1b}', '\u{7}', '\u{202e}']), "{shown}");
    assert!(shown.contains(r"evil\x1b[31m"), "{shown}");
    assert!(shown.contains(r"bad\u202eworse"), "{shown}");
}

#[test]
fn ctrl_c_quits() {
    let mut app = fixtures(None);
    app.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.quit);
}

#[test]
fn a_broken_file_is_said_on_screen_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.trace.json"), "this is not json\n").unwrap();
    let mut app = app_with(options(dir.path(), Some("s")));
    let shown = screen(&mut app, 80, 24);
    assert!(shown.contains("damaged entries skipped"), "{shown}");
}

fn index_of(path: &Path) -> Index {
    let mut index = Index::open(path, Filter::default()).unwrap();
    index.finish().unwrap();
    index
}

fn entries_of(index: &Index) -> Vec<Vec<u8>> {
    let mut buf = Vec::new();
    (0..index.len())
        .map(|i| {
            assert!(index.read(i, &mut buf).unwrap());
            buf.clone()
        })
        .collect()
}

#[test]
fn the_index_reads_back_the_entries_the_reader_reads_in_every_shape() {
    let shapes = PathBuf::from("fixtures/shapes");
    for name in [
        "archived.trace.json.gz",
        "bom-crlf.trace.json",
        "lines.trace.jsonl",
        "lines.trace.jsonl.gz",
        "one-line.trace.json",
        "empty.trace.json",
    ] {
        let path = shapes.join(name);
        let index = index_of(&path);
        let mut expected = Vec::new();
        crate::read::read_file(&path, crate::read::Parse::Light, |item| {
            if let Ok(e) = item {
                expected.push(e.bytes.to_vec());
            }
            Ok::<_, std::io::Error>(())
        })
        .unwrap();
        assert_eq!(entries_of(&index), expected, "{name}");
    }
}

#[test]
fn a_growing_file_is_indexed_further_and_a_truncated_one_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.trace.json");
    let entry = |n: u32| {
        format!(
            "{{\n  \"timestamp\": \"2025-05-02T14:32:{n:02}Z\",\n  \"hook\": \"BeforeAgentRun\",\n  \"agent_id\": \"a{n}\"\n}}\n"
        )
    };
    std::fs::write(&path, format!("[\n{}", entry(1))).unwrap();
    let mut index = index_of(&path);
    assert_eq!(index.len(), 1);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    // Half an entry is not shown until the rest is written.
    let second = entry(2);
    let (head, tail) = second.split_at(20);
    write!(file, ",\n{head}").unwrap();
    assert_eq!(index.step(Duration::from_secs(1)).unwrap(), Step::CaughtUp);
    assert_eq!(index.len(), 1);
    write!(file, "{tail},\n{}", entry(3)).unwrap();
    index.step(Duration::from_secs(1)).unwrap();
    assert_eq!(index.len(), 3);
    let texts: Vec<String> = entries_of(&index)
        .into_iter()
        .map(|b| String::from_utf8(b).unwrap())
        .collect();
    assert!(texts[1].contains("\"a2\"") && texts[2].contains("\"a3\""));

    std::fs::write(&path, format!("[\n{}", entry(9))).unwrap();
    assert_eq!(index.step(Duration::from_secs(1)).unwrap(), Step::Restarted);
    index.finish().unwrap();
    assert_eq!(index.len(), 1);
    assert!(
        String::from_utf8(entries_of(&index).remove(0))
            .unwrap()
            .contains("\"a9\"")
    );
}

#[test]
fn follow_streams_new_entries_in_and_sticks_to_the_bottom_only_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.trace.jsonl");
    let line = |n: u32| {
        format!(
            r#"{{"timestamp":"2025-05-02T14:32:{n:02}Z","hook":"BeforeAgentRun","agent_id":"agent-{n}"}}"#
        ) + "\n"
    };
    std::fs::write(&path, line(1) + &line(2)).unwrap();
    let mut app = app_with(options(dir.path(), Some("s")));
    press(&mut app, KeyCode::Char('F'));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(line(3).as_bytes()).unwrap();
    app.tick();
    let shown = screen(&mut app, 80, 24);
    assert!(shown.contains("agent-3"), "{shown}");
    assert!(shown.contains("following"), "{shown}");
    assert!(shown.contains("3 of 3 shown"), "{shown}");
    // Away from the bottom, the view stays where it is.
    press(&mut app, KeyCode::Char('g'));
    file.write_all(line(4).as_bytes()).unwrap();
    app.tick();
    let shown = screen(&mut app, 80, 24);
    assert!(
        shown.contains("agent-4") && shown.contains("1 of 4 shown"),
        "{shown}"
    );
    let agents: Vec<&str> = shown
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter(|a| a.starts_with("agent-"))
        .collect();
    assert_eq!(agents, ["agent-1", "agent-2", "agent-3", "agent-4"]);
}

#[test]
fn redaction_reaches_the_timeline_and_the_entry_screen() {
    let dir = tempfile::tempdir().unwrap();
    let entry = r#"{"timestamp":"2025-05-02T14:32:15Z","hook":"AfterAgentRun","agent_id":"a","agent_result":{"output_state":{"data":{"api_key":"sk-12345","note":"ok password=hunter2"}}}}"#;
    std::fs::write(dir.path().join("s.trace.jsonl"), format!("{entry}\n")).unwrap();
    let mut opts = options(dir.path(), Some("s"));
    opts.redactor = Redactor::new::<&str, &str>(&[], &[]).unwrap();
    let mut app = app_with(opts);
    let mut shown = screen(&mut app, 120, 24);
    press(&mut app, KeyCode::Enter);
    shown += &screen(&mut app, 120, 24);
    press(&mut app, KeyCode::Char('y'));
    shown += &app.copied.clone().unwrap();
    assert!(!shown.contains("sk-12345"), "{shown}");
    assert!(!shown.contains("hunter2"), "secrets in text too: {shown}");
    assert!(shown.contains("[REDACTED]"), "{shown}");
}

#[test]
fn a_session_named_on_the_command_line_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    assert!(crate::session::resolve("nope", dir.path()).is_err());
    let file = SessionFile::from_path(Path::new("fixtures/req-17461590.trace.json")).unwrap();
    let mut opts = options(Path::new("fixtures"), None);
    opts.session = Some(file);
    let mut app = app_with(opts);
    assert!(screen(&mut app, 80, 24).contains("req-17461590 · [Timeline]"));
}

/// The session with a failed run, on the tab `tabs` Tab presses away.
fn on_tab(tabs: usize) -> App {
    let mut app = fixtures(Some("req-17461592"));
    for _ in 0..tabs {
        press(&mut app, KeyCode::Tab);
    }
    app.settle();
    app
}

#[test]
fn the_waterfall_draws_a_bar_per_run_failed_ones_and_the_critical_path_marked() {
    let mut app = on_tab(1);
    insta::assert_snapshot!("waterfall_80x24", screen(&mut app, 80, 24));
    insta::assert_snapshot!("waterfall_200x50", screen(&mut app, 200, 50));
    let shown = screen(&mut app, 120, 40);
    assert!(shown.contains("[Waterfall]"), "{shown}");
    // The failed analyzer run is marked `!`, and runs of the slowest request `*`.
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("analyzer") && l.contains('!')),
        "{shown}"
    );
    assert!(shown.lines().any(|l| l.contains("* █")), "{shown}");
}

#[test]
fn the_waterfall_zooms_around_the_selected_run_and_moves_along_time() {
    let mut app = on_tab(1);
    let whole = screen(&mut app, 160, 30);
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Char('+'));
    press(&mut app, KeyCode::Char('+'));
    let zoomed = screen(&mut app, 160, 30);
    assert_ne!(whole, zoomed);
    assert!(zoomed.contains("zoom ×4"), "{zoomed}");
    // Runs before the window are shown as `<`.
    assert!(zoomed.lines().any(|l| l.contains(" <")), "{zoomed}");
    press(&mut app, KeyCode::Left);
    assert_ne!(screen(&mut app, 160, 30), zoomed);
    press(&mut app, KeyCode::Char('-'));
    press(&mut app, KeyCode::Char('-'));
    press(&mut app, KeyCode::Char('-'));
    let out = screen(&mut app, 160, 30);
    assert!(!out.contains("zoom ×"), "{out}");
}

#[test]
fn the_flow_tab_shows_the_flow_and_the_analysis_as_printed() {
    let mut app = on_tab(2);
    insta::assert_snapshot!("flow_80x24", screen(&mut app, 80, 24));
    insta::assert_snapshot!("flow_200x50", screen(&mut app, 200, 50));
    // Scrolled to its end, the per-agent statistics of --analyze are there.
    let mut seen = String::new();
    for _ in 0..40 {
        seen += &screen(&mut app, 120, 40);
        press(&mut app, KeyCode::PageDown);
    }
    assert!(
        seen.contains("Agent request flow for session req-17461592"),
        "{seen}"
    );
    assert!(seen.contains("Analysis of session req-17461592"), "{seen}");
    assert!(seen.contains("P95"), "{seen}");
    // Tab comes back round to the timeline.
    press(&mut app, KeyCode::Tab);
    assert!(screen(&mut app, 80, 24).contains("[Timeline]"));
}
