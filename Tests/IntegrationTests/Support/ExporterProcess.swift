import ChildProcesses
import Foundation

/// A real `dropledger serve` process, listening on an ephemeral loopback port.
final class ExporterProcess {
    let process: ChildProcess
    let logURL: URL
    private(set) var port: UInt16 = 0
    /// Runs the exporter and every request through this, e.g. `nsenter --net=...`.
    let launcher: [String]

    init(subcommand: String = "serve", arguments: [String], launcher: [String] = []) throws {
        self.launcher = launcher
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("dropledger-test-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let command = launcher + [Binaries.dropledger, subcommand, "--web.listen-address", "127.0.0.1:0"] + arguments
        let logFile = try FileHandle(forWritingTo: logURL)
        process = try ChildProcess(command, stdout: logFile.fileDescriptor, stderr: logFile.fileDescriptor)
        try logFile.close()
        let deadline = Date.deadline(20)
        while Date() < deadline {
            if let match = log().firstMatch(of: /\ port=(\d+) .*counting drops/), let port = UInt16(match.output.1) {
                self.port = port
                return
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop()
        throw Command.Failure(command: command, status: process.terminationStatus, output: log())
    }

    deinit { stop() }

    func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, as systemd and Kubernetes stop it; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    func get(_ path: String, headers: [String: String] = [:]) throws -> (status: Int, body: String, headers: [String: String]) {
        var args = launcher + ["curl", "-sS", "-D", "-", "--max-time", "10"]
        for (name, value) in headers { args += ["-H", "\(name): \(value)"] }
        args.append("http://127.0.0.1:\(port)\(path)")
        let text = try Command.run(args)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        var fields: [String: String] = [:]
        for line in head.dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return (status, parts.dropFirst().joined(separator: "\r\n\r\n"), fields)
    }

    func metricsText() throws -> String { try get("/metrics").body }

    /// Samples of the exposition keyed by `name{labels}` as printed.
    func metrics() throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in try metricsText().split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    /// The `dropledger_drops_total` (or another family's) samples, by `customer/reason`.
    func series(_ family: String = "dropledger_drops_total") throws -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for (key, value) in try metrics() where key.hasPrefix(family + "{") {
            guard let match = key.firstMatch(of: /customer="([^"]*)",reason="([^"]*)"/) else { continue }
            result["\(match.output.1)/\(match.output.2)"] = UInt64(value)
        }
        return result
    }

    /// `dropledger_tagged_packets_total` by customer.
    func taggedPackets() throws -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for (key, value) in try metrics() where key.hasPrefix("dropledger_tagged_packets_total{") {
            guard let match = key.firstMatch(of: /customer="([^"]*)"/) else { continue }
            result[String(match.output.1)] = UInt64(value)
        }
        return result
    }

    /// Waits (through the JSON API, which is not a scrape) until the exporter has
    /// counted `drops` drops in all, so that the next scrape sees all of them at once.
    func waitUntilCounted(drops: UInt64) throws {
        let deadline = Date.deadline(15)
        while Date() < deadline {
            let body = try get("/api/v1/reasons").body
            let list = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            let reasons = list?["reasons"] as? [[String: Any]] ?? []
            if reasons.reduce(UInt64(0), { $0 + UInt64(($1["drops"] as? Int) ?? 0) }) >= drops { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Polls until `expected` is reached (counts arrive within a drain period and a
    /// fallback fold), then waits one more fold and returns what is there, so
    /// over-counting shows up too.
    /// `keep` limits the comparison to the series a test made, e.g. when its own scrapes
    /// (loopback TCP in the counted namespace) add drops of their own.
    func settledSeries(_ family: String = "dropledger_drops_total", expected: [String: UInt64],
                       keep: (String) -> Bool = { _ in true }) throws -> [String: UInt64] {
        let deadline = Date.deadline(15)
        while Date() < deadline, try series(family).filter({ keep($0.key) }) != expected { Thread.sleep(forTimeInterval: 0.1) }
        Thread.sleep(forTimeInterval: 1.5)
        return try series(family).filter { keep($0.key) }
    }
}
