//! The platform's processes: the release binaries, started with the stack's configuration in
//! their environment, each on a free port and ready once it answers `/readyz`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use devtools::procfs;
use devtools::testing::{TestStack, free_port};
use tokio::process::{Child, Command};

/// One server process and where it listens.
pub struct Server {
    pub name: &'static str,
    pub addr: SocketAddr,
    child: Child,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or_default()
    }

    pub fn rss_mb(&self) -> f64 {
        procfs::rss_mb(self.pid()).unwrap_or(f64::NAN)
    }
}

/// The release binaries sit next to the bench's own directory (`target/release/deps/..`).
pub(super) fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let release = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow::anyhow!("no directory above {}", exe.display()))?;
    let path = release.join(name);
    anyhow::ensure!(
        path.exists(),
        "{} is missing: `./dev bench` builds it (cargo build --release -p {name})",
        path.display()
    );
    Ok(path)
}

/// How this platform's processes start: what each reads from its environment and where its
/// output goes.
pub(super) struct Launch {
    pub(super) master_key: String,
    pub(super) log: std::fs::File,
}

impl Launch {
    /// `program` configured for `stack`.
    pub(super) fn command(&self, program: &Path, stack: &TestStack) -> anyhow::Result<Command> {
        let kafka = &stack.kafka;
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("RUST_LOG", "info,sqlx=warn")
            .env("DATABASE_URL", &stack.db.url)
            .env("KAFKA_BROKERS", &kafka.brokers)
            .env("TOPIC_PREFIX", &kafka.topic_prefix)
            .env("TOPIC_PARTITIONS", kafka.partitions.to_string())
            .env("SCHEMA_REGISTRY_URL", &kafka.schema_registry_url)
            .env("REDIS_URL", &stack.redis.url)
            .env("REDIS_KEY_PREFIX", &stack.redis.key_prefix)
            .env("MASTER_KEY", &self.master_key)
            .env("TOKEN_ISSUER", "bench")
            .env("TOKEN_AUDIENCE", "bench")
            .stdin(Stdio::null())
            .stdout(self.log.try_clone()?)
            .stderr(self.log.try_clone()?)
            .kill_on_drop(true);
        Ok(command)
    }
}

/// Starts `command` listening on a free port and waits until it answers `/readyz`.
pub(super) async fn start(name: &'static str, mut command: Command) -> anyhow::Result<Server> {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let mut child = command.env("LISTEN_ADDR", addr.to_string()).spawn()?;
    let url = format!("http://{addr}/readyz");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("{name} exited while starting ({status}): its log says why");
        }
        if reqwest::get(&url)
            .await
            .is_ok_and(|a| a.status().is_success())
        {
            return Ok(Server { name, addr, child });
        }
        anyhow::ensure!(Instant::now() < deadline, "{name} not ready after 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
