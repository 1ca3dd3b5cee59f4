# t_live.sh — live output: with --line-buffered, a record reaches standard output as soon as
# the input completing it has been read, while the writer is still pausing (plain text, a
# stream of gzip members, of zstd frames, of bzip2 streams; one thread and two).  The writer
# pauses 4 s after its first record and only then touches a marker: the first output record
# must be there before the marker (polled every 0.1 s, so a loaded machine has seconds of
# margin), and the whole output is checked once the writer is done.  Timing-free otherwise.
T="$E2E_TMP/live"
mkdir -p "$T"

# live NAME ENCODER PLUCK_ARGS...: ENCODER is "cat", "gzip -c", "zstd -q -c", "bzip2 -c"
live() {
    _ln=$1 _le=$2
    shift 2
    rm -f "$T/resumed" "$T/out" "$T/err"
    { printf 'id,msg\n1,FAIL first\n2,ok\n' | $_le; sleep 4; touch "$T/resumed"
      printf '3,FAIL second\n' | $_le; } |
        "$PLUCK" --line-buffered "$@" >"$T/out" 2>"$T/err" &
    _lp=$!
    _li=0 _early=no
    while [ $_li -lt 100 ]; do          # at most 10 s
        if grep -q 'first' "$T/out" 2>/dev/null; then
            [ -e "$T/resumed" ] || _early=yes
            break
        fi
        [ -e "$T/resumed" ] && break
        sleep 0.1
        _li=$((_li + 1))
    done
    wait $_lp
    _lrc=$?
    cond "$_ln: first record out before the writer resumed" [ "$_early" = yes ]
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
rm -f "$T/resumed" "$T/out"
{ echo a; sleep 4; touch "$T/resumed"; echo b; } | "$PLUCK" --line-buffered 'SELECT _1 FROM S3Object' >"$T/out" 2>&1 &
_lp=$!
_li=0
while [ $_li -lt 100 ] && ! grep -q a "$T/out" && [ ! -e "$T/resumed" ]; do sleep 0.1; _li=$((_li + 1)); done
cond "live: a 2-byte first line goes out at once" sh -c "grep -q a '$T/out' && [ ! -e '$T/resumed' ]"
wait $_lp
cond "live: short lines, whole output" [ "$(cat "$T/out")" = "$(printf 'a\nb')" ]
