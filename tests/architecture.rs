//! The dependency rules of ARCHITECTURE.md, checked on the real dependency tree.

use workbench_tests::cargo;

/// Crates that do IO, run an async runtime, or speak SQL or HTTP.
const FORBIDDEN_IN_PROTOCOL: &[&str] = &[
    "tokio",
    "async-std",
    "smol",
    "mio",
    "futures",
    "sqlx",
    "rusqlite",
    "libsqlite3-sys",
    "hyper",
    "axum",
    "reqwest",
    "http",
    "tower",
    "ureq",
    "tauri",
];

#[test]
fn protocol_crate_has_no_io_runtime_database_or_http_dependency() {
    let tree = cargo(&[
        "tree",
        "--locked",
        "-p",
        "workbench-scim",
        "-e",
        "normal,build",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ]);
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(
        crates.contains(&"serde_json"),
        "unexpected cargo tree output:\n{tree}"
    );
    let offending: Vec<&&str> = crates
        .iter()
        .filter(|name| FORBIDDEN_IN_PROTOCOL.contains(name))
        .collect();
    assert!(
        offending.is_empty(),
        "workbench-scim depends on {offending:?}:\n{tree}"
    );
}
