import ArgumentParser
import DropledgerCore
import DropledgerRuntime

/// `dropledger-inject tagger-run`: the tagger's output for one frame, via BPF_PROG_TEST_RUN
/// (nothing attached, nothing sent). For the tagger's byte-level tests.
struct TaggerRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tagger-run",
        abstract: "Run the XDP tagger on a frame with BPF_PROG_TEST_RUN and print the resulting metadata area and frame.",
        discussion: """
        Prints 'action N', 'meta HEX', 'frame HEX', then one 'RESULT COUNT' line per tagger counter. \
        With --runs N the output of each run is the input of the next (repeated pushes).
        """)

    @Option(help: "The frame, from the Ethernet header, as hex.")
    var frame: String

    @Option(help: "The metadata area the frame arrives with, as hex (a multiple of 4 bytes).")
    var meta: String = ""

    @Option(name: .customLong("prefix"), help: "CIDR=CUSTOMER (repeatable).")
    var prefixes: [String] = []

    @Option(help: "destination or source.")
    var match: String = "destination"

    @Option(name: .customLong("customer-tlv-type"))
    var customerTLVType: UInt8 = 1

    @Option(help: "Times to run the program, feeding each output into the next run.")
    var runs: Int = 1

    func run() throws {
        guard var frameBytes = Hex.decode(frame), var area = Hex.decode(meta) else {
            throw ValidationError("--frame and --meta must be hex bytes")
        }
        guard let match = TaggerConfiguration.Match(rawValue: match) else { throw ValidationError("--match: destination or source") }
        var table = PrefixTable()
        for prefix in prefixes {
            do { try table.add(flag: prefix) } catch { throw ValidationError(error.description) }
        }
        let runner = try TaggerTestRun(prefixes: table.entries,
                                       configuration: TaggerConfiguration(match: match, customerTLVType: customerTLVType))
        var action: UInt32 = 0
        for _ in 0..<max(1, runs) {
            let output = try runner.run(frame: frameBytes, metadata: area)
            (action, area, frameBytes) = (output.action, output.metadata, output.frame)
        }
        print("action \(action)")
        print("meta \(Hex.encode(area))")
        print("frame \(Hex.encode(frameBytes))")
        let counts = try runner.counters()
        for result in TaggerResult.allCases { print("\(result.label) \(counts[result] ?? 0)") }
    }
}

extension Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
