//! Replaying a logged SCIM exchange (`POST /admin/api/scim-log/{seq}/replay`): the same
//! request again, as the same provider, recorded as a new exchange linked to the original; and
//! the provider of a refused (revoked) credential named in the log.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use workbench_tests::idp::*;
use workbench_tests::{Admin, TestServer};

/// The newest log entry matching `query`, waiting for it to be written.
async fn newest(admin: &Admin, query: &str) -> Value {
    for _ in 0..100 {
        let page = admin.get(&format!("/scim-log?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        if let Some(entry) = page.body["items"].get(0) {
            return entry.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no entry for {query}");
}

async fn replay(admin: &Admin, seq: &Value, body: Value) -> (StatusCode, Value) {
    let seq = seq.as_str().expect("a seq");
    let reply = admin.post(&format!("/scim-log/{seq}/replay"), &body).await;
    (reply.status, reply.body)
}

fn header<'a>(entry: &'a Value, name: &str) -> Option<&'a str> {
    entry["request_headers"]
        .as_array()?
        .iter()
        .find(|h| h["name"] == name)
        .and_then(|h| h["value"].as_str())
}

#[tokio::test]
async fn a_replay_sends_the_same_request_as_the_same_provider_and_is_linked() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider("okta").await;
    let created = okta
        .post("/Users", &okta_user("replayed@example.com"))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let original = newest(&admin, "method=POST").await;

    // The user exists: the same create again is the IdP's 409, reproduced.
    let (status, again) = replay(&admin, &original["seq"], json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["replay_of"], original["seq"]);
    assert_ne!(again["seq"], original["seq"]);
    assert_eq!(again["status"], 409);
    assert_eq!(again["provider_id"], original["provider_id"]);
    for field in ["method", "path", "query"] {
        assert_eq!(again[field], original[field], "{field}");
    }
    assert_eq!(again["request_body"], original["request_body"]);
    assert_eq!(
        header(&again, "scim-workbench-replay-of"),
        original["seq"].as_str()
    );
    assert_eq!(
        header(&again, "authorization"),
        None,
        "no credential is re-sent"
    );
    assert!(
        again["response_body"]["text"]
            .as_str()
            .unwrap()
            .contains("uniqueness")
    );

    // Deleted meanwhile, the replay creates the user again.
    assert_eq!(
        okta.delete(&format!("/Users/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let (status, recreated) = replay(&admin, &original["seq"], json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{recreated}");
    assert_eq!(recreated["status"], 201);
    let user = admin.user_named("replayed@example.com").await;
    assert_eq!(
        user["user"]["provider_id"], original["provider_id"],
        "{user}"
    );

    // Both replays are found from the original, newest first.
    let seq = original["seq"].as_str().unwrap();
    let replays = admin.get(&format!("/scim-log?replay_of={seq}")).await;
    let seqs: Vec<&Value> = replays.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["seq"])
        .collect();
    assert_eq!(seqs, [&recreated["seq"], &again["seq"]]);
    server.stop().await;
}

#[tokio::test]
async fn a_refused_exchange_replays_refused_unless_a_provider_is_named() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider("okta").await;
    let refused = okta
        .with_authorization("Bearer not-a-token")
        .get("/Users?count=1")
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let original = newest(&admin, "status=401").await;
    assert_eq!(original["provider_id"], Value::Null);

    let (status, again) = replay(&admin, &original["seq"], json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["status"], 401);
    assert_eq!(again["provider_id"], Value::Null);

    let (status, as_okta) = replay(
        &admin,
        &original["seq"],
        json!({ "provider_id": okta.provider_id }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{as_okta}");
    assert_eq!(as_okta["status"], 200);
    assert_eq!(as_okta["query"], "count=1");
    assert_eq!(as_okta["provider_id"], okta.provider_id.as_str());

    // Nonsense is refused with a reason.
    let (status, body) = replay(&admin, &original["seq"], json!({ "provider_id": "nope" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = replay(&admin, &json!("999999"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = replay(&admin, &original["seq"], json!({ "colour": "red" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    server.stop().await;
}

#[tokio::test]
async fn a_request_whose_logged_body_was_cut_is_not_replayed() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider("okta").await;
    let mut big = okta_user("big@example.com");
    big["displayName"] = json!("x".repeat(80 * 1024));
    let created = okta.post("/Users", &big).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let original = newest(&admin, "method=POST").await;
    assert!(original["request_body"]["truncated_from"].is_number());
    let (status, body) = replay(&admin, &original["seq"], json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("cut"), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn a_revoked_credential_is_logged_with_its_provider() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider("okta").await;
    let provider = admin.get(&format!("/providers/{}", okta.provider_id)).await;
    let credential = provider.body["credentials"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = admin
        .post(
            &format!(
                "/providers/{}/credentials/{credential}/revoke",
                okta.provider_id
            ),
            &json!({}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(okta.get("/Users").await.status, StatusCode::UNAUTHORIZED);
    let entry = newest(&admin, "status=401").await;
    assert_eq!(entry["provider_id"], okta.provider_id.as_str());
    assert!(
        entry["response_body"]["text"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    server.stop().await;
}
