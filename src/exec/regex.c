/*
 * regex.c — Thompson NFA + Pike VM (see regex.h).
 *
 * Compilation: a recursive-descent parser builds a small tree, which is emitted as
 * instructions (CHAR, ANY, CLASS, SPLIT, JMP, BOL, EOL, MATCH); counted repetition is
 * expanded, with the program capped at MAX_PROG instructions.  Classes are lists of code
 * point ranges stored after the instructions.
 *
 * Matching: the set of live threads (program counters) for the current position is kept
 * without duplicates (a generation mark per instruction); each step follows the epsilon
 * edges (SPLIT, JMP, assertions) once per instruction, so the work is O(text x program).
 */
#include "exec/regex.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROG 20000
#define MAX_REPEAT 1000
#define MAX_DEPTH 200

enum { I_CHAR, I_ANY, I_CLASS, I_SPLIT, I_JMP, I_BOL, I_EOL, I_MATCH };

typedef struct inst {
    uint8_t op;
    uint8_t neg;      /* CLASS: negated */
    uint32_t x, y;    /* CHAR: code point; CLASS: first range, count; SPLIT: targets; JMP: x */
} inst;

typedef struct range {
    uint32_t lo, hi;
} range;

struct pl_regex {
    size_t size;      /* bytes of the whole block */
    uint32_t ninst, nranges;
    bool anchored;    /* starts with ^: only try at the start */
    inst prog[];      /* then the ranges */
};

/* ---- parse tree -------------------------------------------------------------------------- */

enum { N_CHAR, N_ANY, N_CLASS, N_CAT, N_ALT, N_REPEAT, N_BOL, N_EOL, N_EMPTY };

typedef struct node {
    int kind;
    uint32_t c;          /* CHAR */
    uint32_t r0, nr;     /* CLASS: ranges [r0, r0 + nr) of the builder */
    bool neg;
    struct node *a, *b;  /* CAT, ALT; REPEAT: a */
    int min, max;        /* REPEAT: max -1 for unbounded */
} node;

typedef struct builder {
    const unsigned char *p;
    size_t len, i;
    char *msg;
    size_t cap;
    bool failed;
    node **nodes;        /* every node, freed at the end */
    size_t nnodes, nodecap;
    range *ranges;
    size_t nranges, rangecap;
    inst *prog;
    size_t ninst, instcap;
    int depth;
} builder;

static void *bfail(builder *b, const char *what)
{
    if (!b->failed)
        snprintf(b->msg, b->cap, "%s at offset %zu of the pattern", what, b->i);
    b->failed = true;
    return NULL;
}

static node *mk(builder *b, int kind)
{
    if (b->nnodes == b->nodecap) {
        size_t cap = b->nodecap ? b->nodecap * 2 : 32;
        node **v = realloc(b->nodes, cap * sizeof *v);
        if (!v)
            return bfail(b, "out of memory");
        b->nodes = v;
        b->nodecap = cap;
    }
    node *n = calloc(1, sizeof *n);
    if (!n)
        return bfail(b, "out of memory");
    b->nodes[b->nnodes++] = n;
    n->kind = kind;
    return n;
}

static bool add_range(builder *b, uint32_t lo, uint32_t hi)
{
    if (b->nranges == b->rangecap) {
        size_t cap = b->rangecap ? b->rangecap * 2 : 16;
        range *v = realloc(b->ranges, cap * sizeof *v);
        if (!v) {
            bfail(b, "out of memory");
            return false;
        }
        b->ranges = v;
        b->rangecap = cap;
    }
    b->ranges[b->nranges++] = (range){lo, hi};
    return true;
}

/* Decode one UTF-8 code point at p[*i]; an invalid byte stands for itself (0xDC00 + byte,
 * never a real character). */
static uint32_t decode(const unsigned char *p, size_t len, size_t *i)
{
    unsigned c = p[*i];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 1) {
        (*i)++;
        return c;
    }
    if (n == 0 || *i + n > len) {
        (*i)++;
        return 0xDC00 + c;
    }
    uint32_t cp = c & (0x7F >> n);
    for (size_t k = 1; k < n; k++) {
        if ((p[*i + k] & 0xC0) != 0x80) {
            (*i)++;
            return 0xDC00 + c;
        }
        cp = (cp << 6) | (p[*i + k] & 0x3F);
    }
    *i += n;
    return cp;
}

static bool at_end(const builder *b) { return b->i >= b->len; }
static int peekc(const builder *b) { return at_end(b) ? -1 : b->p[b->i]; }

/* \d \w \s and their negations as ranges; returns false if c is not one of them. */
static bool class_escape(builder *b, int c, bool *neg)
{
    switch (c) {
    case 'd': case 'D':
        *neg = c == 'D';
        return add_range(b, '0', '9');
    case 'w': case 'W':
        *neg = c == 'W';
        return add_range(b, '0', '9') && add_range(b, 'A', 'Z') && add_range(b, '_', '_') &&
               add_range(b, 'a', 'z'); /* in order: a negation walks them */
    case 's': case 'S':
        *neg = c == 'S';
        return add_range(b, '\t', '\r') && add_range(b, ' ', ' ');
    default: return false;
    }
}

/* The character of a simple escape (after the backslash), or -1. */
static int32_t simple_escape(int c)
{
    switch (c) {
    case 't': return '\t';
    case 'n': return '\n';
    case 'r': return '\r';
    case 'f': return '\f';
    case 'v': return '\v';
    default:
        if (c > 0 && c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                                   (c >= 'A' && c <= 'Z')))
            return c; /* escaped punctuation stands for itself */
        return -1;
    }
}

static node *parse_class(builder *b)
{
    node *n = mk(b, N_CLASS);
    if (!n)
        return NULL;
    n->r0 = (uint32_t)b->nranges;
    if (peekc(b) == '^') {
        n->neg = true;
        b->i++;
    }
    bool first = true;
    for (;;) {
        if (at_end(b))
            return bfail(b, "unterminated [ class");
        int c = peekc(b);
        if (c == ']' && !first) {
            b->i++;
            break;
        }
        first = false;
        uint32_t lo;
        if (c == '\\') {
            b->i++;
            if (at_end(b))
                return bfail(b, "trailing backslash");
            int e = peekc(b);
            bool neg = false;
            size_t before = b->nranges;
            if (class_escape(b, e, &neg)) {
                b->i++;
                if (neg) {
                    /* a negated escape inside a class: its complement as ranges */
                    size_t cnt = b->nranges - before;
                    range tmp[8];
                    memcpy(tmp, b->ranges + before, cnt * sizeof *tmp);
                    b->nranges = before;
                    uint32_t next = 0;
                    for (size_t k = 0; k < cnt; k++) {
                        if (tmp[k].lo > next && !add_range(b, next, tmp[k].lo - 1))
                            return NULL;
                        next = tmp[k].hi + 1;
                    }
                    if (!add_range(b, next, 0x7FFFFFFF))
                        return NULL;
                }
                continue;
            }
            if (b->failed)
                return NULL;
            int32_t s = simple_escape(e);
            if (s < 0)
                return bfail(b, "unsupported escape in a class");
            b->i++;
            lo = (uint32_t)s;
        } else {
            lo = decode(b->p, b->len, &b->i);
        }
        uint32_t hi = lo;
        if (peekc(b) == '-' && b->i + 1 < b->len && b->p[b->i + 1] != ']') {
            b->i++;
            if (peekc(b) == '\\') {
                b->i++;
                int32_t s = at_end(b) ? -1 : simple_escape(peekc(b));
                if (s < 0)
                    return bfail(b, "bad range end in a class");
                b->i++;
                hi = (uint32_t)s;
            } else {
                hi = decode(b->p, b->len, &b->i);
            }
            if (hi < lo)
                return bfail(b, "range out of order in a class");
        }
        if (!add_range(b, lo, hi))
            return NULL;
    }
    n->nr = (uint32_t)(b->nranges - n->r0);
    return n;
}

static node *parse_alt(builder *b);

static node *parse_atom(builder *b)
{
    int c = peekc(b);
    node *n;
    switch (c) {
    case '(': {
        b->i++;
        if (peekc(b) == '?') {
            if (b->i + 1 < b->len && b->p[b->i + 1] == ':')
                b->i += 2;
            else
                return bfail(b, "unsupported group flag (only (?: ) is known)");
        }
        if (++b->depth > MAX_DEPTH)
            return bfail(b, "groups nested too deep");
        n = parse_alt(b);
        b->depth--;
        if (!n)
            return NULL;
        if (peekc(b) != ')')
            return bfail(b, "missing )");
        b->i++;
        return n;
    }
    case '[': b->i++; return parse_class(b);
    case '.': b->i++; return mk(b, N_ANY);
    case '^': b->i++; return mk(b, N_BOL);
    case '$': b->i++; return mk(b, N_EOL);
    case '\\': {
        b->i++;
        if (at_end(b))
            return bfail(b, "trailing backslash");
        int e = peekc(b);
        bool neg = false;
        size_t r0 = b->nranges;
        if (class_escape(b, e, &neg)) {
            b->i++;
            if (!(n = mk(b, N_CLASS)))
                return NULL;
            n->r0 = (uint32_t)r0;
            n->nr = (uint32_t)(b->nranges - r0);
            n->neg = neg;
            return n;
        }
        if (b->failed)
            return NULL;
        int32_t s = simple_escape(e);
        if (s < 0)
            return bfail(b, "unsupported escape (backreferences and \\b are not supported)");
        b->i++;
        if (!(n = mk(b, N_CHAR)))
            return NULL;
        n->c = (uint32_t)s;
        return n;
    }
    case '*': case '+': case '?': case '{':
        return bfail(b, "repetition with nothing to repeat");
    default:
        if (!(n = mk(b, N_CHAR)))
            return NULL;
        n->c = decode(b->p, b->len, &b->i);
        return n;
    }
}

static bool parse_int(builder *b, int *out)
{
    int v = 0;
    size_t start = b->i;
    while (!at_end(b) && peekc(b) >= '0' && peekc(b) <= '9') {
        v = v * 10 + (peekc(b) - '0');
        if (v > MAX_REPEAT) {
            bfail(b, "repetition count above 1000");
            return false;
        }
        b->i++;
    }
    *out = v;
    return b->i > start;
}

static node *parse_repeat(builder *b)
{
    node *a = parse_atom(b);
    while (a) {
        int c = peekc(b), min, max;
        if (c == '*') {
            min = 0, max = -1;
            b->i++;
        } else if (c == '+') {
            min = 1, max = -1;
            b->i++;
        } else if (c == '?') {
            min = 0, max = 1;
            b->i++;
        } else if (c == '{') {
            b->i++;
            if (!parse_int(b, &min))
                return b->failed ? NULL : bfail(b, "bad {m,n} repetition");
            max = min;
            if (peekc(b) == ',') {
                b->i++;
                max = -1;
                if (peekc(b) != '}' && !parse_int(b, &max))
                    return b->failed ? NULL : bfail(b, "bad {m,n} repetition");
            }
            if (peekc(b) != '}')
                return bfail(b, "bad {m,n} repetition");
            b->i++;
            if (max >= 0 && max < min)
                return bfail(b, "{m,n} with n < m");
        } else {
            return a;
        }
        if (peekc(b) == '?')
            b->i++; /* lazy: the same yes/no answer */
        node *r = mk(b, N_REPEAT);
        if (!r)
            return NULL;
        r->a = a;
        r->min = min;
        r->max = max;
        a = r;
    }
    return a;
}

static node *parse_cat(builder *b)
{
    node *left = NULL;
    while (!at_end(b) && peekc(b) != '|' && peekc(b) != ')') {
        node *r = parse_repeat(b);
        if (!r)
            return NULL;
        if (!left) {
            left = r;
            continue;
        }
        node *c = mk(b, N_CAT);
        if (!c)
            return NULL;
        c->a = left;
        c->b = r;
        left = c;
    }
    return left ? left : mk(b, N_EMPTY);
}

static node *parse_alt(builder *b)
{
    node *left = parse_cat(b);
    while (left && peekc(b) == '|') {
        b->i++;
        node *r = parse_cat(b);
        if (!r)
            return NULL;
        node *a = mk(b, N_ALT);
        if (!a)
            return NULL;
        a->a = left;
        a->b = r;
        left = a;
    }
    return left;
}

/* ---- code generation ------------------------------------------------------------------- */

static long emit(builder *b, uint8_t op, uint32_t x, uint32_t y)
{
    if (b->ninst >= MAX_PROG) {
        bfail(b, "pattern too large (more than 20000 instructions once expanded)");
        return -1;
    }
    if (b->ninst == b->instcap) {
        size_t cap = b->instcap ? b->instcap * 2 : 64;
        inst *v = realloc(b->prog, cap * sizeof *v);
        if (!v) {
            bfail(b, "out of memory");
            return -1;
        }
        b->prog = v;
        b->instcap = cap;
    }
    b->prog[b->ninst] = (inst){op, 0, x, y};
    return (long)b->ninst++;
}

static bool gen(builder *b, const node *n, int depth)
{
    if (depth > MAX_DEPTH * 4) {
        bfail(b, "pattern nested too deep");
        return false;
    }
    long at;
    switch (n->kind) {
    case N_EMPTY: return true;
    case N_CHAR: return emit(b, I_CHAR, n->c, 0) >= 0;
    case N_ANY: return emit(b, I_ANY, 0, 0) >= 0;
    case N_BOL: return emit(b, I_BOL, 0, 0) >= 0;
    case N_EOL: return emit(b, I_EOL, 0, 0) >= 0;
    case N_CLASS:
        if ((at = emit(b, I_CLASS, n->r0, n->nr)) < 0)
            return false;
        b->prog[at].neg = n->neg;
        return true;
    case N_CAT: {
        /* a left-deep chain as long as the pattern: walk it without recursion */
        size_t cnt = 0;
        for (const node *k = n; k->kind == N_CAT; k = k->a)
            cnt++;
        const node **parts = malloc((cnt + 1) * sizeof *parts);
        if (!parts) {
            bfail(b, "out of memory");
            return false;
        }
        const node *k = n;
        for (size_t j = cnt; j > 0; j--, k = k->a)
            parts[j] = k->b;
        parts[0] = k;
        bool ok = true;
        for (size_t j = 0; ok && j <= cnt; j++)
            ok = gen(b, parts[j], depth + 1);
        free(parts);
        return ok;
    }
    case N_ALT: {
        long split = emit(b, I_SPLIT, 0, 0);
        if (split < 0)
            return false;
        b->prog[split].x = (uint32_t)b->ninst;
        if (!gen(b, n->a, depth + 1))
            return false;
        long jmp = emit(b, I_JMP, 0, 0);
        if (jmp < 0)
            return false;
        b->prog[split].y = (uint32_t)b->ninst;
        if (!gen(b, n->b, depth + 1))
            return false;
        b->prog[jmp].x = (uint32_t)b->ninst;
        return true;
    }
    case N_REPEAT: {
        for (int k = 0; k < n->min; k++)
            if (!gen(b, n->a, depth + 1))
                return false;
        if (n->max < 0) {
            /* L: split body, out; body; jmp L */
            long split = emit(b, I_SPLIT, 0, 0);
            if (split < 0)
                return false;
            b->prog[split].x = (uint32_t)b->ninst;
            if (!gen(b, n->a, depth + 1) || emit(b, I_JMP, (uint32_t)split, 0) < 0)
                return false;
            b->prog[split].y = (uint32_t)b->ninst;
            return true;
        }
        /* up to max - min optional copies, each "split body, end" */
        long *pending = malloc(((size_t)(n->max - n->min) + 1) * sizeof *pending);
        int np = 0;
        bool ok = pending != NULL;
        for (int k = n->min; ok && k < n->max; k++) {
            long split = emit(b, I_SPLIT, 0, 0);
            ok = split >= 0;
            if (ok) {
                b->prog[split].x = (uint32_t)b->ninst;
                pending[np++] = split;
                ok = gen(b, n->a, depth + 1);
            }
        }
        for (int k = 0; ok && k < np; k++)
            b->prog[pending[k]].y = (uint32_t)b->ninst;
        free(pending);
        if (!ok && !b->failed)
            bfail(b, "out of memory");
        return ok;
    }
    }
    return false;
}

static void builder_free(builder *b)
{
    for (size_t i = 0; i < b->nnodes; i++)
        free(b->nodes[i]);
    free(b->nodes);
    free(b->ranges);
    free(b->prog);
}

pl_regex *pl_regex_compile(const char *pattern, size_t len, char *msg, size_t cap)
{
    builder b = {.p = (const unsigned char *)pattern, .len = len, .msg = msg, .cap = cap};
    if (cap)
        msg[0] = '\0';
    node *root = parse_alt(&b);
    if (root && !at_end(&b))
        bfail(&b, "unmatched )");
    if (!root || b.failed || !gen(&b, root, 0) || emit(&b, I_MATCH, 0, 0) < 0) {
        builder_free(&b);
        return NULL;
    }
    size_t size = sizeof(pl_regex) + b.ninst * sizeof(inst) + b.nranges * sizeof(range);
    pl_regex *re = malloc(size);
    if (!re) {
        snprintf(msg, cap, "out of memory");
        builder_free(&b);
        return NULL;
    }
    re->size = size;
    re->ninst = (uint32_t)b.ninst;
    re->nranges = (uint32_t)b.nranges;
    re->anchored = b.ninst > 0 && b.prog[0].op == I_BOL;
    memcpy(re->prog, b.prog, b.ninst * sizeof(inst));
    if (b.nranges)
        memcpy((char *)(re->prog + re->ninst), b.ranges, b.nranges * sizeof(range));
    builder_free(&b);
    return re;
}

void pl_regex_free(pl_regex *re) { free(re); }
size_t pl_regex_size(const pl_regex *re) { return re->size; }

/* ---- matching ------------------------------------------------------------------------------ */

typedef struct tlist {
    uint32_t *pc;
    uint32_t n;
} tlist;

static bool class_has(const pl_regex *re, const inst *in, uint32_t c)
{
    const range *r = (const range *)(const void *)(re->prog + re->ninst) + in->x;
    bool in_class = false;
    for (uint32_t k = 0; k < in->y && !in_class; k++)
        in_class = c >= r[k].lo && c <= r[k].hi;
    return in_class != (in->neg != 0);
}

/* Add pc and everything reachable from it without consuming a character. */
static bool add(const pl_regex *re, tlist *l, uint32_t *mark, uint32_t gen, uint32_t pc,
                uint32_t *stack, size_t at, size_t len)
{
    size_t sp = 0;
    stack[sp++] = pc;
    while (sp) {
        pc = stack[--sp];
        if (mark[pc] == gen)
            continue;
        mark[pc] = gen;
        const inst *in = &re->prog[pc];
        switch (in->op) {
        case I_JMP: stack[sp++] = in->x; break;
        case I_SPLIT:
            stack[sp++] = in->y; /* x first: pushed last */
            stack[sp++] = in->x;
            break;
        case I_BOL:
            if (at == 0)
                stack[sp++] = pc + 1;
            break;
        case I_EOL:
            if (at == len)
                stack[sp++] = pc + 1;
            break;
        case I_MATCH: return true;
        default: l->pc[l->n++] = pc; break;
        }
    }
    return false;
}

int pl_regex_search(const pl_regex *re, const char *text, size_t len)
{
    uint32_t m = re->ninst;
    /* two lists, the marks and the closure stack (each SPLIT pushes 2 and pops 1, so 2m) */
    uint32_t *mem = malloc(((size_t)m * 5 + 2) * sizeof *mem);
    if (!mem)
        return -1;
    tlist cur = {mem, 0}, next = {mem + m, 0};
    uint32_t *mark = mem + 2 * (size_t)m;
    uint32_t *stack = mem + 3 * (size_t)m;
    memset(mark, 0xFF, (size_t)m * sizeof *mark);
    uint32_t gen = 0;
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    int found = 0;
    if (add(re, &cur, mark, gen, 0, stack, 0, len))
        found = 1;
    while (!found && i <= len) {
        if (cur.n == 0 && (re->anchored || i >= len))
            break;
        if (i >= len)
            break;
        uint32_t c = decode(p, len, &i);
        gen++;
        next.n = 0;
        for (uint32_t k = 0; k < cur.n && !found; k++) {
            const inst *in = &re->prog[cur.pc[k]];
            bool ok = in->op == I_ANY ? c != '\n'
                      : in->op == I_CHAR ? c == in->x
                                         : class_has(re, in, c);
            if (ok && add(re, &next, mark, gen, cur.pc[k] + 1, stack, i, len))
                found = 1;
        }
        /* an unanchored search starts a new thread at every position */
        if (!found && !re->anchored && add(re, &next, mark, gen, 0, stack, i, len))
            found = 1;
        tlist t = cur;
        cur = next;
        next = t;
    }
    free(mem);
    return found;
}
