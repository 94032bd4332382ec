//! The core User schema (RFC 7643 §4.1 and §8.7.1).

use super::{Attribute, Mutability, Returned, Schema, Uniqueness};

const NAME: &[Attribute] = &[
    Attribute::string("formatted")
        .describe("The full name, formatted for display (e.g. 'Ms. Barbara J Jensen, III')."),
    Attribute::string("familyName")
        .describe("The family name (last name in most Western languages)."),
    Attribute::string("givenName")
        .describe("The given name (first name in most Western languages)."),
    Attribute::string("middleName").describe("The middle name(s)."),
    Attribute::string("honorificPrefix").describe("The honorific prefix(es) (e.g. 'Ms.')."),
    Attribute::string("honorificSuffix").describe("The honorific suffix(es) (e.g. 'III')."),
];

/// The `value`, `display`, `type` and `primary` quartet shared by most multi-valued attributes.
macro_rules! multi_valued_item {
    ($value:expr, $what:literal, $types:expr) => {
        &[
            $value,
            Attribute::string("display").describe("A human-readable name, primarily for display."),
            Attribute::string("type")
                .canonical($types)
                .describe(concat!("A label indicating the ", $what, "'s function.")),
            Attribute::boolean("primary").describe(concat!(
                "Whether this is the preferred ",
                $what,
                "."
            )),
        ]
    };
}

const EMAILS: &[Attribute] = multi_valued_item!(
    Attribute::string("value").describe("An email address, canonicalized per RFC 5321."),
    "email address",
    &["work", "home", "other"]
);
const PHONE_NUMBERS: &[Attribute] = multi_valued_item!(
    Attribute::string("value").describe("A phone number, canonicalized per RFC 3966."),
    "phone number",
    &["work", "home", "mobile", "fax", "pager", "other"]
);
const IMS: &[Attribute] = multi_valued_item!(
    Attribute::string("value").describe("An instant messaging address."),
    "instant messaging address",
    &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]
);
const PHOTOS: &[Attribute] = multi_valued_item!(
    Attribute::reference("value", &["external"]).describe("The URL of an image of the user."),
    "photo",
    &["photo", "thumbnail"]
);
const ENTITLEMENTS: &[Attribute] = multi_valued_item!(
    Attribute::string("value").describe("The value of an entitlement."),
    "entitlement",
    &[]
);
const ROLES: &[Attribute] = multi_valued_item!(
    Attribute::string("value").describe("The value of a role."),
    "role",
    &[]
);
const X509_CERTIFICATES: &[Attribute] = multi_valued_item!(
    Attribute::binary("value").describe("The value of an X.509 certificate (base64 DER)."),
    "certificate",
    &[]
);

const ADDRESSES: &[Attribute] = &[
    Attribute::string("formatted").describe("The full mailing address, formatted for display."),
    Attribute::string("streetAddress").describe("The street address (house number, street)."),
    Attribute::string("locality").describe("The city or locality."),
    Attribute::string("region").describe("The state or region."),
    Attribute::string("postalCode").describe("The zip or postal code."),
    Attribute::string("country").describe("The country, as an ISO 3166-1 alpha-2 code."),
    Attribute::string("type")
        .canonical(&["work", "home", "other"])
        .describe("A label indicating the address's function."),
    Attribute::boolean("primary").describe("Whether this is the preferred mailing address."),
];

const GROUPS: &[Attribute] = &[
    Attribute::string("value")
        .case_exact()
        .read_only()
        .describe("The id of the group."),
    Attribute::reference("$ref", &["User", "Group"])
        .read_only()
        .describe("The URI of the group resource."),
    Attribute::string("display")
        .read_only()
        .describe("A human-readable name of the group."),
    Attribute::string("type")
        .canonical(&["direct", "indirect"])
        .read_only()
        .describe("Whether the membership is direct or through another group."),
];

/// `urn:ietf:params:scim:schemas:core:2.0:User`.
pub static USER_SCHEMA: Schema = Schema {
    id: super::USER_URN,
    name: "User",
    description: "User Account",
    attributes: &[
        Attribute::string("userName")
            .required()
            .uniqueness(Uniqueness::Server)
            .describe("Unique identifier for the user, used to sign in. REQUIRED."),
        Attribute::complex("name", NAME).describe("The components of the user's real name."),
        Attribute::string("displayName").describe("The name of the user, suitable for display."),
        Attribute::string("nickName").describe("The casual way to address the user."),
        Attribute::reference("profileUrl", &["external"])
            .describe("A URI of the user's online profile."),
        Attribute::string("title").describe("The user's title, such as 'Vice President'."),
        Attribute::string("userType")
            .describe("The relationship between the organization and the user ('Employee' ...)."),
        Attribute::string("preferredLanguage")
            .describe("The user's preferred language (RFC 7231 Accept-Language format)."),
        Attribute::string("locale").describe("The user's default location (e.g. 'en-US')."),
        Attribute::string("timezone").describe("The user's time zone, in IANA format."),
        Attribute::boolean("active").describe("The user's administrative status."),
        Attribute::string("password")
            .mutability(Mutability::WriteOnly)
            .returned(Returned::Never)
            .describe("The user's cleartext password; never returned."),
        Attribute::complex("emails", EMAILS)
            .multi()
            .describe("Email addresses for the user."),
        Attribute::complex("phoneNumbers", PHONE_NUMBERS)
            .multi()
            .describe("Phone numbers for the user."),
        Attribute::complex("ims", IMS)
            .multi()
            .describe("Instant messaging addresses."),
        Attribute::complex("photos", PHOTOS)
            .multi()
            .describe("URLs of photos of the user."),
        Attribute::complex("addresses", ADDRESSES)
            .multi()
            .describe("Physical mailing addresses."),
        Attribute::complex("groups", GROUPS)
            .multi()
            .read_only()
            .describe("The groups the user belongs to, derived from group memberships."),
        Attribute::complex("entitlements", ENTITLEMENTS)
            .multi()
            .describe("Entitlements the user has."),
        Attribute::complex("roles", ROLES)
            .multi()
            .describe("Roles the user has."),
        Attribute::complex("x509Certificates", X509_CERTIFICATES)
            .multi()
            .describe("X.509 certificates issued to the user."),
    ],
};
