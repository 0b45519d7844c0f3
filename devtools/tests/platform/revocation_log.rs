//! The example downstream consumer (examples/revocation-log) against the running platform: a
//! logout with a trace context reaches it through Kafka and the registry as a revocation with
//! its reason, actor and the command's trace id.

use std::ops::ControlFlow;

use events::topics::Category;
use revocation_log::{Revocation, Source, watch};

use crate::support::{ADMIN_PASSWORD, Platform, TIMEOUT, access};

const TRACE_ID: &str = "5b8efff798038103d269b633813fc60c";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_consumer_prints_a_revocation_with_reason_actor_and_trace_id() {
    let platform = Platform::start().await;
    let user = platform
        .register_user("audited@example.test", ADMIN_PASSWORD)
        .await;
    let session = platform
        .session_of("audited@example.test", ADMIN_PASSWORD)
        .await;
    let logout = platform
        .http
        .post(format!("{}/v1/auth/logout", platform.command))
        .bearer_auth(access(&session))
        .header("traceparent", format!("00-{TRACE_ID}-b7ad6b7169203331-01"))
        .send()
        .await
        .expect("command-api answers");
    assert_eq!(logout.status(), 204);

    let kafka = &platform.stack.kafka;
    let source = Source {
        brokers: kafka.brokers.clone(),
        registry: kafka.schema_registry_url.clone(),
        topic: kafka.topics().events(Category::Sessions),
        group: format!("{}revocation-log", kafka.topic_prefix),
    };
    let session_id = session["session_id"].as_str().expect("sid").to_owned();
    let mut seen: Option<Revocation> = None;
    let watched = watch(&source, |revocation| {
        let ours = revocation.session_id == session_id;
        seen = Some(revocation);
        if ours {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    tokio::time::timeout(TIMEOUT, watched)
        .await
        .expect("the revocation arrives")
        .expect("the consumer reads");
    let revocation = seen.expect("a revocation");
    assert_eq!(revocation.stream, format!("sessions-{user}"));
    assert_eq!(revocation.reason, "USER_LOGOUT");
    assert_eq!(revocation.actor, format!("user {user}"));
    assert_eq!(revocation.trace_id.as_deref(), Some(TRACE_ID));
    assert!(
        revocation.to_string().contains("USER_LOGOUT by user"),
        "{revocation}"
    );
}
