#!/bin/bash
# Side-by-side timing of the mastering engine against xorriso, genisoimage and
# `cat` of the same bytes, on a generated tree of 400 incompressible files
# (about 1.6 GB), warm cache, best of N runs. Prints the ratios of the issue's
# quality bar (engine <= 0.7x xorriso, <= 1.2x cat).
#
# usage: tests/iso/bench.sh [path/to/kslint]   (default: target/release/kslint)
# env:   BENCH_DIR (default /tmp/kslint-iso-bench), RUNS (default 3)
set -euo pipefail
bin=${1:-target/release/kslint}
dir=${BENCH_DIR:-/tmp/kslint-iso-bench}
runs=${RUNS:-3}
tree=$dir/tree
mkdir -p "$dir"
if [ ! -f "$dir/.complete" ]; then
    rm -rf "$tree"
    mkdir -p "$tree/isolinux" "$tree/Packages"
    if [ -f /usr/lib/ISOLINUX/isolinux.bin ]; then
        cp /usr/lib/ISOLINUX/isolinux.bin "$tree/isolinux/"
    else
        head -c 40960 /dev/urandom > "$tree/isolinux/isolinux.bin"
    fi
    for i in $(seq -w 1 400); do
        head -c 4000000 /dev/urandom > "$tree/Packages/package-$i-1.0-1.el9.x86_64.rpm"
    done
    touch "$dir/.complete"
fi
bytes=$(du -sb "$tree" | cut -f1)
echo "tree: $tree, $bytes bytes, $(find "$tree" -type f | wc -l) files"
cat $(find "$tree" -type f | sort) > /dev/null   # warm the page cache

mk=(-R -J -V BENCH -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table)
best() {   # best wall time of $runs runs of "$@", output removed before each run
    local b=999999 t
    for _ in $(seq 1 "$runs"); do
        rm -f "$dir"/out.*
        local s=$(date +%s.%N)
        "$@" > /dev/null 2>&1
        t=$(echo "$(date +%s.%N) - $s" | bc)
        b=$(echo "if ($t < $b) $t else $b" | bc)
    done
    echo "$b"
}
catall() { find "$tree" -type f -print0 | sort -z | xargs -0 cat > "$dir/out.cat"; }
engine() { "$bin" build-iso "$tree" -o "$dir/out.iso" --volume-id BENCH --no-implant-md5 -q; }
engine_md5() { "$bin" build-iso "$tree" -o "$dir/out.iso" --volume-id BENCH -q; }

t_cat=$(best catall)
t_eng=$(best engine)
t_md5=$(best engine_md5)
t_xor=-; t_gen=-
command -v xorriso >/dev/null && t_xor=$(best xorriso -as mkisofs -o "$dir/out.x" "${mk[@]}" "$tree")
command -v genisoimage >/dev/null && t_gen=$(best genisoimage -quiet -o "$dir/out.g" "${mk[@]}" "$tree")
rm -f "$dir"/out.*
rss=-
if [ -x /usr/bin/time ]; then
    rss=$(/usr/bin/time -f %M "$bin" build-iso "$tree" -o "$dir/out.iso" --volume-id BENCH --no-implant-md5 -q 2>&1 | tail -n 1)
    rm -f "$dir"/out.*
fi
printf '%-34s %8s s\n' "cat tree > one file" "$t_cat" "kslint build-iso (no md5)" "$t_eng" \
    "kslint build-iso (implantisomd5)" "$t_md5" "xorriso -as mkisofs" "$t_xor" "genisoimage" "$t_gen"
echo "kslint max RSS: $rss KiB"
ratio() { [ "$2" = - ] && echo - || echo "scale=2; $1 / $2" | bc; }
echo "ratio engine/xorriso:     $(ratio "$t_eng" "$t_xor")  (target <= 0.7)"
echo "ratio engine/cat:         $(ratio "$t_eng" "$t_cat")  (target <= 1.2)"
echo "ratio engine+md5/cat:     $(ratio "$t_md5" "$t_cat")"
echo "ratio engine/genisoimage: $(ratio "$t_eng" "$t_gen")"
