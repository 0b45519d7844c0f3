//! A Redis server of one test's own (a real `redis-server` process on a free loopback port), for
//! drills that stop and restart it. Its append-only file is synced on every write, so a
//! restart comes back with everything it had acknowledged, as a production Redis would; a
//! restore brings it back with an older snapshot instead.

use std::path::{Path, PathBuf};
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
        redis.spawn(true).await;
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
        self.spawn(true).await;
    }

    /// An RDB snapshot of what the server holds now (`SAVE`), kept aside under `name`.
    pub async fn snapshot(&self, name: &str) -> PathBuf {
        let saved = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "SAVE"])
            .output()
            .await
            .expect("redis-cli runs");
        assert_eq!(
            String::from_utf8_lossy(&saved.stdout).trim(),
            "OK",
            "SAVE: {}",
            String::from_utf8_lossy(&saved.stderr)
        );
        let kept = self.dir.path().join(format!("{name}.rdb"));
        std::fs::copy(self.dir.path().join("dump.rdb"), &kept).expect("snapshot kept");
        kept
    }

    /// Stops the server and starts it again from `snapshot` alone (its append-only file
    /// deleted): a Redis restored from an old backup, or a replica promoted with what it had.
    pub async fn restore(&mut self, snapshot: &Path) {
        self.stop().await;
        std::fs::remove_dir_all(self.dir.path().join("appendonlydir")).ok();
        std::fs::copy(snapshot, self.dir.path().join("dump.rdb")).expect("snapshot restored");
        self.spawn(false).await;
    }

    async fn spawn(&mut self, append_only: bool) {
        let append_only = if append_only { "yes" } else { "no" };
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                append_only,
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

/// Every key under `prefix` with what it holds, whatever its type (a hash's fields and values,
/// a set's or sorted set's members, a string): what a test that looks for leaked data reads.
pub async fn contents(
    conn: &mut redis::aio::ConnectionManager,
    prefix: &str,
) -> Vec<(String, redis::Value)> {
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(conn)
        .await
        .expect("keys");
    let mut contents = Vec::with_capacity(keys.len());
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(conn)
            .await
            .expect("type");
        let mut read = redis::cmd(match kind.as_str() {
            "hash" => "HGETALL",
            "set" => "SMEMBERS",
            "zset" => "ZRANGE",
            _ => "GET",
        });
        read.arg(&key);
        if kind == "zset" {
            read.arg(0).arg(-1);
        }
        let value = read.query_async(conn).await.expect("value");
        contents.push((key, value));
    }
    contents
}
