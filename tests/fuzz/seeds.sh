# Sourced by replay.sh and run.sh: make_seeds OUTDIR writes one packed seed
# input per target variant, from datasets the fixture generator writes.
make_seeds() {
  local out=$1 gen="$OMSI_BUILDDIR/omsi-gen" replay="$OMSI_BUILDDIR/tests/fuzz/fuzz_replay"
  local work; work=$(mktemp -d "${TMPDIR:-/tmp}/omsi-seeds-XXXXXX")
  mkdir -p "$out"/{img,imzml,mzml,bruker_tree,bruker_spotlist,query}
  printf -- '--format\nimzml\n--mz\n445.5\n--ppm\n5' >"$out/query/seed1"
  printf -- '--meta\ntissue~kid\n--meta\npolarity=positive\n--text\ntumour kidney\n--json' >"$out/query/seed2"
  printf -- '--since\n2024-01-01T10:00\n--until\n1795478400\n--state\nfailed\n--limit\n5\n--offset\n2' >"$out/query/seed3"
  printf -- '--instrument=Orbitrap\n--min-pixels=100\n--all-versions\n--csv' >"$out/query/seed4"
  # The audit's hostile arguments: limit + 1 and offset + limit overflow,
  # no words for FTS5, FTS5 operators and quotes, dates that do not exist.
  printf -- '--limit\n9223372036854775807' >"$out/query/seed5"
  printf -- '--limit=9223372036854775807\n--offset=9223372036854775807\n--state\npending' >"$out/query/seed6"
  printf -- '--limit\n9223372036854775808\n--offset\n-1' >"$out/query/seed7"
  printf -- '--text\n' >"$out/query/seed8"
  printf -- '--text\n NEAR("a" b) AND " OR * ^ {names}:x\n--limit\n1' >"$out/query/seed9"
  printf -- '--since\n2026-02-30\n--until\n2026-01-01T23:59:60' >"$out/query/seed10"
  printf -- '--text=...\n--since\n2024-02-29T24:00' >"$out/query/seed11"
  # issue 13: repeated formats and keys (OR), the alias, --sort, --count, prefixes, kid*
  printf -- '--format\nimg\n--format\nbrukerflex\n--meta\nk=a\n--meta\nk~b\n--meta\nj=c\n--sort\n-pixels,path,+mz_max' >"$out/query/seed14"
  printf -- '--count\n--text\nkid* *x* "y*\n--instrument\n%%_\n--form=mzml\n--json' >"$out/query/seed15"
  printf -- '--sort=ingested,-source,dataset,format,name,mz_min,spectra,intensity,version\n--ndjson\n--columns\npath' >"$out/query/seed16"
  local i=0
  for args in "--dtype int16" "--dtype float32 --big-endian" "--dtype float64 --variant hdr384"; do
    i=$((i + 1)); rm -rf "$work"/*
    $gen img "$work" --stem d --shape 3 2 20 $args >/dev/null 2>&1 &&
      $replay --pack img "$work" "$out/img/seed$i" 2>/dev/null || true
  done
  i=0
  for variant in "" processed "processed,zlib,gaps" "refgroups,missing=2,origin=3"; do
    i=$((i + 1)); rm -rf "$work"/*
    $gen imzml "$work" --stem d --shape 3 2 20 --dtype $([ $i = 4 ] && echo int32 || echo float32) \
      ${variant:+--variant $variant} >/dev/null 2>&1 &&
      $replay --pack imzml "$work" "$out/imzml/seed$i" 2>/dev/null || true
  done
  i=0
  for variant in "" "scantypes=3" "scantypes=2,zlib,coords=ims" "coords=bruker,gaps" "coords=none,nofilter"; do
    i=$((i + 1)); rm -rf "$work"/*
    $gen mzml "$work" --stem d --shape 3 2 20 ${variant:+--variant $variant} >/dev/null 2>&1 &&
      $replay --pack mzml "$work" "$out/mzml/seed$i" 2>/dev/null || true
  done
  rm -rf "$work"/*
  if $gen brukerflex "$work" --stem run --shape 2 1 16 >/dev/null 2>&1; then
    # the generator's spot names may differ from the target's fixed names
    local spots; spots=$(cd "$work/run" && ls -d *R*X*Y* 2>/dev/null | sort | head -2)
    set -- $spots
    if [ $# -eq 2 ]; then
      mkdir -p "$work/pack/run"
      cp -r "$work/run/$1" "$work/pack/run/0_R00X000Y000"
      cp -r "$work/run/$2" "$work/pack/run/0_R00X001Y000"
      printf '# X-pos Y-pos spot-name region\n0 0 R00X000Y000 area one\n' >"$work/pack/run_spot_list.txt"
      $replay --pack bruker_tree "$work/pack" "$out/bruker_tree/seed1" 2>/dev/null || true
      $replay --pack bruker_spotlist "$work/pack" "$out/bruker_spotlist/seed1" 2>/dev/null || true
    fi
  fi
  rm -rf "$work"
}
