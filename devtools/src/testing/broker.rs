//! Apache Kafka for the tests, started by `devtools/kafka/broker` (the script `./dev` uses).
//!
//! A JVM broker costs seconds and hundreds of MB to start, so the tests of a process share one:
//! the broker named by `TEST_KAFKA_BROKERS` (`./dev test` starts one and sets it), or else one
//! this process starts on first use. Tests isolate themselves by topic prefix and group id.
//! Only drills that stop the broker start one of their own ([`TestBroker::start`]).
//!
//! Every broker started here holds the script's stdin open: when the test process ends, however
//! it ends, the pipe closes and the script stops its JVM, so no broker outlives its tests.

use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

const BROKERS_ENV: &str = "TEST_KAFKA_BROKERS";
/// A cold JVM on a loaded 2-core machine takes 10–20 s; more than a minute means it failed.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// The bootstrap servers of the broker this process's tests share.
pub fn shared_broker() -> &'static str {
    static SHARED: OnceLock<String> = OnceLock::new();
    SHARED.get_or_init(|| match std::env::var(BROKERS_ENV) {
        Ok(brokers) if !brokers.is_empty() => brokers,
        _ => start_process_broker(),
    })
}

/// Starts the process-wide broker; it lives as long as the process (its stdin pipe is leaked),
/// and the script deletes its directory when it stops.
fn start_process_broker() -> String {
    let dir = tempfile::tempdir()
        .expect("temporary directory for the broker")
        .keep();
    let (port, controller_port) = (free_port(), free_port());
    let mut child = std::process::Command::new(script())
        .arg("--ephemeral")
        .arg(&dir)
        .args([port.to_string(), controller_port.to_string()])
        .stdin(Stdio::piped())
        .stdout(log_file(&dir))
        .stderr(log_file(&dir))
        .spawn()
        .expect("devtools/kafka/broker starts (it needs java and mvn; ./dev test installs them)");
    std::mem::forget(child.stdin.take());
    let bootstrap = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + START_TIMEOUT;
    while !readiness_probe(port).status().is_ok_and(|s| s.success()) {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the test broker exited ({status}); see {}",
                dir.join("broker.log").display()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the test broker did not answer in {START_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Reaps the script when it exits, so a broker that dies mid-suite leaves no zombie.
    std::thread::spawn(move || child.wait());
    bootstrap
}

/// A broker of one test's own, for drills that kill and restart it.
#[derive(Debug)]
pub struct TestBroker {
    port: u16,
    controller_port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl TestBroker {
    pub async fn start() -> Self {
        let mut broker = Self {
            port: free_port(),
            controller_port: free_port(),
            dir: tempfile::tempdir().expect("temporary directory for the broker"),
            child: None,
        };
        broker.spawn().await;
        broker
    }

    /// `host:port` for `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Kills the broker's JVM (SIGKILL: no chance to flush or hand anything over).
    pub async fn kill(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid_file = self.dir.path().join("data").join("java.pid");
        if let Ok(pid) = std::fs::read_to_string(&pid_file) {
            Command::new("kill")
                .args(["-KILL", pid.trim()])
                .status()
                .await
                .expect("kill runs");
        }
        child.wait().await.ok();
        std::fs::remove_file(pid_file).ok();
    }

    /// Starts the broker again on the same ports and data.
    pub async fn restart(&mut self) {
        self.kill().await;
        self.spawn().await;
    }

    async fn spawn(&mut self) {
        let child = Command::new(script())
            .arg("--until-stdin-closes")
            .arg(self.dir.path().join("data"))
            .args([self.port.to_string(), self.controller_port.to_string()])
            .stdin(Stdio::piped())
            .stdout(log_file(self.dir.path()))
            .stderr(log_file(self.dir.path()))
            .kill_on_drop(true)
            .spawn()
            .expect(
                "devtools/kafka/broker starts (it needs java and mvn; ./dev test installs them)",
            );
        self.child = Some(child);
        let port = self.port;
        super::eventually(
            START_TIMEOUT,
            "the broker to answer a metadata request",
            || async move {
                Command::from(readiness_probe(port))
                    .status()
                    .await
                    .is_ok_and(|s| s.success())
                    .then_some(())
            },
        )
        .await;
    }
}

fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("kafka")
        .join("broker")
}

/// Succeeds when the broker on `port` answers a metadata request (not merely accepts
/// connections).
fn readiness_probe(port: u16) -> std::process::Command {
    let mut probe = std::process::Command::new(script());
    probe.args(["--ready", &port.to_string()]);
    probe
}

fn log_file(dir: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("broker.log"))
        .expect("the broker's log file")
}

/// A loopback port nothing listens on right now (for a process the test spawns).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
