import Foundation
import Testing

/// Compares rendered output with a file in Golden/. Run with DROPLEDGER_UPDATE_GOLDEN=1
/// to rewrite the files in the source tree instead (then review the diff).
func expectGolden(_ output: [UInt8], named name: String, sourceLocation: SourceLocation = #_sourceLocation,
                  filePath: String = #filePath) throws {
    if ProcessInfo.processInfo.environment["DROPLEDGER_UPDATE_GOLDEN"] == "1" {
        let url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
            .appendingPathComponent("Golden").appendingPathComponent(name)
        try Data(output).write(to: url)
        return
    }
    let golden = try #require(Bundle.module.url(forResource: "Golden", withExtension: nil),
                              sourceLocation: sourceLocation).appendingPathComponent(name)
    let expected = try Data(contentsOf: golden)
    #expect(String(decoding: output, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
            "differs from Golden/\(name)", sourceLocation: sourceLocation)
}
