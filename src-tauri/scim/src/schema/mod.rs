//! Schemas as data (RFC 7643 §2 and §7): every attribute with its type, sub-attributes and
//! characteristics, and the resource types built from them. Everything else in the crate
//! (validation, filters, PATCH, projection, the `/Schemas` documents) reads these tables; nothing
//! keeps a hand-written copy.
//!
//! Pure data and lookups: no IO.

mod common;
mod enterprise;
mod group;
mod user;

pub use common::{COMMON_ATTRIBUTES, SCHEMAS_ATTRIBUTE};
pub use enterprise::ENTERPRISE_USER_SCHEMA;
pub use group::GROUP_SCHEMA;
pub use user::USER_SCHEMA;

/// URN of the core User schema.
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// URN of the core Group schema.
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// URN of the enterprise User extension.
pub const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

impl AttrType {
    /// The name used in schema representations.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }
}

/// Whether and when an attribute may be written (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// When an attribute is returned in a response (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// How unique an attribute's value must be (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute definition (RFC 7643 §7). Built with the `const` constructors below so the
/// tables read like the RFC's schema representations.
#[derive(Debug, PartialEq, Eq)]
pub struct Attribute {
    pub name: &'static str,
    pub kind: AttrType,
    pub multi_valued: bool,
    pub description: &'static str,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [Attribute],
}

impl Attribute {
    /// A single-valued, optional, case-insensitive, read-write attribute of `kind`: the
    /// defaults of RFC 7643 §2.2.
    pub const fn new(name: &'static str, kind: AttrType) -> Self {
        Attribute {
            name,
            kind,
            multi_valued: false,
            description: "",
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
        }
    }
    pub const fn string(name: &'static str) -> Self {
        Self::new(name, AttrType::String)
    }
    pub const fn boolean(name: &'static str) -> Self {
        Self::new(name, AttrType::Boolean)
    }
    pub const fn date_time(name: &'static str) -> Self {
        Self::new(name, AttrType::DateTime)
    }
    pub const fn binary(name: &'static str) -> Self {
        Self::new(name, AttrType::Binary).case_exact()
    }
    pub const fn reference(name: &'static str, types: &'static [&'static str]) -> Self {
        Attribute {
            reference_types: types,
            ..Self::new(name, AttrType::Reference)
        }
        .case_exact()
    }
    pub const fn complex(name: &'static str, sub_attributes: &'static [Attribute]) -> Self {
        Attribute {
            sub_attributes,
            ..Self::new(name, AttrType::Complex)
        }
    }
    pub const fn multi(self) -> Self {
        Attribute {
            multi_valued: true,
            ..self
        }
    }
    pub const fn required(self) -> Self {
        Attribute {
            required: true,
            ..self
        }
    }
    pub const fn case_exact(self) -> Self {
        Attribute {
            case_exact: true,
            ..self
        }
    }
    pub const fn mutability(self, mutability: Mutability) -> Self {
        Attribute { mutability, ..self }
    }
    pub const fn read_only(self) -> Self {
        self.mutability(Mutability::ReadOnly)
    }
    pub const fn immutable(self) -> Self {
        self.mutability(Mutability::Immutable)
    }
    pub const fn returned(self, returned: Returned) -> Self {
        Attribute { returned, ..self }
    }
    pub const fn uniqueness(self, uniqueness: Uniqueness) -> Self {
        Attribute { uniqueness, ..self }
    }
    pub const fn canonical(self, canonical_values: &'static [&'static str]) -> Self {
        Attribute {
            canonical_values,
            ..self
        }
    }
    pub const fn describe(self, description: &'static str) -> Self {
        Attribute {
            description,
            ..self
        }
    }

    /// The sub-attribute called `name` (case-insensitive, RFC 7643 §2.1).
    pub fn sub_attribute(&self, name: &str) -> Option<&'static Attribute> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The `value` sub-attribute of a multi-valued complex attribute, which a filter or PATCH
    /// on the attribute itself compares against (RFC 7644 §3.4.2.2: `emails co "x"` means
    /// `emails.value co "x"`).
    pub fn value_sub_attribute(&self) -> Option<&'static Attribute> {
        if self.kind == AttrType::Complex {
            self.sub_attribute("value")
        } else {
            None
        }
    }

    pub fn is_complex(&self) -> bool {
        self.kind == AttrType::Complex
    }
}

/// A schema: a URN and its attributes (RFC 7643 §7).
#[derive(Debug, PartialEq, Eq)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [Attribute],
}

impl Schema {
    /// The top-level attribute called `name` (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&'static Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// An extension schema a resource type accepts (RFC 7643 §6 `schemaExtensions`).
#[derive(Debug, PartialEq, Eq)]
pub struct SchemaExtension {
    pub schema: &'static Schema,
    pub required: bool,
}

/// A resource type: endpoint, core schema and extensions (RFC 7643 §6).
#[derive(Debug, PartialEq, Eq)]
pub struct ResourceType {
    pub id: &'static str,
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static Schema,
    pub extensions: &'static [SchemaExtension],
}

/// The `User` resource type, with the enterprise extension.
pub static USER: ResourceType = ResourceType {
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER_SCHEMA,
    extensions: &[SchemaExtension {
        schema: &ENTERPRISE_USER_SCHEMA,
        required: false,
    }],
};

/// The `Group` resource type.
pub static GROUP: ResourceType = ResourceType {
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP_SCHEMA,
    extensions: &[],
};

/// Every resource type this crate knows, in the order the discovery documents list them.
pub static RESOURCE_TYPES: [&ResourceType; 2] = [&USER, &GROUP];

/// Where an attribute lives in a resource's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A common attribute (`id`, `externalId`, `meta`) or the `schemas` list: top level.
    Common,
    /// An attribute of the resource type's core schema: top level.
    Core,
    /// An attribute of an extension schema: inside the object under the schema's URN.
    Extension(&'static Schema),
}

impl Owner {
    /// The URN an attribute of this owner is qualified with in full notation, if any.
    pub fn urn(self, rtype: &ResourceType) -> Option<&'static str> {
        match self {
            Owner::Common => None,
            Owner::Core => Some(rtype.schema.id),
            Owner::Extension(schema) => Some(schema.id),
        }
    }
}

/// Which schema a URN prefix names, for a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaRef {
    Core,
    Extension(&'static Schema),
}

impl ResourceType {
    /// The core schema or an extension, by URN (URNs compare case-insensitively, RFC 8141 §3).
    pub fn schema_by_urn(&self, urn: &str) -> Option<SchemaRef> {
        if self.schema.id.eq_ignore_ascii_case(urn) {
            return Some(SchemaRef::Core);
        }
        self.extension_by_urn(urn).map(SchemaRef::Extension)
    }

    /// An extension schema of this type, by URN.
    pub fn extension_by_urn(&self, urn: &str) -> Option<&'static Schema> {
        self.extensions
            .iter()
            .map(|e| e.schema)
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Resolves an attribute name, optionally qualified by a schema URN, to its definition.
    /// Without a URN, names are looked up among the common attributes and the core schema
    /// (RFC 7644 §3.10: unqualified names belong to the core schema).
    pub fn attribute(&self, urn: Option<&str>, name: &str) -> Option<(Owner, &'static Attribute)> {
        match urn {
            None => {
                if name.eq_ignore_ascii_case(SCHEMAS_ATTRIBUTE.name) {
                    return Some((Owner::Common, &SCHEMAS_ATTRIBUTE));
                }
                COMMON_ATTRIBUTES
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(name))
                    .map(|a| (Owner::Common, a))
                    .or_else(|| self.schema.attribute(name).map(|a| (Owner::Core, a)))
            }
            Some(urn) => match self.schema_by_urn(urn)? {
                // The common attributes may be qualified with the core URN too.
                SchemaRef::Core => self.attribute(None, name),
                SchemaRef::Extension(schema) => schema
                    .attribute(name)
                    .map(|a| (Owner::Extension(schema), a)),
            },
        }
    }

    /// Every schema of this type: core first, then extensions.
    pub fn schemas(&self) -> impl Iterator<Item = &'static Schema> + '_ {
        std::iter::once(self.schema).chain(self.extensions.iter().map(|e| e.schema))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_lookup_is_case_insensitive_and_urn_aware() {
        let (owner, attr) = USER.attribute(None, "USERNAME").unwrap();
        assert_eq!((owner, attr.name), (Owner::Core, "userName"));
        let (owner, attr) = USER.attribute(Some(USER_URN), "userName").unwrap();
        assert_eq!((owner, attr.name), (Owner::Core, "userName"));
        let (owner, attr) = USER
            .attribute(Some(&ENTERPRISE_USER_URN.to_uppercase()), "employeenumber")
            .unwrap();
        assert_eq!(owner, Owner::Extension(&ENTERPRISE_USER_SCHEMA));
        assert_eq!(attr.name, "employeeNumber");
        assert_eq!(USER.attribute(None, "id").unwrap().0, Owner::Common);
        assert_eq!(
            USER.attribute(Some(USER_URN), "meta").unwrap().0,
            Owner::Common
        );
        assert!(USER.attribute(None, "employeeNumber").is_none());
        assert!(
            GROUP
                .attribute(Some(ENTERPRISE_USER_URN), "employeeNumber")
                .is_none()
        );
    }

    #[test]
    fn characteristics_follow_rfc_7643() {
        let user_name = USER_SCHEMA.attribute("userName").unwrap();
        assert!(user_name.required && !user_name.case_exact);
        assert_eq!(user_name.uniqueness, Uniqueness::Server);
        let password = USER_SCHEMA.attribute("password").unwrap();
        assert_eq!(password.returned, Returned::Never);
        assert_eq!(password.mutability, Mutability::WriteOnly);
        let groups = USER_SCHEMA.attribute("groups").unwrap();
        assert_eq!(groups.mutability, Mutability::ReadOnly);
        assert!(groups.multi_valued);
        let id = USER.attribute(None, "id").unwrap().1;
        assert_eq!((id.returned, id.case_exact), (Returned::Always, true));
        let members = GROUP_SCHEMA.attribute("members").unwrap();
        assert_eq!(
            members.sub_attribute("value").unwrap().mutability,
            Mutability::Immutable
        );
        let manager = ENTERPRISE_USER_SCHEMA.attribute("manager").unwrap();
        assert_eq!(
            manager.sub_attribute("displayName").unwrap().mutability,
            Mutability::ReadOnly
        );
    }
}
