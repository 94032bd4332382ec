//! Criterion benchmarks of the protocol crate's hot paths, with the request shapes real IdPs
//! send. Targets (BENCHMARKS.md): a typical IdP filter parses in < 2 µs, a typical Entra PATCH
//! applies in < 10 µs, a typical Okta create body validates in < 20 µs.
//!
//! Run: `cargo bench -p workbench-scim --bench protocol`.

#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use workbench_scim::filter::{Filter, parse_and_check};
use workbench_scim::schema::{GROUP, USER};
use workbench_scim::{Resource, Tolerances, json as body, patch, resource};

/// Okta's exists check, Entra's membership check and a longer RFC-style filter.
const FILTERS: [(&str, &str); 3] = [
    (
        "okta_exists",
        r#"userName eq "isabella.martinez@example.com""#,
    ),
    (
        "entra_membership",
        r#"id eq "1f0c6a5e-8b6d-4a57-9a43-9f5c1d2c0b7e" and members[value eq "6a3f1e1c-2d4b-4c8a-b0e1-5d7f9a2c3e4b"]"#,
    ),
    (
        "rfc_complex",
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org") and not (title pr)"#,
    ),
];

fn okta_create_body() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "isabella.martinez@example.com",
        "name": { "givenName": "Isabella", "familyName": "Martinez" },
        "emails": [{ "primary": true, "value": "isabella.martinez@example.com", "type": "work" }],
        "displayName": "Isabella Martinez",
        "locale": "en-US",
        "externalId": "00u1a2b3c4d5e6f7g8h9",
        "groups": [],
        "password": "tJ8#kq2!Lm9z",
        "active": true
    })
}

fn entra_patch_body() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            { "op": "Replace", "path": "displayName", "value": "Isabella M. Martinez" },
            { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "imartinez@example.com" },
            { "op": "Replace", "path": "name.familyName", "value": "Martinez-Lopez" },
            { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Finance" },
            { "op": "Replace", "path": "active", "value": "False" }
        ]
    })
}

fn existing_user() -> Resource {
    let mut user = resource::parse(&USER, okta_create_body(), &mut Tolerances::new())
        .unwrap()
        .resource;
    user.set_id("6a3f1e1c-2d4b-4c8a-b0e1-5d7f9a2c3e4b");
    user
}

fn filters(c: &mut Criterion) {
    let mut group = c.benchmark_group("filter");
    for (name, text) in FILTERS {
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| Filter::parse_lenient(black_box(text), &mut Tolerances::new()).unwrap())
        });
        let rtype = if name == "entra_membership" {
            &GROUP
        } else {
            &USER
        };
        group.bench_function(format!("parse_and_check/{name}"), |b| {
            b.iter(|| parse_and_check(black_box(text), rtype, &mut Tolerances::new()).unwrap())
        });
    }
    let user = existing_user();
    let expr = parse_and_check(FILTERS[0].1, &USER, &mut Tolerances::new()).unwrap();
    group.bench_function("evaluate/okta_exists", |b| {
        b.iter(|| black_box(&expr).matches(user.attrs()))
    });
    group.finish();
}

fn patches(c: &mut Criterion) {
    let mut group = c.benchmark_group("patch");
    let user = existing_user();
    let body = entra_patch_body();
    group.bench_function("entra_user/parse_and_apply", |b| {
        b.iter(|| {
            let mut tolerances = Tolerances::new();
            let ops =
                patch::parse_request(black_box(body.clone()), &USER, &mut tolerances).unwrap();
            patch::apply(black_box(&user), &ops, &mut tolerances).unwrap()
        })
    });
    let ops = patch::parse_request(body.clone(), &USER, &mut Tolerances::new()).unwrap();
    group.bench_function("entra_user/apply", |b| {
        b.iter(|| patch::apply(black_box(&user), &ops, &mut Tolerances::new()).unwrap())
    });
    group.finish();
}

fn validation(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    let value = okta_create_body();
    let bytes = serde_json::to_vec(&value).unwrap();
    group.bench_function("okta_create/from_value", |b| {
        b.iter(|| resource::parse(&USER, black_box(value.clone()), &mut Tolerances::new()).unwrap())
    });
    group.bench_function("okta_create/from_bytes", |b| {
        b.iter(|| {
            let value = body::parse_body(black_box(&bytes), body::DEFAULT_MAX_BODY).unwrap();
            resource::parse(&USER, value, &mut Tolerances::new()).unwrap()
        })
    });
    let user = existing_user();
    group.bench_function("okta_user/render", |b| {
        b.iter(|| black_box(&user).to_json())
    });
    group.finish();
}

criterion_group!(benches, filters, patches, validation);
criterion_main!(benches);
