//! Cached grants in real Redis: written only forward in stream version, a reader's fill
//! refused once Redis was emptied after its epoch, a principal whose role entry is gone read as
//! a miss, every read from an instance the cache does not trust refused, and a session read
//! together with its principal's grants.

use std::collections::BTreeSet;

use events::sessions::SessionEvent;
use events::{EventFamily, Permission};
use store::event_store::EventStore;
use store::session_cache::grants::{Committed, Effective, PrincipalGrants, RolePermissions};
use store::session_cache::{CacheError, CachedSession, SessionCache};
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt, append_events, stream};

async fn cache(backbone: &Backbone) -> SessionCache {
    let cache = backbone.session_runner().cache;
    cache.trust_instance(Some(cache.instance().await.expect("run_id")));
    cache
}

fn holder(version: i64, role: Uuid) -> PrincipalGrants {
    PrincipalGrants {
        version,
        disabled: false,
        roles: BTreeSet::from([role]),
    }
}

fn granting(version: i64, permissions: &[Permission]) -> RolePermissions {
    RolePermissions {
        version,
        permissions: permissions.iter().copied().collect(),
        deleted: false,
    }
}

#[tokio::test]
async fn grants_move_only_forward_and_a_missing_role_is_a_miss() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let (user, role) = (Uuid::now_v7(), Uuid::now_v7());
    cache
        .write_grants_through(Committed::Principal(user, &holder(2, role)))
        .await;
    assert_eq!(
        cache.grants_of(user).await.expect("read"),
        None,
        "role not cached"
    );
    let newer = granting(3, &[Permission::AuditRead]);
    cache
        .write_grants_through(Committed::Role(role, &newer))
        .await;
    let older = granting(2, &[Permission::AuditRead, Permission::UsersWrite]);
    cache
        .write_grants_through(Committed::Role(role, &older))
        .await;
    let effective = cache.grants_of(user).await.expect("read").expect("cached");
    assert_eq!(
        effective.permissions,
        BTreeSet::from([Permission::AuditRead])
    );

    cache
        .forget_role_permissions(role)
        .await
        .expect("forgotten");
    assert_eq!(cache.grants_of(user).await.expect("read"), None);
    cache.trust_instance(Some("another instance".into()));
    assert!(matches!(
        cache.grants_of(user).await,
        Err(CacheError::Distrusted)
    ));
}

#[tokio::test]
async fn a_fill_read_before_a_flush_is_refused() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let (user, role) = (Uuid::now_v7(), Uuid::now_v7());
    let epoch = cache.epoch().await.expect("epoch");
    // What a flush does to this cache (Redis is shared with other tests): its epoch is gone.
    let mut redis = backbone.redis.connect().expect("redis");
    redis::cmd("DEL")
        .arg(format!("{}epoch", cache.namespace()))
        .query_async::<()>(&mut redis)
        .await
        .expect("epoch dropped");
    let roles = [(role, granting(1, &[Permission::AuditRead]))];
    let filled = cache
        .fill_grants(user, &holder(1, role), &roles, &epoch)
        .await;
    assert!(matches!(filled, Err(CacheError::Flushed)), "{filled:?}");
    assert_eq!(cache.grants_of(user).await.expect("read"), None);
}

#[tokio::test]
async fn a_session_and_its_principals_grants_are_read_in_one_step() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let (user, role) = (Uuid::now_v7(), Uuid::now_v7());
    // The support's sessions stream: one start whose session id is the principal's.
    append_events(&backbone.store(), user, 1).await;
    let stored = backbone
        .store()
        .read_stream(&stream(user), 1)
        .await
        .expect("read");
    let started = SessionEvent::from_raw(&stored[0]).expect("session event");
    let epoch = cache.epoch().await.expect("epoch");
    cache.apply(&started, &epoch).await.expect("apply");

    let (session, grants) = access(&cache, user, user).await.expect("read");
    assert_eq!(session.expect("cached").principal_id, user);
    assert_eq!(grants, None, "no grants cached yet");

    cache
        .write_grants_through(Committed::Principal(user, &holder(1, role)))
        .await;
    let role_grants = granting(1, &[Permission::AuditRead]);
    cache
        .write_grants_through(Committed::Role(role, &role_grants))
        .await;
    let (session, grants) = access(&cache, user, user).await.expect("read");
    assert!(session.is_some());
    assert_eq!(
        grants.expect("cached").permissions,
        BTreeSet::from([Permission::AuditRead])
    );
    let (other, _) = access(&cache, Uuid::now_v7(), user).await.expect("read");
    assert!(other.is_none(), "a session the cache lacks");

    // Two tokens in one read (introspection's caller and the token it asks about): each
    // answer is its own token's, in the order asked.
    let stranger = Uuid::now_v7();
    let both = cache
        .access_all(&[(stranger, stranger), (user, user)])
        .await
        .expect("read");
    assert_eq!(both.len(), 2);
    assert!(
        both[0].0.is_none() && both[0].1.is_none(),
        "nothing of the stranger"
    );
    assert_eq!(both[1].0.as_ref().expect("cached").principal_id, user);
    assert_eq!(
        both[1].1.as_ref().expect("cached").permissions,
        BTreeSet::from([Permission::AuditRead])
    );

    cache.trust_instance(Some("another instance".into()));
    assert!(matches!(
        access(&cache, user, user).await,
        Err(CacheError::Distrusted)
    ));
}

/// One token's session and grants, as authenticating it reads them.
async fn access(
    cache: &SessionCache,
    session_id: Uuid,
    principal_id: Uuid,
) -> Result<(Option<CachedSession>, Option<Effective>), CacheError> {
    let mut read = cache.access_all(&[(session_id, principal_id)]).await?;
    Ok(read.remove(0))
}
