//! What the directory hands the grants cache: a user's or role's state only once it is the
//! newest state of its stream in the event store. A projector behind the store (a registration
//! and its role assignment committed together, the admin's at bootstrap) must not cache the
//! registration alone, or the next request of a live token reads no permission at all.

use std::collections::BTreeSet;

use events::roles::{RoleCreated, RoleEvent, RolePermissionGranted};
use events::topics::Category;
use events::users::{UserEvent, UserRegistered, UserRoleAssigned};
use events::{EventFamily, EventMetadata, Permission, Recorded};
use store::directory::Directory;
use store::event_store::{EventStore, NewEvent, PgEventStore};
use uuid::Uuid;

use crate::support::Backbone;

/// Appends `events` to `stream_id` in one transaction and reads them back as recorded.
async fn commit<E: EventFamily>(
    store: &PgEventStore,
    stream_id: &str,
    events: &[E],
) -> Vec<Recorded<E>> {
    let new = events
        .iter()
        .map(|e| NewEvent::new(e, EventMetadata::new(None)).expect("event"))
        .collect();
    store.append(stream_id, 0, new).await.expect("appended");
    let raw = store.read_stream(stream_id, 1).await.expect("read");
    raw.iter()
        .map(|r| E::from_raw(r).expect("decoded"))
        .collect()
}

#[tokio::test]
async fn a_user_s_grants_are_handed_out_only_at_the_store_s_newest_version() {
    let backbone = Backbone::start().await;
    let store = PgEventStore::new(backbone.db.pool.clone());
    let directory = Directory::new(backbone.db.pool.clone(), 0);
    let (user_id, role_id) = (Uuid::now_v7(), Uuid::now_v7());
    let recorded = commit(
        &store,
        &Category::Users.stream_id(user_id),
        &[
            UserEvent::Registered(UserRegistered {
                user_id,
                email: "ada@example.test".into(),
                display_name: "Ada".into(),
                registered_at: events::now(),
            }),
            UserEvent::RoleAssigned(UserRoleAssigned {
                user_id,
                role_id,
                assigned_at: events::now(),
            }),
        ],
    )
    .await;

    directory.apply_user(&recorded[0]).await.expect("v1");
    let behind = directory.principal_grants(user_id).await.expect("read");
    assert_eq!(
        behind, None,
        "the registration alone is not the user's state"
    );

    directory.apply_user(&recorded[1]).await.expect("v2");
    let current = directory.principal_grants(user_id).await.expect("read");
    let current = current.expect("the newest state");
    assert_eq!(
        (current.version, current.roles),
        (2, BTreeSet::from([role_id]))
    );
}

#[tokio::test]
async fn a_role_s_permissions_are_handed_out_only_at_the_store_s_newest_version() {
    let backbone = Backbone::start().await;
    let store = PgEventStore::new(backbone.db.pool.clone());
    let directory = Directory::new(backbone.db.pool.clone(), 0);
    let role_id = Uuid::now_v7();
    let recorded = commit(
        &store,
        &Category::Roles.stream_id(role_id),
        &[
            RoleEvent::Created(RoleCreated {
                role_id,
                name: "auditor".into(),
                description: "reads the audit".into(),
                permissions: vec![Permission::AuditRead],
                created_at: events::now(),
            }),
            RoleEvent::PermissionGranted(RolePermissionGranted {
                role_id,
                permission: Permission::SessionsRead,
                granted_at: events::now(),
            }),
        ],
    )
    .await;

    directory.apply_role(&recorded[0]).await.expect("v1");
    let behind = directory.role_permissions(role_id, 1).await.expect("read");
    assert_eq!(behind, None, "the role without its grant is not its state");

    directory.apply_role(&recorded[1]).await.expect("v2");
    let current = directory.role_permissions(role_id, 2).await.expect("read");
    let current = current.expect("the newest state");
    assert_eq!(current.version, 2);
    assert_eq!(
        current.permissions,
        BTreeSet::from([Permission::AuditRead, Permission::SessionsRead])
    );
}
