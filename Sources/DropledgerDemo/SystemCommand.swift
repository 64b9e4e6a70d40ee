import ChildProcesses
import DropledgerRuntime
import SystemPackage

/// Runs the system's network tools (ip, nft, ethtool, sysctl) for the demo lab.
enum SystemCommand {
    /// Runs to completion with `input` on standard input; returns standard output, and
    /// throws with the exit status and what the tool said unless it exits 0.
    @discardableResult
    static func run(_ arguments: [String], input: String? = nil) throws -> String {
        let outcome: ChildProcess.Outcome
        do {
            outcome = try ChildProcess.run(arguments, input: input)
        } catch let error as ChildProcess.SpawnError {
            throw RuntimeError("running \(arguments[0])", errno: Errno(rawValue: error.errno),
                               hint: "Install it (make deps) and retry")
        } catch let error as Errno {
            throw RuntimeError("making a temporary file for \(arguments[0])'s input and output", errno: error)
        }
        guard outcome.exit == .exited(0) else {
            let said = (outcome.stderr + outcome.stdout).trimmingSuffix("\n")
            throw RuntimeError("`\(arguments.joined(separator: " "))` \(outcome.exit): \(said)")
        }
        return outcome.stdout
    }
}
