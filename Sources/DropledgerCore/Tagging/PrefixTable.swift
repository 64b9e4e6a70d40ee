/// The tagger's prefix-to-customer mapping, parsed from `--prefix CIDR=CUSTOMER`
/// flags and prefixes files (`CIDR CUSTOMER` per line, `#` comments, blank lines).
///
/// Rules (also in `dropledger tag --help`): a prefix must have no host bits set;
/// a customer is a decimal in 1...18446744073709551615 (0 is reserved); the same
/// prefix may appear only once across all flags and files, even with the same
/// customer; nested prefixes of different lengths are allowed and the longest
/// match wins, which is what a longest-prefix-match table is for.
public struct PrefixTable: Hashable, Sendable {
    /// In input order.
    public private(set) var entries: [CustomerPrefix] = []
    private var origins: [IPPrefix: String] = [:]

    public init() {}

    /// Adds one `CIDR=CUSTOMER` flag value.
    public mutating func add(flag text: String) throws(PrefixTableError) {
        let source = "--prefix '\(text)'"
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw PrefixTableError(source: source, problem: "expected CIDR=CUSTOMER, e.g. 192.0.2.0/24=42")
        }
        try add(cidr: String(parts[0]), customer: String(parts[1]), source: source)
    }

    /// Adds every line of a prefixes file; `name` is how errors refer to it.
    public mutating func add(file contents: String, name: String) throws(PrefixTableError) {
        var number = 0
        for rawLine in contents.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            let source = "\(name):\(number)"
            guard fields.count == 2 else {
                throw PrefixTableError(source: source, problem: "expected 'CIDR CUSTOMER', got '\(line.trimmingCharacters())'")
            }
            try add(cidr: String(fields[0]), customer: String(fields[1]), source: source)
        }
    }

    private mutating func add(cidr: String, customer text: String, source: String) throws(PrefixTableError) {
        let prefix: IPPrefix
        do {
            prefix = try IPPrefix(parsing: cidr)
        } catch {
            throw PrefixTableError(source: source, problem: error.description)
        }
        let customer = try Self.customer(text, source: source)
        if let first = origins[prefix] {
            throw PrefixTableError(source: source, problem: "prefix \(prefix) is already given at \(first)")
        }
        origins[prefix] = source
        entries.append(CustomerPrefix(prefix: prefix, customer: customer))
    }

    private static func customer(_ text: String, source: String) throws(PrefixTableError) -> UInt64 {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw PrefixTableError(source: source, problem: "customer '\(text)' is not a decimal number")
        }
        guard let value = UInt64(text), CustomerPrefix.customerRange.contains(value) else {
            throw PrefixTableError(source: source,
                                   problem: "customer \(text) is out of range: IDs are 1...\(UInt64.max) (0 is reserved)")
        }
        return value
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> Substring {
        var text = self
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return text
    }
}
