//! Fault drills of the projector runtime against real Postgres, Redis, broker and registry:
//! each one would fail if the guarantee it names broke.

mod customers;
mod engine;
mod outage;
mod poison;
mod process;
mod rebalance;
mod rebuild;
mod replayed_starts;
mod shop;
mod support;
