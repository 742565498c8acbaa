import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TocsinCore
import TocsinAudit

/// The heads file: one JSON line per signed head, accepted gap or problem found (`AuditHeadRecord`), appended and
/// fsynced, never rewritten. It lives in a folder of its own (0750, file 0640) so that it can be put on storage the
/// state folder's writers cannot edit, or made append-only (`chattr +a`).
struct HeadsLog: Sendable {
    let path: String

    var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Every record in the file, oldest first; nothing when there is no file yet.
    func read() throws(HeadsLogError) -> [AuditHeadRecord] {
        guard exists else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HeadsLogError("cannot read the audit heads file \(path) (check its owner and permissions)")
        }
        return AuditHeadRecord.parse(lines: String(decoding: data, as: UTF8.self))
    }

    /// Appends `record` as one line and waits for it to reach the disk.
    func append(_ record: AuditHeadRecord) throws(HeadsLogError) {
        let folder = (path as NSString).deletingLastPathComponent
        let created = !exists
        if created {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750]
                )
            } catch {
                throw HeadsLogError("cannot create the folder of the audit heads file \(folder): \(error.localizedDescription)")
            }
        }
        // O_APPEND: each line lands whole at the end, whatever else holds the file open; never through a link.
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw HeadsLogError("cannot open the audit heads file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let line = Array((record.jsonLine + "\n").utf8)
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else {
            throw HeadsLogError("cannot write the audit heads file \(path): \(String(cString: strerror(errno)))")
        }
        if created {
            // The new file's name must survive a power loss too.
            let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dir >= 0 { _ = fsync(dir); close(dir) }
        }
    }
}

struct HeadsLogError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
