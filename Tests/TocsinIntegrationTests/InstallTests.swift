import Foundation
import Testing
import TocsinTestSupport

/// `make install` / `make uninstall` with PREFIX and DESTDIR, staged in a temp folder.
@Suite(.serialized, .integration) struct InstallTests {
    @Test(.enabled(if: required(FileManager.default.isExecutableFile(atPath: "/usr/bin/make")), "needs make"))
    func installStagesEverythingAndNeverOverwritesAConfig() async throws {
        let stage = try TemporaryDirectory()
        defer { stage.remove() }
        try stage.write("etc/tocsin/tocsin.yaml", "# the administrator's own config\n")
        let arguments = [
            "-C", PackagePaths.root.path, "--no-print-directory", "install-files",
            "DESTDIR=\(stage.path)", "PREFIX=/usr/local", "SYSCONFDIR=/etc", "INSTALL_BIN_DIR=\(PackagePaths.binaries.path)",
        ]
        let install = try await runCommand("/usr/bin/make", arguments)
        #expect(install.status == 0, "\(install)")
        for file in [
            "usr/local/bin/tocsind", "usr/local/bin/tocsinctl", "usr/local/lib/systemd/system/tocsind.service",
            "usr/local/lib/systemd/system/tocsind.socket", "usr/local/lib/sysusers.d/tocsin.conf",
            "usr/local/lib/tmpfiles.d/tocsin.conf", "usr/local/share/bash-completion/completions/tocsinctl",
            "usr/local/share/doc/tocsin/runbooks/README.md", "usr/local/share/doc/tocsin/monitoring/tocsin-alerts.yml", "etc/tocsin/templates/evacuation.yaml",
        ] {
            #expect(FileManager.default.fileExists(atPath: stage.file(file)), "installed \(file)")
        }
        let unit = try String(contentsOfFile: stage.file("usr/local/lib/systemd/system/tocsind.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/tocsind"), "units point at the PREFIX")
        #expect(try String(contentsOfFile: stage.file("etc/tocsin/tocsin.yaml"), encoding: .utf8) == "# the administrator's own config\n")
        #expect(try String(contentsOfFile: stage.file("usr/local/share/bash-completion/completions/tocsinctl"), encoding: .utf8).contains("tocsinctl"))

        let uninstall = try await runCommand("/usr/bin/make", ["-C", PackagePaths.root.path, "--no-print-directory", "uninstall", "DESTDIR=\(stage.path)", "PREFIX=/usr/local"])
        #expect(uninstall.status == 0, "\(uninstall)")
        #expect(!FileManager.default.fileExists(atPath: stage.file("usr/local/bin/tocsind")))
        #expect(FileManager.default.fileExists(atPath: stage.file("etc/tocsin/tocsin.yaml")), "uninstall keeps the config")
    }
}
