//! The shared runtime of the platform's servers: typed configuration pieces, logging, the HTTP
//! middleware stack and health endpoints, Postgres and Kafka plumbing, and graceful shutdown.
//! Domain code never sees this crate; servers wire it around their routes.

pub mod clock;
pub mod db;
pub mod http;
pub mod kafka;
pub mod master_key;
pub mod redis;
pub mod shutdown;
pub mod telemetry;
