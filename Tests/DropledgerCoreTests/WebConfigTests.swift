import Testing
@testable import DropledgerCore

/// `--web.config.file` as Yams reads it: what the exporter takes, and one line per refusal.
@Suite struct WebConfigTests {
    static let hash = "$2y$10$" + String(repeating: "a", count: 53)

    @Test func takesTLSAndUsersInFileOrderWithPathsBesideTheFile() throws {
        let config = try WebConfig.parse("""
            --- # the toolkit's format
            tls_server_config:
              cert_file: cert.pem
              key_file: "/etc/tls/key.pem"
            basic_auth_users:
              zoe: \(Self.hash)
              'alice@example': '\(Self.hash)'
            """, directory: "/etc/dropledger")
        #expect(config.tls == WebConfig.TLS(certFile: "/etc/dropledger/cert.pem", keyFile: "/etc/tls/key.pem"))
        #expect(config.basicAuthUsers.map(\.name) == ["zoe", "alice@example"])
        #expect(config.basicAuthUsers.allSatisfy { $0.hash == Self.hash })
    }

    @Test(arguments: ["", "# nothing\n", "---\n", "~\n", "tls_server_config:\nbasic_auth_users: {}\n"])
    func emptyMeansPlainHTTP(text: String) throws {
        #expect(try WebConfig.parse(text) == WebConfig())
    }

    static let refused: [(yaml: String, message: String)] = [
        ("basic_auth_user:\n  u: \(hash)\n", "line 1: unknown key 'basic_auth_user'"),
        ("tls_server_config:\n  cert_file: a\n  min_version: TLS13\n", "line 3: tls_server_config.min_version is not supported"),
        ("http_server_config:\n  http2: false\n", "line 1: http_server_config is not supported"),
        ("tls_server_config:\n  key_file: k\n", "line 1: tls_server_config needs cert_file"),
        ("basic_auth_users:\n  u: hunter2\n", "line 2: the password of user 'u' must be a bcrypt hash"),
        ("basic_auth_users:\n  ok: \(hash)\n  \"scrape:er\": \(hash)\n", "line 3: basic_auth_users: user 'scrape:er' contains ':'"),
        ("tls_server_config:\n  - cert.pem\n", "line 2: tls_server_config must be a mapping, got a sequence"),
        ("tls_server_config:\n  cert_file:\n    path: a\n", "line 3: tls_server_config.cert_file must be a string, not a mapping"),
        ("basic_auth_users:\n\tu: \(hash)\n", "line 2: tabs are not allowed for indentation"),
        ("basic_auth_users:\n  u: \(hash)\n  u: \(hash)\n", "duplicate key 'u'"),
        ("tls_server_config: [a\n", "line 2: "),
        ("- a\n", "the web config must be a mapping of keys (line 1)"),
    ]

    @Test(arguments: refused)
    func refusesNamingTheLine(yaml: String, message: String) {
        #expect {
            try WebConfig.parse(yaml)
        } throws: { error in
            "\(error)".contains(message) && !"\(error)".contains("\n")
        }
    }
}
