//! What a server's OpenAPI document cannot know on its own: the ops endpoints this stack
//! serves beside its routes, and the answers it gives on every route. Each operation gains the problem answers of the shared extractors and middleware
//! (a malformed, oversized or non-JSON body; a malformed path or query; a missing or invalid
//! bearer token; a dependency or the time limit failing), and every error answer is documented
//! as `application/problem+json` with the RFC 9457 shape, so clients and schema-driven tests
//! see the whole contract.

use serde_json::{Map, Value, json};

use super::problem::CONTENT_TYPE;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `document` with the stack's answers added where an operation does not document them itself.
pub fn with_stack_answers(mut document: Value) -> Value {
    let paths = document
        .as_object_mut()
        .map(|root| root.entry("paths").or_insert_with(|| json!({})));
    if let Some(Value::Object(paths)) = paths {
        for (path, item) in ops_paths() {
            paths.entry(path).or_insert(item);
        }
        for item in paths.values_mut() {
            for method in METHODS {
                if let Some(operation) = item.get_mut(method) {
                    add_answers(operation);
                }
            }
        }
    }
    if let Some(root) = document.as_object_mut() {
        let schemas = root
            .entry("components")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|c| c.entry("schemas").or_insert_with(|| json!({})));
        if let Some(Value::Object(schemas)) = schemas {
            schemas.insert("Problem".into(), problem_schema());
        }
    }
    document
}

/// `/healthz`, `/readyz`, `/metrics` and `/openapi.json`, as `super::app` serves them.
fn ops_paths() -> [(String, Value); 4] {
    let operation = |summary: &str, content_type: &str, schema: Value| {
        json!({ "get": {
            "tags": ["ops"],
            "summary": summary,
            "responses": { "200": {
                "description": summary,
                "content": { content_type: { "schema": schema } }
            } }
        } })
    };
    let mut readyz = operation(
        "Ready: every dependency answers",
        "application/json",
        json!({ "type": "object", "required": ["status", "checks"] }),
    );
    readyz["get"]["responses"]["503"] =
        json!({ "description": "A dependency (named in `detail`) does not answer" });
    [
        (
            "/healthz".into(),
            operation(
                "Alive",
                "application/json",
                json!({ "type": "object", "required": ["status"] }),
            ),
        ),
        ("/readyz".into(), readyz),
        (
            "/metrics".into(),
            operation(
                "Prometheus metrics",
                "application/openmetrics-text",
                json!({ "type": "string" }),
            ),
        ),
        (
            "/openapi.json".into(),
            operation(
                "This document",
                "application/json",
                json!({ "type": "object" }),
            ),
        ),
    ]
}

fn add_answers(operation: &mut Value) {
    let has_body = operation.get("requestBody").is_some();
    let has_parameters = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty());
    let needs_bearer = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
        });
    let Some(responses) = operation
        .as_object_mut()
        .map(|o| o.entry("responses").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let mut answer = |status: &str, description: &str| {
        responses
            .entry(status)
            .or_insert_with(|| json!({ "description": description }));
    };
    if has_body {
        answer("400", "The body is not JSON (`malformed_json`)");
        answer("413", "The body is larger than the server accepts");
        answer("415", "The body is not `application/json`");
        answer("422", "The body does not have the documented shape");
    }
    if has_parameters {
        answer("400", "A path or query parameter is malformed");
    }
    if needs_bearer {
        answer("401", "No bearer token, or one that is not valid now");
    }
    answer(
        "503",
        "A dependency is unavailable or the request took too long; retry after `Retry-After`",
    );
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            document_problem(response);
        }
    }
}

fn document_problem(response: &mut Value) {
    if let Some(response) = response.as_object_mut() {
        let content = response
            .entry("content")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(content) = content.as_object_mut() {
            content
                .entry(CONTENT_TYPE)
                .or_insert_with(|| json!({ "schema": { "$ref": "#/components/schemas/Problem" } }));
        }
    }
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details; `code` is stable and machine-readable",
        "required": ["type", "title", "status", "code", "detail"],
        "properties": {
            "type": { "type": "string" },
            "title": { "type": "string" },
            "status": { "type": "integer", "minimum": 400, "maximum": 599 },
            "code": { "type": "string" },
            "detail": { "type": "string" },
            "field": { "type": "string", "description": "The request field at fault (422 `invalid_field`)" }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        json!({
            "openapi": "3.1.0",
            "paths": {
                "/v1/things/{id}": {
                    "post": {
                        "parameters": [{ "name": "id", "in": "path" }],
                        "requestBody": { "content": { "application/json": {} } },
                        "security": [{ "bearer": [] }],
                        "responses": {
                            "200": { "description": "done" },
                            "404": { "description": "no such thing" }
                        }
                    },
                    "get": { "responses": { "200": { "description": "a thing" } } }
                }
            }
        })
    }

    #[test]
    fn an_operation_gains_the_answers_of_its_body_parameters_and_bearer() {
        let document = with_stack_answers(document());
        let responses = &document["paths"]["/v1/things/{id}"]["post"]["responses"];
        for status in ["400", "401", "413", "415", "422", "503"] {
            assert!(
                responses[status]["content"][CONTENT_TYPE]["schema"].is_object(),
                "{status}"
            );
        }
        assert_eq!(responses["404"]["description"], "no such thing");
        assert!(responses["404"]["content"][CONTENT_TYPE].is_object());
        assert!(responses["200"].get("content").is_none());
        assert!(document["components"]["schemas"]["Problem"].is_object());
    }

    #[test]
    fn an_operation_without_body_or_bearer_gains_only_what_can_happen_to_it() {
        let document = with_stack_answers(document());
        let responses = document["paths"]["/v1/things/{id}"]["get"]["responses"]
            .as_object()
            .expect("responses")
            .clone();
        let mut statuses: Vec<_> = responses.keys().cloned().collect();
        statuses.sort();
        assert_eq!(statuses, ["200", "503"]);
    }

    #[test]
    fn the_ops_endpoints_are_documented_even_in_an_empty_document() {
        let document = with_stack_answers(json!({ "openapi": "3.1.0" }));
        for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
            assert!(
                document["paths"][path]["get"]["responses"]["200"].is_object(),
                "{path}"
            );
        }
        assert_eq!(
            document["paths"]["/readyz"]["get"]["responses"]["503"]["content"][CONTENT_TYPE]["schema"]
                ["$ref"],
            "#/components/schemas/Problem"
        );
    }
}
