//! A request or response body as the SCIM log keeps it: redacted first, then cut to a size
//! limit with a marker that says how much was dropped — never dropped silently. Bodies that
//! are not JSON (a malformed request, an HTML error page from a proxy) are kept as text.

use std::borrow::Cow;

use serde_json::Value;

use super::redact::Redaction;

/// The default size limit of a stored body (64 KiB): an Okta import page of 100 users fits.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// A body as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBody<'a> {
    /// The redacted body: compact JSON when it parsed, else the text (invalid UTF-8 shown as
    /// U+FFFD); ends with the truncation marker when cut. Borrowed from the body when it is
    /// kept as it came.
    pub text: Cow<'a, str>,
    /// Whether the body parsed as JSON.
    pub json: bool,
    /// The size of the redacted body before it was cut, when it was.
    pub truncated_from: Option<usize>,
    /// How many secret values redaction replaced.
    pub redacted: usize,
}

/// Redacts and cuts `bytes` for storage.
pub fn store(bytes: &[u8], limit: usize, redaction: &Redaction) -> StoredBody<'static> {
    store_request(bytes, 0, limit, redaction).0
}

/// [`store`], also returning the body as parsed (when it is JSON), redacted, for what else
/// reads it (the IdP guess, which looks at schemas, operations and `externalId`, never at
/// secrets): one parse per body, and no copy of it. `unseen` is how many bytes of the body
/// were not captured at all (beyond the capture limit); the marker counts them.
pub fn store_request(
    bytes: &[u8],
    unseen: usize,
    limit: usize,
    redaction: &Redaction,
) -> (StoredBody<'static>, Option<Value>) {
    // Most GETs and DELETEs: nothing to parse, redact or cut.
    if bytes.is_empty() && unseen == 0 {
        let empty = StoredBody {
            text: Cow::Borrowed(""),
            json: false,
            truncated_from: None,
            redacted: 0,
        };
        return (empty, None);
    }
    let (text, json, redacted, parsed) = match serde_json::from_slice::<Value>(bytes) {
        Ok(mut value) => {
            let redacted = redaction.json(&mut value);
            (value.to_string(), true, redacted, Some(value))
        }
        Err(_) => {
            let (text, redacted) = redaction.text(&String::from_utf8_lossy(bytes));
            (text, false, redacted, None)
        }
    };
    let (text, truncated_from) = cut(text, limit, unseen);
    let stored = StoredBody {
        text: Cow::Owned(text),
        json,
        truncated_from,
        redacted,
    };
    (stored, parsed)
}

/// A body this server wrote (a SCIM response): it carries no secrets (`password` is
/// `returned: never`), so it is kept as written, only cut — no parse, and no copy when it fits.
/// `json` comes from its content type.
pub fn store_own(bytes: &[u8], json: bool, limit: usize) -> StoredBody<'_> {
    // Only what is kept is copied (a list page can be far larger than the limit).
    let total = bytes.len();
    let (text, truncated_from) = if total <= limit {
        (lenient(bytes), None)
    } else {
        let mut end = limit;
        while end > 0 && (bytes[end] & 0xC0) == 0x80 {
            end -= 1;
        }
        let mut text = String::from_utf8_lossy(&bytes[..end]).into_owned();
        text.push_str(&marker(end, total));
        (Cow::Owned(text), Some(total))
    };
    StoredBody {
        text,
        json,
        truncated_from,
        redacted: 0,
    }
}

/// `bytes` as text, borrowed when they are UTF-8 (checked the fast way first: this runs on
/// every response), with U+FFFD for what is not.
fn lenient(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// `text` cut to at most `limit` bytes (at a character boundary) plus a marker.
fn cut(mut text: String, limit: usize, unseen: usize) -> (String, Option<usize>) {
    let total = text.len() + unseen;
    if total <= limit {
        return (text, None);
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(&marker(end, total));
    (text, Some(total))
}

fn marker(kept: usize, total: usize) -> String {
    format!("…[truncated by SCIM Workbench: {kept} of {total} bytes kept]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_redacted_and_kept_compact() {
        let body = br#"{ "userName": "a@b.c",  "password": "Sup3r-secret!" }"#;
        let stored = store(body, DEFAULT_LIMIT, &Redaction::default());
        assert_eq!(
            stored.text,
            r#"{"userName":"a@b.c","password":"[redacted]"}"#
        );
        assert!(stored.json);
        assert_eq!((stored.redacted, stored.truncated_from), (1, None));
    }

    #[test]
    fn malformed_bodies_are_kept_as_redacted_text() {
        let body = b"{\"userName\": \"a\", \"password\": \"pw\", \xff";
        let stored = store(body, DEFAULT_LIMIT, &Redaction::default());
        assert!(!stored.json);
        assert_eq!(
            stored.text,
            "{\"userName\": \"a\", \"password\": \"[redacted]\", \u{fffd}"
        );
        assert_eq!(stored.redacted, 1);
        let empty = store(b"", 10, &Redaction::default());
        assert_eq!(
            (empty.text.as_ref(), empty.json, empty.truncated_from),
            ("", false, None)
        );
    }

    #[test]
    fn bytes_never_captured_count_in_the_marker() {
        let (stored, parsed) = store_request(
            b"{\"a\": \"0123456789",
            1_000_000,
            10,
            &Redaction::default(),
        );
        assert_eq!(parsed, None);
        assert_eq!(stored.truncated_from, Some(1_000_017));
        assert!(
            stored
                .text
                .ends_with("[truncated by SCIM Workbench: 10 of 1000017 bytes kept]"),
            "{}",
            stored.text
        );
    }

    #[test]
    fn own_bodies_are_cut_the_same_way_without_a_parse() {
        let body = format!("\"{}\"", "é".repeat(100));
        let own = store_own(body.as_bytes(), true, 10);
        let parsed = store(body.as_bytes(), 10, &Redaction::default());
        assert_eq!(
            (own.text, own.truncated_from),
            (parsed.text, parsed.truncated_from)
        );
        assert_eq!(store_own(b"{}", true, 10).text, "{}");
    }

    #[test]
    fn big_bodies_are_cut_with_a_marker_at_a_character_boundary() {
        let body = format!("\"{}\"", "é".repeat(100)); // 202 bytes of JSON
        let stored = store(body.as_bytes(), 10, &Redaction::default());
        assert!(stored.json);
        assert_eq!(stored.truncated_from, Some(202));
        assert_eq!(
            stored.text,
            "\"éééé…[truncated by SCIM Workbench: 9 of 202 bytes kept]"
        );
        // A secret near the end is redacted before the cut, so no part of it is kept.
        let secret = format!(
            r#"{{"a": "{}", "password": "tail-secret"}}"#,
            "x".repeat(50)
        );
        let stored = store(secret.as_bytes(), 60, &Redaction::default());
        assert!(!stored.text.contains("tail"), "{}", stored.text);
    }
}
