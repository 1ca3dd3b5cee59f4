/*
 * codec_impl.h — private to src/codec: the struct behind pl_codec and the hooks each
 * backend (gzip.c, zstd.c, bzip2.c, xz.c, and the copy backend in codec.c) provides.
 *
 * codec.c owns the outer loop of pl_codec_decode(): it checks the magic number of the
 * first member (so "not this format at all" is told apart from "corrupt"), keeps the
 * compressed/decompressed byte counts used in messages, makes errors sticky, and calls the
 * backend's step() until the output is full or the backend stalls.  A backend's step()
 * does one bounded unit of work (typically one library call, or one member transition).
 */
#ifndef PL_CODEC_IMPL_H
#define PL_CODEC_IMPL_H

#include "codec/codec.h"

typedef struct pl_codec_ops {
    /* Advance the input (*in, *in_len) and the output (*out, *out_cap).  Sets *stalled
     * when no further progress is possible with these buffers (it needs more input or
     * more output room), so the caller can stop looping.  On entry c->in_total is the
     * compressed offset of (*in)[0].  Returns PLUCK_OK or an error set in c->err
     * (PL_RETURN_ERROR_IF(cond, &c->err, code, ...)). */
    pluck_code (*step)(pl_codec *c, const unsigned char **in, size_t *in_len,
                       unsigned char **out, size_t *out_cap, bool *stalled);
    /* End of input after all input was consumed and all output drained. */
    pluck_code (*finish)(pl_codec *c);
    void (*destroy)(pl_codec *c); /* frees c->state (may be NULL) */
} pl_codec_ops;

#define PL_CODEC_HEAD_MAX 8

struct pl_codec {
    const pl_codec_ops *ops;
    void *state;        /* backend-owned */
    const char *name;   /* static string, see pl_codec_name() */
    pl_compression kind;
    uint64_t in_total;  /* compressed bytes consumed so far */
    uint64_t out_total; /* decompressed bytes produced so far */
    unsigned char head[PL_CODEC_HEAD_MAX]; /* first bytes of the stream, for the magic check */
    size_t head_len;
    pluck_code failed;  /* sticky: once set, decode and finish return it */
    bool finished;      /* pl_codec_finish() succeeded; repeating it is a no-op */
    bool input_done;    /* pl_codec_end_input() was called: no more input comes */
    pluck_error err;    /* the message of `failed` (pl_codec_message) */
};

/* "trailing garbage after <what> at compressed offset <at>": bytes after a complete
 * member/stream/frame that do not start another. */
pluck_code pl_codec_trailing_garbage(pl_codec *c, const char *what, uint64_t at);

/* Copy up to `room` bytes of the input (*in, *in_len) to buf[*len..), advancing *len and the
 * input; returns how many: for backends that gather their input first. */
size_t pl_codec_take_in(unsigned char *buf, size_t *len, size_t room, const unsigned char **in,
                        size_t *in_len);

/* Copy what is left of src[*sent..len) into *out (as much as *out_cap takes), advancing
 * *sent and the output: for backends that decode into a buffer of their own first. */
void pl_codec_hand_out(const unsigned char *src, size_t len, size_t *sent, unsigned char **out,
                       size_t *out_cap);

/* How far p[0..n) goes towards the magic number of kind: 0 = cannot be it, 1 = a proper
 * prefix of it (more bytes needed), 2 = a complete match. */
int pl_codec_magic_match(pl_compression kind, const unsigned char *p, size_t n);
/* Bytes needed to recognise kind (0 for PL_COMP_NONE). */
size_t pl_codec_magic_len(pl_compression kind);

/* Backend constructors: fill c->ops, c->state and c->name.  Return PLUCK_OK,
 * PLUCK_E_OUT_OF_MEMORY, or PLUCK_E_INTERNAL_ERROR when the library refuses to start. */
pluck_code pl_codec_open_gzip(pl_codec *c, pl_gzip_backend backend);
pluck_code pl_codec_open_zstd(pl_codec *c);
pluck_code pl_codec_open_bzip2(pl_codec *c);
pluck_code pl_codec_open_xz(pl_codec *c);
/* The backends' part of pl_codec_set_max_window(). */
void pl_codec_zstd_max_window(pl_codec *c, uint64_t max_window);
void pl_codec_xz_max_window(pl_codec *c, uint64_t max_window);
/* zstd.c counts offsets itself: start them at `at` (pl_codec_resume_at). */
void pl_codec_zstd_resume(pl_codec *c, uint64_t at);

/* The largest count a library taking `unsigned int` / uint32_t lengths accepts. */
static inline size_t pl_codec_clamp32(size_t n)
{
    return n > 0xFFFFFFFFu ? (size_t)0xFFFFFFFFu : n;
}

#endif /* PL_CODEC_IMPL_H */
