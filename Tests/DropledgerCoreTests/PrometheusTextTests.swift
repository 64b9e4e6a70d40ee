import Testing
@testable import DropledgerCore

@Suite struct PrometheusTextTests {
    private func text(_ families: [MetricFamily]) -> String {
        String(decoding: PrometheusText.render(families), as: UTF8.self)
    }

    @Test func escapingAndSpecialValues() throws {
        let families = [
            MetricFamily(name: "test_values", help: "Values that must survive: exact integers and special floats.",
                         type: .gauge, samples: [
                MetricSample(labels: [MetricLabel("case", "a_uint64_max")], value: .integer(UInt64.max)),
                MetricSample(labels: [MetricLabel("case", "b_two_to_53_plus_one")], value: .integer((1 << 53) + 1)),
                MetricSample(labels: [MetricLabel("case", "c_plus_inf")], value: .double(.infinity)),
                MetricSample(labels: [MetricLabel("case", "d_minus_inf")], value: .double(-.infinity)),
                MetricSample(labels: [MetricLabel("case", "e_nan")], value: .double(.nan)),
                MetricSample(labels: [MetricLabel("case", "f_half")], value: .double(0.5)),
                MetricSample(labels: [MetricLabel("case", "g_integral")], value: .double(2)),
                MetricSample(labels: [MetricLabel("case", "h_tiny")], value: .double(1e-7)),
                MetricSample(labels: [MetricLabel("case", "i_huge")], value: .double(1.5e300)),
                MetricSample(labels: [MetricLabel("case", "j_start_time")], value: .double(1_763_797_251.37)),
                MetricSample(labels: [MetricLabel("case", "k_zero")], value: .integer(0)),
            ]),
            MetricFamily(name: "test_escaping", help: "Help with a backslash \\ and a\nnewline; \"quotes\" stay.",
                         type: .untyped, samples: [
                MetricSample(labels: [MetricLabel("value", "back\\slash")], value: .integer(1)),
                MetricSample(labels: [MetricLabel("value", "line1\nline2")], value: .integer(2)),
                MetricSample(labels: [MetricLabel("value", "say \"hi\"")], value: .integer(3)),
                MetricSample(labels: [MetricLabel("value", "ünïcödé")], value: .integer(4)),
            ]),
        ]
        try expectGolden(PrometheusText.render(families), named: "escaping.prom")
    }

    @Test func labelValueEscapes() {
        let output = text([MetricFamily(name: "m", help: "h", type: .counter, samples: [
            MetricSample(labels: [MetricLabel("l", "a\\b\"c\nd")], value: .integer(1)),
        ])])
        #expect(output == "# HELP m h\n# TYPE m counter\nm{l=\"a\\\\b\\\"c\\nd\"} 1\n")
    }

    static let integers: [(UInt64, String)] = [
        (0, "0"), (9, "9"), (10, "10"), (4321, "4321"),
        (UInt64.max, "18446744073709551615"), ((1 << 53) + 1, "9007199254740993"),
    ]

    @Test(arguments: integers)
    func integersAreExact(value: UInt64, expected: String) {
        var output: [UInt8] = []
        PrometheusText.appendDecimal(value, to: &output)
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }

    static let doubleCases: [(Double, String)] = [
        (.infinity, "+Inf"), (-.infinity, "-Inf"), (.nan, "NaN"),
        (1.0, "1"), (0.1, "0.1"), (-2.5, "-2.5"), (1e-7, "1e-07"), (123.456, "123.456"),
    ]

    @Test(arguments: doubleCases)
    func doubles(value: Double, expected: String) {
        var output: [UInt8] = []
        PrometheusText.appendDouble(value, to: &output)
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }

    @Test func familiesAndSamplesAreSorted() {
        func sample(_ customer: String, _ reason: String) -> MetricSample {
            MetricSample(labels: [MetricLabel("customer", customer), MetricLabel("reason", reason)], value: .integer(1))
        }
        let output = text([
            MetricFamily(name: "b_total", help: "b", type: .counter, samples: [
                sample("none", "A"), sample("10", "B"), sample("10", "A"), sample("2", "Z"), sample("other", "A"),
                sample("invalid", "A"), sample("007", "A"),
            ]),
            MetricFamily(name: "a_total", help: "a", type: .counter, samples: []),
        ])
        #expect(output == """
            # HELP a_total a
            # TYPE a_total counter
            # HELP b_total b
            # TYPE b_total counter
            b_total{customer="2",reason="Z"} 1
            b_total{customer="007",reason="A"} 1
            b_total{customer="10",reason="A"} 1
            b_total{customer="10",reason="B"} 1
            b_total{customer="invalid",reason="A"} 1
            b_total{customer="none",reason="A"} 1
            b_total{customer="other",reason="A"} 1

            """)
    }

    @Test func labelValueOrderIsTransitiveAcrossNumbersAndText() {
        let values = ["9", "10", "5a", "", "0", "00", "invalid", "none", "18446744073709551615", "A"]
        let sorted = values.sorted { LabelValueOrder.compare($0, $1) < 0 }
        #expect(sorted == ["0", "00", "9", "10", "18446744073709551615", "", "5a", "A", "invalid", "none"])
    }

    @Test func sampleWithoutLabels() {
        #expect(text([MetricFamily(name: "x", help: "", type: .gauge, samples: [MetricSample(value: .integer(3))])])
                == "# HELP x \n# TYPE x gauge\nx 3\n")
    }
}
