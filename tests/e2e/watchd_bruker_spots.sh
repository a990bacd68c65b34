#!/bin/sh
# End-to-end: a Bruker spot tree copied spot by spot in two halves, with a
# pause longer than the settle time.
#  1. With its spot list (copied first): the listed spots that are missing
#     make the tree incomplete, so it is cataloged once, complete (10 x 10).
#  2. Without a spot list: the first half is cataloged (5 x 10); the second
#     half makes a new version of the same source, never a second source.
#  3. The same when the spot list arrives with the second half: the tree
#     keeps the path it was first cataloged under (its folder).
set -u
. "${OMSI_SRCDIR:-.}/tests/e2e/watchd_lib.sh"
watchd_setup watchd_bruker_spots
case " $(watchd_working_formats) " in
*" brukerflex "*) ;;
*) skip "the Bruker flex generator or reader is not working" ;;
esac

"$GEN" brukerflex "$W/stage/a" --stem runa --shape 10 10 20 --variant spotlist >/dev/null || fail "omsi-gen"
"$GEN" brukerflex "$W/stage/b" --stem runb --shape 10 10 20 >/dev/null || fail "omsi-gen"
"$GEN" brukerflex "$W/stage/c" --stem runc --shape 10 10 20 --variant spotlist >/dev/null || fail "omsi-gen"
# copy_half TREE DEST LOW|HIGH: the spot folders with Y below 5, or the rest.
copy_half() {
    mkdir -p "$2"
    for s in "$1"/*; do
        y=$(basename "$s" | sed 's/.*Y0*\([0-9][0-9]*\)$/\1/')
        if { [ "$3" = low ] && [ "$y" -lt 5 ]; } || { [ "$3" = high ] && [ "$y" -ge 5 ]; }; then
            cp -r "$s" "$2/"
        fi
    done
}
# grid PATH_SUBSTRING: "NX NY COUNT" over the cataloged rows of that path.
grid() {
    "$CATALOG_TOOL" --catalog "$CAT" query --json --limit 100000 | python3 -c 'import json,sys
d = json.load(sys.stdin); rows = d["rows"] if isinstance(d, dict) else d
rows = [r for r in rows if sys.argv[1] in r["path"]]
srcs = {r["source_id"] for r in rows}
big = max(rows, key=lambda r: (r["source_id"], -r["dataset_id"])) if rows else {"shape": [0, 0]}
print(big["shape"][0], big["shape"][1], len(srcs), len({r["path"] for r in rows}))' "$1"
}
has_grid() { [ "$(grid "$1")" = "$2" ]; }

start_daemon --settle 1
mkdir -p "$W/drop/a"
cp "$W/stage/a/runa_spot_list.txt" "$W/drop/a/"
copy_half "$W/stage/a/runa" "$W/drop/a/runa" low
mkdir -p "$W/drop/b"
copy_half "$W/stage/b/runb" "$W/drop/b/runb" low
mkdir -p "$W/drop/c"
copy_half "$W/stage/c/runc" "$W/drop/c/runc" low
# Tree b (no spot list) is cataloged as it is; tree a waits for its spots.
wait_until 30 has_grid runb "10 5 1 1" || fail "first half of runb: $(grid runb) (nx ny sources paths)"
wait_until 30 has_grid runc "10 5 1 1" || fail "first half of runc: $(grid runc) (nx ny sources paths)"
[ "$(grid runa)" = "0 0 0 0" ] || fail "runa cataloged with half of its listed spots: $(grid runa)"
sleep 2
[ "$(grid runa)" = "0 0 0 0" ] || fail "runa cataloged with half of its listed spots: $(grid runa)"
copy_half "$W/stage/a/runa" "$W/drop/a/runa" high
copy_half "$W/stage/b/runb" "$W/drop/b/runb" high
cp "$W/stage/c/runc_spot_list.txt" "$W/drop/c/"
copy_half "$W/stage/c/runc" "$W/drop/c/runc" high
wait_until 30 has_grid runa "10 10 1 1" || fail "runa after the second half: $(grid runa) (nx ny sources paths)"
wait_until 30 has_grid runb "10 10 1 1" || fail "runb after the second half: $(grid runb) (nx ny sources paths)"
wait_until 30 has_grid runc "10 10 1 1" || fail "runc after the second half and its spot list: $(grid runc) (nx ny sources paths)"
say "ok: runa cataloged once complete; the second halves of runb and runc are new versions of the same source"
exit 0
