"""OTLP/JSON checked with the official OpenTelemetry protobuf definitions (opentelemetry-proto).

`python3 otlp.py decode < request.json` parses one ExportTraceServiceRequest and prints its
spans as JSON, as the protobuf message holds them.

`python3 otlp.py receive OUT` is an OTLP/HTTP collector on 127.0.0.1: it prints its port, then
decodes each POST to /v1/traces and appends one JSON line per request to OUT. It stops by itself
after two minutes.

The external checks (tests/cli/external.rs) compare what these decode with what the Rust tests
decode with the opentelemetry-proto crate.
"""

import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2


def hex_to_base64(value, size, what):
    raw = bytes.fromhex(value)
    if len(raw) != size:
        raise ValueError(f"{what} {value!r} is not {size} bytes")
    return base64.b64encode(raw).decode()


def decode(text):
    """The request's spans. OTLP/JSON writes ids in hex where the protobuf JSON mapping expects
    base64: convert them (as collectors do), then parse strictly (unknown fields are errors)."""
    document = json.loads(text)
    for resource_spans in document.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                span["traceId"] = hex_to_base64(span["traceId"], 16, "traceId")
                span["spanId"] = hex_to_base64(span["spanId"], 8, "spanId")
                if "parentSpanId" in span:
                    span["parentSpanId"] = hex_to_base64(span["parentSpanId"], 8, "parentSpanId")
    request = json_format.Parse(json.dumps(document), trace_service_pb2.ExportTraceServiceRequest())
    spans = []
    for resource_spans in request.resource_spans:
        resource = {kv.key: value_of(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append({
                    "resource": resource,
                    "scope": scope_spans.scope.name,
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "name": span.name,
                    "kind": span.kind,
                    "start": span.start_time_unix_nano,
                    "end": span.end_time_unix_nano,
                    "attributes": {kv.key: value_of(kv.value) for kv in span.attributes},
                    "events": [
                        {
                            "name": e.name,
                            "time": e.time_unix_nano,
                            "attributes": {kv.key: value_of(kv.value) for kv in e.attributes},
                        }
                        for e in span.events
                    ],
                    "dropped_events": span.dropped_events_count,
                    "status": {"code": span.status.code, "message": span.status.message},
                })
    return spans


def value_of(any_value):
    which = any_value.WhichOneof("value")
    return getattr(any_value, which) if which else None


class Collector(BaseHTTPRequestHandler):
    out = None
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        record = {
            "path": self.path,
            "content_type": self.headers.get("Content-Type"),
        }
        try:
            record["spans"] = decode(body.decode("utf-8"))
        except Exception as e:  # the test reads the failure from the record
            record["error"] = f"{type(e).__name__}: {e}"
        with Collector.lock, open(Collector.out, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        self.answer(200, b"{}")

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def receive(args):
    if len(args) != 1:
        raise SystemExit(__doc__)
    Collector.out = args[0]
    server = HTTPServer(("127.0.0.1", 0), Collector)
    print(server.server_address[1], flush=True)
    threading.Timer(120, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1] == "decode":
        print(json.dumps(decode(sys.stdin.read())))
    elif sys.argv[1] == "receive":
        receive(sys.argv[2:])
    else:
        raise SystemExit(__doc__)
