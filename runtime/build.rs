//! Rebuilds this crate when a migration is added or changed: `sqlx::migrate!` embeds the
//! `migrations/` folder, and a proc macro cannot ask to be rerun on its own.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
