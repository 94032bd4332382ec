//! The core Group schema (RFC 7643 §4.2 and §8.7.1).
//!
//! `displayName` is required, as §4.2 says (the §8.7.1 representation's `"required": false`
//! contradicts it; every IdP sends it). `members.display` is not in §8.7.1 but appears in the
//! RFC's own examples and in Okta's member adds, so it is kept, immutable like its siblings.

use super::{Attribute, Schema};

const MEMBERS: &[Attribute] = &[
    Attribute::string("value")
        .case_exact()
        .immutable()
        .describe("The id of the member's SCIM resource."),
    Attribute::reference("$ref", &["User", "Group"])
        .immutable()
        .describe("The URI of the member's SCIM resource."),
    Attribute::string("display")
        .immutable()
        .describe("A human-readable name of the member."),
    Attribute::string("type")
        .canonical(&["User", "Group"])
        .immutable()
        .describe("The type of the member's resource."),
];

/// `urn:ietf:params:scim:schemas:core:2.0:Group`.
pub static GROUP_SCHEMA: Schema = Schema {
    id: super::GROUP_URN,
    name: "Group",
    description: "Group",
    attributes: &[
        Attribute::string("displayName")
            .required()
            .describe("A human-readable name for the group."),
        Attribute::complex("members", MEMBERS)
            .multi()
            .describe("A list of members of the group."),
    ],
};
