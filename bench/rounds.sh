# bench/rounds.sh — sourced by the bench scripts: interleaved timing rounds and medians.
#
#   rounds W RUNS KEY CMD [KEY CMD ...]   RUNS rounds; in each, every CMD runs once, in turn
#                                         (so a burst of load from other processes hits all of
#                                         them alike); appends "wall cpu rss" (cpu = user +
#                                         system, rss = peak RSS in KiB) to W/times.KEY
#   med W KEY COLUMN                      the median of column 1 (wall) or 2 (CPU)
rounds() {
    _w=$1 _runs=$2
    shift 2
    _i=1
    while [ $_i -lt $# ]; do
        eval "rm -f \"\$_w/times.\${$_i}\""
        _i=$((_i + 2))
    done
    _r=0
    while [ $_r -lt "$_runs" ]; do
        _r=$((_r + 1))
        _i=1
        while [ $_i -lt $# ]; do
            eval "_key=\${$_i}; _cmd=\${$((_i + 1))}"
            /usr/bin/time -f "%e %U %S %M" -o "$_w/t1" sh -c "$_cmd"
            awk '{ printf "%s %.3f %d\n", $1, $2 + $3, $4 }' "$_w/t1" >>"$_w/times.$_key"
            _i=$((_i + 2))
        done
        echo "round $_r done, load $(cut -d' ' -f1 /proc/loadavg)" >&2
    done
}

med() { sort -n -k"$3" "$1/times.$2" | awk -v c="$3" '{ a[NR] = $c } END { print a[int((NR + 1) / 2)] }'; }
