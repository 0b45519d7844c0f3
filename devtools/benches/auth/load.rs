//! A lean HTTP/1.1 load generator: keep-alive connections, each a loop of requests, with the
//! latency of every answer recorded. Lighter than a pooled client, so more of the machine's two
//! cores go to the servers under test.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;

/// Makes a connection's next request from the previous answer's body (None at first); `None`
/// ends the connection.
pub type NextRequest = Box<dyn FnMut(Option<&[u8]>) -> Option<Request<Full<Bytes>>> + Send>;

#[derive(Debug, Default)]
pub struct Stats {
    pub ok: usize,
    pub failed: usize,
    pub latencies_us: Vec<u64>,
    pub elapsed: Duration,
}

impl Stats {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile_ms(&mut self, p: f64) -> f64 {
        devtools::report::nearest_rank(&mut self.latencies_us, p).unwrap_or_default() as f64
            / 1000.0
    }
}

/// Runs one connection per `requests` entry against `addr` for `duration`.
pub async fn drive(addr: SocketAddr, duration: Duration, requests: Vec<NextRequest>) -> Stats {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = requests
        .into_iter()
        .map(|next| tokio::spawn(connection(addr, deadline, next)))
        .collect();
    let mut total = Stats::default();
    for worker in workers {
        let stats = worker.await.expect("load worker");
        total.ok += stats.ok;
        total.failed += stats.failed;
        total.latencies_us.extend(stats.latencies_us);
    }
    total.elapsed = started.elapsed();
    total
}

async fn connection(addr: SocketAddr, deadline: Instant, mut next: NextRequest) -> Stats {
    let mut stats = Stats::default();
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut previous: Option<Bytes> = None;
    while Instant::now() < deadline {
        let Some(request) = next(previous.as_deref()) else {
            break;
        };
        let sent = Instant::now();
        let response = sender.send_request(request).await.expect("response");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        stats.latencies_us.push(sent.elapsed().as_micros() as u64);
        if status == StatusCode::OK || status == StatusCode::NO_CONTENT {
            stats.ok += 1;
            previous = Some(body);
        } else {
            stats.failed += 1;
            previous = None;
        }
    }
    stats
}

pub fn post_json(addr: SocketAddr, path: &str, body: String) -> Request<Full<Bytes>> {
    post_json_as(addr, path, body, None)
}

/// [`post_json`] with `bearer` as its `Authorization`, if any.
pub fn post_json_as(
    addr: SocketAddr,
    path: &str,
    body: String,
    bearer: Option<&str>,
) -> Request<Full<Bytes>> {
    let mut request = Request::post(path)
        .header("host", addr.to_string())
        .header("content-type", "application/json");
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Full::new(Bytes::from(body))).expect("request")
}
