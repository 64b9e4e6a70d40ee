import ArgumentParser
import DropledgerRuntime

struct Untag: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detach dropledger's XDP tagger from an interface and remove its pins.",
        discussion: "Works also when the interface is gone. Does nothing (and says so) if the interface is not tagged.")

    @Option(help: "Interface to untag.")
    var interface: String

    func run() throws {
        do {
            if try Tagger.untag(interface: interface) {
                print("untagged \(interface): detached, \(Tagger.pinDirectory(interface: interface)) removed")
            } else {
                print("\(interface) is not tagged by dropledger (no \(Tagger.pinDirectory(interface: interface))); nothing to do")
            }
        } catch let error as RuntimeError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}
