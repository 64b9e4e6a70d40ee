import ArgumentParser
import DropledgerRuntime
import Glibc
import Logging

struct Cleanup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove what `serve --state-dir DIR` left in the kernel: detaches its program and removes the pins.",
        discussion: "Drops the state's counts not yet drained. Refused while an exporter uses DIR.")

    @Option(name: .customLong("state-dir"), help: "The state directory given to serve.")
    var stateDir: String

    func run() throws {
        do {
            guard access(stateDir, F_OK) == 0 else {
                print("no state at \(stateDir); nothing to do")
                return
            }
            let state = try StateDirectory.claim(stateDir, version: Dropledger.version, logger: Logger(label: "dropledger"))
            if try state.removeAll() {
                print("removed \(state.path): the program is detached")
            } else {
                print("no state at \(state.path); nothing to do")
            }
        } catch let error as RuntimeError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}
