use super::*;
use proptest::prelude::*;
use serde_json::Value;

fn on() -> Redactor {
    Redactor::new::<&str, &str>(&[], &[]).unwrap()
}

fn redacted(r: &Redactor, json: &str) -> String {
    String::from_utf8(r.redact_entry(json.as_bytes()).into_owned()).unwrap()
}

#[test]
fn state_keys_are_replaced_whole_and_kept_as_written_elsewhere() {
    let r = on();
    let entry = r#"{"agent_id": "a", "state": {"data": {"user": "ann", "auth": {"Authorization": "Bearer abc", "n": 1.50},
        "list": [{"password": {"deep": 1}}, 2e3], "tokens": 2151, "max_tokens": 4096, "token": 12.5e3,
        "tokenizer": "cl100k"}, "meta": {"cookie": ["x"]}},
        "agent_result": {"output_state": {"data": {"client_secret": "s"}}}}"#;
    assert_eq!(
        redacted(&r, entry),
        r#"{"agent_id": "a", "state": {"data": {"user": "ann", "auth": {"Authorization": "[REDACTED]", "n": 1.50},
        "list": [{"password": "[REDACTED]"}, 2e3], "tokens": 2151, "max_tokens": 4096, "token": 12.5e3,
        "tokenizer": "cl100k"}, "meta": {"cookie": "[REDACTED]"}},
        "agent_result": {"output_state": {"data": {"client_secret": "[REDACTED]"}}}}"#
    );
    let plain = r#"{"state": {"data": {"message": "hello"}}}"#;
    assert!(matches!(r.redact_entry(plain.as_bytes()), Cow::Borrowed(_)));
}

/// Key rules are for the state: an entry's own fields are the reader's (`--redact-key hook`
/// must not make entries unreadable), and only text rules look at them.
#[test]
fn key_rules_stay_in_the_state_and_text_rules_go_everywhere() {
    let r = Redactor::new(&["hook", "route"], &[] as &[&str]).unwrap();
    let entry = r#"{"hook": "AgentError", "error": "db password=hunter2 down", "event_id": "sk-abcdefghijklmnopqrstu",
        "agent_result": {"error": "token: abc123", "output_state": {"meta": {"route": "next"}}}}"#;
    assert_eq!(
        redacted(&r, entry),
        r#"{"hook": "AgentError", "error": "db password=[REDACTED] down", "event_id": "[REDACTED]",
        "agent_result": {"error": "token: [REDACTED]", "output_state": {"meta": {"route": "[REDACTED]"}}}}"#
    );
}

#[test]
fn escaped_strings_are_decoded_looked_at_and_written_back() {
    let r = on();
    let entry = r#"{"state": {"data": {"\u0070assword": "x", "note": "line\n\u0061pi_key=abc\"q\"", "url": "https:\/\/u:p4ss@h\/"}}}"#;
    let out = redacted(&r, entry);
    let value: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["state"]["data"]["password"], "[REDACTED]");
    assert_eq!(
        value["state"]["data"]["note"],
        "line\napi_key=[REDACTED]\"q\""
    );
    assert_eq!(value["state"]["data"]["url"], "https://u:[REDACTED]@h/");
}

/// Found reading the path of a 100,000-level value (fixtures/bad): a search for secrets that
/// recursed once per level overflowed the stack.
#[test]
fn secrets_are_found_at_any_depth_in_one_pass() {
    let r = on();
    let depth = 100_000;
    let json = format!(
        r#"{{"state":{{"data":{{"a":{}{{"Pass\u0077ord":[1,{{"x":"}}"}}],"k":"v"}}{}}}}}}}"#,
        "[{\"b\":".repeat(depth),
        "}]".repeat(depth)
    );
    assert_eq!(
        redacted(&r, &json),
        json.replace(r#"[1,{"x":"}"}]"#, r#""[REDACTED]""#)
    );
}

/// Found by the fuzzer: a key with an escape and a byte that is not UTF-8 was judged undecoded
/// (`\u0070assword` is no word), but written out decoded, and a second redaction then took it
/// for secret. A key is judged as it is written out, its escapes decoded and its own secrets
/// replaced.
#[test]
fn a_key_is_judged_as_it_is_written_out() {
    let r = on();
    for (entry, want) in [
        (
            &b"{\"state\":{\"data\":{\"\\u0070assword \xff\":\"b\"}}}"[..],
            "{\"state\":{\"data\":{\"\\u0070assword \u{fffd}\":\"[REDACTED]\"}}}",
        ),
        (
            &b"{\"state\":{\"data\":{\"AKIAIOSFODNN7EXAMPLEpassword\":\"b\"}}}"[..],
            "{\"state\":{\"data\":{\"[REDACTED]password\":\"[REDACTED]\"}}}",
        ),
    ] {
        let once = r.redact_entry(entry).into_owned();
        assert_eq!(String::from_utf8_lossy(&once), want);
        assert_eq!(r.redact_entry(&once), &once[..]);
    }
    // Found by the fuzzer: a user pattern that takes the key's secret word leaves it secret.
    let words = Redactor::new::<&str, &str>(&[], &[r"\w{3}"]).unwrap();
    let entry = br#"{"state":{"data":{"password":[1,{"a":"b"}],"k":"v"}}}"#;
    let once = words.redact_entry(entry).into_owned();
    assert_eq!(
        String::from_utf8_lossy(&once),
        r#"{"[REDACTED]te":{"[REDACTED]a":{"[REDACTED][REDACTED]rd":"[REDACTED]","k":"v"}}}"#
    );
    assert_eq!(words.redact_entry(&once), &once[..]);
}

#[test]
fn damaged_entries_are_redacted_as_far_as_they_go() {
    let r = on();
    for (cut, want) in [
        (
            r#"{"state": {"data": {"password": "abc"#,
            r#"{"state": {"data": {"password": "[REDACTED]""#,
        ),
        (
            r#"{"error": "api_key=abc"#,
            r#"{"error": "api_key=[REDACTED]"#,
        ),
        (
            r#"{"error": "api_key=abc\"#,
            r#"{"error": "api_key=[REDACTED]\"#,
        ),
    ] {
        assert_eq!(redacted(&r, cut), want, "{cut}");
    }
}

/// Found by the fuzzer: a string that could not be decoded (a control character) was
/// redacted as written, `\n` as two characters; the control character was in the secret, so
/// the redacted string could be decoded, and a second redaction found `token-x: …` on a line
/// of its own.
#[test]
fn a_string_redacted_into_one_that_decodes_is_redacted_as_read() {
    let r = on();
    let entry = b"{\"error\": \"api_key=ab\x01c\\ntoken-x://h/x\"}";
    let once = r.redact_entry(entry).into_owned();
    assert_eq!(
        String::from_utf8_lossy(&once),
        r#"{"error": "api_key=[REDACTED]\ntoken-x:[REDACTED]"}"#
    );
    assert_eq!(r.redact_entry(&once), &once[..]);
}

/// Strings whose only escapes stand for characters no literal has (long texts are full of
/// them: `\n`, and `\u0026` for `&` as Go writes it) are passed over, undecoded; an escape
/// still parts words, and one can hide a literal.
#[test]
fn escapes_hide_no_secret_unless_a_literal_has_their_character_but_part_words() {
    let r = on();
    let plain = r#"{"error": "r\u00e9sum\u00e9 \u2019tokens\u2019 \ud83d\ude00 \n a \u0026 b \u003cp\u003e\t\"q\" \\d+ \\q", "state": {"data": {"tokens\u00bb": 3}}}"#;
    assert!(matches!(r.redact_entry(plain.as_bytes()), Cow::Borrowed(_)));
    // Found measuring: a secret at the start of a line after `\n` was taken for part of the
    // word `ntoken`, and kept.
    let lines = r#"{"error": "line\ntoken=abc123\tpassword: x1\u0026api_key=k2", "state": {"data": {"x\ttoken": "v"}}}"#;
    let value: Value = serde_json::from_str(&redacted(&r, lines)).unwrap();
    assert_eq!(
        value["error"],
        "line\ntoken=[REDACTED]\tpassword: [REDACTED]&api_key=[REDACTED]"
    );
    assert_eq!(value["state"]["data"]["x\ttoken"], "[REDACTED]");
    let entry = r#"{"error": "\u00bbtoken=abc1 \u00e9\u0074okens=x", "state": {"data": {"\u00bbtoken": "v", "\u00e9tokens": "w"}}}"#;
    let value: Value = serde_json::from_str(&redacted(&r, entry)).unwrap();
    assert_eq!(value["error"], "»token=[REDACTED] étokens=x");
    assert_eq!(value["state"]["data"]["»token"], "[REDACTED]");
    assert_eq!(value["state"]["data"]["étokens"], "w");
    let pattern = Redactor::new(&["пароль"], &[] as &[&str]).unwrap();
    let value: Value = serde_json::from_str(&redacted(
        &pattern,
        r#"{"error": "\u043f\u0430\u0440\u043e\u043b\u044c=abc1"}"#,
    ))
    .unwrap();
    assert_eq!(value["error"], "пароль=[REDACTED]");
}

#[test]
fn off_redacts_nothing_and_bad_patterns_are_refused() {
    let entry = br#"{"state": {"data": {"password": "abc"}}}"#;
    assert!(matches!(
        Redactor::off().redact_entry(entry),
        Cow::Borrowed(_)
    ));
    let off = Redactor::from_flags::<&str, &str>(false, &[], &[]).unwrap();
    assert!(!off.is_on());
    assert!(
        Redactor::from_flags::<&str, &str>(false, &[], &["x"])
            .unwrap()
            .is_on()
    );
    assert!(Redactor::from_flags::<&str, &str>(false, &[], &["("]).is_err());
}

/// Words and fragments that near-miss every rule, to build texts that hold no secret.
const HARMLESS: &[&str] = &[
    "tokens: 2151",
    "max_tokens=4096",
    "prompt_tokens",
    "tokenizer: cl100k",
    "token=12",
    "password: true",
    "basic idea",
    "bearer bonds",
    "https://example.com/x?q=1",
    "sk-short",
    "eyJ",
    "AKIA",
    "-----BEGIN PUBLIC KEY-----",
    "note",
    " ",
    "\n",
    "\"",
    "\\",
    "ünï ☃",
    "{",
    "=",
    ":",
    "42",
];

/// Secrets of every built-in shape.
const SECRETS: &[&str] = &[
    "api_key=sk-live-SECRET444",
    "Authorization: Bearer abcdef123456",
    "https://admin:SECRET666@db.internal/x",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "xoxb-1234567890-abcdefghij",
    "AKIAIOSFODNN7EXAMPLE",
    "AIzaSyA-abcdefghijklmnopqrstuvwxyz012345",
    "sk_live_abcdefghij0123456789",
    "password: \"two words\"",
    "sent Bearer abcdef123456",
    "password: \"x -----BEGINkey=sk-live-SECRET\"",
    "password: \"x -----BEGIN PRIVATE KEY-----MIIE-----END PRIVATE KEY----- tail\"",
];

/// The parts as one text, a space between each (so that `token=12` stays a number).
fn text_of(parts: &[&'static str]) -> String {
    parts.join(" ")
}

proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(256))]

    /// A text with no secret comes back byte for byte.
    #[test]
    fn a_text_without_secrets_is_unchanged(parts in proptest::collection::vec(proptest::sample::select(HARMLESS), 0..12)) {
        let text = text_of(&parts);
        prop_assert_eq!(on().redact_text(&text), text.as_str());
    }

    /// Redacting twice is redacting once, and no secret survives either.
    #[test]
    fn redaction_is_idempotent(
        parts in proptest::collection::vec(
            prop_oneof![proptest::sample::select(HARMLESS), proptest::sample::select(SECRETS)],
            0..10,
        ),
        noise in "\\PC{0,20}",
    ) {
        let r = on();
        let text = format!("{}{noise}", text_of(&parts));
        let once = r.redact_text(&text).into_owned();
        prop_assert_eq!(r.redact_text(&once), once.as_str());
        for secret in ["SECRET444", "SECRET666", "abcdef123456", "MIIE", "AKIAIOSFODNN7EXAMPLE", "c2lnbmF0dXJl"] {
            prop_assert!(!once.contains(secret), "{secret} in {once}");
        }
        let entry = serde_json::json!({"error": text, "state": {"data": {"note": text, "password": text}}}).to_string();
        let once = r.redact_entry(entry.as_bytes()).into_owned();
        prop_assert!(serde_json::from_slice::<Value>(&once).is_ok());
        prop_assert_eq!(r.redact_entry(&once).into_owned(), once);
    }

    /// The same with user patterns, whatever they match, `[REDACTED]` or part of it
    /// included; and a text none of them matches comes back byte for byte.
    #[test]
    fn redaction_with_user_patterns_is_idempotent(
        patterns in proptest::collection::vec(
            proptest::sample::select(&[r"\w+", "RED", "[A-Z]{2,}", ".", r"D\]", r"\[", "(?i)acted", "cust-[0-9]{3,}", r"\s", "x*", "E"][..]),
            1..4,
        ),
        parts in proptest::collection::vec(
            prop_oneof![proptest::sample::select(HARMLESS), proptest::sample::select(SECRETS), Just("cust-1234"), Just("[REDACTED]")],
            0..8,
        ),
        noise in "\\PC{0,12}",
    ) {
        let r = Redactor::new::<&str, &str>(&[], &patterns).unwrap();
        let text = format!("{}{noise}", text_of(&parts));
        let once = r.redact_text(&text).into_owned();
        prop_assert_eq!(r.redact_text(&once), once.as_str());
        let entry = serde_json::json!({"error": text, "state": {"data": {"note": text, "password": text}}}).to_string();
        let once = r.redact_entry(entry.as_bytes()).into_owned();
        prop_assert!(serde_json::from_slice::<Value>(&once).is_ok());
        prop_assert_eq!(r.redact_entry(&once).into_owned(), once);
    }

    /// A text without secrets is unchanged by a user pattern that matches none of it.
    #[test]
    fn a_user_pattern_that_matches_nothing_changes_nothing(parts in proptest::collection::vec(proptest::sample::select(HARMLESS), 0..12)) {
        let r = Redactor::new::<&str, &str>(&[], &["cust-[0-9]{3,}", "ZZZ+"]).unwrap();
        let text = text_of(&parts);
        prop_assert_eq!(r.redact_text(&text), text.as_str());
    }

    /// Numbers are never changed, under a secret key or not, at any depth.
    #[test]
    fn numbers_are_never_changed(
        members in proptest::collection::vec(
            (proptest::sample::select(&["token", "tokens", "password", "api_key", "max_tokens", "n", "cookie"][..]),
             prop_oneof![any::<i64>().prop_map(|n| n.to_string()), any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| f.to_string()), Just("true".to_owned()), Just("null".to_owned())]),
            0..8,
        ),
    ) {
        let body: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        let entry = format!(r#"{{"state": {{"data": {{{0}, "nested": [{{{0}}}]}}}}}}"#, body.join(", ").trim_start_matches(", "));
        let entry = entry.replace("{, ", "{");
        // A user pattern that matches digits matches text, never a number.
        let digits = Redactor::new::<&str, &str>(&[], &[r"\d+", r"-?\d+(\.\d+)?(e[+-]?\d+)?"]).unwrap();
        for r in [on(), digits] {
            prop_assert_eq!(r.redact_entry(entry.as_bytes()).into_owned(), entry.as_bytes());
        }
    }
}
