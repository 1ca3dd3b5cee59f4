# t_casemap.sh — src/exec/casemap.c (UPPER/LOWER's table) is exactly what
# scripts/gen_casemap.py makes from the installed UnicodeData.txt (Debian unicode-data), so the
# committed table and its generator cannot drift apart.

if [ ! -f /usr/share/unicode/UnicodeData.txt ] || ! command -v python3 >/dev/null 2>&1; then
    cond "casemap: unicode-data and python3 are installed (scripts/deps.sh)" false
else
    python3 "$ROOT/scripts/gen_casemap.py" --output "$E2E_TMP/casemap.c"
    cond "casemap: src/exec/casemap.c is what scripts/gen_casemap.py generates" \
        cmp -s "$E2E_TMP/casemap.c" "$ROOT/src/exec/casemap.c"
fi
