import TocsinDisplay

/// Times on the pages: the console's local time with its offset (`TZ` of tocsin-web's unit), as the CLI shows them.
enum LocalTime {
    static func show(_ rfc3339: String) -> String { TimeDisplay.format(rfc3339) }
}
