# t_live.sh — live output: with --line-buffered, a record reaches standard output as soon as
# the input completing it has been read, while the writer is still pausing (plain text, a
# stream of gzip members, of zstd frames, of bzip2 streams; one thread and two).  The writer
# holds the rest of its input back after its first record until that record is in the output
# (polled every 0.1 s, for at most 10 s, so a loaded machine has seconds of margin) and
# notes that it saw it there before resuming; the whole output is checked once the writer is
# done.  Timing-free otherwise: no fixed pause, a passing case waits only as long as pluck.
T="$E2E_TMP/live"
mkdir -p "$T"

# hold WORD: (the writer, its input half written) wait until WORD is in $T/out, at most 10 s;
# leaves $T/early when it was there before the writer resumed
hold() {
    _hi=0
    while [ $_hi -lt 100 ]; do
        if grep -q "$1" "$T/out" 2>/dev/null; then
            : >"$T/early"
            break
        fi
        sleep 0.1
        _hi=$((_hi + 1))
    done
}

# live NAME ENCODER PLUCK_ARGS...: ENCODER is "cat", "gzip -c", "zstd -q -c", "bzip2 -c"
live() {
    _ln=$1 _le=$2
    shift 2
    rm -f "$T/early" "$T/out" "$T/err"
    : >"$T/out"
    { printf 'id,msg\n1,FAIL first\n2,ok\n' | $_le; hold first
      printf '3,FAIL second\n' | $_le; } |
        "$PLUCK" --line-buffered "$@" >>"$T/out" 2>"$T/err" &
    _lp=$!
    wait $_lp
    _lrc=$?
    cond "$_ln: first record out before the writer resumed" [ -e "$T/early" ]
    _lgot=$(cat "$T/out")
    cond "$_ln: whole output (got: $_lgot)" [ "$_lgot" = "$(printf '1,FAIL first\n3,FAIL second')" ] 
    cond "$_ln: exit 0, nothing on stderr" [ "$_lrc" = 0 ] && [ ! -s "$T/err" ]
}
Q="SELECT * FROM S3Object WHERE msg LIKE '%FAIL%'"
live "live plain" cat -H "$Q"
live "live plain, one thread" cat --threads 1 -H "$Q"
live "live gzip members" "gzip -c" -H "$Q"
live "live gzip members, one thread" "gzip -c" --threads 1 -H "$Q"
live "live zstd frames" "zstd -q -c" -H "$Q"
live "live bzip2 streams" "bzip2 -c" -H "$Q"

# the first line is shorter than any magic number: it is not held back waiting for more
rm -f "$T/early" "$T/out"
: >"$T/out"
{ echo a; hold a; echo b; } | "$PLUCK" --line-buffered 'SELECT _1 FROM S3Object' >>"$T/out" 2>&1 &
_lp=$!
wait $_lp
cond "live: a 2-byte first line goes out at once" [ -e "$T/early" ]
cond "live: short lines, whole output" [ "$(cat "$T/out")" = "$(printf 'a\nb')" ]
