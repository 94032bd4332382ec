//! Property tests for filters and PATCH paths: printing then parsing gives back the syntax tree
//! (filters and paths), the in-memory evaluator agrees with an independent oracle on generated
//! Users, and the parsers never panic on arbitrary text: they answer `Ok` or an
//! `invalidFilter`/`invalidPath` error with a position inside the text.

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Number, Value, json};
use workbench_scim::Tolerances;
use workbench_scim::filter::{self, AttrPath, CompValue, CompareOp, Filter};
use workbench_scim::path::PatchPath;
use workbench_scim::schema::USER;

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A modest number of cases keeps the suite fast; no regression files are written.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// =============================================================================================
// (a), (b): print → parse round trips over trees the parser can produce
// =============================================================================================

/// Words that are grammar keywords somewhere; excluded from generated attribute names.
const KEYWORDS: [&str; 16] = [
    "and", "or", "not", "pr", "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "true",
    "false", "null",
];

/// `ALPHA *(ALPHA / DIGIT / "-" / "_")`, not a keyword, or `$ref`.
fn attr_name() -> impl Strategy<Value = String> {
    prop_oneof![
        9 => "[A-Za-z][A-Za-z0-9_-]{0,8}"
            .prop_filter("not a keyword", |n| !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(n))),
        1 => Just("$ref".to_owned()),
    ]
}

fn urn() -> impl Strategy<Value = Option<String>> {
    prop::option::of(
        prop::sample::select(vec![CORE, ENT, "urn:example:x-1"]).prop_map(str::to_owned),
    )
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    (urn(), attr_name(), prop::option::of(attr_name())).prop_map(|(urn, name, sub)| AttrPath {
        urn,
        name,
        sub,
    })
}

/// The path before `[`: no sub-attribute.
fn attr_path_without_sub() -> impl Strategy<Value = AttrPath> {
    (urn(), attr_name()).prop_map(|(urn, name)| AttrPath {
        urn,
        name,
        sub: None,
    })
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        any::<u64>().prop_map(|n| CompValue::Number(n.into())),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(CompValue::Number),
        any::<String>().prop_map(CompValue::Str),
    ]
}

fn compare_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(CompareOp::ALL.to_vec())
}

fn attr_exp() -> BoxedStrategy<Filter> {
    prop_oneof![
        3 => (attr_path(), compare_op(), comp_value())
            .prop_map(|(path, op, value)| Filter::Compare(path, op, value)),
        1 => attr_path().prop_map(Filter::Present),
    ]
    .boxed()
}

/// Chains of two or more, `not`, over `leaf`.
fn logic(leaf: BoxedStrategy<Filter>) -> impl Strategy<Value = Filter> {
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..5).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 2..5).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

/// A valFilter: what may stand inside brackets (erratum 7322: no value path).
fn val_filter() -> BoxedStrategy<Filter> {
    logic(attr_exp()).boxed()
}

/// A whole filter: value paths anywhere outside brackets, never inside them.
fn any_filter() -> impl Strategy<Value = Filter> {
    let value_path = (attr_path_without_sub(), val_filter())
        .prop_map(|(path, inner)| Filter::ValuePath(path, Box::new(inner)));
    logic(prop_oneof![3 => attr_exp(), 1 => value_path].boxed())
}

fn any_patch_path() -> impl Strategy<Value = PatchPath> {
    prop_oneof![
        attr_path().prop_map(|attr| PatchPath {
            attr,
            filter: None,
            sub: None,
        }),
        (
            attr_path_without_sub(),
            val_filter(),
            prop::option::of(attr_name())
        )
            .prop_map(|(attr, filter, sub)| PatchPath {
                attr,
                filter: Some(filter),
                sub,
            }),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn printed_filters_parse_back(filter in any_filter()) {
        let printed = filter.to_string();
        prop_assert_eq!(Filter::parse(&printed), Ok(filter), "{}", printed);
    }

    #[test]
    fn printed_patch_paths_parse_back(path in any_patch_path()) {
        let printed = path.to_string();
        prop_assert_eq!(PatchPath::parse(&printed), Ok(path), "{}", printed);
    }
}

// =============================================================================================
// (c): the evaluator against an independent oracle, on generated Users
// =============================================================================================

/// An instant in UTC milliseconds, written with a zone offset (`None` writes `Z`).
#[derive(Debug, Clone, Copy)]
struct Instant {
    utc_millis: i64,
    offset_minutes: Option<i64>,
    /// Write `.000` even when the milliseconds are zero.
    show_millis: bool,
}

/// 2011-05-13T04:42:34Z, the RFC's instant.
const BASE_MILLIS: i64 = 1_305_261_754_000;

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn month_days(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Year, month and day of a day count since 1970-01-01, by walking the calendar (slow and
/// obviously right, unlike the library's closed-form algorithm).
fn civil(mut days: i64) -> (i64, i64, i64) {
    let mut year = 1970;
    while days >= if is_leap(year) { 366 } else { 365 } {
        days -= if is_leap(year) { 366 } else { 365 };
        year += 1;
    }
    let mut month = 1;
    while days >= month_days(year, month) {
        days -= month_days(year, month);
        month += 1;
    }
    (year, month, days + 1)
}

impl Instant {
    fn render(&self) -> String {
        let offset = self.offset_minutes.unwrap_or(0);
        let local = self.utc_millis + offset * 60_000;
        let (days, in_day) = (local.div_euclid(86_400_000), local.rem_euclid(86_400_000));
        let (year, month, day) = civil(days);
        let (secs, millis) = (in_day / 1000, in_day % 1000);
        let mut out = format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        );
        if millis != 0 || self.show_millis {
            out.push_str(&format!(".{millis:03}"));
        }
        match self.offset_minutes {
            None => out.push('Z'),
            Some(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                out.push_str(&format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60));
            }
        }
        out
    }
}

/// Instants near the RFC's, so that generated filters often hit equal instants written
/// differently.
fn instant() -> impl Strategy<Value = Instant> {
    let deltas = vec![
        -86_400_000,
        -3_600_000,
        -1_000,
        -1,
        0,
        0,
        0,
        1,
        500,
        3_600_000,
        86_400_000,
    ];
    let offsets = vec![
        None,
        None,
        Some(0),
        Some(120),
        Some(-240),
        Some(330),
        Some(-720),
        Some(840),
    ];
    (
        prop::sample::select(deltas),
        prop::sample::select(offsets),
        any::<bool>(),
    )
        .prop_map(|(delta, offset_minutes, show_millis)| Instant {
            utc_millis: BASE_MILLIS + delta,
            offset_minutes,
            show_millis,
        })
}

#[derive(Debug, Clone)]
struct Email {
    value: Option<String>,
    kind: Option<String>,
    primary: Option<bool>,
}

/// A generated User. `None` is absent; `Some(None)` is an explicit JSON null.
#[derive(Debug, Clone)]
struct User {
    id: Option<String>,
    user_name: Option<Option<String>>,
    title: Option<Option<String>>,
    active: Option<bool>,
    emails: Option<Vec<Email>>,
    last_modified: Option<Instant>,
}

static NAMES: [&str; 9] = [
    "bjensen", "BJensen", "BJENSEN", "jensen", "b", "", "Émile", "émile", "zed",
];
static NAME_OPERANDS: [&str; 11] = [
    "bjensen", "BJENSEN", "jen", "J", "b", "", "émile", "É", "zed", "Z", "x",
];
static IDS: [&str; 4] = ["abc", "ABC", "aBc", "xyz"];
static ID_OPERANDS: [&str; 6] = ["abc", "ABC", "a", "B", "c", "xyz"];
static ADDRESSES: [&str; 5] = [
    "a@example.com",
    "A@Example.COM",
    "b@example.org",
    "",
    "c@x.io",
];
static TYPES: [&str; 5] = ["work", "Work", "home", "other", ""];
static EMAIL_OPERANDS: [&str; 10] = [
    "a@example.com",
    "example",
    "EXAMPLE.COM",
    "@",
    "work",
    "home",
    "WORK",
    "o",
    "",
    ".io",
];

fn pick(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(words).prop_map(str::to_owned)
}

fn maybe_null(words: &'static [&'static str]) -> impl Strategy<Value = Option<Option<String>>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(None)),
        6 => pick(words).prop_map(|w| Some(Some(w))),
    ]
}

fn email() -> impl Strategy<Value = Email> {
    (
        prop::option::of(pick(&ADDRESSES)),
        prop::option::of(pick(&TYPES)),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(value, kind, primary)| Email {
            value,
            kind,
            primary,
        })
}

fn user() -> impl Strategy<Value = User> {
    (
        prop::option::of(pick(&IDS)),
        maybe_null(&NAMES),
        maybe_null(&NAMES),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::collection::vec(email(), 0..4)),
        prop::option::of(instant()),
    )
        .prop_map(
            |(id, user_name, title, active, emails, last_modified)| User {
                id,
                user_name,
                title,
                active,
                emails,
                last_modified,
            },
        )
}

impl User {
    /// The canonical JSON object the evaluator reads.
    fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        if let Some(id) = &self.id {
            out.insert("id".into(), json!(id));
        }
        for (key, field) in [("userName", &self.user_name), ("title", &self.title)] {
            if let Some(value) = field {
                out.insert(key.into(), json!(value));
            }
        }
        if let Some(active) = self.active {
            out.insert("active".into(), json!(active));
        }
        if let Some(emails) = &self.emails {
            let items = emails.iter().map(|e| {
                let mut item = Map::new();
                if let Some(v) = &e.value {
                    item.insert("value".into(), json!(v));
                }
                if let Some(t) = &e.kind {
                    item.insert("type".into(), json!(t));
                }
                if let Some(p) = e.primary {
                    item.insert("primary".into(), json!(p));
                }
                Value::Object(item)
            });
            out.insert("emails".into(), Value::Array(items.collect()));
        }
        if let Some(at) = &self.last_modified {
            out.insert("meta".into(), json!({ "lastModified": at.render() }));
        }
        out
    }
}

/// A value the oracle compares.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Bool(bool),
    Millis(i64),
}

/// A filterable attribute of the generated Users, with its type and case rule.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Attr {
    UserName,
    Title,
    Id,
    Active,
    LastModified,
    /// `emails`, meaning `emails.value` in comparisons.
    Emails,
    EmailsValue,
    EmailsType,
    EmailsPrimary,
}

/// A sub-attribute inside `emails[...]`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sub {
    Value,
    Type,
    Primary,
}

impl Attr {
    fn text(self) -> &'static str {
        match self {
            Attr::UserName => "userName",
            Attr::Title => "title",
            Attr::Id => "id",
            Attr::Active => "active",
            Attr::LastModified => "meta.lastModified",
            Attr::Emails => "emails",
            Attr::EmailsValue => "emails.value",
            Attr::EmailsType => "emails.type",
            Attr::EmailsPrimary => "emails.primary",
        }
    }

    /// The attribute's non-null values in `user`.
    fn values(self, user: &User) -> Vec<Val> {
        let text = |field: &Option<Option<String>>| {
            field.clone().flatten().map(Val::Str).into_iter().collect()
        };
        let emails = user.emails.iter().flatten();
        match self {
            Attr::UserName => text(&user.user_name),
            Attr::Title => text(&user.title),
            Attr::Id => user.id.clone().map(Val::Str).into_iter().collect(),
            Attr::Active => user.active.map(Val::Bool).into_iter().collect(),
            Attr::LastModified => user
                .last_modified
                .map(|at| Val::Millis(at.utc_millis))
                .into_iter()
                .collect(),
            Attr::Emails | Attr::EmailsValue => emails.flat_map(|e| Sub::Value.values(e)).collect(),
            Attr::EmailsType => emails.flat_map(|e| Sub::Type.values(e)).collect(),
            Attr::EmailsPrimary => emails.flat_map(|e| Sub::Primary.values(e)).collect(),
        }
    }

    fn case_exact(self) -> bool {
        self == Attr::Id
    }
}

impl Sub {
    fn text(self) -> &'static str {
        match self {
            Sub::Value => "value",
            Sub::Type => "type",
            Sub::Primary => "primary",
        }
    }

    fn values(self, email: &Email) -> Vec<Val> {
        match self {
            Sub::Value => email.value.clone().map(Val::Str).into_iter().collect(),
            Sub::Type => email.kind.clone().map(Val::Str).into_iter().collect(),
            Sub::Primary => email.primary.map(Val::Bool).into_iter().collect(),
        }
    }
}

/// A literal of the oracle's filters; `None` in a condition is `null`.
#[derive(Debug, Clone)]
enum Lit {
    Str(String),
    Bool(bool),
    At(Instant),
}

impl Lit {
    fn render(&self) -> String {
        match self {
            Lit::Str(s) => format!("\"{s}\""),
            Lit::Bool(b) => b.to_string(),
            Lit::At(at) => format!("\"{}\"", at.render()),
        }
    }
}

/// The oracle's filter: a comparison on values, presence, logic, or `emails[...]`.
#[derive(Debug, Clone)]
enum Cond<A> {
    Compare(A, CompareOp, Option<Lit>),
    Present(A),
    And(Vec<Cond<A>>),
    Or(Vec<Cond<A>>),
    Not(Box<Cond<A>>),
    /// Only at the top level (`A = Attr`): `emails[inner]`.
    Emails(Box<Cond<Sub>>),
}

/// Whether `value` is a value for `pr` and `ne null`: not `""`.
fn is_present(value: &Val) -> bool {
    !matches!(value, Val::Str(s) if s.is_empty())
}

/// `value op literal` for one value, by the oracle's reading of RFC 7644 §3.4.2.2.
fn holds(value: &Val, op: CompareOp, literal: &Lit, case_exact: bool) -> bool {
    use std::cmp::Ordering;
    let ordering = match (value, literal) {
        (Val::Str(have), Lit::Str(want)) => {
            let (have, want) = if case_exact {
                (have.clone(), want.clone())
            } else {
                (have.to_lowercase(), want.to_lowercase())
            };
            match op {
                CompareOp::Co => return have.contains(&want),
                CompareOp::Sw => return have.starts_with(&want),
                CompareOp::Ew => return have.ends_with(&want),
                _ => have.cmp(&want),
            }
        }
        (Val::Bool(have), Lit::Bool(want)) => have.cmp(want),
        (Val::Millis(have), Lit::At(want)) => have.cmp(&want.utc_millis),
        _ => return false,
    };
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Ne | CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// A comparison over all values of an attribute: any value matches; `ne` is "no value
/// equals"; `eq null` is "no present value", `ne null` "some present value".
fn compare(values: &[Val], op: CompareOp, literal: Option<&Lit>, case_exact: bool) -> bool {
    match (op, literal) {
        (CompareOp::Eq, None) => !values.iter().any(is_present),
        (CompareOp::Ne, None) => values.iter().any(is_present),
        (CompareOp::Ne, Some(lit)) => !values
            .iter()
            .any(|v| holds(v, CompareOp::Eq, lit, case_exact)),
        (_, None) => false,
        (_, Some(lit)) => values.iter().any(|v| holds(v, op, lit, case_exact)),
    }
}

fn email_is_present(email: &Email) -> bool {
    email.value.as_deref().is_some_and(|v| !v.is_empty())
        || email.kind.as_deref().is_some_and(|t| !t.is_empty())
        || email.primary.is_some()
}

impl Cond<Attr> {
    fn eval(&self, user: &User) -> bool {
        match self {
            Cond::Compare(attr, op, lit) => {
                compare(&attr.values(user), *op, lit.as_ref(), attr.case_exact())
            }
            // `emails pr`: some item has some present sub-attribute.
            Cond::Present(Attr::Emails) => user.emails.iter().flatten().any(email_is_present),
            Cond::Present(attr) => attr.values(user).iter().any(is_present),
            Cond::And(items) => items.iter().all(|c| c.eval(user)),
            Cond::Or(items) => items.iter().any(|c| c.eval(user)),
            Cond::Not(inner) => !inner.eval(user),
            Cond::Emails(inner) => user.emails.iter().flatten().any(|e| inner.eval(e)),
        }
    }
}

impl Cond<Sub> {
    fn eval(&self, email: &Email) -> bool {
        match self {
            Cond::Compare(sub, op, lit) => compare(&sub.values(email), *op, lit.as_ref(), false),
            Cond::Present(sub) => sub.values(email).iter().any(is_present),
            Cond::And(items) => items.iter().all(|c| c.eval(email)),
            Cond::Or(items) => items.iter().any(|c| c.eval(email)),
            Cond::Not(inner) => !inner.eval(email),
            Cond::Emails(_) => unreachable!("no value path inside brackets"),
        }
    }
}

trait AttrText: Copy {
    fn attr_text(self) -> &'static str;
}

impl AttrText for Attr {
    fn attr_text(self) -> &'static str {
        self.text()
    }
}

impl AttrText for Sub {
    fn attr_text(self) -> &'static str {
        self.text()
    }
}

impl<A: AttrText> Cond<A> {
    /// The filter text, every group parenthesised.
    fn render(&self) -> String {
        let join = |items: &[Cond<A>], word: &str| {
            let parts: Vec<String> = items.iter().map(|c| format!("({})", c.render())).collect();
            parts.join(word)
        };
        match self {
            Cond::Compare(attr, op, lit) => {
                let lit = lit.as_ref().map_or_else(|| "null".to_owned(), Lit::render);
                format!("{} {} {lit}", attr.attr_text(), op.as_str())
            }
            Cond::Present(attr) => format!("{} pr", attr.attr_text()),
            Cond::And(items) => join(items, " and "),
            Cond::Or(items) => join(items, " or "),
            Cond::Not(inner) => format!("not ({})", inner.render()),
            Cond::Emails(inner) => format!("emails[{}]", inner.render()),
        }
    }
}

const ORDERINGS: [CompareOp; 6] = [
    CompareOp::Eq,
    CompareOp::Ne,
    CompareOp::Gt,
    CompareOp::Ge,
    CompareOp::Lt,
    CompareOp::Le,
];

/// `null` only with `eq`/`ne`, which the schema check requires.
fn with_null(op: CompareOp, lit: Option<Lit>) -> (CompareOp, Option<Lit>) {
    match (op, lit) {
        (CompareOp::Eq | CompareOp::Ne, None) => (op, None),
        (_, None) => (CompareOp::Eq, None),
        (op, lit) => (op, lit),
    }
}

fn string_compare<A: Clone + std::fmt::Debug + 'static>(
    attrs: Vec<(A, &'static [&'static str])>,
) -> impl Strategy<Value = Cond<A>> {
    prop::sample::select(attrs).prop_flat_map(|(attr, operands)| {
        (
            compare_op(),
            prop::option::weighted(0.9, pick(operands).prop_map(Lit::Str)),
        )
            .prop_map(move |(op, lit)| {
                let (op, lit) = with_null(op, lit);
                Cond::Compare(attr.clone(), op, lit)
            })
    })
}

fn bool_compare<A: Clone + std::fmt::Debug + 'static>(attr: A) -> impl Strategy<Value = Cond<A>> {
    (
        prop::sample::select(vec![CompareOp::Eq, CompareOp::Ne]),
        prop::option::weighted(0.9, any::<bool>().prop_map(Lit::Bool)),
    )
        .prop_map(move |(op, lit)| Cond::Compare(attr.clone(), op, lit))
}

fn date_compare() -> impl Strategy<Value = Cond<Attr>> {
    (
        prop::sample::select(ORDERINGS.to_vec()),
        prop::option::weighted(0.9, instant().prop_map(Lit::At)),
    )
        .prop_map(|(op, lit)| {
            let (op, lit) = with_null(op, lit);
            Cond::Compare(Attr::LastModified, op, lit)
        })
}

fn tree<A: Clone + std::fmt::Debug + 'static>(
    leaf: BoxedStrategy<Cond<A>>,
) -> impl Strategy<Value = Cond<A>> {
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Cond::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Cond::Or),
            inner.prop_map(|c| Cond::Not(Box::new(c))),
        ]
    })
}

fn email_cond() -> impl Strategy<Value = Cond<Sub>> {
    let subs = vec![Sub::Value, Sub::Type, Sub::Primary];
    let leaf = prop_oneof![
        4 => string_compare(vec![
            (Sub::Value, &EMAIL_OPERANDS[..]),
            (Sub::Type, &EMAIL_OPERANDS[..]),
        ]),
        1 => bool_compare(Sub::Primary),
        1 => prop::sample::select(subs).prop_map(Cond::Present),
    ];
    tree(leaf.boxed())
}

fn user_cond() -> impl Strategy<Value = Cond<Attr>> {
    let leaf = prop_oneof![
        6 => string_compare(vec![
            (Attr::UserName, &NAME_OPERANDS[..]),
            (Attr::Title, &NAME_OPERANDS[..]),
            (Attr::Id, &ID_OPERANDS[..]),
            (Attr::Emails, &EMAIL_OPERANDS[..]),
            (Attr::EmailsValue, &EMAIL_OPERANDS[..]),
            (Attr::EmailsType, &EMAIL_OPERANDS[..]),
        ]),
        1 => bool_compare(Attr::Active),
        1 => bool_compare(Attr::EmailsPrimary),
        2 => date_compare(),
        2 => prop::sample::select(vec![
            Attr::UserName,
            Attr::Title,
            Attr::Id,
            Attr::Active,
            Attr::LastModified,
            Attr::Emails,
            Attr::EmailsValue,
            Attr::EmailsType,
            Attr::EmailsPrimary,
        ])
        .prop_map(Cond::Present),
        2 => email_cond().prop_map(|c| Cond::Emails(Box::new(c))),
    ];
    tree(leaf.boxed())
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn evaluator_agrees_with_the_oracle(
        user in user(),
        conds in prop::collection::vec(user_cond(), 1..6),
    ) {
        let resource = user.to_json();
        for cond in conds {
            let text = cond.render();
            let parsed = Filter::parse(&text);
            prop_assert!(parsed.is_ok(), "{}: {:?}", text, parsed);
            let mut tolerances = Tolerances::new();
            let expr = filter::check(&parsed?, &USER, &mut tolerances);
            prop_assert!(expr.is_ok(), "{}: {:?}", text, expr);
            prop_assert!(tolerances.is_empty(), "{}: {:?}", text, tolerances.applied());
            prop_assert_eq!(
                expr?.matches(&resource),
                cond.eval(&user),
                "{} on {}",
                text,
                Value::Object(resource.clone())
            );
        }
    }
}

/// The oracle's own date arithmetic, pinned to known instants.
#[test]
fn oracle_dates_render_known_instants() {
    let at = |delta: i64, offset: Option<i64>| Instant {
        utc_millis: BASE_MILLIS + delta,
        offset_minutes: offset,
        show_millis: false,
    };
    assert_eq!(at(0, None).render(), "2011-05-13T04:42:34Z");
    assert_eq!(at(0, Some(120)).render(), "2011-05-13T06:42:34+02:00");
    assert_eq!(at(0, Some(-720)).render(), "2011-05-12T16:42:34-12:00");
    assert_eq!(at(500, Some(330)).render(), "2011-05-13T10:12:34.500+05:30");
    assert_eq!(
        at(86_400_000, Some(840)).render(),
        "2011-05-14T18:42:34+14:00"
    );
    assert_eq!(civil(0), (1970, 1, 1));
    assert_eq!(civil(11_016), (2000, 2, 29));
}

// =============================================================================================
// (d): the parsers never panic; errors are typed and positioned inside the text
// =============================================================================================

const TOKENS: [&str; 62] = [
    "(",
    ")",
    "[",
    "]",
    " ",
    "  ",
    "\t",
    "\n",
    "not",
    "not ",
    "and",
    " and ",
    "or",
    " or ",
    "pr",
    " pr",
    "eq",
    " eq ",
    "ne",
    " co ",
    " sw ",
    " gt ",
    "le",
    "\"",
    "\"x\"",
    "\"\\u",
    "\\",
    "\\u",
    "D800",
    "DC00",
    "0041",
    "\"\\uD83D\\uDE00\"",
    "emails",
    "userName",
    "name",
    ".",
    ":",
    "urn:ietf:params:scim:schemas:core:2.0:User:",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
    "$ref",
    "value",
    "type",
    "1",
    "-",
    "0",
    "1.5",
    "e",
    "E+",
    "1e400",
    "123456789012345678901234567890",
    "true",
    "FALSE",
    "null",
    "\0",
    "\u{1}",
    "é",
    "😀",
    ",",
    "'",
    "=",
    "meta.lastModified",
    "\"2011-05-13T04:42:34Z\"",
];

/// Text built from filter-ish tokens: mostly invalid, often nearly valid.
fn filterish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS.to_vec()), 0..24).prop_map(|t| t.concat())
}

/// A user to evaluate accepted filters against.
fn sample_user() -> Map<String, Value> {
    match json!({
        "id": "2819c223",
        "userName": "bjensen",
        "name": { "familyName": "Jensen" },
        "emails": [{ "value": "bjensen@example.com", "type": "work", "primary": true }],
        "meta": { "lastModified": "2011-05-13T04:42:34Z" },
        ENT: { "employeeNumber": "701984" }
    }) {
        Value::Object(map) => map,
        _ => unreachable!("an object literal"),
    }
}

fn assert_positioned(
    text: &str,
    error: &workbench_scim::ScimError,
    scim_type: &str,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(error.scim_type(), Some(scim_type), "{:?}: {}", text, error);
    let pos = error.position();
    prop_assert!(
        pos.is_some_and(|p| p <= text.len() && text.is_char_boundary(p)),
        "{:?}: position {:?}",
        text,
        pos
    );
    Ok(())
}

fn filter_is_total(text: &str) -> Result<(), TestCaseError> {
    match Filter::parse(text) {
        Ok(parsed) => {
            let printed = parsed.to_string();
            prop_assert_eq!(Filter::parse(&printed), Ok(parsed.clone()), "{:?}", text);
            let mut tolerances = Tolerances::new();
            match filter::check(&parsed, &USER, &mut tolerances) {
                Ok(expr) => {
                    expr.matches(&sample_user());
                }
                Err(error) => {
                    prop_assert_eq!(error.scim_type(), Some("invalidFilter"), "{}", error)
                }
            }
        }
        Err(error) => assert_positioned(text, &error, "invalidFilter")?,
    }
    let mut tolerances = Tolerances::new();
    match Filter::parse_lenient(text, &mut tolerances) {
        // Whatever the lenient parser reads, it prints as a strict filter.
        Ok(parsed) => prop_assert_eq!(Filter::parse(&parsed.to_string()), Ok(parsed)),
        Err(error) => assert_positioned(text, &error, "invalidFilter")?,
    }
    Ok(())
}

fn path_is_total(text: &str) -> Result<(), TestCaseError> {
    match PatchPath::parse(text) {
        Ok(parsed) => prop_assert_eq!(PatchPath::parse(&parsed.to_string()), Ok(parsed)),
        Err(error) => assert_positioned(text, &error, "invalidPath")?,
    }
    let mut tolerances = Tolerances::new();
    if let Err(error) = workbench_scim::path::resolve_text(text, &USER, &mut tolerances) {
        prop_assert_eq!(
            error.scim_type(),
            Some("invalidPath"),
            "{:?}: {}",
            text,
            error
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn parsers_are_total_on_arbitrary_text(text in any::<String>()) {
        filter_is_total(&text)?;
        path_is_total(&text)?;
    }

    #[test]
    fn parsers_are_total_on_filterish_text(text in filterish()) {
        filter_is_total(&text)?;
        path_is_total(&text)?;
    }

    #[test]
    fn parsers_are_total_on_mutated_filters(
        filter in any_filter(),
        cut in any::<prop::sample::Index>(),
        insert in prop::sample::select(TOKENS.to_vec()),
    ) {
        // A valid filter with one token spliced in at a character boundary.
        let mut text = filter.to_string();
        let boundaries: Vec<usize> =
            (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        text.insert_str(boundaries[cut.index(boundaries.len())], insert);
        filter_is_total(&text)?;
        path_is_total(&text)?;
    }
}
