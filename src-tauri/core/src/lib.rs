//! `workbench-core`: the SCIM Workbench engine — SQLite store, site model, the SCIM and admin
//! HTTP listeners — and the headless `scim-workbench` binary. Knows nothing of Tauri.

pub mod api_types;
pub mod cli;
pub mod clock;
pub mod http;
pub mod logs;
pub mod rules;
pub mod secrets;
pub mod server;
pub mod site;
pub mod store;
