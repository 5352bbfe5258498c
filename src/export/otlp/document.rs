//! `--format otlp`: the session as one OTLP/JSON `ExportTraceServiceRequest` (what an OTLP/HTTP
//! collector accepts at `/v1/traces`), each span on its own line, written as soon as it ends.

use super::spans::SessionSpans;
use super::{DEFAULT_SERVICE_NAME, ENVELOPE_TAIL, Envelope, Span, write_span};
use crate::export::{EntryRenderer, ExportEntry};
use std::io::{self, Write};

pub struct OtlpDocument<'w> {
    out: &'w mut dyn Write,
    spans: Option<SessionSpans>,
    started: bool,
    written: u64,
}

impl<'w> OtlpDocument<'w> {
    /// The document of the session whose file names it `session`.
    pub fn new(out: &'w mut dyn Write, session: &str) -> Self {
        OtlpDocument {
            out,
            spans: Some(SessionSpans::new(session)),
            started: false,
            written: 0,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.out
                .write_all(Envelope::new(DEFAULT_SERVICE_NAME).head())?;
        }
        Ok(())
    }
}

impl EntryRenderer for OtlpDocument<'_> {
    fn entry(&mut self, entry: &ExportEntry<'_>) -> io::Result<()> {
        self.start()?;
        let (out, written) = (&mut *self.out, &mut self.written);
        if let Some(spans) = &mut self.spans {
            spans.entry(entry, &mut |span| write_line(out, written, span))?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        let (out, written) = (&mut *self.out, &mut self.written);
        if let Some(spans) = self.spans.take() {
            spans.finish(&mut |span| write_line(out, written, span))?;
        }
        self.out.write_all(b"\n")?;
        self.out.write_all(ENVELOPE_TAIL)?;
        self.out.write_all(b"\n")
    }
}

fn write_line(out: &mut dyn Write, written: &mut u64, span: &Span) -> io::Result<()> {
    out.write_all(if *written == 0 { b"\n" } else { b",\n" })?;
    *written += 1;
    write_span(out, span)
}
