//! Reading request bodies: size-limited, depth-limited JSON with errors a client can act on.

use serde_json::Value;

use crate::error::ScimError;

/// Default request body limit (also advertised as `bulk.maxPayloadSize`): 1 MiB is ~2,000
/// users in one body, far beyond any single IdP request.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// Parses a request body. Errors: `413` when longer than `limit`; `400 invalidSyntax` for
/// anything that is not one well-formed JSON value (invalid UTF-8, lone surrogates, numbers out
/// of range, nesting deeper than 128 levels, trailing garbage), naming line and column.
pub fn parse_body(body: &[u8], limit: usize) -> Result<Value, ScimError> {
    if body.len() > limit {
        return Err(ScimError::PayloadTooLarge(format!(
            "request body is {} bytes; the limit is {limit} bytes",
            body.len()
        )));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::InvalidSyntax(
            "request body is empty; a JSON object was expected".into(),
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let what = if e.to_string().starts_with("recursion limit exceeded") {
            format!(
                "nested deeper than 128 levels at line {} column {}",
                e.line(),
                e.column()
            )
        } else {
            e.to_string()
        };
        ScimError::InvalidSyntax(format!("request body is not valid JSON: {what}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax_detail(body: &[u8]) -> String {
        match parse_body(body, DEFAULT_MAX_BODY) {
            Err(ScimError::InvalidSyntax(detail)) => detail,
            other => panic!("expected invalidSyntax, got {other:?}"),
        }
    }

    #[test]
    fn hostile_bodies_are_clear_errors() {
        assert!(syntax_detail(b"{\"userName\": ").contains("EOF"));
        assert!(syntax_detail(b"{\"a\": \"\xff\xfe\"}").contains("line 1"));
        assert!(syntax_detail(br#"{"a": "\ud800\u0041"}"#).contains("surrogate"));
        assert!(syntax_detail(br#"{"a": 1e400}"#).contains("out of range"));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(syntax_detail(deep.as_bytes()).contains("nested deeper than 128"));
        assert!(syntax_detail(b"   ").contains("empty"));
        assert!(syntax_detail(b"{} {}").contains("trailing"));
        let big = vec![b' '; DEFAULT_MAX_BODY + 1];
        assert_eq!(
            parse_body(&big, DEFAULT_MAX_BODY).unwrap_err().status(),
            413
        );
    }
}
