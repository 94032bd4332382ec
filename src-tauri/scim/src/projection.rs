//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) with the `returned`
//! characteristic of each attribute (RFC 7643 §7): `always` is always there, `never` never,
//! `request` only when asked for, `default` unless left out.
//!
//! Names that are not attributes of the resource type are ignored: asking for an attribute a
//! server does not have is not an error (the result simply lacks it).

use serde_json::{Map, Value};

use crate::filter::AttrPath;
use crate::resolve::{self, KeyTarget};
use crate::schema::{Attribute, Owner, ResourceType, Returned, Schema};
use crate::tolerance::Tolerances;

/// One name from `attributes=`/`excludedAttributes=`.
#[derive(Debug, Clone, PartialEq)]
enum Selector {
    /// A whole extension, named by its URN.
    Extension(&'static Schema),
    /// An attribute or one of its sub-attributes.
    Attr {
        owner: Owner,
        attr: &'static Attribute,
        sub: Option<&'static Attribute>,
    },
}

/// Which attributes a response carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    rtype: &'static ResourceType,
    /// Whether `attributes=` named anything, known or not: `attributes=shoeSize` narrows the
    /// response to the `always` attributes, it does not widen it back to the default set.
    narrowed: bool,
    attributes: Vec<Selector>,
    excluded: Vec<Selector>,
}

impl Projection {
    /// Everything with `returned` `always` or `default`.
    pub fn default_for(rtype: &'static ResourceType) -> Self {
        Projection {
            rtype,
            narrowed: false,
            attributes: Vec::new(),
            excluded: Vec::new(),
        }
    }

    /// From the two parameter lists (already split at commas).
    pub fn new(
        rtype: &'static ResourceType,
        attributes: &[String],
        excluded: &[String],
        tolerances: &mut Tolerances,
    ) -> Self {
        let mut select = |names: &[String]| -> Vec<Selector> {
            names
                .iter()
                .filter_map(|name| selector(rtype, name, tolerances))
                .collect()
        };
        Projection {
            rtype,
            narrowed: attributes.iter().any(|name| !name.trim().is_empty()),
            attributes: select(attributes),
            excluded: select(excluded),
        }
    }

    /// Whether the response is the full default representation (no `attributes`, no
    /// `excludedAttributes`): servers can then send what they rendered without re-reading it.
    pub fn is_default(&self) -> bool {
        !self.narrowed && self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Whether `attributes=` narrowed the response.
    pub fn is_narrowed(&self) -> bool {
        self.narrowed
    }

    /// Whether the response needs attribute `name` of the core schema (servers use this to
    /// avoid loading, say, 50,000 `members` that `excludedAttributes=members` drops).
    pub fn includes(&self, name: &str) -> bool {
        match self.rtype.attribute(None, name) {
            Some((owner, attr)) => self.keeps(owner, attr).is_some(),
            None => false,
        }
    }

    /// Applies the projection to a rendered resource (the output of `Resource::to_json`).
    pub fn apply(&self, rendered: &Value) -> Value {
        let Some(object) = rendered.as_object() else {
            return rendered.clone();
        };
        let mut out = Map::new();
        for (key, value) in object {
            if key == "schemas" {
                out.insert(key.clone(), value.clone());
                continue;
            }
            let kept = match self.rtype.extension_by_urn(key) {
                Some(schema) => self.extension(schema, value),
                None => self.rtype.attribute(None, key).and_then(|(owner, attr)| {
                    self.keeps(owner, attr)
                        .and_then(|keep| keep.apply(attr, value))
                }),
            };
            if let Some(v) = kept {
                out.insert(key.clone(), v);
            }
        }
        if let Some(Value::Array(schemas)) = out.get("schemas") {
            let kept: Vec<Value> = schemas
                .iter()
                .filter(|urn| {
                    let urn = urn.as_str().unwrap_or_default();
                    self.rtype.extension_by_urn(urn).is_none() || out.contains_key(urn)
                })
                .cloned()
                .collect();
            out.insert("schemas".to_owned(), Value::Array(kept));
        }
        Value::Object(out)
    }

    fn extension(&self, schema: &'static Schema, value: &Value) -> Option<Value> {
        let excluded_whole = self.excluded.contains(&Selector::Extension(schema));
        if excluded_whole {
            return None;
        }
        let selected_whole = self.attributes.contains(&Selector::Extension(schema));
        let mut out = Map::new();
        for (key, v) in value.as_object()? {
            let Some(attr) = schema.attribute(key) else {
                continue;
            };
            let keep = if selected_whole {
                self.excluding(Owner::Extension(schema), attr, Keep::Whole)
            } else {
                self.keeps(Owner::Extension(schema), attr)
            };
            if let Some(v) = keep.and_then(|k| k.apply(attr, v)) {
                out.insert(key.clone(), v);
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }

    /// What of attribute `attr` the response keeps, if anything.
    fn keeps(&self, owner: Owner, attr: &'static Attribute) -> Option<Keep> {
        match attr.returned {
            Returned::Always => return Some(Keep::Whole),
            Returned::Never => return None,
            _ => {}
        }
        let mentioned = |s: &&Selector| matches!(s, Selector::Attr { owner: o, attr: a, .. } if *o == owner && std::ptr::eq(*a, attr));
        let selected: Vec<&Selector> = self.attributes.iter().filter(mentioned).collect();
        let keep = if !self.narrowed {
            (attr.returned == Returned::Default).then_some(Keep::Whole)?
        } else if selected
            .iter()
            .any(|s| matches!(s, Selector::Attr { sub: None, .. }))
        {
            Keep::Whole
        } else if selected.is_empty() {
            return None;
        } else {
            Keep::Only(selected.iter().filter_map(|s| sub_of(s)).collect())
        };
        self.excluding(owner, attr, keep)
    }

    fn excluding(&self, owner: Owner, attr: &'static Attribute, keep: Keep) -> Option<Keep> {
        if attr.returned == Returned::Always {
            return Some(keep);
        }
        let mentioned: Vec<&Selector> = self
            .excluded
            .iter()
            .filter(|s| matches!(s, Selector::Attr { owner: o, attr: a, .. } if *o == owner && std::ptr::eq(*a, attr)))
            .collect();
        if mentioned
            .iter()
            .any(|s| matches!(s, Selector::Attr { sub: None, .. }))
        {
            return None;
        }
        let dropped: Vec<&'static Attribute> = mentioned.iter().filter_map(|s| sub_of(s)).collect();
        Some(if dropped.is_empty() {
            keep
        } else {
            Keep::Without(Box::new(keep), dropped)
        })
    }
}

fn sub_of(selector: &Selector) -> Option<&'static Attribute> {
    match selector {
        Selector::Attr { sub, .. } => *sub,
        Selector::Extension(_) => None,
    }
}

/// What part of a value to keep.
#[derive(Debug)]
enum Keep {
    Whole,
    Only(Vec<&'static Attribute>),
    Without(Box<Keep>, Vec<&'static Attribute>),
}

impl Keep {
    fn apply(&self, attr: &Attribute, value: &Value) -> Option<Value> {
        match value {
            Value::Array(items) => {
                let kept: Vec<Value> = items
                    .iter()
                    .filter_map(|i| self.apply_one(attr, i))
                    .collect();
                (!kept.is_empty()).then_some(Value::Array(kept))
            }
            single => self.apply_one(attr, single),
        }
    }

    fn apply_one(&self, attr: &Attribute, value: &Value) -> Option<Value> {
        let Value::Object(object) = value else {
            return matches!(self, Keep::Whole | Keep::Without(..)).then(|| value.clone());
        };
        let kept: Map<String, Value> = object
            .iter()
            .filter(|(k, _)| self.keeps_sub(attr, k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (!kept.is_empty()).then_some(Value::Object(kept))
    }

    fn keeps_sub(&self, attr: &Attribute, key: &str) -> bool {
        let sub = attr.sub_attribute(key);
        let is = |list: &[&'static Attribute]| {
            sub.is_some_and(|s| list.iter().any(|l| std::ptr::eq(*l, s)))
        };
        match self {
            Keep::Whole => true,
            Keep::Only(list) => is(list) || sub.is_some_and(|s| s.returned == Returned::Always),
            Keep::Without(inner, list) => !is(list) && inner.keeps_sub(attr, key),
        }
    }
}

fn selector(
    rtype: &'static ResourceType,
    name: &str,
    tolerances: &mut Tolerances,
) -> Option<Selector> {
    match resolve::key_target(rtype, name.trim(), tolerances)? {
        KeyTarget::Extension(schema) => Some(Selector::Extension(schema)),
        KeyTarget::Path(path) => {
            let path: AttrPath = path;
            let found = resolve::attribute(rtype, &path, tolerances).ok()?;
            Some(Selector::Attr {
                owner: found.owner,
                attr: found.attr,
                sub: found.sub,
            })
        }
    }
}
