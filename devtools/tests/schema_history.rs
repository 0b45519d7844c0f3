//! Every schema in `schemas/` stays BACKWARD compatible along its whole git history: each
//! committed version, and the working copy, can read what every earlier version wrote (the
//! registry's `BACKWARD_TRANSITIVE`, checked with the dev registry's own rules). A change that
//! breaks a consumer replaying old records fails here, in CI, before it reaches a registry.

use std::path::{Path, PathBuf};
use std::process::Command;

use apache_avro::Schema;
use devtools::registry::compat::{Level, Version, check};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn git(args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout).expect("utf-8")
}

/// Every `.avsc` under `schemas/`, relative to the repository root.
fn schema_paths() -> Vec<String> {
    let mut paths: Vec<String> = git(&["ls-files", "--", "schemas/*.avsc", "schemas/**/*.avsc"])
        .lines()
        .map(str::to_owned)
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// The committed texts of `path`, oldest first, then the working copy's.
fn history(path: &str) -> Vec<(String, String)> {
    let commits = git(&["log", "--format=%H", "--reverse", "--", path]);
    let mut versions: Vec<(String, String)> = commits
        .lines()
        .map(|commit| {
            (
                commit[..8].to_owned(),
                git(&["show", &format!("{commit}:{path}")]),
            )
        })
        .collect();
    let current = std::fs::read_to_string(repo_root().join(path)).expect("schema file");
    versions.push(("working copy".to_owned(), current));
    versions
}

fn parse(label: &str, path: &str, text: &str) -> Schema {
    Schema::parse_str(text).unwrap_or_else(|e| panic!("{path} at {label} does not parse: {e}"))
}

#[test]
fn every_schema_reads_what_each_of_its_earlier_versions_wrote() {
    let paths = schema_paths();
    let on_disk = std::fs::read_dir(repo_root().join("schemas"))
        .expect("schemas/")
        .flat_map(|dir| std::fs::read_dir(dir.expect("entry").path()).expect("family"))
        .count();
    assert!(!paths.is_empty(), "schemas are found");
    assert_eq!(
        paths.len(),
        on_disk,
        "every schema on disk is committed: {paths:?}"
    );
    let mut broken = Vec::new();
    for path in &paths {
        let mut earlier: Vec<Version> = Vec::new();
        for (number, (label, text)) in (1..).zip(history(path)) {
            let schema = parse(&label, path, &text);
            for why in check(Level::BackwardTransitive, &schema, &earlier) {
                broken.push(format!("{path} at {label}: {why}"));
            }
            earlier.push(Version { number, schema });
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn a_new_field_without_a_default_is_caught() {
    let path = "schemas/users/user.disabled.v1.avsc";
    let text = std::fs::read_to_string(repo_root().join(path)).expect("schema");
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("json");
    json["fields"]
        .as_array_mut()
        .expect("fields")
        .push(serde_json::json!({ "name": "reason", "type": "string" }));
    let earlier = [Version {
        number: 1,
        schema: parse("HEAD", path, &text),
    }];
    let changed = parse("changed", path, &json.to_string());
    assert!(!check(Level::BackwardTransitive, &changed, &earlier).is_empty());
}
