//! Recursive-descent parser for the grammar in `grammar.abnf`. Depth is counted at every
//! parenthesis, `not` and bracket and capped at [`MAX_DEPTH`], so hostile nesting is an error,
//! never a stack overflow; chains are collected iteratively into n-ary nodes.

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use super::scan::Scanner;
use super::{MAX_DEPTH, MAX_LEN, SyntaxError};
use crate::tolerance::{Rule, Tolerances};

/// Parses a complete filter. With `tolerances`, the Entra habit of unquoted values is accepted
/// and recorded; without, the RFC grammar is enforced.
pub(crate) fn parse(
    text: &str,
    tolerances: Option<&mut Tolerances>,
) -> Result<Filter, SyntaxError> {
    if text.len() > MAX_LEN {
        return Err(SyntaxError {
            message: format!(
                "filter is {} bytes long; the limit is {MAX_LEN}",
                text.len()
            ),
            pos: MAX_LEN,
        });
    }
    let mut parser = Parser {
        scan: Scanner::new(text),
        tolerances,
        depth: 0,
    };
    parser.scan.skip_ws();
    if parser.scan.at_end() {
        return Err(parser.scan.error("empty filter"));
    }
    let filter = parser.or_exp(false)?;
    parser.scan.skip_ws();
    if !parser.scan.at_end() {
        let message = match parser.scan.peek() {
            Some(b')') => "unbalanced ')'",
            Some(b']') => "unbalanced ']'",
            _ => "expected 'and', 'or' or the end of the filter",
        };
        return Err(parser.scan.error(message));
    }
    Ok(filter)
}

pub(crate) struct Parser<'a, 't> {
    pub scan: Scanner<'a>,
    tolerances: Option<&'t mut Tolerances>,
    depth: usize,
}

impl<'a, 't> Parser<'a, 't> {
    pub fn new(scan: Scanner<'a>, tolerances: Option<&'t mut Tolerances>) -> Self {
        Parser {
            scan,
            tolerances,
            depth: 0,
        }
    }

    /// `andExp *("or" andExp)`. `in_brackets` selects the valFilter productions.
    pub fn or_exp(&mut self, in_brackets: bool) -> Result<Filter, SyntaxError> {
        let mut items = vec![self.and_exp(in_brackets)?];
        while self.connective("or") {
            items.push(self.and_exp(in_brackets)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Filter::Or(items)
        })
    }

    fn and_exp(&mut self, in_brackets: bool) -> Result<Filter, SyntaxError> {
        let mut items = vec![self.unary(in_brackets)?];
        while self.connective("and") {
            items.push(self.unary(in_brackets)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Filter::And(items)
        })
    }

    /// Consumes ` and ` / ` or ` when it follows; leaves the scanner alone otherwise.
    fn connective(&mut self, word: &str) -> bool {
        let save = self.scan.pos();
        let spaced = self.scan.skip_ws();
        let after_group =
            save > 0 && matches!(self.scan.byte_at(save - 1), Some(b')' | b']' | b'"'));
        if (spaced || after_group) && self.scan.keyword(word) {
            return true;
        }
        self.scan.set_pos(save);
        false
    }

    fn unary(&mut self, in_brackets: bool) -> Result<Filter, SyntaxError> {
        self.scan.skip_ws();
        let start = self.scan.pos();
        if self.scan.keyword("not") {
            self.scan.skip_ws();
            if self.scan.peek() == Some(b'(') {
                let inner = self.group(in_brackets)?;
                return Ok(Filter::Not(Box::new(inner)));
            }
            // An attribute that happens to be called `not` would be an attribute path.
            self.scan.set_pos(start);
        }
        if self.scan.peek() == Some(b'(') {
            return self.group(in_brackets);
        }
        let path = self.scan.attr_path()?;
        if self.scan.peek() == Some(b'[') {
            if in_brackets {
                return Err(self
                    .scan
                    .error("value filters cannot be nested (RFC 7644 erratum 7322)"));
            }
            if path.sub.is_some() {
                return Err(self
                    .scan
                    .error("a value filter follows an attribute, not a sub-attribute"));
            }
            let inner = self.brackets()?;
            if self.scan.peek() == Some(b'.') && self.tolerances.is_some() {
                return self.sub_attribute_after_value_filter(path, inner);
            }
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        self.attr_exp(path)
    }

    /// Entra's `emails[type eq "work"].value eq "x"` (the `.` next), read as
    /// `emails[type eq "work" and value eq "x"]` under [`Rule::SubAttributeAfterValueFilter`].
    /// By the RFC grammar a value filter takes no sub-attribute, so strict parsing stops at `.`.
    fn sub_attribute_after_value_filter(
        &mut self,
        path: AttrPath,
        inner: Filter,
    ) -> Result<Filter, SyntaxError> {
        self.scan.eat(b'.');
        let sub_start = self.scan.pos();
        let sub = self.scan.attr_path()?;
        if sub.urn.is_some() || sub.sub.is_some() {
            return Err(self
                .scan
                .error_at(sub_start, "expected a sub-attribute name after ']'"));
        }
        let detail = format!("read {path}[…].{sub} as a term inside the brackets");
        let term = self.attr_exp(sub)?;
        if let Some(tolerances) = self.tolerances.as_deref_mut() {
            tolerances.note(Rule::SubAttributeAfterValueFilter, detail);
        }
        let inner = match inner {
            Filter::And(mut items) => {
                items.push(term);
                Filter::And(items)
            }
            other => Filter::And(vec![other, term]),
        };
        Ok(Filter::ValuePath(path, Box::new(inner)))
    }

    /// `"(" FILTER ")"`, the opening parenthesis next.
    fn group(&mut self, in_brackets: bool) -> Result<Filter, SyntaxError> {
        let open = self.scan.pos();
        self.enter()?;
        self.scan.eat(b'(');
        let inner = self.or_exp(in_brackets)?;
        self.scan.skip_ws();
        if !self.scan.eat(b')') {
            return Err(self.expected_close(open, "(", ")"));
        }
        self.depth -= 1;
        Ok(inner)
    }

    /// `"[" valFilter "]"`, the opening bracket next.
    pub fn brackets(&mut self) -> Result<Filter, SyntaxError> {
        let open = self.scan.pos();
        self.enter()?;
        self.scan.eat(b'[');
        let inner = self.or_exp(true)?;
        self.scan.skip_ws();
        if !self.scan.eat(b']') {
            return Err(self.expected_close(open, "[", "]"));
        }
        self.depth -= 1;
        Ok(inner)
    }

    fn expected_close(&self, open: usize, opening: &str, closing: &str) -> SyntaxError {
        if self.scan.at_end() {
            self.scan
                .error_at(open, &format!("'{opening}' is never closed"))
        } else {
            self.scan
                .error(&format!("expected '{closing}' or a logical operator"))
        }
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self
                .scan
                .error(&format!("filter nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    /// `attrPath SP "pr"` or `attrPath SP compareOp SP compValue`, the path already read.
    fn attr_exp(&mut self, path: AttrPath) -> Result<Filter, SyntaxError> {
        if !self.scan.skip_ws() {
            return Err(self
                .scan
                .error("expected an operator after the attribute path"));
        }
        if self.scan.keyword("pr") {
            return Ok(Filter::Present(path));
        }
        let op_start = self.scan.pos();
        let word = self.scan.path_word();
        let Some(op) = CompareOp::from_word(word) else {
            return Err(self.scan.error_at(
                op_start,
                "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr)",
            ));
        };
        self.scan.skip_ws();
        let value = self.comp_value()?;
        Ok(Filter::Compare(path, op, value))
    }

    /// `false / null / true / number / string`, or a bare word under the Entra tolerance.
    fn comp_value(&mut self) -> Result<CompValue, SyntaxError> {
        if self.scan.peek() == Some(b'"') {
            return self.scan.json_string().map(CompValue::Str);
        }
        let start = self.scan.pos();
        let token = self.scan.bare_token();
        if token.is_empty() {
            return Err(self
                .scan
                .error("expected a value (a quoted string, number, true, false or null)"));
        }
        for (word, value) in [
            ("true", CompValue::Bool(true)),
            ("false", CompValue::Bool(false)),
            ("null", CompValue::Null),
        ] {
            if token.eq_ignore_ascii_case(word) {
                return Ok(value);
            }
        }
        if token.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            match parse_json_number(token) {
                Ok(number) => return Ok(CompValue::Number(number)),
                // Only number characters: a malformed or out-of-range number. Anything else
                // (a hex id such as JumpCloud's) may still be an unquoted word below.
                Err(why)
                    if token.bytes().all(|b| {
                        b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')
                    }) =>
                {
                    return Err(self.scan.error_at(start, why));
                }
                Err(_) => {}
            }
        }
        match self.tolerances.as_deref_mut() {
            Some(tolerances) if !token.contains('"') => {
                tolerances.note(
                    Rule::UnquotedFilterValue,
                    format!("read {token} as \"{token}\""),
                );
                Ok(CompValue::Str(token.to_owned()))
            }
            _ => Err(self
                .scan
                .error_at(start, "expected a value; strings must be in double quotes")),
        }
    }
}

/// A JSON number (RFC 8259 §6): an integer literal that fits `i64` or `u64`, or a literal with
/// a fraction or exponent that is finite as an `f64`. `-0` is the integer 0.
///
/// Parsed with the standard library, which rounds correctly, so that printing a number and
/// reading it back gives the same `f64` (serde_json's default parser may be one unit off).
fn parse_json_number(token: &str) -> Result<serde_json::Number, &'static str> {
    const MALFORMED: &str = "malformed number";
    let b = token.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_len = i - int_start;
    if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
        return Err(MALFORMED);
    }
    let integer_end = i;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == frac_start {
            return Err(MALFORMED);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return Err(MALFORMED);
        }
    }
    if i != b.len() {
        return Err(MALFORMED);
    }
    if integer_end == b.len() {
        return match (token.parse::<u64>(), token.parse::<i64>()) {
            (Ok(n), _) => Ok(n.into()),
            (_, Ok(n)) => Ok(n.into()),
            _ => Err("integer out of range"),
        };
    }
    token
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .ok_or("number out of range")
}
