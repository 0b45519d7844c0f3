//! Black-box tests of the dev schema registry: each test starts it in-process on a free port
//! with a fresh database of its own, and talks to it through `schema_registry_converter` (the
//! client the platform uses) or plain HTTP where that client has no call.

mod compatibility;
mod config;
mod errors;
mod registration;
mod support;
