import Foundation
import Testing

/// `--web.config.file` (exporter-toolkit format): TLS with a certificate made here by
/// openssl, basic auth with bcrypt hashes made by htpasswd, and a strict parser.
@Suite(.serialized, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct TLSAuthTests {
    /// A directory with a self-signed certificate for 127.0.0.1, its key, and a second unrelated key.
    final class Materials {
        let dir: URL
        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("dropledger-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Command.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", path("key.pem"), "-out", path("cert.pem"), "-days", "2", "-subj", "/CN=dropledger-test",
                             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
            try Command.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                             "-out", path("other-key.pem")])
        }
        deinit { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        func write(_ name: String, _ text: String) throws -> String {
            try text.write(toFile: path(name), atomically: true, encoding: .utf8)
            return path(name)
        }
    }

    static func bcrypt(_ user: String, _ password: String) throws -> String {
        let line = try Command.run(["htpasswd", "-nbBC", "10", user, password])
        return String(line.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// curl's HTTP status (0 when no HTTP reply came) and exit status.
    static func curl(_ url: String, _ extra: [String] = []) throws -> (status: Int, exit: Int32, headers: String) {
        let result = try Command.capture(["curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-D", "-",
                                          "-w", "\n%{http_code}"] + extra + [url])
        let lines = result.stdout.split(separator: "\n")
        return (Int(lines.last ?? "0") ?? 0, result.status, result.stdout)
    }

    @Test func tlsWithBasicAuthProtectsEveryPath() throws {
        let files = try Materials()
        // Relative paths resolve against the config file's directory, as in the exporter-toolkit.
        let config = try files.write("web.yml", """
            # dropledger web config
            tls_server_config:
              cert_file: cert.pem
              key_file: "key.pem"
            basic_auth_users:
              alice: \(try Self.bcrypt("alice", "correct horse"))
              'bob': '\(try Self.bcrypt("bob", "s3cret:with:colons"))'
            """)
        let exporter = try ExporterProcess(arguments: ["--web.config.file", config])
        let base = "https://127.0.0.1:\(exporter.port)"
        let trust = ["--cacert", files.path("cert.pem")]

        // The samples hold addresses: behind the same authentication as everything else.
        for path in ["/metrics", "/-/healthy", "/-/ready", "/", "/api/v1/reasons", "/api/v1/samples",
                     "/api/v1/customers/none/samples", "/api/v1/customers/none/samples.pcapng"] {
            #expect(try Self.curl(base + path, trust + ["-u", "alice:correct horse"]).status == 200, "\(path) as alice")
            let anonymous = try Self.curl(base + path, trust)
            #expect(anonymous.status == 401, "\(path) without credentials")
            #expect(anonymous.headers.contains("WWW-Authenticate: Basic realm=\"dropledger\""), "\(anonymous.headers)")
            #expect(try Self.curl(base + path, trust + ["-u", "alice:wrong"]).status == 401, "\(path) with a wrong password")
        }
        #expect(try Self.curl(base + "/metrics", trust + ["-u", "bob:s3cret:with:colons"]).status == 200)
        #expect(try Self.curl(base + "/metrics", trust + ["-u", "bob:correct horse"]).status == 401)
        #expect(try Self.curl(base + "/metrics", trust + ["-u", "mallory:correct horse"]).status == 401)
        #expect(try Self.curl(base + "/metrics", trust + ["-u", "alice:"]).status == 401)
        #expect(try Self.curl(base + "/metrics", trust + ["-H", "Authorization: Basic !!!notbase64"]).status == 401)
        #expect(try Self.curl(base + "/metrics", trust + ["-H", "Authorization: Bearer abc"]).status == 401)
        // The body is the exposition, over a verified TLS connection.
        let body = try Command.run(["curl", "-sS", "--max-time", "10", "-u", "alice:correct horse"] + trust + [base + "/metrics"])
        #expect(body.contains("dropledger_build_info"))

        // Untrusted certificate: curl refuses it (the server presented ours, not something else).
        #expect(try Self.curl(base + "/metrics", ["-u", "alice:correct horse"]).exit == 60)
        // Plain HTTP to the TLS port gets no HTTP answer, and the exporter goes on serving TLS.
        let plain = try Self.curl("http://127.0.0.1:\(exporter.port)/metrics", ["-u", "alice:correct horse"])
        #expect(plain.status == 0 && plain.exit != 0, "plain HTTP answered: \(plain.headers)")
        // Raw junk instead of a ClientHello, too.
        _ = try? RawClient.exchange(port: exporter.port, Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        _ = try? RawClient.exchange(port: exporter.port, [0x16, 0x03, 0x01, 0xff, 0xff] + [UInt8](repeating: 0x41, count: 4096))
        #expect(exporter.process.isRunning)
        #expect(try Self.curl(base + "/-/healthy", trust + ["-u", "alice:correct horse"]).status == 200)
        // TLS 1.2 and 1.3 only.
        #expect(try Self.curl(base + "/-/healthy", trust + ["-u", "alice:correct horse", "--tlsv1.2", "--tls-max", "1.2"]).status == 200)
    }

    @Test func basicAuthWithoutTLS() throws {
        let files = try Materials()
        let config = try files.write("web.yml", "basic_auth_users:\n  prometheus: \(try Self.bcrypt("prometheus", "scrape"))\n")
        let exporter = try ExporterProcess(arguments: ["--web.config.file", config])
        let base = "http://127.0.0.1:\(exporter.port)"
        #expect(try Self.curl(base + "/metrics", ["-u", "prometheus:scrape"]).status == 200)
        #expect(try Self.curl(base + "/metrics").status == 401)
        #expect(try Self.curl(base + "/-/healthy", ["-u", "prometheus:scrapE"]).status == 401)
        // Many authenticated scrapes are quick: a verified password is remembered, not re-hashed.
        let start = Date()
        for _ in 0..<20 { #expect(try Self.curl(base + "/-/healthy", ["-u", "prometheus:scrape"]).status == 200) }
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func anEmptyConfigServesPlainHTTP() throws {
        let files = try Materials()
        let exporter = try ExporterProcess(arguments: ["--web.config.file", try files.write("web.yml", "# nothing\n")])
        #expect(try exporter.get("/-/healthy").status == 200)
    }

    @Test func badConfigsFailAtStartNamingTheCulprit() throws {
        let files = try Materials()
        let hash = try Self.bcrypt("u", "p")
        let cases: [(name: String, yaml: String?, message: String)] = [
            ("unknown top-level key", "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_user:\n  u: \(hash)\n",
             "unknown key 'basic_auth_user'"),
            ("unknown TLS key", "tls_server_config:\n  cert_fil: cert.pem\n  key_file: key.pem\n", "unknown key 'cert_fil'"),
            ("unsupported TLS key", "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth_type: RequireAndVerifyClientCert\n",
             "client_auth_type is not supported"),
            ("missing key_file", "tls_server_config:\n  cert_file: cert.pem\n", "needs key_file"),
            ("missing cert file", "tls_server_config:\n  cert_file: nowhere.pem\n  key_file: key.pem\n", files.path("nowhere.pem")),
            ("missing key file", "tls_server_config:\n  cert_file: cert.pem\n  key_file: /nonexistent/key.pem\n", "/nonexistent/key.pem"),
            ("cert is not PEM", "tls_server_config:\n  cert_file: web.yml\n  key_file: key.pem\n", "is not a PEM certificate"),
            ("key of another certificate", "tls_server_config:\n  cert_file: cert.pem\n  key_file: other-key.pem\n", "other-key.pem"),
            ("plain password", "basic_auth_users:\n  u: hunter2\n", "must be a bcrypt hash"),
            ("bad YAML", "tls_server_config:\n  - cert.pem\n", "line 2"),
            ("tab indentation", "basic_auth_users:\n\tu: \(hash)\n", "tabs"),
            ("duplicate user", "basic_auth_users:\n  u: \(hash)\n  u: \(hash)\n", "duplicate key 'u'"),
            ("missing config file", nil, files.path("absent.yml")),
        ]
        for item in cases {
            let config = try item.yaml.map { try files.write("web.yml", $0) } ?? files.path("absent.yml")
            let run = try Command.capture(["timeout", "20", Binaries.dropledger, "serve", "--web.listen-address", "127.0.0.1:0",
                                           "--web.config.file", config])
            let output = run.stdout + run.stderr
            #expect(run.status == 1, "\(item.name): exit \(run.status)\n\(output)")
            #expect(output.contains(item.message), "\(item.name): \(output)")
            #expect(!output.contains("counting drops"), "\(item.name) started anyway")
        }
    }
}
