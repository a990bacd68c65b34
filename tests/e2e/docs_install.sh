#!/bin/sh
# make install DESTDIR=DIR puts the man pages in man1/man5/man8, the bash
# completions where bash-completion looks, the README and guides in docdir;
# the installed completions load in bash (complete -p) and complete.
. "${OMSI_SRCDIR:-.}/tests/e2e/lib.sh"
T=docs_install
D=$work/root
MAKEFLAGS= MFLAGS= MAKELEVEL= make -s --no-print-directory -C "$builddir" install DESTDIR="$D" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; fail "$T: make install DESTDIR failed"; }
# The Makefile's directory variables, expanded the way make does.
expand() { MAKEFLAGS= MFLAGS= MAKELEVEL= make -s --no-print-directory -C "$builddir" -f - print <<MK
include Makefile
print:
	@echo \$($1)
MK
}
mandir=$(expand mandir); docdir=$(expand docdir); compdir=$(expand bashcompletiondir)
[ -n "$mandir" ] && [ -n "$docdir" ] && [ -n "$compdir" ] || fail "$T: cannot read the install folders"
for f in man1/omsi-catalog.1 man1/omsi-convert.1 man5/omsi-watchd.conf.5 man8/omsi-watchd.8; do
    [ -s "$D$mandir/$f" ] || fail "$T: $mandir/$f not installed"
done
for f in README.md watchd.md layout.md manpages.md; do
    [ -s "$D$docdir/$f" ] || fail "$T: $docdir/$f not installed"
done
echo "$T: man pages in $mandir, docs in $docdir, completions in $compdir"

command -v bash >/dev/null 2>&1 || { echo "SKIP: $T: bash not found (completions not tried)"; exit 77; }
for prog in omsi-catalog omsi-convert omsi-watchd; do
    [ -s "$D$compdir/$prog" ] || fail "$T: $compdir/$prog not installed"
    out=$(bash -c '. "$1" && complete -p "$2"' sh "$D$compdir/$prog" "$prog" 2>&1) ||
        fail "$T: sourcing $prog's completion: $out"
    case $out in
        "complete -F _"*" $prog") ;;
        *) fail "$T: complete -p $prog says '$out'" ;;
    esac
done
main=/usr/share/bash-completion/bash_completion
if [ -r "$main" ]; then
    # complete a word like bash would (bash-completion's _init_completion)
    try() { # file word... -> the candidates for the last word
        bash -c '. "$1"; . "$2"; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
                 COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                 f=$(complete -p "$1" | sed "s/.*-F \([^ ]*\).*/\1/"); $f "$1" "${@: -1}" "${@: -2:1}"
                 echo "${COMPREPLY[*]}"' sh "$main" "$@"
    }
    got=$(try "$D$compdir/omsi-watchd" omsi-watchd --check-c)
    [ "$got" = "--check-config" ] || fail "$T: omsi-watchd --check-c completes to '$got'"
    got=$(try "$D$compdir/omsi-catalog" omsi-catalog --catalog x.sqlite qu)
    [ "$got" = "query" ] || fail "$T: omsi-catalog ... qu completes to '$got'"
    got=$(try "$D$compdir/omsi-catalog" omsi-catalog query --form)
    [ "$got" = "--format" ] || fail "$T: omsi-catalog query --form completes to '$got'"
    got=$(try "$D$compdir/omsi-convert" omsi-convert --format im)
    [ "$got" = "img imzml" ] || fail "$T: omsi-convert --format im completes to '$got'"
    echo "$T: completions work"
else
    echo "$T: $main not found (Debian package bash-completion): completions only loaded"
fi
echo "PASS: $T"
