#!/usr/bin/env python3
"""Every project module a target imports must be among its dependencies (directly or through them).

An incremental build forgives a missing one — the module is already built — but a clean clone builds targets in
parallel and fails with "no such module", after minutes of CI. This check fails in a second instead.
"""
import glob
import re
import sys

package = open("Package.swift").read()
targets = {}
for match in re.finditer(
    r'\.(target|testTarget|executableTarget|systemLibrary)\(\s*name:\s*"(\w+)",(.*?)\n\s*\)', package, re.S
):
    kind, name, body = match.groups()
    deps = re.search(r"dependencies:\s*\[(.*?)\]\s*,", body, re.S)
    text = deps.group(1) if deps else ""
    text = re.sub(r"//[^\n]*", "", text)
    products = re.findall(r'\.product\(name:\s*"(\w+)"', text)
    locals_ = [d for d in re.findall(r'"([\w.]+)"', text) if d not in products and "." not in d]
    targets[name] = (kind, locals_)


def reachable(name, seen):
    for dep in targets.get(name, ("", []))[1]:
        if dep not in seen:
            seen.add(dep)
            reachable(dep, seen)
    return seen


import_line = re.compile(
    r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:public\s+|internal\s+|package\s+|private\s+|fileprivate\s+)?"
    r"import\s+(?:struct\s+|class\s+|enum\s+|func\s+|protocol\s+)?(\w+)"
)
problems = []
for name, (kind, _) in targets.items():
    if kind == "systemLibrary":
        continue
    root = "Tests" if kind == "testTarget" else "Sources"
    deps = reachable(name, set())
    for path in sorted(glob.glob(f"{root}/{name}/**/*.swift", recursive=True)):
        for number, line in enumerate(open(path, encoding="utf-8"), 1):
            found = import_line.match(line)
            if found and found.group(1) in targets and found.group(1) != name and found.group(1) not in deps:
                problems.append(f"{path}:{number}: imports {found.group(1)}, which target {name} does not depend on")
if problems:
    print("\n".join(problems) + "\nAdd the module to the target's dependencies in Package.swift.", file=sys.stderr)
    sys.exit(1)
