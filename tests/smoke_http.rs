//! The acceptance path of the server issue, in process: a provider's token creates a user over
//! HTTP and a case-insensitive `userName eq` filter finds it.

use serde_json::json;
use workbench_tests::{TestServer, encode};

#[tokio::test]
async fn created_user_is_found_by_user_name_in_any_case() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let created = okta
        .post(
            "/Users",
            &json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "Isabella.Martinez@Example.com",
                "active": true
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let found = okta
        .get(&format!(
            "/Users?filter={}&startIndex=1&count=100",
            encode(r#"userName eq "isabella.martinez@example.com""#)
        ))
        .await;
    assert_eq!(found.status, 200);
    assert_eq!(found.body["totalResults"], 1);
    assert_eq!(found.body["Resources"][0]["id"], id);
    server.stop().await;
}
