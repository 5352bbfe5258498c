//! Sending spans to an OTLP/HTTP collector (the OpenTelemetry Collector, Jaeger, Grafana Tempo):
//! JSON `ExportTraceServiceRequest` bodies POSTed to `<endpoint>/v1/traces` in batches of
//! bounded size, retried a bounded number of times when the collector cannot be reached or asks
//! to slow down (429, 502, 503, 504, as the OTLP specification says), never when it refuses.

use super::{ENVELOPE_TAIL, Envelope, Span, write_span};
use crate::error::Error;
use crate::text;
use std::time::Duration;

/// A request is sent once its body reaches this size...
pub const MAX_BODY_BYTES: usize = 2 << 20;
/// ... or holds this many spans.
pub const MAX_SPANS: u64 = 2048;
/// The wait before the first retry; it doubles for each retry after.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait between tries, whatever the collector asks for.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long one request may take in all.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct CollectorOptions {
    /// The full URL spans are POSTed to (`http://host:4318/v1/traces`).
    pub url: String,
    /// Extra request headers (authentication for hosted backends).
    pub headers: Vec<(String, String)>,
    /// Tries after the first, for failures worth trying again.
    pub retries: u32,
    /// `service.name` of the resource the spans are reported under.
    pub service_name: String,
}

/// The URL of the traces endpoint of an OTLP/HTTP collector at `endpoint` (a base URL such as
/// `http://localhost:4318`, or the full `.../v1/traces`).
pub fn traces_url(endpoint: &str) -> Result<String, String> {
    let endpoint = endpoint.trim();
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return Err(format!(
            "'{}' is not a URL: expected http://HOST:PORT or https://HOST:PORT (an OTLP/HTTP collector listens on port 4318)",
            text::escape(endpoint, false)
        ));
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(format!(
            "'{}' is not an http:// or https:// URL",
            text::escape(endpoint, false)
        ));
    }
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("'{}' names no host", text::escape(endpoint, false)));
    }
    let base = endpoint.trim_end_matches('/');
    Ok(if base.ends_with("/v1/traces") {
        base.to_owned()
    } else {
        format!("{base}/v1/traces")
    })
}

/// What was sent, and what the collector said about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    pub requests: u64,
    pub spans: u64,
    /// Bytes of request bodies.
    pub bytes: u64,
    /// Spans the collector accepted the request of, but said it dropped (partial success).
    pub rejected: u64,
    /// Messages that came with partial successes.
    pub warnings: Vec<String>,
}

/// Gathers spans into requests and sends each when it is full (and the last at `flush`).
pub struct Sender {
    agent: ureq::Agent,
    options: CollectorOptions,
    envelope: Envelope,
    body: Vec<u8>,
    batch: u64,
    sent: Sent,
}

/// How one try went.
enum Try {
    Accepted(String),
    /// Worth another try: why not this time, and how long the collector asked us to wait.
    Again(String, Option<Duration>),
    Refused(String),
}

impl Sender {
    pub fn new(options: CollectorOptions) -> Sender {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .user_agent(concat!("agentcli/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Sender {
            agent,
            envelope: Envelope::new(&options.service_name),
            options,
            body: Vec::new(),
            batch: 0,
            sent: Sent::default(),
        }
    }

    /// What was sent so far.
    pub fn sent(&self) -> &Sent {
        &self.sent
    }

    /// Adds a span to the request being gathered, and sends the request when it is full.
    pub fn span(&mut self, span: &Span) -> Result<(), Error> {
        if self.batch == 0 {
            self.body.clear();
            self.body.extend_from_slice(self.envelope.head());
        } else {
            self.body.push(b',');
        }
        write_span(&mut self.body, span).map_err(|e| self.error(e.to_string()))?;
        self.batch += 1;
        if self.body.len() >= MAX_BODY_BYTES || self.batch >= MAX_SPANS {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends the spans gathered so far.
    pub fn flush(&mut self) -> Result<(), Error> {
        if self.batch == 0 {
            return Ok(());
        }
        self.body.extend_from_slice(ENVELOPE_TAIL);
        let mut tries = 0;
        let answer = loop {
            match self.try_once() {
                Try::Accepted(answer) => break answer,
                Try::Refused(why) => return Err(self.error(why)),
                Try::Again(why, wait) => {
                    if tries >= self.options.retries {
                        let times = match tries + 1 {
                            1 => "once".to_owned(),
                            n => format!("{n} times"),
                        };
                        return Err(self.error(format!("{why} (tried {times})")));
                    }
                    let backoff = FIRST_BACKOFF.saturating_mul(1 << tries.min(16));
                    std::thread::sleep(wait.unwrap_or(backoff).min(MAX_BACKOFF));
                    tries += 1;
                }
            }
        };
        self.sent.requests += 1;
        self.sent.spans += self.batch;
        self.sent.bytes += self.body.len() as u64;
        self.read_partial_success(&answer);
        self.batch = 0;
        self.body.clear();
        Ok(())
    }

    fn try_once(&self) -> Try {
        let mut request = self
            .agent
            .post(&self.options.url)
            .header("Content-Type", "application/json");
        for (name, value) in &self.options.headers {
            request = request.header(name, value);
        }
        let mut response = match request.send(&self.body[..]) {
            Ok(response) => response,
            Err(e) => return transport_failure(e),
        };
        let status = response.status();
        let wait = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let answer = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .unwrap_or_default();
        let said = || match collector_message(&answer) {
            Some(message) => format!("HTTP {status}: {message}"),
            None => format!("HTTP {status}"),
        };
        match status.as_u16() {
            200..=299 => Try::Accepted(answer),
            429 | 502 | 503 | 504 => Try::Again(said(), wait),
            _ => Try::Refused(format!("the collector refused the spans: {}", said())),
        }
    }

    /// A collector that dropped some spans says so in a 200 answer (`partialSuccess`).
    fn read_partial_success(&mut self, answer: &str) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(answer) else {
            return;
        };
        let partial = &value["partialSuccess"];
        let rejected = match &partial["rejectedSpans"] {
            serde_json::Value::String(s) => s.parse().unwrap_or(0),
            n => n.as_u64().unwrap_or(0),
        };
        self.sent.rejected += rejected;
        if let Some(message) = partial["errorMessage"].as_str().filter(|m| !m.is_empty()) {
            self.sent
                .warnings
                .push(text::truncate(&text::escape(message, false), 300).into_owned());
        }
    }

    fn error(&self, message: String) -> Error {
        Error::Collector {
            url: self.options.url.clone(),
            message,
            sent: self.sent.spans,
        }
    }
}

/// Why a request did not get an answer, and whether it is worth trying again.
fn transport_failure(e: ureq::Error) -> Try {
    use std::io::ErrorKind;
    match e {
        ureq::Error::Io(io) if io.kind() == ErrorKind::ConnectionRefused => Try::Again(
            "connection refused: is a collector listening there?".to_owned(),
            None,
        ),
        ureq::Error::Io(io) => Try::Again(io.to_string(), None),
        ureq::Error::ConnectionFailed => Try::Again("cannot connect".to_owned(), None),
        ureq::Error::Timeout(t) => Try::Again(format!("no answer in time ({t})"), None),
        ureq::Error::HostNotFound => Try::Refused("host not found".to_owned()),
        other => Try::Refused(other.to_string()),
    }
}

/// The message of a collector's error answer (a `google.rpc.Status` as JSON), or its text.
fn collector_message(answer: &str) -> Option<String> {
    let answer = answer.trim();
    if answer.is_empty() {
        return None;
    }
    let message = serde_json::from_str::<serde_json::Value>(answer)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| answer.to_owned());
    Some(text::truncate(&text::escape(&message, false), 300).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traces_path_is_added_once() {
        assert_eq!(
            traces_url("http://localhost:4318").unwrap(),
            "http://localhost:4318/v1/traces"
        );
        assert_eq!(
            traces_url("https://otlp.example/otlp/").unwrap(),
            "https://otlp.example/otlp/v1/traces"
        );
        assert_eq!(
            traces_url("http://localhost:4318/v1/traces").unwrap(),
            "http://localhost:4318/v1/traces"
        );
        assert!(
            traces_url("localhost:4318")
                .unwrap_err()
                .contains("not a URL")
        );
        assert!(traces_url("ftp://x").unwrap_err().contains("not an http"));
        assert!(traces_url("http://").unwrap_err().contains("names no host"));
    }

    #[test]
    fn a_collectors_error_message_is_read_from_its_status() {
        assert_eq!(
            collector_message(r#"{"code":3,"message":"bad \u001b span"}"#).as_deref(),
            Some("bad \\x1b span")
        );
        assert_eq!(collector_message(" ").as_deref(), None);
        assert_eq!(collector_message("oops").as_deref(), Some("oops"));
    }
}
