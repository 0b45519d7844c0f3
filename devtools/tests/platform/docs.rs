//! Every server's `/docs` page in headless Chromium: Swagger UI, served from the binary, lists
//! the operations of that server's OpenAPI. A screenshot of each page is written next to the
//! services' log (`.dev/logs/services/docs-<server>.png` under `./dev test`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::Platform;

/// Runs headless Chromium on `url` with `args`; its stdout.
async fn chromium(url: &str, args: &[&str]) -> String {
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let run = tokio::process::Command::new(&binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--window-size=1280,1400",
            "--virtual-time-budget=20000",
        ])
        .args(args)
        .arg(url)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("chromium finishes")
        .unwrap_or_else(|e| panic!("{binary} runs (./dev test installs it): {e}"));
    assert!(
        output.status.success(),
        "{binary}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn screenshot_of(server: &str) -> PathBuf {
    let dir = devtools::testing::service_log()
        .parent()
        .map_or_else(std::env::temp_dir, Path::to_path_buf);
    dir.join(format!("docs-{server}.png"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_renders_its_operations_at_docs() {
    let platform = Platform::start().await;
    for (server, base, operation) in [
        ("command-api", &platform.command, "/v1/auth/login"),
        ("query-api", &platform.query, "/v1/tokens/introspect"),
        ("projectors", &platform.projectors, "/readyz"),
    ] {
        let url = format!("{base}/docs");
        let dom = chromium(&url, &["--dump-dom"]).await;
        assert!(
            dom.contains("opblock"),
            "{server}: Swagger UI rendered no operation"
        );
        assert!(
            dom.contains(&format!("data-path=\"{operation}\"")),
            "{server}: {operation} is not listed"
        );
        let screenshot = screenshot_of(server);
        let target = format!("--screenshot={}", screenshot.display());
        chromium(&url, &[&target]).await;
        let size = std::fs::metadata(&screenshot).map_or(0, |m| m.len());
        assert!(
            size > 10_000,
            "{server}: a screenshot of the page, not {size} bytes"
        );
        // Beside the services' log, and named in it.
        tracing::info!(server, screenshot = %screenshot.display(), "the /docs page, rendered");
    }
}
