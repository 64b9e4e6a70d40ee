/// Checked reads over a sampled packet's bytes, for a decoder that must never trap: a
/// header is taken whole (`take`) only when all its bytes are there, and reads inside
/// it are then in range by construction.
struct HeaderReader {
    let bytes: [UInt8]
    /// Where the next header starts: the end of the last one taken.
    private(set) var offset = 0
    /// Where headers must end: the bytes' end, or earlier where an IP header says its
    /// packet ends (what follows is link-layer padding, not this packet).
    private(set) var end: Int
    /// What set `end` before the bytes' end, e.g. "IPv4 total length 46".
    private var endSetBy: String?

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        end = bytes.count
    }

    var remaining: Int { end - offset }

    /// The next `count` bytes without moving on; nil when fewer are left.
    func peek(_ count: Int) -> HeaderBytes? {
        guard count >= 0, count <= remaining else { return nil }
        return HeaderBytes(bytes: bytes, start: offset, count: count)
    }

    /// The next `count` bytes, moving past them; nil (and no move) when fewer are left.
    mutating func take(_ count: Int) -> HeaderBytes? {
        guard let header = peek(count) else { return nil }
        offset += count
        return header
    }

    /// Headers from here on end at `position` (relative to the bytes' start) when that is
    /// before the current end.
    mutating func endPacket(at position: Int, setBy reason: String) {
        guard position < end else { return }
        end = max(position, offset)
        endSetBy = reason
    }

    /// Why `count` bytes of `header` could not be taken.
    func shortfall(_ count: Int, in header: String) -> String {
        if let endSetBy, offset + count <= bytes.count {
            return "\(endSetBy) ends the packet in the \(header) (\(count) bytes needed, \(remaining) left)"
        }
        return "truncated in the \(header) (\(count) bytes needed, \(remaining) left)"
    }
}

/// One header's bytes, all present. Offsets are relative to the header's start.
struct HeaderBytes {
    private let bytes: [UInt8]
    private let start: Int
    let count: Int

    fileprivate init(bytes: [UInt8], start: Int, count: Int) {
        self.bytes = bytes
        self.start = start
        self.count = count
    }

    /// The decoder reads only inside headers it took whole, so an offset out of range is
    /// its bug: debug builds stop on it, others read 0 rather than trap.
    func u8(_ offset: Int) -> UInt8 {
        guard offset >= 0, offset < count else {
            assertionFailure("read at \(offset) of a \(count)-byte header")
            return 0
        }
        return bytes[start + offset]
    }

    /// Big-endian (network order).
    func u16(_ offset: Int) -> UInt16 { UInt16(u8(offset)) << 8 | UInt16(u8(offset + 1)) }

    func u32(_ offset: Int) -> UInt32 { UInt32(u16(offset)) << 16 | UInt32(u16(offset + 2)) }

    func slice(_ offset: Int, _ length: Int) -> [UInt8] { (offset ..< offset + length).map(u8) }
}

/// Lowercase hex without Foundation.
enum HexText {
    static func digits(_ value: some BinaryInteger, width: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(width - text.count, 0)) + text
    }

    static func bytes(_ bytes: some Sequence<UInt8>, separator: String = "") -> String {
        bytes.map { digits($0, width: 2) }.joined(separator: separator)
    }

    /// The bytes of hex text without separators; nil for anything else.
    static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let high = UInt8(String(decoding: digits[i..<i + 1], as: UTF8.self), radix: 16),
                  let low = UInt8(String(decoding: digits[i + 1..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}
