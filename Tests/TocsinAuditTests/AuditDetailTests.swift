import Foundation
import Testing
import TocsinAudit

struct AuditDetailTests {
    static func parse(_ json: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        return try #require(object as? [String: Any])
    }

    @Test(arguments: [
        #"plain"#,
        #"she said "evacuate""#,
        #"back\slash and \" both"#,
        "line one\nline two\r\n\ttabbed",
        "bell \u{7} escape \u{1B}[31m nul \u{0} unit \u{1F}",
        "accents: Évacuation — pavillon des sciences 🚒",
        "</script><script>alert(1)</script>",
        "line\u{2028}separator",
    ])
    func stringValuesRoundTripThroughJSON(value: String) throws {
        var detail = AuditDetail()
        detail.set("text", value)
        detail.set("key \"with\" quotes\n", value)
        let json = detail.json
        let object = try Self.parse(json)
        #expect(object["text"] as? String == value)
        #expect(object["key \"with\" quotes\n"] as? String == value)
        // Compact and on one line, as the audit and its exports need.
        #expect(!json.unicodeScalars.contains { $0.value < 0x20 })
    }

    @Test func controlCharactersUseShortOrUnicodeEscapes() {
        var detail = AuditDetail()
        detail.set("v", "a\"b\\c\nd\u{1}e")
        #expect(detail.json == #"{"v":"a\"b\\c\nd\u0001e"}"#)
    }

    @Test func numbersBooleansRawJSONAndMissingValues() throws {
        var detail = AuditDetail()
        detail.set("status", 503)
        detail.set("missing", nil as Int?)
        detail.set("absent", nil as String?)
        detail.set("misconfiguration", true)
        detail.set("approved", false)
        detail.setJSON("channels", #"["ops","teams"]"#)
        let json = detail.json
        #expect(json == #"{"status":503,"misconfiguration":true,"approved":false,"channels":["ops","teams"]}"#)
        let object = try Self.parse(json)
        #expect(object["status"] as? Int == 503)
        #expect(object["misconfiguration"] as? Bool == true)
        #expect(object["channels"] as? [String] == ["ops", "teams"])
        #expect(object["missing"] == nil)
    }

    /// Text that needs no escape is copied whole, a value that needs one is escaped byte by byte, in the same
    /// exactly sized string: the plain fields come out the same either way.
    @Test(arguments: [nil, "a \"quoted\" word"] as [String?])
    func plainAndEscapedDetailsWriteTheSameFields(extra: String?) throws {
        var detail = AuditDetail()
        detail.set("delivery", "msg_s34ey7fdjt43wtgb77cgerwrva")
        detail.set("channel", "Pavillon des sciences 🚒")
        detail.set("min", Int(Int64.min))
        detail.set("max", Int(Int64.max))
        detail.set("zero", 0)
        detail.set("negative", -42)
        detail.set("late", false)
        detail.setJSON("raw", #"{"a":[1,2]}"#)
        detail.set("empty", "")
        detail.set("extra", extra)
        let plain = #"{"delivery":"msg_s34ey7fdjt43wtgb77cgerwrva","channel":"Pavillon des sciences 🚒","min":-9223372036854775808,"#
            + #""max":9223372036854775807,"zero":0,"negative":-42,"late":false,"raw":{"a":[1,2]},"empty":"""#
        #expect(detail.json == plain + (extra == nil ? "}" : #","extra":"a \"quoted\" word"}"#))
        #expect(try Self.parse(detail.json)["min"] as? Int == Int(Int64.min))
    }

    @Test func keyValuePairsKeepTheirOrderAndSkipNil() {
        let detail = AuditDetail(["template": "evacuation", "route": nil, "by": "mtremblay"])
        #expect(detail.json == #"{"template":"evacuation","by":"mtremblay"}"#)
    }

    @Test func emptyDetailIsAnEmptyObject() throws {
        #expect(AuditDetail().json == "{}")
        #expect(try Self.parse(AuditDetail().json).isEmpty)
    }
}
