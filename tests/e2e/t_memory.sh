# t_memory.sh — memory stays flat whatever the input size: a generated 1 GiB stream piped
# through pluck must peak below 64 MiB of RSS (read from the process via wait4, not timed).
# The stream is generated once and fed to both queries at the same time (tee into a FIFO), each
# pluck measured on its own.
# Skipped under SANITIZE=1, where ASan's shadow memory makes RSS meaningless.
if [ "${SANITIZE:-}" = 1 ]; then
    echo "  (memory test skipped under sanitizers)"
else
    M="$E2E_TMP/mem"
    mkdir -p "$M"
    mkfifo "$M/fifo"
    q1="SELECT * FROM S3Object s WHERE s.status = 'FAIL' AND s.temperature > 450"
    q2="SELECT COUNT(*), SUM(s.temperature), MAX(s.sensor_id) FROM S3Object s"
    "$TOOLS/rssof" "$PLUCK" -H "$q1" <"$M/fifo" >"$M/1.out" 2>"$M/1.err" &
    _mp=$!
    "$TOOLS/gencsv" 1G | tee "$M/fifo" | "$TOOLS/rssof" "$PLUCK" -H "$q2" >"$M/2.out" 2>"$M/2.err"
    rc2=$?
    wait "$_mp"
    rc1=$?
    for i in 1 2; do
        eval "q=\$q$i rc=\$rc$i"
        kib=$(sed -n 's/^maxrss_kib //p' "$M/$i.err")
        echo "  peak RSS ${kib:-?} KiB for: $q"
        cond "memory: exit 0 for $q" [ "$rc" = 0 ]
        cond "memory: peak RSS ${kib:-?} KiB < 65536 KiB" [ "${kib:-999999}" -lt 65536 ]
        cond "memory: produced output" [ -s "$M/$i.out" ]
    done
    rm -rf "$M"
fi
