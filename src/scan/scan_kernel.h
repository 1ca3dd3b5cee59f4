/*
 * scan_kernel.h — the SIMD kernels' two block loops, written once over a few primitives.
 *
 * Included by scan_sse42.c, scan_avx2.c and scan_neon.c after they define:
 *   PL_KTARGET            function attribute enabling the instruction set (may be empty)
 *   PL_KNAME(x)           x suffixed with the kernel's name
 *   pl_kvec               one splatted byte
 *   pl_kblk               64 loaded bytes
 *   pl_ksplat(c)          -> pl_kvec
 *   pl_kload(p)           -> pl_kblk, 64 bytes at p (any alignment)
 *   pl_keq(x, v)          -> uint64_t, bit i set when byte i of x equals v
 *   pl_kprefix_xor(m)     -> uint64_t, bit i = XOR of bits 0..i of m
 * and it defines, for scan.c to point at:
 *   PL_KNAME(pl_stage1_)  stage 1 for the quoted-record walker (scan_simd.c)
 *   PL_KNAME(pl_fast_)    the fast path below
 *   PL_KNAME(pl_find_)    the run's literal prefilter search (pl_scanner_find)
 * Everything here is compiled with the kernel's target attribute, so the primitives inline.
 */

/* One block's events, appended to ev; `valid` masks off bytes past the buffer's end. */
PL_KTARGET static inline PL_KINLINE size_t PL_KNAME(block_)(const pl_stage1_cfg *c, pl_kblk x,
                                                 uint64_t valid, uint64_t *cy, uint32_t *ev,
                                                 size_t n, uint32_t base)
{
    uint64_t q = pl_keq(x, pl_ksplat(c->q)) & c->qon;
    uint64_t f = pl_keq(x, pl_ksplat(c->fd));
    uint64_t r = pl_keq(x, pl_ksplat(c->rd));
    uint64_t e = pl_keq(x, pl_ksplat(c->esc)) & c->eon;
    /* The carry chain is one XOR and one shift per block; the prefix XOR is off it. */
    uint64_t inq = pl_kprefix_xor(q) ^ *cy;
    *cy = (uint64_t)((int64_t)inq >> 63);
    uint64_t m = (f & ~inq) | (r & ~(inq & c->rd_masked)) | q | (e & inq);
    return pl_flatten(ev, n, base, m & valid);
}

PL_KTARGET size_t PL_KNAME(pl_stage1_)(const pl_stage1_cfg *c, const char *buf, size_t from,
                                       size_t to, uint64_t *carry, uint32_t *ev)
{
    const pl_stage1_cfg cf = *c; /* a local copy the compiler knows nothing else writes */
    uint64_t cy = *carry;
    size_t n = 0;
    size_t i = from;
    for (; to - i >= 64; i += 64)
        n = PL_KNAME(block_)(&cf, pl_kload(buf + i), ~(uint64_t)0, &cy, ev, n, (uint32_t)i);
    if (i < to) {
        /* The partial last block of the buffer, copied so no byte past it is read. */
        unsigned char tmp[64];
        memset(tmp, cf.pad, sizeof tmp);
        memcpy(tmp, buf + i, to - i);
        n = PL_KNAME(block_)(&cf, pl_kload((const char *)tmp), ((uint64_t)1 << (to - i)) - 1,
                             &cy, ev, n, (uint32_t)i);
    }
    *carry = cy;
    return n;
}

/*
 * The fast path: record after record, each read in 64-byte windows from its first byte,
 * for as long as the records hold no quote the scalar kernel would look at.  Such a record
 * ends at its first record delimiter and its fields at the field delimiters before it,
 * which is all the masks of a window need to say; no events are stored.  Once max_fields
 * fields are cut, later windows only look for the record delimiter and for quotes (a
 * skipped field must still be well formed, and with quoted record delimiters allowed a
 * quote could hide the delimiter).
 *
 * A window reaching past the buffer's end is copied into a padded block first, so the
 * last records of a buffer (and buffers of a single record, as the run's literal
 * prefilter hands over) stay on this path.
 *
 * Stops, leaving st->pos at the record, at anything else: a quote before the record's
 * end, a comment, a record that is too long, and a record the buffer does not hold whole
 * (the walker and the epilogue decide about it).
 */
PL_KTARGET void PL_KNAME(pl_fast_)(pl_scanner *s, pl_scan_state *st)
{
    pl_batch *const b = &s->batch;
    const char *const buf = st->buf;
    const size_t len = st->len;
    const pl_kvec vfd = pl_ksplat(s->fd), vrd = pl_ksplat(s->rd0), vq = pl_ksplat(s->cfg.q);
    const uint64_t qon = s->cfg.qon;
    const int comment = s->comment;
    const bool crlf = s->crlf;
    const uint32_t maxf = s->max_fields, cap = s->batch_cap;
    const size_t max_rec = s->max_rec;
    size_t pos = st->pos, nft = st->nft;
    uint64_t recno = st->recno;
    uint32_t nrec = b->nrec;
    pl_field *fields = b->fields;

    const bool final = st->final;
    const unsigned char pad = s->cfg.pad;

    while (nrec < cap && pos < len) {
        if ((int)(unsigned char)buf[pos] == comment)
            break;
        const size_t first = nft;
        uint32_t nf = 0;
        size_t fs = pos, w = pos, rec_end;
        for (;;) {
            pl_kblk x;
            uint64_t valid = ~(uint64_t)0;
            if (PL_LIKELY(len - w >= 64)) {
                x = pl_kload(buf + w);
            } else {
                unsigned char tmp[64];
                memset(tmp, pad, sizeof tmp);
                memcpy(tmp, buf + w, len - w);
                x = pl_kload((const char *)tmp);
                valid = ((uint64_t)1 << (len - w)) - 1;
            }
            uint64_t r = pl_keq(x, vrd) & valid;
            /* the bytes of this window before the first record delimiter */
            uint64_t below = r ? (r & (0 - r)) - 1 : valid;
            if (PL_LIKELY(nf < maxf)) {
                if (pl_keq(x, vq) & qon & below)
                    goto slow;
                /* A window holds at most 64 delimiters; make room for them and the last
                 * field once, not per field. */
                if (PL_UNLIKELY(s->fcap - nft < 65)) {
                    if (!pl_scan_grow_fields(s, nft + 65))
                        goto slow; /* the scalar code reports the failure */
                    fields = b->fields;
                }
                uint64_t f = pl_keq(x, vfd) & below;
                while (f) {
                    size_t e = w + (size_t)__builtin_ctzll(f);
                    fields[nft].p = buf + fs;
                    fields[nft].len = (uint32_t)(e - fs);
                    nft++;
                    fs = e + 1;
                    f &= f - 1;
                    if (PL_UNLIKELY(++nf == maxf))
                        break;
                }
            } else if (pl_keq(x, vq) & qon & below) {
                goto slow; /* skipped fields are checked too: the walker does it */
            }
            if (r) {
                rec_end = w + (size_t)__builtin_ctzll(r);
                break;
            }
            if (PL_UNLIKELY(valid != ~(uint64_t)0)) {
                /* the buffer ends inside this record */
                if (!final)
                    goto slow;
                rec_end = len;
                break;
            }
            w += 64;
        }
        size_t next = rec_end < len ? rec_end + 1 : len;
        if (crlf && rec_end > pos && buf[rec_end - 1] == '\r')
            rec_end--;
        if (PL_UNLIKELY(rec_end - pos > max_rec))
            goto slow;
        if (PL_UNLIKELY(rec_end == pos)) { /* an empty record: skipped, but numbered */
            recno++;
            pos = next;
            continue;
        }
        if (nf < maxf) {
            fields[nft].p = buf + fs;
            fields[nft].len = (uint32_t)(rec_end - fs);
            nft++;
            nf++;
        }
        b->first[nrec] = (uint32_t)first;
        b->nfields[nrec] = nf;
        b->offset[nrec] = st->base + pos;
        b->recno[nrec] = ++recno;
        nrec++;
        pos = next;
        continue;
    slow:
        nft = first;
        break;
    }
    b->nrec = nrec;
    st->pos = pos;
    st->nft = nft;
    st->recno = recno;
}

/* Per 64-byte block: candidates where the literal's first byte is followed, dist bytes on,
 * by its last byte (two loads, no per-candidate branch), or a quote; the newlines before the
 * first candidate are counted, and a line's length is taken where it crosses into a block. */
PL_KTARGET size_t PL_KNAME(pl_find_)(const pl_find *f, const char *p, size_t n, pl_find_pos *at)
{
    const pl_kvec va = pl_ksplat(f->first), vb = pl_ksplat(f->last), vn = pl_ksplat('\n');
    const pl_kvec vq = pl_ksplat(f->quote >= 0 ? (unsigned char)f->quote : f->first);
    const uint64_t qon = f->quote >= 0 ? ~(uint64_t)0 : 0;
    const pl_kvec vc = pl_ksplat(f->comment >= 0 ? (unsigned char)f->comment : f->first);
    const uint64_t con = f->comment >= 0 ? ~(uint64_t)0 : 0;
    const size_t d = f->dist;
    size_t i = 0, k = at->lines, longest = at->longest;
    ptrdiff_t line = at->line;
    /* bit 0: p[i - 1] ends a line (so p[i] starts one); p[i - 1] starts a line */
    uint64_t nlc = line == 0, lsc = line == -1;
    for (; n >= d + 64 && i <= n - d - 64; i += 64) {
        pl_kblk x = pl_kload(p + i);
        uint64_t nl = pl_keq(x, vn);
        /* lines that are not data records: comments and empty lines at their start, a
         * one-byte line (a lone CR) at its newline */
        const uint64_t ls = nl << 1 | nlc;
        nlc = nl >> 63;
        uint64_t c = (pl_keq(x, va) & pl_keq(pl_kload(p + i + d), vb)) | (pl_keq(x, vq) & qon) |
                     (ls & ((pl_keq(x, vc) & con) | nl)) | ((ls << 1 | lsc) & nl);
        lsc = ls >> 63;
        if (c)
            nl &= (c & (0 - c)) - 1; /* the newlines before the first candidate */
        if (nl) {
            size_t len = (size_t)((ptrdiff_t)(i + (size_t)__builtin_ctzll(nl)) - line) + 1;
            if (len > longest)
                longest = len;
            line = (ptrdiff_t)(i + 64 - (size_t)__builtin_clzll(nl));
            k += (size_t)__builtin_popcountll(nl);
        }
        if (c) {
            *at = (pl_find_pos){.lines = k, .line = line, .longest = longest};
            return i + (size_t)__builtin_ctzll(c);
        }
    }
    *at = (pl_find_pos){.lines = k, .line = line, .longest = longest};
    return pl_find_scalar_from(f, p, i, n, at);
}

/*
 * The prefilter's line skipper (pl_scanner_skip): whole lines that cannot match and whose
 * quoting the scanner would accept, judged from the block masks alone.  Per 64-byte block:
 * the quote state (prefix XOR, carried), then every place that breaks the scanner's quoting
 * rules is a "bad" bit -- an opening quote not at a field's start, a closing quote followed
 * by anything but a field delimiter, a newline, CR + newline or (doubling) another quote, a
 * newline inside quotes -- and so is every real occurrence of the literal, a newline
 * that ends a line longer than max_line, and the lines that are not data records (comments,
 * empty lines, one-byte lines, as pl_find_ marks them), which the scanner must count as
 * such.  The masks look backwards only (what precedes a
 * quote, what follows a closing quote seen one byte later), so the rules carry one bit each
 * across blocks and no block needs the next.  A quote inside an unquoted field is data to
 * the scanner but looks like a misplaced opening quote here: such a line stops the skipper
 * and the caller's scalar check decides it, so the skipper may be stricter than the
 * scanner, never looser.  Stops at the start of the first line with a bad bit, or of the
 * line still open where fewer than 64 + dist bytes remain.
 */
PL_KTARGET size_t PL_KNAME(pl_skip_)(const pl_scanner *s, const pl_skip *k, const char *p,
                                     size_t n, size_t *lines)
{
    const pl_kvec va = pl_ksplat((unsigned char)k->lit[0]),
                  vb = pl_ksplat((unsigned char)k->lit[k->len - 1]), vn = pl_ksplat('\n'),
                  vq = pl_ksplat((unsigned char)s->quote), vf = pl_ksplat(s->fd),
                  vr = pl_ksplat('\r'),
                  vc = pl_ksplat(s->comment >= 0 ? (unsigned char)s->comment : s->fd);
    const uint64_t con = s->comment >= 0 ? ~(uint64_t)0 : 0;
    const size_t d = k->len - 1, max_line = k->max_line;
    size_t i = 0, nl_count = 0, line = 0;
    uint64_t cy = 0;       /* in-quote state carried into the block: 0 or ~0 */
    uint64_t prev_ok = 1;  /* bit 0: the byte before the block may precede an opening quote */
    uint64_t after_close = 0, after_cr = 0; /* bit 0: the byte before was a closing quote, or
                                              * a CR right after one */
    uint64_t nlc = 1, lsc = 0; /* bit 0: the byte before ends a line; starts one */
    for (; n >= d + 64 && i <= n - d - 64; i += 64) {
        pl_kblk x = pl_kload(p + i);
        const uint64_t q = pl_keq(x, vq), nl = pl_keq(x, vn), f = pl_keq(x, vf);
        uint64_t c = pl_keq(x, va) & pl_keq(pl_kload(p + i + d), vb);
        const uint64_t inq = pl_kprefix_xor(q) ^ cy;
        cy = (uint64_t)((int64_t)inq >> 63);
        const uint64_t open = q & inq, close = q & ~inq;
        /* an opening quote starts a field or doubles the closing quote before it */
        const uint64_t sep = f | nl | close;
        uint64_t bad = open & ~(prev_ok | sep << 1);
        prev_ok = sep >> 63;
        /* after a closing quote: a delimiter, a newline, the doubling quote, or a CR that
         * a newline follows */
        const uint64_t ac = after_close | close << 1;
        after_close = close >> 63;
        uint64_t cr = ac & ~(f | nl | open);
        if (cr) { /* rare but in CRLF files: only a CR may still follow a closing quote */
            const uint64_t r = pl_keq(x, vr);
            bad |= cr & ~r;
            cr &= r;
        }
        bad |= (after_cr | cr << 1) & ~nl;
        after_cr = cr >> 63;
        bad |= nl & inq;
        /* not data records: comments and empty lines, one-byte lines (a lone CR) */
        const uint64_t ls = nl << 1 | nlc;
        nlc = nl >> 63;
        bad |= (ls & ((pl_keq(x, vc) & con) | nl)) | ((ls << 1 | lsc) & nl);
        lsc = ls >> 63;
        if (nl && i + (size_t)__builtin_ctzll(nl) + 1 - line > max_line)
            bad |= nl & (0 - nl); /* the first line ending here is too long to skip */
        while (c) { /* first and last bytes match: is the literal there? */
            const uint64_t b = c & (0 - c);
            if (!memcmp(p + i + (size_t)__builtin_ctzll(b), k->lit, k->len))
                bad |= b;
            c &= c - 1;
        }
        if (PL_UNLIKELY(bad)) {
            /* the newlines before the first bad byte end the lines skipped */
            const uint64_t before = nl & ((bad & (0 - bad)) - 1);
            if (before) {
                nl_count += (size_t)__builtin_popcountll(before);
                line = i + 64 - (size_t)__builtin_clzll(before);
            }
            *lines = nl_count;
            return line;
        }
        if (nl) {
            nl_count += (size_t)__builtin_popcountll(nl);
            line = i + 64 - (size_t)__builtin_clzll(nl);
        }
    }
    *lines = nl_count;
    return line;
}
