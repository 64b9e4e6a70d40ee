/// An IPv4 or IPv6 prefix in CIDR form, with no host bits set.
public struct IPPrefix: Hashable, Sendable {
    public enum Family: Hashable, Sendable {
        case ipv4, ipv6

        /// Address bytes: 4 or 16.
        public var byteCount: Int { self == .ipv4 ? 4 : 16 }
    }

    public let family: Family
    /// The network address in network byte order (4 or 16 bytes).
    public let address: [UInt8]
    /// Prefix length in bits: 0...32 or 0...128.
    public let length: Int

    /// Why a CIDR string was refused.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case notAnAddress(String)
        case badLength(String, maximum: Int)
        case hostBitsSet(String, network: String)

        public var description: String {
            switch self {
            case .notAnAddress(let text):
                return "'\(text)' is not an IPv4 or IPv6 prefix (expected e.g. 192.0.2.0/24 or 2001:db8::/32)"
            case .badLength(let text, let maximum):
                return "'\(text)' has a prefix length outside 0...\(maximum)"
            case .hostBitsSet(let text, let network):
                return "'\(text)' has host bits set (did you mean \(network)?)"
            }
        }
    }

    /// Parses `ADDRESS/LENGTH`; a bare address is a host prefix (/32 or /128).
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let addressText = String(parts[0])
        let family: Family
        let address: [UInt8]
        if let v4 = IPAddressParser.ipv4(addressText) {
            (family, address) = (.ipv4, v4)
        } else if let v6 = IPAddressParser.ipv6(addressText) {
            (family, address) = (.ipv6, v6)
        } else {
            throw .notAnAddress(text)
        }
        let maximum = family.byteCount * 8
        var length = maximum
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(digits), value <= maximum else {
                throw .badLength(text, maximum: maximum)
            }
            length = value
        }
        let network = Self.masked(address, length: length)
        guard network == address else {
            throw .hostBitsSet(text, network: IPPrefix(family: family, address: network, length: length).description)
        }
        self.init(family: family, address: address, length: length)
    }

    private init(family: Family, address: [UInt8], length: Int) {
        self.family = family
        self.address = address
        self.length = length
    }

    /// The `length`-bit prefix holding `address` (4 or 16 bytes): its host bits cleared.
    init(containing address: [UInt8], length: Int) {
        self.init(family: address.count == 4 ? .ipv4 : .ipv6, address: Self.masked(address, length: length), length: length)
    }

    /// `address` with every bit past `length` cleared.
    static func masked(_ address: [UInt8], length: Int) -> [UInt8] {
        address.enumerated().map { index, byte in
            let keep = min(max(length - index * 8, 0), 8)
            return keep == 8 ? byte : byte & ~(UInt8(0xff) >> keep)
        }
    }
}

extension IPPrefix: CustomStringConvertible {
    /// Canonical CIDR text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`).
    public var description: String {
        switch family {
        case .ipv4:
            return address.map(String.init).joined(separator: ".") + "/\(length)"
        case .ipv6:
            return IPAddressParser.ipv6Text(address) + "/\(length)"
        }
    }
}
