//! The normalised export entry: every trace entry in one documented shape (docs/formats.md,
//! "Exports"), whatever writer produced it, shared by the JSON, JSON Lines, CSV and OTLP exports;
//! and the clock that gives entries their durations as a file streams past.

use crate::analysis::Agents;
use crate::analysis::runs::{Ended, Handled, Runs, Sink};
use crate::json::object_keys;
use crate::model::{Hook, Merge, TraceEntry};
use crate::time::{DisplayZone, Rfc3339, Timestamp};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// One trace entry as the exports show it. Text is borrowed from the entry; an empty field of
/// the input is `None` (JSON `null`, an empty CSV cell).
#[derive(Debug, Clone)]
pub struct ExportEntry<'e> {
    /// The entry as read: what the OTLP spans pair into runs and events.
    pub entry: &'e TraceEntry<'e>,
    /// The entry's number in its file, from 1 (OTLP span ids derive from it).
    pub index: u64,
    pub timestamp: Timestamp,
    /// The zone `timestamp` is written in.
    pub zone: DisplayZone,
    /// The `type` written by the in-memory tracer (`event_start`, ...): empty from the callback
    /// writer, and then not exported.
    pub kind: &'e str,
    pub hook: &'e Hook<'e>,
    pub agent_id: Option<&'e str>,
    pub event_id: Option<&'e str>,
    pub session_id: Option<&'e str>,
    pub source_agent_id: Option<&'e str>,
    pub target_agent_id: Option<&'e str>,
    /// The agent this run routed to: `route` in the merged meta.
    pub next_agent: Option<Cow<'e, str>>,
    /// How long the run (on `AfterAgentRun` / `AgentError`) or the event (on
    /// `AfterEventHandling`) took, when known: see `Clock`.
    pub duration_ms: Option<f64>,
    /// The entry's error, else its agent result's.
    pub error: Option<&'e str>,
    /// The merged state (`state` and `agent_result.output_state`, the latter winning); `None`
    /// when the entry has neither.
    pub state: Option<ExportState<'e>>,
}

/// A merged state: its data and its meta.
#[derive(Debug, Clone)]
pub struct ExportState<'e> {
    pub data: StateMap<'e>,
    pub meta: StateMap<'e>,
}

/// The data or the meta of a merged state.
#[derive(Debug, Clone)]
pub enum StateMap<'e> {
    /// An object's members, sorted by key, values as written.
    Members(Vec<(Cow<'e, str>, &'e RawValue)>),
    /// An object as written, whose members are already those, in that order
    /// ([`Merge::Object`]): written as it is, not taken apart.
    Object(&'e RawValue),
    /// A value that is not an object (so cannot be merged): the output state's when it has
    /// one, else the entry state's, as written.
    Other(&'e RawValue),
}

impl<'e> ExportEntry<'e> {
    /// The normalised form of `entry`, at place `index` in its file, with the duration the
    /// clock measured for it (redaction is the reader's: the entry is already redacted).
    pub fn new(
        entry: &'e TraceEntry<'e>,
        index: u64,
        zone: DisplayZone,
        duration_ms: Option<f64>,
    ) -> ExportEntry<'e> {
        let text = |s: &'e Cow<'e, str>| (!s.is_empty()).then_some(&**s);
        ExportEntry {
            entry,
            index,
            timestamp: entry.timestamp,
            zone,
            kind: &entry.kind,
            hook: &entry.hook,
            agent_id: text(&entry.agent_id),
            event_id: text(&entry.event_id),
            session_id: text(&entry.session_id),
            source_agent_id: text(&entry.source_agent_id),
            target_agent_id: text(&entry.target_agent_id),
            next_agent: entry.route(),
            duration_ms,
            error: entry.error_message(),
            state: ExportState::of(entry),
        }
    }

    /// The hook's name, `None` when the entry has none.
    pub fn hook_name(&self) -> Option<&str> {
        (*self.hook != Hook::Missing).then(|| self.hook.as_str())
    }

    /// The timestamp as the exports write it: RFC 3339 with nanoseconds, in `zone`.
    pub fn timestamp_text(&self) -> Rfc3339 {
        self.timestamp.rfc3339_nanos(self.zone)
    }
}

impl<'e> ExportState<'e> {
    fn of(entry: &'e TraceEntry<'e>) -> Option<ExportState<'e>> {
        let output = entry.output_state();
        if entry.state.is_none() && output.is_none() {
            return None;
        }
        let side = |merged: Result<Merge<'e>, _>,
                    over: Option<&'e RawValue>,
                    base: Option<&'e RawValue>| match (merged, over.or(base)) {
            (Ok(Merge::Object(raw)), _) => StateMap::Object(raw),
            (Ok(Merge::Members(members)), _) => StateMap::Members(members),
            (Err(_), Some(raw)) => StateMap::Other(raw),
            (Err(_), None) => StateMap::Members(Vec::new()),
        };
        let (data, meta) = (entry.data_merge(), entry.meta_merge());
        Some(ExportState {
            data: side(
                data,
                output.and_then(|s| s.data),
                entry.state.and_then(|s| s.data),
            ),
            meta: side(
                meta,
                output.and_then(|s| s.meta),
                entry.state.and_then(|s| s.meta),
            ),
        })
    }
}

impl StateMap<'_> {
    /// The keys of an object (none for another value).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        let (members, object) = match self {
            StateMap::Members(members) => (members.as_slice(), None),
            StateMap::Object(raw) => (&[][..], Some(*raw)),
            StateMap::Other(_) => (&[][..], None),
        };
        let members = members.iter().map(|(k, _)| &**k);
        members.chain(object.into_iter().flat_map(object_keys))
    }

    /// Whether it is an object without members.
    pub fn is_empty(&self) -> bool {
        match self {
            StateMap::Members(members) => members.is_empty(),
            StateMap::Object(raw) => object_keys(raw).next().is_none(),
            StateMap::Other(_) => false,
        }
    }
}

/// Measures durations as entries stream past, by the one pairing of runs and events
/// (`analysis::runs`, as `trace --analyze` and the flow view pair them): an agent run lasts from
/// its last `BeforeAgentRun` to its first `AfterAgentRun` or `AgentError` (same event and
/// agent), an event from `BeforeEventHandling` to `AfterEventHandling`. Where the file holds no
/// start, a duration the writer stated (a sampling logger's `duration`, the agent's own measure
/// in its result, an export's `duration_ms`) is taken as it is. Memory holds open events only.
#[derive(Debug)]
pub struct Clock {
    runs: Runs,
    measured: Measured,
}

/// What pairing measured for the entry just taken: `Some` when it ended a run or an event whose
/// start was seen (`None` inside when the start is later than the end: clock skew).
#[derive(Debug, Default)]
struct Measured(Option<Option<f64>>);

impl Measured {
    fn between(&mut self, start: Timestamp, end: Timestamp) {
        self.0 = Some(Some(start.millis_until(end)).filter(|ms| *ms >= 0.0));
    }
}

impl Sink for Measured {
    fn run_ended(&mut self, run: &Ended<'_>) {
        if let Some(started) = run.started {
            self.between(started.at, run.at.at);
        }
    }

    fn event_handled(&mut self, event: &Handled<'_>) {
        if let Some(started) = event.started {
            self.between(started.at, event.at.at);
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

impl Clock {
    pub fn new() -> Clock {
        Clock {
            runs: Runs::without_linking(Agents::bounded()),
            measured: Measured::default(),
        }
    }

    /// Takes in the next entry of the file; returns its duration, when it ends a run or an event
    /// whose start was seen, or when the writer stated one.
    pub fn duration_ms(&mut self, e: &TraceEntry<'_>) -> Option<f64> {
        self.measured = Measured::default();
        self.runs.add(e, true, &mut self.measured);
        // As `trace --analyze` times runs: from the entries' own times; a start later than its
        // end (clock skew) gives no duration.
        self.measured
            .0
            .take()
            .unwrap_or_else(|| e.reported_duration_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::json::{Layout, write_state};

    fn entry(json: &str) -> TraceEntry<'_> {
        TraceEntry::parse(json.as_bytes()).unwrap()
    }

    fn state_json(x: &ExportEntry<'_>) -> String {
        let mut out = Vec::new();
        write_state(&mut out, x.state.as_ref().unwrap(), Layout::Compact, 0).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn runs_last_from_the_last_start_and_events_from_their_start() {
        let mut clock = Clock::new();
        let lines = [
            r#"{"timestamp":"2025-05-02T10:00:00Z","event_id":"e","hook":"BeforeEventHandling"}"#,
            r#"{"timestamp":"2025-05-02T10:00:00.001Z","event_id":"e","agent_id":"a","hook":"BeforeAgentRun"}"#,
            r#"{"timestamp":"2025-05-02T10:00:00.002Z","event_id":"e","agent_id":"a","hook":"BeforeAgentRun"}"#,
            r#"{"timestamp":"2025-05-02T10:00:00.1025Z","event_id":"e","agent_id":"a","hook":"AgentError"}"#,
            r#"{"timestamp":"2025-05-02T10:00:00.103Z","event_id":"e","agent_id":"a","hook":"AgentError"}"#,
            r#"{"timestamp":"2025-05-02T10:00:00.2Z","event_id":"e","agent_id":"a","hook":"AfterEventHandling"}"#,
            r#"{"timestamp":"2025-05-02T10:00:01Z","event_id":"f","agent_id":"b","hook":"AfterAgentRun"}"#,
        ];
        let durations: Vec<Option<f64>> =
            lines.iter().map(|l| clock.duration_ms(&entry(l))).collect();
        assert_eq!(
            durations,
            [None, None, None, Some(100.5), None, Some(200.0), None]
        );
    }

    #[test]
    fn a_duration_the_writer_reported_is_taken_as_it_is() {
        let mut clock = Clock::new();
        let sampled = r#"{"timestamp":"2025-05-02T10:00:00Z","agent_id":"a","duration":1500000}"#;
        assert_eq!(clock.duration_ms(&entry(sampled)), Some(1.5));
        let measured = r#"{"timestamp":"2025-05-02T10:00:00Z","hook":"AfterAgentRun","agent_result":{"duration_ms":42,"start_time":"2025-05-02T09:59:59Z","end_time":"2025-05-02T10:00:00Z"}}"#;
        assert_eq!(clock.duration_ms(&entry(measured)), Some(42.0));
        // With the start in the file, the entries' times win, as in `trace --analyze`.
        let start = r#"{"timestamp":"2025-05-02T09:59:59.9Z","hook":"BeforeAgentRun"}"#;
        clock.duration_ms(&entry(start));
        assert_eq!(clock.duration_ms(&entry(measured)), Some(100.0));
        let skewed = r#"{"timestamp":"2025-05-02T10:00:01Z","hook":"BeforeAgentRun"}"#;
        clock.duration_ms(&entry(skewed));
        assert_eq!(clock.duration_ms(&entry(measured)), None);
    }

    #[test]
    fn open_events_are_bounded() {
        let mut clock = Clock::new();
        let limit = crate::analysis::runs::OPEN_LIMIT;
        let at = |event: usize, second: u32, hook: &str| {
            format!(
                r#"{{"timestamp":"2025-05-02T10:00:{second:02}Z","event_id":"e{event}","hook":"{hook}"}}"#
            )
        };
        for i in 0..limit + 10 {
            clock.duration_ms(&entry(&at(i, 0, "BeforeEventHandling")));
        }
        // The oldest were forgotten to make room; the newest are still open.
        assert_eq!(
            clock.duration_ms(&entry(&at(0, 1, "AfterEventHandling"))),
            None
        );
        assert_eq!(
            clock.duration_ms(&entry(&at(limit + 9, 1, "AfterEventHandling"))),
            Some(1000.0)
        );
    }

    #[test]
    fn the_state_is_merged_and_empty_text_is_absent() {
        let e = entry(
            r#"{"timestamp":"2025-05-02T14:32:15.1+05:30","type":"","event_id":"e","agent_id":"",
                "state":{"data":{"a":1,"b":"old"},"meta":null},
                "agent_result":{"output_state":{"data":{"b":"new"},"meta":{"route":"next"}}}}"#,
        );
        let x = ExportEntry::new(&e, 0, DisplayZone::Written, None);
        assert_eq!(x.agent_id, None);
        assert_eq!(x.next_agent.as_deref(), Some("next"));
        assert_eq!(
            x.timestamp_text().as_str(),
            "2025-05-02T14:32:15.100000000+05:30"
        );
        assert_eq!(
            state_json(&x),
            r#"{"data":{"a":1,"b":"new"},"meta":{"route":"next"}}"#
        );
        let odd = entry(r#"{"timestamp":"2025-05-02T10:00:00Z","state":{"data":[1,2]}}"#);
        let x = ExportEntry::new(&odd, 0, DisplayZone::Utc, None);
        assert_eq!(state_json(&x), r#"{"data":[1,2],"meta":{}}"#);
    }
}
