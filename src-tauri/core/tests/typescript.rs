//! The TypeScript bindings of the admin API (`ui/src/api/types.gen.ts`) are generated from the
//! Rust types: this test regenerates them and fails if the committed file was out of date.

use std::path::PathBuf;

#[test]
fn the_committed_typescript_bindings_match_the_rust_types() {
    let generated =
        workbench_core::api_types::typescript().expect("the admin API types export to TypeScript");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/api/types.gen.ts");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("ui/src/api exists");
        }
        std::fs::write(&path, &generated).expect("types.gen.ts is written");
        panic!(
            "{} was out of date with the Rust DTOs and has been regenerated; review and commit it",
            path.display()
        );
    }
    for name in [
        "ProviderView",
        "UserDetail",
        "DryRunResult",
        "HistoryPage",
        "LifecycleRule",
    ] {
        assert!(generated.contains(name), "{name} is exported");
    }
}
