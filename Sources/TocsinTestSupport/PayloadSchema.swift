import Foundation

/// `docs/webhook-payload.schema.json`, checked with Python's `jsonschema` (Draft 2020-12), for tests that validate
/// webhook bodies against the documented contract.
public enum PayloadSchema {
    public static var path: String { PackagePaths.root.appendingPathComponent("docs/webhook-payload.schema.json").path }

    /// Checks the schema itself, then validates each body twice: against the schema as published (which lets
    /// receivers ignore fields added later) and against a strict copy that refuses any field the schema does not
    /// describe, so a field added to the payload without documenting it fails too.
    ///
    /// Prints `{"name": ["where: problem", …], …}`; an empty list means the body validates.
    static let validator = #"""
        import copy, json, os, sys
        from jsonschema import Draft202012Validator

        schema = json.load(open(sys.argv[1], encoding="utf-8"))
        Draft202012Validator.check_schema(schema)

        def close(node):
            if isinstance(node, dict):
                if node.get("type") == "object" and "properties" in node:
                    node.setdefault("additionalProperties", False)
                for value in node.values():
                    close(value)
            elif isinstance(node, list):
                for value in node:
                    close(value)

        strict = copy.deepcopy(schema)
        close(strict)
        checkers = [Draft202012Validator(schema), Draft202012Validator(strict)]
        result = {}
        for name in sorted(os.listdir(sys.argv[2])):
            with open(os.path.join(sys.argv[2], name), encoding="utf-8") as file:
                document = json.load(file)
            problems = set()
            for checker in checkers:
                for error in checker.iter_errors(document):
                    where = "/".join(str(part) for part in error.absolute_path) or "(root)"
                    problems.add(f"{where}: {error.message}")
            result[name] = sorted(problems)
        print(json.dumps(result))
        """#

    /// The problems of each body by name (every name given is in the result; an empty list means valid).
    /// Throws when Python, `jsonschema` or the schema itself is broken.
    public static func problems(of bodies: [String: [UInt8]]) async throws -> [String: [String]] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-schema-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, body) in bodies {
            try Data(body).write(to: folder.appendingPathComponent(name))
        }
        let result = try await runCommand("/usr/bin/env", ["python3", "-c", validator, path, folder.path])
        guard result.status == 0,
            let parsed = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String]]
        else {
            throw TestSupportError("the schema check did not run (is python3-jsonschema installed? scripts/install-deps.sh):\n\(result)")
        }
        return parsed
    }
}
