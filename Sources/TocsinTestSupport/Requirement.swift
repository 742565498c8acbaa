import Foundation

/// A test's precondition (a tool installed, root): met, or `CI=true`, where a missing tool or privilege must fail
/// the run instead of skipping the test, so a broken install step cannot hide.
///
/// Use as `@Test(.enabled(if: required(Chromium.path != nil), "…"))`.
public func required(_ condition: @autoclosure () -> Bool) -> Bool {
    ProcessInfo.processInfo.environment["CI"] == "true" || condition()
}

/// ``required(_:)`` for a precondition found out by running something (mounting a tmpfs), as the condition of
/// `@Test(.enabled("…") { await required { … } })`, which may await where `.enabled(if:)` may not.
public func required(_ condition: () async throws -> Bool) async rethrows -> Bool {
    if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
    return try await condition()
}
