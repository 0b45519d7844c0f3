//! The directory read model: the projectors keep users, roles and assignments in Postgres as
//! the commands leave them, one projected version per stream, and a rebuild from offset 0 of
//! both topics equals the live tables row for row, then takes over.

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use devtools::testing::eventually;

use crate::support::{Platform, TIMEOUT, access};

const PASSWORD: &str = "a long and unusual passphrase";

/// Every row of the directory's generation `generation`, without the generation, in a stable
/// order; the projected versions of that generation too.
async fn dump(pool: &PgPool, generation: i32) -> Vec<String> {
    let mut rows = Vec::new();
    for query in [
        "SELECT (to_jsonb(t) - 'generation')::text FROM directory_users t \
         WHERE generation = $1 ORDER BY user_id",
        "SELECT (to_jsonb(t) - 'generation')::text FROM directory_roles t \
         WHERE generation = $1 ORDER BY role_id",
        "SELECT (to_jsonb(t) - 'generation')::text FROM directory_assignments t \
         WHERE generation = $1 ORDER BY user_id, role_id",
        "SELECT stream_id || '@' || version FROM projected_versions \
         WHERE projection = CASE WHEN $1 = 0 THEN 'directory' ELSE 'directory.g' || $1 END \
         ORDER BY stream_id",
    ] {
        let found: Vec<String> = sqlx::query_scalar(query)
            .bind(generation)
            .fetch_all(pool)
            .await
            .expect("directory readable");
        rows.extend(found);
    }
    rows
}

/// Whether generation `generation` has applied the last event of every user and role stream.
async fn caught_up(pool: &PgPool, generation: i32) -> bool {
    let behind: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ( \
           SELECT stream_id, max(version) AS head FROM events \
           WHERE stream_id LIKE 'user-%' OR stream_id LIKE 'role-%' GROUP BY stream_id) e \
         LEFT JOIN projected_versions p ON p.stream_id = e.stream_id \
           AND p.projection = CASE WHEN $1 = 0 THEN 'directory' ELSE 'directory.g' || $1 END \
         WHERE p.version IS DISTINCT FROM e.head",
    )
    .bind(generation)
    .fetch_one(pool)
    .await
    .expect("versions readable");
    behind == 0
}

async fn until_caught_up(pool: &PgPool, generation: i32) {
    eventually(TIMEOUT, "the directory to apply every event", || async {
        caught_up(pool, generation).await.then_some(())
    })
    .await;
}

/// An admin's afternoon: roles made, edited and deleted, users registered, renamed, given and
/// relieved of roles, disabled. Returns (kept role, deleted role, users).
async fn afternoon(platform: &Platform, admin: &Value) -> (String, String, Vec<String>) {
    let token = access(admin);
    let mut roles = Vec::new();
    for (name, permissions) in [("support", ["users:read"]), ("auditor", ["audit:read"])] {
        let body = json!({ "name": name, "permissions": permissions });
        let created = platform.command("/v1/roles", token, body).await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.expect("role");
        roles.push(created["role_id"].as_str().expect("id").to_owned());
    }
    let mut users = Vec::new();
    for email in ["grace@example.test", "ada@example.test"] {
        let body = json!({ "email": email, "password": PASSWORD, "display_name": "Someone" });
        let registered = platform.command("/v1/users", token, body).await;
        assert_eq!(registered.status(), 201);
        let registered: Value = registered.json().await.expect("user");
        let user = registered["user_id"].as_str().expect("id").to_owned();
        for role in &roles {
            let path = format!("/v1/users/{user}/roles");
            let given = platform
                .command(&path, token, json!({ "role_id": role }))
                .await;
            assert_eq!(given.status(), 200);
        }
        users.push(user);
    }
    let steps = [
        (
            Method::PATCH,
            format!("/v1/users/{}", users[0]),
            Some(json!({ "display_name": "Grace Hopper" })),
        ),
        (
            Method::POST,
            format!("/v1/users/{}/disable", users[1]),
            None,
        ),
        (
            Method::POST,
            format!("/v1/roles/{}/permissions", roles[0]),
            Some(json!({ "permission": "sessions:read" })),
        ),
        (
            Method::DELETE,
            format!("/v1/roles/{}/permissions/users:read", roles[0]),
            None,
        ),
        (
            Method::PATCH,
            format!("/v1/roles/{}", roles[0]),
            Some(json!({ "name": "helpdesk" })),
        ),
        (Method::DELETE, format!("/v1/roles/{}", roles[1]), None),
    ];
    for (method, path, body) in steps {
        let response = platform.command_with(method, &path, token, body).await;
        assert_eq!(response.status(), 200, "{path}");
    }
    (roles[0].clone(), roles[1].clone(), users)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_follows_the_commands_and_a_rebuild_equals_it_row_for_row() {
    let platform = Platform::start().await;
    let pool = &platform.stack.db.pool;
    let admin = platform.admin_session().await;
    let (kept, deleted, users) = afternoon(&platform, &admin).await;
    // The deleted role's owed unassignments land on the users' streams shortly after.
    until_caught_up(pool, 0).await;
    eventually(TIMEOUT, "the deleted role to leave its holders", || async {
        let held: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM directory_assignments WHERE role_id = $1::uuid",
        )
        .bind(&deleted)
        .fetch_one(pool)
        .await
        .expect("assignments");
        (held == 0).then_some(())
    })
    .await;
    until_caught_up(pool, 0).await;

    let (name, permissions): (String, Vec<String>) = sqlx::query_as(
        "SELECT name, permissions FROM directory_roles WHERE generation = 0 AND role_id = $1::uuid",
    )
    .bind(&kept)
    .fetch_one(pool)
    .await
    .expect("kept role");
    assert_eq!(
        (name.as_str(), permissions),
        ("helpdesk", vec!["sessions:read".to_owned()])
    );
    let effective: Vec<(String, String)> = sqlx::query_as(
        "SELECT user_id::text, permission FROM directory_permissions \
         WHERE generation = 0 AND user_id = ANY($1::uuid[]) ORDER BY 1, 2",
    )
    .bind(&users)
    .fetch_all(pool)
    .await
    .expect("effective permissions");
    assert_eq!(
        effective,
        vec![(users[0].clone(), "sessions:read".to_owned())],
        "the disabled user holds nothing, the deleted role grants nothing"
    );

    let live = dump(pool, 0).await;
    assert!(
        live.len() > 10,
        "the directory holds the afternoon: {live:?}"
    );
    let rebuilt = projectors::directory::rebuild(
        projectors::cli::RebuildDirectoryArgs {
            db: platform.stack.db.db_args(),
            kafka: platform.stack.kafka.clone(),
            engine: projectors::engine::EngineArgs::default(),
            directory: projectors::cli::DirectoryArgs {
                group_prefix: format!("{}directory", platform.stack.kafka.topic_prefix),
            },
        },
        CancellationToken::new(),
    )
    .await
    .expect("rebuild");
    assert_eq!((rebuilt.from_generation, rebuilt.generation), (0, 1));
    assert_eq!(
        dump(pool, 1).await,
        live,
        "the rebuild equals the live tables"
    );
    assert!(dump(pool, 0).await.is_empty(), "the old generation is gone");

    // The running projectors moved to the new generation.
    let path = format!("/v1/users/{}", users[0]);
    let body = json!({ "display_name": "Rear Admiral Hopper" });
    let edited = platform
        .command_with(Method::PATCH, &path, access(&admin), Some(body))
        .await;
    assert_eq!(edited.status(), 200);
    until_caught_up(pool, 1).await;
    let name: String = sqlx::query_scalar(
        "SELECT display_name FROM directory_users WHERE generation = 1 AND user_id = $1::uuid",
    )
    .bind(&users[0])
    .fetch_one(pool)
    .await
    .expect("user row");
    assert_eq!(name, "Rear Admiral Hopper");
    assert!(dump(pool, 0).await.is_empty(), "nothing writes the old one");
}
