//! A trace entry as the reader hands it out: typed, and borrowed from the bytes it was read
//! from. State is kept as raw JSON and parsed only when a command asks for it, so a command
//! that needs the hooks and agents of a 1 GB trace does not pay for the state it never shows.

use crate::json::{lookup, members, object_keys, text};
use crate::time::Timestamp;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// One entry of a trace file: what happened at one callback hook.
#[derive(Debug, Clone, Deserialize)]
pub struct TraceEntry<'a> {
    #[serde(deserialize_with = "timestamp")]
    pub timestamp: Timestamp,
    /// The `type` field: empty from the callback writer; `event_start`, `agent_end`, ... from
    /// the in-memory tracer.
    #[serde(rename = "type", default, deserialize_with = "text")]
    pub kind: Cow<'a, str>,
    #[serde(default, deserialize_with = "text")]
    pub event_id: Cow<'a, str>,
    #[serde(default, deserialize_with = "text")]
    pub session_id: Cow<'a, str>,
    #[serde(default, deserialize_with = "text")]
    pub agent_id: Cow<'a, str>,
    #[serde(default, borrow)]
    pub state: Option<State<'a>>,
    #[serde(default, deserialize_with = "non_empty_text")]
    pub error: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub hook: Hook<'a>,
    #[serde(default, deserialize_with = "text")]
    pub target_agent_id: Cow<'a, str>,
    #[serde(default, deserialize_with = "text")]
    pub source_agent_id: Cow<'a, str>,
    #[serde(default, borrow)]
    pub agent_result: Option<AgentResult<'a>>,
    /// A Go duration in nanoseconds, written by sampling trace loggers.
    #[serde(default, rename = "duration")]
    pub duration_ns: Option<f64>,
    /// A duration in milliseconds stated on the entry itself, as agentcli's exports write it
    /// (so that an export read back keeps the durations it was written with).
    #[serde(default, rename = "duration_ms")]
    pub stated_duration_ms: Option<f64>,
}

/// An agent's state: its data and its metadata, both kept as raw JSON until asked for.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct State<'a> {
    #[serde(default, borrow)]
    pub data: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub meta: Option<&'a RawValue>,
}

/// An output state's `data` as `Parse::Metrics` skips it: its bytes, found by their quotes
/// and brackets alone and not checked as JSON, and where its first top-level keys that may
/// name a metric ([`may_name_metric`]) start, marked as the skip passed them, so that the
/// metrics read those members without a second walk over the data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnreadData<'a> {
    pub bytes: &'a [u8],
    marks: [u32; UnreadData::MARKS],
    /// How many keys were marked; past [`UnreadData::MARKS`], they were not all kept.
    marked: u8,
}

impl<'a> UnreadData<'a> {
    /// Keys marked at most: a run reports a few metrics.
    pub const MARKS: usize = 4;

    /// Data whose keys were not marked: every key is to be looked at.
    pub fn unmarked(bytes: &'a [u8]) -> UnreadData<'a> {
        UnreadData {
            bytes,
            marks: [0; UnreadData::MARKS],
            marked: u8::MAX,
        }
    }

    /// Notes a top-level key that may name a metric, its opening quote at `at` in `bytes`.
    pub fn mark(&mut self, at: usize) {
        match (
            self.marks.get_mut(usize::from(self.marked)),
            u32::try_from(at),
        ) {
            (Some(slot), Ok(at)) => {
                *slot = at;
                self.marked += 1;
            }
            _ => self.marked = u8::MAX,
        }
    }

    /// Where the keys that may name a metric start (their opening quotes), or `None` when
    /// they were not all marked.
    pub fn marked(&self) -> Option<&[u32]> {
        self.marks.get(..usize::from(self.marked))
    }
}

/// Whether a key (as written, escapes and all) may name a metric: it holds `token`, `cost` or
/// `usage` in any case, or is not plain ASCII (then only decoding it can tell).
pub fn may_name_metric(key: &[u8]) -> bool {
    // ASCII letters in lower case by their 0x20 bit (only a letter's pair matches a letter).
    let mut i = 0;
    while let Some(&b) = key.get(i) {
        let word: &[u8] = match b | 0x20 {
            b't' => b"token",
            b'c' => b"cost",
            b'u' => b"usage",
            _ if b >= 0x80 || b == b'\\' => return true,
            _ => {
                i += 1;
                continue;
            }
        };
        let here = key.get(i..i + word.len());
        if here.is_some_and(|h| h.iter().zip(word).all(|(&c, &w)| c | 0x20 == w)) {
            return true;
        }
        i += 1;
    }
    false
}

/// What an agent run returned (on `AfterAgentRun` and `AgentError` entries).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AgentResult<'a> {
    /// As the agent set it: 0 unless the agent measured itself.
    #[serde(default, deserialize_with = "number_or_null")]
    pub duration_ms: f64,
    /// `None` when absent or Go's zero time (the writer's "not set").
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub start_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub end_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "non_empty_text")]
    pub error: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub output_state: Option<State<'a>>,
    /// The output state's data as `Parse::Metrics` skipped it (its `data` is then `None`).
    #[serde(skip)]
    pub unread_data: Option<UnreadData<'a>>,
}

/// The callback hook an entry was written at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Hook<'a> {
    BeforeEventHandling,
    BeforeAgentRun,
    AfterAgentRun,
    AgentError,
    AfterEventHandling,
    AllHooks,
    /// A hook this version does not know, as written.
    Other(Cow<'a, str>),
    /// No hook written (and none implied by the entry's `type`).
    #[default]
    Missing,
}

/// The hooks the writer knows, in the order one event goes through them.
pub const KNOWN_HOOKS: [Hook<'static>; 6] = [
    Hook::BeforeEventHandling,
    Hook::BeforeAgentRun,
    Hook::AfterAgentRun,
    Hook::AgentError,
    Hook::AfterEventHandling,
    Hook::AllHooks,
];

impl<'a> Hook<'a> {
    /// Reads a hook name: exact, any case, or with Go's `Hook` prefix (`HookAgentError`).
    pub fn from_name(name: Cow<'a, str>) -> Hook<'a> {
        if name.is_empty() {
            return Hook::Missing;
        }
        let bare = name
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("hook"))
            .map_or(&*name, |_| &name[4..]);
        KNOWN_HOOKS
            .iter()
            .find(|h| h.as_str().eq_ignore_ascii_case(bare))
            .cloned()
            .unwrap_or(Hook::Other(name))
    }

    /// The hook implied by the in-memory tracer's `type` (`event_start`, ...), if any.
    pub(crate) fn from_kind(kind: &str) -> Hook<'static> {
        match kind {
            "event_start" => Hook::BeforeEventHandling,
            "event_end" => Hook::AfterEventHandling,
            "agent_start" => Hook::BeforeAgentRun,
            "agent_end" => Hook::AfterAgentRun,
            "agent_error" => Hook::AgentError,
            _ => Hook::Missing,
        }
    }

    /// The hook's name as the writer spells it (`-` when missing).
    pub fn as_str(&self) -> &str {
        match self {
            Hook::BeforeEventHandling => "BeforeEventHandling",
            Hook::BeforeAgentRun => "BeforeAgentRun",
            Hook::AfterAgentRun => "AfterAgentRun",
            Hook::AgentError => "AgentError",
            Hook::AfterEventHandling => "AfterEventHandling",
            Hook::AllHooks => "AllHooks",
            Hook::Other(name) => name,
            Hook::Missing => "-",
        }
    }
}

impl fmt::Display for Hook<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Hook<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        text(d).map(Hook::from_name)
    }
}

impl<'a> TraceEntry<'a> {
    /// An entry with nothing in it, to be parsed into (parsing is `read::parse`'s).
    pub(crate) fn blank() -> TraceEntry<'a> {
        TraceEntry {
            timestamp: Timestamp {
                unix_nanos: 0,
                offset_secs: 0,
            },
            kind: Cow::Borrowed(""),
            event_id: Cow::Borrowed(""),
            session_id: Cow::Borrowed(""),
            agent_id: Cow::Borrowed(""),
            state: None,
            error: None,
            hook: Hook::Missing,
            target_agent_id: Cow::Borrowed(""),
            source_agent_id: Cow::Borrowed(""),
            agent_result: None,
            duration_ns: None,
            stated_duration_ms: None,
        }
    }

    /// The agent the entry is about: its `agent_id`, else (on `BeforeEventHandling`, written
    /// before an agent is chosen) the event's target. Empty when neither is known.
    pub fn agent(&self) -> &str {
        if self.agent_id.is_empty() {
            &self.target_agent_id
        } else {
            &self.agent_id
        }
    }

    /// The entry's error: its own `error`, else its agent result's.
    pub fn error_message(&self) -> Option<&str> {
        self.error
            .as_deref()
            .or_else(|| self.agent_result.as_ref()?.error.as_deref())
    }

    /// The agent's output state, when the entry carries a result.
    pub fn output_state(&self) -> Option<&State<'a>> {
        self.agent_result.as_ref()?.output_state.as_ref()
    }

    /// The merged state's meta value for `key`: the output state's, else the entry state's.
    pub fn meta(&self, key: &str) -> Option<Cow<'a, str>> {
        [self.output_state(), self.state.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|s| lookup(s.meta?, key))
    }

    /// The agent this entry's run routed to (`route` in the merged meta), if any.
    pub fn route(&self) -> Option<Cow<'a, str>> {
        self.meta("route").filter(|r| !r.is_empty())
    }

    /// The merged state's data, sorted by key; the output state's value wins for a key in both.
    pub fn merged_data(&self) -> Result<Vec<(Cow<'a, str>, &'a RawValue)>, serde_json::Error> {
        merge(
            self.state.and_then(|s| s.data),
            self.output_state().and_then(|s| s.data),
        )
    }

    /// The merged state's meta, sorted by key; the output state's value wins for a key in both.
    pub fn merged_meta(&self) -> Result<Vec<(Cow<'a, str>, &'a RawValue)>, serde_json::Error> {
        merge(
            self.state.and_then(|s| s.meta),
            self.output_state().and_then(|s| s.meta),
        )
    }

    /// The merged state's data as [`merged_data`](Self::merged_data) gives it, but left whole
    /// when it is one object already in merged order: see [`Merge`].
    pub fn data_merge(&self) -> Result<Merge<'a>, serde_json::Error> {
        merge_lazily(
            self.state.and_then(|s| s.data),
            self.output_state().and_then(|s| s.data),
        )
    }

    /// The merged state's meta as [`merged_meta`](Self::merged_meta) gives it, but left whole
    /// when it is one object already in merged order: see [`Merge`].
    pub fn meta_merge(&self) -> Result<Merge<'a>, serde_json::Error> {
        merge_lazily(
            self.state.and_then(|s| s.meta),
            self.output_state().and_then(|s| s.meta),
        )
    }

    /// How long the writer says the run took: a sampling logger's `duration`, a `duration_ms`
    /// on the entry (agentcli's exports), or the agent's own measure in its result (non-zero,
    /// with real times).
    pub fn reported_duration_ms(&self) -> Option<f64> {
        if let Some(ns) = self.duration_ns {
            return Some(ns / 1e6);
        }
        if let Some(ms) = self.stated_duration_ms {
            return Some(ms);
        }
        let result = self.agent_result.as_ref()?;
        match (result.start_time, result.end_time) {
            (Some(start), Some(end)) if result.duration_ms > 0.0 && end >= start => {
                Some(result.duration_ms)
            }
            _ => None,
        }
    }
}

/// The data or meta of a merged state, taken apart only when it has to be.
#[derive(Debug, Clone)]
pub enum Merge<'a> {
    /// One object, as written, that is its own merge: the other state has none, and its keys
    /// are plain (no escapes) and each greater than the one before, as Go writes a map. Its
    /// members are those the merge would give, in the same order: [`object_keys`] reads them.
    Object(&'a RawValue),
    /// The members, sorted by key, each key once.
    Members(Vec<(Cow<'a, str>, &'a RawValue)>),
}

fn merge_lazily<'a>(
    base: Option<&'a RawValue>,
    over: Option<&'a RawValue>,
) -> Result<Merge<'a>, serde_json::Error> {
    match (base, over) {
        (Some(raw), None) | (None, Some(raw)) if is_own_merge(raw) => Ok(Merge::Object(raw)),
        _ => merge(base, over).map(Merge::Members),
    }
}

/// Whether `raw` is an object whose keys are plain and in strictly ascending order.
fn is_own_merge(raw: &RawValue) -> bool {
    if !raw.get().starts_with('{') {
        return false;
    }
    let mut previous: Option<&str> = None;
    for key in object_keys(raw) {
        if key.contains('\\') || previous.is_some_and(|p| p >= key) {
            return false;
        }
        previous = Some(key);
    }
    true
}

fn merge<'a>(
    base: Option<&'a RawValue>,
    over: Option<&'a RawValue>,
) -> Result<Vec<(Cow<'a, str>, &'a RawValue)>, serde_json::Error> {
    let mut all = Vec::new();
    // The overriding members go first so that a stable sort keeps them first among equals.
    for raw in [over, base].into_iter().flatten() {
        all.extend(members(raw)?);
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all.dedup_by(|later, first| later.0 == first.0);
    Ok(all)
}

/// An optional string field where empty means absent (Go's `omitempty` is not always used).
fn non_empty_text<'de: 'a, 'a, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    text(d).map(|s| (!s.is_empty()).then_some(s))
}

fn number_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Option::<f64>::deserialize(d).map(Option::unwrap_or_default)
}

/// A timestamp: an RFC 3339 string, or a Unix epoch number.
fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    struct TimestampVisitor;

    impl Visitor<'_> for TimestampVisitor {
        type Value = Timestamp;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 timestamp")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
            Timestamp::parse_rfc3339(v).ok_or_else(|| {
                E::custom(format_args!(
                    "invalid timestamp {}: expected RFC 3339, like 2025-05-02T14:32:15.123+05:30",
                    crate::text::quote_for_message(v)
                ))
            })
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
            self.visit_f64(v as f64)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
            self.visit_f64(v as f64)
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
            Timestamp::from_epoch_number(v)
                .ok_or_else(|| E::custom(format_args!("invalid timestamp {v}: out of range")))
        }
    }

    d.deserialize_any(TimestampVisitor)
}

/// A result's start or end time: `None` when missing, not a time, or Go's zero time.
fn optional_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    Ok(non_empty_text(d)?
        .and_then(|s| Timestamp::parse_rfc3339(&s))
        .filter(|t| !t.is_go_zero()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::raw_text;

    const AFTER_RUN: &str = r#"{
  "timestamp": "2025-05-02T14:32:15.23284593+05:30",
  "type": "",
  "event_id": "req-88000918-planner",
  "session_id": "req-17461590",
  "agent_id": "planner",
  "state": {"data": {"message": "input", "z": 1}, "meta": {"route": "ignored", "k": "v"}},
  "hook": "AfterAgentRun",
  "target_agent_id": "planner",
  "agent_result": {
    "duration_ms": 0,
    "end_time": "0001-01-01T00:00:00Z",
    "output_state": {
      "data": {"message": "step 0 by \u003cplanner\u003e", "tokens": 958},
      "meta": {"route": "researcher", "session_id": "req-17461590"}
    },
    "start_time": "0001-01-01T00:00:00Z"
  }
}"#;

    #[test]
    fn reads_an_entry_as_the_writer_writes_it() {
        let e = TraceEntry::parse(AFTER_RUN.as_bytes()).unwrap();
        assert_eq!(e.hook, Hook::AfterAgentRun);
        assert_eq!(e.agent_id, "planner");
        assert!(
            matches!(e.agent_id, Cow::Borrowed(_)),
            "plain strings are borrowed"
        );
        assert_eq!(e.route().as_deref(), Some("researcher"));
        assert_eq!(e.meta("k").as_deref(), Some("v"));
        assert_eq!(e.reported_duration_ms(), None);
        let data = e.merged_data().unwrap();
        let keys: Vec<_> = data.iter().map(|(k, _)| &**k).collect();
        assert_eq!(keys, ["message", "tokens", "z"]);
        assert_eq!(raw_text(data[0].1), "step 0 by <planner>");
    }

    #[test]
    fn missing_fields_and_the_in_memory_tracers_types() {
        let e = TraceEntry::parse(br#"{"timestamp":"2025-05-02T14:32:15Z","type":"agent_end"}"#)
            .unwrap();
        assert_eq!(e.hook, Hook::AfterAgentRun);
        assert_eq!(e.route(), None);
        assert!(e.merged_data().unwrap().is_empty());
        let e =
            TraceEntry::parse(br#"{"timestamp":1714640535,"hook":"HookAgentError","error":""}"#)
                .unwrap();
        assert_eq!(e.hook, Hook::AgentError);
        assert_eq!(e.error, None);
    }

    #[test]
    fn wrong_types_are_errors_with_a_position() {
        let err = TraceEntry::parse(b"{\"timestamp\":\"2025-05-02T14:32:15Z\",\n\"agent_id\":42}")
            .unwrap_err();
        assert_eq!((err.line(), err.column()), (2, 13));
        assert!(
            err.to_string().contains("invalid type: integer `42`"),
            "{err}"
        );
        let err = TraceEntry::parse(br#"{"timestamp":"yesterday"}"#).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid timestamp \"yesterday\""),
            "{err}"
        );
        let err = TraceEntry::parse(br#"{"hook":"AfterAgentRun"}"#).unwrap_err();
        assert!(
            err.to_string().contains("missing field `timestamp`"),
            "{err}"
        );
    }

    #[test]
    fn one_object_in_order_is_its_own_merge() {
        let entry = |state: &str, output: &str| {
            format!(
                r#"{{"timestamp":"2025-05-02T10:00:00Z","state":{state},
                    "agent_result":{{"output_state":{output}}}}}"#
            )
        };
        let whole = |json: &str| {
            let e = TraceEntry::parse(json.as_bytes()).unwrap();
            let merged: Vec<_> = e
                .merged_data()
                .unwrap()
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            match e.data_merge().unwrap() {
                Merge::Object(raw) => {
                    assert_eq!(object_keys(raw).collect::<Vec<_>>(), merged);
                    true
                }
                Merge::Members(members) => {
                    assert_eq!(members.len(), merged.len());
                    false
                }
            }
        };
        assert!(whole(&entry(
            "null",
            r#"{"data":{"a":1,"b":{"z":0,"y":1}}}"#
        )));
        assert!(whole(&entry(r#"{"data":{"a":1}}"#, "null")));
        assert!(whole(&entry("null", r#"{"data":{}}"#)));
        // Out of order, a key twice, an escaped key, data on both sides: merged apart.
        assert!(!whole(&entry("null", r#"{"data":{"b":1,"a":2}}"#)));
        assert!(!whole(&entry("null", r#"{"data":{"a":1,"a":2}}"#)));
        assert!(!whole(&entry("null", r#"{"data":{"\u0061":1}}"#)));
        assert!(!whole(&entry(r#"{"data":{"a":1}}"#, r#"{"data":{"b":1}}"#)));
    }

    #[test]
    fn a_measured_duration_is_used() {
        let e = TraceEntry::parse(
            br#"{"timestamp":"2025-05-02T14:32:19Z","agent_result":{"duration_ms":8,
            "start_time":"2025-05-02T14:32:19.577+05:30","end_time":"2025-05-02T14:32:19.585+05:30"}}"#,
        )
        .unwrap();
        assert_eq!(e.reported_duration_ms(), Some(8.0));
    }
}
