//! A session as spans, built as its entries stream past: one trace per session (its id derived
//! from the session id), a root span for the session, one span per event (`BeforeEventHandling`
//! to `AfterEventHandling`) and, inside it, one span per agent run (its last `BeforeAgentRun` to
//! its `AfterAgentRun` or first `AgentError`). An event's parent is the agent run whose output
//! created it, else the session. Which entries make a run or an event, and which run an event
//! continues, is decided by the one pairing and linking of the analysis ([`Runs`]), so spans
//! have the boundaries and parents of the flow view's hops. A span is handed out as soon as it
//! ends, so memory holds open spans only, as many as the pairing keeps open.
//!
//! Attributes follow the OpenTelemetry GenAI conventions where they fit (`gen_ai.operation.name`,
//! `gen_ai.agent.name`, `gen_ai.agent.id`, `gen_ai.conversation.id`, `error.type`,
//! `gen_ai.usage.input_tokens` and `gen_ai.usage.output_tokens` for the tokens a run reported);
//! the rest are `agentcli.*`, each other metric of a run `agentcli.metric.<path>`.

use super::{
    KeyValue, SPAN_KIND_INTERNAL, STATUS_CODE_ERROR, Span, SpanEvent, SpanId, Status, TraceId,
};
use crate::analysis::links::{RequestId, RunId};
use crate::analysis::metrics::{TokenKind, run_numbers};
use crate::analysis::runs::{
    Ended, EventNo, Handled, Mark, Opened, Runs, Sink, Started, ends_in_failure,
};
use crate::analysis::{AgentIx, Agents, MetricSelection};
use crate::export::json::{Layout, write_state_map};
use crate::export::{ExportEntry, StateMap};
use crate::model::{Hook, TraceEntry};
use crate::time::Timestamp;
use std::collections::HashMap;

/// Span events kept per span (entries that open or close no span); the rest are counted.
const MAX_SPAN_EVENTS: usize = 128;

/// Turns the entries of one session into spans.
pub struct SessionSpans {
    /// The session id to use when the entries do not name one.
    fallback_id: String,
    /// The pairing of the entries the spans are made of: those the export writes, so that a
    /// filtered export's spans are those of its entries alone.
    runs: Runs,
    open: OpenSpans,
}

/// The spans open, mirroring the events and runs the pairing has open, and those ended and
/// not yet handed out.
#[derive(Default)]
struct OpenSpans {
    session: Option<SessionSpan>,
    /// Open events by number. The event whose id is empty holds the runs of entries without an
    /// event id: it has no span, and its runs hang from the session.
    events: HashMap<EventNo, OpenEvent>,
    /// Runs ended that wait for the event they lead to (their route's, or the runner's failure
    /// event): the parent of that event when it comes.
    waiting: HashMap<RunId, SpanId>,
    /// What the entry being taken ended, in the order to hand it out.
    ended: Vec<Ending>,
    /// The metrics of a run that become attributes of its span.
    metrics: MetricSelection,
}

/// What the session span needs, gathered over the whole file.
struct SessionSpan {
    id: String,
    trace_id: TraceId,
    span_id: SpanId,
    first: Timestamp,
    last: Timestamp,
    entries: u64,
    events: u64,
    runs: u64,
    errors: u64,
    notes: Notes,
}

struct OpenEvent {
    /// `None` for the runs without an event.
    span_id: Option<SpanId>,
    parent: SpanId,
    id: String,
    source: Option<String>,
    target: Option<String>,
    start: Timestamp,
    /// The time of its latest entry: its end, if the file ends before it does.
    last: Timestamp,
    runs: Vec<OpenRun>,
    run_count: u64,
    errors: u64,
    notes: Notes,
}

struct OpenRun {
    span_id: SpanId,
    agent: AgentIx,
    name: String,
    start: Timestamp,
    notes: Notes,
}

/// A span ended, waiting to be handed out.
enum Ending {
    Run {
        run: OpenRun,
        parent: SpanId,
        event_id: String,
        end: Timestamp,
        /// The entry being taken ended it (else it ends, incomplete, at `end`).
        by_entry: bool,
    },
    Event {
        span_id: SpanId,
        event: OpenEvent,
        end: Timestamp,
        /// The entry being taken ended it (else it ends, incomplete, at `end`).
        by_entry: bool,
    },
}

#[derive(Default)]
struct Notes {
    events: Vec<SpanEvent>,
    dropped: u32,
}

impl Notes {
    fn add(&mut self, event: SpanEvent) {
        if self.events.len() < MAX_SPAN_EVENTS {
            self.events.push(event);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }
}

/// Nanoseconds since the epoch as OTLP wants them (times before 1970 become 1970).
fn nanos(t: Timestamp) -> u64 {
    u64::try_from(t.unix_nanos).unwrap_or(0)
}

fn json_text(map: &StateMap<'_>) -> String {
    let mut buf = Vec::new();
    // Writing to memory does not fail, and the JSON of valid values is UTF-8.
    let _ = write_state_map(&mut buf, map, Layout::Compact, 0);
    String::from_utf8(buf).unwrap_or_default()
}

/// Whether the entry opens or ends no span: a hook the pairing does not know, or the start or
/// end of an event without an id (which has no span).
fn is_note(e: &ExportEntry<'_>) -> bool {
    match e.hook {
        Hook::BeforeAgentRun | Hook::AfterAgentRun | Hook::AgentError => false,
        Hook::BeforeEventHandling | Hook::AfterEventHandling => e.event_id.is_none(),
        _ => true,
    }
}

impl SessionSpans {
    /// Spans for the session whose file names it `fallback_id` (used when entries carry no
    /// session id). A run's span carries the metrics its run reported that the default picks
    /// (numeric fields named for tokens, a cost or usage).
    pub fn new(fallback_id: &str) -> SessionSpans {
        SessionSpans {
            fallback_id: fallback_id.to_owned(),
            runs: Runs::new(Agents::all()),
            open: OpenSpans::default(),
        }
    }

    /// The metrics of a run that its span carries (`--metric`).
    pub fn with_metrics(mut self, metrics: MetricSelection) -> SessionSpans {
        self.open.metrics = metrics;
        self
    }

    /// Takes in the next entry; `emit` gets each span that this entry ends.
    pub fn entry<E>(
        &mut self,
        e: &ExportEntry<'_>,
        emit: &mut impl FnMut(&Span) -> Result<(), E>,
    ) -> Result<(), E> {
        self.see(e);
        if is_note(e) {
            self.note(e);
        }
        // Every entry the export writes is selected: the spans are made of those alone.
        let mut pairing = Pairing {
            open: &mut self.open,
            entry: e,
        };
        self.runs.add(e.entry, true, &mut pairing);
        self.open.hand_out(Some(e), emit)
    }

    /// Ends what is still open (as incomplete: the file ends before they did) and the session.
    pub fn finish<E>(mut self, emit: &mut impl FnMut(&Span) -> Result<(), E>) -> Result<(), E> {
        let mut open: Vec<(EventNo, OpenEvent)> = self.open.events.drain().collect();
        open.sort_by_key(|(no, _)| *no);
        for (_, event) in open {
            let end = match event.span_id {
                Some(_) => event.last,
                None => self.open.session.as_ref().map_or(event.last, |s| s.last),
            };
            self.open.end_event(event, end, false);
        }
        self.open.hand_out(None, emit)?;
        let Some(session) = self.open.session.take() else {
            return Ok(());
        };
        let mut attributes = vec![
            KeyValue::string("gen_ai.conversation.id", session.id.clone()),
            KeyValue::string("agentcli.session.id", session.id.clone()),
            KeyValue::int("agentcli.session.entries", session.entries),
            KeyValue::int("agentcli.session.events", session.events),
            KeyValue::int("agentcli.session.agent_runs", session.runs),
        ];
        if session.errors > 0 {
            attributes.push(KeyValue::int("agentcli.session.errors", session.errors));
        }
        emit(&Span {
            trace_id: session.trace_id,
            span_id: session.span_id,
            parent_span_id: None,
            name: format!("session {}", session.id),
            kind: SPAN_KIND_INTERNAL,
            start_time_unix_nano: nanos(session.first),
            end_time_unix_nano: nanos(session.last),
            attributes,
            events: session.notes.events,
            dropped_events_count: session.notes.dropped,
            status: None,
        })
    }

    fn see(&mut self, e: &ExportEntry<'_>) {
        let session = self.open.session.get_or_insert_with(|| {
            let id = e.session_id.unwrap_or(&self.fallback_id).to_owned();
            let trace_id = TraceId::of_session(&id);
            SessionSpan {
                span_id: trace_id.span("session", 0),
                trace_id,
                id,
                first: e.timestamp,
                last: e.timestamp,
                entries: 0,
                events: 0,
                runs: 0,
                errors: 0,
                notes: Notes::default(),
            }
        });
        session.first = session.first.min(e.timestamp);
        session.last = session.last.max(e.timestamp);
        session.entries += 1;
    }

    /// An entry that opens or ends no span becomes an event of the innermost open span it
    /// belongs to.
    fn note(&mut self, e: &ExportEntry<'_>) {
        let mut attributes = vec![KeyValue::string(
            "agentcli.hook",
            e.hook_name().unwrap_or("(none)"),
        )];
        if let Some(agent) = e.agent_id {
            attributes.push(KeyValue::string("gen_ai.agent.name", agent));
        }
        if let Some(error) = e.error {
            attributes.push(KeyValue::string("agentcli.error", error));
        }
        if let Some(ms) = e.duration_ms {
            attributes.push(KeyValue::double("agentcli.duration_ms", ms));
        }
        let note = SpanEvent {
            time_unix_nano: nanos(e.timestamp),
            name: e.hook_name().unwrap_or("entry").to_owned(),
            attributes,
        };
        let event = self.runs.open_event(e.event_id.unwrap_or_default());
        if let Some(event) = event.and_then(|no| self.open.events.get_mut(&no)) {
            event.last = event.last.max(e.timestamp);
            let agent = self.runs.agents().get(e.agent_id.unwrap_or_default());
            if let Some(run) = event.runs.iter_mut().find(|r| Some(r.agent) == agent) {
                return run.notes.add(note);
            }
            if event.span_id.is_some() {
                return event.notes.add(note);
            }
        }
        if let Some(session) = &mut self.open.session {
            session.notes.add(note);
        }
    }
}

impl OpenSpans {
    /// The session's trace id, its span id and the session itself: there is one as soon as an
    /// entry has been seen, which is before it is paired.
    fn session(&mut self) -> Option<(TraceId, SpanId, &mut SessionSpan)> {
        let session = self.session.as_mut()?;
        Some((session.trace_id, session.span_id, session))
    }

    /// Ends an event at `end` and, before it, its runs still open, in the order they started.
    fn end_event(&mut self, mut event: OpenEvent, end: Timestamp, by_entry: bool) {
        let parent = match (event.span_id, &self.session) {
            (Some(span_id), _) => span_id,
            (None, Some(session)) => session.span_id,
            (None, None) => return,
        };
        event.runs.sort_by_key(|r| r.start);
        for run in event.runs.drain(..) {
            self.ended.push(Ending::Run {
                run,
                parent,
                event_id: event.id.clone(),
                end: end.max(event.last),
                by_entry: false,
            });
        }
        if let Some(span_id) = event.span_id {
            self.ended.push(Ending::Event {
                span_id,
                event,
                end,
                by_entry,
            });
        }
    }

    /// Hands out the spans ended, `entry` being the entry just taken (`None` at the end).
    fn hand_out<E>(
        &mut self,
        entry: Option<&ExportEntry<'_>>,
        emit: &mut impl FnMut(&Span) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(session) = &self.session else {
            self.ended.clear();
            return Ok(());
        };
        let (trace_id, conversation) = (session.trace_id, session.id.clone());
        for ending in self.ended.drain(..) {
            let span = match ending {
                Ending::Run {
                    run,
                    parent,
                    event_id,
                    end,
                    by_entry,
                } => {
                    let end = match entry.filter(|_| by_entry) {
                        Some(e) => RunEnd::Entry(e),
                        None => RunEnd::Unseen(end),
                    };
                    let metrics = &self.metrics;
                    run_span(
                        trace_id,
                        run,
                        parent,
                        &conversation,
                        &event_id,
                        end,
                        metrics,
                    )
                }
                Ending::Event {
                    span_id,
                    event,
                    end,
                    by_entry,
                } => event_span(
                    trace_id,
                    span_id,
                    event,
                    end,
                    entry.filter(|_| by_entry),
                    &conversation,
                ),
            };
            emit(&span)?;
        }
        Ok(())
    }
}

/// What the pairing finds in one entry, turned into spans opened and ended.
struct Pairing<'s, 'x, 'e> {
    open: &'s mut OpenSpans,
    /// The entry being paired.
    entry: &'x ExportEntry<'e>,
}

impl Pairing<'_, '_, '_> {
    /// A new event, opened by the entry being paired.
    fn new_event(&mut self, id: &str, parent: Option<SpanId>) -> Option<OpenEvent> {
        let e = self.entry;
        let (trace_id, session_span, session) = self.open.session()?;
        let span_id = (!id.is_empty()).then(|| trace_id.span("event", e.index));
        session.events += u64::from(span_id.is_some());
        Some(OpenEvent {
            span_id,
            parent: parent.unwrap_or(session_span),
            id: id.to_owned(),
            source: e.source_agent_id.map(str::to_owned),
            target: e.target_agent_id.map(str::to_owned),
            start: e.timestamp,
            last: e.timestamp,
            // Most events have one run: room for more is made when a second comes.
            runs: Vec::with_capacity(1),
            run_count: 0,
            errors: 0,
            notes: Notes::default(),
        })
    }
}

/// A new run of `agent`, started (or, without a start, ended) by `e`.
fn new_run(trace_id: TraceId, agent: AgentIx, name: &str, e: &ExportEntry<'_>) -> OpenRun {
    OpenRun {
        span_id: trace_id.span("run", e.index),
        agent,
        name: name.to_owned(),
        start: e.timestamp,
        notes: Notes::default(),
    }
}

impl Sink for Pairing<'_, '_, '_> {
    fn event_opened(&mut self, opened: &Opened<'_>) {
        // The run this event continues is its parent, and waits no more.
        let parent = opened
            .link
            .and_then(|link| self.open.waiting.remove(&link.run));
        if let Some(event) = self.new_event(opened.id, parent) {
            self.open.events.insert(opened.no, event);
        }
    }

    fn run_started(&mut self, started: &Started<'_>) {
        let e = self.entry;
        let Some((trace_id, _, _)) = self.open.session() else {
            return;
        };
        let Some(event) = self.open.events.get_mut(&started.event) else {
            return;
        };
        event.last = event.last.max(e.timestamp);
        let running = event.runs.iter_mut().find(|r| r.agent == started.agent);
        match running {
            // The writer records a start twice: the run starts at the last.
            Some(run) if started.again => run.start = e.timestamp,
            _ => event
                .runs
                .push(new_run(trace_id, started.agent, started.agent_name, e)),
        }
    }

    fn run_ended(&mut self, ended: &Ended<'_>) {
        let e = self.entry;
        let Some((trace_id, session_span, session)) = self.open.session() else {
            return;
        };
        session.runs += 1;
        session.errors += u64::from(ended.failed);
        let Some(event) = self.open.events.get_mut(&ended.event) else {
            return;
        };
        event.last = event.last.max(e.timestamp);
        let run = match event.runs.iter().position(|r| r.agent == ended.agent) {
            Some(at) => event.runs.swap_remove(at),
            // An end without a start (filtered out, or before the file began).
            None => new_run(trace_id, ended.agent, ended.agent_name, e),
        };
        event.run_count += 1;
        event.errors += u64::from(ended.failed);
        if ended.waits {
            self.open.waiting.insert(ended.run, run.span_id);
        }
        self.open.ended.push(Ending::Run {
            run,
            parent: event.span_id.unwrap_or(session_span),
            event_id: event.id.clone(),
            end: e.timestamp,
            by_entry: true,
        });
    }

    fn run_ended_again(&mut self, event: EventNo, _run: RunId, _entry: &TraceEntry<'_>, _: Mark) {
        // The writer records a failure twice; the run ended at the first.
        if let Some(event) = self.open.events.get_mut(&event) {
            event.last = event.last.max(self.entry.timestamp);
        }
    }

    fn event_given_up(&mut self, no: EventNo) {
        if let Some(event) = self.open.events.remove(&no) {
            let end = event.last;
            self.open.end_event(event, end, false);
        }
    }

    fn event_handled(&mut self, handled: &Handled<'_>) {
        let event = match handled.event {
            Some(no) => self.open.events.remove(&no),
            // An end without a start: the event is known from this entry alone.
            None => self.new_event(self.entry.event_id.unwrap_or_default(), None),
        };
        if let Some(event) = event {
            self.open.end_event(event, self.entry.timestamp, true);
        }
    }

    fn wait_given_up(&mut self, run: RunId, _request: RequestId) {
        self.open.waiting.remove(&run);
    }
}

fn event_span(
    trace_id: TraceId,
    span_id: SpanId,
    event: OpenEvent,
    end: Timestamp,
    closing: Option<&ExportEntry<'_>>,
    conversation: &str,
) -> Span {
    let mut attributes = vec![
        KeyValue::string("gen_ai.conversation.id", conversation),
        KeyValue::string("agentcli.event.id", event.id),
    ];
    if let Some(source) = event.source {
        attributes.push(KeyValue::string("agentcli.event.source_agent", source));
    }
    if let Some(target) = event.target.clone() {
        attributes.push(KeyValue::string("agentcli.event.target_agent", target));
    }
    if let Some(agent) = closing.and_then(|e| e.agent_id) {
        attributes.push(KeyValue::string("agentcli.event.agent", agent));
    }
    attributes.push(KeyValue::int("agentcli.event.agent_runs", event.run_count));
    if event.errors > 0 {
        attributes.push(KeyValue::int("agentcli.event.errors", event.errors));
    }
    if closing.is_none() {
        attributes.push(KeyValue::bool("agentcli.incomplete", true));
    }
    if let Some(ms) = closing.and_then(|e| e.duration_ms) {
        attributes.push(KeyValue::double("agentcli.duration_ms", ms));
    }
    let name = match &event.target {
        Some(target) => format!("event {target}"),
        None => "event".to_owned(),
    };
    Span {
        trace_id,
        span_id,
        parent_span_id: Some(event.parent),
        name,
        kind: SPAN_KIND_INTERNAL,
        start_time_unix_nano: nanos(event.start),
        end_time_unix_nano: nanos(end.max(event.start)),
        attributes,
        events: event.notes.events,
        dropped_events_count: event.notes.dropped,
        status: None,
    }
}

/// How a run ended.
enum RunEnd<'x, 'e> {
    /// At this `AfterAgentRun` or `AgentError`.
    Entry(&'x ExportEntry<'e>),
    /// Not in the file: it was still running at this time.
    Unseen(Timestamp),
}

fn run_span(
    trace_id: TraceId,
    run: OpenRun,
    parent: SpanId,
    conversation: &str,
    event_id: &str,
    end: RunEnd<'_, '_>,
    metrics: &MetricSelection,
) -> Span {
    let mut attributes = vec![
        KeyValue::string("gen_ai.operation.name", "invoke_agent"),
        KeyValue::string("gen_ai.agent.name", run.name.clone()),
        KeyValue::string("gen_ai.agent.id", run.name.clone()),
        KeyValue::string("gen_ai.conversation.id", conversation),
    ];
    if !event_id.is_empty() {
        attributes.push(KeyValue::string("agentcli.event.id", event_id));
    }
    let mut notes = run.notes;
    let mut status = None;
    let end_time = match end {
        RunEnd::Entry(e) => {
            attributes.push(KeyValue::string(
                "agentcli.hook",
                e.hook_name().unwrap_or_default(),
            ));
            if let Some(next) = &e.next_agent {
                attributes.push(KeyValue::string("agentcli.next_agent", next.as_ref()));
            }
            if let Some(ms) = e.duration_ms {
                attributes.push(KeyValue::double("agentcli.duration_ms", ms));
            }
            metric_attributes(e, metrics, &mut attributes);
            if let Some(state) = &e.state {
                for (key, map) in [
                    ("agentcli.state.data", &state.data),
                    ("agentcli.state.meta", &state.meta),
                ] {
                    if !map.is_empty() {
                        attributes.push(KeyValue::string(key, json_text(map)));
                    }
                }
            }
            if ends_in_failure(e.hook, e.error) {
                let message = e.error.unwrap_or_default().to_owned();
                attributes.push(KeyValue::string("error.type", "agent_error"));
                notes.add(SpanEvent {
                    time_unix_nano: nanos(e.timestamp),
                    name: "exception".to_owned(),
                    attributes: vec![
                        KeyValue::string("exception.type", "agent_error"),
                        KeyValue::string("exception.message", message.clone()),
                    ],
                });
                status = Some(Status {
                    code: STATUS_CODE_ERROR,
                    message,
                });
            }
            e.timestamp
        }
        RunEnd::Unseen(at) => {
            attributes.push(KeyValue::bool("agentcli.incomplete", true));
            at
        }
    };
    Span {
        trace_id,
        span_id: run.span_id,
        parent_span_id: Some(parent),
        name: if run.name.is_empty() {
            "invoke_agent".to_owned()
        } else {
            format!("invoke_agent {}", run.name)
        },
        kind: SPAN_KIND_INTERNAL,
        start_time_unix_nano: nanos(run.start),
        end_time_unix_nano: nanos(end_time.max(run.start)),
        attributes,
        events: notes.events,
        dropped_events_count: notes.dropped,
        status,
    }
}

/// The metrics the run reported, as attributes: its input and output tokens under the GenAI
/// conventions' names (integers; the first of each kind, when whole), every other number as
/// `agentcli.metric.<path>`.
fn metric_attributes(e: &ExportEntry<'_>, metrics: &MetricSelection, into: &mut Vec<KeyValue>) {
    let (mut input, mut output) = (false, false);
    for (path, value) in run_numbers(e.entry, metrics) {
        let whole = value >= 0.0 && value.fract() == 0.0 && value < 9.0e15;
        let convention = match TokenKind::of(&path) {
            Some(TokenKind::Input) if whole && !input => {
                input = true;
                Some("gen_ai.usage.input_tokens")
            }
            Some(TokenKind::Output) if whole && !output => {
                output = true;
                Some("gen_ai.usage.output_tokens")
            }
            _ => None,
        };
        into.push(match convention {
            Some(name) => KeyValue::int(name, value as u64),
            None => KeyValue::double_named(format!("agentcli.metric.{path}"), value),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::runs::OPEN_LIMIT;
    use crate::model::TraceEntry;
    use crate::time::DisplayZone;
    use std::convert::Infallible;

    /// The spans of entries given as JSON lines.
    fn spans_of(lines: &[String]) -> Vec<Span> {
        let mut spans = SessionSpans::new("file-id");
        let mut out = Vec::new();
        let mut emit = |span: &Span| {
            out.push(span.clone());
            Ok::<(), Infallible>(())
        };
        for (i, line) in lines.iter().enumerate() {
            let e = TraceEntry::parse(line.as_bytes()).unwrap();
            let x = ExportEntry::new(&e, i as u64 + 1, DisplayZone::Utc, None);
            spans.entry(&x, &mut emit).unwrap();
        }
        spans.finish(&mut emit).unwrap();
        out
    }

    fn line(second: u32, hook: &str, event: &str, agent: &str) -> String {
        format!(
            r#"{{"timestamp":"2025-05-02T10:00:{second:02}Z","hook":"{hook}","event_id":"{event}","agent_id":"{agent}"}}"#
        )
    }

    fn attribute<'s>(span: &'s Span, key: &str) -> Option<&'s crate::export::otlp::AnyValue> {
        span.attributes
            .iter()
            .find(|kv| kv.key == key)
            .map(|kv| &kv.value)
    }

    /// An entry with more fields (JSON members, after a comma).
    fn line_with(second: u32, hook: &str, event: &str, agent: &str, more: &str) -> String {
        let mut line = line(second, hook, event, agent);
        line.pop();
        format!("{line},{more}}}")
    }

    fn routed(to: &str) -> String {
        format!(r#""agent_result":{{"output_state":{{"meta":{{"route":"{to}"}}}}}}"#)
    }

    fn span<'s>(spans: &'s [Span], name: &str, event: &str) -> &'s Span {
        spans
            .iter()
            .find(|s| {
                s.name == name
                    && matches!(attribute(s, "agentcli.event.id"),
                        Some(crate::export::otlp::AnyValue::String(id)) if id == event)
            })
            .unwrap_or_else(|| panic!("no span {name} of {event} in {spans:?}"))
    }

    #[test]
    fn a_run_span_carries_its_metrics_tokens_under_the_genai_names() {
        let state = r#""agent_result":{"output_state":{"data":{"prompt_tokens":12,"usage":{"input_tokens":"5","completion_tokens":7.5,"output_tokens":"3"},"cost":"n/a","total_cost":0.25}}}"#;
        let lines = [
            line(0, "BeforeAgentRun", "e1", "a"),
            line_with(1, "AfterAgentRun", "e1", "a", state),
        ];
        let spans = spans_of(&lines);
        let run = span(&spans, "invoke_agent a", "e1");
        let metrics: Vec<(&str, &crate::export::otlp::AnyValue)> = run
            .attributes
            .iter()
            .filter(|kv| {
                kv.key.starts_with("gen_ai.usage") || kv.key.starts_with("agentcli.metric")
            })
            .map(|kv| (&*kv.key, &kv.value))
            .collect();
        use crate::export::otlp::AnyValue::{Double, Int};
        // In the state's order: the first input count takes the convention's name, the second
        // its path; 7.5 output tokens are no integer, so the whole "3" takes the name; "n/a" is
        // left out.
        assert_eq!(
            metrics,
            [
                ("gen_ai.usage.input_tokens", &Int(12)),
                ("agentcli.metric.usage.input_tokens", &Double(5.0)),
                ("agentcli.metric.usage.completion_tokens", &Double(7.5)),
                ("gen_ai.usage.output_tokens", &Int(3)),
                ("agentcli.metric.total_cost", &Double(0.25)),
            ]
        );
        let off = {
            let mut spans = SessionSpans::new("file-id").with_metrics(MetricSelection::Off);
            let mut out = Vec::new();
            let mut emit = |span: &Span| {
                out.push(span.clone());
                Ok::<(), Infallible>(())
            };
            for (i, line) in lines.iter().enumerate() {
                let e = TraceEntry::parse(line.as_bytes()).unwrap();
                let x = ExportEntry::new(&e, i as u64 + 1, DisplayZone::Utc, None);
                spans.entry(&x, &mut emit).unwrap();
            }
            spans.finish(&mut emit).unwrap();
            out
        };
        let run = span(&off, "invoke_agent a", "e1");
        assert!(!run.attributes.iter().any(|kv| kv.key.contains("tokens")));
    }

    #[test]
    fn events_that_never_end_are_ended_in_bounded_memory_and_none_is_lost() {
        let n = OPEN_LIMIT * 3 / 2;
        let lines: Vec<String> = (0..n)
            .map(|i| line((i % 60) as u32, "BeforeAgentRun", &format!("e{i}"), "a"))
            .collect();
        let mut spans = SessionSpans::new("file-id");
        let mut ended_early = 0;
        for (i, line) in lines.iter().enumerate() {
            let e = TraceEntry::parse(line.as_bytes()).unwrap();
            let x = ExportEntry::new(&e, i as u64 + 1, DisplayZone::Utc, None);
            spans
                .entry(&x, &mut |_| {
                    ended_early += 1;
                    Ok::<(), Infallible>(())
                })
                .unwrap();
            assert!(spans.open.events.len() <= OPEN_LIMIT);
        }
        // The older half was ended as the bound was reached, not at the end of the input.
        assert!(ended_early >= OPEN_LIMIT, "{ended_early}");
        let spans = spans_of(&lines);
        let events = spans.iter().filter(|s| s.name == "event").count();
        let runs = spans.iter().filter(|s| s.name == "invoke_agent a").count();
        assert_eq!((events, runs, spans.len()), (n, n, 2 * n + 1));
        assert!(spans.iter().all(
            |s| s.name.starts_with("session") || attribute(s, "agentcli.incomplete").is_some()
        ));
    }

    #[test]
    fn entries_without_an_event_hang_from_the_session_and_unknown_hooks_become_span_events() {
        let lines = [
            line(1, "BeforeAgentRun", "", "a"),
            line(2, "Checkpoint", "", "b"),
            line(3, "AfterAgentRun", "", "a"),
        ];
        let spans = spans_of(&lines);
        let [run, session] = spans.as_slice() else {
            panic!("{spans:?}")
        };
        assert_eq!(run.name, "invoke_agent a");
        assert_eq!(run.parent_span_id, Some(session.span_id));
        assert_eq!(session.name, "session file-id");
        assert_eq!(session.events.len(), 1);
        assert_eq!(session.events[0].name, "Checkpoint");
        assert_eq!(
            run.end_time_unix_nano - run.start_time_unix_nano,
            2_000_000_000
        );
    }

    #[test]
    fn a_failure_written_twice_is_one_failed_run() {
        let lines = [
            line(1, "BeforeEventHandling", "e", ""),
            line(2, "BeforeAgentRun", "e", "a"),
            line(3, "AgentError", "e", "a"),
            line(4, "AgentError", "e", "a"),
            line(5, "AfterEventHandling", "e", "a"),
        ];
        let spans = spans_of(&lines);
        let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["invoke_agent a", "event", "session file-id"]);
        assert_eq!(
            spans[0].status.as_ref().map(|s| s.code),
            Some(STATUS_CODE_ERROR)
        );
        assert_eq!(spans[0].parent_span_id, Some(spans[1].span_id));
    }

    /// The old span builder took a failed run as the parent of any later event from its agent;
    /// the one linker takes it only for the runner's failure event.
    #[test]
    fn a_failed_run_is_the_parent_of_its_failure_event_only() {
        let lines = [
            line_with(
                1,
                "BeforeEventHandling",
                "e1",
                "",
                r#""target_agent_id":"a""#,
            ),
            line(2, "BeforeAgentRun", "e1", "a"),
            line_with(3, "AgentError", "e1", "a", r#""error":"boom""#),
            line_with(3, "AgentError", "e1", "a", r#""error":"boom""#),
            line(4, "AfterEventHandling", "e1", "a"),
            line_with(
                5,
                "BeforeEventHandling",
                "e2",
                "",
                r#""source_agent_id":"a","target_agent_id":"b""#,
            ),
            line_with(
                6,
                "BeforeEventHandling",
                "e3",
                "",
                r#""source_agent_id":"a","target_agent_id":"error-handler""#,
            ),
        ];
        let spans = spans_of(&lines);
        let session = spans.last().unwrap();
        let failed = span(&spans, "invoke_agent a", "e1");
        assert_eq!(failed.status.as_ref().unwrap().message, "boom");
        assert_eq!(failed.events[0].name, "exception");
        assert_eq!(
            spans.iter().filter(|s| s.name == "invoke_agent a").count(),
            1
        );
        assert_eq!(
            span(&spans, "event b", "e2").parent_span_id,
            Some(session.span_id)
        );
        assert_eq!(
            span(&spans, "event error-handler", "e3").parent_span_id,
            Some(failed.span_id)
        );
    }

    /// The old span builder let a run whose event never came take a later request's event;
    /// the one linker gives up on it once a run that ended after it has its event.
    #[test]
    fn a_run_whose_event_never_came_is_no_later_events_parent() {
        let lines = [
            line(1, "BeforeAgentRun", "e1", "planner"),
            line_with(2, "AfterAgentRun", "e1", "planner", &routed("researcher")),
            line(3, "AfterEventHandling", "e1", "planner"),
            line(4, "BeforeAgentRun", "e2", "analyzer"),
            line_with(5, "AfterAgentRun", "e2", "analyzer", &routed("writer")),
            line(6, "AfterEventHandling", "e2", "analyzer"),
            line_with(
                7,
                "BeforeEventHandling",
                "e3",
                "",
                r#""source_agent_id":"analyzer","target_agent_id":"writer""#,
            ),
            line_with(
                8,
                "BeforeEventHandling",
                "e4",
                "",
                r#""source_agent_id":"planner","target_agent_id":"researcher""#,
            ),
        ];
        let spans = spans_of(&lines);
        let session = spans.last().unwrap();
        let analyzer = span(&spans, "invoke_agent analyzer", "e2");
        assert_eq!(
            span(&spans, "event writer", "e3").parent_span_id,
            Some(analyzer.span_id)
        );
        assert_eq!(
            span(&spans, "event researcher", "e4").parent_span_id,
            Some(session.span_id)
        );
    }

    /// The old span builder took the oldest failed run of an agent as the parent of its failure
    /// event, even one that had routed elsewhere (a retry whose event never came); that run
    /// waits for its route's event, and the failure event continues the `AgentError` run.
    #[test]
    fn a_failure_event_continues_the_run_that_failed_without_a_route() {
        let retried = format!(r#""error":"timeout",{}"#, routed("s"));
        let lines = [
            line(1, "BeforeAgentRun", "e1", "s"),
            line_with(2, "AfterAgentRun", "e1", "s", &retried),
            line(3, "AfterEventHandling", "e1", "s"),
            line(4, "BeforeAgentRun", "e2", "s"),
            line_with(5, "AgentError", "e2", "s", r#""error":"429""#),
            line(6, "AfterEventHandling", "e2", "s"),
            line_with(
                7,
                "BeforeEventHandling",
                "e3",
                "",
                r#""source_agent_id":"s","target_agent_id":"error-handler""#,
            ),
        ];
        let spans = spans_of(&lines);
        let failed = span(&spans, "invoke_agent s", "e2");
        assert_eq!(
            span(&spans, "event error-handler", "e3").parent_span_id,
            Some(failed.span_id)
        );
    }

    /// The old span builder recognised only a repeated `AgentError` as the writer's duplicate,
    /// and made a second run, without a start, of a repeated `AfterAgentRun`.
    #[test]
    fn an_end_written_twice_is_one_run() {
        let lines = [
            line(1, "BeforeAgentRun", "e", "a"),
            line(2, "AfterAgentRun", "e", "a"),
            line(3, "AfterAgentRun", "e", "a"),
        ];
        let spans = spans_of(&lines);
        let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["invoke_agent a", "event", "session file-id"]);
        // The event's end, unseen, is the last time seen in it: the duplicate's.
        assert_eq!(
            spans[1].end_time_unix_nano - spans[1].start_time_unix_nano,
            2_000_000_000
        );
    }
}
