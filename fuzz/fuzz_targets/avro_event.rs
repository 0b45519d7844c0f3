//! Kafka record values as a consumer receives them: the Confluent frame, then the Avro datum
//! under every event schema we publish, then the domain event. Never a panic, never an
//! allocation beyond the decoder's limit.
#![no_main]

use std::sync::LazyLock;

use apache_avro::Schema;
use events::codec::{AnyEvent, schema_id};
use events::customers::CustomerEvent;
use events::roles::RoleEvent;
use events::sessions::SessionEvent;
use events::users::UserEvent;
use events::{EventFamily, EventType};
use libfuzzer_sys::fuzz_target;

static SCHEMAS: LazyLock<Vec<(&'static str, Schema)>> = LazyLock::new(|| {
    apache_avro::max_allocation_bytes(16 * 1024 * 1024);
    let types: Vec<&EventType> = SessionEvent::TYPES
        .iter()
        .chain(UserEvent::TYPES)
        .chain(RoleEvent::TYPES)
        .chain(CustomerEvent::TYPES)
        .collect();
    types
        .into_iter()
        .map(|t| (t.record, Schema::parse_str(t.schema).expect("schema")))
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let datum = match schema_id(data) {
        Ok(_) => &data[5..],
        Err(_) => data,
    };
    for (record, schema) in SCHEMAS.iter() {
        let mut reader = datum;
        if let Ok(value) = apache_avro::from_avro_datum(schema, &mut reader, None) {
            let _ = AnyEvent::from_avro(record, value);
        }
    }
});
