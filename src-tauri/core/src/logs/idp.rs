//! A best guess of which IdP sent a request, with the reason, for the SCIM log.
//!
//! The signals, strongest first: the user agent (IDP-NOTES.md: Okta sends
//! `Okta SCIM Client 1.0.0`; the others name themselves less reliably), the kind of the SSO
//! provider whose credential was presented, and the request's shape (Entra ID's PascalCase
//! `op`s and its Microsoft group schema, JumpCloud's 24-hex `externalId`).

use std::borrow::Cow;

use serde_json::Value;

use crate::site::ProviderKind;

/// The IdPs the log can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idp {
    Okta,
    EntraId,
    OneLogin,
    JumpCloud,
    Duo,
    Unknown,
}

impl Idp {
    pub fn as_str(self) -> &'static str {
        match self {
            Idp::Okta => "okta",
            Idp::EntraId => "entra_id",
            Idp::OneLogin => "onelogin",
            Idp::JumpCloud => "jumpcloud",
            Idp::Duo => "duo",
            Idp::Unknown => "unknown",
        }
    }
}

/// The guess and what it rests on, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess {
    pub idp: Idp,
    pub why: Cow<'static, str>,
}

/// Words in a user agent that name an IdP (compared without regard to case).
const AGENTS: &[(&str, Idp)] = &[
    ("okta", Idp::Okta),
    ("azure", Idp::EntraId),
    ("microsoft", Idp::EntraId),
    ("entra", Idp::EntraId),
    ("onelogin", Idp::OneLogin),
    ("jumpcloud", Idp::JumpCloud),
    ("duo", Idp::Duo),
];

const ENTRA_GROUP_URN: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

pub fn guess(
    user_agent: Option<&str>,
    provider: Option<ProviderKind>,
    body: Option<&Value>,
) -> Guess {
    if let Some(agent) = user_agent.filter(|a| !a.trim().is_empty()) {
        let lower = agent.to_ascii_lowercase();
        if let Some((word, idp)) = AGENTS.iter().find(|(word, _)| lower.contains(word)) {
            // Written out rather than formatted: this runs for most exchanges.
            let mut why = String::with_capacity(agent.len() + word.len() + 20);
            why.push_str("user agent \"");
            why.push_str(agent);
            why.push_str("\" names ");
            why.push_str(word);
            return Guess {
                idp: *idp,
                why: Cow::Owned(why),
            };
        }
    }
    if let Some(kind) = provider {
        // Written out rather than formatted: this runs for every exchange.
        let known = match kind {
            ProviderKind::Okta => Some((Idp::Okta, "the credential belongs to an okta provider")),
            ProviderKind::EntraId => Some((
                Idp::EntraId,
                "the credential belongs to an entra_id provider",
            )),
            ProviderKind::OneLogin => Some((
                Idp::OneLogin,
                "the credential belongs to a onelogin provider",
            )),
            ProviderKind::JumpCloud => Some((
                Idp::JumpCloud,
                "the credential belongs to a jumpcloud provider",
            )),
            ProviderKind::Duo => Some((Idp::Duo, "the credential belongs to a duo provider")),
            ProviderKind::Ldap | ProviderKind::Saml | ProviderKind::Oauth | ProviderKind::Oidc => {
                None
            }
        };
        if let Some((idp, why)) = known {
            return Guess {
                idp,
                why: Cow::Borrowed(why),
            };
        }
    }
    if let Some(guess) = body.and_then(by_shape) {
        return guess;
    }
    Guess {
        idp: Idp::Unknown,
        why: "no user agent, provider kind or request shape points to an IdP".into(),
    }
}

fn by_shape(body: &Value) -> Option<Guess> {
    let schemas = body.get("schemas").and_then(Value::as_array);
    if schemas.is_some_and(|s| s.iter().any(|u| u.as_str() == Some(ENTRA_GROUP_URN))) {
        return Some(Guess {
            idp: Idp::EntraId,
            why: "the body carries Microsoft's ADSCIM group schema".into(),
        });
    }
    let ops = body.get("Operations").and_then(Value::as_array);
    let pascal = ops.is_some_and(|ops| {
        ops.iter()
            .filter_map(|op| op.get("op").and_then(Value::as_str))
            .any(|op| matches!(op, "Add" | "Replace" | "Remove"))
    });
    if pascal {
        return Some(Guess {
            idp: Idp::EntraId,
            why: "PATCH operations in PascalCase (Entra ID's habit)".into(),
        });
    }
    let external_id = body.get("externalId").and_then(Value::as_str);
    if external_id.is_some_and(|id| id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Some(Guess {
            idp: Idp::JumpCloud,
            why: "a 24-hex externalId (JumpCloud's object ids)".into(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_user_agent_wins() {
        let okta = guess(
            Some("Okta SCIM Client 1.0.0"),
            Some(ProviderKind::Saml),
            None,
        );
        assert_eq!(okta.idp, Idp::Okta);
        assert_eq!(okta.why, "user agent \"Okta SCIM Client 1.0.0\" names okta");
        let entra = guess(
            Some("Azure AD Provisioning"),
            Some(ProviderKind::Okta),
            None,
        );
        assert_eq!(entra.idp, Idp::EntraId);
    }

    #[test]
    fn then_the_providers_kind_then_the_shape() {
        let by_kind = guess(Some("curl/8.5"), Some(ProviderKind::JumpCloud), None);
        assert_eq!(by_kind.idp, Idp::JumpCloud);
        assert_eq!(
            by_kind.why,
            "the credential belongs to a jumpcloud provider"
        );

        let pascal = json!({"Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
        assert_eq!(
            guess(None, Some(ProviderKind::Saml), Some(&pascal)).idp,
            Idp::EntraId
        );
        let group =
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", ENTRA_GROUP_URN]});
        assert_eq!(guess(None, None, Some(&group)).idp, Idp::EntraId);
        let jumpcloud = json!({"externalId": "5f1e2d3c4b5a69788796a5b4"});
        assert_eq!(guess(None, None, Some(&jumpcloud)).idp, Idp::JumpCloud);
    }

    #[test]
    fn nothing_to_go_on_is_unknown() {
        let lower = json!({"Operations": [{"op": "replace"}], "externalId": "00u1"});
        let unknown = guess(Some(""), None, Some(&lower));
        assert_eq!(unknown.idp, Idp::Unknown);
        assert_eq!(unknown.idp.as_str(), "unknown");
    }
}
