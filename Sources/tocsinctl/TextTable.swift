/// Columns aligned for whatever they hold (issue 16, item 4): each column as wide as its longest cell, two spaces
/// between columns, the last column left unpadded. A channel named with 40 characters or a long recipient pushes
/// the next column right instead of running into it (`discord-etudiants—`).
struct TextTable {
    private var rows: [[String]] = []

    init(header: [String]? = nil) {
        if let header { rows.append(header) }
    }

    mutating func add(_ cells: [String]) { rows.append(cells) }

    /// The rows as lines, each starting with `indent`.
    func lines(indent: String = "  ") -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            var line = indent
            for (index, cell) in row.enumerated() {
                let last = index == row.count - 1
                line += last ? cell : Console.pad(cell, widths[index]) + "  "
            }
            // A row with an empty last cell would end in spaces.
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }
}
