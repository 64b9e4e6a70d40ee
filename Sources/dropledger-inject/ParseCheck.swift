import ArgumentParser
import DropledgerCore
import DropledgerTesting
import Glibc

/// `dropledger-inject parse-check`: the kfree_skb program's verdict on each metadata
/// area of a file, computed in the kernel (BPF_PROG_TEST_RUN, nothing attached or sent).
struct ParseCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse-check",
        abstract: "Print the kernel program's customer verdict on each metadata area of a file.",
        discussion: """
        --areas FILE holds one area per line as hex (an empty line is no area; at most 252 bytes, \
        any length). Prints one line per area, in order: the customer ID, 'none' or 'invalid' — \
        the label the area's own verdict gives — and, after a customer ID, ' seal=absent', \
        ' seal=intact' or ' seal=broken' (the tagger's seal as the program reads it).
        """)

    @Option(help: "File of metadata areas, one hex area per line.")
    var areas: String

    @Option(name: .customLong("customer-tlv-type"), help: "TLV type of the customer entry.")
    var customerTLVType: UInt8 = 1

    func run() throws {
        let lines = try AreasFile.read(areas)
        let parser = try KernelMetadataParser(customerType: customerTLVType)
        var output = ""
        output.reserveCapacity(lines.count * 8)
        for area in lines {
            let verdict = try parser.verdict(in: area)
            output += verdict.customer.label
            if let seal = verdict.seal { output += " seal=\(seal)" }
            output += "\n"
        }
        print(output, terminator: "")
    }
}

/// A file of metadata areas: one hex area per line, an empty line for no area.
enum AreasFile {
    static func read(_ path: String) throws -> [[UInt8]] {
        guard let file = fopen(path, "r") else { throw ValidationError("cannot open \(path)") }
        defer { fclose(file) }
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            text += chunk[0..<n]
        }
        var lines = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return try lines.enumerated().map { index, line in
            guard let bytes = Hex.decode(String(line)), bytes.count <= MetadataTLV.maximumAreaLength else {
                throw ValidationError("\(path):\(index + 1): expected at most 252 hex bytes, got '\(line)'")
            }
            return bytes
        }
    }
}
