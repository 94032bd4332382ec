//! SQL lowering agrees with the reference evaluator: for generated filters over one populated
//! site, `users::list` / `groups::list` return exactly the resources whose `GET`
//! representation satisfies `Expr::matches`, in `seq` order; `sortBy` gives the RFC 7644
//! §3.4.2.3 order, total and stable; and `startIndex`/`count` slice that order exactly.

#[path = "lowering/filters.rs"]
mod filters;
#[path = "lowering/order.rs"]
mod order;
#[path = "lowering/population.rs"]
mod population;

use std::cell::RefCell;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;
use workbench_core::site::listing::Listed;
use workbench_core::site::{groups, users};
use workbench_core::store::lower::{Table, lower};
use workbench_scim::Tolerances;
use workbench_scim::filter::parse_and_check;
use workbench_scim::message::{ListQuery, SortOrder};
use workbench_scim::schema::{GROUP, ResourceType, USER};

use filters::{Catalog, Generated};
use order::SortSpec;
use population::{Known, World};

/// One site, built once and only read, for every test in this file.
fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(World::build)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Users,
    Groups,
}

impl Kind {
    fn rtype(self) -> &'static ResourceType {
        match self {
            Kind::Users => &USER,
            Kind::Groups => &GROUP,
        }
    }

    fn table(self) -> Table {
        match self {
            Kind::Users => Table::Users,
            Kind::Groups => Table::Groups,
        }
    }

    fn known(self, w: &World) -> &[Known] {
        match self {
            Kind::Users => &w.users,
            Kind::Groups => &w.groups,
        }
    }

    fn catalog(self, w: &World) -> Catalog {
        match self {
            Kind::Users => Catalog::users(&w.users),
            Kind::Groups => Catalog::groups(&w.groups),
        }
    }

    fn list(self, w: &World, query: &ListQuery) -> Result<Listed, String> {
        let mut tolerances = Tolerances::new();
        w.runtime
            .block_on(async {
                match self {
                    Kind::Users => users::list(&w.site, &w.caller, query, &mut tolerances).await,
                    Kind::Groups => groups::list(&w.site, &w.caller, query, &mut tolerances).await,
                }
            })
            .map_err(|e| format!("{query:?} failed: {e}"))
    }
}

fn all_of(filter: Option<&str>) -> ListQuery {
    ListQuery {
        filter: filter.map(str::to_owned),
        count: Some(1000),
        ..ListQuery::default()
    }
}

fn ids(listed: &Listed) -> Vec<String> {
    listed
        .resources
        .iter()
        .map(|r| {
            let value: Value = serde_json::from_str(r).unwrap_or(Value::Null);
            value
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}

/// The resources `filter` selects by the reference evaluator, in creation order.
fn expected<'w>(kind: Kind, w: &'w World, filter: Option<&str>) -> Result<Vec<&'w Known>, String> {
    let known = kind.known(w);
    let Some(filter) = filter else {
        return Ok(known.iter().collect());
    };
    let expr = parse_and_check(filter, kind.rtype(), &mut Tolerances::new())
        .map_err(|e| format!("the generated filter {filter} is refused: {e}"))?;
    Ok(known.iter().filter(|r| expr.matches(&r.json)).collect())
}

/// How a filter was answered.
#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    inexact: usize,
    empty: usize,
    everything: usize,
}

/// Lists with `filter` and compares with the evaluator; also checks the lowering is exact
/// exactly when every attribute the filter names is one SQL can express.
fn agrees(kind: Kind, w: &World, generated: &Generated, tally: &mut Tally) -> Result<(), String> {
    let text = generated.text.as_str();
    let want = expected(kind, w, Some(text))?;
    let expr =
        parse_and_check(text, kind.rtype(), &mut Tolerances::new()).map_err(|e| e.to_string())?;
    let lowered = lower(&expr, kind.table());
    let listed = kind.list(w, &all_of(Some(text)))?;
    let got = ids(&listed);
    let want_ids: Vec<String> = want.iter().map(|r| r.id.clone()).collect();
    if got != want_ids || listed.total != want.len() as u64 {
        let name = |id: &String| {
            kind.known(w)
                .iter()
                .find(|r| &r.id == id)
                .map(|r| {
                    let name = r.json.get("userName").or(r.json.get("displayName"));
                    format!("{id} ({})", name.unwrap_or(&Value::Null))
                })
                .unwrap_or_else(|| id.clone())
        };
        let missing: Vec<String> = want_ids
            .iter()
            .filter(|id| !got.contains(id))
            .map(name)
            .collect();
        let extra: Vec<String> = got
            .iter()
            .filter(|id| !want_ids.contains(id))
            .map(name)
            .collect();
        let (missing, extra) = (few(&missing), few(&extra));
        return Err(format!(
            "{kind:?} filter {text}\n  SQL ({}): {}\n  binds: {:?}\n  missing: {missing}\n  \
             extra: {extra}\n  total {} vs {}",
            if lowered.exact { "exact" } else { "inexact" },
            lowered.sql,
            lowered.binds,
            listed.total,
            want.len()
        ));
    }
    if lowered.exact != generated.exact {
        return Err(format!(
            "{kind:?} filter {text}: lowering exact={} but SQL can express exactly {}",
            lowered.exact, generated.exact
        ));
    }
    tally.cases += 1;
    tally.inexact += usize::from(!lowered.exact);
    tally.empty += usize::from(want.is_empty());
    tally.everything += usize::from(want.len() == kind.known(w).len());
    Ok(())
}

/// The first few of `items`, and how many there are.
fn few(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(4).map(String::as_str).collect();
    format!("{} {shown:?}", items.len())
}

/// A runner for `cases` cases, or `PROPTEST_CASES` when set (for longer local runs).
fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

fn generated_filters_agree(kind: Kind, cases: u32) {
    let w = world();
    let catalog = kind.catalog(w);
    let tally = RefCell::new(Tally::default());
    let outcome = runner(cases).run(&catalog.strategy(), |generated| {
        agrees(kind, w, &generated, &mut tally.borrow_mut()).map_err(TestCaseError::fail)
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    let tally = tally.into_inner();
    eprintln!("{kind:?}: {tally:?}");
    assert!(tally.empty < tally.cases * 3 / 4, "too many empty results");
    assert!(
        tally.everything < tally.cases / 2,
        "too many unselective filters"
    );
}

#[test]
fn generated_user_filters_agree_with_the_evaluator() {
    generated_filters_agree(Kind::Users, 128);
}

#[test]
fn generated_group_filters_agree_with_the_evaluator() {
    generated_filters_agree(Kind::Groups, 128);
}

/// Every operator on every attribute of `kind`, with operands from the data and beside it.
fn every_operator_agrees(kind: Kind) {
    let w = world();
    let mut failures = Vec::new();
    let mut tally = Tally::default();
    for leaf in kind.catalog(w).leaves {
        let path = leaf.path.as_str();
        let operands = leaf.sample_operands();
        let specials = leaf.specials().iter().map(|tail| format!("{path} {tail}"));
        let comparisons = leaf.operators().iter().flat_map(|op| {
            operands
                .iter()
                .map(move |operand| format!("{path} {op} {operand}"))
        });
        let texts: Vec<String> = specials.chain(comparisons).collect();
        for text in texts {
            let generated = Generated {
                text,
                exact: leaf.exact,
            };
            if let Err(e) = agrees(kind, w, &generated, &mut tally) {
                failures.push(e);
            }
        }
    }
    eprintln!("{kind:?} operator table: {tally:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_operator_on_every_user_attribute_agrees() {
    every_operator_agrees(Kind::Users);
}

#[test]
fn every_operator_on_every_group_attribute_agrees() {
    every_operator_agrees(Kind::Groups);
}

/// The smallest filters that once disagreed with the evaluator (the generated cases draw new
/// filters on every run; these run every time).
const PAST_DISAGREEMENTS: &[(Kind, &str, bool)] = &[
    // `pr` on a missing JSON value counted it as present (`CASE NULL … ELSE 1`).
    (Kind::Users, "title pr", true),
    (Kind::Users, "nickName eq null", true),
    (Kind::Users, "name.familyName ne null", true),
    (
        Kind::Users,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr",
        true,
    ),
    // `eq null` on an attribute SQL cannot read negated the "true here" placeholder.
    (Kind::Users, "groups.type eq null", false),
    (Kind::Groups, "members.display eq null", false),
    // `not` of an inexact condition kept the values the dropped text had bound.
    (
        Kind::Users,
        "not (groups.type sw \"d\" or userName eq \"alice\")",
        false,
    ),
    (
        Kind::Groups,
        "not (members[value pr and display eq \"Engineering\"])",
        false,
    ),
];

#[test]
fn past_disagreements_stay_fixed() {
    let w = world();
    let mut tally = Tally::default();
    let failures: Vec<String> = PAST_DISAGREEMENTS
        .iter()
        .filter_map(|(kind, text, exact)| {
            let generated = Generated {
                text: (*text).to_owned(),
                exact: *exact,
            };
            agrees(*kind, w, &generated, &mut tally).err()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Filters for the sort tests: none, exact (SQL pages) and inexact (Rust pages).
const SORT_FILTERS: &[(Kind, &str)] = &[
    (Kind::Users, "active eq true or emails pr"),
    (Kind::Users, "groups.type eq \"direct\" or title pr"),
    (Kind::Groups, "members pr"),
    (Kind::Groups, "members.display pr or externalId pr"),
];

fn sort_filters(kind: Kind) -> Vec<Option<&'static str>> {
    let mut out = vec![None];
    out.extend(
        SORT_FILTERS
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, f)| Some(*f)),
    );
    out
}

fn specs(kind: Kind) -> Vec<SortSpec> {
    match kind {
        Kind::Users => SortSpec::users(),
        Kind::Groups => SortSpec::groups(),
    }
}

fn sorted_query(spec: &SortSpec, descending: bool, filter: Option<&str>) -> ListQuery {
    ListQuery {
        sort_by: Some(spec.path.clone()),
        sort_order: if descending {
            SortOrder::Descending
        } else {
            SortOrder::Ascending
        },
        ..all_of(filter)
    }
}

#[test]
fn sort_by_follows_rfc_7644_and_is_total() {
    let w = world();
    let mut failures = Vec::new();
    for kind in [Kind::Users, Kind::Groups] {
        for spec in specs(kind) {
            for descending in [false, true] {
                for filter in sort_filters(kind) {
                    let matching = expected(kind, w, filter).unwrap_or_else(|e| panic!("{e}"));
                    let want: Vec<String> = spec
                        .sorted(&matching, descending)
                        .iter()
                        .map(|r| r.id.clone())
                        .collect();
                    let query = sorted_query(&spec, descending, filter);
                    let got = kind.list(w, &query).map(|l| ids(&l));
                    match got {
                        Ok(got) if got == want => {}
                        Ok(got) => failures.push(format!(
                            "{kind:?} sortBy={} descending={descending} filter={filter:?}: {}",
                            spec.path,
                            first_difference(kind, w, &spec, &got, &want)
                        )),
                        Err(e) => failures.push(e),
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Where two orders part, with the sort values around that place.
fn first_difference(
    kind: Kind,
    w: &World,
    spec: &SortSpec,
    got: &[String],
    want: &[String],
) -> String {
    let at = got
        .iter()
        .zip(want)
        .position(|(g, w)| g != w)
        .unwrap_or(got.len().min(want.len()));
    let show = |ids: &[String]| -> Vec<String> {
        ids.iter()
            .skip(at.saturating_sub(1))
            .take(3)
            .map(|id| {
                let r = kind.known(w).iter().find(|r| &r.id == id);
                let values = r.map(|r| filters::values_at(&r.json, &spec.path));
                format!("{id}: {values:?}")
            })
            .collect()
    };
    format!(
        "{} vs {} resources; from position {at}:\n  got  {:?}\n  want {:?}",
        got.len(),
        want.len(),
        show(got),
        show(want)
    )
}

#[test]
fn pages_slice_the_sorted_order() {
    let w = world();
    let cases = (
        select(vec![Kind::Users, Kind::Groups]),
        any::<prop::sample::Index>(),
        any::<bool>(),
        0u64..110,
        prop::option::weighted(0.9, 0u64..110),
        any::<prop::sample::Index>(),
    );
    let outcome = runner(128).run(&cases, |(kind, spec, descending, start, count, filter)| {
        let specs = specs(kind);
        let spec = spec.get(&specs);
        let filters = sort_filters(kind);
        let filter = *filter.get(&filters);
        let matching = expected(kind, w, filter).map_err(TestCaseError::fail)?;
        let sorted = spec.sorted(&matching, descending);
        let query = ListQuery {
            start_index: start,
            count,
            ..sorted_query(spec, descending, filter)
        };
        let listed = kind.list(w, &query).map_err(TestCaseError::fail)?;
        let want: Vec<String> = sorted
            .iter()
            .skip(start.max(1) as usize - 1)
            .take(count.unwrap_or(100) as usize)
            .map(|r| r.id.clone())
            .collect();
        prop_assert_eq!(ids(&listed), want, "{:?}", query);
        prop_assert_eq!(listed.total, sorted.len() as u64);
        prop_assert_eq!(listed.start_index, start.max(1));
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}
