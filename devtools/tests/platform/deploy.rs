//! What docker-compose.yml and the Grafana dashboard name exists in the code: every variable
//! compose gives our services is one of their flags' (`env = …`), and every metric a dashboard
//! panel queries is a family one of the running servers serves. The files themselves are
//! checked against their schemas and linters by devtools/checks/deploy.

use std::collections::BTreeSet;

use clap::CommandFactory;

use devtools::testing::eventually;

use crate::support::{Platform, TIMEOUT, access};

const COMPOSE: &str = include_str!("../../../docker-compose.yml");
const DASHBOARD: &str = include_str!("../../../deploy/grafana/dashboards/identity-platform.json");

/// Every environment variable a flag of the command (or of its subcommands) reads.
fn flags(command: &clap::Command, names: &mut BTreeSet<String>) {
    for arg in command.get_arguments() {
        if let Some(env) = arg.get_env() {
            names.insert(env.to_string_lossy().into_owned());
        }
    }
    for sub in command.get_subcommands() {
        flags(sub, names);
    }
}

#[test]
fn compose_sets_only_variables_our_servers_read() {
    let mut known = BTreeSet::new();
    flags(&command_api::Cli::command(), &mut known);
    flags(&query_api::Cli::command(), &mut known);
    flags(&projectors::Cli::command(), &mut known);
    // Our services list their variables as `- NAME=value`; the others use mappings.
    let set: BTreeSet<&str> = COMPOSE
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("- "))
        .filter_map(|item| item.split_once('='))
        .map(|(name, _)| name)
        .filter(|name| name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    assert!(set.len() > 10, "compose's variables were found: {set:?}");
    let unknown: Vec<&&str> = set.iter().filter(|n| !known.contains(**n)).collect();
    assert!(
        unknown.is_empty(),
        "compose sets what no flag reads: {unknown:?}"
    );
}

/// The metric names a query mentions (`identity_…`), without a histogram's or counter's suffix.
fn families(expr: &str) -> Vec<String> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("identity_"))
        .map(|name| {
            ["_bucket", "_total"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(name)
                .to_owned()
        })
        .collect()
}

/// The metric families the three servers serve now.
async fn served(platform: &Platform) -> BTreeSet<String> {
    let mut served = BTreeSet::new();
    for server in [&platform.command, &platform.query, &platform.projectors] {
        let page = platform.metrics(server).await;
        served.extend(
            page.lines()
                .filter_map(|l| l.strip_prefix("# TYPE "))
                .filter_map(|l| l.split_whitespace().next())
                .map(str::to_owned),
        );
    }
    served
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_dashboard_queries_is_served() {
    let platform = Platform::start().await;
    let dashboard: serde_json::Value = serde_json::from_str(DASHBOARD).expect("dashboard JSON");
    let queried: BTreeSet<String> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .flat_map(|t| families(t["expr"].as_str().unwrap_or_default()))
        .collect();
    assert!(
        queried.len() > 10,
        "the dashboard's metrics were found: {queried:?}"
    );
    // Some traffic: requests on every server, events relayed and projected.
    let session = platform.admin_session().await;
    platform.until_active(access(&session), true).await;
    let missing = || async {
        let served = served(&platform).await;
        let missing: Vec<String> = queried
            .iter()
            .filter(|m| !served.contains(*m))
            .cloned()
            .collect();
        (missing, served)
    };
    let all_served = eventually(TIMEOUT, "every queried metric to be served", || async {
        missing().await.0.is_empty().then_some(())
    });
    if tokio::time::timeout(TIMEOUT + TIMEOUT, all_served)
        .await
        .is_err()
    {
        let (missing, served) = missing().await;
        panic!("queried but not served: {missing:?}; served: {served:?}");
    }
}
