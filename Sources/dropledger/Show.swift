import ArgumentParser
import DropledgerCore
import DropledgerRuntime

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print where and why one customer's packets are dropped, from a running exporter.",
        discussion: "CUSTOMER is a decimal ID, or none, invalid or other. Reads /api/v1/customers/CUSTOMER.")

    @Argument(help: "The customer: a decimal ID, none, invalid or other.")
    var customer: String

    @Option(help: "The exporter's base URL.")
    var url: String = "http://localhost:10437"

    @Flag(help: "Print the API's JSON instead of tables.")
    var json = false

    func validate() throws {
        guard DropCustomer(label: customer) != nil else {
            throw ValidationError("'\(customer)' is not a customer: use a decimal ID, none, invalid or other")
        }
    }

    func run() throws {
        do {
            let text = try APIClient(baseURL: url).get("/api/v1/customers/\(customer)", accept: json ? "application/json" : "text/plain")
            print(text, terminator: "")
        } catch let error as RuntimeError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}
