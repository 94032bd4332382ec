//! Acceptance tests for SCIM filters (RFC 7644 §3.4.2.2, `src/filter/grammar.abnf`) and PATCH
//! paths (§3.5.2): one table per grammar production, the RFC's example filters end to end
//! (parse → check → evaluate), the schema check, evaluation semantics per attribute type, and
//! hostile input. Error rows give the byte position the parser must report.
//!
//! Flat data tables carry `#[rustfmt::skip]` so that each row stays on one line.

use serde_json::{Map, Number, Value, json};
use workbench_scim::filter::{self, AttrPath, CompValue, CompareOp, Filter};
use workbench_scim::path::PatchPath;
use workbench_scim::resource;
use workbench_scim::schema::{AttrType, Attribute, GROUP, ResourceType, Schema, USER};
use workbench_scim::{Rule, ScimError, Tolerances};

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

// ---------------------------------------------------------------------------------------------
// Builders and assertions
// ---------------------------------------------------------------------------------------------

fn path(name: &str) -> AttrPath {
    AttrPath::new(name)
}

fn sub(name: &str, sub: &str) -> AttrPath {
    AttrPath::new(name).with_sub(sub)
}

fn s(value: &str) -> CompValue {
    CompValue::Str(value.to_owned())
}

fn num(number: impl Into<Number>) -> CompValue {
    CompValue::Number(number.into())
}

fn float(x: f64) -> Number {
    Number::from_f64(x).expect("a finite number")
}

fn cmp(path: AttrPath, op: CompareOp, value: CompValue) -> Filter {
    Filter::Compare(path, op, value)
}

fn eq(name: &str, value: CompValue) -> Filter {
    Filter::Compare(path(name), CompareOp::Eq, value)
}

fn pr(name: &str) -> Filter {
    Filter::Present(path(name))
}

fn and<const N: usize>(items: [Filter; N]) -> Filter {
    Filter::And(items.into())
}

fn or<const N: usize>(items: [Filter; N]) -> Filter {
    Filter::Or(items.into())
}

fn not(inner: Filter) -> Filter {
    Filter::Not(Box::new(inner))
}

fn vp(name: &str, inner: Filter) -> Filter {
    Filter::ValuePath(path(name), Box::new(inner))
}

fn parse_ok(text: &str) -> Filter {
    Filter::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

/// Asserts that `error` is `scim_type` at byte `pos` and that its detail mentions `fragment`.
fn assert_error(text: &str, error: &ScimError, scim_type: &str, pos: usize, fragment: &str) {
    assert_eq!(error.scim_type(), Some(scim_type), "{text:?}: {error}");
    assert_eq!(error.position(), Some(pos), "{text:?}: {error}");
    assert!(
        error.detail().contains(fragment),
        "{text:?}: detail {:?} should mention {fragment:?}",
        error.detail()
    );
}

/// Asserts that `text` is not a filter: `invalidFilter` at byte `pos`, naming `fragment`.
fn assert_filter_error(text: &str, pos: usize, fragment: &str) {
    match Filter::parse(text) {
        Ok(f) => panic!("{text:?} should not parse, got {f:?}"),
        Err(e) => assert_error(text, &e, "invalidFilter", pos, fragment),
    }
}

fn assert_filter_errors(rows: &[(&str, usize, &str)]) {
    for &(text, pos, fragment) in rows {
        assert_filter_error(text, pos, fragment);
    }
}

/// Parses `text`, compares with `expected`, and checks the printed form reads back the same.
fn assert_parses_to(text: &str, expected: &Filter) {
    let parsed = parse_ok(text);
    assert_eq!(&parsed, expected, "{text:?}");
    let printed = parsed.to_string();
    assert_eq!(
        Filter::parse(&printed).as_ref(),
        Ok(expected),
        "{printed:?}"
    );
}

/// A resource type with one attribute of each simple type the core schemas lack (integer,
/// decimal) or have only inside multi-valued attributes (binary).
static WIDGET_ATTRIBUTES: [Attribute; 5] = [
    Attribute::new("count", AttrType::Integer),
    Attribute::new("ratio", AttrType::Decimal),
    Attribute::binary("blob"),
    Attribute::boolean("enabled"),
    Attribute::date_time("seen"),
];

static WIDGET_SCHEMA: Schema = Schema {
    id: "urn:example:params:scim:schemas:core:2.0:Widget",
    name: "Widget",
    description: "Every simple attribute type, for filter tests",
    attributes: &WIDGET_ATTRIBUTES,
};

static WIDGET: ResourceType = ResourceType {
    id: "Widget",
    name: "Widget",
    endpoint: "/Widgets",
    description: "Widget",
    schema: &WIDGET_SCHEMA,
    extensions: &[],
};

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Parses strictly, checks against `rtype` and evaluates against `resource`.
fn evaluate(rtype: &'static ResourceType, text: &str, resource: &Map<String, Value>) -> bool {
    let filter = parse_ok(text);
    let mut tolerances = Tolerances::new();
    let expr = filter::check(&filter, rtype, &mut tolerances)
        .unwrap_or_else(|e| panic!("{text:?} should pass the schema check: {e}"));
    expr.matches(resource)
}

/// Evaluates each `(filter, resource, expected)` row against `rtype`.
fn assert_evaluations(rtype: &'static ResourceType, rows: Vec<(&str, Value, bool)>) {
    for (text, resource, expected) in rows {
        let resource = object(resource);
        let actual = evaluate(rtype, text, &resource);
        let shown = Value::Object(resource);
        assert_eq!(actual, expected, "{} {text} on {shown}", rtype.name);
    }
}

// ---------------------------------------------------------------------------------------------
// attrPath = [URI ":"] ATTRNAME *1subAttr ; ATTRNAME = ALPHA *(nameChar) / "$ref"
// ---------------------------------------------------------------------------------------------

#[test]
fn attr_path_production() {
    let ok = [
        ("userName pr", path("userName")),
        ("USERNAME pr", path("USERNAME")),
        ("a pr", path("a")),
        ("a-b_C9 pr", path("a-b_C9")),
        ("name.familyName pr", sub("name", "familyName")),
        ("$ref pr", path("$ref")),
        ("members.$ref pr", sub("members", "$ref")),
        ("members.$REF pr", sub("members", "$REF")),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:userName pr",
            path("userName").with_urn(CORE),
        ),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName pr",
            sub("name", "familyName").with_urn(CORE),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr",
            sub("manager", "value").with_urn(ENT),
        ),
        (
            "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:USERNAME pr",
            path("USERNAME").with_urn("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"),
        ),
        (
            "urn:example:x-1:attr_2 pr",
            path("attr_2").with_urn("urn:example:x-1"),
        ),
    ];
    for (text, expected) in ok {
        assert_parses_to(text, &Filter::Present(expected.clone()));
        assert_eq!(expected.to_string(), text.trim_end_matches(" pr"));
    }

    #[rustfmt::skip]
    let errors = [
        ("1abc pr",              0,  "start with a letter"),
        ("_a pr",                0,  "start with a letter"),
        ("-a pr",                0,  "start with a letter"),
        (".a pr",                0,  "expected an attribute name"),
        ("[a pr",                0,  "expected an attribute name"),
        ("\"userName\" pr",      0,  "expected an attribute name"),
        ("é pr",                 0,  "expected an attribute name"),
        ("a..b pr",              2,  "start with a letter"),
        ("a.b.c pr",             3,  "at most one sub-attribute"),
        ("name.familyName.x pr", 15, "at most one sub-attribute"),
        ("name. pr",             5,  "expected an attribute name"),
        (":a pr",                0,  "schema URN"),
        ("urn:x: pr",            6,  "expected an attribute name"),
        ("a$b pr",               1,  "'$' is only allowed in '$ref'"),
        ("$refs pr",             0,  "'$' is only allowed in '$ref'"),
        ("name.$x pr",           5,  "'$' is only allowed in '$ref'"),
    ];
    assert_filter_errors(&errors);
}

// ---------------------------------------------------------------------------------------------
// compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "lt" / "ge" / "le", in any case
// ---------------------------------------------------------------------------------------------

#[test]
fn compare_op_production() {
    use CompareOp::*;
    #[rustfmt::skip]
    let spellings = [
        ("eq", Eq), ("EQ", Eq), ("Eq", Eq),
        ("ne", Ne), ("NE", Ne), ("nE", Ne),
        ("co", Co), ("CO", Co), ("Co", Co),
        ("sw", Sw), ("SW", Sw), ("sW", Sw),
        ("ew", Ew), ("EW", Ew), ("Ew", Ew),
        ("gt", Gt), ("GT", Gt), ("gT", Gt),
        ("ge", Ge), ("GE", Ge), ("Ge", Ge),
        ("lt", Lt), ("LT", Lt), ("Lt", Lt),
        ("le", Le), ("LE", Le), ("lE", Le),
    ];
    for (word, op) in spellings {
        let text = format!("title {word} \"x\"");
        let expected = cmp(path("title"), op, s("x"));
        assert_parses_to(&text, &expected);
        let canonical = format!("title {} \"x\"", word.to_lowercase());
        assert_eq!(expected.to_string(), canonical);
    }
}

// ---------------------------------------------------------------------------------------------
// attrExp = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
// ---------------------------------------------------------------------------------------------

#[test]
fn attr_exp_production() {
    for text in ["title pr", "title PR", "title pR", "title Pr"] {
        assert_parses_to(text, &pr("title"));
    }
    #[rustfmt::skip]
    let errors = [
        ("title",            5,  "expected an operator after the attribute path"),
        ("title\"x\"",       5,  "expected an operator after the attribute path"),
        ("title ",           6,  "expected an operator (eq"),
        ("title eqq \"x\"",  6,  "expected an operator (eq"),
        ("title = \"x\"",    6,  "expected an operator (eq"),
        ("title equals \"x\"", 6, "expected an operator (eq"),
        ("title prx",        6,  "expected an operator (eq"),
        ("title eq",         8,  "expected a value"),
        ("title eq ",        9,  "expected a value"),
        ("title pr \"x\"",   9,  "expected 'and', 'or' or the end"),
        ("title eq \"x\" \"y\"", 13, "expected 'and', 'or' or the end"),
    ];
    assert_filter_errors(&errors);
}

// ---------------------------------------------------------------------------------------------
// compValue = string (RFC 8259 §7: every escape, \uXXXX, surrogate pairs)
// ---------------------------------------------------------------------------------------------

#[test]
fn comp_value_string_production() {
    #[rustfmt::skip]
    let ok = [
        (r#""""#,                         ""),
        (r#""bjensen""#,                  "bjensen"),
        (r#""O'Malley""#,                 "O'Malley"),
        (r#""a \"quoted\" word""#,        "a \"quoted\" word"),
        (r#""back\\slash""#,              "back\\slash"),
        (r#""\/path\/""#,                 "/path/"),
        (r#""\b\f\n\r\t""#,               "\u{8}\u{c}\n\r\t"),
        (r#""\u0041\u0062""#,             "Ab"),
        (r#""\u00e9\u00E9""#,             "éé"),
        (r#""\u20AC""#,                   "€"),
        (r#""\u0000""#,                   "\0"),
        (r#""\u001f""#,                   "\u{1f}"),
        (r#""\uD83D\uDE00""#,             "😀"),
        (r#""\ud83d\ude00""#,             "😀"),
        (r#""\uDBFF\uDFFF""#,             "\u{10FFFF}"),
        ("\"é€😀\"",                      "é€😀"),
        ("\"\u{7f}\"",                    "\u{7f}"),
        (r#""(x) [y] and or not pr eq""#, "(x) [y] and or not pr eq"),
    ];
    for (literal, expected) in ok {
        assert_parses_to(&format!("title eq {literal}"), &eq("title", s(expected)));
    }

    // `title eq ` is 9 bytes: the positions are offsets into the literal.
    #[rustfmt::skip]
    let errors = [
        (r#""\x""#,             1, "invalid escape"),
        (r#""\'""#,             1, "invalid escape"),
        (r#""\U0041""#,         1, "invalid escape"),
        (r#""\u12""#,           1, "four hex digits"),
        (r#""\u12G4""#,         1, "four hex digits"),
        (r#""\u+123""#,         1, "four hex digits"),
        (r#""\uD800""#,         1, "unpaired surrogate"),
        (r#""\uDC00""#,         1, "unpaired surrogate"),
        (r#""\uD800\u0041""#,   1, "unpaired surrogate"),
        (r#""\uD800x""#,        1, "unpaired surrogate"),
        (r#""\uD800\n""#,       1, "unpaired surrogate"),
        (r#""ab\uDE00\uD83D""#, 3, "unpaired surrogate"),
        (r#""abc"#,             0, "unterminated string"),
        (r#""abc\""#,           0, "unterminated string"),
        (r#""abc\"#,            4, "invalid escape"),
        ("\"a\tb\"",            2, "control character"),
        ("\"a\nb\"",            2, "control character"),
        ("\"\0\"",              1, "control character"),
        ("\"\u{1b}[0m\"",       1, "control character"),
        ("'x'",                 0, "strings must be in double quotes"),
        ("\u{201c}x\u{201d}",   0, "strings must be in double quotes"),
    ];
    for (literal, offset, fragment) in errors {
        assert_filter_error(&format!("title eq {literal}"), 9 + offset, fragment);
    }
}

// ---------------------------------------------------------------------------------------------
// compValue = number (RFC 8259 §6: minus, fraction, exponent)
// ---------------------------------------------------------------------------------------------

#[test]
fn comp_value_number_production() {
    #[rustfmt::skip]
    let ok: [(&str, Number); 21] = [
        ("0",                       0.into()),
        ("-0",                      0.into()),
        ("42",                      42.into()),
        ("-42",                     (-42).into()),
        ("9223372036854775807",     i64::MAX.into()),
        ("-9223372036854775808",    i64::MIN.into()),
        ("18446744073709551615",    u64::MAX.into()),
        ("3.25",                    float(3.25)),
        ("-0.5",                    float(-0.5)),
        ("0.0",                     float(0.0)),
        ("0.1",                     float(0.1)),
        ("0.30000000000000004",     float(0.300_000_000_000_000_04)),
        ("1e3",                     float(1000.0)),
        ("1E3",                     float(1000.0)),
        ("1e+3",                    float(1000.0)),
        ("1e-3",                    float(0.001)),
        ("2.5E-2",                  float(0.025)),
        ("-1.5e2",                  float(-150.0)),
        ("1.7976931348623157e308",  float(f64::MAX)),
        ("5e-324",                  float(5e-324)),
        ("1e-400",                  float(0.0)),
    ];
    for (literal, expected) in ok {
        let text = format!("ratio eq {literal}");
        assert_parses_to(&text, &eq("ratio", CompValue::Number(expected)));
    }

    // Every error is at the literal, after `ratio eq ` (9 bytes).
    #[rustfmt::skip]
    let errors = [
        ("01",                             "malformed number"),
        ("-01",                            "malformed number"),
        ("1.",                             "malformed number"),
        ("1.e3",                           "malformed number"),
        ("1e",                             "malformed number"),
        ("1e+",                            "malformed number"),
        ("--1",                            "malformed number"),
        ("1.2.3",                          "malformed number"),
        ("-",                              "malformed number"),
        ("1e400",                          "number out of range"),
        ("-1e400",                         "number out of range"),
        ("1e99999999999999999999",         "number out of range"),
        ("123456789012345678901234567890", "integer out of range"),
        ("18446744073709551616",           "integer out of range"),
        ("-9223372036854775809",           "integer out of range"),
        ("+1",                             "strings must be in double quotes"),
        (".5",                             "strings must be in double quotes"),
        ("0x10",                           "strings must be in double quotes"),
        ("1,5",                            "strings must be in double quotes"),
        ("NaN",                            "strings must be in double quotes"),
        ("Infinity",                       "strings must be in double quotes"),
    ];
    for (literal, fragment) in errors {
        assert_filter_error(&format!("ratio eq {literal}"), 9, fragment);
    }
}

// ---------------------------------------------------------------------------------------------
// compValue = false / null / true, in any case
// ---------------------------------------------------------------------------------------------

#[test]
fn comp_value_literal_production() {
    #[rustfmt::skip]
    let ok = [
        ("true", CompValue::Bool(true)), ("TRUE", CompValue::Bool(true)),
        ("True", CompValue::Bool(true)), ("tRuE", CompValue::Bool(true)),
        ("false", CompValue::Bool(false)), ("FALSE", CompValue::Bool(false)),
        ("False", CompValue::Bool(false)),
        ("null", CompValue::Null), ("NULL", CompValue::Null),
        ("Null", CompValue::Null), ("nULL", CompValue::Null),
    ];
    for (literal, expected) in ok {
        let filter = eq("active", expected);
        assert_parses_to(&format!("active eq {literal}"), &filter);
        let canonical = format!("active eq {}", literal.to_lowercase());
        assert_eq!(filter.to_string(), canonical);
    }
    for literal in ["nul", "truee", "yes", "t", "nil", "undefined"] {
        let text = format!("active eq {literal}");
        assert_filter_error(&text, 10, "strings must be in double quotes");
    }
}

// ---------------------------------------------------------------------------------------------
// logExp = FILTER SP ("and" / "or") SP FILTER; chains are collected n-ary
// ---------------------------------------------------------------------------------------------

#[test]
fn logical_chain_production() {
    let ok = [
        ("a pr and b pr", and([pr("a"), pr("b")])),
        ("a pr and b pr and c pr", and([pr("a"), pr("b"), pr("c")])),
        ("a pr or b pr", or([pr("a"), pr("b")])),
        (
            "a pr or b pr or c pr or d pr",
            or([pr("a"), pr("b"), pr("c"), pr("d")]),
        ),
        ("a pr AND b pr", and([pr("a"), pr("b")])),
        ("a pr And b pr", and([pr("a"), pr("b")])),
        ("a pr OR b pr", or([pr("a"), pr("b")])),
        ("a pr oR b pr", or([pr("a"), pr("b")])),
        (
            "a eq \"x\" and b eq 1 and c eq true",
            and([
                eq("a", s("x")),
                eq("b", num(1)),
                eq("c", CompValue::Bool(true)),
            ]),
        ),
        // Keywords are attribute names where an attribute name is expected.
        ("and pr and or pr", and([pr("and"), pr("or")])),
        ("pr pr or eq eq 1", or([pr("pr"), eq("eq", num(1))])),
    ];
    for (text, expected) in ok {
        assert_parses_to(text, &expected);
    }
    #[rustfmt::skip]
    let errors = [
        ("a pr and",          8,  "expected an attribute name"),
        ("a pr or ",          8,  "expected an attribute name"),
        ("a pr b pr",         5,  "expected 'and', 'or' or the end"),
        ("a pr andb pr",      5,  "expected 'and', 'or' or the end"),
        ("a pr && b pr",      5,  "expected 'and', 'or' or the end"),
        ("a pr, b pr",        4,  "expected 'and', 'or' or the end"),
        ("a pr and and b pr", 13, "expected an operator (eq"),
        ("a pr and or b pr",  12, "expected an operator (eq"),
        ("or a pr",           3,  "expected an operator (eq"),
    ];
    assert_filter_errors(&errors);
}

// ---------------------------------------------------------------------------------------------
// Precedence: "and" binds tighter than "or", "not" tightest
// ---------------------------------------------------------------------------------------------

#[test]
fn precedence() {
    let rows = [
        (
            "a pr or b pr and c pr",
            or([pr("a"), and([pr("b"), pr("c")])]),
        ),
        (
            "a pr and b pr or c pr",
            or([and([pr("a"), pr("b")]), pr("c")]),
        ),
        (
            "a pr and b pr or c pr and d pr",
            or([and([pr("a"), pr("b")]), and([pr("c"), pr("d")])]),
        ),
        (
            "a pr or b pr and c pr or d pr",
            or([pr("a"), and([pr("b"), pr("c")]), pr("d")]),
        ),
        ("not (a pr) and b pr", and([not(pr("a")), pr("b")])),
        (
            "not (a pr) or b pr and c pr",
            or([not(pr("a")), and([pr("b"), pr("c")])]),
        ),
        (
            "a pr or not (b pr) and c pr",
            or([pr("a"), and([not(pr("b")), pr("c")])]),
        ),
        (
            "a pr and not (b pr or c pr)",
            and([pr("a"), not(or([pr("b"), pr("c")]))]),
        ),
    ];
    for (text, expected) in rows {
        assert_parses_to(text, &expected);
        // Each row is already in canonical form.
        assert_eq!(expected.to_string(), text);
    }
}

// ---------------------------------------------------------------------------------------------
// Grouping: "(" FILTER ")" (grammar.abnf change (a)); the tree's nesting mirrors parentheses
// ---------------------------------------------------------------------------------------------

#[test]
fn grouping_production() {
    let rows = [
        ("(a pr)", pr("a"), "a pr"),
        ("((a pr))", pr("a"), "a pr"),
        ("( a pr )", pr("a"), "a pr"),
        (
            "(a pr or b pr) and c pr",
            and([or([pr("a"), pr("b")]), pr("c")]),
            "(a pr or b pr) and c pr",
        ),
        (
            "a pr and (b pr or c pr)",
            and([pr("a"), or([pr("b"), pr("c")])]),
            "a pr and (b pr or c pr)",
        ),
        (
            "(a pr and b pr) and c pr",
            and([and([pr("a"), pr("b")]), pr("c")]),
            "(a pr and b pr) and c pr",
        ),
        (
            "a pr or (b pr or c pr)",
            or([pr("a"), or([pr("b"), pr("c")])]),
            "a pr or (b pr or c pr)",
        ),
        (
            "(a pr and b pr) or c pr",
            or([and([pr("a"), pr("b")]), pr("c")]),
            "a pr and b pr or c pr",
        ),
        ("(a pr)and(b pr)", and([pr("a"), pr("b")]), "a pr and b pr"),
        (
            "(((a pr) or (b pr)))",
            or([pr("a"), pr("b")]),
            "a pr or b pr",
        ),
    ];
    for (text, expected, printed) in rows {
        assert_parses_to(text, &expected);
        assert_eq!(expected.to_string(), printed);
    }
    #[rustfmt::skip]
    let errors = [
        ("(a pr",                    0, "'(' is never closed"),
        ("((a pr)",                  0, "'(' is never closed"),
        ("a pr and (b pr or (c pr)", 9, "'(' is never closed"),
        ("(a pr))",                  6, "unbalanced ')'"),
        ("a pr)",                    4, "unbalanced ')'"),
        (")",                        0, "expected an attribute name"),
        ("()",                       1, "expected an attribute name"),
        ("(a pr]",                   5, "expected ')' or a logical operator"),
        ("(a pr b pr)",              6, "expected ')' or a logical operator"),
    ];
    assert_filter_errors(&errors);
}

// ---------------------------------------------------------------------------------------------
// "not" [SP] "(" FILTER ")"
// ---------------------------------------------------------------------------------------------

#[test]
fn not_production() {
    let rows = [
        ("not (a pr)", not(pr("a"))),
        ("NOT (a pr)", not(pr("a"))),
        ("Not(a pr)", not(pr("a"))),
        ("not\t(a pr)", not(pr("a"))),
        ("not  ( a pr )", not(pr("a"))),
        ("not (not (a pr))", not(not(pr("a")))),
        ("not (a pr and b pr)", not(and([pr("a"), pr("b")]))),
        (
            "not (a pr) and not (b pr)",
            and([not(pr("a")), not(pr("b"))]),
        ),
        // Without a parenthesis, `not` is an attribute name.
        ("not pr", pr("not")),
        ("not eq \"x\"", eq("not", s("x"))),
        ("not.x pr", Filter::Present(sub("not", "x"))),
    ];
    for (text, expected) in rows {
        assert_parses_to(text, &expected);
    }
    assert_eq!(not(not(pr("a"))).to_string(), "not (not (a pr))");
    #[rustfmt::skip]
    let errors = [
        ("not a pr",        4,  "expected an operator (eq"),
        ("not",             3,  "expected an operator after the attribute path"),
        ("a pr and not",    12, "expected an operator after the attribute path"),
        ("not ()",          5,  "expected an attribute name"),
        ("not (a pr",       4,  "'(' is never closed"),
        ("not (a pr) b pr", 11, "expected 'and', 'or' or the end"),
    ];
    assert_filter_errors(&errors);
}

// ---------------------------------------------------------------------------------------------
// valuePath = attrPath "[" valFilter "]" (erratum 7322: no valuePath inside the brackets)
// ---------------------------------------------------------------------------------------------

#[test]
fn value_path_production() {
    let work = || eq("type", s("work"));
    let primary = || eq("primary", CompValue::Bool(true));
    let rows = [
        ("emails[type eq \"work\"]", vp("emails", work())),
        ("emails[ type eq \"work\" ]", vp("emails", work())),
        (
            "emails[type eq \"work\" and value co \"@example.com\"]",
            vp(
                "emails",
                and([work(), cmp(path("value"), CompareOp::Co, s("@example.com"))]),
            ),
        ),
        (
            "emails[type eq \"work\" or primary eq true]",
            vp("emails", or([work(), primary()])),
        ),
        ("emails[not (type eq \"work\")]", vp("emails", not(work()))),
        (
            "emails[(type eq \"work\" or type eq \"home\") and primary eq true]",
            vp(
                "emails",
                and([or([work(), eq("type", s("home"))]), primary()]),
            ),
        ),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"]",
            Filter::ValuePath(path("emails").with_urn(CORE), Box::new(work())),
        ),
        (
            "emails[type eq \"work\"] and title pr",
            and([vp("emails", work()), pr("title")]),
        ),
        (
            "emails[type eq \"work\"]and(title pr)",
            and([vp("emails", work()), pr("title")]),
        ),
        (
            "title pr or emails[value pr]",
            or([pr("title"), vp("emails", pr("value"))]),
        ),
        ("not (emails[type eq \"work\"])", not(vp("emails", work()))),
        (
            "members[$ref ew \"/Users/1\"]",
            vp("members", cmp(path("$ref"), CompareOp::Ew, s("/Users/1"))),
        ),
        // The grammar allows any attrPath inside; the schema check rejects this one.
        (
            "emails[name.familyName pr]",
            vp("emails", Filter::Present(sub("name", "familyName"))),
        ),
    ];
    for (text, expected) in rows {
        assert_parses_to(text, &expected);
    }
    let printed = parse_ok("EMAILS[ TYPE EQ \"work\" ]").to_string();
    assert_eq!(printed, "EMAILS[TYPE eq \"work\"]");

    #[rustfmt::skip]
    let errors = [
        ("emails[type[value pr]]",                    11, "erratum 7322"),
        ("emails[type eq \"work\" and ims[value pr]]", 29, "erratum 7322"),
        ("emails[not (ims[value pr])]",               15, "erratum 7322"),
        ("emails[(ims[value pr])]",                   11, "erratum 7322"),
        ("emails.value[type pr]",                     12, "not a sub-attribute"),
        ("emails[]",                                  7,  "expected an attribute name"),
        ("emails[type pr",                            6,  "'[' is never closed"),
        ("emails[type pr)",                           14, "expected ']' or a logical operator"),
        ("emails[type pr]]",                          15, "unbalanced ']'"),
        ("emails [type pr]",                          7,  "expected an operator (eq"),
        ("emails]",                                   6,  "expected an operator after"),
        ("[type pr]",                                 0,  "expected an attribute name"),
    ];
    assert_filter_errors(&errors);
}

/// grammar.abnf change (g): Entra's `valuePath "." subAttr` in a filter, lenient parsing only.
#[test]
fn value_path_sub_attribute_tolerance() {
    let work = || eq("type", s("work"));
    let x = || eq("value", s("x"));
    let rows = [
        (
            "emails[type eq \"work\"].value eq \"x\"",
            vp("emails", and([work(), x()])),
        ),
        (
            "emails[type eq \"work\" and primary eq true].value co \"@x\"",
            vp(
                "emails",
                and([
                    work(),
                    eq("primary", CompValue::Bool(true)),
                    cmp(path("value"), CompareOp::Co, s("@x")),
                ]),
            ),
        ),
        (
            "emails[type eq \"work\" or type eq \"home\"].VALUE pr",
            vp(
                "emails",
                and([or([work(), eq("type", s("home"))]), pr("VALUE")]),
            ),
        ),
        (
            "emails[type eq \"work\"].value eq \"x\" and userName pr",
            and([vp("emails", and([work(), x()])), pr("userName")]),
        ),
    ];
    for (text, expected) in rows {
        let mut tolerances = Tolerances::new();
        let parsed = Filter::parse_lenient(text, &mut tolerances);
        assert_eq!(parsed.as_ref(), Ok(&expected), "{text}");
        assert!(
            tolerances.fired(Rule::SubAttributeAfterValueFilter),
            "{text}"
        );
        // The reading prints as an RFC filter.
        assert_parses_to(&expected.to_string(), &expected);
        // Strictly, a value filter takes no sub-attribute: the filter ends at the `.`.
        let dot = text.find("].").expect("a sub-attribute after brackets") + 1;
        assert_filter_error(text, dot, "expected 'and', 'or' or the end");
    }
    let filter = "emails[type eq \"work\"].value eq \"x\"";
    let mut tolerances = Tolerances::new();
    let expr = filter::parse_and_check(filter, &USER, &mut tolerances).expect("a User filter");
    let user = |kind: &str| object(json!({ "emails": [{ "type": kind, "value": "x" }] }));
    assert_eq!(
        (expr.matches(&user("work")), expr.matches(&user("home"))),
        (true, false)
    );

    #[rustfmt::skip]
    let errors = [
        ("emails[type eq \"work\"].value",        28, "expected an operator after"),
        ("emails[type eq \"work\"].",             23, "expected an attribute name"),
        ("emails[type eq \"work\"].value.x eq 1", 23, "expected a sub-attribute name after ']'"),
        ("emails[type eq \"work\"].urn:x:y eq 1", 23, "expected a sub-attribute name after ']'"),
    ];
    for (text, pos, fragment) in errors {
        let mut tolerances = Tolerances::new();
        match Filter::parse_lenient(text, &mut tolerances) {
            Ok(f) => panic!("{text:?} should not parse, got {f:?}"),
            Err(e) => assert_error(text, &e, "invalidFilter", pos, fragment),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SP: any run of spaces, tabs and line breaks; optional next to brackets, parentheses, quotes
// ---------------------------------------------------------------------------------------------

#[test]
fn whitespace_variations() {
    let expected = and([
        eq("userName", s("bjensen")),
        or([pr("title"), vp("emails", eq("type", s("work")))]),
    ]);
    #[rustfmt::skip]
    let rows = [
        "userName eq \"bjensen\" and (title pr or emails[type eq \"work\"])",
        "  userName eq \"bjensen\" and (title pr or emails[type eq \"work\"])  ",
        "userName\teq\t\"bjensen\"\tand\t(title\tpr\tor\temails[type\teq\t\"work\"])",
        "userName\neq\n\"bjensen\"\nand\n(title\npr\nor\nemails[type\neq\n\"work\"])\n",
        "userName\r\neq \"bjensen\"\r\nand (title pr\r\nor emails[type eq \"work\"])",
        "userName   eq  \"bjensen\"  and  (  title  pr  or  emails[  type eq  \"work\"  ]  )",
        "userName eq \"bjensen\" and(title pr or emails[type eq \"work\"])",
        "userName eq\"bjensen\"and(title pr or emails[type eq\"work\"])",
    ];
    for text in rows {
        assert_eq!(parse_ok(text), expected, "{text:?}");
    }
    assert_eq!(expected.to_string(), rows[0]);

    #[rustfmt::skip]
    let errors = [
        ("userName\u{a0}eq \"bjensen\"",     8,  "expected an operator after"),
        ("userName eq \"bjensen\"\u{3000}",  21, "expected 'and', 'or' or the end"),
        ("title\u{b}pr",                     5,  "expected an operator after"),
        ("title\u{c}pr",                     5,  "expected an operator after"),
        ("title pr\0",                       8,  "expected 'and', 'or' or the end"),
        ("userNameeq \"x\"",                 11, "expected an operator (eq"),
        ("title pr and\u{a0}b pr",           12, "expected an attribute name"),
    ];
    assert_filter_errors(&errors);
}

// ---------------------------------------------------------------------------------------------
// Canonical printing: lower-case keywords, minimal parentheses, JSON escapes, JSON numbers
// ---------------------------------------------------------------------------------------------

#[test]
fn canonical_printing() {
    #[rustfmt::skip]
    let rows = [
        ("userName EQ \"bjensen\"",      "userName eq \"bjensen\""),
        ("TITLE PR",                     "TITLE pr"),
        ("a pr AND (b pr OR c pr)",      "a pr and (b pr or c pr)"),
        ("((a pr))",                     "a pr"),
        ("NOT(a pr)",                    "not (a pr)"),
        ("a eq \"\\u0041\\/\\u00e9\"",   "a eq \"A/é\""),
        ("a eq \"\\u0001\\u001F\"",      "a eq \"\\u0001\\u001f\""),
        ("a eq \"tab\\there\"",          "a eq \"tab\\there\""),
        ("a eq \"\\\"\\\\\"",            "a eq \"\\\"\\\\\""),
        ("a eq \"\\b\\f\\n\\r\"",        "a eq \"\\b\\f\\n\\r\""),
        ("a eq \"\\u007f\"",             "a eq \"\u{7f}\""),
        ("a eq \"\\uD83D\\uDE00\"",      "a eq \"😀\""),
        ("a eq 1E3",                     "a eq 1000.0"),
        ("a eq -0",                      "a eq 0"),
        ("a eq 2.50",                    "a eq 2.5"),
        ("a eq TRUE",                    "a eq true"),
        ("a eq Null",                    "a eq null"),
        ("emails[ TYPE eq \"w\" ] or ims[value pr]", "emails[TYPE eq \"w\"] or ims[value pr]"),
    ];
    for (text, printed) in rows {
        let parsed = parse_ok(text);
        assert_eq!(parsed.to_string(), printed, "{text:?}");
        assert_eq!(parse_ok(printed), parsed, "{printed:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 7644 §3.4.2.2: every example filter, parsed, checked against User and evaluated
// ---------------------------------------------------------------------------------------------

/// Four users: [bjensen (enterprise employee), jomalley (intern), ada (enterprise employee),
/// dmalley (no type)]. Comments name what each is there to distinguish.
fn rfc_users() -> [Map<String, Value>; 4] {
    [
        object(json!({
            "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "bjensen",
            "name": { "familyName": "Jensen", "givenName": "Barbara" },
            "title": "Tour Guide",
            "userType": "Employee",
            "emails": [
                { "value": "bjensen@example.com", "type": "work", "primary": true },
                { "value": "babs@jensen.org", "type": "home" }
            ],
            "ims": [{ "value": "someaimhandle", "type": "aim" }],
            "meta": { "resourceType": "User", "lastModified": "2011-05-13T04:42:34Z" },
            ENT: { "employeeNumber": "701984" }
        })),
        object(json!({
            "id": "c75ad752-64ae-4823-840d-ffa80929976c",
            // Lower case: `userName sw "J"` matches only because userName is not caseExact.
            "userName": "jomalley",
            "name": { "familyName": "O'Malley", "givenName": "Jim" },
            "userType": "Intern",
            "emails": [{ "value": "jim@example.org", "type": "work" }],
            "ims": [{ "value": "jim@foo.com", "type": "xmpp" }],
            // The RFC's instant, written with an offset.
            "meta": { "lastModified": "2011-05-13T06:42:34+02:00" }
        })),
        object(json!({
            "userName": "Ada",
            "name": { "familyName": "Lovelace" },
            "title": "Engineer",
            "userType": "Employee",
            // example.com only on a home address; the work address is elsewhere.
            "emails": [
                { "value": "ada@EXAMPLE.COM", "type": "home" },
                { "value": "ada@work.example.org", "type": "Work" }
            ],
            "ims": [{ "value": "ada@foo.com", "type": "gtalk" }],
            // One millisecond after the RFC's instant.
            "meta": { "lastModified": "2011-05-13T04:42:34.001Z" },
            ENT: { "employeeNumber": "1815" }
        })),
        object(json!({
            "userName": "dmalley",
            "name": { "familyName": "o'malley" },
            "title": "",
            "emails": [
                { "value": "d@example.net", "type": "home" },
                { "value": "dm@elsewhere.io", "type": "other" }
            ],
            // 2011-05-13T03:59:59.999Z: before the RFC's instant although the text sorts after.
            "meta": { "lastModified": "2011-05-12T23:59:59.999-04:00" }
        })),
    ]
}

/// (filter, syntax tree, matches [bjensen, jomalley, ada, dmalley]).
fn rfc_examples() -> Vec<(&'static str, Filter, [bool; 4])> {
    use CompareOp::*;
    let instant = || s("2011-05-13T04:42:34Z");
    let last_modified = |op| cmp(sub("meta", "lastModified"), op, instant());
    let employee = || eq("userType", s("Employee"));
    let example_com_or_org = || {
        or([
            cmp(path("emails"), Co, s("example.com")),
            cmp(sub("emails", "value"), Co, s("example.org")),
        ])
    };
    let work_at = |attr: &str, kind: &str, domain: &str| {
        vp(
            attr,
            and([eq("type", s(kind)), cmp(path("value"), Co, s(domain))]),
        )
    };
    vec![
        (
            r#"userName eq "bjensen""#,
            eq("userName", s("bjensen")),
            [true, false, false, false],
        ),
        (
            r#"name.familyName co "O'Malley""#,
            cmp(sub("name", "familyName"), Co, s("O'Malley")),
            [false, true, false, true],
        ),
        (
            r#"userName sw "J""#,
            cmp(path("userName"), Sw, s("J")),
            [false, true, false, false],
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            cmp(path("userName").with_urn(CORE), Sw, s("J")),
            [false, true, false, false],
        ),
        ("title pr", pr("title"), [true, false, true, false]),
        (
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            last_modified(Gt),
            [false, false, true, false],
        ),
        (
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            last_modified(Ge),
            [true, true, true, false],
        ),
        (
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            last_modified(Lt),
            [false, false, false, true],
        ),
        (
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            last_modified(Le),
            [true, true, false, true],
        ),
        (
            r#"title pr and userType eq "Employee""#,
            and([pr("title"), employee()]),
            [true, false, true, false],
        ),
        (
            r#"title pr or userType eq "Intern""#,
            or([pr("title"), eq("userType", s("Intern"))]),
            [true, true, true, false],
        ),
        (
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            eq("schemas", s(ENT)),
            [true, false, true, false],
        ),
        (
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            and([employee(), example_com_or_org()]),
            [true, false, true, false],
        ),
        (
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            and([
                cmp(path("userType"), Ne, s("Employee")),
                not(example_com_or_org()),
            ]),
            [false, false, false, true],
        ),
        (
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            and([employee(), cmp(sub("emails", "type"), Eq, s("work"))]),
            [true, false, true, false],
        ),
        (
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            and([employee(), work_at("emails", "work", "@example.com")]),
            [true, false, false, false],
        ),
        (
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            or([
                work_at("emails", "work", "@example.com"),
                work_at("ims", "xmpp", "@foo.com"),
            ]),
            [true, true, false, false],
        ),
    ]
}

#[test]
fn rfc_7644_example_filters() {
    let users = rfc_users();
    let examples = rfc_examples();
    assert_eq!(examples.len(), 17, "every example of RFC 7644 §3.4.2.2");
    for (text, ast, expected) in examples {
        let parsed = parse_ok(text);
        assert_eq!(parsed, ast, "{text}");
        // The RFC writes its examples in canonical form, except for the redundant parentheses
        // around `emails.type eq "work"`.
        let printed = text.replace(r#"(emails.type eq "work")"#, r#"emails.type eq "work""#);
        assert_eq!(parsed.to_string(), printed, "{text}");

        let mut tolerances = Tolerances::new();
        let expr = filter::check(&parsed, &USER, &mut tolerances)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(tolerances.is_empty(), "{text}: {:?}", tolerances.applied());
        let actual = users.each_ref().map(|user| expr.matches(user));
        assert_eq!(actual, expected, "{text}");

        let mut tolerances = Tolerances::new();
        let served = filter::parse_and_check(text, &USER, &mut tolerances);
        assert_eq!(served, Ok(expr), "{text}");
    }
}

#[test]
fn rfc_examples_match_a_validated_resource() {
    let body = json!({
        "schemas": [CORE, ENT],
        "userName": "bjensen",
        "name": { "familyName": "Jensen", "givenName": "Barbara" },
        "title": "Tour Guide",
        "userType": "Employee",
        "emails": [{ "value": "bjensen@example.com", "type": "work", "primary": true }],
        ENT: { "employeeNumber": "701984" }
    });
    let mut tolerances = Tolerances::new();
    let parsed = resource::parse(&USER, body, &mut tolerances).expect("a valid User");
    let attrs = parsed.resource.attrs();
    #[rustfmt::skip]
    let rows = [
        (r#"userName eq "BJENSEN""#,                                                 true),
        (r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#, true),
        (r#"schemas eq "urn:ietf:params:scim:schemas:core:2.0:User""#,               true),
        (r#"schemas eq "urn:ietf:params:scim:schemas:core:2.0:Group""#,              false),
        (r#"emails[type eq "work" and value co "@example.com"]"#,                   true),
        (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr"#, true),
        (r#"title pr and not (name.familyName ew "sen")"#,                           false),
    ];
    for (text, expected) in rows {
        assert_eq!(evaluate(&USER, text, attrs), expected, "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Schema check: well-formed filters that are invalidFilter for the resource type
// ---------------------------------------------------------------------------------------------

#[test]
fn schema_check_errors() {
    let enterprise = |rest: &str| format!("{ENT}:{rest}");
    #[rustfmt::skip]
    let rows: Vec<(&'static ResourceType, String, &str)> = vec![
        // Unknown attributes and URNs.
        (&USER,   "nickname2 eq \"x\"".into(),            "unknown attribute 'nickname2'"),
        (&USER,   "name.middle eq \"x\"".into(),          "'name' has no sub-attribute 'middle'"),
        (&USER,   "userName.value eq \"x\"".into(),       "'userName' has no sub-attributes"),
        (&USER,   format!("{CORE}s:userName eq \"x\""),   "unknown schema URN"),
        (&USER,   enterprise("userName eq \"x\""),        "unknown attribute"),
        (&USER,   "employeeNumber eq \"701984\"".into(),  "it is an extension attribute"),
        (&GROUP,  "userName eq \"x\"".into(),             "unknown attribute 'userName' for a Group"),
        (&GROUP,  enterprise("employeeNumber eq \"1\""),  "unknown schema URN"),
        // gt/ge/lt/le on boolean or binary (RFC 7644 §3.4.2.2: SHALL fail).
        (&USER,   "active gt true".into(),                "boolean attributes cannot be ordered"),
        (&USER,   "active ge false".into(),               "boolean attributes cannot be ordered"),
        (&USER,   "active lt true".into(),                "boolean attributes cannot be ordered"),
        (&USER,   "emails.primary le true".into(),        "boolean attributes cannot be ordered"),
        (&USER,   "x509Certificates.value gt \"TUlJ\"".into(), "binary attributes cannot be ordered"),
        (&WIDGET, "blob ge \"AAAA\"".into(),              "binary attributes cannot be ordered"),
        // co/sw/ew on anything but strings, references and binary.
        (&USER,   "active co \"t\"".into(),               "co is a substring operator; 'active' is boolean"),
        (&USER,   "emails.primary sw \"t\"".into(),       "sw is a substring operator"),
        (&USER,   "meta.lastModified co \"2011\"".into(), "'meta.lastModified' is dateTime"),
        (&USER,   "meta.created ew \"Z\"".into(),         "'meta.created' is dateTime"),
        (&WIDGET, "count co 1".into(),                    "'count' is integer"),
        (&WIDGET, "count sw 1".into(),                    "'count' is integer"),
        (&WIDGET, "ratio ew 0.5".into(),                  "'ratio' is decimal"),
        // Literals that do not fit the attribute's type.
        (&USER,   "meta.lastModified gt \"yesterday\"".into(),            "expected a date-time"),
        (&USER,   "meta.lastModified eq \"2011-13-01T00:00:00Z\"".into(), "expected a date-time"),
        (&USER,   "meta.lastModified eq \"2011-05-13\"".into(),           "expected a date-time"),
        (&USER,   "meta.lastModified eq \"2011-05-13T04:42:34+14:30\"".into(), "expected a date-time"),
        (&USER,   "meta.lastModified eq 1305261754".into(),  "is of type dateTime"),
        (&USER,   "meta.lastModified eq true".into(),        "is of type dateTime"),
        (&USER,   "userName eq true".into(),                 "'userName' is of type string"),
        (&USER,   "active eq \"yes\"".into(),                "expected true or false"),
        (&USER,   "active eq 1".into(),                      "'active' is of type boolean"),
        (&WIDGET, "count eq 1.5".into(),                     "expected an integer that fits 64 bits"),
        (&WIDGET, "count eq 18446744073709551615".into(),    "expected an integer that fits 64 bits"),
        (&WIDGET, "count eq \"1\"".into(),                   "'count' is of type integer"),
        (&WIDGET, "ratio eq \"0.5\"".into(),                 "'ratio' is of type decimal"),
        // null only with eq and ne.
        (&USER,   "title gt null".into(),                    "null can only be compared with eq or ne"),
        (&USER,   "title co null".into(),                    "null can only be compared with eq or ne"),
        (&USER,   "meta.lastModified le null".into(),        "null can only be compared with eq or ne"),
        // Complex attributes without a sub-attribute (and without `value` to default to).
        (&USER,   "name eq \"Barbara\"".into(),              "'name' is complex"),
        (&USER,   "name co \"Barb\"".into(),                 "'name' is complex"),
        (&USER,   "meta eq \"x\"".into(),                    "'meta' is complex"),
        // Inside brackets: sub-attributes of the filtered attribute only.
        (&USER,   "emails[display2 eq \"x\"]".into(),        "'emails' has no sub-attribute 'display2'"),
        (&USER,   "emails[name.familyName eq \"x\"]".into(), "write a sub-attribute name"),
        (&USER,   format!("emails[{CORE}:value eq \"x\"]"),  "write a sub-attribute name"),
        (&USER,   "emails[primary co \"t\"]".into(),         "co is a substring operator"),
        (&USER,   "userName[value eq \"x\"]".into(),         "value filters apply to complex attributes"),
    ];
    for (rtype, text, fragment) in rows {
        let parsed = parse_ok(&text);
        let mut tolerances = Tolerances::new();
        let Err(error) = filter::check(&parsed, rtype, &mut tolerances) else {
            panic!("{text:?} should fail the schema check");
        };
        assert_eq!(error.scim_type(), Some("invalidFilter"), "{text}: {error}");
        assert_eq!((error.status(), error.position()), (400, None), "{text}");
        assert!(
            error.detail().contains(fragment),
            "{text}: {error:?} should say {fragment:?}"
        );
    }
}

/// Shapes the check accepts only by a named tolerance, which it records.
#[test]
fn schema_check_tolerances() {
    #[rustfmt::skip]
    let rows = [
        ("active eq \"True\"".to_owned(),                      Rule::BooleanStringInFilter),
        ("emails[primary EQ \"true\"]".to_owned(),             Rule::BooleanStringInFilter),
        ("userName eq 42".to_owned(),                          Rule::UnquotedFilterValue),
        (format!("{ENT}:manager[value eq \"x\"]"),            Rule::FilterOnSingularComplex),
        (format!("{}User:employeeNumber eq \"1\"", &ENT[..ENT.len() - 5]), Rule::MisspelledEnterpriseUrn),
    ];
    for (text, rule) in rows {
        let mut tolerances = Tolerances::new();
        filter::check(&parse_ok(&text), &USER, &mut tolerances)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(tolerances.fired(rule), "{text}: {:?}", tolerances.applied());
    }
    // Unquoted values are a lenient-parse tolerance: strict parsing refuses them.
    assert_filter_error(
        "externalId eq jyoung",
        14,
        "strings must be in double quotes",
    );
    let mut tolerances = Tolerances::new();
    let expr = filter::parse_and_check("externalId eq jyoung", &USER, &mut tolerances)
        .expect("Entra's unquoted value");
    assert!(tolerances.fired(Rule::UnquotedFilterValue));
    assert!(expr.matches(&object(json!({ "externalId": "jyoung" }))));
    assert!(!expr.matches(&object(json!({ "externalId": "JYoung" }))));
}

// ---------------------------------------------------------------------------------------------
// Evaluation semantics per type (src/filter/eval.rs module doc)
// ---------------------------------------------------------------------------------------------

#[test]
fn evaluate_strings_by_case_exactness() {
    let bjensen = || json!({ "userName": "bjensen" });
    let manager = || json!({ ENT: { "manager": { "value": "abc" } } });
    let manager_value = format!("{ENT}:manager.value eq \"ABC\"");
    let manager_implicit = format!("{ENT}:manager eq \"abc\"");
    let upper_case = format!("{}:EMPLOYEENUMBER eq \"701984\"", ENT.to_uppercase());
    // userName and title are not caseExact; id, externalId and manager.value are.
    #[rustfmt::skip]
    let rows = vec![
        ("userName eq \"BJENSEN\"",          bjensen(),                       true),
        ("userName ne \"BJENSEN\"",          bjensen(),                       false),
        ("userName co \"JENS\"",             bjensen(),                       true),
        ("userName sw \"BJ\"",               bjensen(),                       true),
        ("userName ew \"SEN\"",              bjensen(),                       true),
        ("userName gt \"BJENSEM\"",          bjensen(),                       true),
        ("userName lt \"BJENSEN\"",          bjensen(),                       false),
        ("userName le \"BJENSEN\"",          bjensen(),                       true),
        ("userName ge \"c\"",                bjensen(),                       false),
        ("userName co \"\"",                 bjensen(),                       true),
        ("title eq \"ÉCOLE\"",               json!({ "title": "école" }),     true),
        ("id eq \"ABC-1\"",                  json!({ "id": "abc-1" }),        false),
        ("id eq \"abc-1\"",                  json!({ "id": "abc-1" }),        true),
        ("id co \"ABC\"",                    json!({ "id": "abc-1" }),        false),
        ("id sw \"abc\"",                    json!({ "id": "abc-1" }),        true),
        ("id gt \"ABC-1\"",                  json!({ "id": "abc-1" }),        true),
        ("externalId eq \"BJensen\"",        json!({ "externalId": "bjensen" }), false),
        ("externalId ne \"BJensen\"",        json!({ "externalId": "bjensen" }), true),
        ("externalId ew \"sen\"",            json!({ "externalId": "bjensen" }), true),
        (&manager_value,                     manager(),                       false),
        (&manager_implicit,                  manager(),                       true),
        (&upper_case,               json!({ ENT: { "employeeNumber": "701984" } }), true),
    ];
    assert_evaluations(&USER, rows);

    // members.value and $ref are caseExact; displayName is not.
    let member = || json!({ "members": [{ "value": "abc", "$ref": "https://h/Users/1" }] });
    #[rustfmt::skip]
    let rows = vec![
        ("members.value eq \"ABC\"",     member(),                          false),
        ("members[value eq \"abc\"]",    member(),                          true),
        ("members[$ref ew \"/Users/1\"]", member(),                         true),
        ("members[$ref ew \"/USERS/1\"]", member(),                         false),
        ("displayName eq \"ADMINS\"",    json!({ "displayName": "Admins" }), true),
    ];
    assert_evaluations(&GROUP, rows);

    // Binary values are caseExact (base64).
    #[rustfmt::skip]
    let rows = vec![
        ("blob eq \"AAAA\"", json!({ "blob": "AAAA" }), true),
        ("blob eq \"aaaa\"", json!({ "blob": "AAAA" }), false),
        ("blob co \"AA\"",   json!({ "blob": "AAAA" }), true),
    ];
    assert_evaluations(&WIDGET, rows);
}

#[test]
fn evaluate_schemas() {
    let department = || json!({ ENT: { "department": "R&D" } });
    let core_upper_case = format!("schemas eq \"{}\"", CORE.to_uppercase());
    let enterprise = format!("schemas eq \"{ENT}\"");
    let user_core = format!("schemas eq \"{CORE}\"");
    // Canonical resources carry no `schemas`: it is derived, and URNs ignore case.
    #[rustfmt::skip]
    let rows = vec![
        (core_upper_case.as_str(),    json!({}),                           true),
        (&enterprise,                 json!({ "userName": "x" }),          false),
        (&enterprise,                 department(),                        true),
        ("schemas pr",                json!({}),                           true),
        ("schemas eq null",           json!({}),                           false),
        ("schemas co \"enterprise\"", department(),                        true),
        // A full representation carries `schemas`, which is then used as it is.
        (&enterprise,                 json!({ "schemas": [CORE, ENT] }),   true),
    ];
    assert_evaluations(&USER, rows);
    #[rustfmt::skip]
    let rows = vec![
        ("schemas eq \"urn:ietf:params:scim:schemas:core:2.0:Group\"", json!({}), true),
        (&user_core,                                                   json!({}), false),
    ];
    assert_evaluations(&GROUP, rows);
}

#[test]
fn evaluate_date_times_chronologically() {
    let at = |instant: &str| json!({ "meta": { "lastModified": instant } });
    let rfc = || at("2011-05-13T04:42:34Z");
    #[rustfmt::skip]
    let rows = vec![
        ("meta.lastModified eq \"2011-05-13T06:42:34+02:00\"", rfc(),                              true),
        ("meta.lastModified eq \"2011-05-13T04:42:34.000Z\"",  rfc(),                              true),
        ("meta.lastModified gt \"2011-05-13T04:42:34Z\"",      at("2011-05-13T04:42:34.5Z"),       true),
        ("meta.lastModified lt \"2011-05-13T04:42:34.001Z\"",  rfc(),                              true),
        // 2011-05-13T05:00:00Z: later, although the text sorts earlier.
        ("meta.lastModified lt \"2011-05-12T23:00:00-06:00\"", rfc(),                              true),
        // 2011-05-12T10:00:00Z: earlier, although the text sorts later.
        ("meta.lastModified gt \"2011-05-13T00:00:00+14:00\"", at("2011-05-12T10:00:01Z"),         true),
        ("meta.lastModified ge \"2011-05-13T04:42:34Z\"",      at("2011-05-13T04:42:33.999999999Z"), false),
        ("meta.lastModified ne \"2011-05-13T04:42:34Z\"",      at("2011-05-13T06:42:34+02:00"),    false),
        ("meta.created le \"2000-03-01T00:00:00Z\"",
            json!({ "meta": { "created": "2000-02-29T23:59:59Z" } }),                              true),
        ("meta.lastModified gt \"1999-12-31T23:59:59Z\"",      json!({}),                          false),
        ("meta.lastModified le \"2999-12-31T23:59:59Z\"",      json!({ "meta": {} }),              false),
    ];
    assert_evaluations(&USER, rows);
    // A stored value that is not a date never orders and never equals.
    #[rustfmt::skip]
    let rows = vec![
        ("seen gt \"2011-05-13T04:42:34Z\"", json!({ "seen": "not a date" }), false),
        ("seen lt \"2011-05-13T04:42:34Z\"", json!({ "seen": "not a date" }), false),
        ("seen ne \"2011-05-13T04:42:34Z\"", json!({ "seen": "not a date" }), true),
    ];
    assert_evaluations(&WIDGET, rows);
}

#[test]
fn evaluate_numbers_and_booleans() {
    #[rustfmt::skip]
    let rows = vec![
        ("count eq 5",                   json!({ "count": 5 }),        true),
        ("count ne 5",                   json!({ "count": 5 }),        false),
        ("count gt 4",                   json!({ "count": 5 }),        true),
        ("count ge 5",                   json!({ "count": 5 }),        true),
        ("count lt 5",                   json!({ "count": 5 }),        false),
        ("count le -1",                  json!({ "count": -2 }),       true),
        ("count eq 5",                   json!({ "count": 5.0 }),      true),
        ("count eq -0",                  json!({ "count": 0 }),        true),
        ("count gt 9223372036854775806", json!({ "count": i64::MAX }), true),
        ("count lt -9223372036854775807", json!({ "count": i64::MIN }), true),
        ("count ne 5",                   json!({}),                    true),
        ("count gt 1",                   json!({}),                    false),
        ("ratio eq 0.5",                 json!({ "ratio": 0.5 }),      true),
        ("ratio gt 0.25",                json!({ "ratio": 0.5 }),      true),
        ("ratio eq 1",                   json!({ "ratio": 1.0 }),      true),
        ("ratio eq 1",                   json!({ "ratio": 1 }),        true),
        ("ratio eq 0.1",                 json!({ "ratio": 0.1 }),      true),
        ("ratio lt 1e-3",                json!({ "ratio": 0.0001 }),   true),
        ("ratio ge 2.5E1",               json!({ "ratio": 25 }),       true),
        ("ratio le -0.5",                json!({ "ratio": -0.25 }),    false),
        ("enabled eq false",             json!({ "enabled": false }),  true),
    ];
    assert_evaluations(&WIDGET, rows);
    #[rustfmt::skip]
    let rows = vec![
        ("active eq true",     json!({ "active": true }),  true),
        ("active eq true",     json!({ "active": false }), false),
        ("active eq TRUE",     json!({ "active": true }),  true),
        ("active eq \"True\"", json!({ "active": true }),  true),
        ("active ne true",     json!({ "active": false }), true),
        ("active eq false",    json!({}),                  false),
        ("active ne true",     json!({}),                  true),
    ];
    assert_evaluations(&USER, rows);
}

#[test]
fn evaluate_multi_valued_attributes_by_any_value() {
    let two = || {
        json!({ "emails": [
            { "value": "a@x.org", "type": "work", "primary": false },
            { "value": "b@x.org", "type": "home", "primary": true }
        ] })
    };
    let only_work = || json!({ "emails": [{ "value": "a", "type": "WORK" }] });
    #[rustfmt::skip]
    let rows = vec![
        ("emails.value eq \"b@x.org\"",   two(), true),
        ("emails eq \"B@X.ORG\"",         two(), true),
        ("emails.type eq \"home\"",       two(), true),
        ("emails.primary eq true",        two(), true),
        ("emails co \"x.org\"",           two(), true),
        ("emails.value sw \"b\"",         two(), true),
        ("emails.value gt \"a@y\"",       two(), true),
        ("emails.value lt \"a\"",         two(), false),
        // ne is "no value equals".
        ("emails ne \"a@x.org\"",         two(), false),
        ("emails.value ne \"z@x.org\"",   two(), true),
        // Without brackets the terms may hold for different items; with brackets, for one.
        ("emails.type eq \"work\" and emails.primary eq true", two(), true),
        ("emails[type eq \"work\" and primary eq true]",       two(), false),
        ("emails[type eq \"home\" and primary eq true]",       two(), true),
        ("emails[not (type eq \"work\")]",                     two(), true),
        ("emails[not (type eq \"work\")]",                     only_work(), false),
        ("emails[type pr]",               json!({ "emails": [{ "value": "a" }] }), false),
        ("emails[value eq \"a\"]",        json!({ "emails": [] }),                 false),
        ("not (emails[value eq \"a\"])",  json!({}),                               true),
        ("name[givenName eq \"BARBARA\"]", json!({ "name": { "givenName": "Barbara" } }), true),
    ];
    assert_evaluations(&USER, rows);
}

#[test]
fn evaluate_missing_values_null_and_presence() {
    let ent = |value: Value| json!({ ENT: value });
    let employee_number_ne = format!("{ENT}:employeeNumber ne \"1\"");
    let manager_value_null = format!("{ENT}:manager.value eq null");
    let manager_pr = format!("{ENT}:manager pr");
    #[rustfmt::skip]
    let rows = vec![
        // ne on a missing attribute is true; orderings on it are false.
        ("title ne \"x\"",           json!({}),                                   true),
        ("title ne \"x\"",           json!({ "title": "X" }),                     false),
        ("title ne \"x\"",           json!({ "title": null }),                    true),
        (&employee_number_ne,        json!({}),                                   true),
        ("emails.value ne \"a\"",    json!({ "emails": [{ "type": "work" }] }),   true),
        ("title gt \"a\"",           json!({}),                                   false),
        ("title le \"z\"",           json!({}),                                   false),
        ("not (title eq \"x\")",     json!({}),                                   true),
        // eq null: no value; ne null: some value. "" is no value, false is one.
        ("title eq null",            json!({}),                                   true),
        ("title eq null",            json!({ "title": null }),                    true),
        ("title eq null",            json!({ "title": "" }),                      true),
        ("title eq null",            json!({ "title": "a" }),                     false),
        ("title ne null",            json!({ "title": "a" }),                     true),
        ("title ne null",            json!({}),                                   false),
        ("title ne null",            json!({ "title": "" }),                      false),
        ("active eq null",           json!({ "active": false }),                  false),
        ("emails eq null",           json!({ "emails": [] }),                     true),
        ("emails.value eq null",     json!({ "emails": [{ "type": "work" }] }),   true),
        ("emails ne null",           json!({ "emails": [{ "value": "a" }] }),     true),
        ("meta.lastModified eq null", json!({ "meta": { "created": "2011-05-13T04:42:34Z" } }), true),
        (&manager_value_null,        ent(json!({})),                              true),
        // pr: not null, "", [] or {} (an object is present when one of its values is).
        ("title pr",                 json!({ "title": "a" }),                     true),
        ("title pr",                 json!({ "title": "" }),                      false),
        ("title pr",                 json!({ "title": null }),                    false),
        ("title pr",                 json!({}),                                   false),
        ("active pr",                json!({ "active": false }),                  true),
        ("emails pr",                json!({ "emails": [] }),                     false),
        ("emails pr",                json!({ "emails": [{}] }),                   false),
        ("emails pr",                json!({ "emails": [{ "value": "" }] }),      false),
        ("emails pr",                json!({ "emails": [{ "value": "a" }] }),     true),
        ("emails pr",                json!({ "emails": [{ "primary": false }] }), true),
        ("emails.value pr",          json!({ "emails": [{ "type": "work" }] }),   false),
        ("name pr",                  json!({ "name": {} }),                       false),
        ("name pr",                  json!({ "name": { "givenName": "" } }),      false),
        ("name pr",                  json!({ "name": { "givenName": "B" } }),     true),
        (&manager_pr,                ent(json!({ "manager": {} })),               false),
        (&manager_pr,                ent(json!({ "manager": { "value": "x" } })), true),
    ];
    assert_evaluations(&USER, rows);
}

// ---------------------------------------------------------------------------------------------
// PATCH: PATH = attrPath / valuePath [subAttr]
// ---------------------------------------------------------------------------------------------

fn patch_path(attr: AttrPath, filter: Option<Filter>, sub: Option<&str>) -> PatchPath {
    PatchPath {
        attr,
        filter,
        sub: sub.map(str::to_owned),
    }
}

#[test]
fn patch_path_production() {
    let work = || eq("type", s("work"));
    let primary = |b| eq("primary", CompValue::Bool(b));
    // (path, syntax tree, canonical form)
    let rows = [
        (
            "userName",
            patch_path(path("userName"), None, None),
            "userName",
        ),
        (
            " userName ",
            patch_path(path("userName"), None, None),
            "userName",
        ),
        (
            "name.familyName",
            patch_path(sub("name", "familyName"), None, None),
            "name.familyName",
        ),
        (
            "emails[type eq \"work\"]",
            patch_path(path("emails"), Some(work()), None),
            "emails[type eq \"work\"]",
        ),
        (
            "emails[type eq \"work\"].value",
            patch_path(path("emails"), Some(work()), Some("value")),
            "emails[type eq \"work\"].value",
        ),
        (
            "emails[type eq \"work\" and primary eq true].display",
            patch_path(
                path("emails"),
                Some(and([work(), primary(true)])),
                Some("display"),
            ),
            "emails[type eq \"work\" and primary eq true].display",
        ),
        (
            "emails[type eq \"work\" or (type eq \"home\" and not (primary eq false))].value",
            patch_path(
                path("emails"),
                Some(or([
                    work(),
                    and([eq("type", s("home")), not(primary(false))]),
                ])),
                Some("value"),
            ),
            "emails[type eq \"work\" or type eq \"home\" and not (primary eq false)].value",
        ),
        (
            "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]",
            patch_path(
                path("members"),
                Some(eq("value", s("2819c223-7f76-453a-919d-413861904646"))),
                None,
            ),
            "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]",
        ),
        (
            "members[value eq \"x\"].$ref",
            patch_path(path("members"), Some(eq("value", s("x"))), Some("$ref")),
            "members[value eq \"x\"].$ref",
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            patch_path(sub("manager", "value").with_urn(ENT), None, None),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            patch_path(path("employeeNumber").with_urn(ENT), None, None),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq \"x\"]",
            patch_path(
                path("manager").with_urn(ENT),
                Some(eq("value", s("x"))),
                None,
            ),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq \"x\"]",
        ),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"].value",
            patch_path(path("emails").with_urn(CORE), Some(work()), Some("value")),
            "urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"].value",
        ),
        (
            "addresses[type eq \"work\"].streetAddress",
            patch_path(path("addresses"), Some(work()), Some("streetAddress")),
            "addresses[type eq \"work\"].streetAddress",
        ),
        (
            "EMAILS[TYPE EQ \"work\"].VALUE",
            patch_path(path("EMAILS"), Some(eq("TYPE", s("work"))), Some("VALUE")),
            "EMAILS[TYPE eq \"work\"].VALUE",
        ),
        // A bare extension URN reads as an attribute path (`…:2.0` + `User`);
        // `path::resolve_text` recognises the URN before parsing.
        (
            ENT,
            patch_path(
                path("User").with_urn("urn:ietf:params:scim:schemas:extension:enterprise:2.0"),
                None,
                None,
            ),
            ENT,
        ),
    ];
    for (text, expected, printed) in rows {
        let parsed = PatchPath::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(parsed, expected, "{text:?}");
        assert_eq!(parsed.to_string(), printed, "{text:?}");
        assert_eq!(PatchPath::parse(printed), Ok(expected), "{printed:?}");
    }

    #[rustfmt::skip]
    let errors = [
        ("",                                        0,  "expected an attribute name"),
        ("   ",                                     3,  "expected an attribute name"),
        ("1emails",                                 0,  "start with a letter"),
        ("name.familyName.x",                       15, "at most one sub-attribute"),
        ("emails[type eq \"work\"].",               23, "expected a sub-attribute name after ']'"),
        ("emails[type eq \"work\"].value.display",  23, "expected a sub-attribute name after ']'"),
        ("emails[type eq \"work\"].urn:x:value",    23, "expected a sub-attribute name after ']'"),
        ("emails[type eq \"work\"].$x",             23, "expected a sub-attribute name after ']'"),
        ("emails[type eq \"work\"]x",               22, "unexpected text after the path"),
        ("emails[type eq \"work\"][value pr]",      22, "unexpected text after the path"),
        ("emails[type eq \"work\"] and title pr",   23, "unexpected text after the path"),
        ("emails [type eq \"work\"]",               7,  "unexpected text after the path"),
        ("userName eq \"x\"",                       9,  "unexpected text after the path"),
        ("title pr",                                6,  "unexpected text after the path"),
        ("emails.value[type eq \"work\"]",          12, "not a sub-attribute"),
        ("emails[type[value pr]]",                  11, "erratum 7322"),
        ("emails[type eq \"work\"",                 6,  "'[' is never closed"),
        ("emails[type eq work]",                    15, "strings must be in double quotes"),
        ("emails[]",                                7,  "expected an attribute name"),
        ("emails[type eq \"\\uD800\"]",             16, "unpaired surrogate"),
    ];
    for (text, pos, fragment) in errors {
        match PatchPath::parse(text) {
            Ok(p) => panic!("{text:?} should not parse, got {p:?}"),
            Err(e) => assert_error(text, &e, "invalidPath", pos, fragment),
        }
    }

    // Entra ID's unquoted value is accepted by the lenient parser only, and recorded.
    let mut tolerances = Tolerances::new();
    let lenient = PatchPath::parse_lenient("emails[type eq work].value", &mut tolerances);
    let expected = patch_path(path("emails"), Some(work()), Some("value"));
    assert_eq!(lenient, Ok(expected));
    assert!(tolerances.fired(Rule::UnquotedFilterValue));
}

/// What a path resolves to: (attribute, sub-attribute, filtered), or what the error says.
type Resolution = Result<(&'static str, Option<&'static str>, bool), &'static str>;

#[test]
fn patch_path_resolution() {
    use workbench_scim::path::{Target, resolve_text};
    // (path, Ok((attribute, sub-attribute, filtered)) or Err(what the detail says))
    #[rustfmt::skip]
    let rows: [(String, Resolution); 9] = [
        ("NAME.FAMILYNAME".into(),                   Ok(("name", Some("familyName"), false))),
        ("emails[type eq \"work\"].value".into(),    Ok(("emails", Some("value"), true))),
        (format!("{ENT}:manager.value"),             Ok(("manager", Some("value"), false))),
        ("members".into(),                           Err("unknown attribute 'members'")),
        ("emails[type eq \"work\"].nope".into(),     Err("'emails' has no sub-attribute 'nope'")),
        ("emails[nope eq \"work\"]".into(),          Err("'emails' has no sub-attribute 'nope'")),
        ("userName[value eq \"x\"]".into(),          Err("'userName' is not complex")),
        ("emails[type gt true]".into(),              Err("'type' is of type string")),
        ("emails[type eq \"work\"".into(),           Err("'[' is never closed")),
    ];
    for (text, expected) in rows {
        let mut tolerances = Tolerances::new();
        match (resolve_text(&text, &USER, &mut tolerances), expected) {
            (Ok(Target::Attr(target)), Ok((attr, sub, filtered))) => {
                assert_eq!(target.attr.name, attr, "{text}");
                assert_eq!(target.sub.map(|a| a.name), sub, "{text}");
                assert_eq!(target.filter.is_some(), filtered, "{text}");
            }
            (Err(error), Err(fragment)) => {
                assert_eq!(error.scim_type(), Some("invalidPath"), "{text}: {error}");
                assert!(error.detail().contains(fragment), "{text}: {error}");
            }
            (actual, expected) => panic!("{text}: got {actual:?}, expected {expected:?}"),
        }
    }
    let mut tolerances = Tolerances::new();
    assert!(matches!(
        resolve_text(ENT, &USER, &mut tolerances),
        Ok(Target::Extension(schema)) if schema.id == ENT
    ));
}

// ---------------------------------------------------------------------------------------------
// Limits and hostile input: always an invalidFilter / invalidPath error with a position
// ---------------------------------------------------------------------------------------------

#[test]
fn nesting_and_length_limits() {
    // MAX_DEPTH levels of parentheses, `not` and brackets are fine; one more is not.
    let depth = filter::MAX_DEPTH;
    let parens = format!("{}a pr{}", "(".repeat(depth), ")".repeat(depth));
    assert_eq!(parse_ok(&parens), pr("a"));
    let nots = format!("{}a pr{}", "not (".repeat(depth), ")".repeat(depth));
    let expected = (0..depth).fold(pr("a"), |inner, _| not(inner));
    assert_eq!(parse_ok(&nots), expected);
    assert_eq!(expected.to_string(), nots);
    assert_filter_error(
        &format!("({parens})"),
        depth,
        "nested deeper than 50 levels",
    );
    let (open, close) = ("(".repeat(depth - 1), ")".repeat(depth - 1));
    let bracketed = format!("emails[{open}value pr{close}]");
    assert_eq!(parse_ok(&bracketed), vp("emails", pr("value")));
    let too_deep = format!("emails[({open}value pr{close})]");
    assert_filter_error(&too_deep, 7 + depth - 1, "nested deeper than 50 levels");

    // MAX_LEN bytes are fine, one more is not.
    let padded = format!("a pr{}", " ".repeat(filter::MAX_LEN - 4));
    assert_eq!(parse_ok(&padded), pr("a"));
    assert_filter_error(&format!("{padded} "), filter::MAX_LEN, "the limit is 65536");

    // A long chain under the limit is one n-ary node: parsed, checked, evaluated, printed.
    let chain = vec!["userName pr"; 4000].join(" and ");
    assert!(chain.len() < filter::MAX_LEN);
    let parsed = parse_ok(&chain);
    assert!(matches!(&parsed, Filter::And(items) if items.len() == 4000));
    assert_eq!(parsed.to_string(), chain);
    assert!(evaluate(&USER, &chain, &object(json!({ "userName": "x" }))));
    let chain = vec!["userName eq \"x\""; 3000].join(" or ");
    assert!(evaluate(&USER, &chain, &object(json!({ "userName": "X" }))));
}

#[test]
fn hostile_input_is_an_error_with_a_position() {
    const MB: usize = 1 << 20;
    let limit = filter::MAX_LEN;
    let deep = |open: &str, inner: &str, close: &str| {
        format!("{}{inner}{}", open.repeat(10_000), close.repeat(10_000))
    };
    // (what, filter text, expected error position)
    #[rustfmt::skip]
    let filters: Vec<(&str, String, usize)> = vec![
        ("empty",                          String::new(),                     0),
        ("blank",                          " \t\r\n".into(),                  4),
        ("parentheses 10,000 deep",        deep("(", "a pr", ")"),            50),
        ("not ( 10,000 deep",              deep("not (", "a pr", ")"),        50 * 5 + 4),
        ("not( unclosed, 10,000 deep",     "not(".repeat(10_000),             50 * 4 + 3),
        ("brackets 10,000 deep",           deep("a[", "b pr", "]"),           3),
        ("bare brackets 10,000 deep",      "[".repeat(10_000),                0),
        ("closing parentheses",            ")".repeat(10_000),                0),
        ("1 MB string value",   format!("userName eq \"{}\"", "a".repeat(MB)), limit),
        ("1 MB and chain",      vec!["userName pr"; MB / 16].join(" and "),    limit),
        ("1 MB or chain of ids", vec!["id eq \"2819c223\""; MB / 20].join(" or "), limit),
        ("1 MB of spaces",      " ".repeat(MB),                                limit),
        ("1 MB attribute name", format!("{} pr", "a".repeat(MB)),              limit),
        ("1 MB of escapes",     format!("a eq \"{}\"", "\\u0041".repeat(MB / 6)), limit),
        ("invalid escape",                 r#"a eq "\q""#.into(),             6),
        ("truncated \\u escape",           r#"a eq "\u""#.into(),             6),
        ("non-hex \\u escape",             r#"a eq "\uZZZZ""#.into(),         6),
        ("lone high surrogate",            r#"a eq "\uD800""#.into(),         6),
        ("lone low surrogate",             r#"a eq "\uDFFF""#.into(),         6),
        ("two high surrogates",            r#"a eq "x\uDBFF\uDBFF""#.into(),  7),
        ("1e400",                          "a eq 1e400".into(),               5),
        ("-1e400",                         "a eq -1e400".into(),              5),
        ("huge exponent",                  "a eq 1e99999999999999999999".into(), 5),
        ("30-digit integer",       "a eq 123456789012345678901234567890".into(), 5),
        ("1,000-digit integer",            format!("a eq {}", "9".repeat(1000)), 5),
        ("control character in a string",  "a eq \"\u{1}\"".into(),           6),
        ("bell between path and operator", "a\u{7}pr".into(),                 1),
        ("terminal escape",                "\u{1b}[31m pr".into(),            0),
        ("unterminated string",            "a eq \"abc".into(),               5),
        ("unterminated after \\\"",        "a eq \"abc\\\"".into(),           5),
        ("lone quote",                     "a eq \"".into(),                  5),
        ("NUL alone",                      "\0".into(),                       0),
        ("NUL after a filter",             "a pr\0".into(),                   4),
        ("NUL in a string",                "a eq \"\0\"".into(),              6),
        ("NUL in a path",                  "a\0 pr".into(),                   1),
        ("byte order mark",                "\u{feff}a pr".into(),             0),
    ];
    for (what, text, pos) in &filters {
        let Err(strict) = Filter::parse(text) else {
            panic!("{what} should not parse");
        };
        assert_eq!(
            strict.scim_type(),
            Some("invalidFilter"),
            "{what}: {strict}"
        );
        assert_eq!(strict.position(), Some(*pos), "{what}: {strict}");
        assert!(
            strict.detail().len() < 400,
            "{what}: the detail quotes only a snippet"
        );
        let mut tolerances = Tolerances::new();
        let lenient = Filter::parse_lenient(text, &mut tolerances);
        assert_eq!(
            lenient.as_ref(),
            Err(&strict),
            "{what}: lenient parsing fails alike"
        );
        let checked = filter::parse_and_check(text, &USER, &mut tolerances);
        assert_eq!(checked.as_ref(), Err(&strict), "{what}");
    }

    // The same hostile shapes in PATCH paths.
    #[rustfmt::skip]
    let paths: Vec<(&str, String, usize)> = vec![
        ("parentheses 10,000 deep in brackets", format!("emails[{}]", deep("(", "value pr", ")")), 6 + 50),
        ("brackets 10,000 deep",  "emails[".repeat(5_000),                            13),
        ("1 MB path",             format!("emails[value eq \"{}\"]", "x".repeat(MB)), limit),
        ("lone surrogate",        r#"emails[value eq "\uDC00"]"#.into(),              17),
        ("huge number",           "emails[value eq 1e400]".into(),                    16),
        ("NUL",                   "emails\0".into(),                                  6),
        ("control character",     "emails[value eq \"\u{2}\"]".into(),                17),
        ("unterminated",          "emails[value eq \"x".into(),                       16),
    ];
    for (what, text, pos) in &paths {
        let Err(error) = PatchPath::parse(text) else {
            panic!("{what} should not parse");
        };
        assert_eq!(error.scim_type(), Some("invalidPath"), "{what}: {error}");
        assert_eq!(error.position(), Some(*pos), "{what}: {error}");
        let mut tolerances = Tolerances::new();
        let lenient = PatchPath::parse_lenient(text, &mut tolerances);
        assert_eq!(lenient.as_ref(), Err(&error), "{what}");
    }
}
