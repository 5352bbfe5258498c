//! Redaction: the values of secret-looking state keys replaced with `[REDACTED]` before any
//! view or export sees them (`--redact`, `--redact-key`).
//!
//! A key is secret when it contains one of the redacted names, in any case and ignoring `_`,
//! `-`, `.` and spaces (`api_key` finds `apiKey`, `X-Api-Key`, `openai.api_key`). Values are replaced whole, whatever their type, and keys are
//! looked for at every depth of nested objects and arrays. Everything else is kept exactly as
//! written: redaction cuts the secret values out of the raw JSON text and splices the
//! replacement in, so numbers, escapes and layout are untouched.

use crate::json::string_end;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The names redacted by default.
pub const DEFAULT_KEYS: [&str; 7] = [
    "password",
    "token",
    "secret",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
];

/// What a secret value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// The state members of an entry, as views show them: key and (possibly redacted) raw value.
pub type Members<'a> = Vec<(Cow<'a, str>, Cow<'a, RawValue>)>;

/// Decides which keys are secret and replaces their values. [`Redactor::off`] passes
/// everything through unchanged, so views can always go through one.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Names in [`normalize`]d form; a key containing one of them is secret. Empty when off.
    names: Vec<String>,
}

impl Redactor {
    /// The redactor the command line asks for: `--redact`, and `--redact-key NAME` (which
    /// implies it).
    pub fn from_flags<S: AsRef<str>>(redact: bool, extra: &[S]) -> Redactor {
        if redact || !extra.is_empty() {
            Redactor::new(extra)
        } else {
            Redactor::off()
        }
    }

    /// A redactor that redacts nothing.
    pub fn off() -> Redactor {
        Redactor::default()
    }

    /// Redacts the default names and `extra` ones.
    pub fn new<S: AsRef<str>>(extra: &[S]) -> Redactor {
        let mut names = Vec::new();
        let all = DEFAULT_KEYS
            .iter()
            .copied()
            .chain(extra.iter().map(AsRef::as_ref));
        for name in all.map(normalize) {
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
        Redactor { names }
    }

    /// Whether it redacts anything.
    pub fn is_on(&self) -> bool {
        !self.names.is_empty()
    }

    /// Whether values under `key` are secret.
    pub fn is_secret(&self, key: &str) -> bool {
        if !self.is_on() {
            return false;
        }
        let key = normalize(key);
        self.names.iter().any(|name| key.contains(name.as_str()))
    }

    /// `raw` with the values of secret keys, at any depth, replaced. Borrowed when nothing in
    /// it is secret.
    pub fn redact<'a>(&self, raw: &'a RawValue) -> Cow<'a, RawValue> {
        if !self.is_on() {
            return Cow::Borrowed(raw);
        }
        let mut secrets = Vec::new();
        self.find_secrets(raw, &mut secrets);
        if secrets.is_empty() {
            return Cow::Borrowed(raw);
        }
        let json = splice(raw.get(), &mut secrets);
        // Replacing whole values with a string keeps JSON valid; if it somehow did not, the
        // whole value is withheld rather than shown.
        Cow::Owned(RawValue::from_string(json).unwrap_or_else(|_| redacted_value()))
    }

    /// The members of a state object (as `TraceEntry::merged_data` or `json::members` return
    /// them), with secret values replaced.
    pub fn redact_members<'a>(&self, members: Vec<(Cow<'a, str>, &'a RawValue)>) -> Members<'a> {
        members
            .into_iter()
            .map(|(key, value)| {
                let value = if self.is_secret(&key) {
                    Cow::Owned(redacted_value())
                } else {
                    self.redact(value)
                };
                (key, value)
            })
            .collect()
    }

    /// `text` (an entry's JSON as read) with the secrets inside `values` replaced. Each value
    /// must be a part of `text`, as the raw values of an entry parsed from it are.
    pub fn redact_within<'a, 'v>(
        &self,
        text: &'a str,
        values: impl IntoIterator<Item = &'v RawValue>,
    ) -> Cow<'a, str> {
        if !self.is_on() {
            return Cow::Borrowed(text);
        }
        let mut secrets = Vec::new();
        for value in values {
            self.find_secrets(value, &mut secrets);
        }
        if secrets.is_empty() {
            return Cow::Borrowed(text);
        }
        Cow::Owned(splice(text, &mut secrets))
    }

    /// Collects the secret values inside `raw` (each a part of `raw`'s text), at any depth, in
    /// one pass over its JSON with an explicit stack: nesting cannot exhaust the call stack,
    /// and the time taken grows with the size of the value, not with its depth times its size.
    fn find_secrets<'a>(&self, raw: &'a RawValue, found: &mut Vec<&'a str>) {
        let json = raw.get();
        let bytes = json.as_bytes();
        // For each open container, whether it is an object (whose strings alternate key, value).
        let mut objects: Vec<bool> = Vec::new();
        let mut expect_key = false;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'{' | b'[' => {
                    objects.push(b == b'{');
                    expect_key = b == b'{';
                    i += 1;
                }
                b'}' | b']' => {
                    objects.pop();
                    i += 1;
                }
                b',' => {
                    expect_key = objects.last() == Some(&true);
                    i += 1;
                }
                b'"' => {
                    let end = string_end(bytes, i);
                    if std::mem::take(&mut expect_key) && self.is_secret(&key_text(&json[i..end])) {
                        let value = skip_to_value(bytes, end);
                        let value_end = value_end(bytes, value);
                        found.push(&json[value..value_end]);
                        i = value_end;
                    } else {
                        i = end;
                    }
                }
                _ => i += 1,
            }
        }
    }
}

/// A key (a JSON string with its quotes) as text, its escapes decoded.
fn key_text(quoted: &str) -> Cow<'_, str> {
    match quoted.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => Cow::Borrowed(inner),
        _ => serde_json::from_str::<String>(quoted).map_or(Cow::Borrowed(quoted), Cow::Owned),
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
                        depth -= 1;
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
        _ => {
            let len = bytes
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .count();
            start + len
        }
    }
}

/// A key or name as compared: lower case, without the separators that spell one name many ways.
fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

#[allow(
    clippy::expect_used,
    reason = "serializing a constant string cannot fail"
)]
fn redacted_value() -> Box<RawValue> {
    serde_json::value::to_raw_value(REDACTED).expect("a string serializes")
}

/// `text` with each of `parts` (slices of `text`) replaced by the redacted JSON string.
fn splice(text: &str, parts: &mut [&str]) -> String {
    let base = text.as_ptr() as usize;
    let mut spans: Vec<(usize, usize)> = parts
        .iter()
        .filter_map(|part| {
            let start = (part.as_ptr() as usize).checked_sub(base)?;
            let end = start + part.len();
            (end <= text.len()).then_some((start, end))
        })
        .collect();
    debug_assert_eq!(
        spans.len(),
        parts.len(),
        "secrets must be parts of the text"
    );
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in spans {
        if start < at {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push('"');
        out.push_str(REDACTED);
        out.push('"');
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::members;

    fn raw(json: &str) -> &RawValue {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn secret_keys_are_found_by_substring_in_any_case() {
        let r = Redactor::new(&["Ssn"]);
        for key in [
            "password",
            "DB_PASSWORD",
            "X-Api-Key",
            "openai.apiKey",
            "Authorization",
            "session_token",
            "set-cookie",
            "user_ssn",
            "ТОКЕН_token",
        ] {
            assert!(r.is_secret(key), "{key}");
        }
        for key in ["message", "api", "key", "route", "author"] {
            assert!(!r.is_secret(key), "{key}");
        }
        assert!(!Redactor::off().is_secret("password"));
    }

    #[test]
    fn nested_secrets_are_replaced_and_the_rest_kept_as_written() {
        let r = Redactor::new::<&str>(&[]);
        let value = raw(
            r#"{"user": "ann", "auth": {"Authorization": "Bearer abc", "n": 1.50},
                "list": [{"password": {"deep": 1}}, 2e3]}"#,
        );
        let redacted = r.redact(value);
        assert_eq!(
            redacted.get(),
            r#"{"user": "ann", "auth": {"Authorization": "[REDACTED]", "n": 1.50},
                "list": [{"password": "[REDACTED]"}, 2e3]}"#
        );
        let plain = raw(r#"{"message": "hello"}"#);
        assert!(matches!(r.redact(plain), Cow::Borrowed(_)));
    }

    /// Found reading the path of a 100,000-level value (fixtures/bad): the search for secrets
    /// recursed once per level and parsed each level's text again, overflowing the stack.
    #[test]
    fn secrets_are_found_at_any_depth_in_one_pass() {
        let r = Redactor::new::<&str>(&[]);
        let depth = 100_000;
        let json = format!(
            r#"{{"a":{}{{"Pass\u0077ord":[1,{{"x":"}}"}}],"k":"v"}}{}}}"#,
            "[{\"b\":".repeat(depth),
            "}]".repeat(depth)
        );
        let redacted = r.redact(raw(&json));
        assert_eq!(
            redacted.get(),
            json.replace(r#"[1,{"x":"}"}]"#, r#""[REDACTED]""#)
        );
        let scalars = raw(r#"[{"token": 12.5e3 , "n": true}, {"cookie":null}]"#);
        assert_eq!(
            r.redact(scalars).get(),
            r#"[{"token": "[REDACTED]" , "n": true}, {"cookie":"[REDACTED]"}]"#
        );
    }

    #[test]
    fn members_and_whole_entries() {
        let r = Redactor::new(&["route"]);
        let data = raw(r#"{"api_key": 42, "message": "hi", "meta": {"route": "x"}}"#);
        let shown: Vec<(String, String)> = r
            .redact_members(members(data).unwrap())
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.get().to_owned()))
            .collect();
        assert_eq!(
            shown,
            [
                ("api_key".into(), "\"[REDACTED]\"".into()),
                ("message".into(), "\"hi\"".into()),
                ("meta".into(), r#"{"route": "[REDACTED]"}"#.into()),
            ]
        );
        let entry = "{\n  \"state\": {\"data\": {\"token\": \"t\"}},\n  \"token\": \"kept\"\n}";
        #[derive(serde::Deserialize)]
        struct Entry<'a> {
            #[serde(borrow)]
            state: &'a RawValue,
        }
        let parsed: Entry = serde_json::from_str(entry).unwrap();
        assert_eq!(
            r.redact_within(entry, [parsed.state]),
            "{\n  \"state\": {\"data\": {\"token\": \"[REDACTED]\"}},\n  \"token\": \"kept\"\n}"
        );
    }
}
