import DropledgerCore
import Foundation
import Testing

/// `--state-dir`: the program stays attached across a restart and the next exporter
/// drains exactly what was dropped while none ran, never recounting what an earlier
/// run counted. Without it, SIGTERM and SIGKILL both leave nothing attached.
///
/// Semantics (README): a restarted exporter's counters start from zero like any
/// Prometheus counter, and hold what it drained since it started: the drops of the
/// downtime plus those after.
@Suite(.serialized, .needsFrameInjection, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct RestartTests {
    static let closedPort: UInt16 = 9

    static func area(_ id: UInt64) throws -> [UInt8] {
        var writer = MetadataAreaWriter()
        try writer.push(type: 1, value: MetadataTLV.customerValue(id))
        return writer.bytes
    }

    /// A fresh state directory on bpffs, removed (program detached) when the test ends, pass or fail.
    final class StateDir {
        let parent = "/sys/fs/bpf/dltest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var path: String { parent + "/state" }
        deinit {
            _ = try? Command.capture([Binaries.dropledger, "cleanup", "--state-dir", path])
            _ = try? Command.capture(["rm", "-rf", parent])
        }
        var pins: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
    }

    /// The id of the program pinned in the state directory.
    static func pinnedProgram(_ state: StateDir) throws -> Int? {
        let json = try Command.run(["bpftool", "-j", "prog", "show", "pinned", state.path + "/program"])
        return (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["id"] as? Int
    }

    /// Waits (the kernel frees programs asynchronously) until none of `ids` is loaded.
    static func gone(_ ids: Set<Int>) throws -> Bool {
        let deadline = Date.deadline(30)
        while Date() < deadline {
            if ids.isDisjoint(with: try KernelObjects.programs(named: "on_kfree_skb")) { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    func serve(_ network: TestNetwork, _ state: StateDir, _ extra: [String] = []) throws -> ExporterProcess {
        try ExporterProcess(arguments: ["--filter.netns", network.netnsPath, "--state-dir", state.path] + extra)
    }

    @Test func dropsWhileDownAreCountedExactlyOnce() throws {
        let network = try TestNetwork(tag: "rst")
        let state = StateDir()
        let first = try serve(network, state)
        let program = try #require(try Self.pinnedProgram(state))
        #expect(first.log().contains("pinned the program"))
        try network.inject(metadata: Self.area(71), count: 1200, port: Self.closedPort)
        #expect(try first.settledSeries(expected: ["71/NO_SOCKET": 1200]) == ["71/NO_SOCKET": 1200])
        #expect(first.stop() == 0, "\(first.log())")
        #expect(first.log().contains("stays attached"))
        // Still attached and counting while no exporter runs.
        #expect(try KernelObjects.programs(named: "on_kfree_skb").contains(program))
        #expect(state.pins.contains("link") && state.pins.contains("folded") && state.pins.contains("doorbell-0"))

        try network.inject(metadata: Self.area(71), count: 700, port: Self.closedPort)
        try network.inject(metadata: Self.area(72), count: 333, port: Self.closedPort)

        let second = try serve(network, state)
        #expect(second.log().contains("resuming from the state"))
        let downtime: [String: UInt64] = ["71/NO_SOCKET": 700, "72/NO_SOCKET": 333]
        #expect(try second.settledSeries(expected: downtime) == downtime, "\(second.log())")
        // Same program: no second one was loaded.
        #expect(try Self.pinnedProgram(state) == program)
        try network.inject(metadata: Self.area(71), count: 100, port: Self.closedPort)
        let after: [String: UInt64] = ["71/NO_SOCKET": 800, "72/NO_SOCKET": 333]
        #expect(try second.settledSeries(expected: after) == after)
        #expect(second.stop() == 0)

        // A third start with nothing new: nothing is recounted.
        let third = try serve(network, state)
        #expect(try third.settledSeries(expected: [:]) == [:])
        #expect(third.stop() == 0)

        // Cleanup detaches and removes every pin.
        let cleanup = try Command.capture([Binaries.dropledger, "cleanup", "--state-dir", state.path])
        #expect(cleanup.status == 0, "\(cleanup.stderr)")
        #expect(!FileManager.default.fileExists(atPath: state.path))
        #expect(try Self.gone([program]))
    }

    @Test func fallbackMapsCarryWhatTheRingCannotHold() throws {
        // A 4 KiB ring holds 64 events: most of each burst (batches of 256 drops in a row, or
        // a downtime) goes through the fallback maps, whose cumulative counts must be folded
        // exactly once across restarts.
        let network = try TestNetwork(tag: "rsto")
        let state = StateDir()
        let first = try serve(network, state, ["--ring-size", "4KiB"])
        try network.inject(metadata: Self.area(256), count: 100_000, port: Self.closedPort, batchSize: 256)
        #expect(try first.settledSeries(expected: ["256/NO_SOCKET": 100_000]) == ["256/NO_SOCKET": 100_000])
        // At most 64 of each batch of 256 fit: the ring's consumer cannot run within a batch.
        #expect((try first.metrics()["dropledger_ring_overflow_total"] ?? 0) >= Double(100_000 / 256 * 192))
        #expect(first.stop() == 0)

        try network.inject(metadata: Self.area(256), count: 150_000, port: Self.closedPort)
        try network.inject(metadata: Self.area(257), count: 50_000, port: Self.closedPort)

        let second = try serve(network, state, ["--ring-size", "4KiB"])
        let downtime: [String: UInt64] = ["256/NO_SOCKET": 150_000, "257/NO_SOCKET": 50_000]
        #expect(try second.settledSeries(expected: downtime) == downtime, "\(second.log())")
        let metrics = try second.metrics()
        let overflow = metrics["dropledger_ring_overflow_total"] ?? -1
        // One 64-event ring per CPU held the downtime's first events; every later one overflowed.
        #expect(overflow >= Double(200_000 - 64 * ProcessInfo.processInfo.activeProcessorCount),
                "the rings held more than 64 events each of the downtime's (overflow \(overflow))")
        #expect((metrics["dropledger_events_total"] ?? -1) + overflow == 200_000)
        #expect(second.stop() == 0)
    }

    @Test func refusesAStateMadeWithOtherOptions() throws {
        let network = try TestNetwork(tag: "rstc")
        let state = StateDir()
        let first = try serve(network, state, ["--ring-size", "64KiB"])
        #expect(first.stop() == 0)
        let mismatch = try Command.capture([Binaries.dropledger, "serve", "--web.listen-address", "127.0.0.1:0",
                                            "--filter.netns", network.netnsPath, "--state-dir", state.path,
                                            "--ring-size", "128KiB", "--customer-tlv-type", "9"])
        #expect(mismatch.status == 1)
        #expect(mismatch.stderr.contains("was made with --customer-tlv-type 1 (now 9), --ring-size 65536 (now 131072)"),
                "\(mismatch.stderr)")
        #expect(mismatch.stderr.contains("dropledger cleanup --state-dir \(state.path)"))
        #expect(state.pins.contains("link"), "a refused start leaves the state alone")
    }

    @Test func oneOwnerPerStateAndNoDropLostToSIGKILL() throws {
        // 4 KiB rings: most of each 256-drop batch goes through the fallback maps, so
        // both ways a drop is counted cross the kill.
        let network = try TestNetwork(tag: "rstl")
        let state = StateDir()
        let first = try serve(network, state, ["--ring-size", "4KiB"])
        let pid = first.process.processIdentifier

        // A second exporter, and a cleanup, on the state in use: refused at once, naming the holder.
        for command in [["serve", "--web.listen-address", "127.0.0.1:0", "--filter.netns", network.netnsPath,
                         "--state-dir", state.path, "--ring-size", "4KiB"],
                        ["cleanup", "--state-dir", state.path]] {
            let refused = try Command.capture(["timeout", "20", Binaries.dropledger] + command)
            #expect(refused.status == 1, "\(command[0]): \(refused.stderr)")
            #expect(refused.stderr.contains("the state directory \(state.path) is in use by process \(pid) ("),
                    "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "not one line: \(refused.stderr)")
        }
        #expect(first.process.isRunning)
        #expect(state.pins.contains("link"), "a refused cleanup removed pins")

        try network.inject(metadata: Self.area(91), count: 50_000, port: Self.closedPort, batchSize: 256)
        #expect(try first.settledSeries(expected: ["91/NO_SOCKET": 50_000]) == ["91/NO_SOCKET": 50_000])
        kill(pid, SIGKILL)
        first.process.waitUntilExit()

        // Dropped while no exporter runs, some into the ring, most into the fallback maps.
        try network.inject(metadata: Self.area(91), count: 20_000, port: Self.closedPort, batchSize: 256)
        try network.inject(metadata: Self.area(92), count: 3_000, port: Self.closedPort, batchSize: 256)

        // The lock went with the killed process: the next start takes the state and counts
        // exactly the drops the first had not counted (none recounted, none lost).
        let second = try serve(network, state, ["--ring-size", "4KiB"])
        #expect(second.log().contains("resuming from the state"), "\(second.log())")
        let downtime: [String: UInt64] = ["91/NO_SOCKET": 20_000, "92/NO_SOCKET": 3_000]
        #expect(try second.settledSeries(expected: downtime) == downtime, "\(second.log())")
        #expect(second.stop() == 0)
    }

    @Test func refusesAStateOfAnotherFormat() throws {
        let network = try TestNetwork(tag: "rstf")
        let state = StateDir()
        let first = try serve(network, state)
        #expect(first.stop() == 0)
        #expect(state.pins.contains("format"))
        let made = try Command.run(["bpftool", "-j", "map", "dump", "pinned", state.path + "/format"])
        // Format 5, then the version that made it ("0.2.0").
        #expect(made.replacingOccurrences(of: " ", with: "").contains(#""0x05","0x00","0x00","0x00","0x30","0x2e","0x32","0x2e","0x30","0x00""#),
                "format record: \(made)")

        func start() throws -> Command.Result {
            try Command.capture(["timeout", "20", Binaries.dropledger, "serve", "--web.listen-address", "127.0.0.1:0",
                                 "--filter.netns", network.netnsPath, "--state-dir", state.path])
        }
        // Format 1 in the record: another dropledger's layout.
        let value = ["1", "0", "0", "0"] + Array(repeating: "0", count: 60)
        try Command.run(["bpftool", "map", "update", "pinned", state.path + "/format", "key", "0", "0", "0", "0", "value"] + value)
        let other = try start()
        #expect(other.status == 1)
        #expect(other.stderr.contains("the state in \(state.path) has format 1"), "\(other.stderr)")
        #expect(other.stderr.contains("`dropledger cleanup --state-dir \(state.path)`"), "\(other.stderr)")

        // No record at all: a state made before formats were recorded.
        try Command.run(["rm", state.path + "/format"])
        let older = try start()
        #expect(older.status == 1)
        #expect(older.stderr.contains("made by a dropledger before state formats were recorded"), "\(older.stderr)")
        #expect(older.stderr.contains("`dropledger cleanup --state-dir \(state.path)`"))
        #expect(state.pins.contains("link"), "a refused start leaves the state alone")
    }

    @Test(arguments: [SIGTERM, SIGKILL])
    func withoutStateNothingStaysAttached(signal: Int32) throws {
        let network = try TestNetwork(tag: "rstk")
        let programsBefore = try KernelObjects.programs(named: "on_kfree_skb")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath])
        // Its program: the one not loaded before (other exporters may come and go meanwhile).
        let ours = try Set(KernelObjects.programs(named: "on_kfree_skb")).subtracting(programsBefore)
        #expect(!ours.isEmpty)
        kill(exporter.process.processIdentifier, signal)
        exporter.process.waitUntilExit()
        #expect(exporter.process.terminationStatus == (signal == SIGTERM ? 0 : SIGKILL))
        #expect(try Self.gone(ours))
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/bpf/dropledger/state"))
    }
}
