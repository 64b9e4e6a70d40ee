import Testing
@testable import DropledgerCore

@Suite struct FallbackFolderTests {
    let a = DropKey(customer: .id(1), reason: 3)
    let b = DropKey(customer: .none, reason: 12)

    @Test func firstReadCountsWholeValues() {
        var folder = FallbackFolder()
        let deltas = folder.deltas(from: [b: DropCount(drops: 2, bytes: 20), a: DropCount(drops: 5, bytes: 50)])
        #expect(deltas.map(\.0) == [a, b])
        #expect(deltas.map(\.1) == [DropCount(drops: 5, bytes: 50), DropCount(drops: 2, bytes: 20)])
    }

    @Test func laterReadsCountDifferencesOnly() {
        var folder = FallbackFolder()
        _ = folder.deltas(from: [a: DropCount(drops: 5, bytes: 50)])
        let second = folder.deltas(from: [a: DropCount(drops: 8, bytes: 80), b: DropCount(drops: 1, bytes: 9)])
        #expect(second.map(\.0) == [a, b])
        #expect(second.map(\.1) == [DropCount(drops: 3, bytes: 30), DropCount(drops: 1, bytes: 9)])
        // Nothing new: no deltas at all.
        #expect(folder.deltas(from: [a: DropCount(drops: 8, bytes: 80), b: DropCount(drops: 1, bytes: 9)]).isEmpty)
    }

    @Test func exactForLargeValues() {
        var folder = FallbackFolder()
        _ = folder.deltas(from: [a: DropCount(drops: UInt64.max - 10, bytes: 1 << 60)])
        let deltas = folder.deltas(from: [a: DropCount(drops: UInt64.max, bytes: (1 << 60) + 1)])
        #expect(deltas.map(\.1) == [DropCount(drops: 10, bytes: 1)])
    }

    @Test func aDecreaseBecomesTheNewBaselineWithoutUnderflow() {
        var folder = FallbackFolder()
        _ = folder.deltas(from: [a: DropCount(drops: 100, bytes: 1000)])
        #expect(folder.deltas(from: [a: DropCount(drops: 40, bytes: 400)]).isEmpty)
        #expect(folder.deltas(from: [a: DropCount(drops: 45, bytes: 450)]).map(\.1) == [DropCount(drops: 5, bytes: 50)])
    }

    @Test func aKeyMissingFromOneReadKeepsItsBaseline() {
        // A map walk that raced an insertion can miss a key; it must not count twice later.
        var folder = FallbackFolder()
        _ = folder.deltas(from: [a: DropCount(drops: 7, bytes: 70)])
        #expect(folder.deltas(from: [b: DropCount(drops: 1, bytes: 10)]).map(\.0) == [b])
        #expect(folder.deltas(from: [a: DropCount(drops: 9, bytes: 90), b: DropCount(drops: 1, bytes: 10)]).map(\.1)
                == [DropCount(drops: 2, bytes: 20)])
    }
}
