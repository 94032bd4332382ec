//! Hostile and careless request bodies and queries: each answers the SCIM error an integration
//! engineer can act on (status, `scimType`, a `detail` that names the problem), never a 500 or a
//! hang, and leaves stored state as it was. PATCH-specific refusals are in
//! `bad_input_patch.rs`.

mod scim_common;

use reqwest::Method;
use serde_json::{Value, json};
use workbench_tests::{Scim, TestServer, encode};

use scim_common::*;

/// A provider with one user and one group, and what they look like before the bad requests.
struct Fixture {
    server: TestServer,
    okta: Scim,
    user: String,
    group: String,
    before: (Value, Value),
}

async fn fixture() -> Fixture {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let user = create_user(&okta, "steady@example.com").await;
    let group = create_group(&okta, "Steady", &[&user]).await;
    let before = (
        fetch(&okta, &format!("/Users/{user}")).await,
        fetch(&okta, &format!("/Groups/{group}")).await,
    );
    Fixture {
        server,
        okta,
        user,
        group,
        before,
    }
}

impl Fixture {
    /// Nothing was created, changed or deleted.
    async fn assert_unchanged(&self, context: &str) {
        let users = fetch(&self.okta, "/Users").await;
        assert_eq!(users["totalResults"], 1, "{context}: {users}");
        let groups = fetch(&self.okta, "/Groups").await;
        assert_eq!(groups["totalResults"], 1, "{context}: {groups}");
        let now = (
            fetch(&self.okta, &format!("/Users/{}", self.user)).await,
            fetch(&self.okta, &format!("/Groups/{}", self.group)).await,
        );
        assert_eq!(now, self.before, "{context}");
    }

    /// Every endpoint that reads a body, with its method.
    fn body_endpoints(&self) -> Vec<(Method, String)> {
        vec![
            (Method::POST, "/Users".into()),
            (Method::PUT, format!("/Users/{}", self.user)),
            (Method::PATCH, format!("/Users/{}", self.user)),
            (Method::POST, "/Groups".into()),
            (Method::PUT, format!("/Groups/{}", self.group)),
            (Method::PATCH, format!("/Groups/{}", self.group)),
            (Method::POST, "/Users/.search".into()),
            (Method::POST, "/Groups/.search".into()),
            (Method::POST, "/.search".into()),
        ]
    }
}

#[tokio::test]
async fn malformed_json_is_invalid_syntax_on_every_endpoint() {
    let f = fixture().await;
    let cases: [(&[u8], &[&str]); 8] = [
        (br#"{"userName": "x""#, &["not valid JSON", "EOF"]),
        (
            br#"{"userName": "x"} trailing"#,
            &["not valid JSON", "trailing"],
        ),
        (br#"{"userName": "x"}{}"#, &["trailing"]),
        (b"", &["empty"]),
        (b"   \n", &["empty"]),
        (br#"{"userName": 'x'}"#, &["not valid JSON", "line 1"]),
        (b"{\"userName\": \"caf\xe9\"}", &["not valid JSON"]),
        (
            br#"{"userName": "\ud800"}"#,
            &["not valid JSON", "escape", "column 21"],
        ),
    ];
    for (method, path) in f.body_endpoints() {
        for (body, words) in cases {
            let reply = send_bytes(&f.okta, method.clone(), &path, body).await;
            let context = format!("{method} {path} {:?}", String::from_utf8_lossy(body));
            assert_eq!(reply.status, 400, "{context}: {reply:?}");
            assert_scim_error(&reply, 400, Some("invalidSyntax"), words);
        }
    }
    f.assert_unchanged("malformed JSON").await;
    f.server.stop().await;
}

#[tokio::test]
async fn json_that_is_not_an_object_is_refused_on_every_endpoint() {
    let f = fixture().await;
    for (method, path) in f.body_endpoints() {
        for body in ["null", "[]", "[{}]", "1", "\"userName\"", "true", "{}"] {
            if body == "{}" && path.ends_with(".search") {
                continue; // an empty SearchRequest lists everything
            }
            let reply = send_bytes(&f.okta, method.clone(), &path, body.as_bytes()).await;
            let context = format!("{method} {path} {body}: {reply:?}");
            assert_eq!(reply.status, 400, "{context}");
            assert_eq!(reply.body["schemas"], json!([ERROR_URN]), "{context}");
            assert!(reply.body["scimType"].is_string(), "{context}");
            let detail = reply.body["detail"].as_str().unwrap_or_default();
            let specific = if body == "{}" {
                ["userName", "displayName", "Operations", "schemas"]
                    .iter()
                    .any(|w| detail.contains(w))
            } else {
                detail.contains("object")
            };
            assert!(specific, "{context}");
        }
    }
    f.assert_unchanged("non-object bodies").await;
    f.server.stop().await;
}

#[tokio::test]
async fn hostile_json_is_refused_with_the_reason() {
    let f = fixture().await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!(
        r#"{{"schemas":["{USER_URN}"],"userName":"deep@example.com","x":{}1{}}}"#,
        "{\"a\":".repeat(100_000),
        "}".repeat(100_000)
    );
    let cases: Vec<(Vec<u8>, &[&str])> = vec![
        (deep.into_bytes(), &["nested deeper than 128"]),
        (deep_object.into_bytes(), &["nested deeper than 128"]),
        (
            format!(r#"{{"schemas":["{USER_URN}"],"userName":"\udc00x@example.com"}}"#)
                .into_bytes(),
            &["surrogate"],
        ),
        (
            format!(r#"{{"schemas":["{USER_URN}"],"userName":"n@example.com","x":1e400}}"#)
                .into_bytes(),
            &["out of range"],
        ),
        (
            format!("{{\"schemas\":[\"{USER_URN}\"],\"userName\":\"tab\u{1}@example.com\"}}")
                .into_bytes(),
            &["control character"],
        ),
    ];
    for (body, words) in &cases {
        for (method, path) in [
            (Method::POST, "/Users".to_owned()),
            (Method::PATCH, format!("/Users/{}", f.user)),
        ] {
            let reply = send_bytes(&f.okta, method.clone(), &path, body).await;
            assert_scim_error(&reply, 400, Some("invalidSyntax"), words);
        }
    }
    // Invalid UTF-8 inside a string value.
    let mut invalid = format!(r#"{{"schemas":["{USER_URN}"],"userName":""#).into_bytes();
    invalid.extend_from_slice(b"bad\xff\xfe@example.com\"}");
    let reply = send_bytes(&f.okta, Method::POST, "/Users", &invalid).await;
    assert_scim_error(
        &reply,
        400,
        Some("invalidSyntax"),
        &["not valid JSON", "line 1"],
    );
    f.assert_unchanged("hostile JSON").await;
    f.server.stop().await;
}

#[tokio::test]
async fn wrong_types_are_invalid_value_naming_the_attribute() {
    let f = fixture().await;
    let cases: [(&str, Value, &[&str]); 8] = [
        ("userName", json!(5), &["userName"]),
        ("userName", json!(null), &["userName"]),
        ("active", json!("yes"), &["active", "true or false", "yes"]),
        ("emails", json!("x"), &["emails"]),
        ("name", json!([]), &["name"]),
        ("name", json!("Ada"), &["name"]),
        ("emails", json!([{ "value": 7 }]), &["emails", "value"]),
        ("schemas", json!(USER_URN), &["schemas", "array"]),
    ];
    let mut problems = Vec::new();
    for (i, (attribute, value, words)) in cases.into_iter().enumerate() {
        let fresh = format!("typed{i}@example.com");
        for (method, path, user_name) in [
            (Method::POST, "/Users".to_owned(), fresh.as_str()),
            (
                Method::PUT,
                format!("/Users/{}", f.user),
                "steady@example.com",
            ),
        ] {
            let mut body = user_body(user_name);
            body[attribute] = value.clone();
            let reply = f.okta.send(method.clone(), &path, Some(&body), &[]).await;
            if let Err(problem) = check_scim_error(&reply, 400, Some("invalidValue"), words) {
                problems.push(format!(
                    "{method} {path} with {attribute}: {value}: {problem}"
                ));
            }
        }
        if attribute != "schemas" {
            let patch = patch_body(json!([{ "op": "replace", "path": attribute, "value": value }]));
            let reply = f.okta.patch(&format!("/Users/{}", f.user), &patch).await;
            // Replacing with null removes, and userName cannot be removed.
            let kind = if value.is_null() {
                "mutability"
            } else {
                "invalidValue"
            };
            if let Err(problem) = check_scim_error(&reply, 400, Some(kind), words) {
                problems.push(format!("PATCH replace {attribute}: {value}: {problem}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    let mut group = group_body("Typed", &[]);
    group["displayName"] = json!(["Typed"]);
    let reply = f.okta.post("/Groups", &group).await;
    assert_scim_error(&reply, 400, Some("invalidValue"), &["displayName"]);
    let reply = f
        .okta
        .post(
            "/Groups",
            &json!({ "schemas": [GROUP_URN], "members": "x" }),
        )
        .await;
    assert_eq!(reply.status, 400, "{reply:?}");
    let reply = f
        .okta
        .post("/Users", &json!([user_body("array@example.com")]))
        .await;
    assert_scim_error(&reply, 400, Some("invalidSyntax"), &["object"]);
    f.assert_unchanged("wrong types").await;
    f.server.stop().await;
}

#[tokio::test]
async fn required_attributes_and_schemas_are_checked() {
    let f = fixture().await;
    let no_name = json!({ "schemas": [USER_URN], "active": true });
    let reply = f.okta.post("/Users", &no_name).await;
    assert_scim_error(&reply, 400, Some("invalidValue"), &["userName"]);
    let reply = f
        .okta
        .post("/Groups", &json!({ "schemas": [GROUP_URN] }))
        .await;
    assert_scim_error(&reply, 400, Some("invalidValue"), &["displayName"]);

    let mut unknown = user_body("schema@example.com");
    unknown["schemas"] = json!([USER_URN, "urn:example:params:scim:schemas:Pets"]);
    let reply = f.okta.post("/Users", &unknown).await;
    assert_scim_error(
        &reply,
        400,
        Some("invalidValue"),
        &["unknown schema", "urn:example:params:scim:schemas:Pets"],
    );
    let mut without_core = user_body("schema@example.com");
    without_core["schemas"] = json!([ENTERPRISE_URN]);
    let reply = f.okta.post("/Users", &without_core).await;
    assert_scim_error(
        &reply,
        400,
        Some("invalidValue"),
        &["must include", USER_URN],
    );
    let mut group_urn = user_body("schema@example.com");
    group_urn["schemas"] = json!([GROUP_URN]);
    let reply = f.okta.post("/Users", &group_urn).await;
    assert_scim_error(&reply, 400, Some("invalidValue"), &[GROUP_URN]);
    let reply = f
        .okta
        .put(&format!("/Users/{}", f.user), &without_core)
        .await;
    assert_scim_error(&reply, 400, Some("invalidValue"), &["must include"]);
    f.assert_unchanged("schemas").await;
    f.server.stop().await;
}

#[tokio::test]
async fn unknown_attributes_are_ignored_and_named_in_a_response_header() {
    let f = fixture().await;
    let mut body = user_body("extra@example.com");
    body["favouriteColour"] = json!("blue");
    body["urn:example:custom:2.0:User:badge"] = json!("7");
    let reply = f.okta.post("/Users", &body).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let tolerances = reply
        .header("scim-workbench-tolerances")
        .expect("the tolerances header");
    assert!(
        tolerances.contains("unknown-attribute-ignored"),
        "{tolerances}"
    );
    assert_eq!(reply.body.get("favouriteColour"), None);
    let read = fetch(&f.okta, &format!("/Users/{}", id_of(&reply.body))).await;
    assert_eq!(read.get("favouriteColour"), None, "not stored: {read}");
    // A clean request names no tolerance.
    let clean = f.okta.post("/Users", &user_body("clean@example.com")).await;
    assert_eq!(clean.header("scim-workbench-tolerances"), None);
    f.server.stop().await;
}

#[tokio::test]
async fn a_ten_megabyte_body_is_413() {
    let f = fixture().await;
    let filler = "x".repeat(10 * 1024 * 1024);
    let body =
        format!(r#"{{"schemas":["{USER_URN}"],"userName":"big@example.com","x":"{filler}"}}"#);
    let (addr, base) = scim_addr(&f.okta);
    for chunked in [false, true] {
        let framing = if chunked {
            "Transfer-Encoding: chunked".to_owned()
        } else {
            format!("Content-Length: {}", body.len())
        };
        let head = format!(
            "POST {base}/Users HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {}\r\n\
             Content-Type: application/scim+json\r\n{framing}",
            f.okta.authorization
        );
        let reply = raw_request(addr, &head, body.clone().into_bytes(), chunked).await;
        assert_eq!(reply.status, 413, "chunked={chunked}: {reply:?}");
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some("application/scim+json")
        );
        assert_eq!(reply.body["status"], "413", "{reply:?}");
        assert_eq!(reply.body.get("scimType"), None);
        let detail = reply.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("at most 1048576 bytes"),
            "chunked={chunked}: {detail}"
        );
    }
    // Just over the limit, sent by an ordinary client.
    let over = format!(
        r#"{{"schemas":["{USER_URN}"],"userName":"big@example.com","x":"{}"}}"#,
        "y".repeat(1024 * 1024)
    );
    let reply = send_bytes(&f.okta, Method::POST, "/Users", over.as_bytes()).await;
    assert_scim_error(&reply, 413, None, &["1048576"]);
    f.assert_unchanged("10 MB body").await;
    f.server.stop().await;
}

#[tokio::test]
async fn hostile_filters_are_invalid_filter() {
    let f = fixture().await;
    let nested = format!(
        "{}userName eq \"x\"{}",
        "(".repeat(1_000),
        ")".repeat(1_000)
    );
    let nots = format!(
        "{}userName eq \"x\"{}",
        "not (".repeat(1_000),
        ")".repeat(1_000)
    );
    let brackets = format!(
        "emails[{}value eq \"x\"{}]",
        "(".repeat(1_000),
        ")".repeat(1_000)
    );
    for filter in [&nested, &nots, &brackets] {
        let reply = f
            .okta
            .get(&format!("/Users?filter={}", encode(filter)))
            .await;
        assert_scim_error(&reply, 400, Some("invalidFilter"), &["nested deeper than"]);
    }
    // Past 64 KiB a URL is refused by the HTTP layer itself (414), before any SCIM code runs:
    // longer filters can only come in a SearchRequest body.
    let (addr, base) = scim_addr(&f.okta);
    for size in [65 * 1024, 1_000_000] {
        let long = format!("userName eq \"{}\"", "a".repeat(size));
        let head = format!(
            "GET {base}/Users?filter={} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {}",
            encode(&long),
            f.okta.authorization
        );
        let reply = raw_request(addr, &head, Vec::new(), false).await;
        assert!(
            matches!(reply.status, 414 | 431),
            "a {size}-byte filter in a URL: {}",
            reply.head
        );
    }
    let long = format!("userName eq \"{}\"", "a".repeat(65 * 1024));
    let reply = f
        .okta
        .post(
            "/Users/.search",
            &json!({ "schemas": [SEARCH_URN], "filter": long }),
        )
        .await;
    assert_scim_error(
        &reply,
        400,
        Some("invalidFilter"),
        &["bytes long", "limit is 65536"],
    );
    let megabyte = format!("userName eq \"{}\"", "a".repeat(1_000_000));
    for path in ["/Users/.search", "/Groups/.search", "/.search"] {
        let reply = f
            .okta
            .post(
                path,
                &json!({ "schemas": [SEARCH_URN], "filter": megabyte }),
            )
            .await;
        assert_scim_error(&reply, 400, Some("invalidFilter"), &["bytes long", "limit"]);
    }
    let cases: [(&str, &[&str]); 6] = [
        ("userName eq", &["expected a value", "position 11"]),
        ("userName xx \"a\"", &["xx"]),
        ("(userName eq \"a\"", &[")"]),
        ("nosuch eq \"a\"", &["nosuch"]),
        (
            "userName eq \"a\" and",
            &["expected an attribute name", "position 19"],
        ),
        (
            "emails[type eq \"work\"",
            &["'[' is never closed", "position 6"],
        ),
    ];
    for (filter, words) in cases {
        let reply = f
            .okta
            .get(&format!("/Users?filter={}", encode(filter)))
            .await;
        assert_scim_error(&reply, 400, Some("invalidFilter"), words);
    }
    f.assert_unchanged("hostile filters").await;
    f.server.stop().await;
}

#[tokio::test]
async fn out_of_range_paging_is_interpreted_and_unknown_sort_keys_refused() {
    let f = fixture().await;
    create_user(&f.okta, "second@example.com").await;
    // RFC 7644 §3.4.2.4: interpret, do not reject.
    let counted = fetch(&f.okta, "/Users?count=-1").await;
    assert_eq!(
        (
            &counted["totalResults"],
            &counted["itemsPerPage"],
            &counted["Resources"]
        ),
        (&json!(2), &json!(0), &json!([]))
    );
    let first = fetch(&f.okta, "/Users?startIndex=0&count=1").await;
    assert_eq!(
        (&first["startIndex"], &first["itemsPerPage"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(ids(&first), [f.user.as_str()]);
    let searched = f
        .okta
        .post(
            "/Users/.search",
            &json!({ "schemas": [SEARCH_URN], "startIndex": 0, "count": -1 }),
        )
        .await;
    assert_eq!(searched.status, 200, "{searched:?}");
    assert_eq!(
        (
            &searched.body["startIndex"],
            &searched.body["totalResults"],
            &searched.body["itemsPerPage"]
        ),
        (&json!(1), &json!(2), &json!(0))
    );

    let reply = f.okta.get("/Users?sortBy=shoeSize").await;
    assert_scim_error(&reply, 400, Some("invalidValue"), &["sortBy", "shoeSize"]);
    let reply = f.okta.get("/Groups?sortBy=members").await;
    assert_scim_error(&reply, 400, Some("invalidValue"), &["sortBy", "members"]);
    let reply = f
        .okta
        .get("/Users?sortBy=userName&sortOrder=sideways")
        .await;
    assert_scim_error(&reply, 400, None, &["sortOrder", "sideways"]);
    let reply = f
        .okta
        .post(
            "/Users/.search",
            &json!({ "schemas": [SEARCH_URN], "sortBy": "shoeSize" }),
        )
        .await;
    assert_scim_error(&reply, 400, Some("invalidValue"), &["shoeSize"]);
    let reply = f
        .okta
        .post(
            "/Users/.search",
            &json!({ "schemas": [SEARCH_URN], "count": "ten" }),
        )
        .await;
    assert_scim_error(&reply, 400, Some("invalidValue"), &["count", "integer"]);
    let reply = f
        .okta
        .post("/Users/.search", &json!({ "schemas": [PATCH_URN] }))
        .await;
    assert_scim_error(&reply, 400, Some("invalidSyntax"), &["SearchRequest"]);
    f.server.stop().await;
}

#[tokio::test]
async fn odd_ids_and_query_strings_get_scim_answers() {
    let f = fixture().await;
    for id in [
        "%FF",
        "%00",
        "..%2F..%2FGroups",
        "%E2%80%AE",
        "x%20y",
        "%C0%AF",
    ] {
        for endpoint in ["/Users", "/Groups"] {
            let path = format!("{endpoint}/{id}");
            let reply = f.okta.get(&path).await;
            assert_scim_error(&reply, 404, None, &["not found"]);
            let reply = f.okta.delete(&path).await;
            assert_scim_error(&reply, 404, None, &["not found"]);
        }
    }
    for query in [
        "filter=%FF",
        "filter=userName%20eq%20%22%FF%22",
        "filter=",
        "filter=%00",
        "attributes=%FF",
        "excludedAttributes=,,,",
        "sortBy=%FF",
        "count=%00",
        "startIndex=99999999999999999999999",
        "count=99999999999999999999999",
        "filter=userName%20eq%20%22a%22&filter=bogus",
    ] {
        let reply = f.okta.get(&format!("/Users?{query}")).await;
        let status = reply.status.as_u16();
        assert!(status == 200 || status == 400, "{query}: {reply:?}");
        if status == 400 {
            assert_eq!(
                reply.body["schemas"],
                json!([ERROR_URN]),
                "{query}: {reply:?}"
            );
            assert!(reply.body["detail"].is_string(), "{query}: {reply:?}");
        }
    }
    f.assert_unchanged("odd ids and queries").await;
    f.server.stop().await;
}
