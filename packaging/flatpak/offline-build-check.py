#!/usr/bin/env python3
"""Checks the cargo half of the Flatpak build without Flatpak or network.

Does what flatpak-builder does with cargo-sources.json, taking the .crate files from the local
cargo cache (~/.cargo/registry/cache, filled by any earlier `cargo build` of this workspace)
instead of downloading them: checks each one's sha256 against cargo-sources.json, unpacks it to
cargo/vendor/ in a copy of the work tree, writes the inline files (the checksums, the cargo
config that points at the vendored crates), then runs the manifest's cargo command there with
CARGO_HOME=<copy>/cargo and --offline --locked.

    packaging/flatpak/offline-build-check.py [cargo-sources.json] [-- cargo args]

Default cargo args: the manifest's `build --release --locked -p vmm-core -p vmdesk`; pass
`-- check --locked -p vmm-core -p vmdesk` for a quicker run. It proves that cargo-sources.json
is complete and matches Cargo.lock and that the offline build works; not the runtime, the SDK or
the sandbox, which need Flathub.
"""
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile

root = pathlib.Path(__file__).resolve().parents[2]
args = sys.argv[1:]
cargo_args = ["build", "--release", "--locked", "-p", "vmm-core", "-p", "vmdesk"]
if "--" in args:
    i = args.index("--")
    cargo_args = args[i + 1 :]
    args = args[:i]
sources_path = pathlib.Path(args[0]) if args else root / "packaging/flatpak/cargo-sources.json"
if not sources_path.exists():
    sys.exit(f"offline-build-check: {sources_path} does not exist: generate it first (README.md)")
sources = json.loads(sources_path.read_text())
caches = sorted(pathlib.Path(os.path.expanduser("~/.cargo/registry/cache")).glob("*"))

work = pathlib.Path(tempfile.mkdtemp(prefix="vmdesk-flatpak-"))
tree = work / "vmdesk"
print(f"offline-build-check: copying the work tree to {tree}")
shutil.copytree(root, tree, ignore=shutil.ignore_patterns("target", ".git", ".flatpak-builder"))

archives = inline = 0
for s in sources:
    dest = tree / s["dest"]
    if s["type"] == "archive":
        name = s["url"].rsplit("/", 1)[1]
        found = next((c / name for c in caches if (c / name).exists()), None)
        if found is None:
            sys.exit(f"offline-build-check: {name} is not in the local cargo cache (run a cargo build first)")
        data = found.read_bytes()
        if hashlib.sha256(data).hexdigest() != s["sha256"]:
            sys.exit(f"offline-build-check: {name}: sha256 differs from cargo-sources.json")
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(found) as t:
            for m in t.getmembers():
                # flatpak-builder strips the archive's single top folder.
                parts = pathlib.PurePosixPath(m.name).parts[1:]
                if not parts:
                    continue
                m.name = str(pathlib.PurePosixPath(*parts))
                t.extract(m, dest, filter="data") if hasattr(tarfile, "data_filter") else t.extract(m, dest)
        archives += 1
    elif s["type"] == "inline":
        dest.mkdir(parents=True, exist_ok=True)
        (dest / s["dest-filename"]).write_text(s["contents"])
        inline += 1
    else:
        sys.exit(f"offline-build-check: source type {s['type']} is not handled here")
print(f"offline-build-check: {archives} crates unpacked and checked, {inline} inline files")

env = dict(os.environ, CARGO_HOME=str(tree / "cargo"), CARGO_NET_OFFLINE="true")
# The toolchain comes from rustup's own home, not from the CARGO_HOME we replaced.
env.setdefault("RUSTUP_HOME", os.path.expanduser("~/.rustup"))
cargo = shutil.which("cargo") or "cargo"
cmd = [cargo, "--offline", *cargo_args]
print("offline-build-check: CARGO_HOME=cargo", " ".join(cmd[1:]))
rc = subprocess.call(cmd, cwd=tree, env=env)
if rc == 0:
    print(f"offline-build-check: PASS (work folder {work}, removed)")
    shutil.rmtree(work)
else:
    print(f"offline-build-check: FAIL: cargo exited with {rc}; the work folder stays: {work}")
sys.exit(rc)
