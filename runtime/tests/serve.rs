//! The accept loop on a real socket: a request head that trickles in is cut off at the
//! header-read timeout; a normal request is served, with the peer's address and, behind a
//! trusted proxy, the client's.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Extension;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use runtime::http::{ClientAddr, ServeOptions, parse_proxy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(1);

async fn server() -> (SocketAddr, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = Router::new()
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        )
        .route(
            "/client",
            get(|Extension(ClientAddr(ip)): Extension<ClientAddr>| async move { ip.to_string() }),
        );
    let shutdown = CancellationToken::new();
    let options = ServeOptions {
        header_read_timeout: HEADER_READ_TIMEOUT,
        trusted_proxies: vec![parse_proxy("127.0.0.1").expect("proxy")],
    };
    tokio::spawn(runtime::http::serve(
        listener,
        app,
        shutdown.clone(),
        options,
    ));
    (addr, shutdown)
}

#[tokio::test]
async fn a_request_head_that_trickles_in_is_cut_off() {
    let (addr, _shutdown) = server().await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\n")
        .await
        .expect("request line");
    // A header line every 200 ms for 20 s: without a deadline the server would wait it out.
    let mut cut_off = false;
    for i in 0..100 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if stream
            .write_all(format!("x-slow-{i}: y\r\n").as_bytes())
            .await
            .is_err()
        {
            cut_off = true;
            break;
        }
        let mut buf = [0u8; 256];
        // Anything from the server now (a 408, or the end of the stream) means it gave up.
        if tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buf))
            .await
            .is_ok()
        {
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "the server held a trickling request head for 20 s");
}

#[tokio::test]
async fn a_prompt_request_is_served_with_its_peer_address() {
    let (addr, shutdown) = server().await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let local = stream.local_addr().expect("local address");
    stream
        .write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .expect("request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(&local.to_string()), "{answer}");
    shutdown.cancel();
}

async fn get_client(addr: SocketAddr, forwarded: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET /client HTTP/1.1\r\nhost: x\r\nx-forwarded-for: {forwarded}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("answer");
    answer.rsplit("\r\n").next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_the_caller() {
    let (addr, shutdown) = server().await;
    assert_eq!(get_client(addr, "203.0.113.7").await, "203.0.113.7");
    assert_eq!(
        get_client(addr, "1.2.3.4, 203.0.113.7").await,
        "203.0.113.7"
    );
    assert_eq!(get_client(addr, "not an address").await, "127.0.0.1");
    shutdown.cancel();
}
