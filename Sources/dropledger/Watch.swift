import ArgumentParser
import DropledgerCore
import DropledgerRuntime
import FoundationEssentials
import Glibc

/// Follows a running exporter's samples (`GET /api/v1/samples?after=`), shared by
/// `watch` and `capture`.
struct SampleFollower {
    let client: APIClient
    let customer: String?
    let reason: String?
    /// The sequence after which the next page starts.
    var last: UInt64

    init(url: String, customer: String?, reason: String?, last: UInt64 = 0) {
        client = APIClient(baseURL: url)
        self.customer = customer
        self.reason = reason
        self.last = last
    }

    /// Where the samples are now, so that following starts from here.
    mutating func start() throws {
        last = try client.decode(APIModels.SampleList.self, path(after: nil, limit: 1)).last
    }

    /// The samples that arrived since the last call (all of them, page after page), and
    /// how many the exporter no longer had because this client fell behind.
    mutating func next() throws -> (samples: [APIModels.Sample], missed: UInt64) {
        var samples: [APIModels.Sample] = [], missed: UInt64 = 0
        while true {
            let page = try client.decode(APIModels.SampleList.self, path(after: last, limit: Self.pageSize))
            samples += page.samples
            missed += page.missed ?? 0
            last = page.last
            if page.samples.count < Self.pageSize { return (samples, missed) }
        }
    }

    static let pageSize = 1000

    private func path(after: UInt64?, limit: Int) -> String {
        var query = ["limit=\(limit)"]
        if let after { query.append("after=\(after)") }
        if let customer { query.append("customer=\(customer)") }
        if let reason { query.append("reason=\(reason)") }
        return "/api/v1/samples?" + query.joined(separator: "&")
    }
}

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print sampled drops live, one line each, from a running exporter.",
        discussion: """
            Each line: time (UTC), customer and name, reason, function, interface, the packet's \
            protocol and addresses (proto src:port > dst:port), TCP flags, length. Follows \
            /api/v1/samples until Ctrl-C. Samples come at --samples.rate per CPU of the exporter.
            """)

    @Option(help: "Only this customer: a decimal ID, none or invalid.")
    var customer: String?

    @Option(help: "Only this drop reason, e.g. NETFILTER_DROP.")
    var reason: String?

    @Option(help: "The exporter's base URL.")
    var url: String = "http://localhost:10437"

    @Option(help: "Seconds between polls.")
    var interval: Double = 0.5

    func validate() throws {
        try SampleFilters.validate(customer: customer, reason: reason)
        guard interval >= 0.1, interval <= 60 else { throw ValidationError("--interval must be from 0.1 to 60 seconds") }
    }

    func run() throws {
        var stop = StopSignals.block()
        var follower = SampleFollower(url: url, customer: customer, reason: reason)
        do {
            try follower.start()
            let what = [customer.map { "customer \($0)" }, reason.map { "reason \($0)" }].compactMap { $0 }
            printError("watching sampled drops\(what.isEmpty ? "" : " of " + what.joined(separator: ", ")) at \(url); Ctrl-C stops")
            while true {
                let (samples, missed) = try follower.next()
                if missed > 0 { print("(\(missed) samples missed: this watch fell behind)") }
                for sample in samples { print(APIText.sampleLine(sample)) }
                fflush(nil)  // all streams: stdout is a pipe in scripts and tests
                if stop.pending() || stop.wait(milliseconds: UInt32(interval * 1000)) != nil { return }
            }
        } catch let error as RuntimeError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}

struct Capture: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Save a customer's sampled drops as a pcap-ng file Wireshark and tshark open.",
        discussion: """
            Writes the samples the exporter keeps for the customer, then new ones as they come, \
            until Ctrl-C, --count or --duration. Each packet carries a comment naming its customer, \
            reason, function and interface.
            """)

    @Option(help: "The customer: a decimal ID, none or invalid.")
    var customer: String

    @Option(name: .short, help: "The pcap-ng file to write.")
    var w: String

    @Option(help: "Only this drop reason, e.g. NETFILTER_DROP.")
    var reason: String?

    @Option(help: "Stop after this many packets.")
    var count: Int?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "The exporter's base URL.")
    var url: String = "http://localhost:10437"

    func validate() throws {
        try SampleFilters.validate(customer: customer, reason: reason)
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be more than 0 seconds") }
    }

    func run() throws {
        var stop = StopSignals.block()
        let client = APIClient(baseURL: url)
        let file: CaptureFile
        do {
            file = try CaptureFile(path: w)
        } catch let error as RuntimeError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        var written = 0
        let deadline = duration.map { Self.now() + $0 }
        do {
            let reasonQuery = reason.map { "?reason=\($0)" } ?? ""
            let kept = try client.decode(APIModels.SampleList.self, "/api/v1/customers/\(customer)/samples\(reasonQuery)")
            var follower = SampleFollower(url: url, customer: customer, reason: reason, last: kept.last)
            var batch = Array(kept.samples.reversed())
            printError("capturing the sampled drops of customer \(customer) into \(w) (\(kept.samples.count) kept so far); Ctrl-C stops")
            while true {
                if let count { batch = Array(batch.prefix(count - written)) }
                try file.append(batch.map(\.pcapngPacket))
                written += batch.count
                if let count, written >= count { break }
                if let deadline, Self.now() >= deadline { break }
                if stop.pending() || stop.wait(milliseconds: 500) != nil { break }
                batch = try follower.next().samples
            }
            try file.finish()
        } catch let error as RuntimeError {
            try? file.finish()  // best effort: the error is what gets reported
            printError("error: \(error) (\(written) packets written to \(w))")
            throw ExitCode(1)
        }
        printError("\(written) packets written to \(w)")
    }

    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

/// The pcap-ng file `capture` writes, a whole block at a time, so that it is valid
/// whenever the command stops.
final class CaptureFile {
    private let fd: Int32
    private let path: String
    private var writer = PcapNGWriter()
    private var empty = true

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RuntimeError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// The writer starts the file with its section header at the first packet.
    func append(_ packets: [PcapNGPacket]) throws {
        try write(packets.flatMap { writer.append($0) })
        if !packets.isEmpty { empty = false }
    }

    /// A capture without packets is still a pcap-ng file: its section header.
    func finish() throws {
        if empty { try write(PcapNGWriter.file([])) }
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw RuntimeError("writing \(path): \(String(cString: strerror(errno)))") }
            offset += n
        }
    }
}

enum SampleFilters {
    static func validate(customer: String?, reason: String?) throws {
        if let customer, DropCustomer(label: customer) == nil || customer == "other" {
            throw ValidationError("'\(customer)' is not a customer with samples: use a decimal ID, none or invalid")
        }
        if let reason, reason.isEmpty || !reason.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5f }) {
            throw ValidationError("--reason must be a drop reason's name such as NO_SOCKET, got '\(reason)'")
        }
    }
}
