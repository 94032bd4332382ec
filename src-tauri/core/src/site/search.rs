//! `POST /.search` at the root (RFC 7644 §3.4.3): users and groups in one result, users first.
//! A filter that only one of the two resource types can hold (`userName eq …`) searches that
//! type; one that neither can hold is the users' `invalidFilter`.

use workbench_scim::message::ListQuery;
use workbench_scim::{ScimError, Tolerances};

use super::listing::Listed;
use super::{Caller, Site, SiteError, groups, users};

pub async fn all(
    site: &Site,
    caller: &Caller,
    query: &ListQuery,
    tolerances: &mut Tolerances,
) -> Result<Listed, SiteError> {
    let counting = ListQuery {
        count: Some(0),
        start_index: 1,
        ..query.clone()
    };
    let user_total = users::list(site, caller, &counting, tolerances)
        .await
        .map(|l| l.total);
    let group_total = groups::list(site, caller, &counting, tolerances)
        .await
        .map(|l| l.total);
    let (user_total, group_total) = match (user_total, group_total) {
        (Ok(u), Ok(g)) => (u, g),
        (Ok(u), Err(e)) if is_filter_mismatch(&e) => (u, 0),
        (Err(e), Ok(g)) if is_filter_mismatch(&e) => (0, g),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    // The tolerances were recorded while counting; the page reads apply the same ones again.
    let mut again = Tolerances::new();
    let total = user_total + group_total;
    let start = query.start_index.max(1);
    let mut wanted = query
        .count
        .unwrap_or(super::listing::DEFAULT_PAGE_SIZE)
        .min(super::listing::MAX_PAGE_SIZE);
    let mut resources = Vec::new();
    if start <= user_total && wanted > 0 {
        let page = ListQuery {
            start_index: start,
            count: Some(wanted),
            ..query.clone()
        };
        let listed = users::list(site, caller, &page, &mut again).await?;
        wanted -= listed.resources.len() as u64;
        resources.extend(listed.resources);
    }
    if wanted > 0 && group_total > 0 {
        let group_start = start.saturating_sub(user_total).max(1);
        let page = ListQuery {
            start_index: group_start,
            count: Some(wanted),
            ..query.clone()
        };
        resources.extend(
            groups::list(site, caller, &page, &mut again)
                .await?
                .resources,
        );
    }
    Ok(Listed {
        resources,
        total,
        start_index: start,
    })
}

/// A filter naming attributes one resource type does not have.
fn is_filter_mismatch(error: &SiteError) -> bool {
    matches!(error, SiteError::Scim(ScimError::InvalidFilter { .. }))
}
