//! `POST /v1/users/{id}/password`: a user changes its own password by giving the current one,
//! or a holder of `users:write` sets another user's. The user's other sessions end with reason
//! `PASSWORD_CHANGED` (all of them when an admin set it); the session that changed it goes on.

use axum::Json as JsonResponse;
use axum::extract::State;
use events::Permission;
use events::topics::Category;
use runtime::http::{Json, Path};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use store::aggregate::load;
use utoipa::ToSchema;
use uuid::Uuid;

use super::UsersState;
use super::edit::Changed;
use crate::auth::reauth::Reauth;
use crate::http::{ApiError, Bearer, RequestContext};
use crate::sessions::routes::require_session;
use crate::users::{Beside, User, UserChange, UserCommand, execute};

#[derive(Deserialize, ToSchema)]
pub struct ChangePassword {
    /// Required when users change their own password.
    #[schema(value_type = Option<String>, format = Password)]
    pub current_password: Option<SecretString>,
    /// At least 12 characters, not a common password (NIST SP 800-63B).
    #[schema(value_type = String, format = Password)]
    pub new_password: SecretString,
}

#[utoipa::path(
    post,
    path = "/v1/users/{id}/password",
    security(("bearer" = [])),
    request_body = ChangePassword,
    responses(
        (status = 200, description = "Password changed; the user's other sessions ended", body = Changed),
        (status = 404, description = "No such user, or another user and the caller lacks users:write"),
        (status = 422, description = "The current password is missing or wrong, or the new one breaks the policy (invalid_field names which)"),
        (status = 429, description = "Too many tries on this account (rate_limited, with Retry-After)"),
    )
)]
pub async fn change_password(
    State(state): State<UsersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(user_id): Path<Uuid>,
    Json(request): Json<ChangePassword>,
) -> Result<JsonResponse<Changed>, ApiError> {
    let claims = require_session(&state.sessions, claims).await?;
    let own = claims.sub == user_id;
    if !own && !claims.has(Permission::UsersWrite) {
        return Err(ApiError::NotFound("user"));
    }
    let stream = Category::Users.stream_id(user_id);
    let (user, _) = load::<User>(&state.users.ports, &stream)
        .await
        .map_err(ApiError::from)?;
    if !user.exists() {
        return Err(ApiError::NotFound("user"));
    }
    if own {
        let reauth = Reauth {
            throttle: state.throttle.as_ref(),
            logins: &state.users.logins,
            credentials: state.credentials.as_ref(),
            passwords: &state.passwords,
        };
        let given = request.current_password.as_ref();
        reauth.confirm(user_id, &user.email, given).await?;
    }
    state
        .policy
        .check(
            request.new_password.expose_secret(),
            &[user.email.as_str(), user.display_name.as_str()],
        )
        .map_err(|weak| ApiError::InvalidField {
            field: "new_password",
            detail: weak.to_string(),
        })?;
    let hash = state
        .passwords
        .hash(&request.new_password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let beside = Beside {
        password_hash: Some(hash),
        session: own.then_some(claims.sid),
    };
    let metadata = context.metadata_of(&claims);
    let outcome = execute(
        &state.users,
        user_id,
        UserCommand::Change(UserChange::Password),
        beside,
        metadata,
    )
    .await?;
    Ok(JsonResponse(Changed {
        version: outcome.version,
    }))
}
