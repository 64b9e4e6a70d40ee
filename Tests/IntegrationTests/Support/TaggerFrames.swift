/// Frames for the tagger's tests: Ethernet, optional VLAN tags, IPv4/IPv6 + UDP, or ARP.
enum TaggerFrames {
    static let destinationMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x02]
    static let sourceMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x01]
    static let udp: [UInt8] = [0x9c, 0x40, 0x00, 0x09, 0x00, 0x0c, 0x00, 0x00, 0x61, 0x62, 0x63, 0x64]

    /// `tags`: the VLAN TPIDs, outermost first (0x88a8 then 0x8100 for QinQ).
    static func ipv4(source: [UInt8], destination: [UInt8], tags: [UInt16] = []) -> [UInt8] {
        let ip: [UInt8] = [0x45, 0, 0, UInt8(20 + udp.count), 0, 1, 0x40, 0, 64, 17, 0, 0] + source + destination
        return ethernet(type: 0x0800, tags: tags) + ip + udp
    }

    static func ipv6(source: [UInt8], destination: [UInt8], tags: [UInt16] = []) -> [UInt8] {
        let ip: [UInt8] = [0x60, 0, 0, 0, 0, UInt8(udp.count), 17, 64] + source + destination
        return ethernet(type: 0x86dd, tags: tags) + ip + udp
    }

    /// An ARP request: not IP, must pass untagged.
    static func arp() -> [UInt8] {
        let body: [UInt8] = [0, 1, 8, 0, 6, 4, 0, 1] + sourceMAC + [10, 0, 0, 1] + [0, 0, 0, 0, 0, 0] + [10, 0, 0, 2]
        return [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + sourceMAC + [0x08, 0x06] + body
    }

    static func ethernet(type: UInt16, tags: [UInt16]) -> [UInt8] {
        var header = destinationMAC + sourceMAC
        for (index, tpid) in tags.enumerated() { header += be16(tpid) + be16(UInt16(100 + index)) }
        return header + be16(type)
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

    static func bytes(_ hex: Substring) -> [UInt8] {
        let digits = Array(hex)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }
}

/// `dropledger-inject tagger-run`: the tagger program run once (or `runs` times) with BPF_PROG_TEST_RUN.
struct TaggerRunResult: Equatable {
    var action: UInt32
    var meta: [UInt8]
    var frame: [UInt8]
    var counts: [String: UInt64]

    static func run(frame: [UInt8], meta: [UInt8] = [], prefixes: [String], extra: [String] = []) throws -> TaggerRunResult {
        var arguments = [Binaries.inject, "tagger-run", "--frame", TaggerFrames.hex(frame), "--meta", TaggerFrames.hex(meta)]
        for prefix in prefixes { arguments += ["--prefix", prefix] }
        let text = try Command.run(arguments + extra)
        var result = TaggerRunResult(action: 0, meta: [], frame: [], counts: [:])
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2 else { continue }
            switch fields[0] {
            case "action": result.action = UInt32(fields[1])!
            case "meta": result.meta = TaggerFrames.bytes(fields[1])
            case "frame": result.frame = TaggerFrames.bytes(fields[1])
            default: result.counts[String(fields[0])] = UInt64(fields[1])
            }
        }
        return result
    }
}
