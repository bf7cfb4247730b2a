#!/usr/bin/env bash
# Builds the desktop entry packaging/io.github.vmdesk.Vmdesk.desktop from its template (.desktop.in)
# and the Fluent strings in packaging/desktop-strings/<lang>.ftl.
#
#   packaging/gen-desktop.sh            writes the desktop file
#   packaging/gen-desktop.sh --check    fails if the strings are incomplete or the committed
#                                       desktop file is not what the template and strings give
#   packaging/gen-desktop.sh --stdout   prints it
#
# A template line `Key=@message-id@` becomes `Key=<English text>` followed by one
# `Key[<lang>]=<text>` line per other language (sorted). Every language must define exactly the
# message ids that en.ftl defines, each a single line without placeables ({ }) or backslashes.
# Needs only bash and awk.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
id="io.github.vmdesk.Vmdesk"
template="$here/$id.desktop.in"
out="$here/$id.desktop"
strings="$here/desktop-strings"
mode="${1:-write}"

# Prints "id<TAB>value" for each message of a Fluent file; fails on anything this script does not
# support (multi-line messages, attributes, placeables, terms, duplicates).
parse_ftl() {
  awk -v file="$1" '
    /^[ \t]*$/ || /^#/ { next }
    /^[a-z][a-z0-9-]*[ \t]*=/ {
      id = $0; sub(/[ \t]*=.*/, "", id)
      val = $0; sub(/^[^=]*=[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
      if (val == "") { printf "%s:%d: %s: empty or multi-line message (not supported here)\n", file, NR, id > "/dev/stderr"; bad = 1; next }
      if (val ~ /[{}]/) { printf "%s:%d: %s: placeables ({ }) are not supported here\n", file, NR, id > "/dev/stderr"; bad = 1; next }
      if (val ~ /\\/) { printf "%s:%d: %s: backslashes are not supported here\n", file, NR, id > "/dev/stderr"; bad = 1; next }
      if (id in seen) { printf "%s:%d: %s: defined twice\n", file, NR, id > "/dev/stderr"; bad = 1; next }
      seen[id] = 1; printf "%s\t%s\n", id, val; next
    }
    { printf "%s:%d: not a single-line message: %s\n", file, NR, $0 > "/dev/stderr"; bad = 1 }
    END { exit bad }
  ' "$1"
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
[ -f "$strings/en.ftl" ] || { echo "gen-desktop: $strings/en.ftl is missing" >&2; exit 1; }
langs=()
for f in "$strings"/*.ftl; do
  lang="$(basename "$f" .ftl)"
  parse_ftl "$f" > "$tmp/$lang.tsv"
  [ "$lang" = en ] || langs+=("$lang")
done
# Same message ids everywhere.
cut -f1 "$tmp/en.tsv" | sort > "$tmp/en.ids"
status=0
for lang in "${langs[@]}"; do
  cut -f1 "$tmp/$lang.tsv" | sort > "$tmp/$lang.ids"
  missing="$(comm -23 "$tmp/en.ids" "$tmp/$lang.ids" | tr '\n' ' ')"
  extra="$(comm -13 "$tmp/en.ids" "$tmp/$lang.ids" | tr '\n' ' ')"
  if [ -n "$missing" ]; then echo "gen-desktop: $lang.ftl lacks: $missing" >&2; status=1; fi
  if [ -n "$extra" ]; then echo "gen-desktop: $lang.ftl has keys en.ftl does not: $extra" >&2; status=1; fi
done
[ "$status" = 0 ] || exit 1

# Fill the template (values need no escaping: parse_ftl refused backslashes).
awk -F'\t' -v dir="$tmp" -v langs="${langs[*]}" '
  function lookup(lang, id,    line, f, v) {
    f = dir "/" lang ".tsv"; v = ""
    while ((getline line < f) > 0) { split(line, p, "\t"); if (p[1] == id) { v = substr(line, length(id) + 2) } }
    close(f); return v
  }
  BEGIN { n = split(langs, L, " ") }
  match($0, /^[A-Za-z0-9-]+=@[a-z0-9-]+@$/) {
    key = $0; sub(/=.*/, "", key)
    id = $0; sub(/^[^@]*@/, "", id); sub(/@$/, "", id)
    v = lookup("en", id)
    if (v == "") { printf "gen-desktop: template uses @%s@, which en.ftl does not define\n", id > "/dev/stderr"; bad = 1; next }
    print key "=" v
    for (i = 1; i <= n; i++) print key "[" L[i] "]=" lookup(L[i], id)
    next
  }
  /@[a-z0-9-]+@/ { printf "gen-desktop: unsupported template line: %s\n", $0 > "/dev/stderr"; bad = 1; next }
  { print }
  END { exit bad }
' "$template" > "$tmp/out.desktop"

case "$mode" in
  write) cp "$tmp/out.desktop" "$out"; echo "gen-desktop: wrote $out" ;;
  --stdout) cat "$tmp/out.desktop" ;;
  --check)
    if ! diff -u "$out" "$tmp/out.desktop"; then
      echo "gen-desktop: $out is stale: run packaging/gen-desktop.sh" >&2
      exit 1
    fi
    echo "gen-desktop: $id.desktop is up to date (en + ${langs[*]})" ;;
  *) echo "usage: $0 [--check|--stdout]" >&2; exit 2 ;;
esac
