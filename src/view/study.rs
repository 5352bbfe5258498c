//! What the Waterfall and Flow tabs show: the session read once more, on a background thread,
//! through the library's analysis (runs paired once, the one hop rule): the agent flow as
//! `trace --flow-only` builds it and the analysis of `trace --analyze`. Asked for when one of
//! those tabs is first shown, so that the Timeline of a large session is not kept waiting.

use crate::analysis::flow::{Flow, FlowBuilder};
use crate::analysis::{AnalysisOptions, Analyzer, FileInfo, SessionAnalysis, SessionReport};
use crate::filter::Filter;
use crate::read::{Parse, TraceReader};
use crate::redact::Redactor;
use crate::render::Style;
use crate::render::analysis as printed;
use crate::render::flow::write_flow;
use crate::summary::FileStatus;
use crate::time::DisplayZone;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, TryRecvError};

/// How many runs the waterfall keeps: all up to this many, else the slowest (memory stays
/// bounded whatever the session's size).
pub const WATERFALL_RUNS: usize = 5000;

/// The session's flow and analysis.
pub struct Study {
    pub flow: Flow,
    pub analysis: SessionAnalysis,
    pub report: SessionReport,
    /// The Flow tab's text and the width it was drawn for.
    text: Option<(u16, Vec<String>)>,
}

/// A study being made, or made.
pub enum Pending {
    Reading(Receiver<Result<Study, String>>),
    Done(Box<Study>),
    Failed(String),
}

impl Pending {
    /// Starts reading `path` on a background thread; `filter` chooses what the figures and
    /// hops count, as `--filter` does with `--flow-only` and `--analyze`.
    pub fn start(
        id: &str,
        path: &Path,
        filter: Filter,
        zone: DisplayZone,
        redactor: &Redactor,
    ) -> Pending {
        let (send, receive) = mpsc::channel();
        let (id, path, redactor) = (id.to_owned(), path.to_path_buf(), redactor.clone());
        std::thread::spawn(move || {
            let _ = send.send(study(&id, &path, &filter, zone, &redactor));
        });
        Pending::Reading(receive)
    }

    /// Takes the result in if it has come; returns whether it just did.
    pub fn poll(&mut self) -> bool {
        let Pending::Reading(receive) = self else {
            return false;
        };
        *self = match receive.try_recv() {
            Ok(Ok(study)) => Pending::Done(Box::new(study)),
            Ok(Err(why)) => Pending::Failed(why),
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => Pending::Failed("the reading stopped".into()),
        };
        true
    }

    /// Waits for the result (for tests).
    pub fn wait(&mut self) {
        if let Pending::Reading(receive) = self {
            *self = match receive.recv() {
                Ok(Ok(study)) => Pending::Done(Box::new(study)),
                Ok(Err(why)) => Pending::Failed(why),
                Err(_) => Pending::Failed("the reading stopped".into()),
            };
        }
    }
}

/// Reads the session once, feeding both the flow builder and the analyzer.
fn study(
    id: &str,
    path: &Path,
    filter: &Filter,
    zone: DisplayZone,
    redactor: &Redactor,
) -> Result<Study, String> {
    let mut flow = FlowBuilder::new();
    let mut analyzer = Analyzer::new(AnalysisOptions {
        top: 5,
        timeline_runs: WATERFALL_RUNS,
    });
    // Damaged entries are skipped here as everywhere; the Timeline's status line counts them.
    let shown = |e: std::io::Error| format!("cannot read {}: {e}", crate::error::shown(path));
    let reader = TraceReader::open_as_of_now(path).map_err(shown)?;
    let read = reader
        .with_parse(Parse::Light)
        .with_redactor(redactor.clone())
        .read_to_end(|item| {
            if let Ok(read) = item {
                let keep = filter.matches(&read.entry);
                flow.push(&read.entry, keep);
                analyzer.add(&read.entry, keep);
            }
            Ok::<_, std::io::Error>(())
        })
        .map_err(shown)?;
    let analysis = analyzer.finish();
    let info = FileInfo {
        path: path.to_string_lossy().into_owned(),
        status: FileStatus::from_shape(read.shape).to_string(),
        entries_skipped: read.skipped,
        ends_mid_entry: read.tail.is_some(),
    };
    let filter = (!filter.is_empty()).then(|| filter.to_string());
    let report = SessionReport::new(id, info, filter, &analysis, zone);
    Ok(Study {
        flow: flow.finish(),
        analysis,
        report,
        text: None,
    })
}

impl Study {
    /// The Flow tab's lines at `width` columns: the flow as `trace --flow-only` prints it, then
    /// the analysis as `trace --analyze` prints it (its per-agent statistics first). Drawn
    /// once per width, without colour (the tab shows text, and the printed views escape
    /// everything from the trace already).
    pub fn flow_text(&mut self, id: &str, width: u16, zone: DisplayZone, ascii: bool) -> &[String] {
        if self.text.as_ref().is_none_or(|(w, _)| *w != width) {
            let mut out = Vec::new();
            let style = Style {
                width: usize::from(width),
                color: false,
                zone,
                ascii,
            };
            let drawn = if self.flow.is_empty() {
                out.extend_from_slice(b"No agent runs in this session (yet).\n");
                Ok(())
            } else {
                write_flow(&mut out, id, &self.flow, &style, false)
            };
            let drawn = drawn.and_then(|()| {
                out.push(b'\n');
                printed::session(&self.report, &style, false, &mut out)
            });
            if let Err(e) = drawn {
                out.extend_from_slice(format!("cannot draw the flow: {e}\n").as_bytes());
            }
            let lines = String::from_utf8_lossy(&out)
                .lines()
                .map(str::to_owned)
                .collect();
            self.text = Some((width, lines));
        }
        self.text
            .as_ref()
            .map_or(&[], |(_, lines)| lines.as_slice())
    }
}
