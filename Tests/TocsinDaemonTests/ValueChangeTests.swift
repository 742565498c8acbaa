import Testing
import TocsinProtocol

struct ValueChangeTests {
    @Test func movedAndTypedValuesAreListedUnchangedAndDefaultsAreNot() {
        let changes = ValueChange.between(
            previous: ["building": "Pavillon B", "assembly_point": "Stationnement P1"],
            current: ["building": "Pavillon B", "assembly_point": "Stationnement P3", "info_url": "https://cegep.example/urgence", "note": "Gymnase"],
            given: ["assembly_point", "note"]
        )
        #expect(changes == [
            ValueChange(name: "assembly_point", before: "Stationnement P1", after: "Stationnement P3"),
            ValueChange(name: "note", before: nil, after: "Gymnase"),
        ])
        #expect(ValueChange.between(previous: ["a": "1"], current: ["a": "1"], given: ["a"]).isEmpty, "typed again, the same value")
    }
}
