//! What every bounded context's routes share over HTTP: the request context, bearer
//! authentication and the error type with its problem+json answers. The routes themselves live
//! in each context's `routes` module; nothing here knows a context.

mod bearer;
mod context;
mod error;

pub use bearer::Bearer;
pub use context::RequestContext;
pub use error::ApiError;
