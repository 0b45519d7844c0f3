//! The whole platform, black box: command-api, projectors and query-api spawned on free ports
//! against a fresh database, a real broker, the dev registry and Redis, driven over HTTP as a
//! client would.

mod active_sessions;
mod attacks;
mod audit_events;
mod auth;
mod authorization;
mod byte_scan;
mod committed_only;
mod contract;
mod current_permissions;
mod customer_account;
mod customer_directory;
mod customer_export;
mod customer_login;
mod customer_poison;
mod customer_sessions;
mod customers;
mod deploy;
mod directory;
mod directory_poison;
mod directory_reads;
mod docs;
mod forge;
mod grants_projector;
mod hygiene;
mod limits;
mod lockout;
mod oauth;
mod recovery;
mod restart;
mod revocation_log;
mod role_admin;
mod roles;
mod rotation;
mod sessions;
mod snapshot;
mod support;
mod tokens;
mod user_admin;
mod users;
