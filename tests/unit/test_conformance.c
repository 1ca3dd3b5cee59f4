/*
 * test_conformance.c — the SQL conformance suite (tests/sql/NAME.test, format in
 * tests/sql/README.md) through the public library API.
 *
 * One parameterized test per file.  Each case: options are mapped to parameters with
 * pluck_param_find() + pluck_params_set() (with the CLI's C escapes for character values),
 * the SQL is compiled, and the input is run twice — pushed in one buffer, then fed one byte at
 * a time — and both runs must produce the expected bytes, or fail with the expected S3 error
 * code (and SQL line/column when the case gives one).  Every failing case is reported by name
 * with what was wanted and what came out; skipped cases are counted in the log.
 *
 * Tests run from the repository root (as `make test` does).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>

#include "pluck.h"
#include "cli/escape.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_DIR "tests/sql"
#define MAX_ARGS 32

/* Every tests/sql/NAME.test file (the test conformance::all_files_listed keeps this list
 * complete). */
static const char *const test_files[] = {
    "aggregates", "cast",   "compare",   "csv_input", "errors", "extensions", "functions",
    "like",       "logic",  "names",     "notes",     "operators", "output", "select",
    "timestamps", "sorting", "ext_functions", "numeric",
};
#define N_FILES (sizeof test_files / sizeof test_files[0])

/* ---- growable byte buffer ------------------------------------------------------------ */

typedef struct bytes {
    char *p;
    size_t n, cap;
} bytes;

static void b_add(bytes *b, const void *d, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        cr_assert_not_null(b->p);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, d, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void b_clear(bytes *b) { b->n = 0; if (b->p) b->p[0] = '\0'; }
static void b_free(bytes *b) { free(b->p); memset(b, 0, sizeof *b); }

/* ---- a parsed case ------------------------------------------------------------------- */

typedef struct tcase {
    char name[256];
    int line;
    bytes input, sql, expect;
    bool has_input, has_sql, has_expect;
    char error[96];
    unsigned err_line, err_col; /* 0 when no position is expected */
    char message[256]; /* text the error message must contain */
    char skip[256];
    char *args[MAX_ARGS];
    int nargs;
} tcase;

static void case_free(tcase *c)
{
    b_free(&c->input);
    b_free(&c->sql);
    b_free(&c->expect);
    for (int i = 0; i < c->nargs; i++)
        free(c->args[i]);
    memset(c, 0, sizeof *c);
}

/* The -raw escapes: \n \r \t \\ \' \" \xHH.  Returns false on a bad escape. */
static bool unesc_raw(const char *s, size_t len, bytes *out)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c != '\\') {
            b_add(out, &c, 1);
            continue;
        }
        if (++i >= len)
            return false;
        switch (s[i]) {
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case '\\': case '\'': case '"': c = s[i]; break;
        case 'x': {
            if (i + 2 >= len)
                return false;
            int h1 = pl_cli_hexval(s[i + 1]), h2 = pl_cli_hexval(s[i + 2]);
            if (h1 < 0 || h2 < 0 || (h1 == 0 && h2 == 0))
                return false;
            c = (char)(h1 * 16 + h2);
            i += 2;
            break;
        }
        default: return false;
        }
        b_add(out, &c, 1);
    }
    return true;
}

/* Option words: blanks separate, '...' is literal.  Returns false on an unterminated quote or
 * too many words. */
static bool split_args(tcase *c, const char *s)
{
    bytes w = {0};
    bool inword = false, inq = false, ok = true;
    for (;; s++) {
        char ch = *s;
        if (inq && !ch) {
            ok = false;
            break;
        }
        if (inq) {
            if (ch == '\'')
                inq = false;
            else
                b_add(&w, &ch, 1);
        } else if (ch == '\'') {
            inq = inword = true;
            b_add(&w, "", 0);
        } else if (ch == ' ' || ch == '\t' || ch == '\0') {
            if (inword) {
                if (c->nargs == MAX_ARGS) {
                    ok = false;
                    break;
                }
                c->args[c->nargs++] = strdup(w.p ? w.p : "");
                b_clear(&w);
                inword = false;
            }
            if (!ch)
                break;
        } else {
            b_add(&w, &ch, 1);
            inword = true;
        }
    }
    b_free(&w);
    return ok;
}

/* ---- the file parser ----------------------------------------------------------------- */

typedef struct parser {
    const char *file;
    tcase *cases;
    size_t ncases, cap;
    tcase cur;
    bool incase;
    int blk; /* 0 none, 'i' input, 's' sql, 'e' expect */
    bytes block;  /* lines of the current block, each followed by \n */
    char err[512];
} parser;

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

static void end_block(parser *ps)
{
    if (!ps->blk)
        return;
    /* drop trailing blank lines */
    size_t n = ps->block.n;
    while (n > 0) {
        size_t start = n - 1; /* n-1 is the '\n' of the last line */
        while (start > 0 && ps->block.p[start - 1] != '\n')
            start--;
        if (!is_blank(ps->block.p + start, n - 1 - start))
            break;
        n = start;
    }
    tcase *c = &ps->cur;
    bytes *dst = ps->blk == 'i' ? &c->input : ps->blk == 's' ? &c->sql : &c->expect;
    b_clear(dst);
    b_add(dst, ps->block.p ? ps->block.p : "", ps->blk == 's' && n > 0 ? n - 1 : n);
    if (ps->blk == 'i')
        c->has_input = true;
    else if (ps->blk == 's')
        c->has_sql = true;
    else
        c->has_expect = true;
    ps->blk = 0;
    b_clear(&ps->block);
}

static bool end_case(parser *ps)
{
    end_block(ps);
    if (!ps->incase)
        return true;
    ps->incase = false;
    tcase *c = &ps->cur;
    if (!c->has_sql || (!c->has_expect && !c->error[0]) || (c->message[0] && !c->error[0])) {
        snprintf(ps->err, sizeof ps->err, "%s:%d: case '%s' lacks --sql or an expectation",
                 ps->file, c->line, c->name);
        case_free(c);
        return false;
    }
    for (size_t i = 0; i < ps->ncases; i++)
        if (!strcmp(ps->cases[i].name, c->name)) {
            snprintf(ps->err, sizeof ps->err, "%s:%d: duplicate case name '%s'", ps->file,
                     c->line, c->name);
            case_free(c);
            return false;
        }
    if (!c->has_input) {
        b_add(&c->input, "x\n", 2);
        c->has_input = true;
    }
    if (ps->ncases == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 64;
        ps->cases = realloc(ps->cases, ps->cap * sizeof *ps->cases);
        cr_assert_not_null(ps->cases);
    }
    ps->cases[ps->ncases++] = *c;
    memset(c, 0, sizeof *c);
    return true;
}

static const char *const directives[] = {"input",      "input-raw", "options", "sql",    "expect",
                                         "expect-raw", "error",     "message", "skip"};

/* Returns the directive index when the line is one, else -1; *arg points past it. */
static int directive(const char *line, size_t len, const char **arg, size_t *alen)
{
    if (len < 3 || line[0] != '-' || line[1] != '-')
        return -1;
    size_t k = 2;
    while (k < len && line[k] != ' ' && line[k] != '\t')
        k++;
    for (int d = 0; d < (int)(sizeof directives / sizeof directives[0]); d++) {
        if (k - 2 == strlen(directives[d]) && !memcmp(line + 2, directives[d], k - 2)) {
            while (k < len && (line[k] == ' ' || line[k] == '\t'))
                k++;
            *arg = line + k;
            *alen = len - k;
            return d;
        }
    }
    return -1;
}

#define PFAIL(...)                                                                             \
    do {                                                                                       \
        snprintf(ps->err, sizeof ps->err, __VA_ARGS__);                                        \
        return false;                                                                          \
    } while (0)

static bool parse_line(parser *ps, const char *line, size_t len, int lineno)
{
    tcase *c = &ps->cur;
    if (len >= 3 && !memcmp(line, "===", 3)) {
        if (!end_case(ps))
            return false;
        const char *nm = line + 3;
        size_t nl = len - 3;
        while (nl && (*nm == ' ' || *nm == '\t'))
            nm++, nl--;
        while (nl && (nm[nl - 1] == ' ' || nm[nl - 1] == '\t'))
            nl--;
        if (!nl || nl >= sizeof c->name)
            PFAIL("%s:%d: bad case name", ps->file, lineno);
        memcpy(c->name, nm, nl);
        c->name[nl] = '\0';
        c->line = lineno;
        ps->incase = true;
        return true;
    }
    const char *arg;
    size_t alen;
    int d = directive(line, len, &arg, &alen);
    if (d >= 0) {
        if (!ps->incase)
            PFAIL("%s:%d: directive outside a case", ps->file, lineno);
        end_block(ps);
        const char *kw = directives[d];
        bool raw_arg = !strcmp(kw, "sql") || !strcmp(kw, "input-raw") || !strcmp(kw, "expect-raw");
        if (!raw_arg)
            while (alen && (arg[alen - 1] == ' ' || arg[alen - 1] == '\t'))
                alen--;
        char tmp[1024];
        size_t tlen = alen < sizeof tmp ? alen : sizeof tmp - 1;
        if (!raw_arg && alen >= sizeof tmp)
            PFAIL("%s:%d: directive too long", ps->file, lineno);
        memcpy(tmp, arg, tlen);
        tmp[tlen] = '\0';
        if (!strcmp(kw, "input")) {
            if (alen || c->has_input)
                PFAIL("%s:%d: bad --input", ps->file, lineno);
            ps->blk = 'i';
        } else if (!strcmp(kw, "input-raw")) {
            if (c->has_input || !unesc_raw(arg, alen, &c->input))
                PFAIL("%s:%d: bad --input-raw", ps->file, lineno);
            c->has_input = true;
        } else if (!strcmp(kw, "options")) {
            if (!split_args(c, tmp))
                PFAIL("%s:%d: bad --options", ps->file, lineno);
        } else if (!strcmp(kw, "sql")) {
            if (c->has_sql)
                PFAIL("%s:%d: two --sql", ps->file, lineno);
            if (alen == 0) {
                ps->blk = 's';
            } else {
                b_add(&c->sql, arg, alen);
                c->has_sql = true;
            }
        } else if (!strcmp(kw, "expect")) {
            if (alen || c->has_expect)
                PFAIL("%s:%d: bad --expect", ps->file, lineno);
            ps->blk = 'e';
        } else if (!strcmp(kw, "expect-raw")) {
            if (c->has_expect || !unesc_raw(arg, alen, &c->expect))
                PFAIL("%s:%d: bad --expect-raw", ps->file, lineno);
            c->has_expect = true;
        } else if (!strcmp(kw, "error")) {
            char code[96] = "", pos[32] = "";
            int n = sscanf(tmp, "%95s %31s", code, pos);
            if (n < 1)
                PFAIL("%s:%d: bad --error", ps->file, lineno);
            strcpy(c->error, code);
            if (n == 2 && sscanf(pos, "%u:%u", &c->err_line, &c->err_col) != 2)
                PFAIL("%s:%d: bad --error position", ps->file, lineno);
        } else if (!strcmp(kw, "message")) {
            if (!alen || alen >= sizeof c->message)
                PFAIL("%s:%d: bad --message", ps->file, lineno);
            memcpy(c->message, tmp, alen + 1);
        } else if (!strcmp(kw, "skip")) {
            if (!alen || alen >= sizeof c->skip)
                PFAIL("%s:%d: bad --skip", ps->file, lineno);
            memcpy(c->skip, tmp, alen + 1);
        }
        return true;
    }
    if (ps->blk == 'i') {
        b_add(&ps->block, line, len);
        b_add(&ps->block, "\n", 1);
        return true;
    }
    if (len && line[0] == '#')
        return true;
    if (ps->blk) {
        b_add(&ps->block, line, len);
        b_add(&ps->block, "\n", 1);
        return true;
    }
    if (is_blank(line, len))
        return true;
    PFAIL("%s:%d: text outside a block", ps->file, lineno);
}

static bool parse_file(const char *path, const char *shortname, tcase **cases, size_t *n,
                       char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errcap, "cannot open %s (run from the repository root)", path);
        return false;
    }
    bytes text = {0};
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        b_add(&text, buf, k);
    fclose(f);
    parser ps = {.file = shortname};
    bool ok = true;
    int lineno = 0;
    size_t pos = 0;
    while (ok && pos < text.n) {
        const char *nl = memchr(text.p + pos, '\n', text.n - pos);
        size_t len = nl ? (size_t)(nl - (text.p + pos)) : text.n - pos;
        ok = parse_line(&ps, text.p + pos, len, ++lineno);
        pos += len + 1;
    }
    if (ok)
        ok = end_case(&ps);
    if (!ok)
        snprintf(err, errcap, "%s", ps.err);
    case_free(&ps.cur);
    b_free(&ps.block);
    b_free(&text);
    *cases = ps.cases;
    *n = ps.ncases;
    return ok;
}

/* ---- running a case through the library --------------------------------------------- */

typedef struct result {
    pluck_code code;
    char message[512];
    unsigned line, col;
    bytes out;
} result;

static int collect(void *opaque, const char *data, size_t len)
{
    b_add(opaque, data, len);
    return 0;
}

static pluck_code set_param(pluck_params *p, const char *name, const char *value,
                            pluck_error *err)
{
    pluck_param id = pluck_param_find(name);
    if (id == PLUCK_PARAM_COUNT) {
        snprintf(err->message, sizeof err->message, "unknown option --%s", name);
        return err->code = PLUCK_E_INVALID_REQUEST_PARAMETER;
    }
    const pluck_param_info *pi = pluck_param_get_info(id);
    char buf[256];
    size_t len = strlen(value);
    if (len >= sizeof buf)
        return err->code = PLUCK_E_INVALID_REQUEST_PARAMETER;
    if (pi->kind == PLUCK_KIND_CHAR || pi->kind == PLUCK_KIND_CHARS) {
        const char *bad; /* decoded as the CLI decodes them (src/cli/escape.c) */
        if ((len = pl_cli_unescape(value, buf, &bad)) == (size_t)-1) {
            snprintf(err->message, sizeof err->message, "bad escape in '%s'", value);
            return err->code = PLUCK_E_INVALID_REQUEST_PARAMETER;
        }
    } else
        memcpy(buf, value, len + 1);
    return pluck_params_set(p, id, buf, len, err);
}

/* The case's options as parameters; PLUCK_OK or the error of the bad value. */
static pluck_code apply_args(const tcase *c, pluck_params *p, pluck_error *err)
{
    for (int i = 0; i < c->nargs; i++) {
        const char *a = c->args[i];
        const char *next = i + 1 < c->nargs ? c->args[i + 1] : NULL;
        pluck_code rc = PLUCK_OK;
        if (!strcmp(a, "-H")) {
            rc = set_param(p, "file-header-info", "USE", err);
        } else if (!strcmp(a, "-X")) {
            rc = set_param(p, "extensions", "TRUE", err);
        } else if (!strcmp(a, "--json")) {
            rc = set_param(p, "output-format", "JSON", err);
        } else if (!strcmp(a, "--no-progress") || !strcmp(a, "--stats")) {
            continue;
        } else if (!strcmp(a, "-d") && next) {
            rc = set_param(p, "field-delimiter", next, err);
            i++;
        } else if (!strncmp(a, "--", 2) && strchr(a, '=')) {
            char name[64];
            size_t nl = (size_t)(strchr(a, '=') - a - 2);
            if (nl >= sizeof name)
                return err->code = PLUCK_E_INVALID_REQUEST_PARAMETER;
            memcpy(name, a + 2, nl);
            name[nl] = '\0';
            rc = set_param(p, name, a + 3 + nl, err);
        } else if (!strncmp(a, "--", 2) && next) {
            rc = set_param(p, a + 2, next, err);
            i++;
        } else {
            snprintf(err->message, sizeof err->message, "unsupported option word '%s'", a);
            return err->code = PLUCK_E_INVALID_REQUEST_PARAMETER;
        }
        if (rc != PLUCK_OK)
            return rc;
    }
    return PLUCK_OK;
}

/* Run the case; chunk 0 pushes the whole input at once, else that many bytes per feed. */
static void run_case(const tcase *c, size_t chunk, result *res)
{
    memset(res, 0, sizeof *res);
    b_add(&res->out, "", 0);
    pluck_error err;
    memset(&err, 0, sizeof err);
    pluck_params *p = pluck_params_create();
    cr_assert_not_null(p);
    pluck_code rc = apply_args(c, p, &err);
    if (rc != PLUCK_OK) {
        res->code = rc;
        snprintf(res->message, sizeof res->message, "%s", err.message);
        pluck_params_free(p);
        return;
    }
    pluck_query *q = pluck_query_compile(c->sql.p, c->sql.n, p, &err);
    pluck_params_free(p);
    if (!q) {
        res->code = err.code;
        snprintf(res->message, sizeof res->message, "%s", err.message);
        res->line = err.sql_line;
        res->col = err.sql_column;
        return;
    }
    pluck_run *r = pluck_run_create(q, collect, &res->out);
    cr_assert_not_null(r);
    size_t step = chunk ? chunk : (c->input.n ? c->input.n : 1);
    rc = PLUCK_OK;
    for (size_t off = 0; off < c->input.n && rc == PLUCK_OK; off += step) {
        size_t n = c->input.n - off < step ? c->input.n - off : step;
        rc = pluck_run_feed(r, c->input.p + off, n);
    }
    /* as in pluck.h's life cycle: feed until it does not answer OK, then always finish (which
     * hands over the records completed before an error) */
    pluck_code frc = pluck_run_finish(r);
    if (!pluck_is_error(rc))
        rc = frc;
    res->code = pluck_is_error(rc) ? rc : PLUCK_OK;
    if (pluck_is_error(rc)) {
        const pluck_error *e = pluck_run_error(r);
        snprintf(res->message, sizeof res->message, "%s", e->message);
        res->line = e->sql_line;
        res->col = e->sql_column;
    }
    pluck_run_free(r);
    pluck_query_free(q);
}

/* Printable form of bytes for a report (escapes for control bytes), at most ~400 chars. */
static const char *show(const bytes *b, char *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < b->n && k + 8 < cap; i++) {
        unsigned char ch = (unsigned char)b->p[i];
        if (ch == '\n')
            k += (size_t)snprintf(buf + k, cap - k, "\\n");
        else if (ch == '\r')
            k += (size_t)snprintf(buf + k, cap - k, "\\r");
        else if (ch == '\t')
            k += (size_t)snprintf(buf + k, cap - k, "\\t");
        else if (ch < 0x20 || ch == 0x7f)
            k += (size_t)snprintf(buf + k, cap - k, "\\x%02x", ch);
        else
            buf[k++] = (char)ch;
        if (k > 400) {
            k += (size_t)snprintf(buf + k, cap - k, "...");
            break;
        }
    }
    buf[k] = '\0';
    return buf;
}

/* Check one run against the case; on mismatch writes why into `why`. */
static bool check(const tcase *c, const result *res, char *why, size_t cap)
{
    char a[512], b[512];
    if (c->error[0]) {
        const char *got = res->code == PLUCK_OK ? "no error" : pluck_code_name(res->code);
        if (strcmp(got, c->error)) {
            snprintf(why, cap, "want error %s, got %s (%s); output '%s'", c->error, got,
                     res->message, show(&res->out, a, sizeof a));
            return false;
        }
        if (c->err_line && (res->line != c->err_line || res->col != c->err_col)) {
            snprintf(why, cap, "%s at line %u, column %u, want %u:%u (%s)", c->error, res->line,
                     res->col, c->err_line, c->err_col, res->message);
            return false;
        }
        if (c->message[0] && !strstr(res->message, c->message)) {
            snprintf(why, cap, "%s message '%s' lacks '%s'", c->error, res->message, c->message);
            return false;
        }
        if (c->has_expect && (res->out.n != c->expect.n ||
                              memcmp(res->out.p, c->expect.p, c->expect.n))) {
            snprintf(why, cap, "output before %s: want '%s', got '%s'", c->error,
                     show(&c->expect, a, sizeof a), show(&res->out, b, sizeof b));
            return false;
        }
        return true;
    }
    if (res->code != PLUCK_OK) {
        snprintf(why, cap, "unexpected error %s: %s; output '%s', want '%s'",
                 pluck_code_name(res->code), res->message, show(&res->out, a, sizeof a),
                 show(&c->expect, b, sizeof b));
        return false;
    }
    if (res->out.n != c->expect.n || memcmp(res->out.p, c->expect.p, c->expect.n)) {
        snprintf(why, cap, "want '%s', got '%s'", show(&c->expect, a, sizeof a),
                 show(&res->out, b, sizeof b));
        return false;
    }
    return true;
}

/* ---- the tests ----------------------------------------------------------------------- */

typedef struct file_param {
    char name[32];
} file_param;

ParameterizedTestParameters(conformance, file)
{
    static file_param params[N_FILES];
    for (size_t i = 0; i < N_FILES; i++)
        snprintf(params[i].name, sizeof params[i].name, "%s", test_files[i]);
    return cr_make_param_array(file_param, params, N_FILES);
}

ParameterizedTest(file_param *fp, conformance, file)
{
    char path[256], shortname[64], err[512] = "";
    snprintf(path, sizeof path, SQL_DIR "/%s.test", fp->name);
    snprintf(shortname, sizeof shortname, "%s.test", fp->name);
    tcase *cases = NULL;
    size_t n = 0;
    bool parsed = parse_file(path, shortname, &cases, &n, err, sizeof err);
    cr_assert(parsed, "%s", err);
    cr_assert_gt(n, 0, "%s has no cases", path);
    size_t pass = 0, fail = 0, skip = 0;
    for (size_t i = 0; i < n; i++) {
        const tcase *c = &cases[i];
        result whole, bytewise;
        char why[2048], tmp[2100];
        run_case(c, 0, &whole);
        bool ok = check(c, &whole, why, sizeof why);
        if (ok) {
            run_case(c, 1, &bytewise);
            ok = check(c, &bytewise, why, sizeof why);
            if (!ok) {
                snprintf(tmp, sizeof tmp, "fed one byte at a time: %s", why);
                snprintf(why, sizeof why, "%.2000s", tmp);
            }
            b_free(&bytewise.out);
        }
        b_free(&whole.out);
        if (c->skip[0]) {
            skip++;
            if (ok)
                /* not cr_log_warn: a warning makes criterion exit non-zero */
                fprintf(stderr, "XPASS %s:%d: %s: skipped (%s) but passes now: remove --skip\n",
                        shortname, c->line, c->name, c->skip);
            continue;
        }
        if (ok) {
            pass++;
        } else {
            fail++;
            cr_expect(false, "%s:%d: %s\n    sql: %s\n    %s", shortname, c->line, c->name,
                      c->sql.p, why);
        }
    }
    cr_log_info("%s: %zu cases, %zu passed, %zu failed, %zu skipped", shortname, n, pass, fail,
                skip);
    for (size_t i = 0; i < n; i++)
        case_free(&cases[i]);
    free(cases);
}

/* Every tests/sql/NAME.test file is in test_files[], and every listed file exists. */
Test(conformance, all_files_listed)
{
    DIR *d = opendir(SQL_DIR);
    cr_assert_not_null(d, "cannot open " SQL_DIR " (run from the repository root)");
    struct dirent *de;
    size_t found = 0;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".test"))
            continue;
        bool listed = false;
        for (size_t i = 0; i < N_FILES; i++)
            if (strlen(test_files[i]) == len - 5 && !strncmp(de->d_name, test_files[i], len - 5))
                listed = true;
        cr_expect(listed, "%s/%s is not in test_files[] of test_conformance.c", SQL_DIR,
                  de->d_name);
        found++;
    }
    closedir(d);
    cr_expect_eq(found, N_FILES, "test_files[] lists %zu files, %s has %zu", N_FILES, SQL_DIR,
                 found);
}
