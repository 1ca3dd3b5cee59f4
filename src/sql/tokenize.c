/*
 * tokenize.c — the SQL lexer, table-driven in the SQLite manner: one lookup in a
 * character-class table picks the rule for the next token, and reserved words are found by
 * binary search in the sorted list of tokenize.h.
 */
#include "sql/tokenize.h"

#include <stdio.h>
#include <string.h>

enum {
    CC_X = 0, /* not allowed outside quotes: control bytes, non-ASCII, @ # $ & ? \ ^ { } ~ : */
    CC_SP,    /* space, tab, CR, LF */
    CC_ID,    /* A-Z a-z _ : starts or continues a word */
    CC_DG,    /* 0-9 */
    CC_DT,    /* .  (a number when a digit follows) */
    CC_QT,    /* '  string */
    CC_DQ,    /* "  quoted identifier */
    CC_BT,    /* `  Ion literal */
    CC_MI,    /* -  or -- comment */
    CC_SL,    /* /  or block comment */
    CC_PI,    /* |  only as || */
    CC_LT,    /* < <= <> */
    CC_GT,    /* > >= */
    CC_EQ,
    CC_BG, /* !  only as != */
    CC_PL,
    CC_ST,
    CC_PC,
    CC_LP,
    CC_RP,
    CC_CM,
    CC_SC,
    CC_LB,
    CC_RB
};

/* Bytes 0x80-0xff stay CC_X: UTF-8 text is welcome only inside quotes and comments. */
static const unsigned char char_class[256] = {
    CC_X, CC_X, CC_X, CC_X, CC_X, CC_X, CC_X, CC_X, /* 00..07 */
    CC_X, CC_SP, CC_SP, CC_X, CC_X, CC_SP, CC_X, CC_X, /* 08..0f */
    CC_X, CC_X, CC_X, CC_X, CC_X, CC_X, CC_X, CC_X, /* 10..17 */
    CC_X, CC_X, CC_X, CC_X, CC_X, CC_X, CC_X, CC_X, /* 18..1f */
    CC_SP, CC_BG, CC_DQ, CC_X, CC_X, CC_PC, CC_X, CC_QT, /* 20..27 */
    CC_LP, CC_RP, CC_ST, CC_PL, CC_CM, CC_MI, CC_DT, CC_SL, /* 28..2f */
    CC_DG, CC_DG, CC_DG, CC_DG, CC_DG, CC_DG, CC_DG, CC_DG, /* 30..37 */
    CC_DG, CC_DG, CC_X, CC_SC, CC_LT, CC_EQ, CC_GT, CC_X, /* 38..3f */
    CC_X, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, /* 40..47 */
    CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, /* 48..4f */
    CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, /* 50..57 */
    CC_ID, CC_ID, CC_ID, CC_LB, CC_X, CC_RB, CC_X, CC_ID, /* 58..5f */
    CC_BT, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, /* 60..67 */
    CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, /* 68..6f */
    CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, /* 70..77 */
    CC_ID, CC_ID, CC_ID, CC_X, CC_PI, CC_X, CC_X, CC_X, /* 78..7f */
};

static const char *const keyword_names[] = {
#define PL_KW_NAME_(id, text) text,
    PL_KEYWORDS(PL_KW_NAME_)
#undef PL_KW_NAME_
};
_Static_assert(PL_ARRAY_SIZE(keyword_names) == PL_KW_COUNT_ - 1, "keyword table size");

pl_keyword pl_keyword_lookup(const char *word, size_t len)
{
    char low[24]; /* longer than the longest keyword, "current_timestamp" */
    if (len == 0 || len >= sizeof low)
        return PL_KW_NONE;
    for (size_t i = 0; i < len; i++) {
        char c = word[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    low[len] = '\0';
    size_t lo = 0, hi = PL_ARRAY_SIZE(keyword_names);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(low, keyword_names[mid]);
        if (c == 0)
            return (pl_keyword)(mid + 1);
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return PL_KW_NONE;
}

const char *pl_keyword_name(pl_keyword kw)
{
    if (kw <= PL_KW_NONE || kw >= PL_KW_COUNT_)
        return "";
    return keyword_names[kw - 1];
}

typedef struct lexer {
    const char *s;
    size_t len;
    pl_arena *arena;
    pluck_error *err;
    pl_token *tok;
    uint32_t n, cap;
} lexer;

static pluck_code push(lexer *lx, pl_tok_type type, pl_keyword kw, size_t pos, size_t end)
{
    if (lx->n == lx->cap) {
        /* The arena cannot grow a block in place; doubling keeps the waste under 2x. */
        uint32_t cap = lx->cap ? lx->cap * 2 : 64;
        pl_token *t = pl_arena_alloc(lx->arena, (size_t)cap * sizeof *t);
        if (!t) {
            pl_error_set(lx->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory while reading the SQL");
            return PLUCK_E_OUT_OF_MEMORY;
        }
        if (lx->n)
            memcpy(t, lx->tok, (size_t)lx->n * sizeof *t);
        lx->tok = t;
        lx->cap = cap;
    }
    pl_token *t = &lx->tok[lx->n++];
    t->type = type;
    t->kw = kw;
    t->pos = (uint32_t)pos;
    t->len = (uint32_t)(end - pos);
    return PLUCK_OK;
}

static int cls(const lexer *lx, size_t i)
{
    return i < lx->len ? char_class[(unsigned char)lx->s[i]] : -1;
}

void pl_sql_excerpt(char *out, size_t cap, const char *s, size_t n)
{
    size_t max = 40;
    int more = 0;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        more = 1;
    }
    snprintf(out, cap, "%.*s%s", (int)n, s, more ? "..." : "");
}

static pluck_code invalid_char(lexer *lx, size_t i)
{
    const unsigned char *p = (const unsigned char *)lx->s + i;
    size_t avail = lx->len - i;
    uint32_t cp = p[0];
    size_t need = 0;
    if (cp >= 0xF0 && cp < 0xF5)
        need = 3, cp &= 0x07;
    else if (cp >= 0xE0 && cp < 0xF0)
        need = 2, cp &= 0x0F;
    else if (cp >= 0xC2 && cp < 0xE0)
        need = 1, cp &= 0x1F;
    else if (cp >= 0x80)
        return pl_error_sql(lx->err, PLUCK_E_LEXER_INVALID_CHAR, lx->s, lx->len, i,
                            "Invalid character (byte 0x%02X) ", (unsigned)p[0]);
    if (need >= avail)
        return pl_error_sql(lx->err, PLUCK_E_LEXER_INVALID_CHAR, lx->s, lx->len, i,
                            "Invalid character (byte 0x%02X) ", (unsigned)p[0]);
    for (size_t k = 1; k <= need; k++) {
        if ((p[k] & 0xC0) != 0x80)
            return pl_error_sql(lx->err, PLUCK_E_LEXER_INVALID_CHAR, lx->s, lx->len, i,
                                "Invalid character (byte 0x%02X) ", (unsigned)p[0]);
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    if (need == 0 && cp > 0x20 && cp < 0x7F)
        return pl_error_sql(lx->err, PLUCK_E_LEXER_INVALID_CHAR, lx->s, lx->len, i,
                            "Invalid character '%c' [U+%04X] ", (char)cp, (unsigned)cp);
    if (need == 0)
        return pl_error_sql(lx->err, PLUCK_E_LEXER_INVALID_CHAR, lx->s, lx->len, i,
                            "Invalid character [U+%04X] ", (unsigned)cp);
    return pl_error_sql(lx->err, PLUCK_E_LEXER_INVALID_CHAR, lx->s, lx->len, i,
                        "Invalid character '%.*s' [U+%04X] ", (int)(need + 1),
                        (const char *)p, (unsigned)cp);
}

/* INT 123, DECIMAL 1.5 .5 5., FLOAT with an exponent.  A number running straight into a
 * letter, digit or dot ("1e", "1.2.3", "12ab") is one malformed literal, not two tokens. */
static pluck_code lex_number(lexer *lx, size_t *pi)
{
    size_t st = *pi, i = st;
    pl_tok_type type = PL_TK_INT;
    bool bad = false;
    while (cls(lx, i) == CC_DG)
        i++;
    if (cls(lx, i) == CC_DT) {
        type = PL_TK_DECIMAL;
        i++;
        while (cls(lx, i) == CC_DG)
            i++;
    }
    if (i < lx->len && (lx->s[i] == 'e' || lx->s[i] == 'E')) {
        type = PL_TK_FLOAT;
        i++;
        if (i < lx->len && (lx->s[i] == '+' || lx->s[i] == '-'))
            i++;
        if (cls(lx, i) != CC_DG)
            bad = true;
        while (cls(lx, i) == CC_DG)
            i++;
    }
    int c = cls(lx, i);
    if (c == CC_ID || c == CC_DG || c == CC_DT)
        bad = true;
    if (bad) {
        while ((c = cls(lx, i)) == CC_ID || c == CC_DG || c == CC_DT)
            i++;
        char shown[64];
        pl_sql_excerpt(shown, sizeof shown, lx->s + st, i - st);
        return pl_error_sql(lx->err, PLUCK_E_LEXER_INVALID_LITERAL, lx->s, lx->len, st,
                            "Invalid numeric literal '%s' ", shown);
    }
    *pi = i;
    return push(lx, type, PL_KW_NONE, st, i);
}

/* 'string' or "identifier": the closing quote doubled stands for itself. */
static pluck_code lex_quoted(lexer *lx, size_t *pi, char q, pl_tok_type type)
{
    size_t st = *pi, i = st + 1;
    for (;;) {
        if (i >= lx->len)
            return pl_error_sql(lx->err, PLUCK_E_LEXER_INVALID_LITERAL, lx->s, lx->len, st,
                                type == PL_TK_STRING ? "Unterminated string literal "
                                                     : "Unterminated quoted identifier ");
        char c = lx->s[i];
        if (c == q) {
            if (i + 1 < lx->len && lx->s[i + 1] == q) {
                i += 2;
                continue;
            }
            i++;
            break;
        }
        if (c == '\0') /* the tree holds NUL-terminated copies */
            return invalid_char(lx, i);
        i++;
    }
    *pi = i;
    return push(lx, type, PL_KW_NONE, st, i);
}

pluck_code pl_tokenize(const char *sql, size_t len, pl_arena *arena, pl_token **out,
                       uint32_t *ntokens, pluck_error *err)
{
    lexer lx = {.s = sql, .len = len, .arena = arena, .err = err};
    *out = NULL;
    *ntokens = 0;
    if (len >= UINT32_MAX) {
        pl_error_set(err, PLUCK_E_EXPRESSION_TOO_LONG, "The SQL expression is too long");
        return PLUCK_E_EXPRESSION_TOO_LONG;
    }
    size_t i = 0;
    pluck_code rc = PLUCK_OK;
    while (i < len && rc == PLUCK_OK) {
        size_t st = i;
        pl_tok_type op = PL_TK_EOF; /* set for the one- and two-byte operators */
        switch (char_class[(unsigned char)sql[i]]) {
        case CC_SP:
            i++;
            continue;
        case CC_ID: {
            int c;
            while ((c = cls(&lx, i)) == CC_ID || c == CC_DG)
                i++;
            pl_keyword kw = pl_keyword_lookup(sql + st, i - st);
            rc = push(&lx, kw ? PL_TK_KEYWORD : PL_TK_IDENT, kw, st, i);
            continue;
        }
        case CC_DG:
            rc = lex_number(&lx, &i);
            continue;
        case CC_DT:
            if (cls(&lx, i + 1) == CC_DG) {
                rc = lex_number(&lx, &i);
                continue;
            }
            op = PL_TK_DOT;
            i++;
            break;
        case CC_QT:
            rc = lex_quoted(&lx, &i, '\'', PL_TK_STRING);
            continue;
        case CC_DQ:
            rc = lex_quoted(&lx, &i, '"', PL_TK_QIDENT);
            continue;
        case CC_BT: {
            const char *end = memchr(sql + i + 1, '`', len - i - 1);
            if (!end)
                return pl_error_sql(err, PLUCK_E_LEXER_INVALID_ION_LITERAL, sql, len, st,
                                    "Unterminated Ion literal ");
            if (end == sql + i + 1)
                return pl_error_sql(err, PLUCK_E_LEXER_INVALID_ION_LITERAL, sql, len, st,
                                    "Empty Ion literal ");
            const char *nul = memchr(sql + i + 1, '\0', (size_t)(end - sql) - i - 1);
            if (nul)
                return invalid_char(&lx, (size_t)(nul - sql));
            i = (size_t)(end - sql) + 1;
            rc = push(&lx, PL_TK_ION, PL_KW_NONE, st, i);
            continue;
        }
        case CC_MI:
            if (i + 1 < len && sql[i + 1] == '-') {
                const char *nl = memchr(sql + i, '\n', len - i);
                i = nl ? (size_t)(nl - sql) + 1 : len;
                continue;
            }
            op = PL_TK_MINUS;
            i++;
            break;
        case CC_SL:
            if (i + 1 < len && sql[i + 1] == '*') {
                size_t j = i + 2;
                while (j + 1 < len && !(sql[j] == '*' && sql[j + 1] == '/'))
                    j++;
                if (j + 1 >= len)
                    return pl_error_sql(err, PLUCK_E_LEXER_INVALID_CHAR, sql, len, st,
                                        "Unterminated comment ");
                i = j + 2;
                continue;
            }
            op = PL_TK_SLASH;
            i++;
            break;
        case CC_PI:
            if (i + 1 < len && sql[i + 1] == '|') {
                op = PL_TK_CONCAT;
                i += 2;
                break;
            }
            return invalid_char(&lx, i);
        case CC_LT:
            if (i + 1 < len && sql[i + 1] == '=')
                op = PL_TK_LE, i += 2;
            else if (i + 1 < len && sql[i + 1] == '>')
                op = PL_TK_NE, i += 2;
            else
                op = PL_TK_LT, i++;
            break;
        case CC_GT:
            if (i + 1 < len && sql[i + 1] == '=')
                op = PL_TK_GE, i += 2;
            else
                op = PL_TK_GT, i++;
            break;
        case CC_BG:
            if (i + 1 < len && sql[i + 1] == '=') {
                op = PL_TK_NE;
                i += 2;
                break;
            }
            return invalid_char(&lx, i);
        case CC_EQ: op = PL_TK_EQ, i++; break;
        case CC_PL: op = PL_TK_PLUS, i++; break;
        case CC_ST: op = PL_TK_STAR, i++; break;
        case CC_PC: op = PL_TK_PERCENT, i++; break;
        case CC_LP: op = PL_TK_LPAREN, i++; break;
        case CC_RP: op = PL_TK_RPAREN, i++; break;
        case CC_CM: op = PL_TK_COMMA, i++; break;
        case CC_SC: op = PL_TK_SEMI, i++; break;
        case CC_LB: op = PL_TK_LBRACKET, i++; break;
        case CC_RB: op = PL_TK_RBRACKET, i++; break;
        default:
            return invalid_char(&lx, i);
        }
        rc = push(&lx, op, PL_KW_NONE, st, i);
    }
    if (rc == PLUCK_OK)
        rc = push(&lx, PL_TK_EOF, PL_KW_NONE, len, len);
    if (rc != PLUCK_OK)
        return rc;
    *out = lx.tok;
    *ntokens = lx.n;
    return PLUCK_OK;
}

char *pl_token_value(pl_arena *arena, const char *sql, const pl_token *tok, uint32_t *out_len)
{
    const char *p = sql + tok->pos;
    size_t n = tok->len;
    char q;
    switch (tok->type) {
    case PL_TK_STRING: q = '\''; break;
    case PL_TK_QIDENT: q = '"'; break;
    case PL_TK_ION: q = 0, p++, n -= 2; break;
    default: q = 0; break;
    }
    if (!q) {
        if (out_len)
            *out_len = (uint32_t)n;
        return pl_arena_strndup(arena, p, n);
    }
    p++, n -= 2;
    char *d = pl_arena_alloc(arena, n + 1);
    if (!d)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        d[k++] = p[i];
        if (p[i] == q) /* the lexer guarantees it is doubled */
            i++;
    }
    d[k] = '\0';
    if (out_len)
        *out_len = (uint32_t)k;
    return d;
}
