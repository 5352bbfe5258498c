//! Redaction (`--redact`, `--redact-key`, `--redact-pattern`): secrets cut out of each entry's
//! JSON as the reader hands it out, before any command, view or export sees the entry, so
//! that every output is redacted the same way and in one place.
//!
//! Two kinds of rule:
//! - key rules ([`keys`]): in the state (`state` and `agent_result.output_state`, data and
//!   meta, at any depth), the value of a key that has a secret name as a whole word is
//!   replaced whole, unless it is a number, a boolean or null (`tokens: 2151` stays);
//! - text rules ([`text`]): in every string of the entry (state values, errors, ids, hook and
//!   agent names, keys), only the secret part of `key=value` pairs, credentials, JWTs, URL
//!   passwords, PEM private keys and well-known API key shapes is replaced.
//!
//! Everything else is kept exactly as written: the secrets are cut out of the raw JSON text and
//! the replacement spliced in, so numbers, escapes and layout are untouched.

pub mod keys;
pub mod text;

use crate::json::string_end;
use keys::SecretNames;
use std::borrow::Cow;
use std::sync::Arc;
pub use text::PatternError;
use text::{Hit, TextRules};

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// The rule, as `--help` and the docs state it.
pub const RULE: &str = "--redact hides secrets before anything is shown or exported. In the \
state (data and meta, at any depth) the value of a key is replaced when one of these words is \
a whole word of the key (words split at _ - . spaces, case changes and digits): password, \
token, secret, api_key/apikey, authorization, cookie, and each --redact-key NAME. So access_token, \
client_secret, X-Api-Key and apiKey are secret; tokens, max_tokens, prompt_tokens and \
tokenizer are not. Numbers, booleans and null are never replaced by a key rule. In all text \
of an entry (values, errors, ids, names) only the secret part is replaced: KEY=VALUE and \
KEY: VALUE under such a key (but not a lowercase word after KEY:, as in 'password: is \
wrong'), Bearer and Basic credentials, JWTs, the password in \
scheme://user:PASSWORD@host, PEM private keys, OpenAI/Anthropic sk-..., GitHub ghp_.../\
github_pat_..., Slack xox?-..., AWS AKIA..., Google AIza..., Stripe sk_live_... keys, and \
whatever each --redact-pattern REGEX matches. --redact-key route also hides where each run \
routed (NEXT, the flow).";

/// Decides what is secret and replaces it. [`Redactor::off`] passes everything through, so a
/// reader can always hold one. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    rules: Option<Arc<Rules>>,
}

#[derive(Debug)]
struct Rules {
    names: SecretNames,
    text: TextRules,
}

impl Redactor {
    /// The redactor the command line asks for: `--redact`, `--redact-key NAME` and
    /// `--redact-pattern REGEX` (either of which implies `--redact`).
    pub fn from_flags<S: AsRef<str>, P: AsRef<str>>(
        redact: bool,
        keys: &[S],
        patterns: &[P],
    ) -> Result<Redactor, PatternError> {
        if redact || !keys.is_empty() || !patterns.is_empty() {
            Redactor::new(keys, patterns)
        } else {
            Ok(Redactor::off())
        }
    }

    /// A redactor that redacts nothing.
    pub fn off() -> Redactor {
        Redactor::default()
    }

    /// Redacts with the default names and `keys`, the built-in text rules and `patterns`.
    pub fn new<S: AsRef<str>, P: AsRef<str>>(
        keys: &[S],
        patterns: &[P],
    ) -> Result<Redactor, PatternError> {
        let names = SecretNames::new(keys);
        let text = TextRules::new(&names, patterns)?;
        Ok(Redactor {
            rules: Some(Arc::new(Rules { names, text })),
        })
    }

    /// Whether it redacts anything.
    pub fn is_on(&self) -> bool {
        self.rules.is_some()
    }

    /// Whether values under `key` are secret.
    pub fn is_secret(&self, key: &str) -> bool {
        self.rules.as_ref().is_some_and(|r| r.names.is_secret(key))
    }

    /// `text` with the secrets the text rules find replaced; borrowed when it has none.
    pub fn redact_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match &self.rules {
            Some(rules) => rules.text.redact(text, &rules.names),
            None => Cow::Borrowed(text),
        }
    }

    /// One entry's JSON (or any JSON value) with its secrets replaced; borrowed when it has
    /// none. Text that is not valid JSON is redacted as far as it can be read: the reader
    /// reports it, and never shows its text.
    pub fn redact_entry<'b>(&self, bytes: &'b [u8]) -> Cow<'b, [u8]> {
        let Some(rules) = &self.rules else {
            return Cow::Borrowed(bytes);
        };
        // One search finds the rules' literals and the escapes that can hide one
        // (`\u0074oken`, `:\/\/`): an entry without either has no secret, nor has one whose
        // only literal is a URL's `://` with no `@` anywhere. Then only the strings that hold
        // a literal or such an escape are looked at.
        let mut hits = rules.text.anchor_hits(bytes);
        if let Some(found) = &mut hits {
            if found.iter().any(|h| h.url) && memchr::memchr(b'@', bytes).is_none() {
                found.retain(|h| !h.url);
            }
            if found.is_empty() {
                return Cow::Borrowed(bytes);
            }
        }
        let edits = Walk::new(rules, bytes, hits).run();
        if edits.is_empty() {
            return Cow::Borrowed(bytes);
        }
        Cow::Owned(splice(bytes, &edits))
    }
}

/// Where a container sits in an entry: it decides whether key rules apply to its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The entry object itself.
    Entry,
    /// `agent_result`.
    Result,
    /// `state` or `agent_result.output_state`.
    State,
    /// Inside a state's `data` or `meta`: key rules apply.
    Keyed,
    /// Anywhere else.
    Other,
}

impl Scope {
    /// The scope of the value of `key` in a container of this scope.
    fn child(self, key: &[u8]) -> Scope {
        match (self, key) {
            (Scope::Entry, b"state") | (Scope::Result, b"output_state") => Scope::State,
            (Scope::Entry, b"agent_result") => Scope::Result,
            (Scope::State, b"data" | b"meta") | (Scope::Keyed, _) => Scope::Keyed,
            _ => Scope::Other,
        }
    }
}

/// What literals a stretch of an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Within {
    Nothing,
    /// Only the URL rule's `://`.
    Url,
    /// A literal of another rule, or an escape that can hide one.
    Hits,
}

/// One replacement: the bytes `start..end` become `with`.
struct Edit {
    start: usize,
    end: usize,
    with: Vec<u8>,
}

/// One pass over an entry's JSON collecting the edits redaction makes, with an explicit stack
/// (nesting cannot exhaust the call stack).
struct Walk<'w> {
    rules: &'w Rules,
    bytes: &'w [u8],
    /// Where the text rules' literals are (sorted), or `None` to look at every string.
    hits: Option<Vec<Hit>>,
    next_hit: usize,
    edits: Vec<Edit>,
}

impl<'w> Walk<'w> {
    fn new(rules: &'w Rules, bytes: &'w [u8], hits: Option<Vec<Hit>>) -> Walk<'w> {
        Walk {
            rules,
            bytes,
            hits,
            next_hit: 0,
            edits: Vec::new(),
        }
    }

    fn run(mut self) -> Vec<Edit> {
        let bytes = self.bytes;
        // For each open container: whether it is an object, and its scope.
        let mut stack: Vec<(bool, Scope)> = Vec::new();
        let mut expect_key = false;
        // The scope of the next value, set by the key before it.
        let mut value_scope = Scope::Entry;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'{' | b'[' => {
                    let scope = match stack.last() {
                        None => value_scope,
                        Some((true, _)) => value_scope,
                        Some((false, scope)) => *scope,
                    };
                    stack.push((b == b'{', scope));
                    expect_key = b == b'{';
                    i += 1;
                }
                b'}' | b']' => {
                    stack.pop();
                    i += 1;
                }
                b',' => {
                    expect_key = matches!(stack.last(), Some((true, _)));
                    i += 1;
                }
                b'"' => {
                    let end = string_end(bytes, i);
                    // A key can only be secret if it holds a literal (a name's first word,
                    // or an escape that can hide one).
                    let may_be_secret = self.hit_within(i, end) == Within::Hits;
                    let edits = self.edits.len();
                    self.string(i, end);
                    let is_key = std::mem::take(&mut expect_key);
                    let Some(&(true, scope)) = stack.last().filter(|_| is_key) else {
                        i = end;
                        continue;
                    };
                    let key = key_text(&bytes[i..end]);
                    value_scope = scope.child(key.as_bytes());
                    let value = skip_to_value(bytes, end);
                    // A key is secret as written, or as written out with its own secrets
                    // replaced (`AKIA…EXAMPLEpassword` is `[REDACTED]password`), which a second
                    // redaction judges: so that it judges the same, or finds the value replaced
                    // already. A user pattern that takes a key's secret word does not make it
                    // any less secret (the fuzzer found `password` kept under `\w{3}`).
                    let is_secret = |key: &str| self.rules.names.is_secret(key);
                    if scope == Scope::Keyed
                        && may_be_secret
                        && matches!(bytes.get(value), Some(b'"' | b'{' | b'['))
                        && (is_secret(&key)
                            || self
                                .edits
                                .get(edits)
                                .is_some_and(|edit| is_secret(&key_text(&edit.with))))
                    {
                        let value_end = value_end(bytes, value);
                        self.edits.push(Edit {
                            start: value,
                            end: value_end,
                            with: quoted(REDACTED),
                        });
                        i = value_end;
                        self.skip_hits(i);
                    } else {
                        i = end;
                    }
                }
                _ => i += 1,
            }
        }
        self.edits
    }

    /// Redacts the JSON string at `start..end` (its quotes included) by the text rules.
    fn string(&mut self, start: usize, end: usize) {
        let raw = &self.bytes[start..end];
        match self.hit_within(start, end) {
            Within::Nothing => return,
            Within::Url if memchr::memchr(b'@', raw).is_none() => return,
            Within::Url | Within::Hits => {}
        }
        if !is_closed(raw) {
            // Cut off by the end of the entry: its raw text is looked at.
            return self.raw_string(start, raw.get(1..).unwrap_or_default(), false);
        }
        let inner = raw.get(1..raw.len() - 1).unwrap_or_default();
        let escaped = memchr::memchr(b'\\', inner).is_some();
        let redacted = if escaped {
            let Some(decoded) = decode(raw) else {
                // Not a valid string (a bad escape, a control character): its raw text
                // between the quotes is looked at.
                return self.raw_string(start, inner, true);
            };
            match self.rules.text.redact(&decoded, &self.rules.names) {
                Cow::Owned(text) => serde_json::to_vec(&text).unwrap_or_else(|_| quoted(REDACTED)),
                Cow::Borrowed(_) => return,
            }
        } else {
            let text = String::from_utf8_lossy(inner);
            match self.rules.text.redact_found(&text, &self.rules.names) {
                Cow::Owned(text) => quoted(&text),
                Cow::Borrowed(_) => return,
            }
        };
        self.edits.push(Edit {
            start,
            end,
            with: redacted,
        });
    }

    /// Redacts a string that cannot be decoded (cut off, or with a bad escape) as written:
    /// `rest` is all of it after its opening quote, or, when it is `closed`, what is between
    /// its quotes. The entry will not parse, so it is never shown; this only keeps its secrets
    /// out of memory that outlives it.
    ///
    /// A closed string stays closed: its closing quote is kept, and not escaped by a
    /// backslash left last (a rule running to the end of the text would otherwise take the
    /// quote, and a second redaction would take what follows it: the fuzzer found this).
    fn raw_string(&mut self, start: usize, rest: &[u8], closed: bool) {
        let text = String::from_utf8_lossy(rest);
        if let Cow::Owned(text) = self.rules.text.redact(&text, &self.rules.names) {
            let mut with = b"\"".to_vec();
            with.extend_from_slice(text.as_bytes());
            if closed {
                let backslashes = text.bytes().rev().take_while(|&b| b == b'\\').count();
                if backslashes % 2 == 1 {
                    with.push(b'\\');
                }
                with.push(b'"');
                // Redacting it may have taken what made it undecodable (a control character
                // inside a secret): then it is redacted on as read, as a second redaction
                // would read it (the fuzzer found a key, `\ntoken-x`, that only counts
                // decoded).
                if let Some(decoded) = decode(&with)
                    && let Cow::Owned(text) = self.rules.text.redact(&decoded, &self.rules.names)
                {
                    with = serde_json::to_vec(&text).unwrap_or_else(|_| quoted(REDACTED));
                }
            }
            self.edits.push(Edit {
                start,
                end: start + 1 + rest.len() + usize::from(closed),
                with,
            });
        }
    }

    /// What literals were found in `start..end` (any, without literals to go by).
    fn hit_within(&mut self, start: usize, end: usize) -> Within {
        self.skip_hits(start);
        let Some(hits) = &self.hits else {
            return Within::Hits;
        };
        let mut within = hits[self.next_hit.min(hits.len())..]
            .iter()
            .take_while(|h| h.at < end);
        match within.next() {
            None => Within::Nothing,
            Some(first) if first.url && within.all(|h| h.url) => Within::Url,
            Some(_) => Within::Hits,
        }
    }

    /// Passes the literals before `at`.
    fn skip_hits(&mut self, at: usize) {
        if let Some(hits) = &self.hits {
            while hits.get(self.next_hit).is_some_and(|h| h.at < at) {
                self.next_hit += 1;
            }
        }
    }
}

/// `text` as a JSON string; it needs no escaping.
fn quoted(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 2);
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
    out
}

/// Whether the JSON string `raw` (from its opening quote to [`string_end`]) is closed: it ends
/// in a quote that no backslash escapes.
fn is_closed(raw: &[u8]) -> bool {
    let Some((b'"', body)) = raw.split_last().filter(|_| raw.len() >= 2) else {
        return false;
    };
    let backslashes = body.iter().rev().take_while(|&&b| b == b'\\').count();
    backslashes % 2 == 0
}

/// A key (a JSON string with its quotes) as text, its escapes decoded.
fn key_text(quoted: &[u8]) -> Cow<'_, str> {
    // Most keys have no escape: their text is their bytes.
    if let [b'"', inner @ .., b'"'] = quoted
        && memchr::memchr(b'\\', inner).is_none()
        && let Ok(key) = std::str::from_utf8(inner)
    {
        return Cow::Borrowed(key);
    }
    decode(quoted).unwrap_or_else(|| String::from_utf8_lossy(quoted))
}

/// The text of a closed JSON string (`raw` with its quotes), its escapes decoded and bytes that
/// are not UTF-8 taken as U+FFFD; `None` when it is no valid string (a bad escape, a control
/// character).
fn decode(raw: &[u8]) -> Option<Cow<'_, str>> {
    match serde_json::from_slice::<Cow<'_, str>>(raw) {
        Ok(text) => Some(text),
        Err(_) => serde_json::from_str::<String>(&String::from_utf8_lossy(raw))
            .ok()
            .map(Cow::Owned),
    }
}

/// Where the value after a key begins: past the colon and whitespace.
fn skip_to_value(bytes: &[u8], from: usize) -> usize {
    let skipped = bytes
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b':' | b' ' | b'\t' | b'\n' | b'\r'))
        .count();
    from + skipped
}

/// The index just after the JSON value that starts at `start`.
fn value_end(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start) {
        Some(b'"') => string_end(bytes, start),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = start;
            while let Some(&b) = bytes.get(i) {
                match b {
                    b'"' => {
                        i = string_end(bytes, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            bytes.len()
        }
        _ => start,
    }
}

/// `bytes` with the edits (in order, not overlapping) made.
fn splice(bytes: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for edit in edits {
        if edit.start < at {
            continue;
        }
        out.extend_from_slice(&bytes[at..edit.start]);
        out.extend_from_slice(&edit.with);
        at = edit.end;
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

#[cfg(test)]
mod tests;
