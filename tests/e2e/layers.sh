#!/bin/sh
# The layering of the tree (docs/layout.md): every #include of a project
# header names its folder, and points down only:
#
#   src/base       <- readers, catalog <- src/writer <- src/view <- src/report <- src/serve
#                  <- src/ingest <- src/cli, src/watchd
#
# base includes nothing of ours; readers and catalog include base; the writer
# includes base and readers; view (reading converted files back for people:
# images, spectra, PNGs) base and writer; ingest all of those and catalog;
# report (the JSON documents) base, catalog, writer, view; serve (the HTTP
# server) those and report; the programs' faces (cli, watchd) anything below
# them, never each other. Also checks that
# every folder's automake fragment is named after the folder.
set -u
srcdir=${OMSI_SRCDIR:-.}
cd "$srcdir" || exit 1

allowed() { # layer -> the folders it may include
    case $1 in
    base) echo "base" ;;
    readers) echo "base readers" ;;
    catalog) echo "base catalog" ;;
    writer) echo "base readers writer" ;;
    ingest) echo "base readers catalog writer view ingest" ;;
    view) echo "base writer view" ;;
    report) echo "base catalog writer view report" ;;
    serve) echo "base catalog writer view report serve" ;;
    cli) echo "base readers catalog writer ingest view report serve cli" ;;
    watchd) echo "base readers catalog writer view ingest report serve watchd" ;;
    esac
}

bad=0
checked=0
for layer in base readers catalog writer view ingest report serve cli watchd; do
    case $layer in readers|catalog) dir=$layer ;; *) dir=src/$layer ;; esac
    [ -d "$dir" ] || { echo "FAIL: $dir is missing"; bad=1; continue; }
    ok=$(allowed "$layer")
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -e "$f" ] || continue
        checked=$((checked + 1))
        # Quoted includes: "folder/name.h" (config.h is the build's own).
        for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
            [ "$inc" = config.h ] && continue
            folder=${inc%%/*}
            if [ "$folder" = "$inc" ]; then
                echo "FAIL: $f: #include \"$inc\" does not name its folder"; bad=1; continue
            fi
            case " $ok " in
            *" $folder "*) ;;
            *) echo "FAIL: $f: #include \"$inc\": $layer may include only: $ok"; bad=1 ;;
            esac
        done
    done
done

# One automake fragment per folder, named after it.
for am in $(find . -name '*.am' ! -name Makefile.am ! -path './_build/*' ! -path './build*' ! -path './omsi-catalog-*'); do
    d=$(dirname "$am"); name=$(basename "$am" .am)
    if [ "$name" != "$(basename "$d")" ]; then
        echo "FAIL: $am: a folder's fragment is named after the folder ($(basename "$d").am)"; bad=1
    fi
    grep -q "include \$(srcdir)/${am#./}\$" Makefile.am || { echo "FAIL: Makefile.am does not include $am"; bad=1; }
done

[ "$checked" -gt 50 ] || { echo "FAIL: only $checked files checked"; bad=1; }
[ "$bad" = 0 ] && echo "layers: $checked files, every include points down"
exit "$bad"
