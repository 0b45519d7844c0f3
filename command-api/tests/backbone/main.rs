//! The event backbone against real services: Postgres, Apache Kafka and the dev schema
//! registry. Each test has its own database, topics and registry; the broker is shared, except
//! by the drill that kills it.

mod customers;
mod directory_grants;
mod event_store;
mod grants_cache;
mod kept_states;
mod login_attempts;
mod owed;
mod read_model;
mod relay;
mod relay_pipeline;
mod relay_processes;
mod relay_query;
mod roles;
mod session_batches;
mod session_cache;
mod session_history;
mod session_layout;
mod signing_keys;
mod subject_keys;
mod support;
mod topics;
mod unit_of_work;
mod users;
