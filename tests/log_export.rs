//! Exports of the SCIM log and the history log over the admin API: JSON and NDJSON downloads
//! of every entry a filter matches, across many pages, with the seed service's field names.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use workbench_tests::idp::*;
use workbench_tests::{Admin, Reply, TestServer};

/// The seed service's SCIM log fields, then ours.
const SCIM_LOG_FIELDS: [&str; 14] = [
    "id",
    "created_at",
    "request_path",
    "request_method",
    "http_response_code",
    "user_agent",
    "request_json",
    "response_json",
    "provider_id",
    "duration_ms",
    "trace",
    "resources",
    "request_headers",
    "idp",
];

/// Users created, more than one page of an export (200).
const CREATED: usize = 230;

async fn export(admin: &Admin, file: &str) -> Reply {
    admin.get(&format!("/exports/{file}")).await
}

fn ndjson(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/x-ndjson"));
    let text = reply
        .body
        .as_str()
        .expect("NDJSON is not one JSON document");
    text.lines()
        .map(|line| serde_json::from_str(line).expect("every line parses"))
        .collect()
}

fn ids(entries: &[Value]) -> Vec<i64> {
    entries
        .iter()
        .map(|e| e["id"].as_i64().expect("numeric ids"))
        .collect()
}

fn newest_first(entries: &[Value]) {
    let ids = ids(entries);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
}

#[tokio::test]
async fn exports_parse_carry_the_fields_and_hold_every_matching_entry() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider("okta").await;
    for n in 0..CREATED {
        let created = okta
            .post("/Users", &okta_user(&format!("user{n}@example.com")))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }
    for _ in 0..3 {
        assert_eq!(okta.get("/Nowhere").await.status, StatusCode::NOT_FOUND);
    }
    // Written in batches off the request path: wait for the last one.
    let mut all = Vec::new();
    for _ in 0..100 {
        let reply = export(&admin, "scim-log.json").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        all = reply.body.as_array().expect("a JSON array").clone();
        if all.len() == CREATED + 3 {
            assert_eq!(reply.header("content-type"), Some("application/json"));
            let disposition = reply.header("content-disposition").unwrap();
            assert!(
                disposition.starts_with("attachment; filename=\"scim-log-")
                    && disposition.ends_with(".json\""),
                "{disposition}"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(all.len(), CREATED + 3);
    newest_first(&all);
    for entry in &all {
        for field in SCIM_LOG_FIELDS {
            assert!(entry.get(field).is_some(), "{field} missing from {entry}");
        }
    }
    let created = &all[3];
    assert_eq!(created["request_method"], "POST");
    assert_eq!(created["request_path"], "/api/scim/Users");
    assert_eq!(created["http_response_code"], 201);
    let request: Value = serde_json::from_str(created["request_json"].as_str().unwrap()).unwrap();
    assert_eq!(
        request["userName"],
        format!("user{}@example.com", CREATED - 1)
    );
    assert_eq!(request["password"], "[redacted]");
    let response: Value = serde_json::from_str(created["response_json"].as_str().unwrap()).unwrap();
    assert_eq!(created["resources"][0], response["id"]);
    assert!(!created["trace"].as_array().unwrap().is_empty());

    // The same set as NDJSON; filters and a cap on the count.
    let lines = ndjson(&export(&admin, "scim-log.ndjson").await);
    assert_eq!(ids(&lines), ids(&all));
    let missing = ndjson(&export(&admin, "scim-log.ndjson?status=4xx").await);
    assert_eq!(missing.len(), 3);
    assert!(missing.iter().all(|e| e["http_response_code"] == 404));
    let capped = ndjson(&export(&admin, "scim-log.ndjson?method=POST&limit=210").await);
    assert_eq!(ids(&capped), ids(&all[3..213]));
    let below = &all[100]["id"];
    let older = ndjson(&export(&admin, &format!("scim-log.ndjson?before={below}")).await);
    assert_eq!(ids(&older), ids(&all[101..]));
    let nothing = export(&admin, "scim-log.json?status=5xx").await;
    assert_eq!(nothing.body, Value::Array(Vec::new()));

    // The history log: one `user created` per SCIM create, with the seed's names.
    let history = export(&admin, "history.json?action=user_created").await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.body);
    let history = history.body.as_array().unwrap();
    assert_eq!(history.len(), CREATED);
    newest_first(history);
    for field in ["id", "when", "interface", "action", "display", "target_id"] {
        assert!(history[0].get(field).is_some(), "{field}: {}", history[0]);
    }
    assert_eq!(history[0]["interface"], "SCIM");
    assert_eq!(
        history[0]["target_name"],
        format!("user{}@example.com", CREATED - 1)
    );
    let history_lines = ndjson(&export(&admin, "history.ndjson?action=user_created").await);
    assert_eq!(ids(&history_lines), ids(history));

    // Bad requests are refused with a reason.
    for (file, status) in [
        ("scim-log.csv", StatusCode::NOT_FOUND),
        ("audit.json", StatusCode::NOT_FOUND),
        ("scim-log.json?status=2x", StatusCode::BAD_REQUEST),
        ("scim-log.json?limit=0", StatusCode::BAD_REQUEST),
        ("history.ndjson?colour=red", StatusCode::BAD_REQUEST),
    ] {
        let refused = export(&admin, file).await;
        assert_eq!(refused.status, status, "{file}: {}", refused.body);
        assert!(
            refused.body["detail"].is_string(),
            "{file}: {}",
            refused.body
        );
    }
    server.stop().await;
}
