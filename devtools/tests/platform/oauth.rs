//! The standard endpoints: RFC 7009 revocation ends the session of a refresh or an access
//! token, reason `USER_LOGOUT`, and answers 200 to anything else, writing nothing (a token of
//! the right shape with the wrong secret ends nothing); RFC 7662 introspection answers only
//! callers holding `tokens:introspect`; RFC 8414 metadata names the endpoints.

use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::support::{ADMIN_LOGIN, ADMIN_PASSWORD, ISSUER, Platform, access};

async fn revoke(platform: &Platform, form: &[(&str, &str)]) -> StatusCode {
    platform
        .http
        .post(format!("{}/v1/tokens/revoke", platform.command))
        .form(form)
        .send()
        .await
        .expect("command-api answers")
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_ends_the_session_of_a_refresh_or_an_access_token_and_nothing_else() {
    let platform = Platform::start().await;
    platform.introspector().await;
    let by_refresh = platform.admin_session().await;
    let by_access = platform.admin_session().await;
    let kept = platform.admin_session().await;
    let principal = kept["principal_id"].as_str().expect("principal").to_owned();

    let before = platform.event_count().await;
    let principal_id: Uuid = principal.parse().expect("uuid");
    let session_id: Uuid = kept["session_id"]
        .as_str()
        .expect("sid")
        .parse()
        .expect("uuid");
    let forged = access::refresh::RefreshToken::generate(
        events::PrincipalType::User,
        principal_id,
        session_id,
    )
    .expect("a refresh token of the right shape");
    for form in [
        vec![("token", "not a token at all")],
        vec![
            ("token", forged.expose()),
            ("token_type_hint", "refresh_token"),
        ],
        vec![
            ("token", "eyJhbGciOiJFZERTQSJ9.e30.c2ln"),
            ("token_type_hint", "access_token"),
        ],
    ] {
        assert_eq!(revoke(&platform, &form).await, 200, "{form:?}");
    }
    assert_eq!(platform.event_count().await, before, "nothing ended");
    assert_eq!(platform.introspect(access(&kept)).await["active"], true);

    let refresh = by_refresh["refresh_token"].as_str().expect("refresh token");
    let form = [("token", refresh), ("token_type_hint", "refresh_token")];
    assert_eq!(revoke(&platform, &form).await, 200);
    platform.until_active(access(&by_refresh), false).await;
    assert_eq!(
        platform.refresh(refresh).await.status(),
        401,
        "spent with its session"
    );

    let form = [("token", access(&by_access))];
    assert_eq!(revoke(&platform, &form).await, 200);
    platform.until_active(access(&by_access), false).await;
    assert_eq!(revoke(&platform, &form).await, 200, "again: still 200");

    assert_eq!(
        platform.revocation_reasons(&principal).await,
        ["USER_LOGOUT", "USER_LOGOUT"]
    );
    assert_eq!(platform.introspect(access(&kept)).await["active"], true);

    let missing = revoke(&platform, &[("token_type_hint", "access_token")]).await;
    assert!(missing.is_client_error(), "{missing}");
    let json = platform
        .http
        .post(format!("{}/v1/tokens/revoke", platform.command))
        .json(&serde_json::json!({ "token": access(&kept) }))
        .send()
        .await
        .expect("answers");
    assert!(json.status().is_client_error(), "a form, not JSON");
    assert_eq!(platform.introspect(access(&kept)).await["active"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_answers_only_callers_holding_tokens_introspect() {
    let platform = Platform::start().await;
    let session = platform.admin_session().await;
    let token = access(&session);
    let introspect = |bearer: Option<String>| {
        let mut request = platform
            .http
            .post(format!("{}/v1/tokens/introspect", platform.query))
            .form(&[("token", token)]);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        async move { request.send().await.expect("answers").status() }
    };
    assert_eq!(introspect(None).await, 401, "anonymous");
    assert_eq!(introspect(Some("forged".into())).await, 401);
    platform
        .register_user("plain@example.test", ADMIN_PASSWORD)
        .await;
    let plain = platform
        .session_of("plain@example.test", ADMIN_PASSWORD)
        .await;
    assert_eq!(
        introspect(Some(access(&plain).into())).await,
        403,
        "no permission"
    );
    let service = platform.session_of(ADMIN_LOGIN, ADMIN_PASSWORD).await;
    assert_eq!(introspect(Some(access(&service).into())).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metadata_names_the_endpoints_and_what_they_accept() {
    let platform = Platform::start().await;
    let metadata: Value = platform
        .http
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            platform.query
        ))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(metadata["issuer"], ISSUER);
    for (field, path) in [
        ("token_endpoint", "/v1/auth/login"),
        ("revocation_endpoint", "/v1/tokens/revoke"),
        ("introspection_endpoint", "/v1/tokens/introspect"),
        ("jwks_uri", "/.well-known/jwks.json"),
    ] {
        let url = metadata[field].as_str().unwrap_or_default();
        assert!(
            url.starts_with("http") && url.ends_with(path),
            "{field}: {metadata}"
        );
    }
    assert_eq!(
        metadata["grant_types_supported"],
        serde_json::json!(["password", "refresh_token"])
    );
    assert_eq!(
        metadata["access_token_signing_alg_values_supported"],
        serde_json::json!(["EdDSA"])
    );
    assert_eq!(
        metadata["revocation_endpoint_auth_methods_supported"],
        serde_json::json!(["none"])
    );
}
