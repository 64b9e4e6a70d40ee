import Yams

/// `--web.config.file`: the Prometheus exporter-toolkit's web configuration, the
/// part dropledger serves (TLS with a certificate and key, basic auth with bcrypt
/// hashes). Parsed strictly: an unknown key is an error naming it, and so is a
/// toolkit key dropledger does not implement, rather than being silently ignored.
/// The YAML itself is read by Yams (libyaml).
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
        guard let root = try document(text), !root.isNull else { return config }
        guard let entries = root.mapping else {
            throw Error("the web config must be a mapping of keys (line \(root.line))")
        }
        for (keyNode, node) in entries {
            let key = try keyNode.key()
            switch key {
            case "tls_server_config":
                guard let tlsEntries = try node.entries(of: key) else { continue }
                var cert: String?, keyFile: String?
                for (tlsKeyNode, tlsNode) in tlsEntries {
                    let tlsKey = try tlsKeyNode.key()
                    switch tlsKey {
                    case "cert_file": cert = try tlsNode.text("tls_server_config.cert_file")
                    case "key_file": keyFile = try tlsNode.text("tls_server_config.key_file")
                    case _ where unsupportedTLSKeys.contains(tlsKey):
                        throw Error("line \(tlsKeyNode.line): tls_server_config.\(tlsKey) is not supported by dropledger (only cert_file and key_file are)")
                    default:
                        throw Error("line \(tlsKeyNode.line): unknown key '\(tlsKey)' in tls_server_config (expected cert_file, key_file)")
                    }
                }
                let certValue = cert ?? "", keyValue = keyFile ?? ""
                if certValue.isEmpty && keyValue.isEmpty { continue }
                guard !certValue.isEmpty else { throw Error("line \(keyNode.line): tls_server_config needs cert_file along with key_file") }
                guard !keyValue.isEmpty else { throw Error("line \(keyNode.line): tls_server_config needs key_file along with cert_file") }
                config.tls = TLS(certFile: resolve(certValue, in: directory), keyFile: resolve(keyValue, in: directory))
            case "basic_auth_users":
                guard let users = try node.entries(of: key) else { continue }
                for (nameNode, hashNode) in users {
                    let name = try nameNode.key()
                    // RFC 7617 ends the user name at the first colon: this user could never log in.
                    guard !name.contains(":") else {
                        throw Error("line \(nameNode.line): basic_auth_users: user '\(name)' contains ':', which ends a user name in basic auth, so it could never log in; choose a name without ':'")
                    }
                    let hash = try hashNode.text("basic_auth_users.\(name)")
                    guard isBcrypt(hash) else {
                        throw Error("line \(nameNode.line): the password of user '\(name)' must be a bcrypt hash ($2a$, $2b$ or $2y$, e.g. from htpasswd -nBC 10 \(name))")
                    }
                    config.basicAuthUsers.append((name, hash))
                }
            case "http_server_config":
                throw Error("line \(keyNode.line): http_server_config is not supported by dropledger (it serves HTTP/1.1 only)")
            default:
                throw Error("line \(keyNode.line): unknown key '\(key)' (expected tls_server_config, basic_auth_users)")
            }
        }
        return config
    }

    /// The file's one YAML document (nil when it has none), with Yams' errors as one
    /// line each that names the line at fault.
    private static func document(_ text: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _) where text.character(at: mark) == "\t":
                throw Error("line \(mark.line): tabs are not allowed for indentation in YAML (\(problem))")
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                throw Error("line \(mark.line): \(problem)" + (context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""))
            case .duplicatedKeysInMapping(let duplicates, let context):
                throw Error("line \(context.mark.line): duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", "))")
            default:
                throw Error("\(error)")
            }
        }
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

extension Node {
    var line: Int { mark?.line ?? 0 }

    /// A plain `null`, `~` or nothing at all (`key:`), as YAML resolves them; `'null'` is a string.
    var isNull: Bool { scalar != nil && tag.description == Tag.Name.null.rawValue }

    /// A mapping key: the config's keys are strings.
    func key() throws -> String {
        guard let scalar else { throw WebConfig.Error("line \(line): a key must be a string") }
        return scalar.string
    }

    /// The entries of a mapping, in file order; nil for an empty value (`key:` or `key: {}`).
    func entries(of what: String) throws -> Node.Mapping? {
        switch self {
        case .mapping(let mapping): return mapping.isEmpty ? nil : mapping
        case _ where isNull: return nil
        case .scalar(let scalar): throw WebConfig.Error("line \(line): \(what) must be a mapping, got '\(scalar.string)'")
        default: throw WebConfig.Error("line \(line): \(what) must be a mapping, got a \(kind)")
        }
    }

    /// A scalar's text as written (quotes and escapes resolved); an empty value is "".
    func text(_ what: String) throws -> String {
        guard let scalar else { throw WebConfig.Error("line \(line): \(what) must be a string, not a \(kind)") }
        return isNull ? "" : scalar.string
    }

    private var kind: String {
        switch self {
        case .scalar: "string"
        case .mapping: "mapping"
        case .sequence: "sequence"
        case .alias: "alias"
        }
    }
}

extension String {
    /// The character a Yams mark points at (lines and columns count from 1, columns in Unicode scalars).
    fileprivate func character(at mark: Mark) -> Unicode.Scalar? {
        let lines = split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let scalars = Array(lines[mark.line - 1].unicodeScalars)
        return mark.column >= 1 && mark.column <= scalars.count ? scalars[mark.column - 1] : nil
    }
}
