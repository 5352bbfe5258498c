//! OpenTelemetry traces from trace files: a session as one trace, its events and agent runs as
//! spans (`spans`), written in the OTLP/JSON encoding of an `ExportTraceServiceRequest` (this
//! module), and sent to an OTLP/HTTP collector (`http`).
//!
//! The encoding follows the OTLP specification's JSON mapping: lowerCamelCase field names, trace
//! and span ids as hex (not base64), enums as integers, 64-bit integers as decimal strings.

mod document;
pub mod http;
pub mod spans;

pub use document::OtlpDocument;

use crate::export::json::{self, Layout};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

/// `service.name` of the resource the spans are reported under, unless the user names another.
pub const DEFAULT_SERVICE_NAME: &str = "agenticgokit";

/// `SPAN_KIND_INTERNAL`: agent runs and events are work inside one application.
pub const SPAN_KIND_INTERNAL: u8 = 1;
/// `STATUS_CODE_ERROR`.
pub const STATUS_CODE_ERROR: u8 = 2;

/// A trace id: 16 bytes, written as 32 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId(pub [u8; 16]);

/// A span id: 8 bytes, written as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpanId(pub [u8; 8]);

impl TraceId {
    /// The trace of a session: the first 16 bytes of SHA-256 over `agentcli session ` and the
    /// session id, so exporting a session twice gives the same trace id.
    pub fn of_session(session: &str) -> TraceId {
        let digest = Sha256::new()
            .chain_update(b"agentcli session ")
            .chain_update(session.as_bytes())
            .finalize();
        let mut id = [0; 16];
        id.copy_from_slice(&digest[..16]);
        TraceId(id)
    }

    /// A span of this trace: the first 8 bytes of SHA-256 over the trace id, what the span is
    /// (`run`, `event`, `session`) and the place in the file of the entry that opened it.
    pub fn span(&self, what: &str, index: u64) -> SpanId {
        let digest = Sha256::new()
            .chain_update(self.0)
            .chain_update(what.as_bytes())
            .chain_update(index.to_le_bytes())
            .finalize();
        let mut id = [0; 8];
        id.copy_from_slice(&digest[..8]);
        if id == [0; 8] {
            // An all-zero span id means "none" in OTLP.
            id[7] = 1;
        }
        SpanId(id)
    }
}

fn hex(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

/// Lower-case hex, as OTLP/JSON and tracing UIs write ids.
impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex(&self.0, f)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex(&self.0, f)
    }
}

impl Serialize for TraceId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for SpanId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One span, as OTLP/JSON writes it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Span {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_span_id: Option<SpanId>,
    pub name: String,
    pub kind: u8,
    #[serde(serialize_with = "decimal")]
    pub start_time_unix_nano: u64,
    #[serde(serialize_with = "decimal")]
    pub end_time_unix_nano: u64,
    pub attributes: Vec<KeyValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<SpanEvent>,
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_events_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

/// Something that happened at one moment of a span (an entry that opens or closes no span; an
/// exception).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpanEvent {
    #[serde(serialize_with = "decimal")]
    pub time_unix_nano: u64,
    pub name: String,
    pub attributes: Vec<KeyValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub code: u8,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// An attribute.
#[derive(Debug, Clone, Serialize)]
pub struct KeyValue {
    /// A name of the conventions, or one made of a trace's keys (`agentcli.metric.cost_usd`).
    pub key: Cow<'static, str>,
    pub value: AnyValue,
}

/// An attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyValue {
    String(String),
    Int(i64),
    Double(f64),
    Bool(bool),
}

impl Serialize for AnyValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        match self {
            AnyValue::String(v) => m.serialize_entry("stringValue", v)?,
            AnyValue::Int(v) => m.serialize_entry("intValue", &v.to_string())?,
            AnyValue::Double(v) => m.serialize_entry("doubleValue", v)?,
            AnyValue::Bool(v) => m.serialize_entry("boolValue", v)?,
        }
        m.end()
    }
}

impl KeyValue {
    pub fn string(key: &'static str, value: impl Into<String>) -> KeyValue {
        KeyValue {
            key: Cow::Borrowed(key),
            value: AnyValue::String(value.into()),
        }
    }

    pub fn int(key: &'static str, value: u64) -> KeyValue {
        KeyValue {
            key: Cow::Borrowed(key),
            value: AnyValue::Int(i64::try_from(value).unwrap_or(i64::MAX)),
        }
    }

    pub fn double(key: &'static str, value: f64) -> KeyValue {
        KeyValue {
            key: Cow::Borrowed(key),
            value: AnyValue::Double(value),
        }
    }

    /// A number under a name made at run time.
    pub fn double_named(key: String, value: f64) -> KeyValue {
        KeyValue {
            key: Cow::Owned(key),
            value: AnyValue::Double(value),
        }
    }

    pub fn bool(key: &'static str, value: bool) -> KeyValue {
        KeyValue {
            key: Cow::Borrowed(key),
            value: AnyValue::Bool(value),
        }
    }
}

fn decimal<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(n)
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The parts of an `ExportTraceServiceRequest` around its spans: all spans go under one
/// resource (the traced application, named `service_name`) and one instrumentation scope
/// (agentcli, which made the spans from the trace files).
pub struct Envelope {
    head: Vec<u8>,
}

/// What closes an envelope after its spans.
pub const ENVELOPE_TAIL: &[u8] = b"]}]}]}";

impl Envelope {
    pub fn new(service_name: &str) -> Envelope {
        let resource = serde_json::json!({
            "attributes": [KeyValue::string("service.name", service_name)],
        });
        let scope = serde_json::json!({
            "name": "agentcli",
            "version": env!("CARGO_PKG_VERSION"),
        });
        let mut head = Vec::new();
        head.extend_from_slice(b"{\"resourceSpans\":[{\"resource\":");
        head.extend_from_slice(resource.to_string().as_bytes());
        head.extend_from_slice(b",\"scopeSpans\":[{\"scope\":");
        head.extend_from_slice(scope.to_string().as_bytes());
        head.extend_from_slice(b",\"spans\":[");
        Envelope { head }
    }

    /// What opens the request, up to its first span.
    pub fn head(&self) -> &[u8] {
        &self.head
    }
}

/// Writes one span as compact JSON.
pub fn write_span(out: &mut dyn Write, span: &Span) -> io::Result<()> {
    json::write(out, span, Layout::Compact, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_derived_from_the_session() {
        let a = TraceId::of_session("req-17461590");
        assert_eq!(a, TraceId::of_session("req-17461590"));
        assert_ne!(a, TraceId::of_session("req-17461591"));
        assert_ne!(a.span("run", 3), a.span("run", 4));
        assert_ne!(a.span("run", 3), a.span("event", 3));
        assert_eq!(
            serde_json::to_string(&a).unwrap().len(),
            34,
            "32 hex digits, quoted"
        );
    }

    #[test]
    fn values_are_written_as_otlp_json_writes_them() {
        let kvs = [
            KeyValue::string("s", "x"),
            KeyValue::int("i", 7),
            KeyValue::double("d", 1.5),
            KeyValue::bool("b", true),
        ];
        assert_eq!(
            serde_json::to_string(&kvs).unwrap(),
            r#"[{"key":"s","value":{"stringValue":"x"}},{"key":"i","value":{"intValue":"7"}},{"key":"d","value":{"doubleValue":1.5}},{"key":"b","value":{"boolValue":true}}]"#
        );
    }
}
