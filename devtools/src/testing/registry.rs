//! The dev schema registry, in-process on a free port with its own fresh database.

use tokio_util::sync::CancellationToken;

use super::TestDatabase;

#[derive(Debug)]
pub struct TestRegistry {
    pub url: String,
    shutdown: CancellationToken,
    _database: TestDatabase,
}

impl TestRegistry {
    pub async fn start() -> Self {
        let database = TestDatabase::create_empty().await;
        let pool = crate::registry::prepare(&database.url)
            .await
            .expect("registry database prepared");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the registry");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let shutdown = CancellationToken::new();
        tokio::spawn(crate::registry::serve(listener, pool, shutdown.clone()));
        Self {
            url,
            shutdown,
            _database: database,
        }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
