//! Who may call the SCIM listener (SPEC.md "SSO providers"): every wrong, revoked, expired or
//! misplaced credential gets `401` with `WWW-Authenticate` and a SCIM error body that says what
//! is wrong; HTTP Basic works end to end for a provider set up for it.

mod scim_common;

use serde_json::json;
use workbench_core::site::credentials::{self, Issued};
use workbench_core::site::{ProviderKind, ScimAuth, providers};
use workbench_tests::{Reply, Scim, TestServer, manual_clock};

use scim_common::*;

/// Asserts a `401` as an IdP must see it: a challenge naming both schemes, and the SCIM error.
fn assert_unauthorized(reply: &Reply, detail_words: &[&str]) {
    assert_scim_error(reply, 401, None, detail_words);
    let challenge = reply
        .header("www-authenticate")
        .unwrap_or_else(|| panic!("a WWW-Authenticate header: {reply:?}"));
    assert!(
        challenge.contains("Bearer") && challenge.contains("Basic"),
        "{challenge}"
    );
}

fn basic(username: &str, password: &str) -> String {
    use std::fmt::Write;
    // Small base64 encoder, so the test states exactly what goes on the wire.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{username}:{password}").into_bytes();
    let mut out = String::from("Basic ");
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                let _ = write!(
                    out,
                    "{}",
                    ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char
                );
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn bearer(issued: &Issued) -> (String, String) {
    match issued {
        Issued::Token {
            token,
            credential_id,
            ..
        } => (format!("Bearer {token}"), credential_id.clone()),
        other => panic!("a token, got {other:?}"),
    }
}

/// Nothing is created by a refused request: the provider's own view stays empty.
async fn assert_nothing_created(okta: &Scim) {
    let listed = fetch(okta, "/Users").await;
    assert_eq!(listed["totalResults"], 0, "{listed}");
}

#[tokio::test]
async fn missing_or_unreadable_credentials_get_401_that_say_why() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let cases: [(&str, &[&str]); 7] = [
        ("", &["no credential", "Authorization: Bearer"]),
        ("garbage", &["neither", "Bearer", "Basic"]),
        ("Bearer", &["neither"]),
        (
            "Bearer not-a-workbench-token",
            &["not a SCIM Workbench token"],
        ),
        (
            "Bearer scimwb_0123456789abcdef_0000000000000000000000000000000000000000",
            &["not valid"],
        ),
        ("Basic !!!not-base64!!!", &["base64"]),
        ("Digest username=\"x\"", &["neither"]),
    ];
    for (authorization, words) in cases {
        let caller = okta.with_authorization(authorization);
        let reply = caller.get("/Users").await;
        assert_unauthorized(&reply, words);
        let reply = caller
            .post("/Users", &user_body("intruder@example.com"))
            .await;
        assert_unauthorized(&reply, words);
    }
    // A valid token with one character changed is as unknown as any other.
    let mut tampered = okta.authorization.clone();
    let last = tampered.pop().expect("a token");
    tampered.push(if last == '0' { '1' } else { '0' });
    assert_unauthorized(
        &okta.with_authorization(&tampered).get("/Users").await,
        &["not valid"],
    );
    assert_nothing_created(&okta).await;
    server.stop().await;
}

#[tokio::test]
async fn a_revoked_token_gets_401_while_the_providers_other_tokens_work() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let site = &server.running.state.site;
    let issued = credentials::issue_token(site, &okta.provider_id, None)
        .await
        .expect("a second token");
    let (authorization, credential) = bearer(&issued);
    let second = okta.with_authorization(&authorization);
    assert_eq!(
        second.get("/Users").await.status,
        200,
        "the new token works"
    );

    credentials::revoke(site, &okta.provider_id, &credential)
        .await
        .expect("revoked");
    let reply = second.post("/Users", &user_body("late@example.com")).await;
    assert_unauthorized(&reply, &["revoked"]);
    assert_eq!(
        okta.get("/Users").await.status,
        200,
        "the first token still works"
    );
    assert_nothing_created(&okta).await;
    server.stop().await;
}

#[tokio::test]
async fn an_expired_token_gets_401_until_its_expiry_is_extended() {
    let start = 1_800_000_000_000;
    let (clock, shared) = manual_clock(start);
    let server = TestServer::start_with(Some(shared)).await;
    let okta = server.provider("okta").await;
    let site = &server.running.state.site;
    let hour = 3_600_000;
    let issued = credentials::issue_token(site, &okta.provider_id, Some(start + hour))
        .await
        .expect("a short-lived token");
    let (authorization, credential) = bearer(&issued);
    let short = okta.with_authorization(&authorization);
    assert_eq!(short.get("/Users").await.status, 200, "valid before expiry");

    clock.advance(hour + 1);
    let reply = short.get("/Users").await;
    assert_unauthorized(&reply, &["expired"]);
    let reply = short
        .post("/Users", &user_body("expired@example.com"))
        .await;
    assert_unauthorized(&reply, &["expired"]);
    assert_eq!(
        okta.get("/Users").await.status,
        200,
        "the year-long token still works"
    );

    credentials::extend(site, &okta.provider_id, &credential, start + 10 * hour)
        .await
        .expect("extended");
    assert_eq!(
        short.get("/Users").await.status,
        200,
        "valid again once extended"
    );
    assert_nothing_created(&okta).await;
    server.stop().await;
}

#[tokio::test]
async fn basic_credentials_against_a_token_provider_get_401() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let site = &server.running.state.site;
    // Unknown Basic credentials.
    let reply = okta
        .with_authorization(&basic("scim-unknown", "secret"))
        .get("/Users")
        .await;
    assert_unauthorized(&reply, &["username or password is not valid"]);
    // Real Basic credentials of this provider, while it is set to tokens.
    let Issued::Basic {
        username, password, ..
    } = credentials::reset_basic(site, &okta.provider_id)
        .await
        .expect("basic credentials")
    else {
        panic!("basic credentials");
    };
    let reply = okta
        .with_authorization(&basic(&username, &password))
        .post("/Users", &user_body("basic@example.com"))
        .await;
    assert_unauthorized(&reply, &["accepts token credentials", "not basic"]);
    assert_nothing_created(&okta).await;
    server.stop().await;
}

#[tokio::test]
async fn a_token_against_a_basic_provider_gets_401() {
    let server = TestServer::start().await;
    let jumpcloud = server.provider_with("jumpcloud", "basic").await;
    let site = &server.running.state.site;
    let issued = credentials::issue_token(site, &jumpcloud.provider_id, None)
        .await
        .expect("a token");
    let (authorization, _) = bearer(&issued);
    let reply = jumpcloud
        .with_authorization(&authorization)
        .post("/Users", &user_body("token@example.com"))
        .await;
    assert_unauthorized(&reply, &["accepts basic credentials", "not token"]);
    // Unknown Basic credentials are refused as well.
    let wrong = jumpcloud.with_authorization(&basic("scim-nobody", "x"));
    assert_unauthorized(&wrong.get("/Users").await, &["not valid"]);
    assert_nothing_created(&jumpcloud).await;
    server.stop().await;
}

#[tokio::test]
async fn basic_auth_works_end_to_end() {
    let server = TestServer::start().await;
    let jumpcloud = server.provider_with("jumpcloud", "basic").await;
    assert!(jumpcloud.authorization.starts_with("Basic "));
    let created = create(&jumpcloud, "/Users", &user_body("basic.user@example.com")).await;
    let path = format!("/Users/{}", id_of(&created));
    let group = create_group(&jumpcloud, "Basic Group", &[&id_of(&created)]).await;
    let patched = jumpcloud
        .patch(
            &path,
            &patch_body(json!([{ "op": "replace", "path": "active", "value": false }])),
        )
        .await;
    assert_eq!(patched.status, 200, "{patched:?}");
    assert_eq!(patched.body["active"], false);
    let found = fetch(
        &jumpcloud,
        "/Users?filter=userName%20eq%20%22basic.user@example.com%22",
    )
    .await;
    assert_eq!(ids(&found), [id_of(&created)]);
    assert_eq!(fetch(&jumpcloud, &path).await["groups"][0]["value"], group);
    assert_eq!(jumpcloud.delete(&path).await.status, 204);

    // A wrong password for the real username.
    let site = &server.running.state.site;
    let listed = credentials::list(site, &jumpcloud.provider_id)
        .await
        .expect("credentials");
    let real_username = listed
        .iter()
        .find_map(|c| c.username.clone())
        .expect("a Basic username");
    let reply = jumpcloud
        .with_authorization(&basic(&real_username, "wrong-password"))
        .get("/Users")
        .await;
    assert_unauthorized(&reply, &["username or password is not valid"]);
    server.stop().await;
}

#[tokio::test]
async fn a_provider_with_scim_turned_off_gets_401_until_it_is_turned_on() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let site = &server.running.state.site;
    assert_eq!(okta.get("/Users").await.status, 200);
    let set = |method: &str| ("scim_authentication_method".to_owned(), method.to_owned());
    providers::set(site, &okta.provider_id, &[set("none")])
        .await
        .expect("SCIM turned off");
    let reply = okta.post("/Users", &user_body("off@example.com")).await;
    assert_unauthorized(&reply, &["SCIM provisioning is turned off", "okta test"]);
    providers::set(site, &okta.provider_id, &[set("token")])
        .await
        .expect("SCIM turned on");
    assert_nothing_created(&okta).await;
    server.stop().await;
}

#[tokio::test]
async fn an_oidc_provider_cannot_enable_scim_and_its_tokens_get_401() {
    let server = TestServer::start().await;
    let site = &server.running.state.site;
    let refused = providers::create(site, "Login", ProviderKind::Oidc, Some(ScimAuth::Token))
        .await
        .expect_err("SCIM cannot be enabled on an oidc provider");
    assert!(refused.to_string().contains("SAML-based"), "{refused}");

    let (oidc, issued) = providers::create(site, "Login", ProviderKind::Oidc, None)
        .await
        .expect("an oidc provider without SCIM");
    assert_eq!(oidc.scim_authentication_method, ScimAuth::None);
    assert!(issued.is_none(), "no SCIM secret for an oidc provider");
    let enable = [("scim_authentication_method".to_owned(), "token".to_owned())];
    let refused = providers::set(site, &oidc.id, &enable)
        .await
        .expect_err("SCIM cannot be enabled later either");
    assert!(refused.to_string().contains("SAML-based"), "{refused}");

    // Even a token issued for it (the CLI can) opens nothing.
    let issued = credentials::issue_token(site, &oidc.id, None)
        .await
        .expect("a token");
    let (authorization, _) = bearer(&issued);
    let scim = Scim::new(&server.base, &authorization, &oidc.id);
    let reply = scim.post("/Users", &user_body("oidc@example.com")).await;
    assert_unauthorized(&reply, &["SCIM provisioning is turned off"]);

    // Turning a SCIM provider into an oidc one is refused too.
    let okta = server.provider("okta").await;
    let to_oidc = [("kind".to_owned(), "oidc".to_owned())];
    let refused = providers::set(site, &okta.provider_id, &to_oidc)
        .await
        .expect_err("an okta provider with SCIM cannot become oidc");
    assert!(refused.to_string().contains("SAML-based"), "{refused}");
    assert_eq!(okta.get("/Users").await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn oktas_bare_token_header_is_accepted_and_named() {
    let server = TestServer::start().await;
    let okta = server.provider("okta").await;
    let bare = okta
        .authorization
        .strip_prefix("Bearer ")
        .expect("a bearer token")
        .to_owned();
    let reply = okta.with_authorization(&bare).get("/Users").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.header("scim-workbench-tolerances"),
        Some("token-without-scheme")
    );
    server.stop().await;
}
