//! The customer routes in the authorization matrix: a user needs the permission (403), another
//! customer gets 404 (ids reveal nothing). The erasure comes last: it ends the target.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::Route;

/// Every customer route of both servers, on customer `target` and its address `address`.
pub fn routes(target: &str, address: &str) -> Vec<Route> {
    let me = format!("/v1/customers/{target}");
    let place =
        json!({ "line1": "Matrix 1", "city": "Bern", "postal_code": "3000", "country": "CH" });
    [
        (
            Method::PATCH,
            "/v1/customers/{id}",
            me.clone(),
            Some(json!({ "name": "Target" })),
        ),
        (
            Method::POST,
            "/v1/customers/{id}/email",
            format!("{me}/email"),
            Some(json!({ "email": "target.moved@example.test" })),
        ),
        (
            Method::POST,
            "/v1/customers/{id}/password",
            format!("{me}/password"),
            Some(json!({ "new_password": "a new matrix passphrase" })),
        ),
        (
            Method::POST,
            "/v1/customers/{id}/addresses",
            format!("{me}/addresses"),
            Some(place.clone()),
        ),
        (
            Method::PUT,
            "/v1/customers/{id}/addresses/{address_id}",
            format!("{me}/addresses/{address}"),
            Some(place),
        ),
        (
            Method::DELETE,
            "/v1/customers/{id}/addresses/{address_id}",
            format!("{me}/addresses/{address}"),
            None,
        ),
        (
            Method::PUT,
            "/v1/customers/{id}/preferences",
            format!("{me}/preferences"),
            Some(json!({ "marketing_push": true })),
        ),
        (
            Method::POST,
            "/v1/customers/{id}/segments",
            format!("{me}/segments"),
            Some(json!({ "segment": "vip" })),
        ),
        (
            Method::DELETE,
            "/v1/customers/{id}/segments/{segment}",
            format!("{me}/segments/vip"),
            None,
        ),
    ]
    .into_iter()
    .map(|(method, template, path, body)| Route::command(method, template, path, body))
    .chain([
        Route::read(
            "/v1/customers/{id}",
            format!("{me}?min_version=1"),
            StatusCode::FORBIDDEN,
        ),
        Route::read(
            "/v1/customers/{id}/export",
            format!("{me}/export"),
            StatusCode::FORBIDDEN,
        ),
        Route::command(Method::DELETE, "/v1/customers/{id}", me.clone(), None),
    ])
    .map(|route| Route {
        customer: StatusCode::NOT_FOUND,
        ..route
    })
    .chain([Route::read(
        "/v1/segments/{segment}/customers",
        "/v1/segments/vip/customers".into(),
        StatusCode::FORBIDDEN,
    )])
    .collect()
}
