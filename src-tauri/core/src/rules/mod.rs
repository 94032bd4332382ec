//! Provisioning decisions, pure: from an SSO provider's options, what the IdP said, and the
//! account as it stands, to what the site does — and a trace that says why, one step per
//! option that decided something, naming the option and its value
//! (`provision_group_required = "IT,Support*": user is in "Support-EU" → provisioned`).
//!
//! No IO, no clock, no database: the site loads the facts, calls these functions, and applies
//! the result; the dry run calls the very same functions and applies nothing.

mod decide;
mod options;
mod patterns;
mod trace;

pub use decide::{
    Deprovision, GroupDeleted, GroupStatus, Membership, SignIn, UserFacts, UserInput,
    evaluate_group, evaluate_user, group_admin, group_deleted, membership_added,
    membership_removed, sign_in, user_deleted,
};
pub use options::{
    Account, AuthMethod, DeprovisionBehavior, DisabledReason, GroupsFrom, Options, Role, Settings,
    Status, TwoFactor,
};
pub use patterns::{PatternError, Patterns};
pub use trace::Trace;
