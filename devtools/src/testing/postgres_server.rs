//! A Postgres server of one test's own: a cluster made by `initdb` in a temporary directory and
//! a real `postgres` process on a free loopback port, for drills that restart it under load.
//! Postgres refuses to run as root, so as root it runs as the `postgres` user the Debian
//! package creates.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::free_port;

const START_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct TestPostgres {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl TestPostgres {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory for Postgres");
        let server = Self {
            port: free_port(),
            dir,
            child: None,
        };
        if is_root() {
            let chowned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(server.dir.path())
                .status()
                .await
                .expect("chown runs");
            assert!(
                chowned.success(),
                "the cluster's directory given to postgres"
            );
        }
        let initdb = as_postgres(&binary("initdb"))
            .args(["--username=postgres", "--auth=trust", "--no-sync", "-D"])
            .arg(server.data())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .await
            .expect("initdb runs (./dev test installs Postgres)");
        assert!(
            initdb.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&initdb.stderr)
        );
        let mut server = server;
        server.spawn().await;
        server
    }

    /// The URL of its `postgres` database, as `TEST_DATABASE_ADMIN_URL` names the shared one.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (a fast shutdown: open connections are ended) and starts it again on
    /// the same port and data; clients see refused connections in between.
    pub async fn restart(&mut self, down_for: Duration) {
        self.stop().await;
        tokio::time::sleep(down_for).await;
        self.spawn().await;
    }

    async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid_file = self.data().join("postmaster.pid");
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.lines().next().map(str::to_owned))
        {
            Command::new("kill")
                .args(["-INT", pid.trim()])
                .status()
                .await
                .expect("kill runs");
        }
        child.wait().await.ok();
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    async fn spawn(&mut self) {
        let child = as_postgres(&binary("postgres"))
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="])
            .args(["-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file(self.dir.path()))
            .kill_on_drop(true)
            .spawn()
            .expect("postgres starts");
        self.child = Some(child);
        let url = self.admin_url();
        super::eventually(START_TIMEOUT, "Postgres to accept connections", || {
            let url = url.clone();
            async move {
                use sqlx::Connection;
                sqlx::PgConnection::connect(&url).await.ok().map(drop)
            }
        })
        .await;
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // The server runs as another user (kill_on_drop would only end `runuser`).
        if let Ok(text) = std::fs::read_to_string(self.data().join("postmaster.pid"))
            && let Some(pid) = text.lines().next()
        {
            std::process::Command::new("kill")
                .args(["-QUIT", pid.trim()])
                .status()
                .ok();
        }
    }
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// `program`, run as the `postgres` user when this process is root.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// A server binary of the newest Postgres Debian installed (they are not on the PATH).
fn binary(name: &str) -> PathBuf {
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .max();
    match newest {
        Some(version) => Path::new("/usr/lib/postgresql")
            .join(version.to_string())
            .join("bin")
            .join(name),
        None => PathBuf::from(name),
    }
}

fn log_file(dir: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("postgres.log"))
        .expect("the server's log file")
}
