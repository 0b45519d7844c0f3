//! The projectors write effective permissions through too: events that reach the store
//! without a command's own write-through (a process that died after its commit, here appended
//! straight to the store) are in the grants cache once the directory applied them.

use std::collections::BTreeSet;

use events::roles::{RoleEvent, RolePermissionGranted};
use events::topics::Category;
use events::users::{UserEvent, UserRoleAssigned};
use events::{EventFamily, EventMetadata, Permission};
use serde_json::json;
use store::event_store::{EventStore, NewEvent, PgEventStore};
use store::generations;
use store::session_cache::SessionCache;
use store::session_cache::grants::Effective;
use uuid::Uuid;

use devtools::testing::eventually;

use crate::support::{Platform, TIMEOUT, access};

const PASSWORD: &str = "a long and unusual passphrase";

async fn append<E: EventFamily>(platform: &Platform, stream_id: &str, version: i64, event: &E) {
    let event = NewEvent::new(event, EventMetadata::new(None)).expect("event");
    PgEventStore::new(platform.stack.db.pool.clone())
        .append(stream_id, version - 1, vec![event])
        .await
        .expect("appended");
}

/// What the grants cache holds for `user`, read as the servers read it.
async fn cached(platform: &Platform, user: Uuid) -> Option<Effective> {
    let redis = &platform.stack.redis;
    let cache = SessionCache::new(redis.connect().expect("redis"), redis.key_prefix.clone());
    let live = generations::live_state(&platform.stack.db.pool, generations::PROJECTION)
        .await
        .expect("live generation");
    cache.use_live(&live);
    cache.grants_of(user).await.ok().flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_without_a_write_through_reach_the_grants_cache_through_the_directory() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let role = json!({ "name": "auditor", "permissions": ["audit:read"] });
    let created = platform.command("/v1/roles", access(&admin), role).await;
    assert_eq!(created.status(), 201);
    let role_id: Uuid = created.json::<serde_json::Value>().await.expect("body")["role_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("role id");
    let user = platform.register_user("grace@example.test", PASSWORD).await;

    let assigned = UserEvent::RoleAssigned(UserRoleAssigned {
        user_id: user,
        role_id,
        assigned_at: events::now(),
    });
    append(&platform, &Category::Users.stream_id(user), 2, &assigned).await;
    let granted = RoleEvent::PermissionGranted(RolePermissionGranted {
        role_id,
        permission: Permission::SessionsRead,
        granted_at: events::now(),
    });
    append(&platform, &Category::Roles.stream_id(role_id), 2, &granted).await;

    let wanted = BTreeSet::from([Permission::AuditRead, Permission::SessionsRead]);
    let effective = eventually(TIMEOUT, "the projectors to write the grants", || async {
        cached(&platform, user)
            .await
            .filter(|e| e.permissions == wanted)
    })
    .await;
    assert!(!effective.disabled);
}
