//! The whole site as one JSON document: providers (no secrets), users and groups with their
//! SCIM representations.

use serde_json::{Value, json};

use super::render::{self, rfc3339};
use super::{Site, SiteError, credentials, providers};
use crate::store::{groups, users};

/// The export document.
pub async fn site(site: &Site) -> Result<Value, SiteError> {
    let db = site.store().reader();
    let mut provider_docs = Vec::new();
    for provider in providers::list(site).await? {
        let mut doc = serde_json::to_value(&provider).unwrap_or(Value::Null);
        let credentials = credentials::list(site, &provider.id).await?;
        doc["credentials"] = serde_json::to_value(credentials).unwrap_or(Value::Null);
        provider_docs.push(doc);
    }
    let mut user_docs = Vec::new();
    let mut user_names = std::collections::HashMap::new();
    for row in users::all(db).await? {
        let resource: Value =
            serde_json::from_str(&render::user(&row, "")?.json).unwrap_or(Value::Null);
        let user_name = resource["userName"].as_str().unwrap_or_default().to_owned();
        user_names.insert(row.id.clone(), user_name.clone());
        user_docs.push(json!({
            "id": row.id,
            "username": user_name,
            "provider_id": row.provider_id,
            "created_at": rfc3339(row.created_at),
            "scim": strip_meta(resource),
        }));
    }
    let mut group_docs = Vec::new();
    for row in groups::all(db).await? {
        let members = groups::members(db, row.seq).await?;
        let resource: Value =
            serde_json::from_str(&render::group(&row, None, "")?.json).unwrap_or(Value::Null);
        let member_names: Vec<Value> = members
            .iter()
            .map(|m| {
                Value::from(
                    user_names
                        .get(&m.member_id)
                        .cloned()
                        .unwrap_or_else(|| m.member_id.clone()),
                )
            })
            .collect();
        group_docs.push(json!({
            "id": row.id,
            "name": resource["displayName"],
            "provider_id": row.provider_id,
            "members": member_names,
            "scim": strip_meta(resource),
        }));
    }
    Ok(json!({
        "exported_at": rfc3339(site.now()),
        "providers": provider_docs,
        "users": user_docs,
        "groups": group_docs,
    }))
}

fn strip_meta(mut resource: Value) -> Value {
    if let Some(object) = resource.as_object_mut() {
        object.shift_remove("meta");
    }
    resource
}
