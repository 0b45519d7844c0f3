//! The authorization matrix: every admin and customer route of both servers, called by each
//! kind of caller, answers exactly 401, 403 (404 where the contract hides existence) or its
//! success. Callers: no token, a forged token, an expired genuine one, a user without the
//! permission, a user with it, a disabled user's live token, a token whose role lost its
//! permissions since it was issued, and a customer (not the one a customer route names).

mod customers;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::Ed25519KeyPair;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::forge::{parts, platform_key, sign};
use devtools::testing::eventually;

use crate::support::{Platform, TIMEOUT, access};

const PASSWORD: &str = "a long and unusual passphrase";
const EVERYTHING: [&str; 13] = [
    "users:read",
    "users:write",
    "roles:read",
    "roles:write",
    "roles:assign",
    "audit:read",
    "sessions:read",
    "customers:read",
    "customers:write",
    "customers:segment",
    "customers:export",
    "customers:erase",
    "tokens:introspect",
];

/// One admin route: which server, how it is called, what a caller without the permission gets.
struct Route {
    method: Method,
    /// As the servers' metrics label it.
    template: &'static str,
    path: String,
    body: Option<Value>,
    query: bool,
    denied: StatusCode,
    /// What a customer gets (on a customer route: one that is not the customer it names).
    customer: StatusCode,
}

impl Route {
    fn command(method: Method, template: &'static str, path: String, body: Option<Value>) -> Self {
        Self {
            method,
            template,
            path,
            body,
            query: false,
            denied: StatusCode::FORBIDDEN,
            customer: StatusCode::FORBIDDEN,
        }
    }

    fn read(template: &'static str, path: String, denied: StatusCode) -> Self {
        Self {
            method: Method::GET,
            template,
            path,
            body: None,
            query: true,
            denied,
            customer: denied,
        }
    }

    async fn call(&self, platform: &Platform, token: Option<&str>) -> StatusCode {
        let base = if self.query {
            &platform.query
        } else {
            &platform.command
        };
        let mut request = platform
            .http
            .request(self.method.clone(), format!("{base}{}", self.path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = &self.body {
            request = request.json(body);
        }
        request.send().await.expect("answers").status()
    }
}

async fn created(platform: &Platform, token: &str, path: &str, body: Value, id: &str) -> String {
    let response = platform.command(path, token, body).await;
    assert_eq!(response.status(), 201, "{path}");
    let answer: Value = response.json().await.expect("body");
    answer[id].as_str().expect("id").to_owned()
}

/// A user holding a new role granting `permissions`, logged in; (user id, role id, token).
async fn holder(platform: &Platform, admin: &str, email: &str) -> (String, String, String) {
    let name = email.split('@').next().expect("local part");
    let role = json!({ "name": name, "permissions": EVERYTHING });
    let role_id = created(platform, admin, "/v1/roles", role, "role_id").await;
    let user = json!({ "email": email, "password": PASSWORD, "display_name": name });
    let user_id = created(platform, admin, "/v1/users", user, "user_id").await;
    let give = format!("/v1/users/{user_id}/roles");
    let given = platform
        .command(&give, admin, json!({ "role_id": role_id }))
        .await;
    assert_eq!(given.status(), 200);
    let session = platform.session_of(email, PASSWORD).await;
    (user_id, role_id, access(&session).to_owned())
}

/// A customer with one address: (customer id, address id).
async fn customer_with_address(platform: &Platform) -> (String, String) {
    let (id, session) = crate::customers::customer(platform, "target.c@example.test", "T").await;
    let place =
        json!({ "line1": "Home 1", "city": "Bern", "postal_code": "3000", "country": "CH" });
    let path = format!("/v1/customers/{id}/addresses");
    let address = created(platform, access(&session), &path, place, "address_id").await;
    (id, address)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_and_customer_route_answers_each_kind_of_caller_exactly() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let admin = access(&admin).to_owned();
    let (_, _, allowed) = holder(&platform, &admin, "allowed@example.test").await;
    let (disabled_id, _, disabled) = holder(&platform, &admin, "disabled@example.test").await;
    let (_, stripped_role, stripped) = holder(&platform, &admin, "stripped@example.test").await;
    platform.register_user("plain@example.test", PASSWORD).await;
    let plain = access(&platform.session_of("plain@example.test", PASSWORD).await).to_owned();

    let disable = format!("/v1/users/{disabled_id}/disable");
    assert_eq!(
        platform.command(&disable, &admin, json!({})).await.status(),
        200
    );
    for permission in EVERYTHING {
        let path = format!("/v1/roles/{stripped_role}/permissions/{permission}");
        let revoked = platform
            .command_with(Method::DELETE, &path, &admin, None)
            .await;
        assert_eq!(revoked.status(), 200);
    }
    let (header, claims, _) = parts(&allowed);
    let stranger = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
    let forged = sign(&header, &claims, stranger.as_ref());
    let mut old = claims.clone();
    old["iat"] = json!(claims["iat"].as_i64().expect("iat") - 7200);
    old["exp"] = json!(claims["exp"].as_i64().expect("exp") - 7200);
    let expired = sign(&header, &old, &platform_key(&platform).await);

    let target =
        json!({ "email": "target@example.test", "password": PASSWORD, "display_name": "T" });
    let target = created(&platform, &admin, "/v1/users", target, "user_id").await;
    let role = json!({ "name": "target", "permissions": ["audit:read"] });
    let role = created(&platform, &admin, "/v1/roles", role, "role_id").await;
    let doomed = json!({ "name": "doomed", "permissions": [] });
    let doomed = created(&platform, &admin, "/v1/roles", doomed, "role_id").await;
    // The directory shows both once the projectors caught up (they start with the test).
    for path in [format!("/v1/users/{target}"), format!("/v1/roles/{role}")] {
        eventually(TIMEOUT, "the directory to hold the target", || async {
            let status = platform
                .read(&format!("{path}?min_version=1"), &admin)
                .await
                .status();
            status.is_success().then_some(())
        })
        .await;
    }
    let (target_customer, shopper) = customer_with_address(&platform).await;
    let (_, outsider) = crate::customers::customer(&platform, "outsider@example.test", "Out").await;
    let outsider = access(&outsider).to_owned();
    let routes = [
        Route::command(
            Method::POST,
            "/v1/users",
            "/v1/users".into(),
            Some(json!({ "email": "new@example.test", "password": PASSWORD, "display_name": "N" })),
        ),
        Route::command(
            Method::PATCH,
            "/v1/users/{id}",
            format!("/v1/users/{target}"),
            Some(json!({ "display_name": "Target" })),
        ),
        Route::command(
            Method::POST,
            "/v1/users/{id}/disable",
            format!("/v1/users/{target}/disable"),
            None,
        ),
        Route::command(
            Method::POST,
            "/v1/users/{id}/enable",
            format!("/v1/users/{target}/enable"),
            None,
        ),
        Route::command(
            Method::POST,
            "/v1/users/{id}/roles",
            format!("/v1/users/{target}/roles"),
            Some(json!({ "role_id": role })),
        ),
        Route::command(
            Method::DELETE,
            "/v1/users/{id}/roles/{role_id}",
            format!("/v1/users/{target}/roles/{role}"),
            None,
        ),
        Route::command(
            Method::POST,
            "/v1/roles",
            "/v1/roles".into(),
            Some(json!({ "name": "fresh", "permissions": [] })),
        ),
        Route::command(
            Method::PATCH,
            "/v1/roles/{id}",
            format!("/v1/roles/{role}"),
            Some(json!({ "description": "Reads the trail" })),
        ),
        Route::command(
            Method::POST,
            "/v1/roles/{id}/permissions",
            format!("/v1/roles/{role}/permissions"),
            Some(json!({ "permission": "users:read" })),
        ),
        Route::command(
            Method::DELETE,
            "/v1/roles/{id}/permissions/{permission}",
            format!("/v1/roles/{role}/permissions/users:read"),
            None,
        ),
        Route::command(
            Method::DELETE,
            "/v1/roles/{id}",
            format!("/v1/roles/{doomed}"),
            None,
        ),
        Route::read("/v1/users", "/v1/users".into(), StatusCode::FORBIDDEN),
        Route::read(
            "/v1/users/{user_id}",
            format!("/v1/users/{target}?min_version=1"),
            StatusCode::FORBIDDEN,
        ),
        Route::read("/v1/roles", "/v1/roles".into(), StatusCode::FORBIDDEN),
        Route::read(
            "/v1/roles/{role_id}",
            format!("/v1/roles/{role}?min_version=1"),
            StatusCode::FORBIDDEN,
        ),
        Route::read(
            "/v1/audit/revocations",
            "/v1/audit/revocations".into(),
            StatusCode::FORBIDDEN,
        ),
        Route::read(
            "/v1/audit/events",
            "/v1/audit/events".into(),
            StatusCode::FORBIDDEN,
        ),
        Route::read(
            "/v1/principals/{principal_id}/sessions",
            format!("/v1/principals/{target}/sessions"),
            StatusCode::NOT_FOUND,
        ),
        Route::read(
            "/v1/principals/{principal_id}/sessions",
            format!("/v1/principals/{}/sessions", Uuid::now_v7()),
            StatusCode::NOT_FOUND,
        ),
    ]
    .into_iter()
    .chain([Route {
        method: Method::POST,
        body: Some(json!({ "token": "any token at all" })),
        ..Route::read(
            "/v1/tokens/introspect",
            "/v1/tokens/introspect".into(),
            StatusCode::FORBIDDEN,
        )
    }])
    .chain(customers::routes(&target_customer, &shopper))
    .collect::<Vec<_>>();

    let unauthorized = StatusCode::UNAUTHORIZED;
    let mut wrong = Vec::new();
    for route in &routes {
        let mut expect = |caller: &str, got: StatusCode, want: StatusCode| {
            if got != want {
                wrong.push(format!(
                    "{} {} as {caller}: {got}, not {want}",
                    route.method, route.path
                ));
            }
        };
        expect("anonymous", route.call(&platform, None).await, unauthorized);
        expect(
            "forged",
            route.call(&platform, Some(&forged)).await,
            unauthorized,
        );
        expect(
            "expired",
            route.call(&platform, Some(&expired)).await,
            unauthorized,
        );
        expect(
            "plain",
            route.call(&platform, Some(&plain)).await,
            route.denied,
        );
        expect(
            "disabled",
            route.call(&platform, Some(&disabled)).await,
            unauthorized,
        );
        expect(
            "stripped",
            route.call(&platform, Some(&stripped)).await,
            route.denied,
        );
        expect(
            "customer",
            route.call(&platform, Some(&outsider)).await,
            route.customer,
        );
        let got = route.call(&platform, Some(&allowed)).await;
        if !got.is_success() {
            wrong.push(format!("{} {} as allowed: {got}", route.method, route.path));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Each route counted under its template by the server that serves it.
    for route in &routes {
        let base = if route.query {
            &platform.query
        } else {
            &platform.command
        };
        let metrics = platform.metrics(base).await;
        let label = format!(r#"method="{}",route="{}""#, route.method, route.template);
        assert!(metrics.contains(&label), "no {label} in the metrics");
    }
}
