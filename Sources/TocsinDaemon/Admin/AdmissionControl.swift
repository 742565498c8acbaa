import Synchronization

/// Who may hold admin connections and unfinished request bytes, by role, so that anyone able to connect cannot
/// crowd out a live send.
///
/// Roles are known at accept (SO_PEERCRED, SO_PEERGROUPS). Root, operators and approvers share a pool of their
/// own. Everyone else — auditors, monitors and callers in no role — is budgeted per uid (connections, and bytes of
/// requests received but not yet handled) and all together, so a flood from one of them leaves the privileged
/// pool untouched and holds a few megabytes at most.
final class AdmissionControl: Sendable {
    struct Limits: Sendable {
        /// Connections of root, operators and approvers together.
        var privilegedConnections = 512
        /// Connections of all low-privilege callers together.
        var lowPrivilegeConnections = 128
        /// Unfinished request bytes of all low-privilege callers together.
        var lowPrivilegeBytes = 16 << 20
        /// Per uid with a read-only role (auditor, monitor).
        var readOnlyConnectionsPerUID = 16
        var readOnlyBytesPerUID = 4 << 20
        /// Per uid in no role: every request it makes is refused, so a little is enough to be told so.
        var noRoleConnectionsPerUID = 8
        /// At least one request line of the maximum size (1 MiB), so even a caller in no role sending one gets its answer.
        var noRoleBytesPerUID = 2 << 20
    }

    enum Tier: Sendable { case privileged, readOnly, noRole }

    /// A held connection; give it back with `release`.
    struct Ticket: Sendable {
        let uid: UInt32
        let tier: Tier
    }

    let limits: Limits
    private struct State {
        var privileged = 0
        var lowConnections = 0
        var lowBytes = 0
        var perUID: [UInt32: (connections: Int, bytes: Int)] = [:]
    }
    private let state = Mutex(State())

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    static func tier(of caller: Principal) -> Tier {
        if !caller.isLowPrivilege { return .privileged }
        return caller.roles.isEmpty ? .noRole : .readOnly
    }

    /// Takes a connection slot for `caller`, or says why not (a sentence for the caller).
    func admit(_ caller: Principal) -> Result<Ticket, RefusedConnection> {
        let tier = Self.tier(of: caller)
        let uid = caller.uid
        return state.withLock { state in
            switch tier {
            case .privileged:
                guard state.privileged < limits.privilegedConnections else {
                    return .failure(.init("tocsind is already serving \(limits.privilegedConnections) admin connections of operators and approvers"))
                }
                state.privileged += 1
            case .readOnly, .noRole:
                let perUID = tier == .noRole ? limits.noRoleConnectionsPerUID : limits.readOnlyConnectionsPerUID
                let held = state.perUID[uid]?.connections ?? 0
                guard held < perUID else {
                    return .failure(.init("tocsind already serves \(perUID) admin connections of \(caller.displayName), the most one caller without an operator or approver role may hold"))
                }
                guard state.lowConnections < limits.lowPrivilegeConnections else {
                    return .failure(.init("tocsind is already serving \(limits.lowPrivilegeConnections) admin connections of callers without an operator or approver role"))
                }
                state.lowConnections += 1
                state.perUID[uid, default: (0, 0)].connections += 1
            }
            return .success(Ticket(uid: uid, tier: tier))
        }
    }

    func release(_ ticket: Ticket) {
        state.withLock { state in
            switch ticket.tier {
            case .privileged:
                state.privileged -= 1
            case .readOnly, .noRole:
                state.lowConnections -= 1
                state.perUID[ticket.uid]?.connections -= 1
                Self.forgetIfIdle(ticket.uid, in: &state)
            }
        }
    }

    /// Takes `bytes` more of the ticket's byte budget; false (and nothing taken) when they do not fit.
    func reserve(_ bytes: Int, for ticket: Ticket) -> Bool {
        guard ticket.tier != .privileged, bytes > 0 else { return true }
        let perUID = ticket.tier == .noRole ? limits.noRoleBytesPerUID : limits.readOnlyBytesPerUID
        return state.withLock { state in
            let held = state.perUID[ticket.uid]?.bytes ?? 0
            guard held + bytes <= perUID, state.lowBytes + bytes <= limits.lowPrivilegeBytes else { return false }
            state.lowBytes += bytes
            state.perUID[ticket.uid, default: (0, 0)].bytes += bytes
            return true
        }
    }

    func giveBack(_ bytes: Int, for ticket: Ticket) {
        guard ticket.tier != .privileged, bytes > 0 else { return }
        state.withLock { state in
            state.lowBytes -= bytes
            state.perUID[ticket.uid]?.bytes -= bytes
            Self.forgetIfIdle(ticket.uid, in: &state)
        }
    }

    /// Figures for tests and logs: connections held (privileged, low-privilege) and low-privilege bytes.
    var usage: (privileged: Int, lowPrivilege: Int, lowPrivilegeBytes: Int) {
        state.withLock { ($0.privileged, $0.lowConnections, $0.lowBytes) }
    }

    private static func forgetIfIdle(_ uid: UInt32, in state: inout State) {
        if let entry = state.perUID[uid], entry.connections <= 0, entry.bytes <= 0 { state.perUID[uid] = nil }
    }
}

/// Why a connection was refused for load.
struct RefusedConnection: Error, Sendable {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// One connection's share of its caller's byte budget: the bytes of its unfinished line (held by the frame
/// decoder) and of lines decoded but not yet handled (queued for the request loop).
///
/// Shared by the decoder (on the event loop) and the request loop (on a task), hence the lock. Closed when the
/// decoder leaves the pipeline; from then on every call is a no-op and nothing more is held.
final class ConnectionAccount: Sendable {
    private struct State {
        var ticket: AdmissionControl.Ticket?
        var partial = 0
        var queued = 0
        var closed = false
    }
    private let admission: AdmissionControl
    private let state = Mutex(State())

    init(admission: AdmissionControl) {
        self.admission = admission
    }

    /// Binds the account to its admitted caller; before that (and for privileged callers) nothing is counted.
    func attach(_ ticket: AdmissionControl.Ticket) {
        state.withLock { $0.ticket = ticket }
    }

    /// The unfinished line is now `bytes` long; false when that exceeds the caller's budget.
    func holdPartial(_ bytes: Int) -> Bool {
        state.withLock { state in
            guard !state.closed, let ticket = state.ticket else { return true }
            if bytes > state.partial {
                guard admission.reserve(bytes - state.partial, for: ticket) else { return false }
            } else {
                admission.giveBack(state.partial - bytes, for: ticket)
            }
            state.partial = bytes
            return true
        }
    }

    /// A line of `bytes` left the unfinished part and waits for the request loop.
    func queueLine(_ bytes: Int) {
        state.withLock { state in
            guard !state.closed, state.ticket != nil else { return }
            let moved = min(bytes, state.partial)
            state.partial -= moved
            state.queued += moved
        }
    }

    /// The request loop took a line of `bytes`: its bytes are free again.
    func consumed(_ bytes: Int) {
        state.withLock { state in
            guard !state.closed, let ticket = state.ticket else { return }
            let freed = min(bytes, state.queued)
            state.queued -= freed
            admission.giveBack(freed, for: ticket)
        }
    }

    /// The connection is gone: everything it held is given back.
    func close() {
        state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            if let ticket = state.ticket { admission.giveBack(state.partial + state.queued, for: ticket) }
            state.partial = 0
            state.queued = 0
        }
    }
}
