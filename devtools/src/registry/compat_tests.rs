//! The compatibility decision on small record schemas, one level at a time.

use super::*;

const V1: &str = r#"{"type":"record","name":"User","fields":[
    {"name":"id","type":"string"}]}"#;
const WITH_REQUIRED_EMAIL: &str = r#"{"type":"record","name":"User","fields":[
    {"name":"id","type":"string"},
    {"name":"email","type":"string"}]}"#;
const WITH_OPTIONAL_EMAIL: &str = r#"{"type":"record","name":"User","fields":[
    {"name":"id","type":"string"},
    {"name":"email","type":["null","string"],"default":null}]}"#;
const WITH_DEFAULTED_EMAIL: &str = r#"{"type":"record","name":"User","fields":[
    {"name":"id","type":"string"},
    {"name":"email","type":"string","default":"none"}]}"#;
const WITHOUT_ID: &str = r#"{"type":"record","name":"User","fields":[]}"#;
const ID_AS_INT: &str = r#"{"type":"record","name":"User","fields":[
    {"name":"id","type":"int"}]}"#;

fn schema(text: &str) -> Schema {
    Schema::parse_str(text).expect("test schema parses")
}

fn history(texts: &[&str]) -> Vec<Version> {
    texts
        .iter()
        .zip(1..)
        .map(|(text, number)| Version {
            number,
            schema: schema(text),
        })
        .collect()
}

fn accepts(level: Level, earlier: &[&str], candidate: &str) -> bool {
    check(level, &schema(candidate), &history(earlier)).is_empty()
}

#[test]
fn backward_refuses_a_new_required_field_without_default() {
    assert!(!accepts(Level::Backward, &[V1], WITH_REQUIRED_EMAIL));
}

#[test]
fn backward_accepts_a_new_optional_field_defaulting_to_null() {
    assert!(accepts(Level::Backward, &[V1], WITH_OPTIONAL_EMAIL));
}

#[test]
fn backward_accepts_removing_a_field() {
    assert!(accepts(Level::Backward, &[V1], WITHOUT_ID));
}

#[test]
fn forward_accepts_a_new_required_field_because_old_readers_ignore_it() {
    assert!(accepts(Level::Forward, &[V1], WITH_REQUIRED_EMAIL));
}

#[test]
fn forward_refuses_removing_a_field_old_readers_need() {
    assert!(!accepts(Level::Forward, &[V1], WITHOUT_ID));
}

#[test]
fn full_needs_both_directions() {
    assert!(!accepts(Level::Full, &[V1], WITH_REQUIRED_EMAIL));
    assert!(!accepts(Level::Full, &[V1], WITHOUT_ID));
    assert!(accepts(Level::Full, &[V1], WITH_OPTIONAL_EMAIL));
}

#[test]
fn none_accepts_any_change() {
    assert!(accepts(Level::None, &[V1], ID_AS_INT));
}

#[test]
fn a_subject_without_versions_accepts_anything_at_every_level() {
    for level in Level::ALL {
        assert!(accepts(level, &[], ID_AS_INT), "{level}");
    }
}

#[test]
fn non_transitive_levels_compare_with_the_latest_version_only() {
    // Version 2 gave `email` a default; the candidate drops it again. It can read version 2's
    // data (which always carries `email`) but not version 1's.
    let earlier = [V1, WITH_DEFAULTED_EMAIL];
    assert!(accepts(Level::Backward, &earlier, WITH_REQUIRED_EMAIL));
    assert!(!accepts(
        Level::BackwardTransitive,
        &earlier,
        WITH_REQUIRED_EMAIL
    ));
}

#[test]
fn transitive_reasons_name_the_version_that_fails() {
    let reasons = check(
        Level::FullTransitive,
        &schema(WITH_REQUIRED_EMAIL),
        &history(&[V1, WITH_DEFAULTED_EMAIL]),
    );
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("version 1"), "{reasons:?}");
}

#[test]
fn a_changed_field_type_is_refused_in_the_direction_that_cannot_promote() {
    // int can be promoted to long, long cannot be narrowed to int.
    let long_id = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}"#;
    assert!(accepts(Level::Backward, &[ID_AS_INT], long_id));
    assert!(!accepts(Level::Forward, &[ID_AS_INT], long_id));
}

#[test]
fn versions_to_check_picks_none_the_latest_or_all() {
    let versions = [1, 2, 3];
    assert!(Level::None.versions_to_check(&versions).is_empty());
    assert_eq!(Level::Forward.versions_to_check(&versions), &[3]);
    assert_eq!(
        Level::FullTransitive.versions_to_check(&versions),
        &versions
    );
    assert!(Level::Backward.versions_to_check::<i32>(&[]).is_empty());
}

#[test]
fn levels_parse_case_insensitively_and_unknown_names_are_refused() {
    for level in Level::ALL {
        assert_eq!(level.as_str().parse::<Level>(), Ok(level));
    }
    assert_eq!(
        "full_transitive".parse::<Level>(),
        Ok(Level::FullTransitive)
    );
    assert_eq!(
        "SIDEWAYS".parse::<Level>(),
        Err(UnknownLevel("SIDEWAYS".into()))
    );
}
