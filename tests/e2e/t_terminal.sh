# t_terminal.sh — pluck at a real terminal (tmux, a pseudo-terminal with its own screen):
#  - a gzip query with the progress bar at 120 and at 50 columns: every result row is intact
#    in the captured pane (rows and the bar never share a line; a bar sized to the terminal
#    never wraps into extra lines), and no trace of the bar is left at the end;
#  - the bar is drawn below the rows while the input stalls, and Ctrl-C clears it;
#  - live output with no flag: at a terminal the first record shows before the writer resumes.
# Every wait is a bounded poll of the pane (0.2 s steps), with seconds of margin for a loaded
# machine.  The expected rows come from grep over the plain CSV (gencsv), not from pluck.
if ! command -v tmux >/dev/null 2>&1; then
    echo "FAIL terminal: tmux is not installed (scripts/deps.sh)"; _count fail
else
T="$E2E_TMP/term"
mkdir -p "$T"
TMUX_SOCK="pluck-e2e-$$"
printf 'set -g history-limit 100000\nset -g status off\n' >"$T/tmux.conf"
STEP=0   # each pane gets its own tmux server, so no step waits on the last one's exit
tm() { tmux -L "$TMUX_SOCK-$STEP" -f "$T/tmux.conf" "$@"; }
"$TOOLS/gencsv" 200M >"$T/big.csv"
grep -E '^s007,[^,]*,[^,]*,FAIL$' "$T/big.csv" >"$T/want"
gzip -1 -c "$T/big.csv" >"$T/big.csv.gz"
rm -f "$T/big.csv"
SQL="SELECT * FROM S3Object WHERE sensor_id = 's007' AND status = 'FAIL'"
cond "terminal: the query has rows to show ($(wc -l <"$T/want"))" [ "$(wc -l <"$T/want")" -gt 500 ]

# pane_wait PATTERN SECONDS: poll until the pane holds PATTERN
pane_wait() {
    _pw=0
    while [ $_pw -lt $(($2 * 5)) ]; do
        tm capture-pane -p -J -S - -E - -t t >"$T/pane" 2>/dev/null
        grep -q -- "$1" "$T/pane" && return 0
        sleep 0.2
        _pw=$((_pw + 1))
    done
    return 1
}

# rows_of PANE: the pane's lines that are not blank and not the EXIT= marker
rows_of() { grep -v '^EXIT=' "$1" | sed '/^[[:space:]]*$/d'; }

# the commands run in the pane come from scripts, so the SQL's quotes need no escaping
cat >"$T/file.sh" <<EOS
"$PLUCK" -H --threads 1 --progress "$SQL" "$T/big.csv.gz"; echo EXIT=\$?; sleep 120
EOS
cat >"$T/stall.sh" <<EOS
trap 'true' INT   # the shell outlives Ctrl-C (its children get the default action)
{ head -c 20000000 "$T/big.csv.gz"; sleep 1; tail -c +20000001 "$T/big.csv.gz"; sleep 60; } | "$PLUCK" -H --progress "$SQL"; echo EXIT=\$?; sleep 120
EOS
# the writer holds its second record back until the first shows in its own pane (polled every
# 0.2 s, at most 10 s; no fixed pause) and notes that it saw it there before resuming
cat >"$T/live.sh" <<EOS
{ echo a,FAIL; i=0; while [ \$i -lt 50 ]; do
      if tmux -L "$TMUX_SOCK-\$LIVE_STEP" -f "$T/tmux.conf" capture-pane -p -J -S - -E - -t t | grep -qx a; then
          : >"$T/early"; break
      fi
      sleep 0.2; i=\$((i + 1))
  done; echo b,FAIL; } | "$PLUCK" "SELECT _1 FROM S3Object"; echo EXIT=\$?; sleep 120
EOS
for width in 120 50; do
    STEP=$((STEP + 1))
    tm new-session -d -s t -x "$width" -y 40 "sh '$T/file.sh'"
    tm pipe-pane -t t -o "cat >>'$T/raw$width'"
    cond "terminal $width: pluck ends (60 s)" pane_wait '^EXIT=' 60
    rows_of "$T/pane" >"$T/got$width"
    file_eq "terminal $width: every row intact, no bar left" "$T/want" "$T/got$width"
    cond "terminal $width: EXIT=0" grep -qx 'EXIT=0' "$T/pane"
    tm kill-server 2>/dev/null
done

# a stalled input: the bar stays below the rows; Ctrl-C clears it (the writer pauses 1 s
# first, so the run is past the bar's first half second whatever the machine's speed)
STEP=$((STEP + 1))
tm new-session -d -s t -x 50 -y 40 "sh '$T/stall.sh'"
cond "terminal: all rows are out while the input stalls (60 s)" pane_wait "^$(tail -n 1 "$T/want")\$" 60
cond "terminal: the bar shows below the rows (10 s)" pane_wait 'MB/s' 10
cond "terminal: ... on the last line" sh -c "sed '/^[[:space:]]*\$/d' '$T/pane' | tail -n 1 | grep -q 'MB/s'"
cond "terminal: ... the bar fits in 50 columns" [ "$(awk 'length > 49' "$T/pane" | wc -l)" = 0 ]
tm send-keys -t t C-c
cond "terminal: Ctrl-C ends pluck (10 s)" pane_wait '^EXIT=130' 10
cond "terminal: Ctrl-C cleared the bar" sh -c "! grep -q 'MB/s' '$T/pane'"
rows_of "$T/pane" >"$T/gotc"
file_eq "terminal: rows intact after Ctrl-C" "$T/want" "$T/gotc"
tm kill-server 2>/dev/null

# live output at a terminal, no flag
rm -f "$T/early"
STEP=$((STEP + 1))
tm new-session -d -s t -x 80 -y 20 "LIVE_STEP=$STEP sh '$T/live.sh'"
cond "terminal: live output: all records (10 s)" pane_wait '^EXIT=0' 15
cond "terminal: live output: the first record before the writer resumed" [ -e "$T/early" ]
tm kill-server 2>/dev/null
# a terminal's standard input: a one-line hint, then records typed in are read
cat >"$T/stdin.sh" <<EOS
"$PLUCK" "SELECT _2 FROM S3Object"; echo EXIT=\$?; sleep 120
EOS
STEP=$((STEP + 1))
tm new-session -d -s t -x 100 -y 20 "sh '$T/stdin.sh'"
cond "terminal: stdin hint shown (10 s)" pane_wait 'reading CSV from the terminal (standard input): type records and end with Ctrl-D' 10
tm send-keys -t t 'x,typed' Enter C-d
cond "terminal: a typed record is read, Ctrl-D ends it (10 s)" pane_wait '^EXIT=0' 10
cond "terminal: ... its field is output" grep -qx 'typed' "$T/pane"
tm kill-server 2>/dev/null
rm -f "$T/big.csv.gz"
fi
