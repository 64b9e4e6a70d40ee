import ArgumentParser
import DropledgerRuntime

struct Cleanup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove what `serve --state-dir DIR` left in the kernel: detaches its program and removes the pins.",
        discussion: "Drops the state's counts not yet drained. Run it while no exporter uses DIR.")

    @Option(name: .customLong("state-dir"), help: "The state directory given to serve.")
    var stateDir: String

    func run() throws {
        do {
            let state = StateDirectory(path: stateDir)
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
