//! The SCIM log over real HTTP: every exchange on the SCIM listener is captured — failed
//! authentication, malformed bodies and unknown paths included — redacted before it is
//! stored, and listed by the admin API.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use workbench_tests::idp::*;
use workbench_tests::{Admin, TestServer, encode};

/// The log entries matching `query` (admin API query string), waiting up to 5 s for at least
/// `at_least` of them: entries are written in batches off the request path.
async fn logged(admin: &Admin, query: &str, at_least: usize) -> Vec<Value> {
    let mut items = Vec::new();
    for _ in 0..100 {
        let page = admin.get(&format!("/scim-log?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        items = page.body["items"].as_array().cloned().unwrap_or_default();
        if items.len() >= at_least {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {at_least} entries for {query}: {items:?}");
}

fn header<'a>(entry: &'a Value, name: &str) -> Option<&'a str> {
    entry["request_headers"]
        .as_array()?
        .iter()
        .find(|h| {
            h["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .and_then(|h| h["value"].as_str())
}

#[tokio::test]
async fn wrong_tokens_are_logged_without_a_provider_and_told_apart_by_fingerprint() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider("okta").await;
    for token in ["Bearer wrong-token-one", "Bearer wrong-token-two"] {
        let refused = okta.with_authorization(token).get("/Users").await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    }
    let entries = logged(&admin, "status=401", 2).await;
    let [two, one] = [&entries[0], &entries[1]];
    for entry in [one, two] {
        assert_eq!(entry["status"], 401);
        assert_eq!(entry["provider_id"], Value::Null);
        assert_eq!(entry["path"], "/api/scim/Users");
        assert!(
            entry["response_body"]["text"]
                .as_str()
                .unwrap()
                .contains("401")
        );
    }
    let (first, second) = (
        header(one, "authorization").unwrap(),
        header(two, "authorization").unwrap(),
    );
    assert!(first.starts_with("Bearer [redacted] (sha256 "), "{first}");
    assert_ne!(first, second, "two tokens, two fingerprints");
    assert!(!format!("{entries:?}").contains("wrong-token"));
    server.stop().await;
}

#[tokio::test]
async fn malformed_bodies_and_unknown_paths_are_logged_as_they_came() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider("okta").await;
    let malformed = okta
        .send_raw(
            reqwest::Method::POST,
            "/Users",
            Some("application/scim+json"),
            b"{\"userName\": \"half\", \"password\": \"Half-Secret-9\", ".to_vec(),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let unknown = okta.get("/Widgets").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let bad = &logged(&admin, "status=400", 1).await[0];
    assert_eq!(bad["method"], "POST");
    assert_eq!(bad["provider_id"], okta.provider_id.as_str());
    assert_eq!(bad["request_body"]["json"], false);
    assert_eq!(
        bad["request_body"]["text"],
        "{\"userName\": \"half\", \"password\": \"[redacted]\", "
    );
    assert_eq!(bad["response_body"]["json"], true);
    let missing = &logged(&admin, &format!("path={}", encode("/Widgets")), 1).await[0];
    assert_eq!(missing["status"], 404);
    server.stop().await;
}

#[tokio::test]
async fn a_create_is_logged_with_its_idp_resources_and_decision() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server
        .provider_via_admin("okta", json!({"provision_group_required": "Engineering"}))
        .await;
    let created = okta
        .client
        .post(format!("{}/Users", okta.base))
        .header("authorization", &okta.authorization)
        .header("content-type", "application/scim+json")
        .header("user-agent", "Okta SCIM Client 1.0.0")
        .body(okta_user("grace@example.com").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let entry = &logged(&admin, "method=post&status=2xx", 1).await[0];
    assert_eq!(entry["idp"], "okta");
    assert_eq!(
        entry["idp_reason"],
        "user agent \"Okta SCIM Client 1.0.0\" names okta"
    );
    assert_eq!(entry["resources"], json!([id]));
    let trace = trace_of(entry);
    assert_has(&trace, "provision_group_required = \"Engineering\"");
    assert_eq!(entry["request_body"]["json"], true);
    assert!(
        entry["request_body"]["text"]
            .as_str()
            .unwrap()
            .contains("\"password\":\"[redacted]\"")
    );
    assert!(entry["duration_ms"].as_f64().unwrap() > 0.0);

    // The same entry in full, and the filters that find it or not.
    let seq = entry["seq"].as_str().unwrap();
    let full = admin.get(&format!("/scim-log/{seq}")).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(&full.body, entry);
    assert_eq!(logged(&admin, &format!("path={id}"), 1).await.len(), 1);
    assert_eq!(logged(&admin, "text=GRACE%40example", 1).await.len(), 1);
    let none = admin.get("/scim-log?status=5xx").await;
    assert_eq!(none.body["items"], json!([]));
    for bad in ["status=2x", "since=yesterday", "before=x", "colour=red"] {
        let refused = admin.get(&format!("/scim-log?{bad}")).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            refused.body
        );
    }
    assert_eq!(
        admin.get("/scim-log/999999").await.status,
        StatusCode::NOT_FOUND
    );
    server.stop().await;
}

#[tokio::test]
async fn a_password_in_a_patch_value_never_reaches_the_database_file() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let user = create_user(&okta, okta_user("ada@example.com")).await;
    for op in [
        json!({"op": "replace", "path": "password", "value": "Zebra-Secret-123"}),
        json!({"op": "Replace", "value": {"password": "Zebra-Secret-456"}}),
    ] {
        patch_user(&okta, &user, patch(json!([op]))).await;
    }
    let admin = server.admin();
    assert!(logged(&admin, "method=PATCH", 2).await.len() >= 2);
    // The log is stored compressed: read it decompressed too, all of it.
    let export = admin.get("/exports/scim-log.ndjson").await;
    let text = export.body.as_str().expect("NDJSON");
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(!text.contains("Zebra-Secret") && !text.contains("Sup3r-secret!"));
    assert!(text.matches("[redacted]").count() >= 3, "{text}");

    // A graceful stop writes every queued entry; then read every file of the database.
    let TestServer { running, dir, .. } = server;
    running.shutdown().await;
    let mut seen = 0;
    for file in std::fs::read_dir(dir.path()).unwrap() {
        // The WAL and shared-memory files may go away as the last connection closes.
        let Ok(bytes) = std::fs::read(file.unwrap().path()) else {
            continue;
        };
        seen += bytes.len();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("Zebra-Secret"),
            "a password reached the database"
        );
        assert!(
            !text.contains("Sup3r-secret!"),
            "Okta's create password reached it"
        );
    }
    assert!(seen > 0);
}
