/*
 * gencsv.c — writes a deterministic sensor-log CSV stream of a given size to standard output,
 * fast enough to push gigabytes through pluck in a test.  Usage: gencsv BYTES[K|M|G]
 * Columns: sensor_id,ts,temperature,status (OK/WARN/FAIL); a header line first.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gencsv BYTES[K|M|G]\n");
        return 2;
    }
    char *end;
    unsigned long long want = strtoull(argv[1], &end, 10);
    if (*end == 'K') want <<= 10;
    else if (*end == 'M') want <<= 20;
    else if (*end == 'G') want <<= 30;
    signal(SIGPIPE, SIG_DFL);
    static char buf[1 << 16];
    size_t n = (size_t)snprintf(buf, sizeof buf, "sensor_id,ts,temperature,status\n");
    unsigned long long done = 0, row = 0;
    unsigned x = 2463534242u;
    static const char *const st[] = {"OK", "OK", "OK", "OK", "WARN", "OK", "OK", "FAIL"};
    while (done < want) {
        while (n < sizeof buf - 128) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            n += (size_t)snprintf(buf + n, sizeof buf - n, "s%03u,%llu,%d.%u,%s\n", x % 997,
                                  1700000000ULL + row, (int)(x % 600) - 100, (x >> 12) % 10,
                                  st[(x >> 20) & 7]);
            row++;
        }
        size_t w = n;
        if (done + w > want)
            w = (size_t)(want - done);
        /* cut only at a record end so the stream stays well-formed */
        while (w > 0 && w < n && buf[w - 1] != '\n')
            w--;
        if (w == 0)
            break;
        if (write(1, buf, w) != (ssize_t)w)
            return 1;
        done += w;
        memmove(buf, buf + w, n - w);
        n -= w;
        if (w < 64)
            break;
    }
    return 0;
}
