//! Development tooling: stand-ins for infrastructure that cannot be installed everywhere (the
//! dev schema registry) and support for tests. Nothing here runs in production.

pub mod metrics;
pub mod procfs;
pub mod registry;
pub mod report;
pub mod testing;
