import Foundation
import NIOCore

/// Server-Sent Events, one line of JSON per event.
enum ServerSentEvent {
    static func buffer(_ name: String, _ data: [String: String]) -> ByteBuffer {
        let json = (try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return ByteBuffer(string: "event: \(name)\ndata: \(json)\n\n")
    }

    /// A comment line: keeps proxies from closing a quiet stream, and finds a browser that went away.
    static let ping = ByteBuffer(string: ": ping\n\n")
}

/// The console's one script, served from /static/live.js (the CSP allows no other): it follows an unfinished
/// incident's deliveries as they change, and reloads the page once all are final. Pages work without it (the
/// refresh link); it only saves the tap.
enum LiveScript {
    static let source = """
        (function () {
          'use strict';
          var path = location.pathname.replace(/\\/$/, '');
          if (!/^\\/incidents\\/[^/]+$/.test(path) || !window.EventSource) { return; }
          var source = new EventSource(path + '/events');
          source.addEventListener('delivery', function (message) {
            var event = JSON.parse(message.data);
            var row = document.getElementById('delivery-' + event.id);
            if (row) {
              row.className = event.state;
              row.querySelector('.state').textContent = event.word;
              row.lastElementChild.textContent = event.detail;
            }
            var progress = document.getElementById('progress');
            if (progress) { progress.textContent = event.progress; }
          });
          source.addEventListener('end', function () { source.close(); location.reload(); });
          source.addEventListener('stop', function () { source.close(); });
          source.onerror = function () { source.close(); };
        })();

        """
}
