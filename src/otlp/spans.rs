//! A session as spans, built as its entries stream past: one trace per session (its id derived
//! from the session id), a root span for the session, one span per event (`BeforeEventHandling`
//! to `AfterEventHandling`) and, inside it, one span per agent run (its last `BeforeAgentRun` to
//! its `AfterAgentRun` or first `AgentError`). An event's parent is the agent run whose output
//! created it (found through the event's `source_agent_id` and the run's route), else the
//! session. A span is handed out as soon as it ends, so memory holds open spans only.
//!
//! Attributes follow the OpenTelemetry GenAI conventions where they fit (`gen_ai.operation.name`,
//! `gen_ai.agent.name`, `gen_ai.agent.id`, `gen_ai.conversation.id`, `error.type`); the rest are
//! `agentcli.*`.

use super::{
    KeyValue, SPAN_KIND_INTERNAL, STATUS_CODE_ERROR, Span, SpanEvent, SpanId, Status, TraceId,
};
use crate::export::{ExportEntry, StateMap};
use crate::model::Hook;
use crate::render::json::{Layout, write_state_map};
use crate::time::Timestamp;
use std::collections::{HashMap, VecDeque};

/// Events open at once, at most: past that the oldest is ended as incomplete, so a file cut off
/// in many places (or filtered so that events never close) still streams in bounded memory.
const MAX_OPEN_EVENTS: usize = 4096;
/// Span events kept per span (entries that open or close no span); the rest are counted.
const MAX_SPAN_EVENTS: usize = 128;
/// Finished runs per agent remembered while waiting for the event they routed to.
const MAX_WAITING_RUNS: usize = 64;
/// Agents per event remembered as failed, to recognise the writer's duplicate `AgentError`.
const MAX_FAILED_AGENTS: usize = 16;

/// Turns the entries of one session into spans.
pub struct SessionSpans {
    /// The session id to use when the entries do not name one.
    fallback_id: String,
    session: Option<SessionSpan>,
    /// Open events by event id; `""` holds the runs of entries without an event id (their spans
    /// hang from the session).
    events: HashMap<String, OpenEvent>,
    /// Finished runs that routed somewhere (or failed), by agent, oldest first: the parents of
    /// the events still to come from them.
    waiting: HashMap<String, VecDeque<FinishedRun>>,
    opened: u64,
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
    last: Timestamp,
    order: u64,
    runs: Vec<OpenRun>,
    failed_agents: VecDeque<String>,
    run_count: u64,
    errors: u64,
    notes: Notes,
}

struct OpenRun {
    span_id: SpanId,
    agent: String,
    start: Timestamp,
    notes: Notes,
}

struct FinishedRun {
    span_id: SpanId,
    route: Option<String>,
    failed: bool,
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

impl SessionSpans {
    /// Spans for the session whose file names it `fallback_id` (used when entries carry no
    /// session id).
    pub fn new(fallback_id: &str) -> SessionSpans {
        SessionSpans {
            fallback_id: fallback_id.to_owned(),
            session: None,
            events: HashMap::new(),
            waiting: HashMap::new(),
            opened: 0,
        }
    }

    /// Takes in the next entry; `emit` gets each span that this entry ends.
    #[allow(
        clippy::expect_used,
        reason = "an event missing at its end is opened just above"
    )]
    pub fn entry<E>(
        &mut self,
        e: &ExportEntry<'_>,
        emit: &mut impl FnMut(&Span) -> Result<(), E>,
    ) -> Result<(), E> {
        self.see(e);
        let event_id = e.event_id.unwrap_or_default();
        match e.hook {
            Hook::BeforeEventHandling if !event_id.is_empty() => {
                if !self.events.contains_key(event_id) {
                    self.open_event(e, emit)?;
                }
            }
            Hook::BeforeAgentRun => {
                let agent = e.agent_id.unwrap_or_default();
                let trace_id = self.trace_id();
                let event = self.event_for(e, emit)?;
                event.last = event.last.max(e.timestamp);
                match event.runs.iter_mut().find(|r| r.agent == agent) {
                    // The writer records a start twice: the run starts at the last.
                    Some(run) => run.start = e.timestamp,
                    None => event.runs.push(OpenRun {
                        span_id: trace_id.span("run", e.index),
                        agent: agent.to_owned(),
                        start: e.timestamp,
                        notes: Notes::default(),
                    }),
                }
            }
            Hook::AfterAgentRun | Hook::AgentError => self.end_run(e, emit)?,
            Hook::AfterEventHandling if !event_id.is_empty() => {
                let event = match self.events.remove(event_id) {
                    Some(event) => event,
                    None => {
                        // An end without a start: the event is known from this entry alone.
                        self.open_event(e, emit)?;
                        self.events
                            .remove(event_id)
                            .expect("the event was opened just above")
                    }
                };
                self.end_event(event, e.timestamp, Some(e), emit)?;
            }
            _ => self.note(e),
        }
        Ok(())
    }

    /// Ends what is still open (as incomplete: the file ends before they did) and the session.
    pub fn finish<E>(mut self, emit: &mut impl FnMut(&Span) -> Result<(), E>) -> Result<(), E> {
        let mut open: Vec<OpenEvent> = self.events.drain().map(|(_, ev)| ev).collect();
        open.sort_by_key(|ev| ev.order);
        for event in open {
            let end = match event.span_id {
                Some(_) => event.last,
                None => self.session.as_ref().map_or(event.last, |s| s.last),
            };
            self.end_event(event, end, None, emit)?;
        }
        let Some(session) = self.session.take() else {
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
        let session = self.session.get_or_insert_with(|| {
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

    #[allow(
        clippy::expect_used,
        reason = "every entry opens the session before it is handled"
    )]
    fn session(&mut self) -> &mut SessionSpan {
        self.session
            .as_mut()
            .expect("every entry is seen before it is handled")
    }

    fn trace_id(&mut self) -> TraceId {
        self.session().trace_id
    }

    /// The open event `e` belongs to, opened now if `e` is its first entry.
    #[allow(
        clippy::expect_used,
        reason = "the event is opened just above when missing"
    )]
    fn event_for<E>(
        &mut self,
        e: &ExportEntry<'_>,
        emit: &mut impl FnMut(&Span) -> Result<(), E>,
    ) -> Result<&mut OpenEvent, E> {
        let id = e.event_id.unwrap_or_default();
        if !self.events.contains_key(id) {
            self.open_event(e, emit)?;
        }
        Ok(self
            .events
            .get_mut(id)
            .expect("the event is open: it was opened just above if it was not"))
    }

    fn open_event<E>(
        &mut self,
        e: &ExportEntry<'_>,
        emit: &mut impl FnMut(&Span) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.events.len() >= MAX_OPEN_EVENTS {
            // The oldest half ends at once (not one at a time), so that a file whose events
            // never close costs no more per entry than one whose events do.
            let mut oldest: Vec<(u64, String)> = self
                .events
                .iter()
                .filter(|(id, _)| !id.is_empty())
                .map(|(id, ev)| (ev.order, id.clone()))
                .collect();
            oldest.sort_unstable();
            oldest.truncate(MAX_OPEN_EVENTS / 2);
            for (_, id) in oldest {
                if let Some(event) = self.events.remove(&id) {
                    let end = event.last;
                    self.end_event(event, end, None, emit)?;
                }
            }
        }
        let id = e.event_id.unwrap_or_default();
        let session = self.session();
        let (trace_id, session_span) = (session.trace_id, session.span_id);
        let span_id = (!id.is_empty()).then(|| trace_id.span("event", e.index));
        if span_id.is_some() {
            self.session().events += 1;
        }
        let parent = match (e.source_agent_id, e.target_agent_id) {
            (Some(source), target) if span_id.is_some() => self.claim(source, target),
            _ => None,
        };
        self.opened += 1;
        self.events.insert(
            id.to_owned(),
            OpenEvent {
                span_id,
                parent: parent.unwrap_or(session_span),
                id: id.to_owned(),
                source: e.source_agent_id.map(str::to_owned),
                target: e.target_agent_id.map(str::to_owned),
                start: e.timestamp,
                last: e.timestamp,
                order: self.opened,
                runs: Vec::new(),
                failed_agents: VecDeque::new(),
                run_count: 0,
                errors: 0,
                notes: Notes::default(),
            },
        );
        Ok(())
    }

    /// The run of `source` whose output created an event for `target`: the oldest waiting run
    /// that routed there, else the oldest that failed (the runner routes failures onwards).
    fn claim(&mut self, source: &str, target: Option<&str>) -> Option<SpanId> {
        let waiting = self.waiting.get_mut(source)?;
        let at = waiting
            .iter()
            .position(|run| run.route.is_some() && run.route.as_deref() == target)
            .or_else(|| waiting.iter().position(|run| run.failed))?;
        waiting.remove(at).map(|run| run.span_id)
    }

    fn end_run<E>(
        &mut self,
        e: &ExportEntry<'_>,
        emit: &mut impl FnMut(&Span) -> Result<(), E>,
    ) -> Result<(), E> {
        let agent = e.agent_id.unwrap_or_default();
        let trace_id = self.trace_id();
        let session_span = self.session().span_id;
        let event = self.event_for(e, emit)?;
        event.last = event.last.max(e.timestamp);
        let failed = *e.hook == Hook::AgentError || e.error.is_some();
        let run = match event.runs.iter().position(|r| r.agent == agent) {
            Some(at) => event.runs.swap_remove(at),
            // The writer records a failure twice; the run ended at the first.
            None if *e.hook == Hook::AgentError
                && event.failed_agents.iter().any(|a| a == agent) =>
            {
                return Ok(());
            }
            // An end without a start (filtered out, or before the file began).
            None => OpenRun {
                span_id: trace_id.span("run", e.index),
                agent: agent.to_owned(),
                start: e.timestamp,
                notes: Notes::default(),
            },
        };
        if *e.hook == Hook::AgentError {
            if event.failed_agents.len() >= MAX_FAILED_AGENTS {
                event.failed_agents.pop_front();
            }
            event.failed_agents.push_back(agent.to_owned());
        }
        event.run_count += 1;
        event.errors += u64::from(failed);
        let parent = event.span_id.unwrap_or(session_span);
        let event_id = event.id.clone();
        let session = self.session();
        session.runs += 1;
        session.errors += u64::from(failed);
        let conversation = session.id.clone();
        let route = e.next_agent.as_deref().map(str::to_owned);
        if route.is_some() || failed {
            let waiting = self.waiting.entry(agent.to_owned()).or_default();
            if waiting.len() >= MAX_WAITING_RUNS {
                waiting.pop_front();
            }
            waiting.push_back(FinishedRun {
                span_id: run.span_id,
                route: route.clone(),
                failed,
            });
        }
        emit(&run_span(
            trace_id,
            run,
            parent,
            &conversation,
            &event_id,
            RunEnd::Entry(e),
        ))
    }

    fn end_event<E>(
        &mut self,
        mut event: OpenEvent,
        end: Timestamp,
        closing: Option<&ExportEntry<'_>>,
        emit: &mut impl FnMut(&Span) -> Result<(), E>,
    ) -> Result<(), E> {
        let session = self.session();
        let (trace_id, session_span, conversation) =
            (session.trace_id, session.span_id, session.id.clone());
        let parent = event.span_id.unwrap_or(session_span);
        event.runs.sort_by_key(|r| r.start);
        for run in event.runs.drain(..) {
            emit(&run_span(
                trace_id,
                run,
                parent,
                &conversation,
                &event.id,
                RunEnd::Unseen(end.max(event.last)),
            ))?;
        }
        let Some(span_id) = event.span_id else {
            return Ok(());
        };
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
        emit(&Span {
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
        })
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
        let event_id = e.event_id.unwrap_or_default();
        let agent = e.agent_id.unwrap_or_default();
        if let Some(event) = self.events.get_mut(event_id) {
            event.last = event.last.max(e.timestamp);
            if let Some(run) = event.runs.iter_mut().find(|r| r.agent == agent) {
                return run.notes.add(note);
            }
            if event.span_id.is_some() {
                return event.notes.add(note);
            }
        }
        self.session().notes.add(note);
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
) -> Span {
    let mut attributes = vec![
        KeyValue::string("gen_ai.operation.name", "invoke_agent"),
        KeyValue::string("gen_ai.agent.name", run.agent.clone()),
        KeyValue::string("gen_ai.agent.id", run.agent.clone()),
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
            if *e.hook == Hook::AgentError || e.error.is_some() {
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
        name: if run.agent.is_empty() {
            "invoke_agent".to_owned()
        } else {
            format!("invoke_agent {}", run.agent)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TraceEntry;
    use crate::redact::Redactor;
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
            let x = ExportEntry::new(&e, i as u64 + 1, DisplayZone::Utc, None, &Redactor::off());
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

    fn attribute<'s>(span: &'s Span, key: &str) -> Option<&'s crate::otlp::AnyValue> {
        span.attributes
            .iter()
            .find(|kv| kv.key == key)
            .map(|kv| &kv.value)
    }

    #[test]
    fn events_that_never_end_are_ended_in_bounded_memory_and_none_is_lost() {
        let n = MAX_OPEN_EVENTS * 3;
        let lines: Vec<String> = (0..n)
            .map(|i| line((i % 60) as u32, "BeforeAgentRun", &format!("e{i}"), "a"))
            .collect();
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
}
