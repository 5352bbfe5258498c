//! OTLP as the OpenTelemetry protobuf definitions read it: a decoder of OTLP/JSON documents on the
//! `opentelemetry-proto` crate's generated types, and an OTLP/HTTP collector on 127.0.0.1 that
//! decodes every request `export` sends. (`tests/otlp/otlp.py` decodes the same way with the
//! official Python package: the external suite checks the two agree.)

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The spans of an OTLP/JSON `ExportTraceServiceRequest`, as the protobuf definitions read them
/// (one JSON object per span: `resource`, `scope`, `trace_id`, `span_id`, `parent_span_id`,
/// `name`, `kind`, `start`, `end`, `attributes`, `events`, `dropped_events`, `status`).
pub fn decode(document: &str) -> Vec<Value> {
    try_decode(document)
        .unwrap_or_else(|e| panic!("the protobuf definitions reject the document: {e}"))
}

/// Like [`decode`], strict as protobuf's own JSON parser is: a field the definitions do not
/// know, or an id of the wrong size, is an error (serde alone would ignore the one and keep the
/// other).
pub fn try_decode(document: &str) -> Result<Vec<Value>, String> {
    let request: ExportTraceServiceRequest =
        serde_json::from_str(document).map_err(|e| e.to_string())?;
    let written: Value = serde_json::from_str(document).map_err(|e| e.to_string())?;
    let known = serde_json::to_value(&request).map_err(|e| e.to_string())?;
    only_known_fields(&written, &known, "")?;
    let mut spans = Vec::new();
    for resource_spans in &request.resource_spans {
        let resource = attributes(
            resource_spans
                .resource
                .as_ref()
                .map_or(&[][..], |r| &r.attributes),
        );
        for scope_spans in &resource_spans.scope_spans {
            let scope = scope_spans.scope.as_ref().map_or("", |s| s.name.as_str());
            for span in &scope_spans.spans {
                let trace_id = id(&span.trace_id, &[16], "traceId")?;
                let span_id = id(&span.span_id, &[8], "spanId")?;
                let parent_span_id = id(&span.parent_span_id, &[0, 8], "parentSpanId")?;
                let status = span.status.clone().unwrap_or_default();
                let events: Vec<Value> = span
                    .events
                    .iter()
                    .map(|e| {
                        json!({
                            "name": e.name,
                            "time": e.time_unix_nano,
                            "attributes": attributes(&e.attributes),
                        })
                    })
                    .collect();
                spans.push(json!({
                    "resource": resource,
                    "scope": scope,
                    "trace_id": trace_id,
                    "span_id": span_id,
                    "parent_span_id": parent_span_id,
                    "name": span.name,
                    "kind": span.kind,
                    "start": span.start_time_unix_nano,
                    "end": span.end_time_unix_nano,
                    "attributes": attributes(&span.attributes),
                    "events": events,
                    "dropped_events": span.dropped_events_count,
                    "status": {"code": status.code, "message": status.message},
                }));
            }
        }
    }
    Ok(spans)
}

/// Every object key of `written` is one the definitions know: it is there again in `known`, the
/// request the definitions read, written back.
fn only_known_fields(written: &Value, known: &Value, at: &str) -> Result<(), String> {
    match (written, known) {
        (Value::Object(written), Value::Object(known)) => {
            for (key, value) in written {
                let place = format!("{at}.{key}");
                let known = known
                    .get(key)
                    .ok_or_else(|| format!("{place}: no such field in the definitions"))?;
                only_known_fields(value, known, &place)?;
            }
            Ok(())
        }
        (Value::Array(written), Value::Array(known)) => written
            .iter()
            .zip(known)
            .enumerate()
            .try_for_each(|(i, (w, k))| only_known_fields(w, k, &format!("{at}[{i}]"))),
        _ => Ok(()),
    }
}

/// An id in hex, checked to be of one of the sizes the definitions allow.
fn id(bytes: &[u8], sizes: &[usize], name: &str) -> Result<String, String> {
    if !sizes.contains(&bytes.len()) {
        return Err(format!("{name} has {} bytes, not {sizes:?}", bytes.len()));
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn attributes(pairs: &[KeyValue]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|kv| (kv.key.clone(), value_of(kv.value.as_ref())))
        .collect()
}

/// An attribute's value; agentcli writes only strings, integers, doubles and booleans.
fn value_of(value: Option<&AnyValue>) -> Value {
    match value.and_then(|v| v.value.as_ref()) {
        None => Value::Null,
        Some(any_value::Value::StringValue(s)) => json!(s),
        Some(any_value::Value::BoolValue(b)) => json!(b),
        Some(any_value::Value::IntValue(i)) => json!(i),
        Some(any_value::Value::DoubleValue(d)) => json!(d),
        Some(other) => panic!("agentcli writes no attribute values like {other:?}"),
    }
}

/// One request the collector accepted.
pub struct Request {
    pub method: String,
    pub path: String,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    /// The body's size.
    pub bytes: usize,
    /// The body's spans, or why the definitions reject it.
    pub spans: Result<Vec<Value>, String>,
}

/// How the collector answers.
#[derive(Clone, Copy)]
struct Answers {
    /// The first this many requests are answered 503 (a collector warming up: send again).
    refuse_first: usize,
    /// Then every request is answered with this status (200: accepted and decoded).
    status: u16,
}

/// An OTLP/HTTP collector on 127.0.0.1, in a thread of the test; stopped when dropped.
pub struct Collector {
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    accepted: Arc<Mutex<Vec<Request>>>,
    port: u16,
}

impl Collector {
    /// A collector that accepts every request.
    pub fn start() -> Collector {
        Collector::answering(Answers {
            refuse_first: 0,
            status: 200,
        })
    }

    /// A collector that answers its first `n` requests 503, then accepts.
    pub fn refusing_first(n: usize) -> Collector {
        Collector::answering(Answers {
            refuse_first: n,
            status: 200,
        })
    }

    /// A collector that answers every request with `status`, with an OTLP error message.
    pub fn refusing_all(status: u16) -> Collector {
        Collector::answering(Answers {
            refuse_first: 0,
            status,
        })
    }

    fn answering(answers: Answers) -> Collector {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("a port on 127.0.0.1"));
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (server, accepted) = (Arc::clone(&server), Arc::clone(&accepted));
            std::thread::spawn(move || serve(&server, answers, &accepted))
        };
        Collector {
            server,
            thread: Some(thread),
            accepted,
            port,
        }
    }

    /// The base URL to give `--otlp-endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests were accepted so far.
    pub fn request_count(&self) -> usize {
        self.accepted.lock().expect("the collector's lock").len()
    }

    /// Runs `f` on the requests accepted so far.
    pub fn with_requests<T>(&self, f: impl FnOnce(&[Request]) -> T) -> T {
        f(&self.accepted.lock().expect("the collector's lock"))
    }

    /// Every span accepted so far, checking that each request was an OTLP/JSON POST to
    /// `/v1/traces` that decoded.
    pub fn spans(&self) -> Vec<Value> {
        self.with_requests(|requests| {
            let mut spans = Vec::new();
            for request in requests {
                assert_eq!(request.method, "POST");
                assert_eq!(request.path, "/v1/traces");
                assert_eq!(request.content_type.as_deref(), Some("application/json"));
                match &request.spans {
                    Ok(decoded) => spans.extend(decoded.iter().cloned()),
                    Err(e) => panic!("a request did not decode: {e}"),
                }
            }
            spans
        })
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers requests until the server is unblocked.
fn serve(server: &tiny_http::Server, answers: Answers, accepted: &Mutex<Vec<Request>>) {
    let mut received = 0;
    for mut request in server.incoming_requests() {
        received += 1;
        let mut body = Vec::new();
        let read = request.as_reader().read_to_end(&mut body);
        let (status, message) = if received <= answers.refuse_first {
            (503, r#"{"code":14,"message":"warming up"}"#)
        } else if answers.status != 200 {
            (
                answers.status,
                r#"{"code":3,"message":"spans not welcome here"}"#,
            )
        } else {
            let header = |name: &str| {
                request
                    .headers()
                    .iter()
                    .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                    .map(|h| h.value.as_str().to_owned())
            };
            let spans = read
                .map_err(|e| format!("the body could not be read: {e}"))
                .and_then(|_| {
                    std::str::from_utf8(&body).map_err(|e| format!("the body is not UTF-8: {e}"))
                })
                .and_then(try_decode);
            let record = Request {
                method: request.method().to_string(),
                path: request.url().to_owned(),
                content_type: header("Content-Type"),
                authorization: header("Authorization"),
                bytes: body.len(),
                spans,
            };
            accepted.lock().expect("the collector's lock").push(record);
            (200, "{}")
        };
        let content_type = tiny_http::Header::from_bytes("Content-Type", "application/json")
            .expect("a valid header");
        let response = tiny_http::Response::from_string(message)
            .with_status_code(status)
            .with_header(content_type);
        let _ = request.respond(response);
    }
}

/// The decoder holds OTLP/JSON to the definitions as protobuf's own JSON parser does, so a test
/// that decodes agentcli's output fails where a collector would reject it.
#[test]
fn the_decoder_rejects_what_the_definitions_do_not_allow() {
    let span = r#"{"traceId":"000102030405060708090a0b0c0d0e0f","spanId":"1011121314151617",
        "name":"s","kind":1,"startTimeUnixNano":"5","endTimeUnixNano":"7",
        "attributes":[{"key":"n","value":{"intValue":"3"}}],"status":{"code":2,"message":"no"}}"#;
    let document = |span: &str| {
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"scope":{{"name":"x"}},"spans":[{span}]}}]}}]}}"#
        )
    };
    assert_eq!(
        decode(&document(span)),
        [json!({
            "resource": {}, "scope": "x",
            "trace_id": "000102030405060708090a0b0c0d0e0f", "span_id": "1011121314151617",
            "parent_span_id": "", "name": "s", "kind": 1, "start": 5, "end": 7,
            "attributes": {"n": 3}, "events": [], "dropped_events": 0,
            "status": {"code": 2, "message": "no"},
        })]
    );
    for (bad, why) in [
        (
            span.replace("\"kind\"", "\"knid\""),
            "[0].knid: no such field",
        ),
        (
            span.replace("\"intValue\"", "\"integerValue\""),
            "value.integerValue: no such field",
        ),
        (
            span.replace("1011121314151617", "10111213"),
            "spanId has 4 bytes",
        ),
        (span.replace("0c0d0e0f", "0c0d0e0g"), "invalid character"),
        (
            span.replace("\"kind\":1", "\"kind\":\"one\""),
            "invalid type",
        ),
        (span.replace("\"5\"", "\"-5\""), "invalid digit"),
    ] {
        let error = try_decode(&document(&bad)).expect_err(&bad);
        assert!(error.contains(why), "{why} in {error}");
    }
}
