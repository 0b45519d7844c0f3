//! What an admin does to a user once it exists: edit its name and email, disable it (every
//! session ends with `PRINCIPAL_DISABLED`, its login is refused like a wrong password) and
//! enable it, set or change its password (the other sessions end with `PASSWORD_CHANGED`),
//! give and take roles. Each refusal is the documented status and writes nothing.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use command_api::auth::throttle::ThrottleArgs;

use crate::support::{Options, Platform, access};

const PASSWORD: &str = "a long and unusual passphrase";
const NEW_PASSWORD: &str = "another quite unusual passphrase";

/// An admin registers `email` through the API; its id.
async fn registered(platform: &Platform, admin: &Value, email: &str) -> Uuid {
    let body = json!({ "email": email, "password": PASSWORD, "display_name": "Grace" });
    let response = platform.command("/v1/users", access(admin), body).await;
    assert_eq!(response.status(), 201, "registration");
    let answer: Value = response.json().await.expect("body");
    answer["user_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid")
}

/// The revocations recorded for `principal`, as (reason, revoked_by) pairs.
async fn revocations(platform: &Platform, admin: &Value, principal: Uuid) -> Vec<(Value, Value)> {
    let path = format!("/v1/audit/revocations?principal_id={principal}");
    let response = platform.read(&path, access(admin)).await;
    assert_eq!(response.status(), 200, "audit");
    let rows: Vec<Value> = response.json().await.expect("rows");
    rows.into_iter()
        .map(|row| (row["reason"].clone(), row["revoked_by"].clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_edits_a_users_name_and_email_and_the_new_email_logs_in() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let user = registered(&platform, &admin, "grace@example.test").await;
    registered(&platform, &admin, "ada@example.test").await;
    let path = format!("/v1/users/{user}");
    let edit =
        |body: Value| platform.command_with(Method::PATCH, &path, access(&admin), Some(body));

    let changed =
        edit(json!({ "display_name": "Grace Hopper", "email": "Hopper@Example.test" })).await;
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.json::<Value>().await.expect("body")["version"], 3);
    platform.session_of("hopper@example.test", PASSWORD).await;
    assert_eq!(
        platform
            .login("grace@example.test", PASSWORD)
            .await
            .status(),
        401
    );

    let before = platform.event_count().await;
    let taken = edit(json!({ "email": "ADA@example.test" })).await;
    assert_eq!(taken.status(), 409);
    assert_eq!(
        taken.json::<Value>().await.expect("problem")["code"],
        "email_taken"
    );
    let empty = edit(json!({})).await;
    assert_eq!(empty.status(), 422);
    let bad = edit(json!({ "email": "nobody" })).await;
    assert_eq!(
        bad.json::<Value>().await.expect("problem")["field"],
        "email"
    );
    let unknown = platform
        .command_with(
            Method::PATCH,
            &format!("/v1/users/{}", Uuid::now_v7()),
            access(&admin),
            Some(json!({ "display_name": "Nobody" })),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        platform.event_count().await,
        before,
        "refusals write nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_ends_every_session_and_refuses_login_until_enabled() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let user = registered(&platform, &admin, "grace@example.test").await;
    let first = platform.session_of("grace@example.test", PASSWORD).await;
    let second = platform.session_of("grace@example.test", PASSWORD).await;

    let disable = format!("/v1/users/{user}/disable");
    let response = platform.command(&disable, access(&admin), json!({})).await;
    assert_eq!(response.status(), 200);
    platform.until_active(access(&first), false).await;
    platform.until_active(access(&second), false).await;
    let refused = platform.login("grace@example.test", PASSWORD).await;
    let wrong = platform
        .login("grace@example.test", "not the password at all")
        .await;
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.json::<Value>().await.expect("problem"),
        wrong.json::<Value>().await.expect("problem"),
        "a disabled user's login reads like a wrong password"
    );
    let refresh = first["refresh_token"].as_str().expect("refresh token");
    assert_eq!(platform.refresh(refresh).await.status(), 401);
    let admin_actor = json!({ "type": "user", "id": admin["principal_id"] });
    assert_eq!(
        revocations(&platform, &admin, user).await,
        vec![(json!("PRINCIPAL_DISABLED"), admin_actor.clone()); 2]
    );

    let enable = format!("/v1/users/{user}/enable");
    assert_eq!(
        platform
            .command(&enable, access(&admin), json!({}))
            .await
            .status(),
        200
    );
    platform.session_of("grace@example.test", PASSWORD).await;
    let unknown = format!("/v1/users/{}/disable", Uuid::now_v7());
    assert_eq!(
        platform
            .command(&unknown, access(&admin), json!({}))
            .await
            .status(),
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_changes_its_password_with_the_current_one_and_its_other_sessions_end() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let user = registered(&platform, &admin, "grace@example.test").await;
    let kept = platform.session_of("grace@example.test", PASSWORD).await;
    let other = platform.session_of("grace@example.test", PASSWORD).await;
    let path = format!("/v1/users/{user}/password");

    let before = platform.event_count().await;
    for (body, field) in [
        (json!({ "new_password": NEW_PASSWORD }), "current_password"),
        (
            json!({ "current_password": "a guess that is wrong", "new_password": NEW_PASSWORD }),
            "current_password",
        ),
        (
            json!({ "current_password": PASSWORD, "new_password": "short" }),
            "new_password",
        ),
    ] {
        let refused = platform.command(&path, access(&kept), body.clone()).await;
        assert_eq!(refused.status(), 422, "{body}");
        assert_eq!(
            refused.json::<Value>().await.expect("problem")["field"],
            field,
            "{body}"
        );
    }
    assert_eq!(
        platform.event_count().await,
        before,
        "refusals write nothing"
    );

    let body = json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD });
    assert_eq!(
        platform.command(&path, access(&kept), body).await.status(),
        200
    );
    platform.until_active(access(&other), false).await;
    assert_eq!(platform.introspect(access(&kept)).await["active"], true);
    assert_eq!(
        platform
            .login("grace@example.test", PASSWORD)
            .await
            .status(),
        401
    );
    platform
        .session_of("grace@example.test", NEW_PASSWORD)
        .await;
    let user_actor = json!({ "type": "user", "id": user.to_string() });
    assert_eq!(
        revocations(&platform, &admin, user).await,
        vec![(json!("PASSWORD_CHANGED"), user_actor)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_a_password_ending_every_session_and_others_may_not() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let user = registered(&platform, &admin, "grace@example.test").await;
    let peer = registered(&platform, &admin, "ada@example.test").await;
    let session = platform.session_of("grace@example.test", PASSWORD).await;
    let ada = platform.session_of("ada@example.test", PASSWORD).await;
    let path = format!("/v1/users/{user}/password");
    let body = json!({ "new_password": NEW_PASSWORD });

    let not_hers = platform.command(&path, access(&ada), body.clone()).await;
    assert_eq!(
        not_hers.status(),
        404,
        "another user's password is not ada's to see"
    );
    assert_eq!(
        platform.command(&path, access(&admin), body).await.status(),
        200
    );
    platform.until_active(access(&session), false).await;
    platform
        .session_of("grace@example.test", NEW_PASSWORD)
        .await;
    assert_eq!(
        platform.introspect(access(&ada)).await["active"],
        true,
        "{peer} untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_given_and_taken_and_only_live_ones_given() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let user = registered(&platform, &admin, "grace@example.test").await;
    let role = json!({ "name": "auditor", "permissions": ["audit:read"] });
    let created: Value = platform
        .command("/v1/roles", access(&admin), role)
        .await
        .json()
        .await
        .expect("role");
    let role_id = created["role_id"].as_str().expect("id").to_owned();
    let path = format!("/v1/users/{user}/roles");

    let given = platform
        .command(&path, access(&admin), json!({ "role_id": role_id }))
        .await;
    assert_eq!(given.status(), 200);
    let session = platform.session_of("grace@example.test", PASSWORD).await;
    let audit = platform
        .read("/v1/audit/revocations", access(&session))
        .await;
    assert_eq!(audit.status(), 200, "the role's permission is the user's");
    let unknown = platform
        .command(&path, access(&admin), json!({ "role_id": Uuid::now_v7() }))
        .await;
    assert_eq!(unknown.status(), 404);
    let plain = platform
        .command(&path, access(&session), json!({ "role_id": role_id }))
        .await;
    assert_eq!(plain.status(), 403, "roles:assign is needed");

    let taken = platform
        .command_with(
            Method::DELETE,
            &format!("{path}/{role_id}"),
            access(&admin),
            None,
        )
        .await;
    assert_eq!(taken.status(), 200);
    let session = platform.session_of("grace@example.test", PASSWORD).await;
    let audit = platform
        .read("/v1/audit/revocations", access(&session))
        .await;
    assert_eq!(audit.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_the_current_password_draws_on_the_accounts_login_limit() {
    let defaults = Options::default();
    let platform = Platform::start_with(Options {
        throttle: ThrottleArgs {
            login_per_account: 3,
            ..defaults.throttle.clone()
        },
        ..defaults
    })
    .await;
    let admin = platform.admin_session().await;
    let user = registered(&platform, &admin, "grace@example.test").await;
    let session = platform.session_of("grace@example.test", PASSWORD).await;
    let path = format!("/v1/users/{user}/password");
    let guess =
        json!({ "current_password": "a guess that is wrong", "new_password": NEW_PASSWORD });
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let response = platform
            .command(&path, access(&session), guess.clone())
            .await;
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(
        statuses[..statuses.len() - 1].iter().all(|s| *s == 422),
        "{statuses:?}"
    );
    let login = platform.login("grace@example.test", PASSWORD).await;
    assert_eq!(
        login.status(),
        429,
        "the guesses spent the login's own bucket"
    );
}
