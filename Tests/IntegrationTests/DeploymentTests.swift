import Foundation
import Testing

/// deploy/: the Prometheus configuration and rules (promtool), the systemd unit
/// (systemd-analyze, and a run with only its capabilities) and the Kubernetes manifests.
@Suite(.serialized) struct DeploymentTests {
    // MARK: Prometheus

    @Test func promtoolChecksTheConfigAndTheRules() throws {
        let config = try Command.capture(["promtool", "check", "config", DeployFiles.path("deploy/prometheus/prometheus.yml")])
        #expect(config.status == 0, "\(config.stdout)\(config.stderr)")
        #expect(config.stdout.contains("2 rule files found"), "\(config.stdout)")
        let rules = try Command.capture(["promtool", "check", "rules",
                                         DeployFiles.path("deploy/prometheus/recording-rules.yml"),
                                         DeployFiles.path("deploy/prometheus/alerting-rules.yml")])
        #expect(rules.status == 0, "\(rules.stdout)\(rules.stderr)")
    }

    @Test func promtoolUnitTestsPass() throws {
        let tests = try DeployFiles.list("deploy/prometheus", suffix: "_test.yml")
        #expect(tests.count >= 2)
        let result = try Command.capture(["promtool", "test", "rules"] + tests.map(DeployFiles.path))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("FAILED"))
    }

    /// Every alert has a unit test where it fires and one where it stays quiet.
    @Test func everyAlertIsTestedBothWays() throws {
        let alerts = (try DeployFiles.yamlDocuments(["deploy/prometheus/alerting-rules.yml"]).first)
            .flatMap { lookup($0, "groups") as? [[String: Any]] }?
            .flatMap { $0["rules"] as? [[String: Any]] ?? [] }
            .compactMap { $0["alert"] as? String } ?? []
        #expect(alerts.count >= 5)
        let testFile = try DeployFiles.yamlDocuments(["deploy/prometheus/alerting-rules_test.yml"]).first
        let cases = (lookup(testFile, "tests") as? [[String: Any]] ?? []).flatMap { $0["alert_rule_test"] as? [[String: Any]] ?? [] }
        for alert in alerts {
            let mine = cases.filter { $0["alertname"] as? String == alert }
            #expect(mine.contains { !($0["exp_alerts"] as? [Any] ?? []).isEmpty }, "\(alert) is never tested firing")
            #expect(mine.contains { ($0["exp_alerts"] as? [Any] ?? []).isEmpty }, "\(alert) is never tested quiet")
        }
        for wanted in ["DropledgerCustomerDropRateHigh", "DropledgerRingBufferOverflow", "DropledgerExporterDown", "DropledgerInvalidMetadata"] {
            #expect(alerts.contains(wanted))
        }
    }

    // MARK: systemd

    /// The unit (and the unit with the tag drop-in) as systemd-analyze reads them, with
    /// ExecStart pointing at the binary the build made.
    @Test func systemdUnitVerifies() throws {
        let unit = try DeployFiles.text("deploy/systemd/dropledger.service")
        let dropIn = try DeployFiles.text("deploy/systemd/tag.conf")
        for directive in ["NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "DynamicUser=yes",
                          "CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_SYS_NICE", "EnvironmentFile=-/etc/default/dropledger",
                          "ExecStart=/usr/local/bin/dropledger serve $DROPLEDGER_ARGS"] {
            #expect(unit.contains("\n" + directive + "\n"), "the unit has \(directive)")
        }
        #expect(try DeployFiles.text("deploy/systemd/dropledger.env").contains("DROPLEDGER_ARGS="))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dropledger-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let local = unit.replacingOccurrences(of: "/usr/local/bin/dropledger", with: Binaries.dropledger)
        let variants = ["dropledger.service": local,
                        "dropledger-tag.service": local + "\n" + dropIn.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n") + "\n"]
        for (name, text) in variants {
            let path = directory.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try Command.capture(["systemd-analyze", "verify", path])
            let output = result.stdout + result.stderr
            #expect(result.status == 0, "\(name): \(output)")
            // verify exits 0 on unknown directives: it only warns, so no output at all is the bar.
            #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(name): \(output)")
        }
    }

    /// The unit's capabilities are enough: the exporter, run as `nobody` with only the
    /// unit's ambient capabilities and no_new_privs, attaches, becomes ready and counts a drop.
    @Test(.enabled(if: getuid() == 0, "needs root to hand out capabilities"))
    func unitCapabilitiesAreEnoughForServe() throws {
        let unit = try DeployFiles.text("deploy/systemd/dropledger.service")
        let line = try #require(unit.split(separator: "\n").first { $0.hasPrefix("AmbientCapabilities=") })
        let capabilities = line.dropFirst("AmbientCapabilities=".count).split(separator: " ")
            .map { "+" + $0.dropFirst("CAP_".count).lowercased() }.joined(separator: ",")
        let launcher = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "--inh-caps=-all,\(capabilities)", "--ambient-caps=\(capabilities)",
                        "--bounding-set=-all,\(capabilities)", "--no-new-privs"]
        let exporter = try ExporterProcess(arguments: [], launcher: launcher)
        defer { exporter.stop() }
        #expect(try Command.run(["ps", "-o", "user=", "-p", String(exporter.process.processIdentifier)])
            .trimmingCharacters(in: .whitespacesAndNewlines) == "nobody")
        #expect(try exporter.get("/-/ready").status == 200)
        #expect(try exporter.get("/-/healthy").status == 200)
        // CAP_SYS_NICE was enough for the ring consumer's SCHED_FIFO (a thread per CPU).
        #expect(try PrivilegeTests.schedulingPolicies(exporter.process.processIdentifier).filter { $0.policy == 1 }.count
                == ProcessInfo.processInfo.activeProcessorCount)
        #expect(!exporter.log().contains("runs at normal priority"), "\(exporter.log())")
        // A datagram to a closed loopback port: a NO_SOCKET drop, no metadata (customer none).
        let closed = try freeLoopbackPort()
        let deadline = Date.deadline(10)
        var counted: UInt64 = 0
        while Date() < deadline, counted == 0 {
            try Command.run(["bash", "-c", "echo drop > /dev/udp/127.0.0.1/\(closed)"])
            Thread.sleep(forTimeInterval: 0.5)
            counted = try exporter.series()["none/NO_SOCKET"] ?? 0
        }
        #expect(counted > 0, "log:\n\(exporter.log())")
        #expect(exporter.stop() == 0, "log:\n\(exporter.log())")
    }

    // MARK: Kubernetes

    @Test func kubernetesManifestsCarryWhatTheyNeed() throws {
        let files = try DeployFiles.list("deploy/kubernetes", suffix: ".yaml")
        let documents = try DeployFiles.yamlDocuments(files)
        func document(_ kind: String) throws -> Any {
            try #require(documents.first { lookup($0, "kind") as? String == kind }, "no \(kind) in \(files)")
        }
        let kinds = Set(documents.compactMap { lookup($0, "kind") as? String })
        #expect(kinds.isSuperset(of: ["DaemonSet", "Service", "PodMonitor", "PrometheusRule", "Namespace", "Kustomization"]))

        let daemonSet = try document("DaemonSet")
        #expect(lookup(daemonSet, "apiVersion") as? String == "apps/v1")
        let pod = lookup(daemonSet, "spec.template.spec")
        #expect(lookup(pod, "hostNetwork") as? Bool == true)
        let selector = lookup(daemonSet, "spec.selector.matchLabels") as? [String: String] ?? [:]
        let podLabels = lookup(daemonSet, "spec.template.metadata.labels") as? [String: String] ?? [:]
        #expect(!selector.isEmpty && selector.allSatisfy { podLabels[$0.key] == $0.value })

        let containers = lookup(pod, "containers") as? [[String: Any]] ?? []
        let container = try #require(containers.first)
        #expect(lookup(container, "securityContext.privileged") as? Bool == false)
        #expect(lookup(container, "securityContext.allowPrivilegeEscalation") as? Bool == false)
        #expect(Set(lookup(container, "securityContext.capabilities.add") as? [String] ?? [])
            == ["BPF", "PERFMON", "NET_ADMIN", "SYS_RESOURCE", "SYS_NICE"])
        #expect(lookup(container, "securityContext.capabilities.drop") as? [String] == ["ALL"])
        for resource in ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] {
            #expect(lookup(container, "resources." + resource) != nil, "no \(resource)")
        }
        #expect(lookup(container, "livenessProbe.httpGet.path") as? String == "/-/healthy")
        #expect(lookup(container, "readinessProbe.httpGet.path") as? String == "/-/ready")
        #expect(lookup(container, "livenessProbe.httpGet.port") as? Int == 10437)
        #expect((lookup(container, "args") as? [String] ?? []).contains("--web.listen-address=:10437"))
        let ports = lookup(container, "ports") as? [[String: Any]] ?? []
        #expect(ports.contains { $0["name"] as? String == "metrics" && $0["containerPort"] as? Int == 10437 })

        // /sys/kernel/btf and /sys/fs/bpf from the host, mounted where the exporter looks.
        let volumes = lookup(pod, "volumes") as? [[String: Any]] ?? []
        let mounts = lookup(container, "volumeMounts") as? [[String: Any]] ?? []
        for hostPath in ["/sys/kernel/btf", "/sys/fs/bpf"] {
            let volume = volumes.first { lookup($0, "hostPath.path") as? String == hostPath }
            let name = try #require(volume?["name"] as? String, "no hostPath volume \(hostPath)")
            #expect(mounts.contains { $0["name"] as? String == name && $0["mountPath"] as? String == hostPath },
                    "\(hostPath) is not mounted")
        }
        #expect(mounts.contains { $0["mountPath"] as? String == "/sys/kernel/btf" && $0["readOnly"] as? Bool == true })

        let service = try document("Service")
        #expect((lookup(service, "spec.ports") as? [[String: Any]] ?? []).contains { $0["port"] as? Int == 10437 })
        #expect((lookup(service, "spec.selector") as? [String: String] ?? [:]) == selector)

        let podMonitor = try document("PodMonitor")
        #expect(lookup(podMonitor, "apiVersion") as? String == "monitoring.coreos.com/v1")
        #expect((lookup(podMonitor, "spec.selector.matchLabels") as? [String: String] ?? [:]) == selector)
        #expect(lookup(podMonitor, "spec.podMetricsEndpoints.0.port") as? String == "metrics")
        // job="dropledger", as the alert and the dashboards expect.
        let jobLabel = try #require(lookup(podMonitor, "spec.jobLabel") as? String)
        #expect(podLabels[jobLabel] == "dropledger")

        // Every resource the kustomization lists exists, and every manifest is listed.
        let kustomization = try document("Kustomization")
        let resources = lookup(kustomization, "resources") as? [String] ?? []
        #expect(Set(resources) == Set(files.map { ($0 as NSString).lastPathComponent }).subtracting(["kustomization.yaml"]))
        for document in documents where lookup(document, "kind") as? String != "Kustomization" {
            #expect(lookup(document, "metadata.name") != nil)
        }
    }

    /// The PrometheusRule carries exactly the groups of deploy/prometheus/.
    @Test func prometheusRuleMatchesTheRuleFiles() throws {
        let ruleFiles = try DeployFiles.yamlDocuments(["deploy/prometheus/recording-rules.yml", "deploy/prometheus/alerting-rules.yml"])
        let groups = ruleFiles.flatMap { lookup($0, "groups") as? [Any] ?? [] }
        let rule = try DeployFiles.yamlDocuments(["deploy/kubernetes/prometheusrule.yaml"]).first
        let spec = lookup(rule, "spec.groups") as? [Any] ?? []
        #expect(!groups.isEmpty)
        #expect((spec as NSArray).isEqual(to: groups), "regenerate prometheusrule.yaml from the rule files (README)")
    }

    @Test func containerfileBuildsOnDebian12WithTheMakefile() throws {
        let text = try DeployFiles.text("deploy/kubernetes/Containerfile")
        let froms = text.split(separator: "\n").filter { $0.hasPrefix("FROM ") }
        #expect(froms.count == 2)
        #expect(froms.allSatisfy { $0.contains("bookworm") || $0.contains("${SWIFT_IMAGE}") })
        #expect(text.contains("ARG SWIFT_IMAGE=swift:6.3-bookworm"))
        #expect(text.contains("FROM debian:bookworm-slim"))
        #expect(text.contains("make deps") && text.contains("make build"))
        #expect(text.contains("libbpf1") && text.contains("libmicrohttpd12"))
    }

    /// Every shared library the built binary needs (ELF NEEDED) comes from a package the
    /// run stage installs, or from one debian:bookworm-slim has (libc6, libgcc-s1, libcrypt1):
    /// a library added to the build and not to the image fails here, not in a pod.
    @Test func theRunStageInstallsWhatTheBinaryLinks() throws {
        let text = try DeployFiles.text("deploy/kubernetes/Containerfile")
        let runStage = text.components(separatedBy: "FROM debian:bookworm-slim").last ?? ""
        let installed = Set(runStage.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\\" }).map(String.init))
            .union(["libc6", "libgcc-s1", "libcrypt1"])
        let needed = try Command.run(["readelf", "-d", Binaries.dropledger]).split(separator: "\n")
            .compactMap { $0.firstMatch(of: /\(NEEDED\).*\[(.+)\]/).map { String($0.output.1) } }
        #expect(needed.contains("libmicrohttpd.so.12"))
        for library in needed {
            // The file ldconfig resolves it to, and the package dpkg says owns that file (by
            // name: merged /usr lists some under /lib).
            let script = "file=$(readlink -f \"$(ldconfig -p | awk -v l='\(library)' '$1 == l { print $NF; exit }')\") && "
                + "dpkg -S \"*/$(basename \"$file\")\" | head -1 | cut -d: -f1"
            let package = try Command.run(["sh", "-c", script]).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(installed.contains(package), "\(library) comes from \(package.isEmpty ? "(no package)" : package), which the run stage does not install")
        }
    }
}
