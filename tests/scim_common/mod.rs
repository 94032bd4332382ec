//! Helpers shared by the SCIM HTTP test files (`scim_http*.rs`, `bad_input*.rs`): request
//! bodies, a check of the RFC 7644 §3.12 error body, and a raw HTTP/1.1 client for requests
//! reqwest will not send (chunked uploads, invalid bytes). Each test file uses a subset.
#![allow(dead_code)]

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use workbench_tests::{Reply, Scim};

pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A minimal User body.
pub fn user_body(user_name: &str) -> Value {
    json!({ "schemas": [USER_URN], "userName": user_name, "active": true })
}

/// A minimal Group body with members (ids).
pub fn group_body(display_name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|id| json!({ "value": id })).collect();
    json!({ "schemas": [GROUP_URN], "displayName": display_name, "members": members })
}

/// A PatchOp body.
pub fn patch_body(operations: Value) -> Value {
    json!({ "schemas": [PATCH_URN], "Operations": operations })
}

/// Creates `body` at `endpoint` (`/Users`, `/Groups`) and returns the created resource.
pub async fn create(scim: &Scim, endpoint: &str, body: &Value) -> Value {
    let reply = scim.post(endpoint, body).await;
    assert_eq!(
        reply.status, 201,
        "POST {endpoint} {body}: {:?}",
        reply.body
    );
    reply.body
}

/// Creates a user and returns its id.
pub async fn create_user(scim: &Scim, user_name: &str) -> String {
    id_of(&create(scim, "/Users", &user_body(user_name)).await)
}

/// Creates a group with members and returns its id.
pub async fn create_group(scim: &Scim, display_name: &str, members: &[&str]) -> String {
    id_of(&create(scim, "/Groups", &group_body(display_name, members)).await)
}

pub fn id_of(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a resource with an id: {resource}"))
        .to_owned()
}

/// Reads a resource that must exist (`200`).
pub async fn fetch(scim: &Scim, path: &str) -> Value {
    let reply = scim.get(path).await;
    assert_eq!(reply.status, 200, "GET {path}: {:?}", reply.body);
    reply.body
}

/// The `id`s of a ListResponse's resources, in order.
pub fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("a ListResponse with Resources: {list}"))
        .iter()
        .map(id_of)
        .collect()
}

/// Asserts a SCIM error answer: the status, the RFC 7644 §3.12 body (error schema, `status` as a
/// string, `scimType` exactly `scim_type` or absent), `application/scim+json`, and a `detail`
/// containing every one of `detail_words` (ignoring case).
pub fn assert_scim_error(
    reply: &Reply,
    status: u16,
    scim_type: Option<&str>,
    detail_words: &[&str],
) {
    if let Err(problem) = check_scim_error(reply, status, scim_type, detail_words) {
        panic!("{problem}");
    }
}

/// What [`assert_scim_error`] checks, as a description of the first difference.
pub fn check_scim_error(
    reply: &Reply,
    status: u16,
    scim_type: Option<&str>,
    detail_words: &[&str],
) -> Result<(), String> {
    let context = format!("{} {:?} {}", reply.status, reply.headers, reply.body);
    let context: String = context.chars().take(2_000).collect();
    let fail = |what: String| Err(format!("{what}: {context}"));
    if reply.status.as_u16() != status {
        return fail(format!("expected status {status}"));
    }
    if !reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/scim+json"))
    {
        return fail("an error is application/scim+json".into());
    }
    if reply.body["schemas"] != json!([ERROR_URN])
        || reply.body["status"] != json!(status.to_string())
    {
        return fail("an RFC 7644 error body with the status as a string".into());
    }
    if reply.body.get("scimType").and_then(Value::as_str) != scim_type {
        return fail(format!("expected scimType {scim_type:?}"));
    }
    let Some(detail) = reply.body["detail"].as_str() else {
        return fail("a detail".into());
    };
    let detail = detail.to_lowercase();
    for word in detail_words {
        if !detail.contains(&word.to_lowercase()) {
            return fail(format!("the detail should mention {word:?}"));
        }
    }
    Ok(())
}

/// A response read from a raw connection.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    pub head: String,
    pub body: Value,
}

impl RawReply {
    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

/// Sends one HTTP/1.1 request over a fresh connection: `head` (request line and headers, without
/// the blank line) then `body` written in pieces of `piece` bytes (as chunks when `chunked`). The
/// server may answer before the body is all sent and close; write errors are then expected and
/// ignored. Fails the test if no full answer comes within 30 seconds (a hang).
pub async fn raw_request(
    addr: std::net::SocketAddr,
    head: &str,
    body: Vec<u8>,
    chunked: bool,
) -> RawReply {
    let exchange = async move {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut read, mut write) = stream.into_split();
        let head = format!("{head}\r\nConnection: close\r\n\r\n");
        let writer = tokio::spawn(async move {
            write.write_all(head.as_bytes()).await?;
            for piece in body.chunks(64 * 1024) {
                if chunked {
                    write
                        .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                        .await?;
                    write.write_all(piece).await?;
                    write.write_all(b"\r\n").await?;
                } else {
                    write.write_all(piece).await?;
                }
            }
            if chunked {
                write.write_all(b"0\r\n\r\n").await?;
            }
            write.flush().await?;
            Ok::<_, std::io::Error>(write)
        });
        let mut bytes = Vec::new();
        // The server closes the connection after answering (`Connection: close`), or resets
        // it when it stops reading an unwanted body: what was read by then is the answer.
        let _ = read.read_to_end(&mut bytes).await;
        writer.abort();
        bytes
    };
    let bytes = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .expect("the server answers within 30 seconds");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("an HTTP response, got {text:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {head:?}"));
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()))
    };
    RawReply {
        status,
        head: head.to_owned(),
        body,
    }
}

/// `host:port` and path of the SCIM base URL (`http://127.0.0.1:PORT/api/scim`).
pub fn scim_addr(scim: &Scim) -> (std::net::SocketAddr, String) {
    let rest = scim.base.strip_prefix("http://").expect("an http base URL");
    let (host, path) = rest.split_once('/').expect("a base path");
    (host.parse().expect("a socket address"), format!("/{path}"))
}

/// Sends `method path` with raw body bytes and the SCIM content type.
pub async fn send_bytes(scim: &Scim, method: Method, path: &str, body: &[u8]) -> Reply {
    scim.send_raw(method, path, Some("application/scim+json"), body.to_vec())
        .await
}
