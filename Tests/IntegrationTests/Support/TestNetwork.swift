import Foundation

/// Two network namespaces joined by a veth pair, made for one test and removed
/// with everything in them when it ends, pass or fail.
///
/// `receiver` (10.213.0.1 on `dev`) is where frames are injected and dropped;
/// `peer` (10.213.0.2) only exists so the receiver's ICMP errors have somewhere
/// to go without neighbour resolution, which would add drops of its own.
final class TestNetwork {
    let receiver: String
    let peer: String
    let dev = "dl0"
    let receiverAddress = "10.213.0.1"
    let peerAddress = "10.213.0.2"
    var netnsPath: String { "/run/netns/\(receiver)" }

    init(tag: String) throws {
        let id = "\(getpid() % 100000)-\(tag)"
        receiver = "dlt-\(id)-r"
        peer = "dlt-\(id)-p"
        do {
            try setUp()
        } catch {
            tearDown()
            throw error
        }
    }

    deinit { tearDown() }

    private func setUp() throws {
        for ns in [receiver, peer] { try Self.addQuietNamespace(ns) }
        try Command.run(["ip", "link", "add", dev, "netns", receiver, "type", "veth", "peer", "name", "dl1", "netns", peer])
        try exec(receiver, ["ip", "addr", "add", "\(receiverAddress)/24", "dev", dev])
        try exec(peer, ["ip", "addr", "add", "\(peerAddress)/24", "dev", "dl1"])
        try exec(receiver, ["ip", "link", "set", dev, "up"])
        try exec(peer, ["ip", "link", "set", "dl1", "up"])
        let peerMAC = try exec(peer, ["cat", "/sys/class/net/dl1/address"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try exec(receiver, ["ip", "neigh", "replace", peerAddress, "lladdr", peerMAC, "dev", dev, "nud", "permanent"])
    }

    /// A new namespace with loopback up and no IPv6: its neighbour discovery and MLD
    /// would add drops the test did not make.
    static func addQuietNamespace(_ ns: String) throws {
        try Command.run(["ip", "netns", "add", ns])
        try Command.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
        try Command.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"])
    }

    func tearDown() {
        for ns in [receiver, peer] { _ = try? Command.capture(["ip", "netns", "del", ns]) }
    }

    @discardableResult
    func exec(_ ns: String, _ arguments: [String], input: String? = nil) throws -> String {
        try Command.run(["ip", "netns", "exec", ns] + arguments, input: input)
    }

    /// A device's MAC address in namespace `ns`.
    static func mac(_ ns: String, _ dev: String) throws -> String {
        try Command.run(["ip", "netns", "exec", ns, "cat", "/sys/class/net/\(dev)/address"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A bash script in namespace `ns`, stopping at the first command that fails.
    static func script(_ ns: String, _ text: String) throws {
        try Command.run(["ip", "netns", "exec", ns, "bash", "-euc", text])
    }

    /// An nftables input rule in the receiver that drops UDP to `port`, counting what it drops.
    func dropUDP(port: UInt16) throws { try Self.dropUDP(in: receiver, port: port) }

    /// The same rule in any namespace (the tagger tests' networks use it too).
    static func dropUDP(in ns: String, port: UInt16) throws {
        try Command.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input: """
            table inet dltest {
              chain input {
                type filter hook input priority 0; policy accept;
                udp dport \(port) counter drop
              }
            }
            """)
    }

    /// Packets the nftables rule of `dropUDP` has dropped.
    func nftDropped() throws -> UInt64 {
        let rules = try exec(receiver, ["nft", "list", "chain", "inet", "dltest", "input"])
        guard let range = rules.range(of: #"counter packets (\d+)"#, options: .regularExpression) else { return 0 }
        return UInt64(rules[range].split(separator: " ")[2]) ?? 0
    }

    /// The receiver's kernel SNMP counters (nstat), absolute values.
    func nstat() throws -> [String: UInt64] {
        let text = try exec(receiver, ["nstat", "-a", "-z", "-s"])
        var counters: [String: UInt64] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let value = UInt64(fields[1]) { counters[String(fields[0])] = value }
        }
        return counters
    }

    /// Injects `count` UDP frames carrying `metadata` into the receiver's device.
    /// `batchSize` frames reach the stack at a time (`dropledger-inject --batch-size`): a batch
    /// larger than a ring overflows it, as the ring's consumer cannot run in the middle of one.
    func inject(metadata: [UInt8], count: Int, port: UInt16, batchSize: Int = 64) throws {
        let hex = metadata.map { String(format: "%02x", $0) }.joined()
        try exec(receiver, [Binaries.inject, "--interface", dev, "--count", String(count), "--meta", hex,
                            "--dst", receiverAddress, "--src", peerAddress, "--dport", String(port),
                            "--batch-size", String(batchSize)])
    }
}
