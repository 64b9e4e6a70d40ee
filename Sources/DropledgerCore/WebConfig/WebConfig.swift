/// `--web.config.file`: the Prometheus exporter-toolkit's web configuration, the
/// part dropledger serves (TLS with a certificate and key, basic auth with bcrypt
/// hashes). Parsed strictly: an unknown key is an error naming it, and so is a
/// toolkit key dropledger does not implement, rather than being silently ignored.
public struct WebConfig: Equatable, Sendable {
    public struct TLS: Equatable, Sendable {
        /// Paths as written, made absolute against the config file's directory.
        public var certFile: String
        public var keyFile: String
    }

    public var tls: TLS?
    /// User name to bcrypt hash, in file order.
    public var basicAuthUsers: [(name: String, hash: String)]

    public static func == (a: WebConfig, b: WebConfig) -> Bool {
        a.tls == b.tls && a.basicAuthUsers.map(\.name) == b.basicAuthUsers.map(\.name)
            && a.basicAuthUsers.map(\.hash) == b.basicAuthUsers.map(\.hash)
    }

    public init(tls: TLS? = nil, basicAuthUsers: [(name: String, hash: String)] = []) {
        self.tls = tls
        self.basicAuthUsers = basicAuthUsers
    }

    public struct Error: Swift.Error, CustomStringConvertible, Equatable, Sendable {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Keys of the exporter-toolkit that dropledger recognises but does not implement.
    static let unsupportedTLSKeys: Set<String> = [
        "cert", "key", "client_auth_type", "client_ca_file", "client_ca", "client_allowed_sans",
        "cipher_suites", "curve_preferences", "min_version", "max_version", "prefer_server_cipher_suites",
    ]

    /// Parses the file's text; `directory` resolves relative cert and key paths, as the toolkit does.
    public static func parse(_ text: String, directory: String = ".") throws -> WebConfig {
        var config = WebConfig()
        let root = try MiniYAML.parse(text)
        guard case .map(let entries, _) = root else {
            if case .scalar(let value, _) = root, value.isEmpty || value == "null" || value == "~" { return config }
            throw Error("the web config must be a mapping of keys (line \(root.line))")
        }
        for (key, node, line) in entries {
            switch key {
            case "tls_server_config":
                guard let tlsEntries = try node.mapping(key) else { continue }
                var cert: String?, keyFile: String?
                for (tlsKey, tlsNode, tlsLine) in tlsEntries {
                    switch tlsKey {
                    case "cert_file": cert = try tlsNode.string("tls_server_config.cert_file")
                    case "key_file": keyFile = try tlsNode.string("tls_server_config.key_file")
                    case _ where unsupportedTLSKeys.contains(tlsKey):
                        throw Error("line \(tlsLine): tls_server_config.\(tlsKey) is not supported by dropledger (only cert_file and key_file are)")
                    default:
                        throw Error("line \(tlsLine): unknown key '\(tlsKey)' in tls_server_config (expected cert_file, key_file)")
                    }
                }
                let certValue = cert ?? "", keyValue = keyFile ?? ""
                if certValue.isEmpty && keyValue.isEmpty { continue }
                guard !certValue.isEmpty else { throw Error("line \(line): tls_server_config needs cert_file along with key_file") }
                guard !keyValue.isEmpty else { throw Error("line \(line): tls_server_config needs key_file along with cert_file") }
                config.tls = TLS(certFile: resolve(certValue, in: directory), keyFile: resolve(keyValue, in: directory))
            case "basic_auth_users":
                guard let users = try node.mapping(key) else { continue }
                for (name, hashNode, userLine) in users {
                    let hash = try hashNode.string("basic_auth_users.\(name)")
                    guard isBcrypt(hash) else {
                        throw Error("line \(userLine): the password of user '\(name)' must be a bcrypt hash ($2a$, $2b$ or $2y$, e.g. from htpasswd -nBC 10 \(name))")
                    }
                    config.basicAuthUsers.append((name, hash))
                }
            case "http_server_config":
                throw Error("line \(line): http_server_config is not supported by dropledger (it serves HTTP/1.1 only)")
            default:
                throw Error("line \(line): unknown key '\(key)' (expected tls_server_config, basic_auth_users)")
            }
        }
        return config
    }

    /// `$2a$`/`$2b$`/`$2y$`, a two-digit cost, then 53 characters of salt and hash.
    public static func isBcrypt(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
              bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
              let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), (4...31).contains(cost) else { return false }
        return bytes[7...].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a)
            || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "/") }
    }

    static func resolve(_ path: String, in directory: String) -> String {
        if path.hasPrefix("/") { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}

/// The block-style YAML subset a web config is written in: nested mappings by
/// indentation, plain, single- and double-quoted scalars, comments, `{}` and a
/// leading `---`. Anything else (sequences, flow collections, anchors, multi-line
/// scalars) is refused with its line number rather than misread.
enum MiniYAML {
    indirect enum Node {
        case scalar(String, line: Int)
        case map([(key: String, node: Node, line: Int)], line: Int)

        var line: Int {
            switch self {
            case .scalar(_, let line), .map(_, let line): line
            }
        }

        /// The entries of a mapping; nil for an empty value (`key:` or `key: {}`).
        func mapping(_ what: String) throws -> [(key: String, node: Node, line: Int)]? {
            switch self {
            case .map(let entries, _): return entries
            case .scalar(let value, let line):
                if value.isEmpty || value == "null" || value == "~" { return nil }
                throw WebConfig.Error("line \(line): \(what) must be a mapping, got '\(value)'")
            }
        }

        func string(_ what: String) throws -> String {
            switch self {
            case .scalar(let value, _): return value
            case .map(_, let line): throw WebConfig.Error("line \(line): \(what) must be a string, not a mapping")
            }
        }
    }

    private struct Line {
        let number: Int
        let indent: Int
        let key: String
        let value: String?  // nil: a nested block follows (or nothing)
    }

    static func parse(_ text: String) throws -> Node {
        var lines: [Line] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            var content = Substring(raw)
            if content.hasSuffix("\r") { content = content.dropLast() }
            let indentPart = content.prefix { $0 == " " || $0 == "\t" }
            if indentPart.contains("\t") { throw WebConfig.Error("line \(number): tabs are not allowed for indentation in YAML") }
            let body = try stripComment(content.dropFirst(indentPart.count), line: number)
            if body.isEmpty { continue }
            if lines.isEmpty && (body == "---") { continue }
            if body == "..." { break }
            guard let colon = keyColon(body) else {
                throw WebConfig.Error("line \(number): expected 'key: value', got '\(body)'")
            }
            let key = try scalar(String(body[..<colon]).trimmed, line: number)
            let rest = String(body[body.index(after: colon)...]).trimmed
            lines.append(Line(number: number, indent: indentPart.count, key: key,
                              value: rest.isEmpty ? nil : try value(rest, line: number)))
        }
        if lines.isEmpty { return .scalar("", line: 1) }
        var position = 0
        let node = try block(lines, &position, indent: lines[0].indent)
        if position < lines.count {
            throw WebConfig.Error("line \(lines[position].number): bad indentation")
        }
        return node
    }

    private static func block(_ lines: [Line], _ position: inout Int, indent: Int) throws -> Node {
        var entries: [(key: String, node: Node, line: Int)] = []
        let first = lines[position].number
        while position < lines.count {
            let line = lines[position]
            if line.indent < indent { break }
            if line.indent > indent { throw WebConfig.Error("line \(line.number): bad indentation") }
            if entries.contains(where: { $0.key == line.key }) {
                throw WebConfig.Error("line \(line.number): duplicate key '\(line.key)'")
            }
            position += 1
            if let value = line.value {
                entries.append((line.key, .scalar(value, line: line.number), line.number))
            } else if position < lines.count, lines[position].indent > indent {
                entries.append((line.key, try block(lines, &position, indent: lines[position].indent), line.number))
            } else {
                entries.append((line.key, .scalar("", line: line.number), line.number))
            }
        }
        return .map(entries, line: first)
    }

    /// The colon that ends a mapping key: the first `: ` or a trailing `:` outside quotes.
    private static func keyColon(_ text: Substring) -> Substring.Index? {
        var quote: Character?
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if let q = quote {
                if c == q { quote = nil }
            } else if (c == "\"" || c == "'") && index == text.startIndex {
                quote = c
            } else if c == ":" {
                let next = text.index(after: index)
                if next == text.endIndex || text[next] == " " { return index }
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// Drops a `#` comment (at the start or after whitespace, outside quotes) and trailing blanks.
    private static func stripComment(_ text: Substring, line: Int) throws -> Substring {
        var quote: Character?
        var previous: Character = " "
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if let q = quote {
                if c == "\\" && q == "\"" {
                    index = text.index(after: index)
                    if index < text.endIndex { index = text.index(after: index) }
                    previous = "x"
                    continue
                }
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                if previous == " " || previous == ":" { quote = c }
            } else if c == "#" && (previous == " " || previous == "\t") {
                return Substring(String(text[..<index]).trimmed)
            }
            previous = c
            index = text.index(after: index)
        }
        return Substring(String(text).trimmed)
    }

    private static func value(_ text: String, line: Int) throws -> String {
        if text == "{}" { return "" }
        if let first = text.first, "[{&*!|>-%@`".contains(first) {
            if first == "-" && text.count > 1 && text.dropFirst().first != " " { return try scalar(text, line: line) }
            throw WebConfig.Error("line \(line): '\(text)': only plain or quoted strings and nested mappings are supported in the web config")
        }
        return try scalar(text, line: line)
    }

    private static func scalar(_ text: String, line: Int) throws -> String {
        if text.hasPrefix("'") {
            guard text.count >= 2, text.hasSuffix("'") else { throw WebConfig.Error("line \(line): unterminated quoted string \(text)") }
            let inner = String(text.dropFirst().dropLast())
            return inner.replacingAll("''", with: "'")
        }
        if text.hasPrefix("\"") {
            guard text.count >= 2, text.hasSuffix("\"") else { throw WebConfig.Error("line \(line): unterminated quoted string \(text)") }
            var result = ""
            var escaping = false
            for c in text.dropFirst().dropLast() {
                if escaping {
                    switch c {
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    case "\\", "\"", "/": result.append(c)
                    default: throw WebConfig.Error("line \(line): unsupported escape \\\(c) in \(text)")
                    }
                    escaping = false
                } else if c == "\\" {
                    escaping = true
                } else {
                    result.append(c)
                }
            }
            return result
        }
        return text
    }
}

extension String {
    fileprivate var trimmed: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }

    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
