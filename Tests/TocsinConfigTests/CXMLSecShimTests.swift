import Foundation
import Testing
import TocsinTestSupport

/// SwiftPM drops the `-D` flags of `pkg-config --cflags xmlsec1-openssl` ("prohibited flag(s)", a warning on every
/// build), so the module is built from libxml2's pkg-config with xmlsec's `-I` in Package.swift, and
/// Sources/CXMLSec/shim.h repeats the `-D` flags; they set the library's types (XMLSEC_NO_SIZE_T: `xmlSecSize` is
/// `unsigned int`), and a mismatch would compile and then pass sizes of the wrong width. This keeps them in step.
struct CXMLSecShimTests {
    /// xmlsec1-openssl.pc wherever Debian puts it (its folder is per architecture).
    static func pcFile() -> String? {
        let folders = ["/usr/lib/pkgconfig", "/usr/share/pkgconfig"]
            + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib")) ?? []).map { "/usr/lib/\($0)/pkgconfig" }
        return folders.map { "\($0)/xmlsec1-openssl.pc" }.first(where: FileManager.default.fileExists(atPath:))
    }

    @Test func theShimDefinesWhatPkgConfigGivesTheLibrary() throws {
        let pc = try String(contentsOfFile: try #require(Self.pcFile(), "libxmlsec1-dev is not installed"), encoding: .utf8)
        let cflags = try #require(pc.split(separator: "\n").first { $0.hasPrefix("Cflags:") })
        let defines = cflags.split(separator: " ").filter { $0.hasPrefix("-D") }.map { flag -> (String, String) in
            let parts = flag.dropFirst(2).split(separator: "=", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "1")
        }
        #expect(defines.map(\.0).contains("XMLSEC_NO_SIZE_T"), "\(cflags)")
        let shim = try String(contentsOf: PackagePaths.root.appendingPathComponent("Sources/CXMLSec/shim.h"), encoding: .utf8)
        for (name, value) in defines {
            #expect(shim.contains("#define \(name) \(value)\n"), "shim.h must `#define \(name) \(value)` as pkg-config says: \(cflags)")
        }
    }

    @Test func packageSwiftNamesTheIncludeFoldersPkgConfigGivesTheLibrary() throws {
        let pc = try String(contentsOfFile: try #require(Self.pcFile(), "libxmlsec1-dev is not installed"), encoding: .utf8)
        let cflags = try #require(pc.split(separator: "\n").first { $0.hasPrefix("Cflags:") })
        let prefix = pc.split(separator: "\n").first { $0.hasPrefix("prefix=") }.map { String($0.dropFirst("prefix=".count)) } ?? "/usr"
        let includes = cflags.split(separator: " ").filter { $0.hasPrefix("-I") }
            .map { $0.dropFirst(2).replacingOccurrences(of: "${prefix}", with: prefix) }
        #expect(!includes.isEmpty, "\(cflags)")
        let manifest = try String(contentsOf: PackagePaths.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        for folder in includes {
            #expect(manifest.contains("\"-I\(folder)\""), "Package.swift must pass -I\(folder) as pkg-config says: \(cflags)")
        }
    }
}
