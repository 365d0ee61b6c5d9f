#!/usr/bin/env python3
"""Rejects #includes that break the layering of docs/ARCHITECTURE.md (STYLE.md 4).

Each component under src/ may include only its own headers, the facade-level headers of the
components it may depend on, and never another component's internal/ headers.
Usage: tools/check_layering.py [SRC_DIR]; exits 1 and lists violations.
"""
import os
import re
import sys

ALLOWED = {
    "base": set(),
    "model": {"base"},
    "parse": {"base", "model"},
    "query": {"base", "model"},
    "store": {"base", "model"},
    "net": {"base"},
    "http": {"base", "net"},
    "sampling": {"base", "model"},
    "graph": {"base", "model", "store"},
    "groups": {"base", "model", "query", "store"},
    "search": {"base", "model", "query", "store"},
    "analysis": {"base", "model", "parse", "query", "store", "search", "groups", "metrics"},
    "metrics": {"base", "model", "store"},
    "insights": {"base", "model", "parse", "graph", "groups", "metrics", "store"},
    "api": {"base", "model", "parse", "query", "store", "search", "graph", "groups", "sampling",
            "metrics", "insights", "analysis", "http"},
    "ingest": {"base", "model", "parse", "net", "http", "sampling", "store", "metrics"},
    "ui": {"base", "http"},
    "cli": {"base", "model", "parse", "http"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    components = {name for name in os.listdir(src) if os.path.isdir(os.path.join(src, name))}
    violations = []
    for component in sorted(components):
        for root, _, files in os.walk(os.path.join(src, component)):
            for name in files:
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as handle:
                    for number, line in enumerate(handle, 1):
                        match = INCLUDE.match(line)
                        if not match:
                            continue
                        target = match.group(1).split("/")[0]
                        if target not in components or target == component:
                            continue
                        allowed = ALLOWED.get(component)
                        if allowed is not None and target not in allowed:
                            violations.append(f"{path}:{number}: {component} may not include {match.group(1)}")
                        elif "/internal/" in match.group(1):
                            violations.append(f"{path}:{number}: {match.group(1)} is private to {target}")
    for violation in violations:
        print(violation)
    print(f"check_layering: {len(violations)} violations")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
