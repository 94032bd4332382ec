//! Named IdP tolerances: every place where this crate accepts something RFC 7643/7644 does not
//! (or leaves open) because a real identity provider sends it. Each rule names the IdP and the
//! shape; each firing is recorded in a [`Tolerances`] report so the server can show it in the
//! request's decision trace. Nothing is guessed silently.
//!
//! The rules are applied where the input is read (resource validation, filter parsing, PATCH);
//! this module is the one list of them. Habits from `IDP-NOTES.md` that the RFC already allows
//! need no rule and are covered by tests instead:
//!
//! | habit (IDP-NOTES.md)                                  | handled by                             |
//! |-------------------------------------------------------|----------------------------------------|
//! | `op` in any case (`Replace`, `ADD`)                   | [`Rule::OpNameCase`]                   |
//! | booleans as strings (`"False"`)                       | [`Rule::BooleanAsString`]              |
//! | booleans as strings in filters (`primary EQ "True"`)  | [`Rule::BooleanStringInFilter`]        |
//! | unquoted filter values (`externalId eq jyoung`)       | [`Rule::UnquotedFilterValue`]          |
//! | `emails[type eq "work"].value eq "x"` in a filter     | [`Rule::SubAttributeAfterValueFilter`] |
//! | Okta's custom header token (`Authorization: <token>`) | [`Rule::TokenWithoutScheme`] (server) |
//! | path-less value with dotted keys (`name.givenName`)   | [`Rule::DottedKeyInValue`]             |
//! | path-less value with URN-qualified keys               | [`Rule::UrnQualifiedKey`]              |
//! | member removal as `path: "members"` + value array     | [`Rule::RemoveByValueArray`]           |
//! | repeated identical member adds (JumpCloud)            | [`Rule::DuplicateValueIgnored`]        |
//! | unknown attributes in bodies                          | [`Rule::UnknownAttributeIgnored`]      |
//! | misspelled enterprise URN (`…:2.0User`)               | [`Rule::MisspelledEnterpriseUrn`]      |
//! | Entra's extra Microsoft schema URN on groups          | [`Rule::VendorSchemaUrnIgnored`]       |
//! | filtered add/replace on a missing item creates it     | [`Rule::FilteredPathCreatesItem`]      |
//! | `manager` as a plain string                           | [`Rule::ScalarForComplex`]             |
//! | `manager` as `[{ "value": …, "$ref": … }]`            | [`Rule::ArrayForSingularComplex`]      |
//! | `manager[value eq "id"]` on a singular attribute      | [`Rule::FilterOnSingularComplex`]      |
//! | "null update": `""` or `null` clears                  | [`Rule::EmptyValueClears`]             |
//! | Okta's path-less replace carrying `id`                | [`Rule::ReadOnlyEchoIgnored`]          |
//! | empty-path PATCHes carrying objects (`"path": ""`)    | [`Rule::EmptyPathIsPathless`]          |
//! | OneLogin templates without `schemas`                  | [`Rule::SchemasMissing`]               |
//! | one object for a multi-valued attribute (OneLogin)    | [`Rule::SingleValueForMultiValued`]    |
//! | explicit `null`s, empty arrays (`addresses: []`)      | RFC 7643 §2.5: unassigned              |
//! | schemas listed in any order (JumpCloud)               | RFC: `schemas` is a set                |
//! | case-insensitive attribute names and operators        | RFC 7643 §2.1, RFC 7644 §3.4.2.2       |
//! | zero matches → 200 empty ListResponse, content types, | the server (`workbench-core`)          |
//! | 204 on PATCH, custom auth headers, request rates      |                                        |

use std::fmt;

/// One named tolerance. See the module table for which IdP habit each one covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Microsoft Entra ID sends PATCH `op` values in PascalCase (`"Replace"`, `"Add"`); other
    /// clients send `ADD`. RFC 7644 §3.5.2 spells them lower case.
    OpNameCase,
    /// Microsoft Entra ID sends booleans as strings: `"active": "False"` in PATCH values and
    /// bodies. Accepted when the string is `true`/`false` in any case.
    BooleanAsString,
    /// Entra ID and Okta compare booleans with strings in filters: `primary EQ "True"`.
    BooleanStringInFilter,
    /// Microsoft Entra ID sends unquoted filter values: `externalId eq jyoung`. The bare word
    /// is read as a string.
    UnquotedFilterValue,
    /// Microsoft Entra ID (and others) send path-less `replace`/`add` whose value object has
    /// dotted keys: `{"name.givenName": "Barbara"}`. Each key is read as an attribute path.
    DottedKeyInValue,
    /// Microsoft Entra ID sends URN-qualified attribute names as keys:
    /// `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"}`.
    UrnQualifiedKey,
    /// Okta, Entra ID and JumpCloud remove group members with `path: "members"` and a value
    /// array of `{ "value": id }` instead of a filter: the listed values are removed.
    RemoveByValueArray,
    /// JumpCloud re-sends identical member adds; a value already present is not added twice
    /// (RFC 7644 §3.5.2.1 says no change SHOULD be made).
    DuplicateValueIgnored,
    /// Every IdP sends attributes this server has no schema for (Okta's tenant profile fields,
    /// OneLogin template fields). They are ignored and named here.
    UnknownAttributeIgnored,
    /// Entra ID custom mappings (and hand-written clients) misspell the enterprise URN as
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0User`; read as the real one.
    MisspelledEnterpriseUrn,
    /// Microsoft Entra ID creates groups with an extra schema URN,
    /// `http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group`, that carries
    /// no attributes; it is ignored.
    VendorSchemaUrnIgnored,
    /// Microsoft Entra ID sends a filtered `add`/`replace` (`emails[type eq "work"].value`) for
    /// an item that does not exist yet and expects it to be created from the filter's `eq` terms.
    FilteredPathCreatesItem,
    /// Microsoft Entra ID sends `manager` as a plain string id; read as `{ "value": id }`.
    ScalarForComplex,
    /// Microsoft Entra ID sends the singular `manager` as a one-element array
    /// `[{ "value": id, "$ref": … }]`; the element is used.
    ArrayForSingularComplex,
    /// Microsoft Entra ID removes a manager with `manager[value eq "id"]`, a value filter on a
    /// singular complex attribute; the attribute is treated as a one-item list.
    FilterOnSingularComplex,
    /// Microsoft Entra ID's "null update": a PATCH setting an attribute to `""` or `null` clears
    /// it.
    EmptyValueClears,
    /// Okta pushes groups with a path-less `replace` whose value carries `id` (read-only); the
    /// unchanged value is ignored (a changed one is still a `mutability` error).
    ReadOnlyEchoIgnored,
    /// Some clients send `"path": ""` for a path-less operation carrying an object.
    EmptyPathIsPathless,
    /// OneLogin bodies come from tenant templates and may omit `schemas` (hand-written clients
    /// omit it from PatchOp and SearchRequest bodies too); the expected URN is assumed.
    SchemasMissing,
    /// OneLogin templates (and hand-written clients) send one object where a multi-valued
    /// attribute expects an array (`"emails": { "value": … }`); it is read as a one-item array.
    SingleValueForMultiValued,
    /// Okta's "HTTP Header" authentication sends the token as the whole `Authorization` value,
    /// without the `Bearer` scheme; a value that is one of our tokens is read as a bearer token.
    /// Applied by the server, which parses the header.
    TokenWithoutScheme,
    /// Microsoft Entra ID (matching on `emails[type eq "work"].value`, and its SCIM validator)
    /// filters with a sub-attribute after a value filter: `emails[type eq "work"].value eq "x"`.
    /// RFC 7644's filter grammar has no `subAttr` after `valuePath` (only PATCH paths do); it is
    /// read as `emails[type eq "work" and value eq "x"]`.
    SubAttributeAfterValueFilter,
}

impl Rule {
    /// Every rule, for documentation and tests.
    pub const ALL: [Rule; 22] = [
        Rule::OpNameCase,
        Rule::BooleanAsString,
        Rule::BooleanStringInFilter,
        Rule::UnquotedFilterValue,
        Rule::DottedKeyInValue,
        Rule::UrnQualifiedKey,
        Rule::RemoveByValueArray,
        Rule::DuplicateValueIgnored,
        Rule::UnknownAttributeIgnored,
        Rule::MisspelledEnterpriseUrn,
        Rule::VendorSchemaUrnIgnored,
        Rule::FilteredPathCreatesItem,
        Rule::ScalarForComplex,
        Rule::ArrayForSingularComplex,
        Rule::FilterOnSingularComplex,
        Rule::EmptyValueClears,
        Rule::ReadOnlyEchoIgnored,
        Rule::EmptyPathIsPathless,
        Rule::SchemasMissing,
        Rule::SingleValueForMultiValued,
        Rule::SubAttributeAfterValueFilter,
        Rule::TokenWithoutScheme,
    ];

    /// A stable kebab-case name, shown in traces and logs.
    pub fn name(self) -> &'static str {
        match self {
            Rule::OpNameCase => "op-name-case",
            Rule::BooleanAsString => "boolean-as-string",
            Rule::BooleanStringInFilter => "boolean-string-in-filter",
            Rule::UnquotedFilterValue => "unquoted-filter-value",
            Rule::DottedKeyInValue => "dotted-key-in-value",
            Rule::UrnQualifiedKey => "urn-qualified-key",
            Rule::RemoveByValueArray => "remove-by-value-array",
            Rule::DuplicateValueIgnored => "duplicate-value-ignored",
            Rule::UnknownAttributeIgnored => "unknown-attribute-ignored",
            Rule::MisspelledEnterpriseUrn => "misspelled-enterprise-urn",
            Rule::VendorSchemaUrnIgnored => "vendor-schema-urn-ignored",
            Rule::FilteredPathCreatesItem => "filtered-path-creates-item",
            Rule::ScalarForComplex => "scalar-for-complex",
            Rule::ArrayForSingularComplex => "array-for-singular-complex",
            Rule::FilterOnSingularComplex => "filter-on-singular-complex",
            Rule::EmptyValueClears => "empty-value-clears",
            Rule::ReadOnlyEchoIgnored => "read-only-echo-ignored",
            Rule::EmptyPathIsPathless => "empty-path-is-pathless",
            Rule::SchemasMissing => "schemas-missing",
            Rule::SingleValueForMultiValued => "single-value-for-multi-valued",
            Rule::TokenWithoutScheme => "token-without-scheme",
            Rule::SubAttributeAfterValueFilter => "sub-attribute-after-value-filter",
        }
    }

    /// The identity providers known to send the shape this rule accepts.
    pub fn idp(self) -> &'static str {
        match self {
            Rule::OpNameCase | Rule::BooleanAsString | Rule::UnquotedFilterValue => {
                "Microsoft Entra ID"
            }
            Rule::DottedKeyInValue | Rule::UrnQualifiedKey | Rule::MisspelledEnterpriseUrn => {
                "Microsoft Entra ID"
            }
            Rule::VendorSchemaUrnIgnored | Rule::FilteredPathCreatesItem => "Microsoft Entra ID",
            Rule::ScalarForComplex | Rule::ArrayForSingularComplex => "Microsoft Entra ID",
            Rule::FilterOnSingularComplex | Rule::EmptyValueClears => "Microsoft Entra ID",
            Rule::SubAttributeAfterValueFilter => "Microsoft Entra ID",
            Rule::BooleanStringInFilter => "Microsoft Entra ID, Okta",
            Rule::RemoveByValueArray => "Okta, Microsoft Entra ID, JumpCloud",
            Rule::DuplicateValueIgnored => "JumpCloud",
            Rule::UnknownAttributeIgnored => "every IdP",
            Rule::ReadOnlyEchoIgnored | Rule::TokenWithoutScheme => "Okta",
            Rule::EmptyPathIsPathless => "various clients",
            Rule::SchemasMissing => "OneLogin, hand-written clients",
            Rule::SingleValueForMultiValued => "OneLogin",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One firing of a rule: which, and on what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub rule: Rule,
    pub detail: String,
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.rule, self.rule.idp(), self.detail)
    }
}

/// The report of which tolerances one request needed. Bounded: after [`Tolerances::LIMIT`]
/// entries further firings are only counted, so a hostile body cannot grow it without bound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tolerances {
    applied: Vec<Applied>,
    suppressed: usize,
}

impl Tolerances {
    /// How many firings are kept in detail.
    pub const LIMIT: usize = 64;

    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `rule` was applied; `detail` says to what, in a few words.
    pub fn note(&mut self, rule: Rule, detail: impl Into<String>) {
        if self.applied.len() < Self::LIMIT {
            self.applied.push(Applied {
                rule,
                detail: detail.into(),
            });
        } else {
            self.suppressed += 1;
        }
    }

    /// The recorded firings, in the order they happened.
    pub fn applied(&self) -> &[Applied] {
        &self.applied
    }

    /// Firings beyond [`Tolerances::LIMIT`], counted but not kept.
    pub fn suppressed(&self) -> usize {
        self.suppressed
    }

    /// Whether `rule` fired at least once (among the kept firings).
    pub fn fired(&self, rule: Rule) -> bool {
        self.applied.iter().any(|a| a.rule == rule)
    }

    pub fn is_empty(&self) -> bool {
        self.applied.is_empty() && self.suppressed == 0
    }

    /// Appends another report (e.g. of a sub-step) to this one.
    pub fn extend(&mut self, other: Tolerances) {
        for applied in other.applied {
            self.note(applied.rule, applied.detail);
        }
        self.suppressed += other.suppressed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_rule_names_an_idp() {
        let mut names: Vec<_> = Rule::ALL.iter().map(|r| r.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Rule::ALL.len());
        assert!(Rule::ALL.iter().all(|r| !r.idp().is_empty()));
    }

    #[test]
    fn report_is_bounded() {
        let mut report = Tolerances::new();
        for i in 0..1000 {
            report.note(Rule::UnknownAttributeIgnored, format!("attribute x{i}"));
        }
        assert_eq!(report.applied().len(), Tolerances::LIMIT);
        assert_eq!(report.suppressed(), 1000 - Tolerances::LIMIT);
        assert!(report.fired(Rule::UnknownAttributeIgnored));
        assert!(!report.fired(Rule::OpNameCase));
    }
}
