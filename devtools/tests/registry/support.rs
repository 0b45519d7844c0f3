//! A registry per test on a fresh database, and the few HTTP calls the converter does not make.

use devtools::registry::{self, Running};
use reqwest::Method;
use schema_registry_converter::async_impl::schema_registry::{SrSettings, post_schema};
use schema_registry_converter::error::SRCError;
use schema_registry_converter::schema_registry_common::{SchemaType, SuppliedSchema};
use serde_json::Value;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::Postgres;

/// The local Postgres server; each test creates its own database on it.
const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432";

pub const ID: &str = r#"{"name":"id","type":"string"}"#;
pub const REQUIRED_EMAIL: &str = r#"{"name":"email","type":"string"}"#;
pub const OPTIONAL_EMAIL: &str = r#"{"name":"email","type":["null","string"],"default":null}"#;
pub const DEFAULTED_EMAIL: &str = r#"{"name":"email","type":"string","default":"none"}"#;

/// A `test.User` record with these fields.
pub fn user(fields: &[&str]) -> String {
    format!(
        r#"{{"type":"record","name":"User","namespace":"test","fields":[{}]}}"#,
        fields.join(",")
    )
}

pub fn avro(schema: &str) -> SuppliedSchema {
    SuppliedSchema::new(
        Some("test.User".into()),
        SchemaType::Avro,
        schema.to_owned(),
    )
}

/// The body the Confluent clients post, for calls made by hand.
pub fn body(schema: &str) -> String {
    serde_json::json!({ "schema": schema, "schemaType": "AVRO" }).to_string()
}

#[derive(Debug)]
pub struct TestRegistry {
    running: Running,
    pub database_url: String,
    pub settings: SrSettings,
    http: reqwest::Client,
}

impl TestRegistry {
    /// A registry on a new database named `registry_test_<uuid>`.
    pub async fn fresh() -> Self {
        let name = format!("registry_test_{}", uuid::Uuid::new_v4().simple());
        Self::on(format!("{POSTGRES}/{name}")).await
    }

    async fn on(database_url: String) -> Self {
        let pool = registry::prepare(&database_url)
            .await
            .expect("registry database prepared (is Postgres running on 127.0.0.1:5432?)");
        let running = registry::start(pool).await.expect("registry started");
        Self {
            settings: SrSettings::new(running.url().to_owned()),
            running,
            database_url,
            http: reqwest::Client::new(),
        }
    }

    /// Stops this registry and starts a new one on the same database.
    pub async fn restart(self) -> Self {
        self.running.stop().await.expect("registry stopped");
        Self::on(self.database_url).await
    }

    /// Stops the registry and drops its database.
    pub async fn discard(self) {
        self.running.stop().await.expect("registry stopped");
        Postgres::force_drop_database(&self.database_url)
            .await
            .expect("test database dropped");
    }

    /// Registers `schema` under `subject` through the converter; the registry's id.
    pub async fn register(&self, subject: &str, schema: &str) -> Result<u32, SRCError> {
        post_schema(&self.settings, subject.to_owned(), avro(schema))
            .await
            .map(|registered| registered.id)
    }

    /// Calls `path` with `body` (if any) as `content_type`; the status and the JSON answer.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Option<String>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.running.url()));
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("registry answers");
        let status = response.status().as_u16();
        let answered_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.expect("answer body");
        assert_eq!(
            answered_type.as_deref(),
            Some(registry::CONTENT_TYPE),
            "{path}: {text}"
        );
        let json = serde_json::from_str(&text).expect("answer is JSON");
        (status, json)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None, None).await
    }

    /// Posts or puts `body` as the Confluent clients do.
    pub async fn send(&self, method: Method, path: &str, body: String) -> (u16, Value) {
        let content_type = Some("application/vnd.schemaregistry.v1+json");
        self.call(method, path, content_type, Some(body)).await
    }
}

/// The Confluent error code inside a converter error, if the registry answered one.
pub fn error_code(error: &SRCError) -> Option<u64> {
    let cause = error.cause.as_deref()?;
    let code = cause.strip_prefix("error_code: ")?.split(',').next()?;
    code.parse().ok()
}
