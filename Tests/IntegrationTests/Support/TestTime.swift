import Foundation

/// How long the tests wait for the kernel and the exporter. Under emulation (the guest
/// suites of `make test-guest-suites`, single-threaded TCG) everything takes several
/// times longer, so the harness sets DROPLEDGER_TEST_TIME_SCALE; counts stay exact either
/// way, only the patience changes.
enum TestTime {
    static let scale: TimeInterval = {
        guard let text = ProcessInfo.processInfo.environment["DROPLEDGER_TEST_TIME_SCALE"],
              let value = TimeInterval(text), value >= 1 else { return 1 }
        return value
    }()
}

extension Date {
    /// Now plus `seconds` scaled by TestTime.scale: a deadline to wait until.
    static func deadline(_ seconds: TimeInterval) -> Date { Date().addingTimeInterval(seconds * TestTime.scale) }
}
