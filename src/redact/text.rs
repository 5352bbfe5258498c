//! Secrets written in free text: `key=value` pairs under a secret key, bearer and basic
//! credentials, JWTs, the password of a URL, PEM private keys, the shapes of well-known API
//! keys, and the user's `--redact-pattern`s. Only the secret part is replaced, so the text
//! around it stays readable (`api_key=[REDACTED] rest of the note`).
//!
//! All rules are one regular expression (one automaton: a text is scanned once whatever the
//! number of rules), and a text is only scanned when an Aho-Corasick search finds one of the
//! literals every built-in rule starts with or contains.

use super::REDACTED;
use super::keys::SecretNames;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{CaptureLocations, Regex};
use std::borrow::Cow;

/// A `--redact-pattern` that is not a valid regular expression.
#[derive(Debug, thiserror::Error)]
#[error("--redact-pattern '{pattern}': {message}")]
pub struct PatternError {
    pub pattern: String,
    pub message: String,
}

/// What a capture group of the combined expression holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Not looked at (a group inside a user's pattern).
    Ignored,
    /// The key of a `key=value` pair: the value is secret only if the key is.
    Key,
    /// The value of a `key=value` pair (secret unless a number, a boolean or null), quoted.
    Value,
    /// The same, unquoted: under `key: value` a lowercase word is prose (`password: is
    /// wrong`), not a secret.
    BareValue,
    /// A bearer or basic credential: secret if it looks like one (long enough, with a digit),
    /// so that "basic understanding" stays.
    Credential,
    /// Secret as matched.
    Secret,
}

/// The key of `key=value` and `key: value` (quoted or not): a run of key characters holding a
/// secret name's first word (`{ANCHORS}`), checked word by word once found.
const KEY_VALUE: &str = r#"([A-Za-z0-9_.\-]*(?i:{ANCHORS})[A-Za-z0-9_.\-]*)(?:\\?["'])?[ \t]*[:=][ \t]*(?:\\?"([^"\\\r\n]*)\\?"|'([^'\r\n]*)'|(?:(?i:bearer|basic|token)[ \t]+)?(\[REDACTED\]|[^\s"'\\,;&)}\]>]+))"#;

/// The literals a built-in rule needs (besides the secret names' first words), each as the
/// rule matches it: every rule is case-sensitive but for the secret names, which take the
/// cases a whole word can have (`token`, `Token`, `TOKEN`; see [`SecretNames::anchors`]), so
/// one case-sensitive search finds every place a rule can match, and it is a SIMD search.
const ANCHORS: [&str; 22] = [
    "-----BEGIN",
    "eyJ",
    "bearer",
    "Bearer",
    "BEARER",
    "basic",
    "Basic",
    "BASIC",
    URL_ANCHOR,
    "sk-",
    "sk_",
    "rk_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "AKIA",
    "ASIA",
    "AIza",
];

/// The literal of the URL rule, which can only match a text that also holds an `@`.
const URL_ANCHOR: &str = "://";

/// Whether the escape that starts at `at` (a backslash) can hide a literal in a JSON string
/// (`\u0074oken`, `https:\/\/`): a string holding one is decoded and searched as text. An
/// escape stands for one character, and hides a literal only if some literal has it (`chars`,
/// the ASCII characters of the literals; any other character only when a literal is not
/// ASCII, `ascii` false). Most escapes in a trace stand for none: `\n`, `\"`, and the `\u0026`,
/// `\u003c`, `\u003e` Go writes for `&`, `<`, `>`, which long texts are full of; a string with
/// only those is passed over undecoded.
fn hides_a_literal(bytes: &[u8], at: usize, chars: u128, ascii: bool) -> bool {
    let has = |c: u8| chars & (1u128 << (c & 0x7f)) != 0;
    match bytes.get(at + 1) {
        Some(b'u') => match bytes.get(at + 2..at + 6) {
            Some(hex) if hex.iter().all(u8::is_ascii_hexdigit) => {
                let code = std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u32::from_str_radix(h, 16).ok());
                match code.and_then(|c| u8::try_from(c).ok()).filter(u8::is_ascii) {
                    Some(c) => has(c),
                    None => !ascii,
                }
            }
            // Not a valid escape: looked at.
            _ => true,
        },
        Some(b'/') => has(b'/'),
        Some(b'"') => has(b'"'),
        Some(b'\\') => has(b'\\'),
        // `\b`, `\f`, `\n`, `\r`, `\t`: control characters no literal has; anything else is
        // no escape, and the string is looked at.
        Some(b'b' | b'f' | b'n' | b'r' | b't') => false,
        _ => true,
    }
}

/// Where a literal was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub at: usize,
    /// The URL rule's `://`: worth a look only where there is an `@`.
    pub url: bool,
}

/// The built-in rules after `key=value`, each with its one group and that group's role.
const RULES: [(&str, Role); 5] = [
    // A PEM private key: the body between its armour lines (or to the end of a cut text).
    (
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----((?s:.)*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\z)",
        Role::Secret,
    ),
    // `Authorization: Bearer …` in a header dump, `Basic dXNlcjpwYXNz`.
    (
        r"(?-u:\b)(?:[Bb]earer|BEARER|[Bb]asic|BASIC)[ \t]+(\[REDACTED\]|[A-Za-z0-9._~+/=\-]+)",
        Role::Credential,
    ),
    // A JSON Web Token: base64url of `{"` in its header, three dot-separated parts.
    (
        r"(eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*)",
        Role::Secret,
    ),
    // The password in a URL's user info: `https://admin:[REDACTED]@db.internal/x`.
    (
        r#"[A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#@"'<>:]*:([^\s/?#@"'<>]+)@"#,
        Role::Secret,
    ),
    // Well-known API key shapes: OpenAI and Anthropic, Stripe, GitHub, Slack, AWS, Google.
    (
        r"(?-u:\b)(sk-[A-Za-z0-9_\-]{16,}|[sr]k_(?:live|test)_[A-Za-z0-9]{10,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9\-]{10,}|(?:AKIA|ASIA)[A-Z0-9]{16}|AIza[A-Za-z0-9_\-]{30,})",
        Role::Secret,
    ),
];

/// How a PEM block starts.
const PEM_START: &str = "-----BEGIN";

/// The most passes over one text (see [`TextRules::redact_found`]).
const MAX_PASSES: usize = 16;

/// The shortest bearer or basic credential taken for one.
const MIN_CREDENTIAL: usize = 8;

/// The search for the literals.
#[derive(Debug)]
struct Anchors {
    searcher: AhoCorasick,
    /// The URL literal's pattern number.
    url: Option<usize>,
    /// By pattern number: the secret name's first word that the pattern is a case of.
    words: Vec<Option<String>>,
    /// The ASCII characters the literals have, by bit.
    chars: u128,
    /// Whether every literal is ASCII (a `--redact-key` may not be).
    ascii: bool,
}

/// Runs of key characters longer than this are not split into words to judge a name found
/// in them (it is kept, as if it were a whole word): no input makes the search quadratic.
const LONGEST_RUN: usize = 256;

/// The text rules, compiled.
#[derive(Debug)]
pub struct TextRules {
    regex: Regex,
    /// By capture group index (0, the whole match, is `Ignored`).
    roles: Vec<Role>,
    /// Finds the literals without which no rule can match (and the escapes that can hide
    /// one), with the URL literal's pattern number; `None` when a user pattern may match
    /// anything.
    anchors: Option<Anchors>,
    /// The user's patterns alone, for where a built-in rule matched but found no secret.
    users: Option<Regex>,
}

impl TextRules {
    /// The built-in rules, for `names`, and the user's `patterns`.
    pub fn new<S: AsRef<str>>(
        names: &SecretNames,
        patterns: &[S],
    ) -> Result<TextRules, PatternError> {
        let name_anchors: Vec<String> = names.first_words().map(regex::escape).collect();
        let mut alternatives = vec![KEY_VALUE.replace("{ANCHORS}", &name_anchors.join("|"))];
        let mut roles = vec![
            Role::Ignored,
            Role::Key,
            Role::Value,
            Role::Value,
            Role::BareValue,
        ];
        for (rule, role) in RULES {
            alternatives.push(rule.to_owned());
            roles.push(role);
        }
        for pattern in patterns {
            let pattern = pattern.as_ref();
            let compiled = Regex::new(pattern).map_err(|e| PatternError {
                pattern: pattern.to_owned(),
                message: e.to_string(),
            })?;
            alternatives.push(format!("({pattern})"));
            roles.push(Role::Secret);
            roles.extend(std::iter::repeat_n(
                Role::Ignored,
                compiled.captures_len().saturating_sub(1),
            ));
        }
        let combined = alternatives
            .iter()
            .map(|a| format!("(?:{a})"))
            .collect::<Vec<_>>()
            .join("|");
        let regex = regex::RegexBuilder::new(&combined)
            .size_limit(64 << 20)
            .build()
            .map_err(|e| PatternError {
                pattern: patterns
                    .iter()
                    .map(AsRef::as_ref)
                    .collect::<Vec<_>>()
                    .join(" "),
                message: e.to_string(),
            })?;
        debug_assert_eq!(regex.captures_len(), roles.len());
        let users = match patterns.is_empty() {
            true => None,
            false => {
                let alternatives: Vec<String> = patterns
                    .iter()
                    .map(|p| format!("(?:{})", p.as_ref()))
                    .collect();
                // Each pattern compiled alone above, and the whole with them: this compiles.
                regex::RegexBuilder::new(&alternatives.join("|"))
                    .size_limit(64 << 20)
                    .build()
                    .ok()
            }
        };
        let anchors = if patterns.is_empty() {
            let mut literals: Vec<String> = ANCHORS.iter().map(|a| (*a).to_owned()).collect();
            let mut words = vec![None; literals.len()];
            for word in names.first_words() {
                for case in SecretNames::cases(word) {
                    literals.push(case);
                    words.push(Some(word.to_owned()));
                }
            }
            let url = literals.iter().position(|l| l == URL_ANCHOR);
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&literals)
                .ok()
                .map(|searcher| Anchors {
                    searcher,
                    url,
                    words,
                    chars: literals
                        .iter()
                        .flat_map(|l| l.bytes())
                        .filter(u8::is_ascii)
                        .fold(0, |chars, c| chars | 1u128 << c),
                    ascii: literals.iter().all(|l| l.is_ascii()),
                })
        } else {
            None
        };
        Ok(TextRules {
            regex,
            roles,
            anchors,
            users,
        })
    }

    /// Whether `text` may hold a secret: false only when no rule can match it.
    pub fn may_match(&self, text: &[u8]) -> bool {
        self.anchor_hits(text)
            .is_none_or(|hits| hits.iter().any(|h| !h.url) || memchr::memchr(b'@', text).is_some())
    }

    /// Where the literals are in `bytes` (sorted, not overlapping), and the escapes that can
    /// hide one; `None` when every text must be searched.
    ///
    /// A secret name found inside a longer word (`token` in `tokens`, `api` in `rapid`) is
    /// no hit: no rule can take a key with it for secret, and most entries are spared a look.
    pub fn anchor_hits(&self, bytes: &[u8]) -> Option<Vec<Hit>> {
        let anchors = self.anchors.as_ref()?;
        let mut hits = Vec::new();
        let mut from = 0;
        while let Some(m) = anchors
            .searcher
            .find(aho_corasick::Input::new(bytes).range(from..))
        {
            let pattern = m.pattern().as_usize();
            if let Some(Some(word)) = anchors.words.get(pattern)
                && !is_whole_word(bytes, m.start(), m.end(), word)
            {
                // Searched again from its second byte: it may hide a literal that overlaps it.
                from = m.start() + 1;
                continue;
            }
            hits.push(Hit {
                at: m.start(),
                url: Some(pattern) == anchors.url,
            });
            from = m.end();
        }
        // The escapes are searched for apart, by their backslash: two-byte literals would slow
        // the search for the others (its SIMD filter looks at three bytes).
        // The backslash after one starts no escape (`\\d` is a backslash and a `d`).
        let unsorted = hits.len();
        let mut escaped = 0;
        for at in memchr::memchr_iter(b'\\', bytes) {
            if at < escaped {
                continue;
            }
            escaped = at + 2;
            if hides_a_literal(bytes, at, anchors.chars, anchors.ascii) {
                hits.push(Hit { at, url: false });
            }
        }
        if hits.len() > unsorted {
            hits.sort_unstable_by_key(|h| h.at);
        }
        Some(hits)
    }

    /// `text` with its secrets replaced; borrowed when it has none. Secret keys are judged
    /// by `names`.
    pub fn redact<'t>(&self, text: &'t str, names: &SecretNames) -> Cow<'t, str> {
        if !self.may_match(text.as_bytes()) {
            return Cow::Borrowed(text);
        }
        self.redact_found(text, names)
    }

    /// [`redact`](Self::redact), for a text already found to hold a literal.
    ///
    /// One pass replaces what the rules find in the text as it was, but a rule may fail for
    /// something that another rule's match then replaces (a quoted value under `cookie:` that
    /// held a backslash inside a URL's password: found by the fuzzer), so a second redaction
    /// could find more. The passes go on until one changes nothing, so that redacting twice is
    /// redacting once. Each pass that changes something replaces text that no marker covers
    /// with one, so they end; past [`MAX_PASSES`] (a chain of matches no real text holds)
    /// the last is kept.
    pub(crate) fn redact_found<'t>(&self, text: &'t str, names: &SecretNames) -> Cow<'t, str> {
        let Cow::Owned(mut out) = self.redact_pass(text, names) else {
            return Cow::Borrowed(text);
        };
        for _ in 1..MAX_PASSES {
            match self.redact_pass(&out, names) {
                Cow::Owned(next) => out = next,
                Cow::Borrowed(_) => break,
            }
        }
        Cow::Owned(out)
    }

    /// One pass of [`redact_found`](Self::redact_found).
    fn redact_pass<'t>(&self, text: &'t str, names: &SecretNames) -> Cow<'t, str> {
        // The markers already in the text (a redacted text redacted again): nothing inside
        // one is replaced, or redacting twice would differ from redacting once.
        let markers: Vec<usize> = match text.len() >= REDACTED.len() {
            true => memchr::memmem::find_iter(text.as_bytes(), REDACTED).collect(),
            false => Vec::new(),
        };
        let mut locations = self.regex.capture_locations();
        let mut out = String::new();
        let mut copied = 0;
        let mut at = 0;
        while at <= text.len() {
            let Some((start, end)) = self
                .regex
                .captures_read_at(&mut locations, text, at)
                .map(|m| (m.start(), m.end()))
            else {
                break;
            };
            let (mut secret, mut resume) = self.judge(&locations, text, names, end);
            let mut start = start;
            // A built-in rule's match found no secret: a user pattern may still match where it
            // started or inside it (the combined expression prefers the built-in rule there).
            if secret.is_none()
                && let Some(m) = self.users.as_ref().and_then(|u| u.find_at(text, start))
                && m.start() < resume
                && !m.is_empty()
            {
                (secret, resume, start) = (Some((m.start(), m.end())), m.end(), m.start());
            }
            if let Some((s, e)) = secret
                && s >= copied
                && s < e
                // A match that begins or ends inside a marker took it for text: it is none.
                && !markers
                    .iter()
                    .any(|&m| (m < s && s < m + REDACTED.len()) || (m < e && e < m + REDACTED.len()))
            {
                // The secret but the markers in it: each stretch between them is replaced.
                let mut from = s;
                for &m in markers.iter().filter(|&&m| m < e && s < m + REDACTED.len()) {
                    if m > from {
                        out.push_str(&text[copied..from]);
                        out.push_str(REDACTED);
                        copied = m;
                    }
                    from = from.max(m + REDACTED.len());
                }
                if from < e {
                    out.push_str(&text[copied..from]);
                    out.push_str(REDACTED);
                    copied = e;
                }
            }
            // Always move on, by a character at least (an empty match, a rejected key).
            at = if resume > start.max(at) {
                resume
            } else {
                next_boundary(text, start.max(at))
            };
        }
        if copied == 0 {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }

    /// The secret span of one match, if any, and where to search on from.
    fn judge(
        &self,
        locations: &CaptureLocations,
        text: &str,
        names: &SecretNames,
        end: usize,
    ) -> (Option<(usize, usize)>, usize) {
        let mut groups = (1..self.roles.len()).filter_map(|i| Some((i, locations.get(i)?)));
        let Some((i, (s, e))) = groups.next() else {
            return (None, end);
        };
        match self.roles.get(i).copied().unwrap_or(Role::Ignored) {
            Role::Key => {
                if !names.is_secret(&text[s..e]) {
                    // The value may still hold a secret of another shape.
                    return (None, e);
                }
                let value = groups.find_map(|(j, span)| match self.roles.get(j) {
                    Some(Role::Value) => Some((false, span)),
                    Some(Role::BareValue) => Some((true, span)),
                    _ => None,
                });
                match value {
                    // An unquoted value ends at a space, so a PEM private key written after
                    // the key (`password: -----BEGIN RSA PRIVATE KEY-----\n…`) would lose only
                    // its armour's first word, and its body would leak: where an armour line
                    // starts in such a value, the value ends, and the PEM rule takes the key
                    // from there. That rule keeps the armour line as it is, so a second
                    // redaction ends the value at the same place. A quoted value is secret
                    // whole, a PEM block in it too: were it split, what follows the block up
                    // to the closing quote (the quote itself) would be left to other rules,
                    // and a second redaction would not find the value again (found by the
                    // fuzzer, with `-----BEGIN` in a quoted password).
                    Some((true, (vs, ve))) if let Some(pem) = pem_armour(text, vs, ve) => {
                        ((pem > vs).then_some((vs, pem)), pem)
                    }
                    Some((true, (vs, ve))) if is_prose(&text[e..vs], &text[vs..ve]) => (None, end),
                    Some((_, (vs, ve))) if !is_plain_scalar(&text[vs..ve]) => (Some((vs, ve)), end),
                    _ => (None, end),
                }
            }
            Role::Credential => {
                let credential = &text[s..e];
                // One redacted already is taken as it was (its `Bearer ` with it), so that a
                // second redaction does the same as the first.
                if credential == REDACTED
                    || (credential.len() >= MIN_CREDENTIAL
                        && credential.bytes().any(|b| b.is_ascii_digit()))
                {
                    (Some((s, e)), end)
                } else {
                    (None, s)
                }
            }
            Role::Secret | Role::Value | Role::BareValue => (Some((s, e)), end),
            Role::Ignored => (None, end),
        }
    }
}

/// Whether the name's first word `word`, found at `start..end` of `bytes`, is a whole word
/// there as [`keys::words`](super::keys::words) splits the run of letters and digits around
/// it (bytes of other characters than ASCII taken as letters: `words` splits at those that
/// are not). A run too long to split is taken as holding it.
fn is_whole_word(bytes: &[u8], start: usize, end: usize, word: &str) -> bool {
    let in_run = |b: &u8| b.is_ascii_alphanumeric() || *b >= 0x80;
    let mut before = bytes[..start]
        .iter()
        .rev()
        .take(LONGEST_RUN)
        .take_while(|b| in_run(b))
        .count();
    // A run that starts with the letters of an escape starts after it: the character it
    // stands for parts words (`\ntoken=…` is a line that starts with `token=`; `\u00bbtoken`
    // is `»token`), and such an escape is no hit of its own (see `hides_a_literal`).
    let run_start = start - before;
    if run_start > 0 && bytes[run_start - 1] == b'\\' {
        let escape = match bytes.get(run_start..start) {
            Some([b'u', hex @ ..])
                if hex.len() >= 4 && hex[..4].iter().all(u8::is_ascii_hexdigit) =>
            {
                5
            }
            Some([b'b' | b'f' | b'n' | b'r' | b't', ..]) => 1,
            _ => 0,
        };
        before -= escape;
    }
    let after = bytes[end..]
        .iter()
        .take(LONGEST_RUN)
        .take_while(|b| in_run(b))
        .count();
    if before == 0 && after == 0 {
        return true;
    }
    if before + after >= LONGEST_RUN {
        return true;
    }
    let run = String::from_utf8_lossy(&bytes[start - before..end + after]);
    super::keys::words(&run).iter().any(|w| w == word)
}

/// Where the first armour line of a PEM private key (`-----BEGIN … PRIVATE KEY-----`, as the
/// PEM rule matches it) that starts in `text[start..end]` starts, if one does.
fn pem_armour(text: &str, start: usize, end: usize) -> Option<usize> {
    memchr::memmem::find_iter(&text.as_bytes()[start..end], PEM_START)
        .map(|at| start + at)
        .find(|&at| {
            let label = &text[at + PEM_START.len()..];
            let run = label
                .bytes()
                .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b' ')
                .count();
            label[..run].ends_with("PRIVATE KEY") && label[run..].starts_with("-----")
        })
}

/// Numbers, booleans and null are never secrets under a key rule (`tokens: 2151`).
pub fn is_plain_scalar(value: &str) -> bool {
    matches!(value, "true" | "false" | "null" | "True" | "False")
        || (value.bytes().any(|b| b.is_ascii_digit())
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
            && value.parse::<f64>().is_ok())
}

/// Whether an unquoted value after a secret key is prose rather than a secret: a word of
/// lowercase letters right after `KEY:` (`password: is wrong`, `token: expired`). Written
/// `KEY=value`, quoted, after `Bearer`, or with a digit, a capital or a symbol, it is a
/// secret (`password=hunter`, `password: "hunter"`, `password: hunter2`, `token: Bearer abc`).
fn is_prose(between: &str, value: &str) -> bool {
    between.trim_matches([' ', '\t']) == ":" && value.bytes().all(|b| b.is_ascii_lowercase())
}

/// The index of the character after the one at `i`.
fn next_boundary(text: &str, i: usize) -> usize {
    text.get(i..)
        .and_then(|rest| rest.chars().next())
        .map_or(i + 1, |c| i + c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(text: &str) -> String {
        let names = SecretNames::new::<&str>(&[]);
        TextRules::new::<&str>(&names, &[])
            .unwrap()
            .redact(text, &names)
            .into_owned()
    }

    /// Issue 17, section 1: the shapes that leaked from free text.
    #[test]
    fn only_the_secret_part_is_replaced() {
        for (text, want) in [
            (
                "api_key=sk-live-SECRET444 rest of the note",
                "api_key=[REDACTED] rest of the note",
            ),
            (
                "Authorization: Bearer eyJhbGciOi",
                "Authorization: Bearer [REDACTED]",
            ),
            (
                "https://admin:SECRET666@db.internal/x",
                "https://admin:[REDACTED]@db.internal/x",
            ),
            (
                "password=SECRET_ERRPW_BBB api_key=abc123",
                "password=[REDACTED] api_key=[REDACTED]",
            ),
            (
                r#"{"client_secret": "two words", "n": 1}"#,
                r#"{"client_secret": "[REDACTED]", "n": 1}"#,
            ),
            (
                r#"{\"api_key\": \"k-1\"}"#,
                r#"{\"api_key\": \"[REDACTED]\"}"#,
            ),
            ("X-Api-Key: 'k k'; next", "X-Api-Key: '[REDACTED]'; next"),
            (
                "GET /v1?access_token=abc&page=2",
                "GET /v1?access_token=[REDACTED]&page=2",
            ),
            (
                "curl -H 'Authorization: Basic dXNlcjpwYXNzMTIz'",
                "curl -H 'Authorization: Basic [REDACTED]'",
            ),
            (
                "sent Bearer abcdef123456 upstream",
                "sent Bearer [REDACTED] upstream",
            ),
            (
                "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl ok",
                "jwt [REDACTED] ok",
            ),
            (
                "k: -----BEGIN RSA PRIVATE KEY-----\nMIIE\nabc\n-----END RSA PRIVATE KEY----- done",
                "k: -----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY----- done",
            ),
            (
                "cut -----BEGIN PRIVATE KEY-----\nMIIE",
                "cut -----BEGIN PRIVATE KEY-----[REDACTED]",
            ),
            (
                "key sk-proj-abcdefghijklmnopqrstuvwxyz0123",
                "key [REDACTED]",
            ),
            ("key sk-ant-api03-abcdefghijklmnop_qrs", "key [REDACTED]"),
            (
                "gh ghp_abcdefghijklmnopqrstuvwxyz0123456789 x",
                "gh [REDACTED] x",
            ),
            (
                "gh github_pat_11ABCDEFG0123456789_abcdefghijkl",
                "gh [REDACTED]",
            ),
            ("slack xoxb-1234567890-abcdefghij", "slack [REDACTED]"),
            ("aws AKIAIOSFODNN7EXAMPLE.", "aws [REDACTED]."),
            ("g AIzaSyA-abcdefghijklmnopqrstuvwxyz012345", "g [REDACTED]"),
            ("stripe sk_live_abcdefghij0123456789", "stripe [REDACTED]"),
        ] {
            assert_eq!(redact(text), want, "{text}");
        }
    }

    /// Issue 17, section 2: counts and prose that only look like secrets stay.
    #[test]
    fn numbers_and_look_alikes_stay() {
        for text in [
            "tokens: 2151, max_tokens=4096 tokens_used: 12",
            "prompt_tokens=5 tokenizer: cl100k",
            "token: 12 password=true secret: null",
            "a basic understanding of bearer bonds",
            "see https://example.com/x?page=2 and http://user@host/",
            "task-lamp desk-sk-short sk-short",
            "eyJ alone, eyJhbGciOi without dots",
            "[REDACTED] already",
            "",
            "ünïcödé ☃ token",
            "password: is wrong",
            "login failed: token: expired, password:  missing",
        ] {
            assert_eq!(redact(text), text);
        }
    }

    /// A lowercase word after `KEY:` is prose; anything else there is a secret.
    #[test]
    fn a_value_after_a_colon_is_secret_unless_it_is_a_lowercase_word() {
        for (text, want) in [
            (
                "password: hunter2 is wrong",
                "password: [REDACTED] is wrong",
            ),
            ("password=hunter is wrong", "password=[REDACTED] is wrong"),
            (
                "password: 'hunter' is wrong",
                "password: '[REDACTED]' is wrong",
            ),
            ("password: Hunter", "password: [REDACTED]"),
            ("token: a-b", "token: [REDACTED]"),
            (
                "Authorization: Bearer abcdefgh",
                "Authorization: Bearer [REDACTED]",
            ),
        ] {
            assert_eq!(redact(text), want, "{text}");
        }
    }

    /// Found reviewing issue 17: a user pattern that matched inside an inserted marker made
    /// a second redaction differ from the first.
    #[test]
    fn no_rule_matches_inside_a_marker() {
        let names = SecretNames::new::<&str>(&[]);
        for pattern in [
            r"\w+",
            "RED",
            "[A-Z]{2}",
            ".",
            r"D\]",
            r"\[",
            "(?i)redacted",
        ] {
            let rules = TextRules::new(&names, &[pattern]).unwrap();
            for text in [
                "abc def",
                "x [REDACTED] y",
                "password=abc RED",
                "[REDACTED]",
            ] {
                let once = rules.redact(text, &names).into_owned();
                assert_eq!(rules.redact(&once, &names), once, "{pattern} on {text}");
            }
        }
    }

    /// Found by the fuzzer: a quoted value under a secret key holding `-----BEGIN` was split
    /// there and its rest left to user patterns, whose markers hid the `-----BEGIN` (or the
    /// closing quote) from a second redaction, which then took the value otherwise. A value
    /// is split only where a whole armour line starts, and only when unquoted.
    #[test]
    fn a_value_is_split_only_at_a_whole_pem_armour_line() {
        let names = SecretNames::new::<&str>(&[]);
        let rules = TextRules::new(&names, &[r"[A-Z]{2}|\w{3}"]).unwrap();
        for (text, want) in [
            (
                r#""password":"x.-----BEGINkey=sk-live-Shook=E""#,
                r#""password":"[REDACTED]""#,
            ),
            (
                r#""password":"x -----BEGIN PUBLIC KEY-----abc""#,
                r#""password":"[REDACTED]""#,
            ),
            (
                r#""password":"x -----BEGIN RSA PRIVATE KEY-----abc-----END RSA PRIVATE KEY----- y""#,
                r#""password":"[REDACTED]""#,
            ),
            (
                "password: -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- y",
                "[REDACTED][REDACTED]rd: -----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY----- y",
            ),
            (
                "password=x-----BEGIN PRIVATE KEY-----\nMIIE",
                "password=[REDACTED]-----BEGIN PRIVATE KEY-----[REDACTED]",
            ),
            ("password=x-----BEGINkey=AB", "password=[REDACTED]"),
        ] {
            let once = rules.redact(text, &names).into_owned();
            assert_eq!(once, want, "{text}");
            assert_eq!(rules.redact(&once, &names), once, "{text}");
        }
    }

    /// Found by the fuzzer: `cookie: "…"` was no quoted value for the backslash in it, which
    /// the URL rule then replaced; a second redaction took the quoted value whole. Redaction
    /// goes on until a pass changes nothing.
    #[test]
    fn a_rule_that_another_rule_unblocks_matches_in_the_same_redaction() {
        let text = r#"cookie":"https://u:p\q@h/x""#;
        let once = redact(text);
        assert_eq!(once, r#"cookie":"[REDACTED][REDACTED][REDACTED]""#);
        assert_eq!(redact(&once), once);
    }

    #[test]
    fn user_patterns_join_the_rules_and_bad_ones_are_named() {
        let names = SecretNames::new(&["card"]);
        let rules = TextRules::new(&names, &[r"\d{4}-\d{4}", "(a)(b)x"]).unwrap();
        assert_eq!(
            rules.redact("card=visa-4111 pin 1234-5678 abx and password=p", &names),
            "card=[REDACTED] pin [REDACTED] [REDACTED] and password=[REDACTED]"
        );
        let err = TextRules::new(&names, &["(unclosed"]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("--redact-pattern '(unclosed': "),
            "{err}"
        );
        let empty = TextRules::new(&names, &["x*"]).unwrap();
        assert_eq!(empty.redact("axxb", &names), "a[REDACTED]b");
    }
}
