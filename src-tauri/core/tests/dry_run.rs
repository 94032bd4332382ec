//! A dry run is the real operation rolled back: for the same request it decides the same way
//! (the same trace, step for step, and the same account changes) and keeps nothing.

use std::sync::Arc;

use serde_json::{Value, json};
use workbench_core::clock::ManualClock;
use workbench_core::site::{Caller, Outcome, ProviderKind, Site, groups, providers, users};
use workbench_core::store::{Location, Store};
use workbench_scim::Tolerances;

async fn site(dir: &tempfile::TempDir) -> (Site, Caller) {
    let store = Store::open(&Location::File(dir.path().join("w.db")))
        .await
        .expect("store");
    let site = Site::new(store, Arc::new(ManualClock::at(1_780_000_000_000)));
    let (provider, _) = providers::create(&site, "Okta", ProviderKind::Okta, None)
        .await
        .expect("provider");
    let assignments: Vec<(String, String)> = [
        ("provision_group_required", "IT, Support*"),
        ("provision_site_admin_groups", "IT"),
        ("provision_group_admin_groups", "Support*"),
        ("provision_company", "Acme"),
    ]
    .iter()
    .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
    .collect();
    let provider = providers::set(&site, &provider.id, &assignments)
        .await
        .expect("options");
    let caller = Caller {
        provider,
        dry_run: false,
        base_url: "http://127.0.0.1/api/scim".into(),
    };
    (site, caller)
}

fn rehearsal(caller: &Caller) -> Caller {
    Caller {
        dry_run: true,
        ..caller.clone()
    }
}

/// What a state looks like from outside: every user and group with its site fields.
async fn snapshot(site: &Site) -> Value {
    serde_json::to_value(
        workbench_core::site::document::export(site)
            .await
            .expect("export"),
    )
    .map(|mut v| {
        v["exported_at"] = Value::Null;
        v
    })
    .expect("JSON")
}

/// The same trace and the same changes (a created resource's id is new on each request).
fn same_decision(dry: &Outcome, real: &Outcome) {
    assert!(!real.trace.is_empty(), "the real request decided something");
    assert_eq!(dry.trace, real.trace, "the same trace, step for step");
    let described = |o: &Outcome| {
        o.changes
            .iter()
            .map(|c| {
                (
                    c.action.clone(),
                    c.target_name.clone(),
                    c.detail.clone(),
                    c.trace.clone(),
                    c.at,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(described(dry), described(real), "the same account changes");
}

#[tokio::test]
async fn a_dry_run_decides_like_the_real_request_and_keeps_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let (site, caller) = site(&dir).await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "alice@example.com",
        "groups": [{"value": "x", "display": "Support-EU"}, {"value": "y", "display": "IT"}],
        "active": true
    });

    // User create.
    let before = snapshot(&site).await;
    let mut dry = Outcome::default();
    let rehearsed = users::create(
        &site,
        &rehearsal(&caller),
        body.clone(),
        &mut Tolerances::new(),
        &mut dry,
    )
    .await
    .expect("dry run");
    assert_eq!(snapshot(&site).await, before, "a dry run keeps nothing");
    let mut real = Outcome::default();
    let created = users::create(&site, &caller, body, &mut Tolerances::new(), &mut real)
        .await
        .expect("create");
    same_decision(&dry, &real);
    assert!(
        real.trace
            .steps()
            .iter()
            .any(|s| s
                == "provision_site_admin_groups = \"IT\": user is in \"IT\" → role site_admin"),
        "{:?}",
        real.trace
    );
    assert_eq!(
        rehearsed.to_value()["userName"],
        created.to_value()["userName"]
    );

    // A group with the user pushed in, then the membership removed (group PATCH).
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Support-EU",
        "members": [{"value": created.id()}]});
    let mut real = Outcome::default();
    let group = groups::create(&site, &caller, group, &mut Tolerances::new(), &mut real)
        .await
        .expect("group");
    let removal = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Remove", "path": "members", "value": [{"value": created.id()}]}
    ]});
    let before = snapshot(&site).await;
    let (mut dry, mut real) = (Outcome::default(), Outcome::default());
    groups::patch(
        &site,
        &rehearsal(&caller),
        group.id(),
        removal.clone(),
        None,
        groups::Want::Nothing,
        &mut Tolerances::new(),
        &mut dry,
    )
    .await
    .expect("dry run");
    assert_eq!(snapshot(&site).await, before, "a dry run keeps nothing");
    groups::patch(
        &site,
        &caller,
        group.id(),
        removal,
        None,
        groups::Want::Nothing,
        &mut Tolerances::new(),
        &mut real,
    )
    .await
    .expect("patch");
    same_decision(&dry, &real);

    // A user DELETE (de-provisioned: disabled).
    let before = snapshot(&site).await;
    let (mut dry, mut real) = (Outcome::default(), Outcome::default());
    users::delete(&site, &rehearsal(&caller), created.id(), None, &mut dry)
        .await
        .expect("dry run");
    assert_eq!(snapshot(&site).await, before, "a dry run keeps nothing");
    users::delete(&site, &caller, created.id(), None, &mut real)
        .await
        .expect("delete");
    same_decision(&dry, &real);
    assert_ne!(
        snapshot(&site).await,
        before,
        "the real request changed the site"
    );
    site.store().close().await;
}
