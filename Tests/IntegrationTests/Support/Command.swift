import ChildProcesses
import Foundation

/// Runs system tools (ip, nft, nstat, bpftool, promtool) the way a person would.
enum Command {
    struct Failure: Error, CustomStringConvertible {
        let command: [String]
        let status: Int32
        let output: String
        var description: String { "`\(command.joined(separator: " "))` exited \(status): \(output)" }
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs to completion; throws unless it exits 0.
    @discardableResult
    static func run(_ arguments: [String], input: String? = nil) throws -> String {
        let result = try capture(arguments, input: input)
        guard result.status == 0 else { throw Failure(command: arguments, status: result.status, output: result.stderr + result.stdout) }
        return result.stdout
    }

    static func capture(_ arguments: [String], input: String? = nil) throws -> Result {
        let outcome = try ChildProcess.run(arguments, input: input)
        return Result(status: outcome.exit.code, stdout: outcome.stdout, stderr: outcome.stderr)
    }
}

/// Where `make` put the binaries under test.
enum Binaries {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var dropledger: String { path("dropledger") }
    static var inject: String { path("dropledger-inject") }

    private static func path(_ name: String) -> String {
        if let dir = ProcessInfo.processInfo.environment["DROPLEDGER_BIN_DIR"] { return dir + "/" + name }
        return packageRoot.appendingPathComponent(".build/release/\(name)").path
    }
}

enum Privilege {
    /// The kernel tests need root; CI runs as root. Elsewhere they are skipped only when asked to.
    static var kernelTestsEnabled: Bool {
        if getuid() == 0 { return true }
        return ProcessInfo.processInfo.environment["DROPLEDGER_SKIP_ROOT_TESTS"] == nil
    }
}
