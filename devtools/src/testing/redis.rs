//! A Redis server of one test's own (a real `redis-server` process on a free loopback port), for
//! drills that stop and restart it. Its append-only file is synced on every write, so a
//! restart comes back with everything it had acknowledged, as a production Redis would.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::free_port;

#[derive(Debug)]
pub struct TestRedis {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl TestRedis {
    pub async fn start() -> Self {
        let mut redis = Self {
            port: free_port(),
            dir: tempfile::tempdir().expect("temporary directory for Redis"),
            child: None,
        };
        redis.spawn().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops the server (SIGKILL): clients see refused connections until [`Self::restart`].
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.ok();
        }
    }

    /// Starts the server again on the same port and data.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.spawn().await;
    }

    async fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let addr = format!("127.0.0.1:{}", self.port);
        super::eventually(Duration::from_secs(10), "Redis to listen", || {
            let addr = addr.clone();
            async move { tokio::net::TcpStream::connect(addr).await.ok().map(drop) }
        })
        .await;
    }
}
