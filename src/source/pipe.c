/*
 * pipe.c — the decompression-thread source: the producer thread of a pipelined run (see
 * pipe.h) and the loop that takes its chunks into the window (pl_pipe_drive).
 *
 * A ring of NSLOT chunks of SLOT_BYTES each bounds the memory (4 MiB) whatever the input.
 * The producer fills the slot at `tail`, the consumer reads the slot at `head`; one mutex and
 * two condition variables hand slots back and forth.  The consumer never waits on a slot the
 * producer is filling, and a stop request is seen by the producer between two reads.
 */
#include "source/pipe.h"
#include "source/gzindex.h"
#include "source/source.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSLOT 4
#define SLOT_BYTES (1u << 20)
#define READ_BYTES (256u * 1024)

struct pl_pipe {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t can_fill, can_take;
    unsigned char *slot[NSLOT];
    size_t slot_len[NSLOT];
    unsigned head, count; /* count = filled slots waiting for the consumer */
    bool done;            /* producer finished (EOF or error): no more slots after these */
    bool stop;            /* consumer asked to stop */
    bool holding;         /* consumer holds the slot at head */
    bool live;            /* publish what each read decoded (pl_pipe_start) */
    uint64_t max_window;  /* for the codec (pl_pipe_start) */
    pluck_code rc;
    char msg[512];
    _Atomic uint64_t bytes_in;
    _Atomic(const char *) codec_name;

    pl_compression kind;
    struct pl_gzrec *gzrec; /* an index built by this decode (pl_pipe_start) */
    size_t prefix_len;
    pluck_read_fn read;
    void *opaque;
    unsigned char *inbuf;
};

static void set_error(pl_pipe *p, pluck_code rc, const char *msg)
{
    p->rc = rc;
    snprintf(p->msg, sizeof p->msg, "%s", msg);
}

/* Wait for a free slot; NULL when the consumer asked to stop. */
static unsigned char *claim_slot(pl_pipe *p, unsigned *idx)
{
    pthread_mutex_lock(&p->mu);
    while (p->count >= NSLOT && !p->stop)
        pthread_cond_wait(&p->can_fill, &p->mu);
    bool stop = p->stop;
    *idx = (p->head + p->count) % NSLOT;
    pthread_mutex_unlock(&p->mu);
    return stop ? NULL : p->slot[*idx];
}

static void publish(pl_pipe *p, size_t len)
{
    pthread_mutex_lock(&p->mu);
    p->slot_len[(p->head + p->count) % NSLOT] = len;
    p->count++;
    pthread_cond_signal(&p->can_take);
    pthread_mutex_unlock(&p->mu);
}

static void finish(pl_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->done = true;
    pthread_cond_signal(&p->can_take);
    pthread_mutex_unlock(&p->mu);
}

/* Read at least `want` bytes unless the input ends first; false on a read error. */
static bool read_some(pl_pipe *p, size_t want, size_t *got)
{
    *got = 0;
    while (*got < want) {
        ptrdiff_t n = p->read(p->opaque, p->inbuf + *got, READ_BYTES - *got);
        if (n < 0) {
            set_error(p, PLUCK_E_READ_ERROR, "The input could not be read.");
            return false;
        }
        if (n == 0)
            break;
        *got += (size_t)n;
        atomic_fetch_add(&p->bytes_in, (uint64_t)n);
    }
    return true;
}

static void *producer(void *arg)
{
    pl_pipe *p = arg;
    size_t n = p->prefix_len; /* the caller's first bytes are in inbuf already */
    pl_codec *codec = pl_codec_create(p->kind, PL_GZIP_AUTO);
    if (!codec) {
        set_error(p, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        goto out;
    }
    pl_codec_set_max_window(codec, p->max_window);
    if (p->kind == PL_COMP_GZIP)
        pl_gzrec_attach(p->gzrec, codec);
    atomic_store(&p->codec_name, pl_codec_name(codec));
    unsigned idx;
    unsigned char *out = claim_slot(p, &idx);
    size_t room = SLOT_BYTES;
    bool eof = n == 0;
    while (out) {
        const unsigned char *in = p->inbuf;
        size_t inlen = n;
        if (eof)
            pl_codec_end_input(codec); /* the loop below then drains it */
        /* decode all of this read, publishing full slots as they fill */
        for (;;) {
            unsigned char *o = out + (SLOT_BYTES - room);
            pluck_code rc = pl_codec_decode(codec, &in, &inlen, &o, &room);
            if (rc) {
                if (room < SLOT_BYTES)
                    publish(p, SLOT_BYTES - room); /* what decoded cleanly comes first */
                set_error(p, rc, pl_codec_message(codec));
                goto out;
            }
            if (room == 0) {
                publish(p, SLOT_BYTES);
                if (!(out = claim_slot(p, &idx)))
                    goto out;
                room = SLOT_BYTES;
                continue;
            }
            if (inlen == 0)
                break;
        }
        if (eof) {
            if (room < SLOT_BYTES)
                publish(p, SLOT_BYTES - room);
            pluck_code rc = pl_codec_finish(codec);
            if (rc)
                set_error(p, rc, pl_codec_message(codec));
            else if (p->kind == PL_COMP_GZIP)
                pl_gzrec_done(p->gzrec, codec); /* read by the consumer after the join */
            break;
        }
        if (p->live && room < SLOT_BYTES) {
            /* live output: the next read may wait on a slow writer, so what this read
             * completed goes to the scanner now (one hand-over per read, not per record) */
            publish(p, SLOT_BYTES - room);
            if (!(out = claim_slot(p, &idx)))
                goto out;
            room = SLOT_BYTES;
        }
        if (!read_some(p, 1, &n)) {
            if (room < SLOT_BYTES)
                publish(p, SLOT_BYTES - room);
            break;
        }
        eof = n == 0;
    }
out:
    pl_codec_free(codec);
    finish(p);
    return NULL;
}

pl_pipe *pl_pipe_start(pl_compression kind, const void *prefix, size_t n, pluck_read_fn read,
                       void *opaque, bool live, uint64_t max_window, struct pl_gzrec *gzrec)
{
    if (n > READ_BYTES)
        return NULL;
    pl_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->kind = kind;
    p->gzrec = gzrec;
    p->max_window = max_window;
    p->live = live;
    p->read = read;
    p->opaque = opaque;
    atomic_init(&p->bytes_in, (uint64_t)n);
    atomic_init(&p->codec_name, "");
    p->inbuf = malloc(READ_BYTES);
    bool ok = p->inbuf != NULL;
    if (ok) {
        memcpy(p->inbuf, prefix, n);
        p->prefix_len = n;
    }
    for (int i = 0; i < NSLOT && ok; i++)
        ok = (p->slot[i] = malloc(SLOT_BYTES)) != NULL;
    if (ok) {
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->can_fill, NULL);
        pthread_cond_init(&p->can_take, NULL);
        if (pthread_create(&p->thread, NULL, producer, p) != 0) {
            pthread_mutex_destroy(&p->mu);
            pthread_cond_destroy(&p->can_fill);
            pthread_cond_destroy(&p->can_take);
            ok = false;
        }
    }
    if (!ok) {
        for (int i = 0; i < NSLOT; i++)
            free(p->slot[i]);
        free(p->inbuf);
        free(p);
        return NULL;
    }
    return p;
}

pluck_code pl_pipe_next(pl_pipe *p, const unsigned char **data, size_t *len)
{
    pthread_mutex_lock(&p->mu);
    while (p->count == 0 && !p->done)
        pthread_cond_wait(&p->can_take, &p->mu);
    pluck_code rc = PLUCK_OK;
    if (p->count > 0) {
        *data = p->slot[p->head];
        *len = p->slot_len[p->head];
        p->holding = true;
    } else {
        *data = NULL;
        *len = 0;
        rc = p->rc;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void pl_pipe_release(pl_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    if (p->holding) {
        p->holding = false;
        p->head = (p->head + 1) % NSLOT;
        p->count--;
        pthread_cond_signal(&p->can_fill);
    }
    pthread_mutex_unlock(&p->mu);
}

uint64_t pl_pipe_bytes_in(pl_pipe *p) { return atomic_load(&p->bytes_in); }
const char *pl_pipe_codec_name(pl_pipe *p) { return atomic_load(&p->codec_name); }
const char *pl_pipe_message(pl_pipe *p) { return p->msg; }

uint64_t pl_pipe_stop(pl_pipe *p)
{
    if (!p)
        return 0;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->can_fill);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->can_fill);
    pthread_cond_destroy(&p->can_take);
    for (int i = 0; i < NSLOT; i++)
        free(p->slot[i]);
    free(p->inbuf);
    uint64_t in = atomic_load(&p->bytes_in);
    free(p);
    return in;
}

/* threads >= 2: a producer thread reads and decompresses, this thread scans. */
pluck_code pl_pipe_drive(pl_source *s, pl_compression kind, const void *prefix, size_t n0,
                         pluck_read_fn read, void *opaque, bool live)
{
    pl_pipe *p = pl_pipe_start(kind, prefix, n0, read, opaque, live, s->max_window, s->gzrec);
    PL_RETURN_ERROR_IF(!p, &s->err, PLUCK_E_OUT_OF_MEMORY,
                       "Out of memory (decompression thread).");
    pluck_code rc;
    for (;;) {
        const unsigned char *data;
        size_t len;
        rc = pl_pipe_next(p, &data, &len);
        s->bytes_in = pl_pipe_bytes_in(p);
        s->codec = pl_pipe_codec_name(p);
        if (rc) {
            pl_source_fail(s, rc, "%s", pl_pipe_message(p));
            break;
        }
        if (len == 0)
            break;
        if ((rc = pl_source_reserve(s, len))) {
            pl_pipe_release(p);
            break;
        }
        memcpy(s->win + s->wlen, data, len);
        s->wlen += len;
        s->bytes_out += len;
        pl_pipe_release(p);
        if ((rc = s->scan(s->ctx, s, false)) || (rc = s->tick(s->ctx, s)))
            break;
    }
    s->bytes_in = pl_pipe_stop(p); /* counts a read finished after our last look */
    return rc;
}
