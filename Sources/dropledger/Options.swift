import ArgumentParser
import Logging

/// A byte count with an optional binary unit: 262144, 256K, 256KiB, 1M, 1MiB.
struct ByteSize: ExpressibleByArgument {
    let bytes: Int

    init(bytes: Int) { self.bytes = bytes }

    init?(argument: String) {
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
                                      ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)]
        var digits = Substring(argument)
        var multiplier = 1
        if let (suffix, factor) = units.first(where: { argument.hasSuffix($0.0) }) {
            digits = digits.dropLast(suffix.count)
            multiplier = factor
        }
        guard let value = Int(digits), value > 0, value <= Int.max / multiplier else { return nil }
        bytes = value * multiplier
    }

    var defaultValueDescription: String { bytes % (1 << 10) == 0 ? "\(bytes >> 10)KiB" : "\(bytes)" }
}

enum LogLevelOption: String, ExpressibleByArgument, CaseIterable {
    case debug, info, warn, error

    var level: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warn: .warning
        case .error: .error
        }
    }
}

/// swift-log set up for the commands that log (its module is `Logging`, hence the name).
enum LogSetup {
    /// Logs go to stderr, logfmt-like, as other exporters' do.
    static func bootstrap(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "dropledger")
        logger.logLevel = level
        return logger
    }
}
