/// Writes into memory the caller has sized beforehand, without per-byte capacity or
/// uniqueness checks: the renderer's inner loop runs ~15 MB for 100k series.
struct ByteCursor {
    let base: UnsafeMutablePointer<UInt8>
    private(set) var position = 0

    init(_ base: UnsafeMutablePointer<UInt8>) {
        self.base = base
    }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        base[position] = byte
        position += 1
    }

    @inline(__always)
    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        (base + position).update(from: source, count: bytes.count)
        position += bytes.count
    }

    @inline(__always)
    mutating func write(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ write($0) }) == nil {
            for byte in text.utf8 { write(byte) }
        }
    }

    /// Label values escape `\`, `"` and newline; HELP text only `\` and newline.
    /// Needs up to twice the text's UTF-8 length.
    mutating func writeEscaped(_ text: String, escapingQuotes: Bool) {
        let written: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            // Most values need no escaping: copy them in one go.
            if !bytes.contains(where: { Self.needsEscape($0, escapingQuotes) }) {
                write(bytes)
            } else {
                for byte in bytes { writeEscaped(byte, escapingQuotes) }
            }
        }
        if written == nil {
            for byte in text.utf8 { writeEscaped(byte, escapingQuotes) }
        }
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8, _ escapingQuotes: Bool) -> Bool {
        byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\n") || (escapingQuotes && byte == UInt8(ascii: "\""))
    }

    @inline(__always)
    private mutating func writeEscaped(_ byte: UInt8, _ escapingQuotes: Bool) {
        switch byte {
        case UInt8(ascii: "\\"): write(UInt8(ascii: "\\")); write(UInt8(ascii: "\\"))
        case UInt8(ascii: "\n"): write(UInt8(ascii: "\\")); write(UInt8(ascii: "n"))
        case UInt8(ascii: "\"") where escapingQuotes: write(UInt8(ascii: "\\")); write(UInt8(ascii: "\""))
        default: write(byte)
        }
    }

    /// Exact decimal digits (at most 20), without going through String.
    mutating func writeDecimal(_ value: UInt64) {
        var digitCount = 1
        var scan = value
        while scan >= 10 { scan /= 10; digitCount += 1 }
        var remaining = value
        var index = position + digitCount
        repeat {
            index -= 1
            base[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: remaining % 10)
            remaining /= 10
        } while remaining > 0
        position += digitCount
    }

    /// Prometheus spellings for the special values; otherwise Swift's shortest
    /// round-trip form, with an integral value's ".0" dropped (as Go prints it).
    /// At most 24 bytes.
    mutating func writeDouble(_ value: Double) {
        if value.isNaN { write("NaN"); return }
        if value == .infinity { write("+Inf"); return }
        if value == -.infinity { write("-Inf"); return }
        let text = value.description
        if text.hasSuffix(".0") {
            for byte in text.utf8.dropLast(2) { write(byte) }
        } else {
            write(text)
        }
    }
}
