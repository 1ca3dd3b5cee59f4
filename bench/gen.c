/*
 * gen.c — deterministic benchmark data, written to standard output.
 *
 *   gen lineitem SF     TPC-H lineitem at scale factor SF (6,001,215 rows and ~760 MB at
 *                       SF 1): 16 columns, '|' after every column (dbgen's trailing '|'),
 *                       no header
 *   gen sensor SF       a sensor log, header "sensor_id,ts,temperature,status" then
 *                       10,000,000 x SF rows; status OK, WARN (~5 %) or FAIL (~1 %)
 *   gen sensorq SF      the same log with its first and last fields quoted in every
 *                       record (and in the header), as many exporters write them
 *
 * Same arguments, same bytes, on any machine: one xorshift generator, no floating point in
 * the values, no locale.  The distributions follow the TPC-H specification closely enough
 * for the benchmark's predicates to select what they select on dbgen's data (Q6 keeps
 * about 1.9 % of rows): orders of 1 to 7 lines with sparse order keys, quantity 1-50,
 * extended price = quantity x the part's retail price, discount 0.00-0.10, tax 0.00-0.08,
 * ship date 1-121 days after an order date in 1992-01-01 .. 1998-08-02, commit date 30-90
 * days after it, receipt date 1-30 days after shipping, return flag and line status from
 * the dates, and a comment of 10-43 characters from dbgen's word lists.
 *
 * Build: cc -O2 -o gen bench/gen.c   (bench/run.sh does this)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
    uint64_t x = rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng = x;
}

/* Uniform in [lo, hi]. */
static uint32_t uni(uint32_t lo, uint32_t hi) { return lo + (uint32_t)(next() % (hi - lo + 1)); }

/* ---- dates as day numbers since 1992-01-01 ------------------------------------------------ */

static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

static int leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Writes YYYY-MM-DD for day d (0 = 1992-01-01); returns 10. */
static int put_date(char *o, int d)
{
    int y = 1992;
    while (d >= 365 + leap(y)) {
        d -= 365 + leap(y);
        y++;
    }
    int m = 0;
    for (;;) {
        int n = mdays[m] + (m == 1 && leap(y));
        if (d < n)
            break;
        d -= n;
        m++;
    }
    return sprintf(o, "%04d-%02d-%02d", y, m + 1, d + 1);
}

/* ---- lineitem ------------------------------------------------------------------------------- */

static const char *const instructs[] = {"DELIVER IN PERSON", "COLLECT COD", "NONE",
                                        "TAKE BACK RETURN"};
static const char *const modes[] = {"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"};
static const char *const nouns[] = {
    "foxes", "ideas", "theodolites", "pinto beans", "instructions", "dependencies", "excuses",
    "platelets", "asymptotes", "courts", "dolphins", "multipliers", "sauternes", "warthogs",
    "frets", "dinos", "attainments", "somas", "Tiresias'", "patterns", "forges", "braids",
    "hockey players", "frays", "warhorses", "dugouts", "notornis", "epitaphs", "pearls",
    "tithes", "waters", "orbits", "gifts", "sheaves", "depths", "sentiments", "decoys",
    "realms", "pains", "grouches", "escapades", "packages", "requests", "accounts", "deposits"};
static const char *const verbs[] = {
    "sleep", "wake", "are", "cajole", "haggle", "nag", "use", "boost", "affix", "detect",
    "integrate", "maintain", "nod", "was", "lose", "sublate", "solve", "thrash", "promise",
    "engage", "hinder", "print", "x-ray", "breach", "eat", "grow", "impress", "mold", "poach",
    "serve", "run", "dazzle", "snooze", "doze", "unwind", "kindle", "play", "hang", "believe"};
static const char *const adjectives[] = {
    "furious", "sly", "careful", "blithe", "quick", "fluffy", "slow", "quiet", "ruthless",
    "thin", "close", "dogged", "daring", "brave", "stealthy", "permanent", "enticing", "idle",
    "busy", "regular", "final", "ironic", "even", "bold", "silent", "special", "pending",
    "express", "unusual"};
static const char *const adverbs[] = {
    "sometimes", "always", "never", "furiously", "slyly", "carefully", "blithely", "quickly",
    "fluffily", "slowly", "quietly", "ruthlessly", "thinly", "closely", "doggedly", "daringly",
    "bravely", "stealthily", "permanently", "enticingly", "idly", "busily", "regularly",
    "finally", "ironically", "evenly", "boldly", "silently"};

#define PICK(a) (a)[next() % (sizeof(a) / sizeof((a)[0]))]

/* dbgen's comments are sentences from its grammar cut to a random length; this keeps the
 * shape (lower-case words, 10-43 characters) without the grammar. */
static int put_comment(char *o)
{
    int want = (int)uni(10, 43), n = 0;
    while (n < want) {
        uint32_t k = uni(0, 3);
        const char *w = k == 0 ? PICK(adverbs) : k == 1 ? PICK(adjectives)
                      : k == 2 ? PICK(nouns) : PICK(verbs);
        if (n)
            o[n++] = ' ';
        size_t l = strlen(w);
        memcpy(o + n, w, l);
        n += (int)l;
    }
    while (n > want || o[n - 1] == ' ')
        n--;
    return n;
}

static void lineitem(double sf)
{
    const uint64_t orders = (uint64_t)(1500000 * sf + 0.5);
    const uint32_t parts = (uint32_t)(200000 * sf + 0.5), supps = (uint32_t)(10000 * sf + 0.5);
    const int start = 0, orderdate_max = 2405 - 151; /* 1998-08-02 less 151 days */
    const int current = 1263;                         /* 1995-06-17 */
    static char buf[1 << 16];
    size_t bl = 0;
    for (uint64_t i = 0; i < orders; i++) {
        /* sparse keys as dbgen: 8 used out of every 32 */
        uint64_t okey = (i / 8) * 32 + i % 8 + 1;
        int odate = (int)uni((uint32_t)start, (uint32_t)orderdate_max);
        int lines = (int)uni(1, 7);
        for (int l = 1; l <= lines; l++) {
            uint32_t pk = uni(1, parts ? parts : 1), sk = uni(1, supps ? supps : 1);
            uint32_t qty = uni(1, 50), disc = uni(0, 10), tax = uni(0, 8);
            /* retail price in cents, as dbgen: 90000 + (pk/10 % 20001) + 100*(pk % 1000) */
            uint64_t rp = 90000 + (pk / 10) % 20001 + 100 * (pk % 1000);
            uint64_t ext = rp * qty;
            int ship = odate + (int)uni(1, 121), commit = odate + (int)uni(30, 90);
            int receipt = ship + (int)uni(1, 30);
            char rf = receipt <= current ? (uni(0, 1) ? 'R' : 'A') : 'N';
            char ls = ship > current ? 'O' : 'F';
            char *o = buf + bl;
            int n = sprintf(o, "%llu|%u|%u|%d|%u|%llu.%02llu|0.%02u|0.%02u|%c|%c|",
                            (unsigned long long)okey, pk, sk, l, qty,
                            (unsigned long long)(ext / 100), (unsigned long long)(ext % 100),
                            disc, tax, rf, ls);
            n += put_date(o + n, ship);
            o[n++] = '|';
            n += put_date(o + n, commit);
            o[n++] = '|';
            n += put_date(o + n, receipt);
            n += sprintf(o + n, "|%s|%s|", PICK(instructs), PICK(modes));
            n += put_comment(o + n);
            o[n++] = '|';
            o[n++] = '\n';
            bl += (size_t)n;
            if (bl > sizeof buf - 512) {
                fwrite(buf, 1, bl, stdout);
                bl = 0;
            }
        }
    }
    fwrite(buf, 1, bl, stdout);
}

/* ---- sensor log ----------------------------------------------------------------------------- */

static void sensor(double sf, int quoted)
{
    const uint64_t rows = (uint64_t)(10000000 * sf + 0.5);
    static char buf[1 << 16];
    const char *q = quoted ? "\"" : "";
    size_t bl = (size_t)sprintf(buf, "%ssensor_id%s,ts,temperature,%sstatus%s\n", q, q, q, q);
    /* one reading a second from 2024-01-01T00:00:00Z on, spread over 5000 sensors */
    uint64_t t = 0;
    for (uint64_t i = 0; i < rows; i++) {
        uint32_t k = uni(0, 999);
        const char *st = k < 10 ? "FAIL" : k < 60 ? "WARN" : "OK";
        int temp = (int)uni(0, 700) - 200; /* tenths of a degree, -20.0 .. 50.0 */
        uint64_t s = t++;
        int sec = (int)(s % 60), min = (int)(s / 60 % 60), hr = (int)(s / 3600 % 24);
        /* 1996 and 2024 are both leap years starting on a Monday, so a 1996 date with the
         * year rewritten (199x -> 202x) is the right 2024 date. */
        char date[16];
        put_date(date, (int)(s / 86400) + 1461); /* day 1461 is 1996-01-01 */
        date[0] = '2';
        date[1] = '0';
        date[2] = '2';
        date[3] = (char)('4' + (date[3] - '6'));
        bl += (size_t)sprintf(buf + bl, "%ss-%05u%s,%sT%02d:%02d:%02dZ,%s%d.%d,%s%s%s\n", q,
                              uni(1, 5000), q, date, hr, min, sec, temp < 0 ? "-" : "",
                              abs(temp) / 10, abs(temp) % 10, q, st, q);
        if (bl > sizeof buf - 256) {
            fwrite(buf, 1, bl, stdout);
            bl = 0;
        }
    }
    fwrite(buf, 1, bl, stdout);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "lineitem") && strcmp(argv[1], "sensor") &&
                      strcmp(argv[1], "sensorq"))) {
        fprintf(stderr, "usage: gen lineitem|sensor|sensorq SCALE_FACTOR\n");
        return 2;
    }
    double sf = strtod(argv[2], NULL);
    if (!(sf > 0)) {
        fprintf(stderr, "gen: scale factor must be positive\n");
        return 2;
    }
    if (!strcmp(argv[1], "lineitem"))
        lineitem(sf);
    else
        sensor(sf, !strcmp(argv[1], "sensorq"));
    return fflush(stdout) == 0 ? 0 : 1;
}
