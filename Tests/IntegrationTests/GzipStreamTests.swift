import DropledgerRuntime
import Foundation
import Testing

/// The streaming gzip `/metrics` renders into (ISA-L, `CGzip`), decoded by the system's
/// `gzip`: pieces of any size, output past the first buffer, nothing written at all.
struct GzipStreamTests {
    /// `bytes` through `gzip -dc` (and `gzip -t`, which checks the CRC and length).
    static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dl-gzip-\(getpid())-\(UUID().uuidString).gz")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(bytes).write(to: file)
        let check = try Command.capture(["gzip", "-t", file.path])
        #expect(check.status == 0, "gzip -t: \(check.stderr)")
        let decoded = try Command.capture(["sh", "-c", "gzip -dc \(file.path) | od -An -v -tx1"])
        return decoded.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
    }

    @Test func piecesOfAnySizeDecodeToTheirConcatenation() throws {
        // 3 MB of exposition-like text with some noise, in uneven pieces, from a first
        // output buffer far too small (it grows).
        var text: [UInt8] = []
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        for line in 0 ..< 40_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            text += Array("dropledger_drops_total{customer=\"\(line)\",reason=\"NO_SOCKET\"} \(state >> 40)\n".utf8)
        }
        let cuts = [0, 1, 17, 4096, 100_000, 1_000_000, text.count / 2, text.count - 1, text.count]
        let compressed = try #require(HTTPCompression.gzip(expectedBytes: 1) { write in
            text.withUnsafeBytes { all in
                for (from, to) in zip(cuts, cuts.dropFirst()) { write(UnsafeRawBufferPointer(rebasing: all[from ..< to])) }
            }
        })
        #expect(compressed.count < text.count / 4)
        #expect(try Self.gunzip(compressed) == text)
        #expect(try Self.gunzip(try #require(HTTPCompression.gzip(text))) == text)
    }

    /// Parts compressed at once on their own threads, joined into one member: the
    /// concatenation, with the CRC and length of the whole (gzip -t checks both), whatever
    /// their sizes, empty ones included.
    @Test(arguments: [[40_000, 40_000], [0, 25_000], [25_000, 0], [1, 3, 60_000], [0, 0]])
    func partsDecodeToTheirConcatenation(lines: [Int]) throws {
        var state: UInt64 = 0x2545_f491_4f6c_dd1d
        let texts: [[UInt8]] = lines.enumerated().map { part, count in
            var text: [UInt8] = []
            for line in 0 ..< count {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                text += Array("dropledger_drops_total{customer=\"\(part)-\(line)\",reason=\"NO_SOCKET\"} \(state >> 40)\n".utf8)
            }
            return text
        }
        let parts: [HTTPCompression.Part] = texts.map { text in { write in
            text.withUnsafeBytes { all in
                // Uneven pieces, as the renderer's.
                var from = 0
                while from < all.count {
                    let to = min(all.count, from + 1 + from % 70_000)
                    write(UnsafeRawBufferPointer(rebasing: all[from ..< to]))
                    from = to
                }
            }
        } }
        let compressed = try #require(HTTPCompression.gzip(expectedBytes: 1, parts: parts))
        #expect(compressed.starts(with: [0x1f, 0x8b, 8]))
        #expect(try Self.gunzip(compressed) == texts.flatMap { $0 })
    }

    @Test func nothingWrittenIsAnEmptyMember() throws {
        let compressed = try #require(HTTPCompression.gzip(expectedBytes: 0) { _ in })
        #expect(compressed.starts(with: [0x1f, 0x8b]))
        #expect(try Self.gunzip(compressed).isEmpty)
    }
}
