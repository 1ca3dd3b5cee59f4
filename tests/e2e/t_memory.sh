# t_memory.sh — memory stays flat whatever the input size: a generated 1 GiB stream piped
# through pluck must peak below 64 MiB of RSS (read from the process via wait4, not timed).
# Skipped under SANITIZE=1, where ASan's shadow memory makes RSS meaningless.
if [ "${SANITIZE:-}" = 1 ]; then
    echo "  (memory test skipped under sanitizers)"
else
    for q in "SELECT * FROM S3Object s WHERE s.status = 'FAIL' AND s.temperature > 450" \
             "SELECT COUNT(*), SUM(s.temperature), MAX(s.sensor_id) FROM S3Object s"; do
        "$TOOLS/gencsv" 1G | "$TOOLS/rssof" "$PLUCK" -H "$q" >"$E2E_TMP/mem.out" 2>"$E2E_TMP/mem.err"
        rc=$?
        kib=$(sed -n 's/^maxrss_kib //p' "$E2E_TMP/mem.err")
        echo "  peak RSS ${kib:-?} KiB for: $q"
        cond "memory: exit 0 for $q" [ "$rc" = 0 ]
        cond "memory: peak RSS ${kib:-?} KiB < 65536 KiB" [ "${kib:-999999}" -lt 65536 ]
        cond "memory: produced output" [ -s "$E2E_TMP/mem.out" ]
    done
fi
