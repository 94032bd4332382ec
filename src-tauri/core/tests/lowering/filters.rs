//! Generated filters over the population: every comparison operator against each filterable
//! attribute, `pr`, `eq null`/`ne null`, value paths, and `and`/`or`/`not` nesting, with
//! operands taken from the data (as stored, in other cases, cut to prefixes, suffixes and
//! middles) or absent from it. Each filter knows whether SQL should express it exactly.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Union};
use serde_json::{Map, Value};
use workbench_scim::datetime::DateTime;

use super::population::{ENTERPRISE, Known};

/// A filter's text, and whether the lowering is expected to be exact for it.
#[derive(Debug, Clone)]
pub struct Generated {
    pub text: String,
    pub exact: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Bool,
    Date,
    /// Complex: only `pr` and `eq null`/`ne null`.
    Complex,
}

/// One attribute path that filters may name.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub path: String,
    pub kind: Kind,
    /// Whether SQL expresses comparisons on it (store::lower's module doc).
    pub exact: bool,
    /// Values present in the data: strings, or milliseconds for dates.
    pub pool: Vec<String>,
}

impl Leaf {
    fn new(resources: &[Known], path: &str, kind: Kind, exact: bool) -> Leaf {
        let mut pool: Vec<String> = match kind {
            Kind::Date => resources
                .iter()
                .flat_map(|r| strings_at(&r.json, path))
                .filter_map(|s| DateTime::parse(&s))
                .map(|d| (d.secs * 1000 + i64::from(d.nanos / 1_000_000)).to_string())
                .collect(),
            _ => resources
                .iter()
                .flat_map(|r| strings_at(&r.json, path))
                .collect(),
        };
        pool.sort();
        pool.dedup();
        if pool.is_empty() {
            pool.push("absent".into());
        }
        Leaf {
            path: path.to_owned(),
            kind,
            exact,
            pool,
        }
    }

    /// `path op operand`, `path pr`, `path eq null` or `path ne null`.
    fn strategy(&self) -> BoxedStrategy<Generated> {
        let path = self.path.clone();
        let exact = self.exact;
        let special = select(self.specials().to_vec()).prop_map({
            let path = path.clone();
            move |tail| Generated {
                text: format!("{path} {tail}"),
                exact,
            }
        });
        let ops: Vec<&'static str> = match self.kind {
            Kind::Str => vec!["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"],
            Kind::Bool => vec!["eq", "ne"],
            Kind::Date => vec!["eq", "ne", "gt", "ge", "lt", "le"],
            Kind::Complex => return special.boxed(),
        };
        let operand = match self.kind {
            Kind::Str => string_operand(self.pool.clone()),
            Kind::Bool => select(vec!["true", "false", "\"True\""])
                .prop_map(str::to_owned)
                .boxed(),
            _ => date_operand(self.pool.clone()),
        };
        let compare = (select(ops), operand).prop_map(move |(op, operand)| Generated {
            text: format!("{path} {op} {operand}"),
            exact,
        });
        prop_oneof![4 => compare, 1 => special].boxed()
    }

    /// A handful of operands for the operator table: a value as stored, one in another case,
    /// a prefix, a suffix, the empty string and a value nobody has (strings); a time in the
    /// data in several spellings and just beside it (dates).
    pub fn sample_operands(&self) -> Vec<String> {
        let (first, middle, last) = (0, self.pool.len() / 2, self.pool.len() - 1);
        match self.kind {
            Kind::Str => [
                (first, 0),
                (middle, 2),
                (first, 4),
                (last, 5),
                (0, 7),
                (0, 8),
            ]
            .into_iter()
            .map(|(i, t)| quote(&transform(&self.pool[i], t, 2)))
            .collect(),
            Kind::Bool => vec!["true".into(), "false".into()],
            Kind::Date => [
                (first, 0, 0),
                (middle, 0, 2),
                (middle, -1, 0),
                (middle, 1, 3),
            ]
            .into_iter()
            .chain([(last, 0, 1), (last, 1000, 4)])
            .filter_map(|(i, delta, form)| {
                let ms: i64 = self.pool[i].parse().ok()?;
                Some(stamp(ms + delta, form))
            })
            .collect(),
            Kind::Complex => Vec::new(),
        }
    }

    /// What follows the path when no value is compared.
    pub fn specials(&self) -> &'static [&'static str] {
        match self.kind {
            // `name eq null` is refused: a complex attribute without `value` takes only `pr`.
            Kind::Complex => &["pr"],
            _ => &["pr", "eq null", "ne null"],
        }
    }

    pub fn operators(&self) -> &'static [&'static str] {
        match self.kind {
            Kind::Str => &["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"],
            Kind::Bool => &["eq", "ne"],
            Kind::Date => &["eq", "ne", "gt", "ge", "lt", "le"],
            Kind::Complex => &[],
        }
    }
}

/// `parent[inner]` with `inner` over the parent's sub-attributes.
#[derive(Debug, Clone)]
pub struct ValuePath {
    pub parent: String,
    pub subs: Vec<Leaf>,
}

/// What filters may say about one resource type.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub leaves: Vec<Leaf>,
    pub value_paths: Vec<ValuePath>,
}

impl Catalog {
    pub fn users(users: &[Known]) -> Catalog {
        let ext = |name: &str| format!("{ENTERPRISE}:{name}");
        let leaf = |path: &str, kind, exact| Leaf::new(users, path, kind, exact);
        let element = |parent: &str, sub: &str, kind, exact| {
            let mut leaf = Leaf::new(users, &format!("{parent}.{sub}"), kind, exact);
            leaf.path = sub.to_owned();
            leaf
        };
        Catalog {
            leaves: vec![
                leaf("userName", Kind::Str, true),
                leaf("displayName", Kind::Str, true),
                leaf("title", Kind::Str, true),
                leaf("nickName", Kind::Str, true),
                leaf("externalId", Kind::Str, true),
                leaf("id", Kind::Str, true),
                leaf("active", Kind::Bool, true),
                leaf("emails", Kind::Str, true),
                leaf("emails.value", Kind::Str, true),
                leaf("emails.type", Kind::Str, true),
                leaf("emails.primary", Kind::Bool, true),
                leaf("emails.display", Kind::Str, true),
                leaf("phoneNumbers.type", Kind::Str, true),
                leaf("name", Kind::Complex, true),
                leaf("name.familyName", Kind::Str, true),
                leaf("name.givenName", Kind::Str, true),
                leaf(&ext("department"), Kind::Str, true),
                leaf(&ext("employeeNumber"), Kind::Str, true),
                leaf(&ext("manager"), Kind::Complex, true),
                leaf(&ext("manager.value"), Kind::Str, true),
                leaf("meta.created", Kind::Date, true),
                leaf("meta.lastModified", Kind::Date, true),
                leaf("groups", Kind::Str, true),
                leaf("groups.value", Kind::Str, true),
                leaf("groups.display", Kind::Str, true),
                leaf("groups.type", Kind::Str, false),
                leaf("meta.location", Kind::Str, false),
                leaf("schemas", Kind::Str, false),
            ],
            value_paths: vec![
                ValuePath {
                    parent: "emails".into(),
                    subs: vec![
                        element("emails", "value", Kind::Str, true),
                        element("emails", "type", Kind::Str, true),
                        element("emails", "primary", Kind::Bool, true),
                        element("emails", "display", Kind::Str, true),
                    ],
                },
                ValuePath {
                    parent: "phoneNumbers".into(),
                    subs: vec![
                        element("phoneNumbers", "value", Kind::Str, true),
                        element("phoneNumbers", "type", Kind::Str, true),
                    ],
                },
                ValuePath {
                    parent: "name".into(),
                    subs: vec![
                        element("name", "familyName", Kind::Str, true),
                        element("name", "givenName", Kind::Str, true),
                    ],
                },
                ValuePath {
                    parent: "groups".into(),
                    subs: vec![
                        element("groups", "value", Kind::Str, true),
                        element("groups", "display", Kind::Str, true),
                        element("groups", "type", Kind::Str, false),
                    ],
                },
                ValuePath {
                    parent: ext("manager"),
                    subs: vec![element(&ext("manager"), "value", Kind::Str, true)],
                },
            ],
        }
    }

    pub fn groups(groups: &[Known]) -> Catalog {
        let leaf = |path: &str, kind, exact| Leaf::new(groups, path, kind, exact);
        let element = |sub: &str, kind, exact| {
            let mut leaf = Leaf::new(groups, &format!("members.{sub}"), kind, exact);
            leaf.path = sub.to_owned();
            leaf
        };
        Catalog {
            leaves: vec![
                leaf("displayName", Kind::Str, true),
                leaf("externalId", Kind::Str, true),
                leaf("id", Kind::Str, true),
                leaf("members", Kind::Str, true),
                leaf("members.value", Kind::Str, true),
                leaf("members.type", Kind::Str, true),
                leaf("members.display", Kind::Str, false),
                leaf("meta.created", Kind::Date, true),
                leaf("meta.lastModified", Kind::Date, true),
                leaf("meta.location", Kind::Str, false),
            ],
            value_paths: vec![ValuePath {
                parent: "members".into(),
                subs: vec![
                    element("value", Kind::Str, true),
                    element("type", Kind::Str, true),
                    element("display", Kind::Str, false),
                ],
            }],
        }
    }

    /// Filters nested up to three levels of `and`/`or`/`not`.
    pub fn strategy(&self) -> BoxedStrategy<Generated> {
        let mut arms: Vec<BoxedStrategy<Generated>> =
            self.leaves.iter().map(Leaf::strategy).collect();
        for vp in &self.value_paths {
            let parent = vp.parent.clone();
            let inner = nest(Union::new(vp.subs.iter().map(Leaf::strategy)).boxed(), 2);
            arms.push(
                inner
                    .prop_map(move |g| Generated {
                        text: format!("{parent}[{}]", g.text),
                        exact: g.exact,
                    })
                    .boxed(),
            );
        }
        nest(Union::new(arms).boxed(), 3)
    }
}

fn nest(leaf: BoxedStrategy<Generated>, depth: u32) -> BoxedStrategy<Generated> {
    leaf.prop_recursive(depth, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Generated {
                text: format!("({} and {})", a.text, b.text),
                exact: a.exact && b.exact,
            }),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Generated {
                text: format!("({} or {})", a.text, b.text),
                exact: a.exact && b.exact,
            }),
            inner.prop_map(|a| Generated {
                text: format!("not ({})", a.text),
                exact: a.exact,
            }),
        ]
    })
    .boxed()
}

/// Strings at `path` (`[urn:]attr[.sub]`) of a rendered resource: the values of a
/// multi-valued attribute's items (their `value` when no sub-attribute is named).
pub fn strings_at(json: &Map<String, Value>, path: &str) -> Vec<String> {
    values_at(json, path)
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// The values at `path`, one per item of a multi-valued attribute.
pub fn values_at<'v>(json: &'v Map<String, Value>, path: &str) -> Vec<&'v Value> {
    let (items, sub) = items_at(json, path);
    items
        .into_iter()
        .filter_map(|item| leaf_of(item, sub))
        .collect()
}

/// The attribute's values at `path` (`[urn:]attr[.sub]`): each item of a multi-valued
/// attribute, or the single value; and the sub-attribute named, if any.
pub fn items_at<'v, 'p>(
    json: &'v Map<String, Value>,
    path: &'p str,
) -> (Vec<&'v Value>, Option<&'p str>) {
    let (object, rest) = match path.strip_prefix(ENTERPRISE) {
        Some(rest) => (
            json.get(ENTERPRISE).and_then(Value::as_object),
            rest.trim_start_matches(':'),
        ),
        None => (Some(json), path),
    };
    let (attr, sub) = match rest.split_once('.') {
        Some((attr, sub)) => (attr, Some(sub)),
        None => (rest, None),
    };
    let items = match object.and_then(|o| o.get(attr)) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    (items, sub)
}

/// The compared value of one item: its `sub`, or its `value` when it is complex.
pub fn leaf_of<'v>(item: &'v Value, sub: Option<&str>) -> Option<&'v Value> {
    match (item, sub) {
        (Value::Object(o), Some(sub)) => o.get(sub),
        (Value::Object(o), None) => o.get("value"),
        (other, None) => Some(other),
        _ => None,
    }
}

/// A string operand: a present value as is, in other cases, cut, emptied, or absent.
fn string_operand(pool: Vec<String>) -> BoxedStrategy<String> {
    (select(pool), 0u8..10, 1usize..5)
        .prop_map(|(value, t, k)| quote(&transform(&value, t, k)))
        .boxed()
}

fn transform(value: &str, t: u8, k: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    match t {
        0 | 1 => value.to_owned(),
        2 => value.to_uppercase(),
        3 => value.to_lowercase(),
        4 => chars.iter().take(k).collect(),
        5 => chars[chars.len().saturating_sub(k)..].iter().collect(),
        6 => chars.iter().skip(1).take(k).collect(),
        7 => String::new(),
        8 => "nobody-has-this".into(),
        _ => {
            let mut out: String = chars.first().map_or(String::new(), |c| {
                if c.is_uppercase() {
                    c.to_lowercase().collect()
                } else {
                    c.to_uppercase().collect()
                }
            });
            out.extend(chars.iter().skip(1));
            out
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A date operand near a time in the data, in the forms clients write.
fn date_operand(pool: Vec<String>) -> BoxedStrategy<String> {
    let deltas = vec![0i64, 0, -1, 1, -1000, 1000, -86_400_000];
    (select(pool), select(deltas), 0u8..5)
        .prop_map(|(ms, delta, form)| stamp(ms.parse::<i64>().unwrap_or(0) + delta, form))
        .boxed()
}

/// `ms` as a quoted xsd:dateTime: with milliseconds, whole seconds (truncated), a `+01:00`
/// offset, sub-millisecond digits, or no zone.
fn stamp(ms: i64, form: u8) -> String {
    let whole = |ms: i64| {
        let text = DateTime::from_unix(ms.div_euclid(1000), 0).to_rfc3339();
        (text.trim_end_matches('Z').to_owned(), ms.rem_euclid(1000))
    };
    let (base, millis) = whole(ms);
    let text = match form {
        0 => format!("{base}.{millis:03}Z"),
        1 => format!("{base}Z"),
        2 => {
            let (base, millis) = whole(ms + 3_600_000);
            format!("{base}.{millis:03}+01:00")
        }
        3 => format!("{base}.{millis:03}456Z"),
        _ => format!("{base}.{millis:03}"),
    };
    quote(&text)
}
