//! Which keys are secret: a key is secret when one of the secret names is a whole word (or a
//! run of whole words) of it, so that `access_token` is secret and `max_tokens` is not.

/// The names redacted by default (`--redact`). A name of several words (`api_key`) matches
/// those words in a row, however they are joined (`apiKey`, `X-Api-Key`, `API_KEY`).
pub const SECRET_WORDS: [&str; 7] = [
    "password",
    "token",
    "secret",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
];

/// The words of a key, lower case: split at every character that is not a letter or a digit,
/// between a lower-case letter and an upper-case one (`apiKey`), before the last capital of a
/// run of capitals followed by a lower-case letter (`HTTPHeader`), and between letters and
/// digits (`oauth2`).
pub fn words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let chars: Vec<char> = key.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            flush(&mut word, &mut words);
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|p| chars.get(p)) {
            let next = chars.get(i + 1).copied();
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_uppercase()
                    && c.is_uppercase()
                    && next.is_some_and(char::is_lowercase))
                || (prev.is_alphabetic() && c.is_numeric())
                || (prev.is_numeric() && c.is_alphabetic());
            if boundary {
                flush(&mut word, &mut words);
            }
        }
        word.extend(c.to_lowercase());
    }
    flush(&mut word, &mut words);
    words
}

fn flush(word: &mut String, words: &mut Vec<String>) {
    if !word.is_empty() {
        words.push(std::mem::take(word));
    }
}

/// The secret names, each as its words.
#[derive(Debug, Clone, Default)]
pub struct SecretNames {
    names: Vec<Vec<String>>,
}

impl SecretNames {
    /// The default names and `extra` ones (`--redact-key`); names without a letter or digit
    /// are ignored.
    pub fn new<S: AsRef<str>>(extra: &[S]) -> SecretNames {
        let mut names: Vec<Vec<String>> = Vec::new();
        let all = SECRET_WORDS
            .iter()
            .copied()
            .chain(extra.iter().map(AsRef::as_ref));
        for name in all.map(words) {
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
        SecretNames { names }
    }

    /// Whether `key` has one of the names as whole words.
    pub fn is_secret(&self, key: &str) -> bool {
        let words = words(key);
        self.names
            .iter()
            .any(|name| words.windows(name.len()).any(|w| w == name.as_slice()))
    }

    /// The cases a whole word can be written in: `token`, `TOKEN`, `Token`.
    pub fn cases(word: &str) -> Vec<String> {
        let mut chars = word.chars();
        let title: String = chars
            .next()
            .into_iter()
            .flat_map(char::to_uppercase)
            .chain(chars)
            .collect();
        let mut cases = vec![word.to_owned(), word.to_uppercase(), title];
        cases.sort_unstable();
        cases.dedup();
        cases
    }

    /// The first word of each name (in lower case): a key can only be secret if it holds one
    /// as a whole word, written in one of its [`cases`](Self::cases) (a change of case within
    /// a word splits it), which is what the text rules look for first.
    pub fn first_words(&self) -> impl Iterator<Item = &str> {
        self.names
            .iter()
            .filter_map(|n| n.first())
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_separators_case_changes_and_digits() {
        assert_eq!(words("openai.apiKey"), ["openai", "api", "key"]);
        assert_eq!(words("X-Api-Key"), ["x", "api", "key"]);
        assert_eq!(words("HTTPAuthorization"), ["http", "authorization"]);
        assert_eq!(words("oauth2Token"), ["oauth", "2", "token"]);
        assert_eq!(words("APIKEY"), ["apikey"]);
        assert_eq!(words("ТОКЕН_token"), ["токен", "token"]);
        assert!(words("_-.").is_empty());
    }

    /// Issue 17: every key containing "token" was redacted, token counts included.
    #[test]
    fn a_secret_word_must_be_a_whole_word_of_the_key() {
        let names = SecretNames::new(&["Ssn", "credit_card"]);
        for key in [
            "password",
            "DB_PASSWORD",
            "X-Api-Key",
            "openai.apiKey",
            "APIKEY",
            "Authorization",
            "token",
            "access_token",
            "refresh_token",
            "id_token",
            "auth_token",
            "accessToken",
            "session_cookie",
            "set-cookie",
            "client_secret",
            "user_ssn",
            "creditCard",
            "ТОКЕН_token",
        ] {
            assert!(names.is_secret(key), "{key} should be secret");
        }
        for key in [
            "tokens",
            "tokens_used",
            "max_tokens",
            "prompt_tokens",
            "completion_tokens",
            "tokenizer",
            "passwords_checked",
            "secretary",
            "api",
            "key",
            "author",
            "route",
            "card",
            "message",
        ] {
            assert!(!names.is_secret(key), "{key} should not be secret");
        }
        assert!(
            names.is_secret("token_count"),
            "token is a whole word of token_count"
        );
    }
}
