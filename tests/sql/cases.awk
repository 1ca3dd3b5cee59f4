# cases.awk — split tests/sql/*.test files into one set of files per case (format: README.md).
#
#   awk -v out=DIR -f tests/sql/cases.awk FILE.test ...
#
# For case number N (0001, 0002, ... across all files) it writes into DIR:
#   N.meta    three lines: source file, line of the "===" header, case name
#   N.sql     the SQL text (no trailing newline)
#   N.input   the input bytes
#   N.args    the command-line option words, one a line (absent when none)
#   N.expect  the expected output bytes (absent when the case gives none)
#   N.error   the expected error code name; N.pos "L:C" when a position is given
#   N.message text the error message must contain
#   N.skip    the reason when the case is skipped
# A malformed file is reported as FILE:LINE: message on standard error, exit status 2.

function die(msg) { diepos(msg, FILENAME, FNR) }

function diepos(msg, file, line) {
    printf "%s:%d: %s\n", file, line, msg > "/dev/stderr"
    failed = 1
    exit 2
}

function hexval(c) {
    return index("0123456789abcdef", tolower(c)) - 1
}

# Decode \n \r \t \\ \' \" \xHH.
function unesc(s,    r, i, c, d, h1, h2) {
    r = ""
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c != "\\") { r = r c; continue }
        i++
        d = substr(s, i, 1)
        if (d == "n") r = r "\n"
        else if (d == "r") r = r "\r"
        else if (d == "t") r = r "\t"
        else if (d == "\\" || d == "'" || d == "\"") r = r d
        else if (d == "x") {
            h1 = hexval(substr(s, i + 1, 1)); h2 = hexval(substr(s, i + 2, 1))
            if (h1 < 0 || h2 < 0 || (h1 == 0 && h2 == 0)) die("bad \\x escape in: " s)
            r = r sprintf("%c", h1 * 16 + h2)
            i += 2
        } else die("unknown escape \\" d " in: " s)
    }
    return r
}

# Split option words (blanks separate, '...' literal) into words[1..n]; returns n.
function splitargs(s,    n, i, c, w, inword, inq) {
    n = 0; w = ""; inword = 0; inq = 0
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (inq) {
            if (c == "'") inq = 0; else w = w c
        } else if (c == "'") {
            inq = 1; inword = 1
        } else if (c == " " || c == "\t") {
            if (inword) { words[++n] = w; w = ""; inword = 0 }
        } else {
            w = w c; inword = 1
        }
    }
    if (inq) die("unterminated quote in --options")
    if (inword) words[++n] = w
    return n
}

function put(path, text) {
    printf "%s", text > path
    close(path)
}

# End the current block: store its text in the current case.
function endblock(    k, text, last) {
    if (blk == "") return
    last = nb
    while (last > 0 && blines[last] ~ /^[ \t]*$/) last--
    text = ""
    for (k = 1; k <= last; k++) {
        if (blk == "sql") text = text (k > 1 ? "\n" : "") blines[k]
        else text = text blines[k] "\n"
    }
    if (blk == "input") { c_input = text; c_has_input = 1 }
    else if (blk == "sql") { c_sql = text; c_has_sql = 1 }
    else if (blk == "expect") { c_expect = text; c_has_expect = 1 }
    blk = ""; nb = 0
}

function endcase(    p, k) {
    endblock()
    if (!incase) return
    incase = 0
    if (!c_has_sql) diepos("case '" c_name "' has no --sql", c_path, c_line)
    if (!c_has_expect && c_error == "")
        diepos("case '" c_name "' has neither --expect nor --error", c_path, c_line)
    if ((c_path SUBSEP c_name) in seen) diepos("duplicate case name '" c_name "'", c_path, c_line)
    seen[c_path SUBSEP c_name] = 1
    ncase++
    p = out "/" sprintf("%04d", ncase)
    put(p ".meta", c_file "\n" c_line "\n" c_name "\n")
    put(p ".sql", c_sql)
    put(p ".input", c_has_input ? c_input : "x\n")
    if (c_nargs > 0) {
        for (k = 1; k <= c_nargs; k++) printf "%s\n", c_args[k] > (p ".args")
        close(p ".args")
    }
    if (c_has_expect) put(p ".expect", c_expect)
    if (c_error != "") put(p ".error", c_error)
    if (c_pos != "") put(p ".pos", c_pos)
    if (c_skip != "") put(p ".skip", c_skip)
    if (c_message != "") {
        if (c_error == "") diepos("case '" c_name "' has --message without --error", c_path, c_line)
        put(p ".message", c_message)
    }
}

function newcase(name) {
    endcase()
    incase = 1
    c_name = name; c_line = FNR; c_file = FILENAME; c_path = FILENAME
    sub(/^.*\//, "", c_file)
    c_sql = ""; c_has_sql = 0; c_input = ""; c_has_input = 0
    c_expect = ""; c_has_expect = 0; c_error = ""; c_pos = ""; c_skip = ""; c_nargs = 0
    c_message = ""
}

BEGIN {
    if (out == "") { print "cases.awk: set -v out=DIR" > "/dev/stderr"; exit 2 }
    ncase = 0; blk = ""; nb = 0; incase = 0
}

FNR == 1 && NR > 1 { endcase() }

/^===/ {
    name = substr($0, 4)
    sub(/^[ \t]+/, "", name); sub(/[ \t]+$/, "", name)
    if (name == "") die("case without a name")
    newcase(name)
    next
}

/^--(input|input-raw|options|sql|expect|expect-raw|error|message|skip)([ \t]|$)/ {
    if (!incase) die("directive outside a case")
    endblock()
    kw = $0; sub(/[ \t].*$/, "", kw); kw = substr(kw, 3)
    arg = substr($0, length(kw) + 3)
    sub(/^[ \t]+/, "", arg)
    if (kw != "sql" && kw != "input-raw" && kw != "expect-raw") sub(/[ \t]+$/, "", arg)
    if (kw == "input") {
        if (arg != "") die("--input takes a block on the following lines")
        if (c_has_input) die("two inputs")
        blk = "input"
    } else if (kw == "input-raw") {
        if (c_has_input) die("two inputs")
        c_input = unesc(arg); c_has_input = 1
    } else if (kw == "options") {
        n = splitargs(arg)
        for (k = 1; k <= n; k++) c_args[++c_nargs] = words[k]
    } else if (kw == "sql") {
        if (c_has_sql) die("two --sql")
        if (arg == "") blk = "sql"
        else { c_sql = arg; c_has_sql = 1 }
    } else if (kw == "expect") {
        if (arg != "") die("--expect takes a block on the following lines")
        if (c_has_expect) die("two expectations")
        blk = "expect"
    } else if (kw == "expect-raw") {
        if (c_has_expect) die("two expectations")
        c_expect = unesc(arg); c_has_expect = 1
    } else if (kw == "error") {
        n = split(arg, ew, /[ \t]+/)
        if (n < 1 || n > 2 || ew[1] !~ /^[A-Za-z0-9]+$/) die("--error CODE [LINE:COLUMN]")
        if (n == 2 && ew[2] !~ /^[0-9]+:[0-9]+$/) die("--error position must be LINE:COLUMN")
        c_error = ew[1]; c_pos = (n == 2 ? ew[2] : "")
    } else if (kw == "message") {
        if (arg == "") die("--message needs text")
        c_message = arg
    } else if (kw == "skip") {
        if (arg == "") die("--skip needs a reason")
        c_skip = arg
    }
    next
}

{
    if (blk == "input") { blines[++nb] = $0; next }
    if ($0 ~ /^#/) next
    if (blk != "") { blines[++nb] = $0; next }
    if ($0 ~ /^[ \t]*$/) next
    die("text outside a block: " $0)
}

END {
    if (failed) exit 2
    endcase()
    if (failed) exit 2
}
