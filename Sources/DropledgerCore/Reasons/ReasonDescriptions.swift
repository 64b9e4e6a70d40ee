/// One-line descriptions of the kernel's drop reasons (`enum skb_drop_reason`), for people
/// reading dropledger's output: `SOCKET_RCVBUFF` reads as "socket receive buffer is full".
///
/// The names are those of the core enum in Linux 6.1 (`include/net/dropreason.h`), 6.12 and
/// 6.18 (`include/net/dropreason-core.h`), all of them: reasons are added and renamed between
/// versions, and the numbers move, so the table is keyed by name, never by number. The list was
/// checked against the BTF of real kernels of each version (Debian's 6.1.176 and 6.12.117, and a
/// 6.18.44 host), which carry a few reasons added after their .0 release (`SKB_BAD_GSO` in that
/// 6.12, `RECURSION_LIMIT` and `SKB_RX_HEADROOM` in that 6.18). Two names of the kernels in
/// between are kept as well: `TC_ERROR` (later split into `TC_COOKIE_ERROR` and others) and
/// `VXLAN_NO_REMOTE` (the earlier name of `NO_TX_TARGET`).
///
/// The texts are our own, written from the headers' kernel-doc comments (not copied): what
/// happened to the packet, in terms of the knobs and tools an operator knows. A reason
/// without a description (one a newer kernel adds, or a subsystem's own, such as
/// openvswitch's `OVS_DROP_*` or mac80211's `RX_DROP_*`) still shows under its name.
public enum ReasonDescriptions {
    /// The description of the reason named `name` (as in dropledger_drops_total's reason label,
    /// e.g. "SOCKET_RCVBUFF", without the SKB_DROP_REASON_ prefix), or nil.
    public static func description(of name: String) -> String? {
        texts[name]
    }

    /// Every described reason name → its description.
    static let texts: [String: String] = [
        // Not drops: the enum's first two values (ReasonTable names them without `SKB_`).
        "NOT_DROPPED_YET": "not dropped (placeholder value, never a real drop)",
        "CONSUMED": "freed normally, not a drop (consumed)",
        "NOT_SPECIFIED": "dropped without a specific reason given by the kernel",

        // Sockets.
        "NO_SOCKET": "no socket listens on the destination port",
        "SOCKET_CLOSE": "the socket was closed with this data still queued",
        "SOCKET_FILTER": "a socket filter (SO_ATTACH_FILTER, BPF) rejected it",
        "SOCKET_RCVBUFF": "socket receive buffer is full",
        "UNIX_DISCONNECT": "unix socket reconnected or its peer closed; queued data discarded",
        "UNIX_SKIP_OOB": "unix socket out-of-band byte skipped by a read without MSG_OOB",
        "PKT_TOO_SMALL": "packet shorter than its headers require (truncated)",
        "TCP_CSUM": "bad TCP checksum",
        "UDP_CSUM": "bad UDP checksum",
        "NETFILTER_DROP": "a netfilter rule (iptables/nftables) dropped it",
        "OTHERHOST": "addressed to another host's MAC (seen in promiscuous mode)",
        "IP_CSUM": "bad IPv4 header checksum",
        "IP_INHDR": "malformed IP header, or TTL expired while forwarding",
        "IP_RPFILTER": "reverse-path filter (rp_filter) rejected the source address",
        "UNICAST_IN_L2_MULTICAST": "unicast IP packet in a multicast or broadcast Ethernet frame",
        "XFRM_POLICY": "an IPsec (xfrm) policy check rejected it",
        "IP_NOPROTO": "no handler for this IP protocol number",
        "PROTO_MEM": "protocol memory limit reached (e.g. net.ipv4.udp_mem)",

        // TCP.
        "TCP_AUTH_HDR": "malformed or duplicate TCP-MD5/TCP-AO option",
        "TCP_MD5NOTFOUND": "missing TCP-MD5 signature on a connection that needs one",
        "TCP_MD5UNEXPECTED": "unexpected TCP-MD5 signature on a connection without a key",
        "TCP_MD5FAILURE": "wrong TCP-MD5 signature",
        "TCP_AONOTFOUND": "missing TCP-AO signature on a connection that needs one",
        "TCP_AOUNEXPECTED": "unexpected TCP-AO signature on a connection without keys",
        "TCP_AOKEYNOTFOUND": "unknown TCP-AO key id in the segment",
        "TCP_AOFAILURE": "wrong TCP-AO signature",
        "SOCKET_BACKLOG": "socket backlog full while the application held the socket",
        "TCP_FLAGS": "invalid combination of TCP flags",
        "TCP_ABORT_ON_DATA": "data for a closing TCP socket; the connection is reset",
        "TCP_ZEROWINDOW": "data arrived while the TCP receive window was zero",
        "TCP_OLD_DATA": "duplicate TCP data already received (spurious retransmit)",
        "TCP_OVERWINDOW": "data beyond the right edge of the TCP receive window",
        "TCP_OFOMERGE": "out-of-order TCP data already queued",
        "TCP_RFC7323_PAWS": "old TCP timestamp, rejected by PAWS (RFC 7323)",
        "TCP_RFC7323_PAWS_ACK": "old TCP timestamp on an ACK, rejected by PAWS",
        "TCP_RFC7323_TW_PAWS": "old TCP timestamp for a TIME_WAIT connection, rejected by PAWS",
        "TCP_RFC7323_TSECR": "invalid TCP timestamp echo reply (TSecr)",
        "TCP_LISTEN_OVERFLOW": "listening socket's accept queue is full",
        "TCP_OLD_SEQUENCE": "duplicate TCP segment: all of it is before the window",
        "TCP_INVALID_SEQUENCE": "unacceptable TCP sequence number (outside the window)",
        "TCP_INVALID_END_SEQUENCE": "end of the TCP segment lies beyond the receive window",
        "TCP_INVALID_ACK_SEQUENCE": "acknowledgement number outside the data in flight",
        "TCP_RESET": "unacceptable TCP RST (e.g. sequence outside the window)",
        "TCP_INVALID_SYN": "unexpected SYN on an established TCP connection",
        "TCP_CLOSE": "segment for a TCP socket in CLOSE state",
        "TCP_FASTOPEN": "rejected by a TCP Fast Open request socket",
        "TCP_OLD_ACK": "stale TCP ACK (old but still in window)",
        "TCP_TOO_OLD_ACK": "very old TCP ACK, before the send window",
        "TCP_ACK_UNSENT_DATA": "acknowledges TCP data not yet sent",
        "TCP_OFO_QUEUE_PRUNE": "out-of-order TCP data pruned under memory pressure",
        "TCP_OFO_DROP": "out-of-order TCP data already in the receive queue",

        // Routing, neighbours, output.
        "IP_OUTNOROUTES": "no route to the destination for an outgoing packet",
        "BPF_CGROUP_EGRESS": "a cgroup BPF egress program dropped it",
        "IPV6DISABLED": "arrived on a device where IPv6 is disabled",
        "NEIGH_CREATEFAIL": "could not create a neighbour (ARP/NDP) entry",
        "NEIGH_FAILED": "neighbour (ARP/NDP) resolution failed: next hop unreachable",
        "NEIGH_QUEUEFULL": "queue awaiting ARP/NDP resolution is full",
        "NEIGH_DEAD": "neighbour (ARP/NDP) entry was removed while in use",
        "NEIGH_HH_FILLFAIL": "could not build the link-layer header for the next hop",
        "TC_EGRESS": "a tc egress filter or action dropped it",
        "SECURITY_HOOK": "a security module (LSM, e.g. SELinux) rejected it",

        // Queueing disciplines and backlogs.
        "QDISC_DROP": "a queueing discipline (qdisc) dropped it",
        "QDISC_OVERLIMIT": "qdisc is over its total buffer limit",
        "QDISC_CONGESTED": "qdisc active queue management dropped it (congestion)",
        "CAKE_FLOOD": "dropped by the CAKE qdisc's flood protection (BLUE)",
        "FQ_BAND_LIMIT": "fq qdisc: the priority band's packet limit is reached",
        "FQ_HORIZON_LIMIT": "fq qdisc: timestamp too far in the future (horizon)",
        "FQ_FLOW_LIMIT": "fq qdisc: the flow is over its per-flow limit",
        "DUALPI2_STEP_DROP": "dualpi2 qdisc dropped it at its step threshold",
        "CPU_BACKLOG": "per-CPU receive backlog full (netdev_max_backlog, RPS flow limit)",
        "XDP": "an XDP program dropped it",
        "TC_INGRESS": "a tc ingress filter or action dropped it",
        "UNHANDLED_PROTO": "protocol not supported or not handled (e.g. unknown EtherType)",

        // Packet buffers and devices.
        "SKB_CSUM": "checksum computation on the packet failed",
        "SKB_GSO_SEG": "splitting a GSO packet into segments failed",
        "SKB_BAD_GSO": "malformed GSO packet (bogus segmentation metadata)",
        "SKB_UCOPY_FAULT": "copying data from user space failed",
        "DEV_HDR": "invalid driver-specific header or metadata",
        "DEV_READY": "device not ready (down or not initialised)",
        "FULL_RING": "device ring buffer is full",
        "NOMEM": "out of memory while handling it",
        "HDR_TRUNC": "could not read a protocol header (packet truncated)",
        "TAP_FILTER": "a BPF filter on the tun/tap device dropped it",
        "TAP_TXFILTER": "the tun/tap device's address filter dropped it",
        "ICMP_CSUM": "bad ICMP checksum",
        "INVALID_PROTO": "breaks protocol rules (e.g. broadcast ICMP timestamp request)",

        // IP input: addresses, sizes, fragments, extension headers.
        "IP_INADDRERRORS": "invalid destination address (host unreachable)",
        "IP_INNOROUTES": "no route for an incoming packet (network unreachable)",
        "IP_LOCAL_SOURCE": "source address is one of this host's own addresses",
        "IP_INVALID_SOURCE": "invalid source address (multicast, broadcast or zero)",
        "IP_LOCALNET": "loopback (127.0.0.0/8) address seen off the loopback device",
        "IP_INVALID_DEST": "invalid destination address (0.0.0.0)",
        "PKT_TOO_BIG": "packet larger than the MTU and cannot be fragmented",
        "DUP_FRAG": "duplicate IP fragment",
        "FRAG_REASM_TIMEOUT": "fragments never completed: reassembly timed out",
        "FRAG_TOO_FAR": "fragment arrived too far out of order (ipfrag_max_dist)",
        "TCP_MINTTL": "hop limit/TTL below the socket's minimum (IP_MINTTL)",
        "IPV6_BAD_EXTHDR": "malformed IPv6 extension header",
        "IPV6_TOO_MANY_EXTHDRS": "too many IPv6 extension headers",
        "IPV6_NDISC_FRAG": "fragmented IPv6 neighbour discovery message",
        "IPV6_NDISC_HOP_LIMIT": "neighbour discovery message with hop limit other than 255",
        "IPV6_NDISC_BAD_CODE": "neighbour discovery message with an invalid ICMPv6 code",
        "IPV6_NDISC_BAD_OPTIONS": "neighbour discovery message with invalid options",
        "IPV6_NDISC_NS_OTHERHOST": "neighbour solicitation for an address not on this host",

        // Queues and traffic control.
        "QUEUE_PURGE": "a whole queue was flushed (socket or device going away)",
        "TC_COOKIE_ERROR": "error handling a tc extension cookie",
        "PACKET_SOCK_ERROR": "packet socket (AF_PACKET) error after its filter matched",
        "TC_CHAIN_NOTFOUND": "tc chain not found (goto_chain to a missing chain)",
        "TC_RECLASSIFY_LOOP": "tc reclassify loop limit exceeded",

        // Tunnels, L2, bridges.
        "VXLAN_INVALID_HDR": "invalid VXLAN header",
        "VXLAN_VNI_NOT_FOUND": "no VXLAN device for this VNI",
        "MAC_INVALID_SOURCE": "invalid source MAC address (e.g. multicast or all zeros)",
        "VXLAN_ENTRY_EXISTS": "cannot move a static or nexthop VXLAN FDB entry",
        "NO_TX_TARGET": "no target to transmit to (e.g. no VXLAN remote)",
        "IP_TUNNEL_ECN": "invalid ECN bits when decapsulating a tunnel (RFC 6040)",
        "TUNNEL_TXINFO": "lacks the tunnel metadata an external-mode tunnel needs",
        "LOCAL_MAC": "source MAC equals the receiving device's own MAC",
        "ARP_PVLAN_DISABLE": "non-IP packet back out its own interface; proxy_arp_pvlan is off",
        "MAC_IEEE_MAC_CONTROL": "destination MAC is an IEEE MAC Control address (e.g. pause)",
        "BRIDGE_INGRESS_STP_STATE": "bridge port's STP state (e.g. blocking) forbids forwarding",
        "CAN_RX_INVALID_FRAME": "invalid CAN frame, or the device cannot receive CAN",
        "CANFD_RX_INVALID_FRAME": "invalid CAN FD frame, or the device cannot receive CAN FD",
        "CANXL_RX_INVALID_FRAME": "invalid CAN XL frame, or the device cannot receive CAN XL",

        // Memory reserves, encryption, loops.
        "PFMEMALLOC": "packet from emergency memory reserves reached an ineligible socket",
        "PSP_INPUT": "encryption (PSP) checks failed on receive",
        "PSP_OUTPUT": "encryption (PSP) checks failed on transmit",
        "RECURSION_LIMIT": "endless loop between virtual devices (recursion limit hit)",
        "SKB_RX_HEADROOM": "not enough headroom in the received packet buffer",

        // Names of the kernels in between, since renamed.
        "TC_ERROR": "internal tc (traffic control) error",
        "VXLAN_NO_REMOTE": "no VXLAN remote to send to",
    ]
}
