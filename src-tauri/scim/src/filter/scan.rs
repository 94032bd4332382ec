//! The character-level scanner shared by the filter and PATCH path parsers: white space,
//! attribute paths, JSON strings and numbers, bare words. Errors carry a byte position.

use super::SyntaxError;
use super::ast::AttrPath;

pub(crate) struct Scanner<'a> {
    src: &'a str,
    pos: usize,
}

/// Characters of an attribute path: ATTRNAME characters, the URN's `:` and `.`, and `$` of
/// `$ref`.
fn is_path_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.' | b'$')
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'a> Scanner<'a> {
    pub fn new(src: &'a str) -> Self {
        Scanner { src, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Moves back to a position returned by [`Scanner::pos`].
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos;
    }

    pub fn byte_at(&self, pos: usize) -> Option<u8> {
        self.src.as_bytes().get(pos).copied()
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    pub fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    /// Skips white space; returns whether there was any.
    pub fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Consumes `b` if it is next.
    pub fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// An error at the current position, quoting what stands there.
    pub fn error(&self, message: &str) -> SyntaxError {
        self.error_at(self.pos, message)
    }

    pub fn error_at(&self, pos: usize, message: &str) -> SyntaxError {
        let rest = self.src.get(pos..).unwrap_or("");
        let found = if rest.is_empty() {
            "the end of the text".to_owned()
        } else {
            let snippet: String = rest.chars().take(20).collect();
            let more = if snippet.len() < rest.len() {
                "…"
            } else {
                ""
            };
            format!("'{snippet}{more}'")
        };
        SyntaxError {
            message: format!("{message} at position {pos} (found {found})"),
            pos,
        }
    }

    /// A run of attribute path characters, possibly empty.
    pub fn path_word(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_path_char) {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    /// A keyword such as `and`, `pr` or `eq` if it is next and ends at a word boundary;
    /// consumed only when it matches.
    pub fn keyword(&mut self, keyword: &str) -> bool {
        let rest = &self.src.as_bytes()[self.pos..];
        let n = keyword.len();
        let matches = rest.len() >= n
            && rest[..n].eq_ignore_ascii_case(keyword.as_bytes())
            && !rest.get(n).copied().is_some_and(is_path_char);
        if matches {
            self.pos += n;
        }
        matches
    }

    /// `[URI ":"] ATTRNAME ["." ATTRNAME]`.
    pub fn attr_path(&mut self) -> Result<AttrPath, SyntaxError> {
        let start = self.pos;
        let word = self.path_word();
        if word.is_empty() {
            return Err(self.error("expected an attribute name"));
        }
        let (urn, local, local_start) = match word.rfind(':') {
            Some(i) => (Some(&word[..i]), &word[i + 1..], start + i + 1),
            None => (None, word, start),
        };
        if urn.is_some_and(str::is_empty) {
            return Err(self.error_at(start, "expected a schema URN before ':'"));
        }
        let (name, sub) = match local.split_once('.') {
            Some((name, sub)) => (name, Some(sub)),
            None => (local, None),
        };
        check_attr_name(name).map_err(|(at, m)| self.error_at(local_start + at, m))?;
        if let Some(sub) = sub {
            let sub_start = local_start + name.len() + 1;
            check_attr_name(sub).map_err(|(at, m)| self.error_at(sub_start + at, m))?;
        }
        Ok(AttrPath {
            urn: urn.map(str::to_owned),
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        })
    }

    /// A JSON string literal (RFC 8259 §7), the opening quote next.
    pub fn json_string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        if !self.eat(b'"') {
            return Err(self.error("expected '\"'"));
        }
        let mut out = String::new();
        loop {
            let chunk_start = self.pos;
            while self
                .peek()
                .is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.pos += 1;
            }
            out.push_str(&self.src[chunk_start..self.pos]);
            match self.peek() {
                None => return Err(self.error_at(start, "unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let at = self.pos - 1;
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let high = self.hex4(at)?;
                let c = if (0xD800..0xDC00).contains(&high) {
                    if !(self.eat(b'\\') && self.eat(b'u')) {
                        return Err(self.error_at(at, "unpaired surrogate in \\u escape"));
                    }
                    let low = self.hex4(at)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(self.error_at(at, "unpaired surrogate in \\u escape"));
                    }
                    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                } else if (0xDC00..0xE000).contains(&high) {
                    return Err(self.error_at(at, "unpaired surrogate in \\u escape"));
                } else {
                    char::from_u32(high)
                };
                out.push(c.ok_or_else(|| self.error_at(at, "invalid \\u escape"))?);
                return Ok(());
            }
            _ => return Err(self.error_at(at, "invalid escape in string")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self, at: usize) -> Result<u32, SyntaxError> {
        let digits = self
            .src
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
        let value = digits
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error_at(at, "\\u escape needs four hex digits"))?;
        self.pos += 4;
        Ok(value)
    }

    /// A bare token: everything up to white space, a bracket or a parenthesis.
    pub fn bare_token(&mut self) -> &'a str {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| !is_space(b) && !matches!(b, b'(' | b')' | b'[' | b']'))
        {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }
}

/// `ALPHA *(nameChar)` or `$ref`. The error gives the offset of the offending character in
/// `name` (a sub-attribute path arrives whole, so a second `.` is found here).
fn check_attr_name(name: &str) -> Result<(), (usize, &'static str)> {
    if name.eq_ignore_ascii_case("$ref") {
        return Ok(());
    }
    match name.bytes().next() {
        None => return Err((0, "expected an attribute name")),
        Some(b) if !b.is_ascii_alphabetic() => {
            let message = if b == b'$' {
                "'$' is only allowed in '$ref'"
            } else {
                "attribute names start with a letter"
            };
            return Err((0, message));
        }
        Some(_) => {}
    }
    let bad = name
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    match bad.map(|at| (at, name.as_bytes()[at])) {
        None => Ok(()),
        Some((at, b'$')) => Err((at, "'$' is only allowed in '$ref'")),
        Some((at, _)) => Err((at, "attribute paths have at most one sub-attribute")),
    }
}
