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
        // Output goes to temporary files, not pipes: nothing a child leaves running can
        // keep a read from ending.
        let out = try TemporaryFile(), err = try TemporaryFile(), stdin = try TemporaryFile()
        if let input { try stdin.write(input) }
        let child = try ChildProcess(["/usr/bin/env"] + arguments, stdout: out.fd, stderr: err.fd, stdin: stdin.fd)
        child.waitUntilExit()
        return Result(status: child.terminationStatus, stdout: out.contents(), stderr: err.contents())
    }
}

/// An unlinked temporary file, read back after the child exits.
final class TemporaryFile {
    let fd: Int32

    init() throws {
        var template = Array("/tmp/dropledger-test-XXXXXX".utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Command.Failure(command: ["mkstemp"], status: errno, output: "") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    }

    deinit { close(fd) }

    func write(_ text: String) throws {
        var text = text
        _ = text.withUTF8 { Glibc.write(fd, $0.baseAddress, $0.count) }
        lseek(fd, 0, SEEK_SET)
    }

    func contents() -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n <= 0 { break }
            bytes += chunk[..<n]
            offset += off_t(n)
        }
        return String(decoding: bytes, as: UTF8.self)
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
