import TocsinAudit
/// The audit entry hash (docs/admin-protocol.md, `AuditEntry`) as Python, for the tests that play an insider who
/// can write the database and recomputes the chain with the documented layout: both formats, so such a rewrite
/// passes the chain check and only what guards beyond it (signatures, the heads record) can catch it.
public enum AuditLayoutScript {
    /// Defines `entry_hash(prev, seq, t, kind, uid, pid, subject, node, detail)`; `node` None is format 1.
    public static let entryHash = """
        import hashlib
        def entry_hash(prev, seq, t, kind, uid, pid, subject, node, detail):
            fields = [prev, str(seq), str(t), kind, "-" if uid is None else str(uid), "-" if pid is None else str(pid), subject]
            if node is not None: fields = ["tocsin-audit/v2"] + fields + [node]
            return hashlib.sha256("\\n".join(fields + [detail]).encode()).hexdigest()
        """
}
