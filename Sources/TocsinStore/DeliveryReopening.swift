/// A failed delivery reopened by `resend`: back to `pending` with a fresh deadline, its attempts and payload kept.
///
/// The store applies it only to a delivery that is still `failed` when the transaction runs, and fails the whole
/// write otherwise (``StoreError/Code/constraint``): two resends at once, or a resend racing anything else that
/// changed the delivery, never send it twice.
public struct DeliveryReopening: Sendable, Hashable {
    public var id: String
    public var deadlineAt: Int64
    public var updatedAt: Int64

    public init(id: String, deadlineAt: Int64, updatedAt: Int64) {
        self.id = id
        self.deadlineAt = deadlineAt
        self.updatedAt = updatedAt
    }
}
