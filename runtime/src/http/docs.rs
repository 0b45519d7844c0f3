//! `/docs`: the server's own OpenAPI (`/openapi.json`) rendered by Swagger UI. Its assets
//! (assets/swagger-ui/, Apache-2.0) are compiled into the binary, so the page works offline and
//! loads nothing from anywhere else (its Content-Security-Policy says so).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

const BUNDLE: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js");
const STYLES: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css");

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>API documentation</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"#;

const INIT: &str = "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', \
                    deepLinking: true, tryItOutEnabled: false });\n";

/// Only this server's own scripts, styles and data; Swagger UI sets inline styles.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                      img-src 'self' data:; connect-src 'self'; font-src 'self' data:";

pub(super) fn routes() -> Router {
    Router::new()
        .route("/docs", get(page))
        .route(
            "/docs/init.js",
            get(|| asset("text/javascript", INIT.as_bytes())),
        )
        .route(
            "/docs/swagger-ui-bundle.js",
            get(|| asset("text/javascript", BUNDLE)),
        )
        .route("/docs/swagger-ui.css", get(|| asset("text/css", STYLES)))
}

async fn page() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(POLICY),
            ),
        ],
        PAGE,
    )
}

/// A file of the binary's, cacheable for a day (it changes only with the binary).
async fn asset(content_type: &'static str, body: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        body,
    )
}
