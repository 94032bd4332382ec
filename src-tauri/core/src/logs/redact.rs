//! Redaction before storage (SPEC.md "Logs"): what a SCIM log entry keeps of a secret.
//!
//! - `Authorization` keeps its scheme and a short fingerprint of the credential, so two tokens
//!   can be told apart without either being recoverable; Basic keeps the username too (a
//!   generated, non-secret name that tells the engineer which credential the IdP used).
//! - `password` attributes go wherever they stand: any object member named `password` (any
//!   case, URN-qualified or not), and the `value` of a PATCH operation whose `path` names it.
//! - Names on the configurable list are treated the same, as headers and as attributes.
//!
//! Bodies that are not JSON are scanned as text for `"password": "…"`-shaped pairs, so a
//! malformed body keeps its shape for debugging and loses its secrets.

use std::cell::RefCell;

use base64::Engine;
use serde_json::Value;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Header names that always carry secrets.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Names redacted besides the built-in ones (case-insensitive), for headers and attributes —
/// for example an IdP's custom token header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redaction {
    names: Vec<String>,
}

impl Redaction {
    /// A list from names separated by commas or newlines (blank items ignored).
    pub fn parse(text: &str) -> Redaction {
        Redaction {
            names: text
                .split([',', '\n'])
                .map(|n| n.trim().to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .collect(),
        }
    }

    fn names_header(&self, name: &str) -> bool {
        SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
            || self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// Whether an attribute (`password`, `urn:…:User:password`, or a listed name) is secret.
    fn names_attribute(&self, name: &str) -> bool {
        let last = name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase();
        let last = last.rsplit('.').next().unwrap_or(&last).to_owned();
        last == "password" || self.names.contains(&last)
    }

    /// Calls `with` on the header's value as it is stored (lent, not returned: a credential's
    /// redacted form is remembered per thread, see [`with_authorization`]).
    pub fn header<R>(&self, name: &str, value: &str, with: impl FnOnce(&str) -> R) -> R {
        if name.eq_ignore_ascii_case("authorization")
            || name.eq_ignore_ascii_case("proxy-authorization")
        {
            return with_authorization(value, with);
        }
        if self.names_header(name) {
            return with(REDACTED);
        }
        with(value)
    }

    /// Redacts a JSON body in place; returns how many values were replaced.
    pub fn json(&self, body: &mut Value) -> usize {
        let mut count = 0;
        self.walk(body, &mut count);
        count
    }

    fn walk(&self, value: &mut Value, count: &mut usize) {
        match value {
            Value::Object(members) => {
                // A PATCH operation whose path names a secret: its value is the secret.
                let secret_path = members
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("path"))
                    .and_then(|(_, p)| p.as_str())
                    .is_some_and(|path| self.names_attribute(path_attribute(path)));
                for (key, member) in members.iter_mut() {
                    let secret = self.names_attribute(key)
                        || (secret_path && key.eq_ignore_ascii_case("value"));
                    if secret {
                        if !member.is_null() {
                            *member = Value::String(REDACTED.to_owned());
                            *count += 1;
                        }
                    } else {
                        self.walk(member, count);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.walk(item, count)),
            _ => {}
        }
    }

    /// Redacts a body that is not JSON: every `"name": "…"` pair (or `"name": 123`) whose name
    /// is secret has its value replaced. Returns the text and how many values were replaced.
    pub fn text(&self, body: &str) -> (String, usize) {
        let mut out = String::with_capacity(body.len());
        let mut count = 0;
        let mut rest = body;
        while let Some((before, name, after)) = next_string(rest) {
            out.push_str(before);
            out.push_str(name.raw);
            rest = after;
            if !self.names_attribute(&name.text) {
                continue;
            }
            let Some(colon) = rest.trim_start().strip_prefix(':') else {
                continue;
            };
            let gap = rest.len() - rest.trim_start().len();
            let value_text = colon.trim_start();
            let spacing = &rest[..gap + 1 + (colon.len() - value_text.len())];
            let value_len = match next_string(value_text) {
                Some(("", value, _)) => value.raw.len(),
                _ => value_text
                    .find([',', '}', ']', '\n'])
                    .unwrap_or(value_text.len()),
            };
            if value_len == 0 {
                continue;
            }
            out.push_str(spacing);
            out.push('"');
            out.push_str(REDACTED);
            out.push('"');
            count += 1;
            rest = &value_text[value_len..];
        }
        out.push_str(rest);
        (out, count)
    }
}

/// The attribute a PATCH path names: `password`, `urn:…:User:password`, `name.givenName`, or
/// the attribute before a value filter (`emails[type eq "work"].value` → `emails`).
fn path_attribute(path: &str) -> &str {
    match path.find('[') {
        Some(bracket) => &path[..bracket],
        None => path,
    }
}

/// A JSON string literal found in text: as written (with quotes) and unescaped enough to
/// compare names.
struct Literal<'a> {
    raw: &'a str,
    text: String,
}

/// The next string literal in `text`: what precedes it, the literal, and what follows. An
/// unterminated literal runs to the end of the text.
fn next_string(text: &str) -> Option<(&str, Literal<'_>, &str)> {
    let start = text.find('"')?;
    let bytes = text.as_bytes();
    let mut i = start + 1;
    let mut unescaped = String::new();
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                if let Some(&next) = bytes.get(i + 1) {
                    unescaped.push(char::from(next));
                }
                i += 2;
            }
            b'"' => {
                let end = i + 1;
                return Some((
                    &text[..start],
                    Literal {
                        raw: &text[start..end],
                        text: unescaped,
                    },
                    &text[end..],
                ));
            }
            _ => {
                // Multi-byte characters are copied whole; only ASCII names matter here.
                let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
                unescaped.push_str(&text[i..i + ch_len]);
                i += ch_len;
            }
        }
    }
    let end = text.len();
    Some((
        &text[..start],
        Literal {
            raw: &text[start..end],
            text: unescaped,
        },
        "",
    ))
}

thread_local! {
    /// The last `Authorization` value this thread redacted, and its redacted form.
    static LAST_AUTHORIZATION: RefCell<(String, String)> = RefCell::default();
}

/// Calls `with` on [`authorization`]`(value)`. An IdP sends the same credential with every
/// request, so the last value each thread saw is remembered with its redacted form: the
/// fingerprint (a SHA-256, hex digits and a format) is worked out once per credential and
/// thread, not once per request. The credential stays only in this process's memory, where the
/// request that carried it is anyway.
pub fn with_authorization<R>(value: &str, with: impl FnOnce(&str) -> R) -> R {
    LAST_AUTHORIZATION.with(|last| {
        let Ok(mut last) = last.try_borrow_mut() else {
            // Only reachable if `with` itself redacted a header; work it out afresh.
            return with(&authorization(value));
        };
        if last.0 != value {
            last.1 = authorization(value);
            value.clone_into(&mut last.0);
        }
        with(&last.1)
    })
}

/// `Authorization` as stored: the scheme and a fingerprint of the credential (the first 8 hex
/// digits of its SHA-256), and for Basic the username.
pub fn authorization(value: &str) -> String {
    let value = value.trim();
    let (scheme, credential) = match value.split_once(char::is_whitespace) {
        Some((scheme, rest)) => (scheme, rest.trim()),
        None if value.is_empty() => return String::new(),
        // No scheme (some IdPs send the bare token): all of it is the credential.
        None => ("", value),
    };
    let fingerprint = fingerprint(credential);
    if scheme.eq_ignore_ascii_case("basic") {
        let username = base64::engine::general_purpose::STANDARD
            .decode(credential)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|pair| pair.split_once(':').map(|(user, _)| user.to_owned()));
        if let Some(username) = username {
            return format!("{scheme} {username}:{REDACTED} (sha256 {fingerprint})");
        }
    }
    if scheme.is_empty() {
        return format!("{REDACTED} (sha256 {fingerprint})");
    }
    format!("{scheme} {REDACTED} (sha256 {fingerprint})")
}

/// The first 8 hex digits of the SHA-256 of `secret`: enough to tell credentials apart, far
/// too little to recover or guess one.
pub fn fingerprint(secret: &str) -> String {
    let digest = crate::secrets::hash(secret);
    crate::secrets::hex(&digest[..4])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn authorization_keeps_the_scheme_and_tells_tokens_apart() {
        let one = authorization("Bearer scimwb_aaaa_1111");
        let two = authorization("Bearer scimwb_aaaa_2222");
        assert!(one.starts_with("Bearer [redacted] (sha256 "), "{one}");
        assert_ne!(one, two);
        assert!(!one.contains("1111") && !two.contains("2222"));
        assert_eq!(one, authorization("Bearer   scimwb_aaaa_1111 "));
        let basic = base64::engine::general_purpose::STANDARD.encode("scim-okta:s3cret-pw");
        let stored = authorization(&format!("Basic {basic}"));
        assert!(
            stored.starts_with("Basic scim-okta:[redacted] (sha256 "),
            "{stored}"
        );
        assert!(!stored.contains(&basic) && !stored.contains("s3cret"));
        let bare = authorization("just-a-token");
        assert!(bare.starts_with("[redacted] (sha256 ") && !bare.contains("just-a-token"));
        assert_eq!(authorization(""), "");
    }

    #[test]
    fn secret_headers_and_listed_headers_are_redacted() {
        let redaction = Redaction::parse("X-Okta-Token,\n x-api-key ,");
        let stored = |name: &str, value: &str| redaction.header(name, value, str::to_owned);
        assert_eq!(stored("Cookie", "session=1"), REDACTED);
        assert_eq!(stored("x-okta-token", "abc"), REDACTED);
        assert_eq!(stored("X-API-Key", "abc"), REDACTED);
        assert_eq!(
            stored("User-Agent", "Okta SCIM Client 1.0.0"),
            "Okta SCIM Client 1.0.0"
        );
        assert!(stored("Authorization", "Bearer t").starts_with("Bearer [redacted]"));
    }

    #[test]
    fn a_remembered_credential_is_never_another_ones_fingerprint() {
        let redaction = Redaction::default();
        let stored = |value: &str| redaction.header("Authorization", value, str::to_owned);
        let one = stored("Bearer scimwb_aaaa_1111");
        assert_eq!(stored("Bearer scimwb_aaaa_1111"), one);
        let two = stored("Bearer scimwb_aaaa_2222");
        assert_eq!(two, authorization("Bearer scimwb_aaaa_2222"));
        assert_ne!(two, one);
        assert_eq!(stored("Bearer scimwb_aaaa_1111"), one);
        assert_eq!(stored(""), "");
        // Redacting inside `with` (not done today) still gets the right value.
        let nested = redaction.header("Authorization", "Bearer x", |outer| {
            (outer.to_owned(), stored("Bearer y"))
        });
        assert_eq!(
            nested,
            (authorization("Bearer x"), authorization("Bearer y"))
        );
    }

    #[test]
    fn passwords_go_wherever_they_stand_in_json() {
        let redaction = Redaction::default();
        let mut okta_create = json!({
            "userName": "a@b.c", "password": "Sup3r-secret!",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"Password": "x"},
            "emails": [{"value": "a@b.c"}]
        });
        assert_eq!(redaction.json(&mut okta_create), 2);
        assert_eq!(okta_create["password"], REDACTED);
        assert_eq!(okta_create["emails"][0]["value"], "a@b.c");

        let mut patch = json!({"Operations": [
            {"op": "replace", "path": "password", "value": "new-secret"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:password", "value": "urn-secret"},
            {"op": "replace", "value": {"password": "in-value", "active": true}},
            {"op": "replace", "path": "displayName", "value": "Shown"}
        ]});
        assert_eq!(redaction.json(&mut patch), 3);
        let text = patch.to_string();
        for secret in ["new-secret", "urn-secret", "in-value"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert_eq!(patch["Operations"][2]["value"]["active"], true);
        assert_eq!(patch["Operations"][3]["value"], "Shown");
    }

    #[test]
    fn listed_attributes_are_redacted_too() {
        let redaction = Redaction::parse("employeeNumber");
        let mut body = json!({"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "42"}});
        assert_eq!(redaction.json(&mut body), 1);
        assert!(!body.to_string().contains("42"));
    }

    #[test]
    fn text_bodies_lose_their_passwords_and_keep_their_shape() {
        let redaction = Redaction::default();
        let (text, n) = redaction.text(r#"{"userName": "a", "password" : "se\"cret", "x": 1,"#);
        assert_eq!(n, 1);
        assert_eq!(
            text,
            r#"{"userName": "a", "password" : "[redacted]", "x": 1,"#
        );
        let (text, n) = redaction.text(r#"{"PASSWORD":12345}"#);
        assert_eq!((text.as_str(), n), (r#"{"PASSWORD":"[redacted]"}"#, 1));
        let (text, n) = redaction.text(r#"{"password": "unterminated"#);
        assert_eq!((text.as_str(), n), (r#"{"password": "[redacted]""#, 1));
        let (text, n) = redaction.text(r#"{"note": "my password is", "é": "ü"}"#);
        assert_eq!(
            (text.as_str(), n),
            (r#"{"note": "my password is", "é": "ü"}"#, 0)
        );
    }
}
