#!/usr/bin/env python3
"""Writes run.sh's per-target figures into RELIABILITY.md's fuzzing table (between its
markers), keeping the rows of targets not run this time; the file is replaced atomically."""
import datetime
import os
import sys
import tempfile

BEGIN = "<!-- fuzz-table:begin (vmm-core/fuzz/run.sh writes this table) -->"
END = "<!-- fuzz-table:end -->"
HEADER = [
    "| target | executions | seconds | CPU s | cov (edges) | ft (features) | corpus (files / KiB) | crashes | run on |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|",
]
SECTION = """## Fuzzing

Every guest- or file-facing parser has a libFuzzer target in `vmm-core/fuzz/` (harnesses in
`vmm_core::fuzzing`). `vmm-core/fuzz/run.sh` runs them and rewrites this table.

"""


def main(md_path, results_path):
    text = open(md_path).read() if os.path.exists(md_path) else "# Reliability\n\n"
    if BEGIN not in text:
        if "## Fuzzing" in text:
            at = text.index("## Fuzzing")
            nl = text.find("\n\n", at)
            at = len(text) if nl < 0 else nl + 2
            text = text[:at] + BEGIN + "\n" + END + "\n\n" + text[at:]
        else:
            text = text.rstrip("\n") + "\n\n" + SECTION + BEGIN + "\n" + END + "\n"
    head, rest = text.split(BEGIN, 1)
    table, tail = rest.split(END, 1)
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] in ("target", "") or cells[0].startswith("-"):
            continue
        if len(cells) == 8:
            # A row from before the CPU column: its CPU time was not measured.
            cells.insert(3, "–")
        if len(cells) == 9:
            rows[cells[0].strip("`")] = cells
    today = datetime.date.today().isoformat()
    for line in open(results_path):
        t, execs, secs, cpu, cov, ft, files, kib, crashes = line.rstrip("\n").split("\t")
        rows[t] = [f"`{t}`", f"{int(execs):,}", secs, cpu, cov, ft,
                   f"{files} / {kib}", crashes, today]
    body = "\n".join(HEADER + ["| " + " | ".join(rows[k]) + " |" for k in sorted(rows)])
    out = head + BEGIN + "\n" + body + "\n" + END + tail
    d = os.path.dirname(os.path.abspath(md_path))
    fd, tmp = tempfile.mkstemp(prefix=".RELIABILITY.", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(out)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, md_path)
        dfd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    print(f"record: {len(rows)} targets in {md_path}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
