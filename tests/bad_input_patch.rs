//! PATCH requests an IdP should not send (RFC 7644 §3.5.2): each is refused with the `scimType`
//! the RFC names and a detail that points at the operation, and — PATCH being atomic — nothing
//! of the request is applied, not even its valid operations.

mod scim_common;

use serde_json::{Value, json};
use workbench_tests::{Scim, TestServer};

use scim_common::*;

/// A user (with a name and a work email) in a group, and how both look before the PATCHes.
struct Fixture {
    server: TestServer,
    okta: Scim,
    user_path: String,
    group_path: String,
    user: String,
    before: (Value, Value),
}

async fn fixture() -> Fixture {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let mut body = user_body("patched@example.com");
    body["name"] = json!({ "givenName": "Pat", "familyName": "Ched" });
    body["emails"] = json!([{ "value": "pat@work.example", "type": "work", "primary": true }]);
    let user = id_of(&create(&okta, "/Users", &body).await);
    let group = create_group(&okta, "Patchers", &[&user]).await;
    let (user_path, group_path) = (format!("/Users/{user}"), format!("/Groups/{group}"));
    let before = (
        fetch(&okta, &user_path).await,
        fetch(&okta, &group_path).await,
    );
    Fixture {
        server,
        okta,
        user_path,
        group_path,
        user,
        before,
    }
}

impl Fixture {
    async fn assert_unchanged(&self, context: &str) {
        let now = (
            fetch(&self.okta, &self.user_path).await,
            fetch(&self.okta, &self.group_path).await,
        );
        assert_eq!(now, self.before, "{context} changed nothing");
    }

    /// Sends `operations` to `path` and checks the refusal and that nothing changed.
    async fn refused(&self, path: &str, operations: Value, scim_type: &str, words: &[&str]) {
        let reply = self.okta.patch(path, &patch_body(operations.clone())).await;
        if let Err(problem) = check_scim_error(&reply, 400, Some(scim_type), words) {
            panic!("PATCH {path} {operations}: {problem}");
        }
        self.assert_unchanged(&operations.to_string()).await;
    }
}

#[tokio::test]
async fn read_only_attributes_cannot_be_patched() {
    let f = fixture().await;
    let user = f.user_path.as_str();
    for (path, value) in [
        ("id", json!("another-id")),
        ("meta", json!({ "created": "2020-01-01T00:00:00Z" })),
        ("meta.lastModified", json!("2020-01-01T00:00:00Z")),
        ("groups", json!([{ "value": "some-group" }])),
    ] {
        let attribute = path.split('.').next().expect("a name");
        for op in ["replace", "add"] {
            let operation = json!([{ "op": op, "path": path, "value": value }]);
            f.refused(user, operation, "mutability", &[attribute, "read"])
                .await;
        }
        let remove = json!([{ "op": "remove", "path": path }]);
        f.refused(user, remove, "mutability", &[attribute]).await;
    }
    // A path-less replace that changes a read-only value is refused as well.
    let pathless = json!([{ "op": "replace", "value": { "id": "another-id" } }]);
    f.refused(user, pathless, "mutability", &["id"]).await;
    let group_id = json!([{ "op": "replace", "path": "id", "value": "x" }]);
    f.refused(&f.group_path, group_id, "mutability", &["id"])
        .await;
    f.server.stop().await;
}

#[tokio::test]
async fn immutable_sub_attributes_and_required_attributes_are_protected() {
    let f = fixture().await;
    let member_value = json!([{
        "op": "replace",
        "path": format!("members[value eq \"{}\"].value", f.user),
        "value": "someone-else"
    }]);
    f.refused(
        &f.group_path,
        member_value,
        "mutability",
        &["value", "immutable"],
    )
    .await;
    let remove_user_name = json!([{ "op": "remove", "path": "userName" }]);
    f.refused(
        &f.user_path,
        remove_user_name,
        "mutability",
        &["userName", "required"],
    )
    .await;
    let blank_user_name = json!([{ "op": "replace", "path": "userName", "value": null }]);
    f.refused(&f.user_path, blank_user_name, "mutability", &["userName"])
        .await;
    let remove_display_name = json!([{ "op": "remove", "path": "displayName" }]);
    f.refused(
        &f.group_path,
        remove_display_name,
        "mutability",
        &["displayName"],
    )
    .await;
    f.server.stop().await;
}

#[tokio::test]
async fn unknown_and_malformed_paths_are_invalid_path() {
    let f = fixture().await;
    let cases: [(&str, &[&str]); 6] = [
        ("favouriteColour", &["unknown attribute", "favouriteColour"]),
        (
            "name.middle.initial",
            &["at most one sub-attribute", "position 11"],
        ),
        ("emails[type eq \"work\"", &["never closed"]),
        ("emails[shoe eq \"x\"].value", &["shoe"]),
        (
            "urn:example:nothing:2.0:User:badge",
            &["urn:example:nothing:2.0:User"],
        ),
        ("name.nickname", &["nickname"]),
    ];
    for (path, words) in cases {
        let operation = json!([{ "op": "replace", "path": path, "value": "x" }]);
        let reply = f
            .okta
            .patch(&f.user_path, &patch_body(operation.clone()))
            .await;
        if let Err(problem) = check_scim_error(&reply, 400, Some("invalidPath"), words) {
            panic!("path {path}: {problem}");
        }
    }
    f.refused(
        &f.group_path,
        json!([{ "op": "add", "path": "userName", "value": "x" }]),
        "invalidPath",
        &["userName"],
    )
    .await;
    f.assert_unchanged("invalid paths").await;
    f.server.stop().await;
}

#[tokio::test]
async fn malformed_patch_messages_are_refused() {
    let f = fixture().await;
    let user = f.user_path.as_str();
    let cases: [(Value, &str, &[&str]); 7] = [
        (
            json!({ "schemas": [PATCH_URN] }),
            "invalidSyntax",
            &["Operations"],
        ),
        (
            json!({ "schemas": [PATCH_URN], "Operations": {} }),
            "invalidSyntax",
            &["Operations", "array"],
        ),
        (
            json!({ "schemas": [PATCH_URN], "Operations": [] }),
            "invalidValue",
            &["Operations", "empty"],
        ),
        (
            json!({ "schemas": [USER_URN], "Operations": [{ "op": "add", "path": "title", "value": "x" }] }),
            "invalidSyntax",
            &["schemas", PATCH_URN],
        ),
        (
            patch_body(json!([{ "op": "merge", "path": "title", "value": "x" }])),
            "invalidSyntax",
            &["Operations[0]", "merge"],
        ),
        (
            patch_body(json!([{ "path": "title", "value": "x" }])),
            "invalidSyntax",
            &["Operations[0]", "op"],
        ),
        (json!("replace everything"), "invalidSyntax", &["object"]),
    ];
    for (body, scim_type, words) in cases {
        let reply = f.okta.patch(user, &body).await;
        if let Err(problem) = check_scim_error(&reply, 400, Some(scim_type), words) {
            panic!("{body}: {problem}");
        }
    }
    f.assert_unchanged("malformed PATCH messages").await;
    f.server.stop().await;
}

#[tokio::test]
async fn remove_needs_a_path_and_add_needs_a_value() {
    let f = fixture().await;
    for path in [f.user_path.as_str(), f.group_path.as_str()] {
        f.refused(
            path,
            json!([{ "op": "remove" }]),
            "noTarget",
            &["remove", "path"],
        )
        .await;
        f.refused(
            path,
            json!([{ "op": "remove", "value": { "displayName": "x" } }]),
            "noTarget",
            &["path"],
        )
        .await;
    }
    f.refused(
        &f.user_path,
        json!([{ "op": "add", "path": "title" }]),
        "invalidValue",
        &["Operations[0]", "value"],
    )
    .await;
    f.refused(
        &f.user_path,
        json!([{ "op": "replace", "path": "displayName", "value": "x" },
               { "op": "replace", "path": "emails[type eq \"work\"].nosuch", "value": "x" }]),
        "invalidPath",
        &["nosuch"],
    )
    .await;
    f.server.stop().await;
}

#[tokio::test]
async fn one_bad_operation_refuses_the_whole_patch() {
    let f = fixture().await;
    let user = f.user_path.as_str();
    let valid = json!({ "op": "replace", "path": "displayName", "value": "Should Not Stick" });
    for (bad, scim_type, words) in [
        (
            json!({ "op": "replace", "path": "id", "value": "x" }),
            "mutability",
            &["Operations[1]", "id"][..],
        ),
        (
            json!({ "op": "replace", "path": "nope", "value": "x" }),
            "invalidPath",
            &["'nope'", "unknown attribute"],
        ),
        (
            json!({ "op": "replace", "path": "active", "value": "maybe" }),
            "invalidValue",
            &["Operations[1]", "active"],
        ),
        (
            json!({ "op": "remove", "path": "userName" }),
            "mutability",
            &["Operations[1]", "userName"],
        ),
    ] {
        f.refused(user, json!([valid.clone(), bad]), scim_type, words)
            .await;
    }
    let add_member = json!({ "op": "add", "path": "members", "value": [{ "value": f.user }] });
    let rename = json!({ "op": "replace", "path": "displayName", "value": "Renamed" });
    let bad_member =
        json!({ "op": "add", "path": "members", "value": [{ "value": "no-such-user" }] });
    f.refused(
        &f.group_path,
        json!([rename, add_member, bad_member]),
        "invalidValue",
        &["no-such-user"],
    )
    .await;
    f.server.stop().await;
}
