import Foundation
import Testing

/// Debian's `chromium` (deps/debian-packages.txt), headless, as a person's browser for
/// the tests: the DOM after the page's scripts ran, or a screenshot. Each run gets a
/// profile of its own, removed at deinit. `--no-sandbox` because the tests run as root.
final class HeadlessChromium {
    let executable: String
    private let profile: URL

    /// Fails (never skips) when chromium is missing: the page is tested on every host.
    init() throws {
        let found = try Command.capture(["sh", "-c", "command -v chromium"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        executable = try #require(found.isEmpty ? nil : found,
                                  "chromium is not installed: `make deps` installs it (deps/debian-packages.txt)")
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("dropledger-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: profile) }

    /// The DOM once `milliseconds` of the page's (virtual) time have passed: its polls ran.
    func dom(_ url: String, milliseconds: Int = 8000) throws -> String {
        try run(["--virtual-time-budget=\(milliseconds)", "--dump-dom", url])
    }

    /// A PNG of the page in `.build/test-artifacts/`; returns its path.
    @discardableResult
    func screenshot(_ url: String, name: String, milliseconds: Int = 8000) throws -> String {
        let directory = Binaries.packageRoot.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try? FileManager.default.removeItem(atPath: path)
        try run(["--virtual-time-budget=\(milliseconds)", "--window-size=1400,1000", "--hide-scrollbars",
                 "--screenshot=\(path)", url])
        print("screenshot of \(url): \(path)")
        return path
    }

    @discardableResult
    private func run(_ arguments: [String]) throws -> String {
        let command = ["timeout", "90", executable, "--headless", "--no-sandbox", "--disable-gpu",
                       "--user-data-dir=\(profile.path)"] + arguments
        let result = try Command.capture(command)
        guard result.status == 0 else { throw Command.Failure(command: command, status: result.status, output: result.stderr) }
        return result.stdout
    }
}
