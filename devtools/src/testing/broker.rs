//! A real Kafka-protocol broker for one test: a `tansu` process on a free loopback port, with
//! its data in a SQLite file in a temporary directory so it survives a restart.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

#[derive(Debug)]
pub struct TestBroker {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl TestBroker {
    /// Starts a broker; panics with a hint if `tansu` is not installed.
    pub async fn start() -> Self {
        let port = free_port();
        let dir = tempfile::tempdir().expect("temporary directory for the broker");
        std::fs::create_dir_all(dir.path().join("state")).expect("broker state directory");
        let mut broker = Self {
            port,
            dir,
            child: None,
        };
        broker.spawn().await;
        broker
    }

    /// `host:port` for `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Kills the broker (SIGKILL: no chance to flush anything it had not stored).
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.ok();
        }
    }

    /// Starts the broker again on the same port and data.
    pub async fn restart(&mut self) {
        self.kill().await;
        self.spawn().await;
    }

    async fn spawn(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let child = Command::new(tansu_binary())
            .arg("broker")
            .args(["--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--storage-engine", "sqlite://state/broker.db"])
            .current_dir(self.dir.path())
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")

            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("tansu starts (install it with ./dev test or `cargo install tansu --locked --features libsql,dynostore`)");
        self.child = Some(child);
        let addr = self.bootstrap();
        super::eventually(Duration::from_secs(10), "the broker to listen", || {
            let addr = addr.clone();
            async move { tokio::net::TcpStream::connect(addr).await.ok().map(drop) }
        })
        .await;
    }
}

fn tansu_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TANSU_BIN") {
        return path.into();
    }
    let home_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|d| d.join("bin").join("tansu"));
    match home_bin {
        Some(path) if path.exists() => path,
        _ => PathBuf::from("tansu"),
    }
}

/// A loopback port nothing listens on right now (for a process the test spawns).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
