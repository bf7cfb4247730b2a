#!/usr/bin/env python3
"""The bad-input campaign (issue 17) as a script: hostile inputs for every area of vmdesk-vmm,
bounded and local (files, Unix sockets; nothing leaves the machine).

    python3 tests/campaign/campaign.py --short            # CI: about a minute
    python3 tests/campaign/campaign.py --full --vmm target/release/vmdesk-vmm
    python3 tests/campaign/campaign.py --short --seed 1234 --areas api,vnc

Per area it prints inputs tried, crashes (a panic, a signal we did not send, an exit status the
VMM never uses), hangs (no answer within a bound), data lost (an acknowledged snapshot gone or
unrestorable, a file overwritten through a path it should have refused), wrong answers (a
forbidden backing file accepted, a disk error not logged) and leaks (fds/threads, log flood).
Exits 1 when any is found, with the seed and the inputs kept under --keep; 0 otherwise. An area
that cannot run here prints SKIP and why (with VMDESK_REQUIRE_TOOLS=1 / VMDESK_REQUIRE_KVM=1
that is a failure).
"""

import argparse
import os
import random
import shutil
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib import Area, find_guest, find_vmm, have, tmpdir  # noqa: E402
import areas_api  # noqa: E402
import areas_input  # noqa: E402
import areas_vm  # noqa: E402

AREAS = {
    "configs": (areas_input.area_configs, None),
    "disks": (areas_input.area_disks, "qemu-img"),
    "api": (areas_api.area_api, "kvm"),
    "vnc": (areas_api.area_vnc, "kvm"),
    "snapshots": (areas_vm.area_snapshots, "kvm"),
    "kill9": (areas_vm.area_kill9, "kvm"),
    "fullfs": (areas_vm.area_fullfs, "kvm"),
    "many": (areas_vm.area_many, "kvm"),
}


def missing(need):
    if need == "kvm":
        if not os.access("/dev/kvm", os.R_OK | os.W_OK):
            return "no usable /dev/kvm", "VMDESK_REQUIRE_KVM"
    elif need and not have(need):
        return f"{need} not installed (apt-get install qemu-utils)", "VMDESK_REQUIRE_TOOLS"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--short", action="store_const", dest="size", const="short")
    g.add_argument("--full", action="store_const", dest="size", const="full")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--vmm", help="vmdesk-vmm to test (default: $VMDESK_VMM or target/{release,debug})")
    ap.add_argument("--areas", default=",".join(AREAS), help="comma-separated: " + ",".join(AREAS))
    ap.add_argument("--keep", help="where reproducers go (default: a new folder in /tmp)")
    args = ap.parse_args()
    size = args.size or "short"
    seed = args.seed if args.seed is not None else int(time.time()) % 100000
    vmm = find_vmm(args.vmm)
    guest = find_guest(vmm)
    keep = args.keep or tmpdir(f"found-{seed}")
    print(f"campaign: --{size} seed {seed}; vmm {vmm}; guest {guest}", flush=True)
    results, failed = [], False
    t_all = time.monotonic()
    for name in args.areas.split(","):
        fn, need = AREAS[name]
        area = Area(name, keep)
        results.append(area)
        why = missing(need)
        if why:
            area.skipped = why[0]
            print(f"SKIP {name}: {why[0]}", flush=True)
            if os.environ.get(why[1]) == "1":
                print(f"FAIL {name}: {why[0]} ({why[1]}=1)", flush=True)
                failed = True
            continue
        # Each area has its own generator: one area's inputs do not shift another's.
        rng = random.Random(f"{seed}-{name}")
        work = tmpdir(name)
        t0 = time.monotonic()
        try:
            fn(area, vmm, guest, work, rng, size)
        except areas_api.StopArea:
            pass
        except Exception:
            area.finding("crashes", "the campaign itself failed: " + traceback.format_exc()[-800:])
        area.seconds = time.monotonic() - t0
        if not area.bad():
            shutil.rmtree(work, ignore_errors=True)
        else:
            area.notes.append(f"work folder kept: {work}")
        print(f"  {name}: {area.tried} inputs in {area.seconds:.1f} s", flush=True)
    print(report(results, seed, size, time.monotonic() - t_all))
    bad = sum(a.bad() for a in results)
    if bad or failed:
        print(f"\nFAIL: {bad} findings. Reproduce: python3 {sys.argv[0]} --{size} --seed {seed} "
              f"--areas {','.join(a.name for a in results if a.bad()) or args.areas}; inputs kept in {keep}")
        return 1
    shutil.rmtree(keep, ignore_errors=True)
    return 0


def report(results, seed, size, total):
    rows = ["", f"| area | inputs tried | crashes | hangs | data lost | wrong answers | leaks | s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for a in results:
        if a.skipped:
            rows.append(f"| {a.name} | SKIP: {a.skipped} | | | | | | |")
            continue
        rows.append(f"| {a.name} | {a.tried} | {a.crashes} | {a.hangs} | {a.lost} | {a.wrong} | "
                    f"{a.leaks} | {getattr(a, 'seconds', 0):.0f} |")
    rows.append(f"\nseed {seed}, --{size}, {total:.0f} s in all")
    for a in results:
        if a.outcomes:
            ends = ", ".join(f"{k}: {v}" for k, v in sorted(a.outcomes.items(), key=str))
            rows.append(f"- {a.name}: outcomes (exit status or reply) {ends}")
        for n in a.notes:
            rows.append(f"- {a.name}: {n}")
        for kind, what, kept in a.findings:
            rows.append(f"- {a.name} {kind.upper()}: {what}")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
