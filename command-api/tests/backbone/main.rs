//! The event backbone against real services: Postgres, a real Kafka-protocol broker (tansu) and
//! the dev schema registry. Each test has its own database, broker and registry.

mod event_store;
mod relay;
mod relay_processes;
mod session_cache;
mod support;
