import ChildProcesses
import Foundation
import Glibc
import Yams

/// The repository's deployment files (dashboards/, deploy/).
enum DeployFiles {
    static func path(_ relative: String) -> String { Binaries.packageRoot.appendingPathComponent(relative).path }

    static func text(_ relative: String) throws -> String { try String(contentsOfFile: path(relative), encoding: .utf8) }

    static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(relative)))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Command.Failure(command: [relative], status: 0, output: "not a JSON object")
        }
        return object
    }

    /// Files of a folder whose names end with `suffix`, as repository-relative paths, sorted.
    static func list(_ folder: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path(folder))
            .filter { $0.hasSuffix(suffix) }.sorted().map { folder + "/" + $0 }
    }

    /// Every YAML document of the files (empty ones left out), parsed by Yams into the
    /// shapes JSONSerialization gives: `[String: Any]`, `[Any]`, String, Int, Double, Bool.
    static func yamlDocuments(_ relatives: [String]) throws -> [Any] {
        var documents: [Any] = []
        for relative in relatives {
            let parser = try Parser(yaml: try text(relative))
            while let document = try parser.nextRoot() {
                if !(document.any is NSNull) { documents.append(plain(document)) }
            }
        }
        return documents
    }

    private static func plain(_ node: Node) -> Any {
        switch node {
        case .mapping(let mapping):
            // Yams refuses a mapping with a key twice.
            Dictionary(uniqueKeysWithValues: mapping.map { ($0.key.string ?? "\($0.key.any)", plain($0.value)) })
        case .sequence(let sequence): sequence.map(plain)
        case .scalar, .alias: node.any
        }
    }
}

/// Walks parsed JSON or YAML by a dotted path: `spec.template.spec.containers.0.name`.
func lookup(_ value: Any?, _ path: String) -> Any? {
    var current = value
    for key in path.split(separator: ".") {
        if let index = Int(key), let array = current as? [Any] {
            current = index < array.count ? array[index] : nil
        } else {
            current = (current as? [String: Any])?[String(key)]
        }
    }
    return current
}

/// A loopback TCP port nobody listens on right now.
func freeLoopbackPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Command.Failure(command: ["socket"], status: errno, output: "") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard bound == 0 else { throw Command.Failure(command: ["bind"], status: errno, output: "") }
    return UInt16(bigEndian: address.sin_port)
}

/// A real Prometheus server (Debian's `prometheus`) on a free loopback port, with a
/// temporary configuration and data directory; `stop()` (or deinit) kills it and
/// removes the directory.
final class PrometheusServer {
    let directory: URL
    private(set) var port: UInt16 = 0
    private var process: ChildProcess?
    private var arguments: [String] = []

    /// Scrapes `targets` as job `dropledger` every `scrapeInterval`, evaluating `ruleFiles` as often.
    init(targets: [String], ruleFiles: [String], scrapeInterval: String = "1s") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dropledger-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
        let config = """
            global:
              scrape_interval: \(scrapeInterval)
              scrape_timeout: \(scrapeInterval)
              evaluation_interval: \(scrapeInterval)
            rule_files:
            \(ruleFiles.map { "  - \"\($0)\"" }.joined(separator: "\n"))
            scrape_configs:
              - job_name: dropledger
                static_configs:
                  - targets: [\(targets.map { "\"\($0)\"" }.joined(separator: ", "))]

            """
        try config.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        do {
            // The free port can be taken between the probe and the bind: try a few.
            for attempt in 1...3 {
                if try start() { return }
                if attempt == 3 { throw Command.Failure(command: arguments, status: process?.terminationStatus ?? -1, output: log()) }
            }
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    var configPath: String { directory.appendingPathComponent("prometheus.yml").path }

    func log() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("prometheus.log"), encoding: .utf8)) ?? ""
    }

    private func start() throws -> Bool {
        port = try freeLoopbackPort()
        arguments = ["prometheus",
                     "--config.file=\(configPath)",
                     "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                     "--web.listen-address=127.0.0.1:\(port)",
                     "--log.level=warn"]
        let logURL = directory.appendingPathComponent("prometheus.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let logFile = try FileHandle(forWritingTo: logURL)
        defer { try? logFile.close() }
        let process = try ChildProcess(arguments, stdout: logFile.fileDescriptor, stderr: logFile.fileDescriptor)
        self.process = process
        let deadline = Date.deadline(30)
        while Date() < deadline, process.isRunning {
            if let ready = try? Command.capture(["curl", "-sf", "--max-time", "2", "http://127.0.0.1:\(port)/-/ready"]),
               ready.status == 0 { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return false
    }

    /// SIGTERM (then SIGKILL after 10 s), and the temporary directory removed.
    func stop() {
        if let process, process.isRunning {
            process.terminate()
            let deadline = Date.deadline(10)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { process.kill(SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// GET an API path with form parameters; returns `data` of a successful answer.
    func api(_ path: String, _ parameters: [(String, String)] = []) throws -> Any? {
        var arguments = ["curl", "-sS", "--max-time", "10", "-G"]
        for (name, value) in parameters { arguments += ["--data-urlencode", "\(name)=\(value)"] }
        arguments.append("http://127.0.0.1:\(port)\(path)")
        let body = try Command.run(arguments)
        guard let answer = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              answer["status"] as? String == "success" else {
            throw Command.Failure(command: arguments, status: 0, output: body)
        }
        return answer["data"]
    }

    /// The result of an instant query (vector, scalar, matrix or string), as Prometheus returns it.
    func query(_ expression: String) throws -> (type: String, result: Any?) {
        let data = try api("/api/v1/query", [("query", expression)]) as? [String: Any]
        return (data?["resultType"] as? String ?? "", data?["result"])
    }

    /// The result of a range query over the last `seconds` seconds.
    func queryRange(_ expression: String, seconds: Double, step: String = "1s") throws -> [Any] {
        let end = Date().timeIntervalSince1970
        let data = try api("/api/v1/query_range", [("query", expression), ("start", String(end - seconds)),
                                                   ("end", String(end)), ("step", step)]) as? [String: Any]
        return data?["result"] as? [Any] ?? []
    }

    /// The samples of an instant vector query, by their labels.
    func vector(_ expression: String) throws -> [(labels: [String: String], value: Double)] {
        let (type, result) = try query(expression)
        guard type == "vector" else { return [] }
        return (result as? [[String: Any]] ?? []).map { sample in
            let value = (sample["value"] as? [Any])?.last as? String
            return (sample["metric"] as? [String: String] ?? [:], Double(value ?? "") ?? .nan)
        }
    }
}
