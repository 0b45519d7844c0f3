//! Who is calling: the TCP peer, unless that peer is one of our own proxies (load balancers,
//! ingress) named by `--trusted-proxies`; then the `X-Forwarded-For` list is read from the
//! right, and the first address not ours is the client. Entries left of it are whatever the
//! client wrote, so they are never believed. Rate limits, lockouts and audit metadata key on
//! this address: without it, every client behind a load balancer shares one bucket.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The caller's address as the platform judges it, inserted into every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// `--trusted-proxies` entries: an address (`10.0.0.7`) or a network (`10.0.0.0/8`).
pub fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is neither an IP address nor a network (CIDR)"))
}

/// The client of a request from `peer` with `headers`, given the proxies we run.
pub fn client_addr(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpNet]) -> ClientAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.ip().to_canonical();
    if !is_trusted(&client) {
        return ClientAddr(client);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in forwarded.into_iter().rev() {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    ClientAddr(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().expect("header"));
        }
        headers
    }

    fn client(peer: &str, forwarded: &[&str], trusted: &[&str]) -> String {
        let trusted: Vec<IpNet> = trusted
            .iter()
            .map(|t| parse_proxy(t).expect("net"))
            .collect();
        let peer = SocketAddr::new(peer.parse().expect("peer"), 40_000);
        client_addr(peer, &headers(forwarded), &trusted)
            .0
            .to_string()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(
            client("198.51.100.9", &["203.0.113.7"], &[]),
            "198.51.100.9"
        );
        assert_eq!(
            client("198.51.100.9", &["203.0.113.7"], &["10.0.0.0/8"]),
            "198.51.100.9"
        );
    }

    #[test]
    fn behind_our_proxies_the_rightmost_address_not_ours_is_the_client() {
        let trusted = ["10.0.0.0/8", "127.0.0.1"];
        assert_eq!(
            client("10.1.2.3", &["203.0.113.7"], &trusted),
            "203.0.113.7"
        );
        assert_eq!(
            client("127.0.0.1", &["203.0.113.7, 10.9.9.9"], &trusted),
            "203.0.113.7"
        );
        // A client that writes its own X-Forwarded-For cannot choose its address.
        assert_eq!(
            client("10.1.2.3", &["1.2.3.4, 203.0.113.7"], &trusted),
            "203.0.113.7"
        );
        assert_eq!(
            client("10.1.2.3", &["1.2.3.4", "203.0.113.7"], &trusted),
            "203.0.113.7"
        );
    }

    #[test]
    fn garbage_or_only_proxies_stop_at_the_last_address_believed() {
        let trusted = ["10.0.0.0/8"];
        assert_eq!(client("10.1.2.3", &[], &trusted), "10.1.2.3");
        assert_eq!(
            client("10.1.2.3", &["nonsense, 10.4.4.4"], &trusted),
            "10.4.4.4"
        );
        assert_eq!(
            client("10.1.2.3", &["203.0.113.7, unknown"], &trusted),
            "10.1.2.3"
        );
        assert_eq!(
            client("::ffff:10.1.2.3", &["2001:db8::1"], &trusted),
            "2001:db8::1"
        );
    }

    #[test]
    fn proxies_are_addresses_or_networks() {
        assert!(parse_proxy("10.0.0.7").is_ok());
        assert!(parse_proxy(" 2001:db8::/32 ").is_ok());
        assert!(parse_proxy("10.0.0.0/33").is_err());
        assert!(parse_proxy("lb.internal").is_err());
    }
}
