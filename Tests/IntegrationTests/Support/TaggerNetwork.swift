import ChildProcesses
import Foundation

/// A receiver and a sender namespace for the tagger's end-to-end tests, joined by a
/// veth pair; removed with everything in them (and any tagger pins for the device)
/// when the test ends, pass or fail.
///
/// The receiver owns 10.214.0.1 and one address per customer prefix (10.214.N.1);
/// the sender reaches them through it with real UDP sockets (bash's /dev/udp).
/// Neighbours are static and IPv6 is off, so no other traffic crosses the link.
final class TaggerNetwork {
    let receiver: String
    let sender: String
    let dev: String
    let receiverAddress = "10.214.0.1"
    let senderAddress = "10.214.0.2"
    var netnsPath: String { "/run/netns/\(receiver)" }
    var pinDirectory: String { "/sys/fs/bpf/dropledger/tag-\(dev)" }

    init(tag: String, customerNets: [Int] = [1, 2, 3]) throws {
        let id = "\(getpid() % 100000)-\(tag)"
        receiver = "dlg-\(id)-r"
        sender = "dlg-\(id)-s"
        dev = "dlg\(getpid() % 10000)\(tag.prefix(4))"
        do {
            try setUp(customerNets: customerNets)
        } catch {
            tearDown()
            throw error
        }
    }

    deinit { tearDown() }

    private func setUp(customerNets: [Int]) throws {
        for ns in [receiver, sender] { try TestNetwork.addQuietNamespace(ns) }
        try Command.run(["ip", "link", "add", dev, "netns", receiver, "type", "veth", "peer", "name", "dlgs", "netns", sender])
        try exec(receiver, ["ip", "addr", "add", "\(receiverAddress)/24", "dev", dev])
        for net in customerNets { try exec(receiver, ["ip", "addr", "add", "10.214.\(net).1/32", "dev", dev]) }
        try exec(sender, ["ip", "addr", "add", "\(senderAddress)/24", "dev", "dlgs"])
        try exec(receiver, ["ip", "link", "set", dev, "up"])
        try exec(sender, ["ip", "link", "set", "dlgs", "up"])
        try exec(sender, ["ip", "route", "add", "10.214.0.0/16", "via", receiverAddress])
        let senderMAC = try mac(sender, "dlgs"), receiverMAC = try mac(receiver, dev)
        try exec(receiver, ["ip", "neigh", "replace", senderAddress, "lladdr", senderMAC, "dev", dev, "nud", "permanent"])
        try exec(sender, ["ip", "neigh", "replace", receiverAddress, "lladdr", receiverMAC, "dev", "dlgs", "nud", "permanent"])
    }

    private func mac(_ ns: String, _ device: String) throws -> String {
        try exec(ns, ["cat", "/sys/class/net/\(device)/address"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func tearDown() {
        _ = try? Command.capture(["nsenter", "--net=\(netnsPath)", Binaries.dropledger, "untag", "--interface", dev])
        for ns in [receiver, sender] { _ = try? Command.capture(["ip", "netns", "del", ns]) }
        // If the namespace was already gone, untag still cleans the (stale) pins by name.
        _ = try? Command.capture([Binaries.dropledger, "untag", "--interface", dev])
    }

    @discardableResult
    func exec(_ ns: String, _ arguments: [String], input: String? = nil) throws -> String {
        try Command.run(["ip", "netns", "exec", ns] + arguments, input: input)
    }

    /// `dropledger ARGS` in the receiver's network namespace but the host's mount
    /// namespace (nsenter, not `ip netns exec`), so its pins land in the real /sys/fs/bpf.
    func dropledger(_ arguments: [String]) throws -> Command.Result {
        try Command.capture(["timeout", "30", "nsenter", "--net=\(netnsPath)", Binaries.dropledger] + arguments)
    }

    /// Sends `count` one-byte UDP datagrams from the sender to `address:port`, each from a new socket.
    func sendUDP(to address: String, port: UInt16, count: Int) throws {
        try exec(sender, ["bash", "-c", "for ((i = 0; i < \(count); i++)); do printf x >/dev/udp/\(address)/\(port); done"])
    }

    /// A socket on `port` in the receiver that reads every datagram and, when stopped
    /// (SIGTERM), writes how many it got to `output`: the delivered side, counted apart.
    func startUDPReceiver(port: UInt16, output: URL) throws -> ChildProcess {
        let script = """
            import signal, socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.bind(("0.0.0.0", \(port)))
            n = 0
            def done(*_):
                print(n, flush=True)
                sys.exit(0)
            signal.signal(signal.SIGTERM, done)
            print("ready", flush=True)
            while True:
                s.recv(64)
                n += 1
            """
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let file = try FileHandle(forWritingTo: output)
        defer { try? file.close() }
        let receiver = try ChildProcess(["ip", "netns", "exec", self.receiver, "python3", "-c", script], stdout: file.fileDescriptor)
        let deadline = Date.deadline(10)
        while (try? String(contentsOf: output, encoding: .utf8))?.contains("ready") != true, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        return receiver
    }

    /// An nftables input rule in the receiver that drops UDP to `port`.
    func dropUDP(port: UInt16) throws { try TestNetwork.dropUDP(in: receiver, port: port) }

    /// The XDP programs attached to the device (any mode), as (id, name).
    func xdpPrograms() throws -> [(id: Int, name: String)] {
        let json = try exec(receiver, ["ip", "-j", "-d", "link", "show", dev])
        let links = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
        let attached = (links.first?["xdp"] as? [String: Any])?["attached"] as? [[String: Any]] ?? []
        return attached.compactMap { entry in
            guard let prog = entry["prog"] as? [String: Any], let id = prog["id"] as? Int else { return nil }
            return (id, prog["name"] as? String ?? "")
        }
    }

    /// The tagger's counters (pinned per-CPU array) summed over CPUs, by index.
    func taggerCounters() throws -> [Int: UInt64] {
        let json = try Command.run(["bpftool", "-j", "map", "dump", "pinned", "\(pinDirectory)/counters"])
        let entries = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
        var result: [Int: UInt64] = [:]
        for entry in entries {
            guard let formatted = entry["formatted"] as? [String: Any], let key = formatted["key"] as? Int,
                  let values = formatted["values"] as? [[String: Any]] else { continue }
            result[key] = values.reduce(0) { $0 + UInt64(($1["value"] as? Int) ?? 0) }
        }
        return result
    }
}
