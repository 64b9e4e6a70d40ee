import DropledgerRuntime

/// A small network of namespaces: clients on a shared L2 segment ("wan") reach
/// an edge host through its uplink, where the tagger marks each packet with the
/// customer owning its destination prefix. Everything lives in namespaces the
/// lab creates, and `tearDown` removes all of it.
///
///     client1 ─┐
///              ├─ wan (bridge) ── uplink ─ edge: 198.51.100.10  customer 101
///     client2 ─┘                                 203.0.113.10   customer 202
///                                                192.0.2.10     customer 303
public final class DemoLab: Sendable {
    public struct Customer: Sendable {
        public let id: UInt64
        /// What `--customers` would call it.
        public let name: String
        public let prefix: String
        public let address: String
        /// Relative volume of the traffic that is dropped, so the customers do not look alike.
        public let weight: Int
        /// Datagrams per tick to the served port, which a reader drains: delivered traffic,
        /// so each customer loses its own share of what it receives.
        public let served: Int
    }

    public static let customers = [
        Customer(id: 101, name: "acme-video", prefix: "198.51.100.0/24", address: "198.51.100.10", weight: 4, served: 16),
        Customer(id: 202, name: "globex-shop", prefix: "203.0.113.0/24", address: "203.0.113.10", weight: 2, served: 4),
        Customer(id: 303, name: "initech-api", prefix: "192.0.2.0/24", address: "192.0.2.10", weight: 1, served: 24),
    ]
    public static let edge = "dldemo-edge"
    static let wan = "dldemo-wan"
    public static let clients = [("dldemo-client1", "10.77.0.11"), ("dldemo-client2", "10.77.0.12")]
    public static let uplink = "uplink"
    public static let edgeAddress = "10.77.0.1"
    /// Ports the traffic uses on the edge, one per way of dropping.
    public static let closedPort: UInt16 = 9
    public static let firewalledPort: UInt16 = 11211
    public static let slowReaderPort: UInt16 = 8125
    public static let servedPort: UInt16 = 5300
    public static let closedTCPPort: UInt16 = 81

    public var netnsPath: String { "/run/netns/\(Self.edge)" }
    static var namespaces: [String] { [edge, wan] + clients.map(\.0) }

    public init() throws {
        Self.tearDown()  // a lab left over by a killed run
        do {
            try build()
        } catch {
            Self.tearDown()
            throw error
        }
    }

    /// The prefixes file the tagger reads.
    /// The lab's `--customers` file.
    public static var customersFile: String {
        "# demo lab: ID NAME\n" + customers.map { "\($0.id) \($0.name)" }.joined(separator: "\n") + "\n"
    }

    public static var prefixesFile: String {
        "# demo lab: CIDR CUSTOMER\n" + customers.map { "\($0.prefix) \($0.id)" }.joined(separator: "\n") + "\n"
    }

    private func build() throws {
        for ns in Self.namespaces {
            try ip("netns", "add", ns)
            // IPv6 neighbour discovery would add drops of its own to the picture.
            try inNamespace(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
            try ip("-n", ns, "link", "set", "lo", "up")
        }
        try ip("-n", Self.wan, "link", "add", "br0", "type", "bridge")
        try ip("-n", Self.wan, "link", "set", "br0", "up")
        try link(Self.edge, Self.uplink, "\(Self.edgeAddress)/24", wanSide: "to-edge")
        for (index, (ns, address)) in Self.clients.enumerated() {
            try link(ns, "eth0", "\(address)/24", wanSide: "to-client\(index + 1)")
            for customer in Self.customers {
                try ip("-n", ns, "route", "add", customer.prefix, "via", Self.edgeAddress)
            }
        }
        for customer in Self.customers {
            try ip("-n", Self.edge, "addr", "add", "\(customer.address)/32", "dev", "lo")
        }
        // Permanent neighbours: no ARP, so no packet waits (or is dropped) on the way to
        // the tagger while an address resolves, and every packet sent reaches it.
        let edgeMAC = try mac(Self.edge, Self.uplink)
        for (ns, address) in Self.clients {
            try ip("-n", ns, "neigh", "replace", Self.edgeAddress, "lladdr", edgeMAC, "dev", "eth0", "nud", "permanent")
            try ip("-n", Self.edge, "neigh", "replace", address, "lladdr", try mac(ns, "eth0"), "dev", Self.uplink, "nud", "permanent")
        }
        // Checksums must really be checked on the edge for the bad-checksum traffic:
        // veth otherwise marks locally made packets as verified.
        for ns in Self.clients.map(\.0) { try inNamespace(ns, "ethtool", "-K", "eth0", "tx", "off") }
        try inNamespace(Self.edge, "ethtool", "-K", Self.uplink, "rx", "off")
        try SystemCommand.run(["ip", "netns", "exec", Self.edge, "nft", "-f", "-"], input: """
            table inet demo_firewall {
              chain input {
                type filter hook input priority 0; policy accept;
                udp dport \(Self.firewalledPort) drop comment "memcached amplification"
              }
            }
            """)
    }

    private func link(_ ns: String, _ name: String, _ address: String, wanSide: String) throws {
        // Made from inside `ns`: older kernels (Debian's 6.12, measured) look a new device's
        // name up in the namespace that asks, so `ip link add eth0 netns NS` on a host with
        // an eth0 of its own fails with EEXIST; 6.18 looks in NS.
        try ip("-n", ns, "link", "add", name, "type", "veth", "peer", "name", wanSide, "netns", Self.wan)
        try ip("-n", Self.wan, "link", "set", wanSide, "master", "br0", "up")
        try ip("-n", ns, "addr", "add", address, "dev", name)
        try ip("-n", ns, "link", "set", name, "up")
    }

    /// Removes every namespace of the lab (and with them their devices).
    public static func tearDown() {
        for ns in namespaces { _ = try? SystemCommand.run(["ip", "netns", "del", ns]) }
    }

    private func ip(_ arguments: String...) throws { try SystemCommand.run(["ip"] + arguments) }

    private func mac(_ ns: String, _ device: String) throws -> String {
        try SystemCommand.run(["ip", "netns", "exec", ns, "cat", "/sys/class/net/\(device)/address"]).trimmingSuffix("\n")
    }

    private func inNamespace(_ ns: String, _ arguments: String...) throws {
        try SystemCommand.run(["ip", "netns", "exec", ns] + arguments)
    }
}
