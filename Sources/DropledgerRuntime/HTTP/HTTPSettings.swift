import CMicroHTTPD
import DropledgerCore
import Glibc

/// How the HTTP server is exposed: its limits and the optional `--web.config.file`.
public struct HTTPSettings: Sendable {
    public var limits: HTTPLimits
    /// Path of an exporter-toolkit web config (TLS, basic auth); nil for plain HTTP without auth.
    public var webConfigFile: String?

    public init(limits: HTTPLimits = HTTPLimits(), webConfigFile: String? = nil) {
        self.limits = limits
        self.webConfigFile = webConfigFile
    }
}

/// A web config with its certificate and key read into memory, ready for libmicrohttpd.
struct LoadedWebConfig {
    var config: WebConfig
    var certPEM: String?
    var keyPEM: String?

    var isTLS: Bool { certPEM != nil }

    /// Reads and checks the file and what it names; every error names the file at fault.
    static func load(_ path: String) throws -> LoadedWebConfig {
        let text: String
        do {
            text = try ProcFiles.read(path)
        } catch let error as RuntimeError {
            throw RuntimeError("reading --web.config.file \(path)", errno: error.errno)
        }
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let config: WebConfig
        do {
            config = try WebConfig.parse(text, directory: directory.isEmpty ? "/" : directory)
        } catch let error as WebConfig.Error {
            throw RuntimeError("--web.config.file \(path): \(error)",
                               hint: "See the README's \"TLS and authentication\" for the format")
        }
        var loaded = LoadedWebConfig(config: config)
        if let tls = config.tls {
            guard dl_http_tls_supported() != 0 else {
                throw RuntimeError("--web.config.file \(path) asks for TLS, but this libmicrohttpd was built without it")
            }
            loaded.certPEM = try readPEM(tls.certFile, role: "cert_file", expecting: "CERTIFICATE", config: path)
            loaded.keyPEM = try readPEM(tls.keyFile, role: "key_file", expecting: "PRIVATE KEY", config: path)
        }
        return loaded
    }

    private static func readPEM(_ file: String, role: String, expecting marker: String, config: String) throws -> String {
        let text: String
        do {
            text = try ProcFiles.read(file)
        } catch let error as RuntimeError {
            throw RuntimeError("reading tls_server_config.\(role) \(file) (from \(config))", errno: error.errno)
        }
        guard text.contains("-----BEGIN "), text.contains("\(marker)-----") else {
            throw RuntimeError("tls_server_config.\(role) \(file) (from \(config)) is not a PEM \(marker.lowercased())",
                               hint: "Give a PEM file (-----BEGIN \(marker)-----), e.g. made with openssl req -x509")
        }
        if marker == "PRIVATE KEY", text.contains("ENCRYPTED") {
            throw RuntimeError("tls_server_config.key_file \(file) (from \(config)) is encrypted",
                               hint: "Give an unencrypted key (openssl pkey -in KEY -out PLAIN)")
        }
        return text
    }
}
