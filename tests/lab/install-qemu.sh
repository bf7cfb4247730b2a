#!/usr/bin/env bash
# Install QEMU (qemu-system-x86) for vmdesk's real-Linux lab and benchmarks on
# Debian 12 (bookworm) from bookworm-backports.
#
# Why backports: the lab needs QEMU's TCG with emulated AMD SVM + nested paging
# (tested with 10.0.2), and on images that already carry qemu-utils from
# bookworm-backports, bookworm's own qemu-system-x86 (7.2) conflicts with it.
#
# What it does (as root):
#   1. if no apt source lists the "<codename>-backports" suite yet, writes
#      /etc/apt/sources.list.d/backports.sources with the mirror URI and the
#      Signed-By key taken from /etc/apt/sources.list.d/debian.sources
#   2. apt-get update
#   3. apt-get install -y --no-install-recommends -t <codename>-backports qemu-system-x86
#
# Usage: install-qemu.sh [--dry-run]      (--dry-run: print the commands only)
# On other distributions: install a QEMU >= 8 that has qemu-system-x86_64 with
# TCG and virtfs (9p) support, e.g. Ubuntu 24.04: apt-get install qemu-system-x86.
set -euo pipefail

dry=0
source_only=0
case "${1:-}" in
    --dry-run) dry=1 ;;
    # Only add the backports apt source and print the suite: for tests/setup.sh, which runs
    # apt-get update once and installs everything itself.
    --source-only) source_only=1 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) echo "install-qemu: unknown argument: $1" >&2; exit 2 ;;
esac

say() { printf '%s\n' "install-qemu: $*" >&2; }
die() { printf '%s\n' "install-qemu: error: $*" >&2; exit 1; }
run() {
    printf '+ %s\n' "$*" >&2
    [ "$dry" -eq 1 ] || "$@"
}

# shellcheck disable=SC1091
. /etc/os-release
codename="${VERSION_CODENAME:-}"
if [ "${ID:-}" != debian ] || [ -z "$codename" ]; then
    die "this helper knows Debian only (this is ${PRETTY_NAME:-unknown}); install qemu-system-x86 (QEMU >= 8) with your package manager"
fi
suite="$codename-backports"

if [ "$dry" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root (sudo $0), or see the commands with --dry-run"
fi

src=/etc/apt/sources.list.d/debian.sources
if grep -rqsw -- "$suite" /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; then
    say "an apt source for $suite exists already: $(grep -rlsw -- "$suite" /etc/apt/sources.list /etc/apt/sources.list.d/ | tr '\n' ' ')"
else
    [ -r "$src" ] || die "no $src to take the mirror from; add a $suite source by hand (see https://backports.debian.org/Instructions/)"
    # The stanza whose Suites list the release itself (not -security): its URIs and Signed-By.
    read -r uri key < <(awk -v rel="$codename" '
        function flush() { if (has && uri != "") { print uri, key; done = 1 } uri = ""; key = ""; has = 0 }
        done { next }
        /^[ \t]*$/ { flush(); next }
        /^URIs:/ { uri = $2 }
        /^Signed-By:/ { key = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == rel) has = 1 }
        END { if (!done) flush() }' "$src")
    [ -n "${uri:-}" ] || die "found no stanza for suite '$codename' in $src"
    key="${key:-/usr/share/keyrings/debian-archive-keyring.gpg}"
    say "adding /etc/apt/sources.list.d/backports.sources: $uri $suite main"
    text="Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: $key
"
    if [ "$dry" -eq 1 ]; then
        printf '+ cat >/etc/apt/sources.list.d/backports.sources <<EOF\n%sEOF\n' "$text" >&2
    else
        printf '%s' "$text" >/etc/apt/sources.list.d/backports.sources
    fi
fi

if [ "$source_only" -eq 1 ]; then
    echo "$suite"
    exit 0
fi
run apt-get update
run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -t "$suite" qemu-system-x86
if [ "$dry" -eq 0 ]; then
    qemu-system-x86_64 --version | head -n 1 >&2
fi
