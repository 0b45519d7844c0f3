//! `POST /v1/users`: an admin (`users:write`) registers a user, who can log in at once.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use events::Permission;
use runtime::http::Json;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::UsersState;
use crate::http::{ApiError, Bearer, RequestContext};
use crate::sessions::routes::require_permission;
use crate::users::fields::{DisplayName, Email};
use crate::users::{Beside, Registration, UserCommand, execute};

#[derive(Deserialize, ToSchema)]
pub struct RegisterUser {
    /// The login; compared trimmed, NFKC-normalised and case-insensitively, unique across
    /// every principal.
    pub email: String,
    /// At least 12 characters, not a common password (NIST SP 800-63B).
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    pub display_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    pub user_id: Uuid,
    /// The user's stream version.
    pub version: i64,
}

#[utoipa::path(
    post,
    path = "/v1/users",
    security(("bearer" = [])),
    request_body = RegisterUser,
    responses(
        (status = 201, description = "User registered; it can log in", body = Registered),
        (status = 403, description = "The caller lacks users:write"),
        (status = 409, description = "Another account uses this email (email_taken)"),
        (status = 422, description = "A field breaks its rule (invalid_field names it)"),
    )
)]
pub async fn register(
    State(state): State<UsersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Json(request): Json<RegisterUser>,
) -> Result<(StatusCode, JsonResponse<Registered>), ApiError> {
    use secrecy::ExposeSecret;
    require_permission(&state.sessions, &claims, Permission::UsersWrite).await?;
    let email = Email::parse(&request.email)?;
    let display_name = DisplayName::parse(&request.display_name)?;
    state.policy.check(
        request.password.expose_secret(),
        &[email.as_str(), display_name.as_str()],
    )?;
    let hash = state
        .passwords
        .hash(&request.password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let user_id = Uuid::now_v7();
    let command = UserCommand::Register(Registration {
        user_id,
        email,
        display_name,
    });
    let outcome = execute(
        &state.users,
        user_id,
        command,
        Beside {
            password_hash: Some(hash),
            session: None,
        },
        context.metadata_of(&claims),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(Registered {
            user_id,
            version: outcome.version,
        }),
    ))
}
