# t_python.sh — the Python package (python/, built in place by `make python`): its tests in
# tests/python/ compare with the CLI's bytes, Python's decimal, boto3 against `pluck serve`,
# and RSS; tests/python/test_dask.py runs pluck.dask on a LocalCluster of two worker
# processes.  Debian's interpreter with python3-boto3, -distributed, -pandas (scripts/deps.sh);
# one count per test.
PY=/usr/bin/python3
if ! ls "$ROOT"/python/pluck/_pluck*.so >/dev/null 2>&1; then
    cond "python: the extension is built (make python)" false
else
    PLUCK=$PLUCK DATA=$DATA TOOLS=$TOOLS ROOT=$ROOT PYTHONDONTWRITEBYTECODE=1 \
        timeout 600 "$PY" "$ROOT/tests/python/run.py" test_pluck test_dask 2>&1 | sed 's/^/  /'
fi
