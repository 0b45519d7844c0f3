//! Role commands with the rows they write beside their events, on real Postgres: a role name
//! is one role's only, in any case, and the loser appends nothing; grants, renames and
//! deletion write what logins read, and a deleted role's assignments go with it.

use std::sync::Arc;

use command_api::roles::fields::{Description, RoleName};
use command_api::roles::{
    PgRoleRows, RoleChange, RoleCommand, RoleDefinition, RoleRunner, execute,
};
use events::{EventMetadata, Permission};
use store::aggregate::RunError;
use store::event_store::StoreError;
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt};

fn runner(backbone: &Backbone) -> RoleRunner {
    let sessions = backbone.session_runner();
    RoleRunner {
        ports: sessions.ports,
        rows: Arc::new(PgRoleRows),
        cache: sessions.cache,
    }
}

fn create(role_id: Uuid, name: &str, permissions: Vec<Permission>) -> RoleCommand {
    RoleCommand::Create(RoleDefinition {
        role_id,
        name: RoleName::parse(name).expect("valid name"),
        description: Description::parse("").expect("valid description"),
        permissions,
    })
}

async fn run(runner: &RoleRunner, role_id: Uuid, command: RoleCommand) {
    execute(runner, role_id, command, EventMetadata::new(None))
        .await
        .expect("command runs");
}

async fn row(backbone: &Backbone, role_id: Uuid) -> Option<(String, Vec<String>)> {
    sqlx::query_as("SELECT name, permissions FROM auth_roles WHERE role_id = $1")
        .bind(role_id)
        .fetch_optional(&backbone.db.pool)
        .await
        .expect("role row")
}

#[tokio::test]
async fn a_role_name_is_one_roles_only_in_any_case() {
    let backbone = Backbone::start().await;
    let runner = runner(&backbone);
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    run(&runner, first, create(first, "Support", vec![])).await;
    let taken = execute(
        &runner,
        second,
        create(second, "support", vec![]),
        EventMetadata::new(None),
    )
    .await;
    assert!(
        matches!(taken, Err(RunError::Store(StoreError::Taken("role_name")))),
        "{taken:?}"
    );
    let appended: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE stream_id = $1")
        .bind(events::topics::Category::Roles.stream_id(second))
        .fetch_one(&backbone.db.pool)
        .await
        .expect("count");
    assert_eq!(appended, 0, "the loser appended nothing");
}

#[tokio::test]
async fn grants_renames_and_deletion_write_what_logins_read() {
    let backbone = Backbone::start().await;
    let runner = runner(&backbone);
    let role = Uuid::now_v7();
    run(
        &runner,
        role,
        create(role, "auditors", vec![Permission::AuditRead]),
    )
    .await;
    let change = |c| RoleCommand::Change(c);
    run(
        &runner,
        role,
        change(RoleChange::Grant(Permission::SessionsRead)),
    )
    .await;
    run(
        &runner,
        role,
        change(RoleChange::Revoke(Permission::AuditRead)),
    )
    .await;
    let name = RoleName::parse("session auditors").expect("valid");
    run(&runner, role, change(RoleChange::Rename(name))).await;
    assert_eq!(
        row(&backbone, role).await,
        Some(("session auditors".into(), vec!["sessions:read".into()]))
    );

    let user = Uuid::now_v7();
    sqlx::query("INSERT INTO auth_user_roles (user_id, role_id) VALUES ($1, $2)")
        .bind(user)
        .bind(role)
        .execute(&backbone.db.pool)
        .await
        .expect("assigned");
    run(&runner, role, change(RoleChange::Delete)).await;
    assert_eq!(
        row(&backbone, role).await,
        None,
        "a deleted role grants nothing"
    );
    let held: i64 = sqlx::query_scalar("SELECT count(*) FROM auth_user_roles WHERE role_id = $1")
        .bind(role)
        .fetch_one(&backbone.db.pool)
        .await
        .expect("assignments");
    assert_eq!(held, 0, "and is held by nobody");
}
