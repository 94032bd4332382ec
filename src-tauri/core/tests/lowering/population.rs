//! One populated site shared by the lowering tests: users and groups written through the site
//! API (so rows, keys and the folded JSON are what production writes), then read back as their
//! `GET` representations, which the reference evaluator judges.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use workbench_core::clock::ManualClock;
use workbench_core::site::{self, Caller, ProviderKind, Site, groups, providers, users};
use workbench_core::store::{Location, Store};
use workbench_scim::Tolerances;

/// 2026-03-01T00:00:00Z: every write happens at or after this instant.
pub const EPOCH_MS: i64 = 1_772_323_200_000;

pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Sign-in names: mixed case, non-ASCII letters whose lower case changes length (İ), letters
/// that fold to ASCII (Kelvin sign), final sigma, and names whose folds differ only subtly.
const USER_NAMES: &[&str] = &[
    "alice",
    "Alice.Smith",
    "BOB",
    "bob.jones",
    "Élodie",
    "élodie.m",
    "ÉMILE",
    "straße",
    "STRASSE",
    "Straße.Ost",
    "İpek",
    "ipek.k",
    "\u{212A}elvin",
    "KARL",
    "Σωκράτης",
    "σοφία",
    "ΟΔΥΣΣΕΑΣ",
    "zoë",
    "ZOË.x",
    "Øystein",
    "ñandú",
    "o'brien",
    "quote\"d",
    "Zed",
];

const DISPLAY_NAMES: &[Option<&str>] = &[
    Some("Alice Smith"),
    Some("alice smith"),
    None,
    Some(""),
    Some("ÉLODIE Martin"),
    Some("Straße Meister"),
    Some("İpek Yılmaz"),
    Some("Σωκράτης Π."),
    None,
    Some("\u{212A}elvin Klein"),
    Some("bob"),
];

const TITLES: &[Option<&str>] = &[
    Some("Engineer"),
    Some("engineer"),
    None,
    Some("ENGINEER II"),
    Some("Ingénieur"),
    Some(""),
    Some("Straßenbauer"),
    None,
    Some("Σύμβουλος"),
];

const FAMILY_NAMES: &[&str] = &[
    "Müller",
    "MÜLLER",
    "Straße",
    "Öztürk",
    "İnce",
    "Παπαδόπουλος",
    "o'Brien",
    "",
    "smith",
];

const DOMAINS: &[&str] = &["Example.com", "example.ORG", "müller.DE"];
const EMAIL_TYPES: &[&str] = &["work", "home", "other", "Work"];
const DEPARTMENTS: &[&str] = &["R&D", "r&d", "Sales", "SALES", "Ventes Été", ""];

/// A resource as the test knows it: its id and `GET` representation.
#[derive(Debug, Clone)]
pub struct Known {
    pub id: String,
    pub json: Map<String, Value>,
}

/// The shared site.
#[derive(Debug)]
pub struct World {
    pub runtime: tokio::runtime::Runtime,
    pub site: Site,
    pub caller: Caller,
    /// In creation order (the order of `seq`).
    pub users: Vec<Known>,
    pub groups: Vec<Known>,
    _dir: tempfile::TempDir,
}

impl World {
    /// Builds the site; panics on any failure (a broken fixture is a broken test).
    pub fn build() -> World {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("lowering.db");
        let (site, caller, users, groups) = runtime.block_on(populate(path));
        World {
            runtime,
            site,
            caller,
            users,
            groups,
            _dir: dir,
        }
    }
}

/// Deterministic variety: user `i`'s choices are fixed functions of `i`.
fn user_body(i: usize, earlier: &[String]) -> Value {
    let mut body = Map::new();
    let base = USER_NAMES[i % USER_NAMES.len()];
    let user_name = if i < USER_NAMES.len() {
        base.to_owned()
    } else {
        format!("{base}.{i}")
    };
    body.insert("userName".into(), json!(user_name));
    if let Some(d) = DISPLAY_NAMES[i % DISPLAY_NAMES.len()] {
        body.insert("displayName".into(), json!(d));
    }
    if let Some(t) = TITLES[i % TITLES.len()] {
        body.insert("title".into(), json!(t));
    }
    if i % 4 == 1 {
        body.insert("nickName".into(), json!(base.to_uppercase()));
    }
    match i % 5 {
        0 => body.insert("externalId".into(), json!(format!("EXT-{i:03}"))),
        1 => body.insert("externalId".into(), json!(format!("ext-{i:03}"))),
        2 => body.insert("externalId".into(), json!("")),
        3 => body.insert("externalId".into(), json!(format!("Ext-É{}", i % 7))),
        _ => None,
    };
    match i % 3 {
        0 => body.insert("active".into(), json!(true)),
        1 => body.insert("active".into(), json!(false)),
        _ => None,
    };
    let family = FAMILY_NAMES[i % FAMILY_NAMES.len()];
    match i % 4 {
        0 => body.insert(
            "name".into(),
            json!({"familyName": family, "givenName": base}),
        ),
        1 => body.insert("name".into(), json!({"givenName": base.to_lowercase()})),
        2 => body.insert("name".into(), json!({"familyName": family})),
        _ => None,
    };
    let emails = emails(i, &user_name);
    if !emails.is_empty() {
        body.insert("emails".into(), Value::Array(emails));
    }
    if i % 3 != 2 {
        let mut phone = json!({"value": format!("+49 30 {:04}", i * 37 % 10_000)});
        if i.is_multiple_of(2) {
            phone["type"] = json!(if i.is_multiple_of(4) {
                "mobile"
            } else {
                "Work"
            });
        }
        if i.is_multiple_of(6) {
            phone["primary"] = json!(true);
        }
        body.insert("phoneNumbers".into(), json!([phone]));
    }
    if !i.is_multiple_of(3) {
        let mut ext = Map::new();
        ext.insert("employeeNumber".into(), json!(format!("E{i:04}")));
        if i % 7 != 3 {
            ext.insert(
                "department".into(),
                json!(DEPARTMENTS[i % DEPARTMENTS.len()]),
            );
        }
        if let Some(manager) = earlier.get(i / 2).filter(|_| i % 5 != 4) {
            ext.insert("manager".into(), json!({"value": manager}));
        }
        body.insert(ENTERPRISE.into(), Value::Object(ext));
    }
    Value::Object(body)
}

/// 0–3 addresses with canonical and non-canonical types and every primary arrangement.
fn emails(i: usize, user_name: &str) -> Vec<Value> {
    let count = i % 4;
    (0..count)
        .map(|j| {
            let local = if j == 1 {
                user_name.to_uppercase()
            } else {
                user_name.to_owned()
            };
            let mut item = Map::new();
            let value = if (i + j) % 11 == 5 {
                String::new()
            } else {
                format!("{local}@{}", DOMAINS[(i + j) % DOMAINS.len()])
            };
            item.insert("value".into(), json!(value));
            if (i + j) % 3 != 1 {
                item.insert(
                    "type".into(),
                    json!(EMAIL_TYPES[(i + j) % EMAIL_TYPES.len()]),
                );
            }
            let primary = match i % 5 {
                1 => Some(j == 0),
                2 => (j + 1 == count).then_some(true),
                3 => Some(false),
                _ => None,
            };
            if let Some(p) = primary {
                item.insert("primary".into(), json!(p));
            }
            if i.is_multiple_of(7) {
                item.insert("display".into(), json!(format!("Mail {j} of {user_name}")));
            }
            Value::Object(item)
        })
        .collect()
}

const GROUP_NAMES: &[&str] = &[
    "Engineering",
    "Ingénierie",
    "STRASSE Team",
    "straße team",
    "Σύμβουλοι",
    "İdari",
    "Admins",
    "Empty",
];

/// The user indexes in group `g`.
fn members_of(g: usize, user_count: usize) -> Vec<usize> {
    (0..user_count)
        .filter(|i| match g {
            0 => i.is_multiple_of(2),
            1 => i.is_multiple_of(3),
            2 => i % 5 == 1,
            3 => i % 7 == 2,
            4 => *i < 6,
            5 => i % 11 == 4,
            6 => *i == 3,
            _ => false,
        })
        .collect()
}

async fn populate(path: std::path::PathBuf) -> (Site, Caller, Vec<Known>, Vec<Known>) {
    let store = Store::open(&Location::File(path))
        .await
        .expect("the store opens");
    let clock = ManualClock::at(EPOCH_MS);
    let site = Site::new(store, Arc::new(clock.clone()));
    let (provider, _) = providers::create(&site, "p", ProviderKind::Okta, None)
        .await
        .expect("a provider");
    let caller = Caller {
        provider,
        dry_run: false,
        base_url: "http://x/api/scim".into(),
    };
    // A second provider's user must never show up in the first one's lists.
    let (other, _) = providers::create(&site, "q", ProviderKind::EntraId, None)
        .await
        .expect("a second provider");
    let other = Caller {
        provider: other,
        dry_run: false,
        base_url: caller.base_url.clone(),
    };
    users::create(
        &site,
        &other,
        json!({"userName": "alice.other"}),
        &mut tol(),
        &mut Default::default(),
    )
    .await
    .expect("the other provider's user");

    // Steps between writes: ties (0), single milliseconds and whole seconds.
    let steps = [0, 1, 7, 1000, 999, 60_000, 123, 0, 2];
    let mut ids: Vec<String> = Vec::new();
    for i in 0..96 {
        clock.advance(steps[i % steps.len()]);
        let found = users::create(
            &site,
            &caller,
            user_body(i, &ids),
            &mut tol(),
            &mut Default::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("user {i} is created: {e}"));
        ids.push(found.id().to_owned());
    }
    let mut group_ids: Vec<String> = Vec::new();
    for (g, name) in GROUP_NAMES.iter().enumerate() {
        clock.advance(steps[g % steps.len()] + 500);
        let mut members: Vec<Value> = members_of(g, ids.len())
            .into_iter()
            .map(|i| json!({"value": ids[i]}))
            .collect();
        if g == 6 {
            // A group inside a group: members.type "Group".
            members.push(json!({"value": group_ids[0], "display": "Engineering"}));
        }
        let mut body = json!({"displayName": name, "members": members});
        if g % 3 != 2 {
            body["externalId"] = json!(if g % 2 == 0 {
                format!("G-{g}")
            } else {
                format!("g-{g}")
            });
        }
        let found = groups::create(&site, &caller, body, &mut tol(), &mut Default::default())
            .await
            .unwrap_or_else(|e| panic!("group {g} is created: {e}"));
        group_ids.push(found.id().to_owned());
    }
    // Later changes move lastModified away from created for some resources.
    for i in (0..ids.len()).filter(|i| i % 4 == 3) {
        clock.advance(steps[i % steps.len()] + 10);
        let title = if i % 8 == 3 { "Manager" } else { "MANAGER" };
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": title}]
        });
        users::patch(
            &site,
            &caller,
            &ids[i],
            body,
            None,
            &mut tol(),
            &mut Default::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("user {i} is patched: {e}"));
    }
    clock.advance(3_000);
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [
            {"value": ids[95]}, {"value": ids[94], "display": "Late Member"}
        ]}]
    });
    groups::patch(
        &site,
        &caller,
        &group_ids[2],
        body,
        None,
        groups::Want::Nothing,
        &mut tol(),
        &mut Default::default(),
    )
    .await
    .expect("members added later");

    let mut known_users = Vec::new();
    for id in &ids {
        let found = users::get(&site, &caller, id).await.expect("user read");
        known_users.push(known(id, found));
    }
    let mut known_groups = Vec::new();
    for id in &group_ids {
        let found = groups::get(&site, &caller, id, true)
            .await
            .expect("group read");
        known_groups.push(known(id, found));
    }
    (site, caller, known_users, known_groups)
}

fn known(id: &str, found: site::Found) -> Known {
    let Value::Object(json) = found.to_value() else {
        panic!("a resource renders as an object");
    };
    Known {
        id: id.to_owned(),
        json,
    }
}

fn tol() -> Tolerances {
    Tolerances::new()
}
