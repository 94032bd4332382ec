//! Lowering a checked SCIM filter ([`Expr`]) to a SQL condition with bound parameters only.
//!
//! Stage two of two: `workbench-scim` parses and checks the filter against the schema; this
//! module maps each attribute to where the store keeps it:
//! - indexed columns for `id`, `userName`, `externalId`, `displayName`, `active` and
//!   `meta.created`/`meta.lastModified` (so `userName eq`, `externalId eq`, `displayName eq` and
//!   `id eq` are index lookups);
//! - the `group_members` table for `members.value`/`members.type` of a group and
//!   `groups.value`/`groups.display` of a user (so `members[value eq "…"]` is a primary-key
//!   lookup);
//! - otherwise the `folded` JSON column, in which every case-insensitive string is already
//!   folded by the protocol crate's rule, so SQL text comparison equals the in-memory evaluator's.
//!
//! SQL cannot express these, and they are evaluated in Rust on the rows SQL narrows down to
//! (the result says `exact: false`):
//! - `dateTime` values inside the JSON (their text is not in one format; User and Group keep
//!   none there: `meta` dates are columns);
//! - the derived `$ref` and `meta.location`/`meta.resourceType`/`meta.version` values, a
//!   member's rendered `display`, and a user's `groups.type`/`groups.$ref`;
//! - `schemas`, which is derived from the extensions a resource has.
//!
//! Every condition evaluates to 0 or 1, never NULL, so `not` and `ne` (the negation of `eq`)
//! keep the evaluator's meaning for missing attributes.

use workbench_scim::compare::fold_case;
use workbench_scim::filter::{AttrRef, CompareOp, Expr, Location, Operand};
use workbench_scim::schema::{AttrType, Attribute, Owner};

/// Which table the filter runs against; the row alias is always `r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Users,
    Groups,
}

/// A value bound to a `?`.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Int(i64),
    Real(f64),
}

/// A SQL condition on the row `r`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    pub sql: String,
    pub binds: Vec<Bind>,
    /// `true`: the condition selects exactly the matching rows. `false`: it selects a superset
    /// and the caller evaluates the filter in Rust on the rows it returns.
    pub exact: bool,
}

/// Lowers `expr` for `table`.
pub fn lower(expr: &Expr, table: Table) -> Lowered {
    let mut out = Builder {
        binds: Vec::new(),
        exact: true,
        table,
    };
    let sql = out.expr(expr, &Scope::Row);
    Lowered {
        sql,
        binds: out.binds,
        exact: out.exact,
    }
}

/// Where attribute references are resolved.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// The row `r`.
    Row,
    /// One item of a JSON array, as `je.value`.
    JsonItem,
    /// One row of `group_members` (`gm`) for a group's `members[...]`.
    Member,
    /// One membership (`gm` joined to the group `g`) for a user's `groups[...]`.
    Membership,
}

struct Builder {
    binds: Vec<Bind>,
    exact: bool,
    table: Table,
}

/// A scalar SQL expression for a leaf value, and what kind of value it yields.
struct Scalar {
    sql: String,
    /// `json_type(...)` of the value when it comes from JSON, to check the type like the
    /// evaluator does; `None` for typed columns.
    json_type: Option<String>,
}

impl Builder {
    fn bind(&mut self, value: Bind) -> &'static str {
        self.binds.push(value);
        "?"
    }

    /// A condition the lowering cannot express: true here, decided in Rust afterwards.
    fn inexact(&mut self) -> String {
        self.exact = false;
        "1".to_owned()
    }

    fn expr(&mut self, expr: &Expr, scope: &Scope) -> String {
        match expr {
            Expr::And(items) => self.chain(items, " AND ", scope),
            Expr::Or(items) => {
                let exact_before = self.exact;
                self.exact = true;
                let parts: Vec<String> = items.iter().map(|e| self.expr(e, scope)).collect();
                // One inexact operand makes the whole `or` a superset only if it is widened to
                // true; `1` already does that, so the `or` stays a correct superset.
                let exact_or = self.exact;
                self.exact = exact_before && exact_or;
                format!("({})", parts.join(" OR "))
            }
            Expr::Not(inner) => self.negate(|b| b.expr(inner, scope)),
            Expr::Present(attr) => self.present(attr, scope),
            Expr::Compare(attr, op, operand) => self.compare(attr, *op, operand, scope),
            Expr::ValuePath(attr, inner) => self.value_path(attr, inner, scope),
        }
    }

    /// The negation of the condition `inner` builds. A superset cannot be negated, so an
    /// inexact `inner` makes the negation inexact (true here) as a whole.
    /// The values `inner` bound are dropped with its text.
    fn negate(&mut self, inner: impl FnOnce(&mut Builder) -> String) -> String {
        let (exact_before, binds_before) = (self.exact, self.binds.len());
        self.exact = true;
        let sql = inner(self);
        let exact_inner = self.exact;
        self.exact = exact_before;
        if exact_inner {
            format!("(NOT {sql})")
        } else {
            self.binds.truncate(binds_before);
            self.inexact()
        }
    }

    fn chain(&mut self, items: &[Expr], separator: &str, scope: &Scope) -> String {
        let parts: Vec<String> = items.iter().map(|e| self.expr(e, scope)).collect();
        format!("({})", parts.join(separator))
    }

    fn compare(
        &mut self,
        attr: &AttrRef,
        op: CompareOp,
        operand: &Operand,
        scope: &Scope,
    ) -> String {
        match (op, operand) {
            (CompareOp::Eq, Operand::Null) => self.negate(|b| b.present(attr, scope)),
            (CompareOp::Ne, Operand::Null) => self.present(attr, scope),
            (CompareOp::Ne, _) => self.negate(|b| b.compare(attr, CompareOp::Eq, operand, scope)),
            _ => self.any_value(attr, scope, |b, value| {
                b.leaf(attr.leaf(), op, operand, value)
            }),
        }
    }

    fn present(&mut self, attr: &AttrRef, scope: &Scope) -> String {
        self.any_value(attr, scope, |_, value| present_sql(value))
    }

    /// `cond` holds for some value of `attr` (the attribute's values, or the sub-attribute of
    /// each item).
    fn any_value(
        &mut self,
        attr: &AttrRef,
        scope: &Scope,
        cond: impl FnOnce(&mut Builder, &Scalar) -> String,
    ) -> String {
        match (attr.location, scope) {
            (Location::Element, Scope::JsonItem) => {
                let value = json_scalar("je.value", &json_path(&[attr.attr.name]));
                cond(self, &value)
            }
            (Location::Element, Scope::Member) => match member_column(attr.attr.name) {
                Some(column) => cond(
                    self,
                    &Scalar {
                        sql: column.to_owned(),
                        json_type: None,
                    },
                ),
                None => self.inexact(),
            },
            (Location::Element, Scope::Membership) => match membership_column(attr.attr.name) {
                Some(column) => cond(
                    self,
                    &Scalar {
                        sql: column.to_owned(),
                        json_type: None,
                    },
                ),
                None => self.inexact(),
            },
            (Location::Element, Scope::Row) => self.inexact(),
            (Location::Schemas(_), _) => self.inexact(),
            (Location::Resource(owner), _) => self.resource_value(owner, attr, cond),
        }
    }

    fn resource_value(
        &mut self,
        owner: Owner,
        attr: &AttrRef,
        cond: impl FnOnce(&mut Builder, &Scalar) -> String,
    ) -> String {
        let name = attr.attr.name;
        let sub = attr.sub.map(|s| s.name);
        if let Some(column) = row_column(self.table, name, sub) {
            return cond(
                self,
                &Scalar {
                    sql: column.to_owned(),
                    json_type: None,
                },
            );
        }
        match (self.table, name) {
            (Table::Groups, "members") => {
                return self.exists_member(attr.sub, cond);
            }
            (Table::Users, "groups") => {
                return self.exists_membership(attr.sub, cond);
            }
            (_, "meta") => return self.inexact(),
            _ => {}
        }
        let mut path: Vec<&str> = Vec::new();
        if let Owner::Extension(schema) = owner {
            path.push(schema.id);
        }
        path.push(name);
        if attr.attr.multi_valued {
            let item = match sub {
                Some(sub) => json_scalar("je.value", &json_path(&[sub])),
                None => Scalar {
                    sql: "je.value".into(),
                    json_type: Some("je.type".into()),
                },
            };
            let inner = cond(self, &item);
            format!(
                "EXISTS (SELECT 1 FROM json_each(r.folded, '{}') je WHERE {inner})",
                json_path(&path)
            )
        } else {
            if let Some(sub) = sub {
                path.push(sub);
            }
            cond(self, &json_scalar("r.folded", &json_path(&path)))
        }
    }

    /// Some member of the group (row of `group_members`) satisfies `cond` on the sub-attribute.
    fn exists_member(
        &mut self,
        sub: Option<&'static Attribute>,
        cond: impl FnOnce(&mut Builder, &Scalar) -> String,
    ) -> String {
        let column = match sub {
            None => Some("gm.member_id"),
            Some(sub) => member_column(sub.name),
        };
        let Some(column) = column else {
            return self.inexact();
        };
        let inner = cond(
            self,
            &Scalar {
                sql: column.to_owned(),
                json_type: None,
            },
        );
        format!(
            "EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_seq = r.seq AND gm.scim = 1 AND {inner})"
        )
    }

    /// Some group the user is a direct member of satisfies `cond`.
    fn exists_membership(
        &mut self,
        sub: Option<&'static Attribute>,
        cond: impl FnOnce(&mut Builder, &Scalar) -> String,
    ) -> String {
        let column = match sub {
            None => Some("g.id"),
            Some(sub) => membership_column(sub.name),
        };
        let Some(column) = column else {
            return self.inexact();
        };
        let inner = cond(
            self,
            &Scalar {
                sql: column.to_owned(),
                json_type: None,
            },
        );
        format!(
            "EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.seq = gm.group_seq \
             WHERE gm.member_id = r.id AND gm.scim = 1 AND {inner})"
        )
    }

    /// `attr[inner]`: some item of `attr` satisfies `inner`.
    fn value_path(&mut self, attr: &AttrRef, inner: &Expr, scope: &Scope) -> String {
        let Location::Resource(owner) = attr.location else {
            return self.inexact();
        };
        if !matches!(scope, Scope::Row) {
            return self.inexact();
        }
        match (self.table, attr.attr.name) {
            (Table::Groups, "members") => {
                let inner = self.expr(inner, &Scope::Member);
                return format!(
                    "EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_seq = r.seq AND gm.scim = 1 AND {inner})"
                );
            }
            (Table::Users, "groups") => {
                let inner = self.expr(inner, &Scope::Membership);
                return format!(
                    "EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.seq = gm.group_seq \
                     WHERE gm.member_id = r.id AND gm.scim = 1 AND {inner})"
                );
            }
            _ => {}
        }
        let mut path: Vec<&str> = Vec::new();
        if let Owner::Extension(schema) = owner {
            path.push(schema.id);
        }
        path.push(attr.attr.name);
        let inner_sql = self.expr(inner, &Scope::JsonItem);
        if attr.attr.multi_valued {
            format!(
                "EXISTS (SELECT 1 FROM json_each(r.folded, '{}') je WHERE {inner_sql})",
                json_path(&path)
            )
        } else {
            // A singular complex attribute filtered as a one-item list (Entra's manager[...]).
            format!(
                "EXISTS (SELECT 1 FROM (SELECT json_extract(r.folded, '{}') AS value) je \
                 WHERE je.value IS NOT NULL AND {inner_sql})",
                json_path(&path)
            )
        }
    }

    /// One comparison of a value with the operand, as the evaluator defines it.
    fn leaf(
        &mut self,
        leaf: &Attribute,
        op: CompareOp,
        operand: &Operand,
        value: &Scalar,
    ) -> String {
        let x = &value.sql;
        let typed = |kinds: &[&str]| match &value.json_type {
            Some(t) => format!(
                "{t} IN ({}) AND ",
                kinds
                    .iter()
                    .map(|k| format!("'{k}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        };
        let cmp = match op {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => "",
        };
        let condition = match operand {
            Operand::Str(s) => {
                let s = if leaf.case_exact {
                    s.clone()
                } else {
                    fold_case(s).into_owned()
                };
                let guard = typed(&["text"]);
                match op {
                    CompareOp::Co | CompareOp::Sw | CompareOp::Ew if s.is_empty() => {
                        format!("{guard}{x} IS NOT NULL")
                    }
                    CompareOp::Co => format!("{guard}instr({x}, {}) > 0", self.bind(Bind::Text(s))),
                    CompareOp::Sw => {
                        let n = s.chars().count() as i64;
                        format!(
                            "{guard}substr({x}, 1, {}) = {}",
                            self.bind(Bind::Int(n)),
                            self.bind(Bind::Text(s))
                        )
                    }
                    CompareOp::Ew => {
                        let n = s.chars().count() as i64;
                        format!(
                            "{guard}length({x}) >= {} AND substr({x}, -{}) = {}",
                            self.bind(Bind::Int(n)),
                            self.bind(Bind::Int(n)),
                            self.bind(Bind::Text(s))
                        )
                    }
                    _ => format!("{guard}{x} {cmp} {}", self.bind(Bind::Text(s))),
                }
            }
            Operand::Bool(b) => {
                if op != CompareOp::Eq {
                    return self.inexact();
                }
                format!(
                    "{}{x} = {}",
                    typed(&["true", "false"]),
                    self.bind(Bind::Int(i64::from(*b)))
                )
            }
            Operand::Int(i) => format!(
                "{}{x} {cmp} {}",
                typed(&["integer", "real"]),
                self.bind(Bind::Int(*i))
            ),
            Operand::Dec(d) => format!(
                "{}{x} {cmp} {}",
                typed(&["integer", "real"]),
                self.bind(Bind::Real(*d))
            ),
            Operand::DateTime(dt) => {
                if value.json_type.is_some() || leaf.kind != AttrType::DateTime {
                    return self.inexact();
                }
                // Date columns hold whole milliseconds; the operand may have finer fractions.
                // Compare against the millisecond bound that gives the same answer, so the
                // column's index still applies.
                let nanos = i128::from(dt.secs) * 1_000_000_000 + i128::from(dt.nanos);
                let (floor, exact) = (
                    nanos.div_euclid(1_000_000),
                    nanos.rem_euclid(1_000_000) == 0,
                );
                let ceil = if exact { floor } else { floor + 1 };
                let clamp =
                    |v: i128| i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
                match op {
                    CompareOp::Eq if !exact => "0".to_owned(),
                    CompareOp::Eq => format!("{x} = {}", self.bind(Bind::Int(clamp(floor)))),
                    CompareOp::Gt => format!("{x} > {}", self.bind(Bind::Int(clamp(floor)))),
                    CompareOp::Ge => format!("{x} >= {}", self.bind(Bind::Int(clamp(ceil)))),
                    CompareOp::Lt => format!("{x} < {}", self.bind(Bind::Int(clamp(ceil)))),
                    CompareOp::Le => format!("{x} <= {}", self.bind(Bind::Int(clamp(floor)))),
                    _ => return self.inexact(),
                }
            }
            Operand::Null => return self.inexact(),
        };
        match value.json_type {
            // A JSON value may be missing (NULL): make the comparison 0, never NULL.
            Some(_) => format!("IFNULL(({condition}), 0)"),
            // A column: the same guarantee written so the column's index can serve
            // `userName eq`, `externalId eq`, `displayName eq` and date ranges.
            None => format!("({x} IS NOT NULL AND {condition})"),
        }
    }
}

/// The `ORDER BY` term for sorting by an attribute (RFC 7644 §3.4.2.3): values of
/// case-insensitive attributes compare folded; a multi-valued attribute sorts by its primary
/// value, else its first; resources without a value come last ascending, first descending.
/// "Without a value" is the evaluator's "not present" (absent, null or `""`), so the resources
/// sorted last are exactly those `attr eq null` selects. `None` for derived attributes that
/// cannot be sorted in SQL.
pub fn order_by(
    table: Table,
    owner: Owner,
    attr: &Attribute,
    sub: Option<&Attribute>,
    descending: bool,
) -> Option<String> {
    let sub_name = sub.map(|s| s.name);
    let value = if let Some(column) = row_column(table, attr.name, sub_name) {
        column.to_owned()
    } else {
        if matches!(
            (table, attr.name),
            (Table::Groups, "members") | (Table::Users, "groups") | (_, "meta")
        ) {
            return None;
        }
        let mut path: Vec<&str> = Vec::new();
        if let Owner::Extension(schema) = owner {
            path.push(schema.id);
        }
        path.push(attr.name);
        if attr.multi_valued {
            let leaf = sub_name.or_else(|| attr.sub_attribute("value").map(|s| s.name))?;
            format!(
                "(SELECT json_extract(je.value, '{}') FROM json_each(r.folded, '{}') je \
                 ORDER BY IFNULL(json_extract(je.value, '$.\"primary\"'), 0) DESC, je.key LIMIT 1)",
                json_path(&[leaf]),
                json_path(&path)
            )
        } else {
            if attr.is_complex() {
                path.push(sub_name?);
            }
            format!("json_extract(r.folded, '{}')", json_path(&path))
        }
    };
    let value = format!("NULLIF({value}, '')");
    let direction = if descending { "DESC" } else { "ASC" };
    Some(format!(
        "({value} IS NULL) {direction}, {value} {direction}"
    ))
}

/// The indexed column holding attribute `name` (or `name.sub`) of a row, if there is one.
/// Text columns hold values folded exactly when the attribute is case-insensitive.
fn row_column(table: Table, name: &str, sub: Option<&str>) -> Option<&'static str> {
    Some(match (table, name, sub) {
        (_, "id", None) => "r.id",
        (_, "externalId", None) => "r.external_id",
        (Table::Users, "userName", None) => "r.user_name_key",
        (Table::Users, "displayName", None) => "r.display_name_key",
        (Table::Users, "active", None) => "r.active",
        (Table::Groups, "displayName", None) => "r.display_name_key",
        (_, "meta", Some("created")) => "r.created_at",
        (_, "meta", Some("lastModified")) => "r.updated_at",
        _ => return None,
    })
}

/// Columns of a `group_members` row (`gm`) for the sub-attributes of `members`.
fn member_column(sub: &str) -> Option<&'static str> {
    match sub {
        "value" => Some("gm.member_id"),
        // Canonical values are ASCII (`User`, `Group`); the attribute is case-insensitive.
        "type" => Some("lower(gm.member_type)"),
        _ => None,
    }
}

/// Columns of a membership (`gm` joined to group `g`) for the sub-attributes of `groups`.
fn membership_column(sub: &str) -> Option<&'static str> {
    match sub {
        "value" => Some("g.id"),
        "display" => Some("g.display_name_key"),
        _ => None,
    }
}

/// `json_extract` of `path` in `source`, with its JSON type for type checks.
fn json_scalar(source: &str, path: &str) -> Scalar {
    Scalar {
        sql: format!("json_extract({source}, '{path}')"),
        json_type: Some(format!("json_type({source}, '{path}')")),
    }
}

/// A JSON path with every label quoted: `$."urn:…:User"."employeeNumber"`. Labels are schema
/// names and URNs (letters, digits, `:`, `.`, `$`, `-`), never client text.
fn json_path(labels: &[&str]) -> String {
    let mut path = String::from("$");
    for label in labels {
        path.push_str(".\"");
        path.push_str(label);
        path.push('"');
    }
    path
}

/// The evaluator's `pr`: not null, not `""`, not `[]`, not `{}` (an object counts when one of
/// its values does). A missing JSON value has no `json_type` at all (SQL `NULL`), which no
/// `WHEN` matches: the `ELSE` must not count it as present.
fn present_sql(value: &Scalar) -> String {
    let x = &value.sql;
    match &value.json_type {
        None => format!("IFNULL(({x} IS NOT NULL AND {x} <> ''), 0)"),
        Some(t) => format!(
            "IFNULL((CASE {t} \
               WHEN 'text' THEN {x} <> '' \
               WHEN 'null' THEN 0 \
               WHEN 'object' THEN EXISTS (SELECT 1 FROM json_each({x}) k \
                   WHERE k.type NOT IN ('null', 'array', 'object') AND NOT (k.type = 'text' AND k.value = '')) \
               WHEN 'array' THEN json_array_length({x}) > 0 \
               ELSE {t} IN ('true', 'false', 'integer', 'real') END), 0)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Location, Store};
    use workbench_scim::Tolerances;
    use workbench_scim::filter::parse_and_check;
    use workbench_scim::schema::{GROUP, USER};

    /// The query plan of a list query with `filter`, one line per step.
    async fn plan(store: &Store, table: Table, filter: &str) -> String {
        let rtype = if table == Table::Users { &USER } else { &GROUP };
        let expr = parse_and_check(filter, rtype, &mut Tolerances::new()).unwrap();
        let lowered = lower(&expr, table);
        assert!(lowered.exact, "{filter} is not fully lowered");
        let name = if table == Table::Users {
            "users"
        } else {
            "groups"
        };
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT r.id FROM {name} r WHERE r.provider_id = ? AND {}",
            lowered.sql
        );
        let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&sql).bind("p");
        for bind in &lowered.binds {
            query = match bind {
                Bind::Text(s) => query.bind(s.clone()),
                Bind::Int(i) => query.bind(*i),
                Bind::Real(f) => query.bind(*f),
            };
        }
        let rows = query.fetch_all(store.reader()).await.unwrap();
        rows.into_iter()
            .map(|(_, _, _, detail)| detail)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[tokio::test]
    async fn the_lookups_idps_make_use_an_index_and_never_scan() {
        let store = Store::open(&Location::Memory).await.unwrap();
        let cases = [
            (
                Table::Users,
                r#"userName eq "bjensen@example.com""#,
                "users_user_name_key",
            ),
            (Table::Users, r#"externalId eq "00u1""#, "users_external_id"),
            (
                Table::Users,
                r#"displayName eq "Babs Jensen""#,
                "users_display_name_key",
            ),
            (
                Table::Users,
                r#"id eq "2819c223-7f76-453a-919d-413861904646""#,
                "users_id",
            ),
            (
                Table::Groups,
                r#"displayName eq "Engineering""#,
                "groups_display_name_key",
            ),
            (Table::Groups, r#"externalId eq "g1""#, "groups_external_id"),
            (
                Table::Groups,
                r#"id eq "g" and members[value eq "u"]"#,
                "groups_id",
            ),
        ];
        for (table, filter, index) in cases {
            let plan = plan(&store, table, filter).await;
            assert!(
                plan.contains(index),
                "{filter}: expected {index} in the plan:\n{plan}"
            );
            assert!(
                !plan.lines().any(|l| l.starts_with("SCAN")),
                "{filter} scans:\n{plan}"
            );
        }
        // The membership test itself is a primary-key lookup of group_members.
        let members = plan(&store, Table::Groups, r#"members[value eq "u"]"#).await;
        assert!(members.contains("SEARCH gm USING PRIMARY KEY"), "{members}");
    }
}
