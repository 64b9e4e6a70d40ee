/// A Prometheus-style `--web.listen-address`: `[host]:port`.
///
/// `:10437` listens on all addresses (dual stack); `[::1]:10437` brackets IPv6
/// literals; host names such as `localhost` are kept for the runtime to resolve.
public struct ListenAddress: Hashable, Sendable {
    /// nil means all addresses.
    public var host: String?
    /// 0 asks the kernel for an ephemeral port (useful in tests).
    public var port: UInt16

    public init(host: String?, port: UInt16) {
        self.host = host
        self.port = port
    }

    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case empty
        case missingPort(String)
        case invalidPort(String, port: String)
        case portOutOfRange(String, port: String)
        case unbalancedBrackets(String)
        case emptyBracketedHost(String)
        case unbracketedIPv6(String)

        public var description: String {
            switch self {
            case .empty:
                return "listen address is empty; expected [host]:port, e.g. :10437"
            case .missingPort(let s):
                return "listen address '\(s)' has no port; expected [host]:port, e.g. :10437"
            case .invalidPort(let s, let port):
                return "listen address '\(s)': port '\(port)' is not a decimal number"
            case .portOutOfRange(let s, let port):
                return "listen address '\(s)': port \(port) is larger than 65535"
            case .unbalancedBrackets(let s):
                return "listen address '\(s)' has unbalanced brackets; write IPv6 addresses as [addr]:port"
            case .emptyBracketedHost(let s):
                return "listen address '\(s)' has an empty [] host; use :port for all addresses"
            case .unbracketedIPv6(let s):
                return "listen address '\(s)' looks like an IPv6 address without brackets; write [addr]:port"
            }
        }
    }

    public static func parse(_ text: String) throws(ParseError) -> ListenAddress {
        if text.isEmpty { throw .empty }
        let host: Substring?
        let rest: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .unbalancedBrackets(text) }
            host = text[text.index(after: text.startIndex) ..< close]
            rest = text[text.index(after: close)...]
            if host!.contains("[") { throw .unbalancedBrackets(text) }
            if host!.isEmpty { throw .emptyBracketedHost(text) }
            guard rest.first == ":" else {
                if rest.contains("]") { throw .unbalancedBrackets(text) }
                throw .missingPort(text)
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                if text.contains("]") { throw .unbalancedBrackets(text) }
                throw .missingPort(text)
            }
            let hostPart = text[..<colon]
            if hostPart.contains("[") || hostPart.contains("]") { throw .unbalancedBrackets(text) }
            if hostPart.contains(":") { throw .unbracketedIPv6(text) }
            host = hostPart.isEmpty ? nil : hostPart
            rest = text[colon...]
        }
        let portText = rest.dropFirst()
        if portText.isEmpty { throw .missingPort(text) }
        if portText.contains("]") || portText.contains("[") { throw .unbalancedBrackets(text) }
        guard portText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .invalidPort(text, port: String(portText))
        }
        guard let port = UInt16(portText) else { throw .portOutOfRange(text, port: String(portText)) }
        return ListenAddress(host: host.map(String.init), port: port)
    }
}

extension ListenAddress: CustomStringConvertible {
    /// The address in the form `parse` accepts.
    public var description: String {
        guard let host else { return ":" + String(port) }
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + String(port)
    }
}
