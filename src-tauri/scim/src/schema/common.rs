//! The common attributes every resource carries (RFC 7643 §3.1), and the `schemas` list.
//! They are not part of any schema's `/Schemas` representation.

use super::{AttrType, Attribute, Returned, Uniqueness};

const META: &[Attribute] = &[
    Attribute::string("resourceType")
        .case_exact()
        .read_only()
        .describe("The name of the resource type of the resource."),
    Attribute::date_time("created")
        .read_only()
        .describe("When the resource was added to the service provider."),
    Attribute::date_time("lastModified")
        .read_only()
        .describe("When the resource was last changed."),
    Attribute::reference("location", &["uri"])
        .read_only()
        .describe("The URI of the resource being returned."),
    Attribute::string("version")
        .case_exact()
        .read_only()
        .describe("The version (entity tag) of the resource."),
];

/// `id`, `externalId` and `meta`, in the order they are rendered.
pub static COMMON_ATTRIBUTES: [Attribute; 3] = [
    Attribute::string("id")
        .case_exact()
        .read_only()
        .returned(Returned::Always)
        .uniqueness(Uniqueness::Server)
        .describe("Unique identifier for the resource, assigned by the service provider."),
    Attribute::string("externalId")
        .case_exact()
        .describe("Identifier of the resource as defined by the provisioning client."),
    Attribute::complex("meta", META)
        .read_only()
        .describe("Resource metadata."),
];

/// The `schemas` list of a resource: filterable (`schemas eq "urn:…"`), always returned,
/// computed by the server from the attributes present.
/// URNs compare case-insensitively (RFC 8141 §3), so unlike other references it is not
/// `caseExact`.
pub static SCHEMAS_ATTRIBUTE: Attribute = Attribute {
    reference_types: &["uri"],
    ..Attribute::new("schemas", AttrType::Reference)
}
.multi()
.read_only()
.returned(Returned::Always)
.describe("The schema URNs the resource's attributes belong to.");
