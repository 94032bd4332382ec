use super::*;
use crate::rules::Patterns;

fn settings() -> Settings {
    Settings {
        require_2fa: false,
        time_zone: "Europe/Amsterdam".into(),
    }
}

fn list(text: &str) -> Patterns {
    Patterns::parse(text).unwrap()
}

fn groups(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

fn evaluate(
    options: &Options,
    current: Option<&Account>,
    idp_groups: &[String],
    active: Option<bool>,
) -> (Account, Trace) {
    let mut trace = Trace::new();
    let settings = settings();
    let input = UserInput {
        options,
        settings: &settings,
        facts: UserFacts {
            user_name: "alice",
            idp_groups,
            groups_from: GroupsFrom::PushedGroups,
            organization: None,
        },
        current,
        active,
    };
    (evaluate_user(&input, &mut trace), trace)
}

#[test]
fn required_groups_hold_release_and_hold_again() {
    let options = Options {
        provision_group_required: list("IT,Support*"),
        ..Options::default()
    };
    let (held, trace) = evaluate(&options, None, &groups(&["Sales"]), Some(true));
    assert_eq!(held.status, Status::Held);
    assert_eq!(
        held.held_reason.as_deref(),
        Some("not in any group of provision_group_required \"IT,Support*\"")
    );
    assert!(trace.steps().contains(&"provision_group_required = \"IT,Support*\": user is in \"Sales\" (the IdP groups the user was pushed into) → held".to_owned()), "{trace}");

    let (released, trace) = evaluate(
        &options,
        Some(&held),
        &groups(&["Sales", "Support-EU"]),
        None,
    );
    assert_eq!(released.status, Status::Active);
    assert!(
        trace.steps().contains(
            &"provision_group_required = \"IT,Support*\": user is in \"Support-EU\" → provisioned"
                .to_owned()
        ),
        "{trace}"
    );
    assert!(
        trace.steps().iter().any(|s| s.contains("is released")),
        "{trace}"
    );

    let (again, trace) = evaluate(&options, Some(&released), &groups(&["Sales"]), None);
    assert_eq!(again.status, Status::Held);
    assert!(
        trace.steps().iter().any(|s| s.contains("held again")),
        "{trace}"
    );
}

#[test]
fn site_admin_wins_over_read_only_site_admin() {
    let options = Options {
        provision_site_admin_groups: list("Administrators,Domain Admin"),
        provision_readonly_site_admin_groups: list("Support Admins"),
        ..Options::default()
    };
    let (both, trace) = evaluate(
        &options,
        None,
        &groups(&["Support Admins", "Domain Admin"]),
        None,
    );
    assert_eq!(both.role, Role::SiteAdmin);
    assert!(trace.steps().contains(&"provision_site_admin_groups = \"Administrators,Domain Admin\": user is in \"Domain Admin\" → role site_admin".to_owned()), "{trace}");
    let (readonly, _) = evaluate(&options, Some(&both), &groups(&["Support Admins"]), None);
    assert_eq!(readonly.role, Role::ReadonlySiteAdmin);
    let (user, trace) = evaluate(&options, Some(&readonly), &groups(&[]), None);
    assert_eq!(user.role, Role::User);
    assert!(
        trace
            .steps()
            .iter()
            .any(|s| s.ends_with("user is in none of them → role user")),
        "{trace}"
    );
    // Without any mapping the role is left alone.
    let manual = Account {
        role: Role::SiteAdmin,
        ..Account::new()
    };
    let (kept, _) = evaluate(&Options::default(), Some(&manual), &groups(&[]), None);
    assert_eq!(kept.role, Role::SiteAdmin);
}

#[test]
fn active_false_disables_and_only_active_true_re_enables() {
    let options = Options::default();
    let (disabled, trace) = evaluate(&options, None, &[], Some(false));
    assert_eq!(
        (disabled.status, disabled.disabled_reason),
        (Status::Disabled, Some(DisabledReason::Idp))
    );
    assert!(
        trace
            .steps()
            .iter()
            .any(|s| s.starts_with("active = false from the IdP")),
        "{trace}"
    );
    let (still, _) = evaluate(&options, Some(&disabled), &[], None);
    assert_eq!(still.status, Status::Disabled);
    let by_rule = Account {
        status: Status::Disabled,
        disabled_reason: Some(DisabledReason::LifecycleRule),
        ..Account::new()
    };
    let (enabled, trace) = evaluate(&options, Some(&by_rule), &[], Some(true));
    assert_eq!(enabled.status, Status::Active);
    assert!(
        trace.steps().contains(
            &"active = true from the IdP → re-enabled (it was disabled: by a user lifecycle rule)"
                .to_owned()
        ),
        "{trace}"
    );
}

#[test]
fn provisioning_defaults_are_set_once() {
    let options = Options {
        provision_time_zone: "America/New_York".into(),
        provision_ftp_permission: true,
        provision_require_2fa: TwoFactor::AlwaysRequire,
        provision_company: "Acme".into(),
        provision_email_signup_groups: list("Contractors"),
        ..Options::default()
    };
    let (account, trace) = evaluate(&options, None, &groups(&["Contractors"]), None);
    assert_eq!(account.time_zone.as_deref(), Some("America/New_York"));
    assert!(
        (
            account.ftp_permission,
            account.dav_permission,
            account.sftp_permission
        ) == (true, false, false)
    );
    assert!(account.require_2fa);
    assert_eq!(account.company.as_deref(), Some("Acme"));
    assert_eq!(account.authentication_method, AuthMethod::EmailSignup);
    assert!(
        trace
            .steps()
            .contains(&"provision_require_2fa = always_require: 2FA required".to_owned()),
        "{trace}"
    );
    // The time zone of an existing account is not reset by a later update.
    let moved = Account {
        time_zone: Some("Asia/Tokyo".into()),
        ..account
    };
    let (updated, _) = evaluate(&options, Some(&moved), &groups(&[]), None);
    assert_eq!(updated.time_zone.as_deref(), Some("Asia/Tokyo"));
    assert_eq!(updated.authentication_method, AuthMethod::Sso);
    // Blank time zone: the site's.
    let (site_tz, trace) = evaluate(&Options::default(), None, &[], None);
    assert_eq!(site_tz.time_zone.as_deref(), Some("Europe/Amsterdam"));
    assert!(
        trace
            .steps()
            .iter()
            .any(|s| s.contains("the site's time zone \"Europe/Amsterdam\"")),
        "{trace}"
    );
}

#[test]
fn exclusion_wins_over_inclusion() {
    let options = Options {
        provision_group_inclusion: list("Eng*"),
        provision_group_exclusion: list("*-Contractors"),
        ..Options::default()
    };
    let mut trace = Trace::new();
    assert_eq!(
        evaluate_group(&options, "Engineering", &mut trace),
        GroupStatus::Active
    );
    let excluded = evaluate_group(&options, "Eng-Contractors", &mut trace);
    assert_eq!(
        excluded,
        GroupStatus::Held("excluded by provision_group_exclusion \"*-Contractors\"".into())
    );
    assert!(
        trace
            .steps()
            .iter()
            .any(|s| s.contains("despite matching provision_group_inclusion \"Eng*\"")),
        "{trace}"
    );
    assert!(
        matches!(evaluate_group(&options, "Sales", &mut trace), GroupStatus::Held(r) if r.starts_with("not in provision_group_inclusion"))
    );
}

#[test]
fn memberships_follow_the_group_options() {
    let mut trace = Trace::new();
    let on = Options::default();
    assert_eq!(
        membership_added(&on, "alice", false, "IT", &GroupStatus::Active, &mut trace),
        Membership::Apply
    );
    assert_eq!(
        membership_added(&on, "alice", true, "IT", &GroupStatus::Active, &mut trace),
        Membership::RecordOnly
    );
    assert_eq!(
        membership_added(
            &on,
            "alice",
            false,
            "IT",
            &GroupStatus::Held("x".into()),
            &mut trace
        ),
        Membership::RecordOnly
    );
    let off = Options {
        provision_groups: false,
        deprovision_groups: false,
        ..Options::default()
    };
    assert_eq!(
        membership_added(&off, "alice", false, "IT", &GroupStatus::Active, &mut trace),
        Membership::RecordOnly
    );
    assert_eq!(
        membership_removed(&off, "alice", "IT", &mut trace),
        Membership::RecordOnly
    );
    assert_eq!(
        membership_removed(&on, "alice", "IT", &mut trace),
        Membership::Apply
    );
    assert!(
        trace.steps().contains(
            &"deprovision_groups = false: 'alice' stays in \"IT\" on the site".to_owned()
        ),
        "{trace}"
    );
}

#[test]
fn deletes_follow_deprovision_options() {
    let mut trace = Trace::new();
    assert_eq!(
        user_deleted(&Options::default(), "alice", &mut trace),
        Deprovision::Disable
    );
    let delete = Options {
        deprovision_behavior: DeprovisionBehavior::Delete,
        ..Options::default()
    };
    assert_eq!(
        user_deleted(&delete, "alice", &mut trace),
        Deprovision::Delete
    );
    let off = Options {
        deprovision_users: false,
        ..delete
    };
    assert_eq!(
        user_deleted(&off, "alice", &mut trace),
        Deprovision::EndManagement
    );
    assert_eq!(
        trace.steps()[2],
        "deprovision_users = false: the IdP's DELETE ends SCIM management; 'alice' stays, active, as a local account"
    );
}

#[test]
fn sign_in_creates_only_with_provision_users() {
    let mut trace = Trace::new();
    let on = Options {
        provision_users: true,
        ..Options::default()
    };
    assert_eq!(sign_in(&on, "bob", None, &mut trace), SignIn::Create);
    assert!(matches!(
        sign_in(&Options::default(), "bob", None, &mut trace),
        SignIn::Refused(_)
    ));
    assert!(
        matches!(sign_in(&on, "bob", Some((false, Status::Active)), &mut trace), SignIn::Refused(r) if r.contains("not associated"))
    );
    assert_eq!(
        sign_in(&on, "bob", Some((true, Status::Active)), &mut trace),
        SignIn::SignIn
    );
    assert!(
        matches!(sign_in(&on, "bob", Some((true, Status::Held)), &mut trace), SignIn::Refused(r) if r.contains("held"))
    );
}
