//! The OpenAPI document of command-api: every context's routes.

use utoipa::OpenApi;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = crate::sessions::routes::ApiDoc::openapi();
    document.merge(crate::users::routes::ApiDoc::openapi());
    document.merge(crate::roles::routes::ApiDoc::openapi());
    document.merge(crate::customers::routes::ApiDoc::openapi());
    document
}
