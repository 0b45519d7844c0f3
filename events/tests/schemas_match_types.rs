//! Every schema in `schemas/` belongs to exactly one event type of a family, and every event
//! type has its schema there: a schema added without its Rust type, or a type whose schema was
//! renamed or removed, fails here rather than on the wire.

use std::collections::BTreeMap;
use std::path::Path;

use events::customers::CustomerEvent;
use events::roles::RoleEvent;
use events::sessions::SessionEvent;
use events::users::UserEvent;
use events::{EventFamily, EventType};

/// Every family the platform publishes.
fn all_types() -> Vec<&'static EventType> {
    [
        SessionEvent::TYPES,
        UserEvent::TYPES,
        RoleEvent::TYPES,
        CustomerEvent::TYPES,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `<directory>/<event type name>.avsc` → the file's text, for every schema in `schemas/`.
fn schema_files() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let mut files = BTreeMap::new();
    for dir in std::fs::read_dir(&root).expect("schemas/") {
        let dir = dir.expect("schemas/ entry").path();
        for file in std::fs::read_dir(&dir).expect("a family's schema directory") {
            let path = file.expect("schema file").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".avsc"))
                .unwrap_or_else(|| panic!("{} is not an .avsc file", path.display()))
                .to_owned();
            let text = std::fs::read_to_string(&path).expect("schema text");
            assert!(
                files.insert(name.clone(), text).is_none(),
                "{name} has two schema files"
            );
        }
    }
    files
}

fn full_name(schema: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(schema).expect("schema is JSON");
    format!(
        "{}.{}",
        json["namespace"].as_str().expect("namespace"),
        json["name"].as_str().expect("name")
    )
}

#[test]
fn every_schema_file_has_an_event_type_and_every_event_type_a_schema_file() {
    let files = schema_files();
    let types = all_types();
    let named: BTreeMap<&str, &EventType> = types.iter().map(|t| (t.name, *t)).collect();
    assert_eq!(named.len(), types.len(), "event type names are unique");

    let without_type: Vec<&String> = files
        .keys()
        .filter(|f| !named.contains_key(f.as_str()))
        .collect();
    assert!(
        without_type.is_empty(),
        "schemas without a Rust event type: {without_type:?}"
    );
    let without_file: Vec<&&str> = named.keys().filter(|n| !files.contains_key(**n)).collect();
    assert!(
        without_file.is_empty(),
        "event types without a schema file: {without_file:?}"
    );
}

#[test]
fn each_type_carries_its_file_and_names_the_record_it_defines() {
    let files = schema_files();
    for event_type in all_types() {
        assert_eq!(
            event_type.schema, files[event_type.name],
            "{} embeds its schema file",
            event_type.name
        );
        assert_eq!(
            full_name(event_type.schema),
            event_type.record,
            "{} names its Avro record",
            event_type.name
        );
    }
}
