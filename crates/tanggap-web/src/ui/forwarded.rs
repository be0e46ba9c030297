//! The client address behind trusted reverse proxies, for the portal's
//! per-address rate limits.
//!
//! `X-Forwarded-For` is honoured only when the TCP peer is a configured
//! trusted proxy, because anyone can send the header. The list is then read
//! from the right: each proxy appends the address it received the request
//! from, so the first address that is not a trusted proxy is the client.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// Returns the client address of a request that arrived from `peer`.
pub(crate) fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(&peer) {
        return peer;
    }
    // Several header lines form one list, in order.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop that is not an address was not written by a trusted proxy,
        // so the last address found is the best one known.
        let Ok(address) = hop.parse::<IpAddr>() else {
            break;
        };
        client = address.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_static(value));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().expect("network")).collect()
    }

    #[test]
    fn untrusted_peer_ignores_header() {
        let address = client_address(
            ip("198.51.100.7"),
            &headers(&["203.0.113.5"]),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(address, ip("198.51.100.7"));
    }

    #[test]
    fn trusted_peer_uses_rightmost_untrusted() {
        let trusted = nets(&["10.0.0.0/8", "192.168.1.0/24"]);
        let address = client_address(
            ip("10.0.0.2"),
            &headers(&["1.2.3.4, 203.0.113.5", "192.168.1.9"]),
            &trusted,
        );
        assert_eq!(
            address,
            ip("203.0.113.5"),
            "a spoofed left entry must be ignored"
        );
    }

    #[test]
    fn trusted_peer_without_header() {
        let address = client_address(ip("10.0.0.2"), &HeaderMap::new(), &nets(&["10.0.0.0/8"]));
        assert_eq!(address, ip("10.0.0.2"));
    }

    #[test]
    fn garbage_hop_stops_the_walk() {
        let trusted = nets(&["10.0.0.0/8"]);
        let address = client_address(ip("10.0.0.2"), &headers(&["unknown, 10.1.1.1"]), &trusted);
        assert_eq!(address, ip("10.1.1.1"));
    }

    #[test]
    fn mapped_ipv4_peer_matches() {
        let address = client_address(
            ip("::ffff:10.0.0.2"),
            &headers(&["2001:db8::1"]),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(address, ip("2001:db8::1"));
    }
}
