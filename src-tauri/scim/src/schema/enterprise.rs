//! The enterprise User extension (RFC 7643 §4.3 and §8.7.1).

use super::{Attribute, Schema};

const MANAGER: &[Attribute] = &[
    Attribute::string("value")
        .case_exact()
        .describe("The id of the SCIM resource of the user's manager."),
    Attribute::reference("$ref", &["User"]).describe("The URI of the manager's resource."),
    Attribute::string("displayName")
        .read_only()
        .describe("The manager's display name."),
];

/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
pub static ENTERPRISE_USER_SCHEMA: Schema = Schema {
    id: super::ENTERPRISE_USER_URN,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        Attribute::string("employeeNumber")
            .describe("A string identifier, typically numeric or alphanumeric, of the user."),
        Attribute::string("costCenter").describe("The name of a cost center."),
        Attribute::string("organization").describe("The name of an organization."),
        Attribute::string("division").describe("The name of a division."),
        Attribute::string("department").describe("The name of a department."),
        Attribute::complex("manager", MANAGER).describe("The user's manager."),
    ],
};
