//! The sort order RFC 7644 §3.4.2.3 asks for, computed from rendered resources: a multi-valued
//! attribute sorts by its primary value, else its first; case-insensitive strings compare
//! folded (code point order, no locale); resources with no data sort last ascending and first
//! descending. "No data" is what the evaluator calls not present (`pr` false: absent, null or
//! `""`), so the resources `sortBy=x` puts last are exactly those `x eq null` finds. Ties keep
//! creation order, so the order is total and the same on every request.

use std::cmp::Ordering;

use serde_json::{Map, Value};
use workbench_scim::compare::fold_case;
use workbench_scim::datetime::DateTime;

use super::filters::{items_at, leaf_of};
use super::population::{ENTERPRISE, Known};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKind {
    Text { case_exact: bool },
    Bool,
    Time,
}

/// A `sortBy` value and how its values compare.
#[derive(Debug, Clone)]
pub struct SortSpec {
    pub path: String,
    pub kind: SortKind,
}

impl SortSpec {
    fn new(path: &str, kind: SortKind) -> SortSpec {
        SortSpec {
            path: path.to_owned(),
            kind,
        }
    }

    pub fn users() -> Vec<SortSpec> {
        let ci = SortKind::Text { case_exact: false };
        let ce = SortKind::Text { case_exact: true };
        vec![
            SortSpec::new("userName", ci),
            SortSpec::new("displayName", ci),
            SortSpec::new("emails", ci),
            SortSpec::new("emails.value", ci),
            SortSpec::new("emails.type", ci),
            SortSpec::new("phoneNumbers", ci),
            SortSpec::new("name.familyName", ci),
            SortSpec::new("title", ci),
            SortSpec::new("externalId", ce),
            SortSpec::new("id", ce),
            SortSpec::new("active", SortKind::Bool),
            SortSpec::new("meta.created", SortKind::Time),
            SortSpec::new("meta.lastModified", SortKind::Time),
            SortSpec::new(&format!("{ENTERPRISE}:department"), ci),
            SortSpec::new(&format!("{ENTERPRISE}:manager.value"), ce),
        ]
    }

    pub fn groups() -> Vec<SortSpec> {
        let ci = SortKind::Text { case_exact: false };
        let ce = SortKind::Text { case_exact: true };
        vec![
            SortSpec::new("displayName", ci),
            SortSpec::new("externalId", ce),
            SortSpec::new("id", ce),
            SortSpec::new("meta.created", SortKind::Time),
            SortSpec::new("meta.lastModified", SortKind::Time),
        ]
    }

    /// The value `json` sorts by; `None` when it has no data.
    fn key(&self, json: &Map<String, Value>) -> Option<Key> {
        let (items, sub) = items_at(json, &self.path);
        let item = items
            .iter()
            .find(|i| i.get("primary") == Some(&Value::Bool(true)))
            .or(items.first())?;
        match (self.kind, leaf_of(item, sub)?) {
            (SortKind::Text { .. }, Value::String(s)) if s.is_empty() => None,
            (SortKind::Text { case_exact: true }, Value::String(s)) => Some(Key::Text(s.clone())),
            (SortKind::Text { case_exact: false }, Value::String(s)) => {
                Some(Key::Text(fold_case(s).into_owned()))
            }
            (SortKind::Bool, Value::Bool(b)) => Some(Key::Bool(*b)),
            (SortKind::Time, Value::String(s)) => DateTime::parse(s).map(Key::Time),
            _ => None,
        }
    }

    /// `resources` (in creation order) as the sort must return them.
    pub fn sorted<'k>(&self, resources: &[&'k Known], descending: bool) -> Vec<&'k Known> {
        let mut keyed: Vec<(Option<Key>, &Known)> =
            resources.iter().map(|r| (self.key(&r.json), *r)).collect();
        keyed.sort_by(|(a, _), (b, _)| match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) if descending => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) if descending => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) if descending => b.cmp(a),
            (Some(a), Some(b)) => a.cmp(b),
        });
        keyed.into_iter().map(|(_, r)| r).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Text(String),
    Bool(bool),
    Time(DateTime),
}
