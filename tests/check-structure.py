#!/usr/bin/env python3
"""Checks the code's structure (run by tests/run-all.sh; exit 1 on any finding):

1. no import cycle between modules of vmm-core/src or app/src, taking a module two path levels
   deep (`devices::virtio`, `ui::screen`), from `crate::` paths outside test modules;
2. nothing under app/src/data/ uses iced, and the CLI (app/src/cli*) uses no `crate::ui`: the
   data layer and the CLI must build without the GUI;
3. no Rust file over 800 lines without a reason on one of its first lines (`Over 800 lines: …`).

Written here rather than taken from a crate: cargo-modules and friends need a nightly
toolchain or a full type check, and this needs neither.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATES = ["vmm-core/src", "app/src"]
LONG = 800


def rust_files(src):
    for root, _, files in os.walk(src):
        for f in sorted(files):
            if f.endswith(".rs"):
                yield os.path.join(root, f)


def module_of(src, path):
    parts = os.path.relpath(path, src)[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return "::".join(parts[:2]) or "crate"


def code_of(text):
    """The text without test modules (everything after the first #[cfg(test)]) and comments."""
    text = text.split("#[cfg(test)]")[0]
    return re.sub(r"//[^\n]*", "", text)


def uses(code, dirs):
    """Modules named by `crate::` paths, two levels deep where the first is a folder."""
    out = set()
    for m in re.finditer(r"crate::(\{[^}]*\}|[\w:]+)", code):
        group = m.group(1)
        paths = [p.strip() for p in group[1:-1].split(",")] if group.startswith("{") else [group]
        for p in paths:
            seg = [s for s in p.split("::") if re.match(r"^[a-z_]\w*$", s)]
            if not seg:
                continue
            out.add("::".join(seg[:2]) if seg[0] in dirs and len(seg) > 1 else seg[0])
    return out


def cycles(src):
    dirs = {d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d))}
    graph = {}
    for path in rust_files(src):
        a = module_of(src, path)
        with open(path, encoding="utf-8") as f:
            for b in uses(code_of(f.read()), dirs):
                # A module's own children and parents are not imports between modules.
                if b != a and not a.startswith(b + "::") and not b.startswith(a + "::"):
                    graph.setdefault(a, set()).add(b)
    # Tarjan's strongly connected components; any with two or more modules is a cycle.
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    return found


def main():
    problems = []
    for crate in CRATES:
        src = os.path.join(ROOT, crate)
        for comp in cycles(src):
            problems.append(f"{crate}: import cycle: {' <-> '.join(comp)}")
    data = os.path.join(ROOT, "app/src/data")
    for path in rust_files(data):
        with open(path, encoding="utf-8") as f:
            text = re.sub(r"//[^\n]*", "", f.read())
        for n, line in enumerate(text.splitlines(), 1):
            if re.search(r"\biced(_\w+)?\b", line):
                problems.append(f"{os.path.relpath(path, ROOT)}:{n}: the data layer uses iced")
    app_src = os.path.join(ROOT, "app/src")
    for path in rust_files(app_src):
        rel = os.path.relpath(path, app_src)
        if rel.startswith("cli"):
            with open(path, encoding="utf-8") as f:
                if re.search(r"crate::ui\b", code_of(f.read())):
                    problems.append(f"app/src/{rel}: the CLI uses the GUI (crate::ui)")
    for crate in CRATES + ["vmm-core/tests", "vmm-core/benches", "tests/e2e"]:
        for path in rust_files(os.path.join(ROOT, crate)):
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
            if len(lines) > LONG and not any("Over 800 lines:" in l for l in lines[:5]):
                problems.append(
                    f"{os.path.relpath(path, ROOT)}: {len(lines)} lines and no "
                    "'Over 800 lines: <reason>' on its first lines"
                )
    for p in problems:
        print(p)
    print(f"check-structure: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
