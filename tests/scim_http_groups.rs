//! Group membership over HTTP: PATCH answers (`204`, or the resource when asked), a 2,000-member
//! group built and edited the way Okta and Entra do it, a user's derived `groups`, and deletions
//! that leave no dangling member.

mod scim_common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinSet;
use workbench_tests::{Scim, TestServer};

use scim_common::*;

/// Creates `n` users concurrently; returns their ids.
async fn many_users(scim: &Scim, n: usize) -> Vec<String> {
    let mut tasks = JoinSet::new();
    let mut made = Vec::with_capacity(n);
    for i in 0..n {
        let scim = scim.clone();
        tasks.spawn(async move { create_user(&scim, &format!("member{i:05}@example.com")).await });
        if tasks.len() >= 16
            && let Some(id) = tasks.join_next().await
        {
            made.push(id.expect("a creation task"));
        }
    }
    while let Some(id) = tasks.join_next().await {
        made.push(id.expect("a creation task"));
    }
    made
}

fn member_ids(group: &Value) -> BTreeSet<String> {
    group
        .get("members")
        .and_then(Value::as_array)
        .map(|members| members.iter().map(id_of_member).collect())
        .unwrap_or_default()
}

fn id_of_member(member: &Value) -> String {
    member["value"]
        .as_str()
        .unwrap_or_else(|| panic!("a member value: {member}"))
        .to_owned()
}

#[tokio::test]
async fn group_patch_answers_204_or_the_resource_when_attributes_are_asked() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let user = create_user(&okta, "patched@example.com").await;
    let group = create_group(&okta, "Patched", &[]).await;
    let path = format!("/Groups/{group}");
    let add = patch_body(json!([{ "op": "add", "path": "members", "value": [{ "value": user }] }]));

    let reply = okta.patch(&path, &add).await;
    assert_eq!(reply.status, 204, "{reply:?}");
    assert_eq!(reply.body, Value::Null);
    assert_eq!(
        member_ids(&fetch(&okta, &path).await),
        BTreeSet::from([user.clone()])
    );

    let rename =
        patch_body(json!([{ "op": "replace", "path": "displayName", "value": "Renamed" }]));
    let reply = okta
        .patch(&format!("{path}?attributes=displayName"), &rename)
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["displayName"], "Renamed");
    assert_eq!(reply.body["id"], group);
    assert_eq!(
        reply.body.get("members"),
        None,
        "only what was asked: {}",
        reply.body
    );
    let etag = reply.header("etag").expect("an ETag").to_owned();
    assert_eq!(fetch(&okta, &path).await["meta"]["version"], etag);

    let reply = okta
        .patch(&format!("{path}?excludedAttributes=displayName"), &rename)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(member_ids(&reply.body), BTreeSet::from([user]));
    assert_eq!(
        reply.header("etag"),
        Some(etag.as_str()),
        "an idempotent PATCH keeps the version"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_group_of_two_thousand_members_is_built_and_edited_by_patch() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let users = many_users(&okta, 2_002).await;
    let (initial, extra) = users.split_at(2_000);
    let group = create_group(&okta, "Everyone", &[]).await;
    let path = format!("/Groups/{group}");

    for chunk in initial.chunks(500) {
        let value: Vec<Value> = chunk.iter().map(|id| json!({ "value": id })).collect();
        let add = patch_body(json!([{ "op": "add", "path": "members", "value": value }]));
        let reply = okta.patch(&path, &add).await;
        assert_eq!(reply.status, 204, "{reply:?}");
    }
    let mut expected: BTreeSet<String> = initial.iter().cloned().collect();
    assert_eq!(member_ids(&fetch(&okta, &path).await), expected);

    // One added (Okta), one removed by a value filter (Okta), one by a value array (Entra).
    let add =
        patch_body(json!([{ "op": "add", "path": "members", "value": [{ "value": extra[0] }] }]));
    assert_eq!(okta.patch(&path, &add).await.status, 204);
    expected.insert(extra[0].clone());
    let by_filter = patch_body(json!([{
        "op": "remove", "path": format!("members[value eq \"{}\"]", initial[7])
    }]));
    assert_eq!(okta.patch(&path, &by_filter).await.status, 204);
    expected.remove(&initial[7]);
    let by_array = patch_body(json!([{
        "op": "Remove", "path": "members", "value": [{ "value": initial[1_234] }]
    }]));
    let reply = okta.patch(&path, &by_array).await;
    assert_eq!(reply.status, 204, "{reply:?}");
    expected.remove(&initial[1_234]);

    let started = Instant::now();
    let light = fetch(&okta, &format!("{path}?excludedAttributes=members")).await;
    let elapsed = started.elapsed();
    assert_eq!(light.get("members"), None);
    assert_eq!(light["displayName"], "Everyone");
    assert!(
        elapsed < Duration::from_secs(1),
        "a group read without members does not load 2,000 of them: {elapsed:?}"
    );
    let full = fetch(&okta, &path).await;
    let members = full["members"].as_array().expect("members");
    assert_eq!(members.len(), 1_999, "no duplicates");
    assert_eq!(member_ids(&full), expected);
    assert!(members.iter().all(|m| m["type"] == "User"));
    assert_eq!(
        members[0]["$ref"],
        format!("{}/Users/{}", okta.base, id_of_member(&members[0]))
    );
    // The removed and the untouched are as expected from the members' side, too.
    let removed = fetch(&okta, &format!("/Users/{}", initial[7])).await;
    assert_eq!(removed.get("groups"), None, "{removed}");
    let kept = fetch(&okta, &format!("/Users/{}", extra[0])).await;
    assert_eq!(kept["groups"][0]["value"], group);
    assert_eq!(
        fetch(&okta, &format!("/Users/{}", extra[1]))
            .await
            .get("groups"),
        None
    );
    server.stop().await;
}

#[tokio::test]
async fn a_users_groups_attribute_reflects_its_memberships() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let user = create_user(&okta, "member@example.com").await;
    let path = format!("/Users/{user}");
    assert_eq!(
        fetch(&okta, &path).await.get("groups"),
        None,
        "no groups yet"
    );
    let admins = create_group(&okta, "Admins", &[&user]).await;
    let staff = create_group(&okta, "Staff", &[&user]).await;

    let read = fetch(&okta, &path).await;
    let mut groups: Vec<Value> = read["groups"].as_array().expect("groups").clone();
    groups.sort_by_key(|g| g["display"].as_str().map(str::to_owned));
    assert_eq!(
        groups,
        [
            json!({ "value": admins, "$ref": format!("{}/Groups/{admins}", okta.base),
                    "display": "Admins", "type": "direct" }),
            json!({ "value": staff, "$ref": format!("{}/Groups/{staff}", okta.base),
                    "display": "Staff", "type": "direct" }),
        ]
    );
    let listed = fetch(&okta, "/Users").await;
    assert_eq!(
        listed["Resources"][0]["groups"].as_array().map(Vec::len),
        Some(2)
    );

    let remove =
        patch_body(json!([{ "op": "remove", "path": format!("members[value eq \"{user}\"]") }]));
    assert_eq!(
        okta.patch(&format!("/Groups/{admins}"), &remove)
            .await
            .status,
        204
    );
    let read = fetch(&okta, &path).await;
    assert_eq!(read["groups"].as_array().map(Vec::len), Some(1));
    assert_eq!(read["groups"][0]["value"], staff);

    let rename = patch_body(json!([{ "op": "replace", "path": "displayName", "value": "Crew" }]));
    assert_eq!(
        okta.patch(&format!("/Groups/{staff}"), &rename)
            .await
            .status,
        204
    );
    assert_eq!(fetch(&okta, &path).await["groups"][0]["display"], "Crew");

    assert_eq!(okta.delete(&format!("/Groups/{staff}")).await.status, 204);
    assert_eq!(fetch(&okta, &path).await.get("groups"), None);
    server.stop().await;
}

#[tokio::test]
async fn deleting_a_user_removes_it_from_its_groups() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let leaving = create_user(&okta, "leaving@example.com").await;
    let staying = create_user(&okta, "staying@example.com").await;
    let group = create_group(&okta, "Team", &[&leaving, &staying]).await;
    let path = format!("/Groups/{group}");
    let before = fetch(&okta, &path).await;

    assert_eq!(okta.delete(&format!("/Users/{leaving}")).await.status, 204);
    let after = fetch(&okta, &path).await;
    assert_eq!(member_ids(&after), BTreeSet::from([staying.clone()]));
    assert_ne!(
        after["meta"]["version"], before["meta"]["version"],
        "the group's members changed, so its version moves"
    );
    let filter = format!(
        "/Groups?filter={}",
        workbench_tests::encode(&format!(r#"members[value eq "{leaving}"]"#))
    );
    assert_eq!(fetch(&okta, &filter).await["totalResults"], 0);
    // A later PUT of the group with the stale member id is refused, not silently kept.
    let reply = okta.put(&path, &group_body("Team", &[&leaving])).await;
    assert_scim_error(&reply, 400, Some("invalidValue"), &[&leaving]);
    assert_eq!(
        member_ids(&fetch(&okta, &path).await),
        BTreeSet::from([staying])
    );
    server.stop().await;
}

#[tokio::test]
async fn groups_can_hold_groups_and_put_replaces_the_member_list() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let user = create_user(&okta, "nested@example.com").await;
    let inner = create_group(&okta, "Inner", &[&user]).await;
    let outer = create_group(&okta, "Outer", &[&inner]).await;
    let read = fetch(&okta, &format!("/Groups/{outer}")).await;
    assert_eq!(read["members"][0]["type"], "Group");
    assert_eq!(
        read["members"][0]["$ref"],
        format!("{}/Groups/{inner}", okta.base)
    );
    let replaced = okta
        .put(&format!("/Groups/{outer}"), &group_body("Outer", &[&user]))
        .await;
    assert_eq!(replaced.status, 200, "{replaced:?}");
    assert_eq!(member_ids(&replaced.body), BTreeSet::from([user.clone()]));
    assert_eq!(replaced.body["meta"]["version"], "W/\"2\"");
    server.stop().await;
}
