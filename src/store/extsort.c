/* extsort.c - external merge sort of fixed-size records (see extsort.h).
 *
 * Memory: one arena of the budget, allocated by cw_xsort_new and never grown (pages are only
 * touched as records arrive). While records are added it holds
 *
 *   [ records: cap * rec_size | pairs: cap | scratch: cap | radix work stack | write buffer ]
 *
 * where a pair is (8 key bytes, big-endian, as a uint64; record index). A full buffer is sorted
 * with a stable MSD radix sort over the pairs (xs_sort), then gathered in order through the
 * write buffer and appended as one run to a single spill file (mkstemp in tmp_dir, unlinked at
 * once; one file for all runs keeps one descriptor however many runs there are). At finish the
 * arena is cut into k + 1 equal slots (64 KiB to 1 MiB): a read buffer per run and an output
 * buffer, and the runs are merged with a binary heap keyed on (first 8 key bytes, rest of the
 * key, run number). When there are more runs than slots of 64 KiB fit in the arena (at most
 * 256; 15 with the 1 MiB minimum) they are first merged in passes of consecutive groups into a
 * new spill file. When nothing spilled, records are served straight from the sorted pairs.
 *
 * Stability: the radix sort is stable (out-of-place counting scatter, insertion sort for small
 * buckets), and runs hold consecutive stretches of the input, so the merge breaks key ties by
 * run number, and intermediate passes merge consecutive runs into consecutive runs.
 *
 * Why this sort: 2M 140-byte records with 40-byte keys, best of 3 on a shared 2-core machine,
 * -O2 (a throwaway harness, not in the tree):
 *
 *                                      random keys   "86138" + 8 digits, space-padded
 *   qsort, record pointers + memcmp      2.05 s          2.08 s
 *   qsort, (prefix, index) pairs         0.51 s          2.50 s
 *   inlined introsort, pairs             0.30 s          0.92 s
 *   LSD radix on the prefix, pairs       0.20 s          0.23 s
 *   MSD radix, pairs (first version)     0.11 s          0.29 s
 *   xs_sort, as cw_xsort_finish          0.08 s          0.19 s  (best of 7, huge pages)
 *
 * so 10-25M records/s, against 1M/s for qsort with a memcmp comparator.
 */
#define _FILE_OFFSET_BITS 64
#include "store/extsort.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/error.h"

#define XS_MIN_MEM ((size_t)1 << 20)
#define XS_MIN_SLOT ((size_t)64 << 10) /* smallest read buffer worth a pread */
#define XS_MAX_SLOT ((size_t)1 << 20)  /* see xs_slot_recs */
#define XS_MAX_FANIN 256
#define XS_SMALL 32 /* radix buckets this small are insertion-sorted */
#define XS_MAX_REC 4096
#define XS_HUGE_PAGE ((size_t)2 << 20)
#define XS_HUGE_MIN ((size_t)64 << 20) /* arenas this big ask for transparent huge pages */

struct xs_pair {
    uint64_t k; /* big-endian key bytes [off, off + 8) for some off, zero-padded past key_size */
    uint32_t i; /* record index in the buffer */
};

struct xs_range {
    uint32_t start, n; /* pairs [start, start + n) ... */
    uint16_t byte;     /* ... share key bytes [0, byte) ... */
    uint16_t off;      /* ... and hold key bytes [off, off + 8) in .k (off <= byte) */
};

struct xs_run {
    uint64_t off, n; /* byte offset in the spill file, records */
};

struct xs_reader {
    uint8_t *buf;
    size_t pos, len;    /* records: next to serve, loaded in buf */
    uint64_t off, left; /* file offset of the next unread record, records not yet read */
};

struct xs_heap_ent {
    uint64_t k; /* big-endian first 8 key bytes of the reader's current record */
    uint32_t r; /* reader (= run order within the merge) */
};

enum xs_state { XS_ADDING, XS_MEMORY, XS_MERGING };

struct cw_xsort {
    size_t rec_size, key_size;
    char *tmp_dir;
    int failed; /* a sticky CW_E* once an error was reported */
    enum xs_state state;
    uint64_t count, spilled;

    uint8_t *arena;
    size_t arena_size;
    /* the adding phase's view of the arena */
    uint8_t *recs;
    struct xs_pair *pairs, *scratch;
    struct xs_range *stack;
    size_t stack_cap;
    uint8_t *wbuf;
    size_t wbuf_recs;
    size_t cap, n; /* records the buffer holds, records in it */

    /* the spill file: runs appended at file_end */
    int fd;
    uint64_t file_end;
    struct xs_run *runs;
    size_t nruns, runs_cap;
    size_t max_fanin;

    /* the merge */
    struct xs_reader rd[XS_MAX_FANIN];
    struct xs_heap_ent heap[XS_MAX_FANIN];
    size_t heap_n;
    size_t slot_recs; /* records per read buffer in the final merge */
    int pending;      /* the heap top was served and must be advanced before the next */
    size_t served;    /* XS_MEMORY: pairs served */

    char *err; /* room for tmp_dir and a strerror text */
    size_t err_size;
};

/* p[0, 8) as a big-endian number, written out so that it compiles to a load and a byte swap:
 * reloading chunks in random record order misses the cache each time, and a short instruction
 * stream keeps many misses in flight. */
static uint64_t xs_be64(const uint8_t *p)
{
    uint8_t b[8];
    memcpy(b, p, 8);
    return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 | (uint64_t)b[2] << 40 |
           (uint64_t)b[3] << 32 | (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
           (uint64_t)b[6] << 8 | (uint64_t)b[7];
}

/* Key bytes [0, 8) of p, bytes at or past avail as 0. */
static uint64_t xs_load(const uint8_t *p, size_t avail)
{
    if (avail >= 8)
        return xs_be64(p);
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v = v << 8 | (i < avail ? p[i] : 0);
    return v;
}

static int xs_fail(struct cw_xsort *s, int err)
{
    snprintf(s->err, s->err_size, "%s: %s", s->tmp_dir, strerror(err));
    s->failed = CW_EIO;
    return CW_EIO;
}

static int xs_write_all(struct cw_xsort *s, int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return xs_fail(s, errno);
        }
        if (w == 0)
            return xs_fail(s, EIO);
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int xs_pread_all(struct cw_xsort *s, uint8_t *p, size_t len, uint64_t off)
{
    while (len) {
        ssize_t r = pread(s->fd, p, len, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return xs_fail(s, errno);
        }
        if (r == 0)
            return xs_fail(s, EIO); /* the file is shorter than what was written to it */
        p += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* A new spill file in tmp_dir, already unlinked. */
static int xs_tmpfile(struct cw_xsort *s, int *fd)
{
    size_t len = strlen(s->tmp_dir) + sizeof "/cw-xsort-XXXXXX";
    char *path = malloc(len);
    if (!path) {
        s->failed = CW_ENOMEM;
        return CW_ENOMEM;
    }
    snprintf(path, len, "%s/cw-xsort-XXXXXX", s->tmp_dir);
    *fd = mkstemp(path);
    int e = errno;
    if (*fd >= 0 && unlink(path) != 0) {
        e = errno;
        close(*fd);
        *fd = -1;
    }
    free(path);
    if (*fd < 0)
        return xs_fail(s, e);
    (void)fcntl(*fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

/* ---- sorting a buffer ------------------------------------------------------------------ */

static void xs_reload(struct cw_xsort *s, struct xs_pair *p, size_t n, size_t off)
{
    size_t avail = s->key_size - off, rs = s->rec_size;
    const uint8_t *base = s->recs + off;
    if (avail >= 8) {
        for (size_t i = 0; i < n; i++)
            p[i].k = xs_be64(base + (size_t)p[i].i * rs);
    } else {
        for (size_t i = 0; i < n; i++)
            p[i].k = xs_load(base + (size_t)p[i].i * rs, avail);
    }
}

/* Stable insertion sort of pairs whose keys agree before offset off and whose .k hold key
 * bytes [off, off + 8). */
static void xs_isort(struct cw_xsort *s, struct xs_pair *p, size_t n, size_t off)
{
    size_t rest = off + 8 < s->key_size ? s->key_size - off - 8 : 0;
    for (size_t i = 1; i < n; i++) {
        struct xs_pair t = p[i];
        const uint8_t *tk = s->recs + (size_t)t.i * s->rec_size + off + 8;
        size_t j = i;
        while (j > 0) {
            const struct xs_pair *q = &p[j - 1];
            int less;
            if (t.k != q->k)
                less = t.k < q->k;
            else
                less = rest && memcmp(tk, s->recs + (size_t)q->i * s->rec_size + off + 8, rest) < 0;
            if (!less)
                break;
            p[j] = p[j - 1];
            j--;
        }
        p[j] = t;
    }
}

/*
 * Stable MSD radix sort of pairs[0, n) by the records' keys, a byte at a time, using the work
 * stack of ranges (see struct xs_range): bytes common to a whole range are skipped at once, a
 * range is split on its first differing byte by counting and scattering to scratch and back
 * (which keeps equal bytes in insertion order), and small ranges are insertion-sorted. When a
 * range's next byte is past its 8 cached bytes, .k is reloaded from the records: that is a
 * cache miss per record once pairs are shuffled, so the whole buffer (still in record order)
 * first moves its cached bytes to the first byte where keys differ, which for keys with a
 * common prefix (country codes) often leaves the rest of the sort to the cached bytes. Ranges
 * on the stack are disjoint and larger than XS_SMALL, so it never holds more than cap / 33.
 */
static void xs_sort(struct cw_xsort *s)
{
    size_t top = 0, ks = s->key_size;
    if (s->n > 1)
        s->stack[top++] = (struct xs_range){0, (uint32_t)s->n, 0, 0};
    while (top) {
        struct xs_range r = s->stack[--top];
        struct xs_pair *p = s->pairs + r.start;
        size_t byte = r.byte, off = r.off;
        int whole = r.n == s->n; /* the whole buffer, still in record order */
        if (byte >= off + 8 && byte < ks)
            xs_reload(s, p, r.n, off = byte);
        if (r.n <= XS_SMALL) {
            xs_isort(s, p, r.n, off);
            continue;
        }
        while (byte < ks) {
            uint64_t diff = 0, k0 = p[0].k;
            for (size_t i = 1; i < r.n; i++)
                diff |= p[i].k ^ k0;
            diff &= UINT64_MAX >> (8 * (byte - off)); /* bytes before `byte` are common */
            if (diff) {
                byte = off + (size_t)__builtin_clzll(diff) / 8;
                if (whole && byte > off)
                    xs_reload(s, p, r.n, off = byte);
                break;
            }
            byte = off + 8;
            if (byte < ks)
                xs_reload(s, p, r.n, off = byte);
        }
        if (byte >= ks)
            continue; /* all keys equal: already in insertion order */
        int shift = 56 - 8 * (int)(byte - off);

        size_t cnt[256] = {0}, pos[256], sum = 0;
        for (size_t i = 0; i < r.n; i++)
            cnt[(p[i].k >> shift) & 255]++;
        for (int b = 0; b < 256; b++) {
            pos[b] = sum;
            sum += cnt[b];
        }
        struct xs_pair *tmp = s->scratch + r.start;
        for (size_t i = 0; i < r.n; i++)
            tmp[pos[(p[i].k >> shift) & 255]++] = p[i];
        memcpy(p, tmp, r.n * sizeof *p);

        size_t next = byte + 1, start = 0;
        if (next >= ks)
            continue; /* each bucket holds equal keys, in insertion order */
        for (int b = 0; b < 256; b++) {
            size_t c = cnt[b];
            if (c > XS_SMALL) {
                s->stack[top++] = (struct xs_range){r.start + (uint32_t)start, (uint32_t)c,
                                                    (uint16_t)next, (uint16_t)off};
            } else if (c > 1) {
                size_t coff = off;
                if (next >= off + 8)
                    xs_reload(s, p + start, c, coff = next);
                xs_isort(s, p + start, c, coff);
            }
            start += c;
        }
    }
}

/* Sort the buffer and append it to the spill file as one run. */
static int xs_spill(struct cw_xsort *s)
{
    int rc;
    if (s->fd < 0 && (rc = xs_tmpfile(s, &s->fd)) != 0)
        return rc;
    if (s->nruns == s->runs_cap) {
        size_t nc = s->runs_cap ? 2 * s->runs_cap : 64;
        struct xs_run *nr = realloc(s->runs, nc * sizeof *nr);
        if (!nr) {
            s->failed = CW_ENOMEM;
            return CW_ENOMEM;
        }
        s->runs = nr;
        s->runs_cap = nc;
    }
    xs_sort(s);
    size_t rs = s->rec_size, w = 0;
    for (size_t i = 0; i < s->n; i++) {
        memcpy(s->wbuf + w * rs, s->recs + (size_t)s->pairs[i].i * rs, rs);
        if (++w == s->wbuf_recs || i + 1 == s->n) {
            if ((rc = xs_write_all(s, s->fd, s->wbuf, w * rs)) != 0)
                return rc;
            w = 0;
        }
    }
    s->runs[s->nruns++] = (struct xs_run){s->file_end, s->n};
    s->file_end += (uint64_t)s->n * rs;
    s->spilled++;
    s->n = 0;
    return 0;
}

/* ---- merging runs ---------------------------------------------------------------------- */

static int xs_less(const struct cw_xsort *s, const struct xs_heap_ent *a,
                   const struct xs_heap_ent *b)
{
    if (a->k != b->k)
        return a->k < b->k;
    if (s->key_size > 8) {
        const struct xs_reader *ra = &s->rd[a->r], *rb = &s->rd[b->r];
        int c = memcmp(ra->buf + ra->pos * s->rec_size + 8, rb->buf + rb->pos * s->rec_size + 8,
                       s->key_size - 8);
        if (c)
            return c < 0;
    }
    return a->r < b->r; /* earlier runs hold earlier records */
}

static void xs_sift_down(struct cw_xsort *s, size_t i)
{
    struct xs_heap_ent *h = s->heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->heap_n)
            return;
        if (c + 1 < s->heap_n && xs_less(s, &h[c + 1], &h[c]))
            c++;
        if (!xs_less(s, &h[c], &h[i]))
            return;
        struct xs_heap_ent t = h[i];
        h[i] = h[c];
        h[c] = t;
        i = c;
    }
}

static uint64_t xs_reader_key(const struct cw_xsort *s, const struct xs_reader *rd)
{
    return xs_load(rd->buf + rd->pos * s->rec_size, s->key_size);
}

static int xs_refill(struct cw_xsort *s, struct xs_reader *rd, size_t slot_recs)
{
    size_t m = rd->left < slot_recs ? (size_t)rd->left : slot_recs;
    int rc = xs_pread_all(s, rd->buf, m * s->rec_size, rd->off);
    if (rc)
        return rc;
    rd->off += (uint64_t)m * s->rec_size;
    rd->left -= m;
    rd->pos = 0;
    rd->len = m;
    return 0;
}

/* Set up a heap merge of runs[first, first + k), each read through its own slot of the arena
 * (slot k, when the caller needs one, is left for output). */
static int xs_merge_begin(struct cw_xsort *s, size_t first, size_t k, size_t slot_recs)
{
    s->heap_n = 0;
    s->pending = 0;
    for (size_t j = 0; j < k; j++) {
        struct xs_reader *rd = &s->rd[j];
        rd->buf = s->arena + j * slot_recs * s->rec_size;
        rd->off = s->runs[first + j].off;
        rd->left = s->runs[first + j].n;
        int rc = xs_refill(s, rd, slot_recs);
        if (rc)
            return rc;
        s->heap[s->heap_n++] = (struct xs_heap_ent){xs_reader_key(s, rd), (uint32_t)j};
    }
    for (size_t i = s->heap_n / 2; i-- > 0;)
        xs_sift_down(s, i);
    return 0;
}

/* The smallest record of the merge, valid until the next call: 1, 0 at the end, or CW_EIO. */
static int xs_merge_next(struct cw_xsort *s, size_t slot_recs, const void **rec)
{
    if (s->pending) {
        s->pending = 0;
        struct xs_heap_ent *top = &s->heap[0];
        struct xs_reader *rd = &s->rd[top->r];
        if (++rd->pos == rd->len) {
            if (rd->left) {
                int rc = xs_refill(s, rd, slot_recs);
                if (rc)
                    return rc;
            } else {
                s->heap[0] = s->heap[--s->heap_n];
                xs_sift_down(s, 0);
                goto serve;
            }
        }
        top->k = xs_reader_key(s, rd);
        xs_sift_down(s, 0);
    }
serve:
    if (s->heap_n == 0)
        return 0;
    const struct xs_reader *rd = &s->rd[s->heap[0].r];
    *rec = rd->buf + rd->pos * s->rec_size;
    s->pending = 1;
    return 1;
}

/* Records per slot when the arena is cut into `slots` equal read/write buffers, at most
 * XS_MAX_SLOT bytes: bigger reads only push the records out of the cache before the merge gets
 * to them (merging 5 runs of 2M 140-byte records from the page cache: 6-7M records/s with 50 MB
 * slots, 9-11M with 1 MiB, 12M with 256 KiB), and 1 MiB is still a long sequential read. */
static size_t xs_slot_recs(const struct cw_xsort *s, size_t slots)
{
    size_t b = s->arena_size / slots;
    return (b < XS_MAX_SLOT ? b : XS_MAX_SLOT) / s->rec_size;
}

/* One pass: merge consecutive groups of max_fanin runs into a new spill file, one run each. */
static int xs_merge_pass(struct cw_xsort *s)
{
    int fd_out, rc;
    if ((rc = xs_tmpfile(s, &fd_out)) != 0)
        return rc;
    size_t rs = s->rec_size, nout = 0;
    uint64_t end = 0;
    for (size_t first = 0; first < s->nruns; first += s->max_fanin) {
        size_t k = s->nruns - first < s->max_fanin ? s->nruns - first : s->max_fanin;
        size_t slot_recs = xs_slot_recs(s, k + 1);
        uint8_t *out = s->arena + k * slot_recs * rs;
        uint64_t n = 0;
        size_t w = 0;
        const void *rec;
        if ((rc = xs_merge_begin(s, first, k, slot_recs)) != 0)
            goto fail;
        while ((rc = xs_merge_next(s, slot_recs, &rec)) == 1) {
            memcpy(out + w * rs, rec, rs);
            n++;
            if (++w == slot_recs) {
                if ((rc = xs_write_all(s, fd_out, out, w * rs)) != 0)
                    goto fail;
                w = 0;
            }
        }
        if (rc < 0 || (rc = xs_write_all(s, fd_out, out, w * rs)) != 0)
            goto fail;
        /* slot nout's old run (first >= nout) has been read: overwrite it in place */
        s->runs[nout++] = (struct xs_run){end, n};
        end += n * rs;
    }
    close(s->fd);
    s->fd = fd_out;
    s->file_end = end;
    s->nruns = nout;
    return 0;
fail:
    close(fd_out);
    return rc;
}

/* The arena. A big one is aligned to and advised for huge pages where the system has them:
 * sorting touches records in random order, and with 4 KiB pages every touch is also a TLB
 * miss (2M 140-byte records sort about a quarter faster with 2 MiB pages). */
static uint8_t *xs_arena_alloc(size_t size)
{
#ifdef MADV_HUGEPAGE
    if (size >= XS_HUGE_MIN) {
        size_t rounded = (size + XS_HUGE_PAGE - 1) / XS_HUGE_PAGE * XS_HUGE_PAGE;
        uint8_t *p = aligned_alloc(XS_HUGE_PAGE, rounded);
        if (p)
            (void)madvise(p, rounded, MADV_HUGEPAGE); /* only advice: failure is harmless */
        return p;
    }
#endif
    return malloc(size);
}

/* ---- the API --------------------------------------------------------------------------- */

int cw_xsort_new(size_t rec_size, size_t key_size, size_t mem_bytes, const char *tmp_dir,
                 struct cw_xsort **out)
{
    if (!out)
        return CW_EINVAL;
    *out = NULL;
    if (rec_size == 0 || rec_size > XS_MAX_REC || key_size == 0 || key_size > rec_size ||
        !tmp_dir || !*tmp_dir)
        return CW_EINVAL;
    struct cw_xsort *s = calloc(1, sizeof *s);
    if (!s)
        return CW_ENOMEM;
    s->rec_size = rec_size;
    s->key_size = key_size;
    s->fd = -1;
    s->state = XS_ADDING;
    if (!(s->tmp_dir = strdup(tmp_dir)))
        goto fail;
    s->err_size = strlen(tmp_dir) + 128;
    if (!(s->err = calloc(1, s->err_size)))
        goto fail;

    size_t mem = mem_bytes < XS_MIN_MEM ? XS_MIN_MEM : mem_bytes;
    size_t wbytes = mem / 32 < XS_MIN_SLOT ? XS_MIN_SLOT : mem / 32;
    if (wbytes > ((size_t)1 << 20))
        wbytes = (size_t)1 << 20;
    s->wbuf_recs = wbytes / rec_size;
    wbytes = s->wbuf_recs * rec_size;
    /* per record: itself, a pair, a scratch pair and (at most) 1/33 of a work-stack entry;
     * 64 bytes of slack for alignment */
    size_t per = rec_size + 2 * sizeof(struct xs_pair) + 1;
    size_t cap = (mem - wbytes - 64) / per;
    if (cap > UINT32_MAX - 1)
        cap = UINT32_MAX - 1; /* record indexes are 32-bit */
    s->cap = cap;
    s->stack_cap = cap / (XS_SMALL + 1) + 1;

    size_t a = 8, o_pairs, o_scratch, o_stack, o_wbuf;
    o_pairs = (cap * rec_size + a - 1) / a * a;
    o_scratch = o_pairs + cap * sizeof(struct xs_pair);
    o_stack = o_scratch + cap * sizeof(struct xs_pair);
    o_wbuf = o_stack + s->stack_cap * sizeof(struct xs_range);
    /* the layout fits in mem; all of mem is used for the merge's buffers unless cap was capped */
    s->arena_size = cap == UINT32_MAX - 1 ? o_wbuf + wbytes : mem;
    if (!(s->arena = xs_arena_alloc(s->arena_size)))
        goto fail;
    s->recs = s->arena;
    s->pairs = (struct xs_pair *)(void *)(s->arena + o_pairs);
    s->scratch = (struct xs_pair *)(void *)(s->arena + o_scratch);
    s->stack = (struct xs_range *)(void *)(s->arena + o_stack);
    s->wbuf = s->arena + o_wbuf;

    /* the merge cuts the arena into fan-in + 1 slots of at least XS_MIN_SLOT */
    size_t fanin = s->arena_size / XS_MIN_SLOT - 1;
    s->max_fanin = fanin > XS_MAX_FANIN ? XS_MAX_FANIN : fanin;
    *out = s;
    return 0;
fail:
    cw_xsort_free(s);
    return CW_ENOMEM;
}

int cw_xsort_add(struct cw_xsort *s, const void *rec)
{
    if (s->failed)
        return s->failed;
    if (s->state != XS_ADDING || !rec)
        return CW_EINVAL;
    if (s->n == s->cap) {
        int rc = xs_spill(s);
        if (rc)
            return rc;
    }
    uint8_t *dst = s->recs + s->n * s->rec_size;
    memcpy(dst, rec, s->rec_size);
    s->pairs[s->n] = (struct xs_pair){xs_load(dst, s->key_size), (uint32_t)s->n};
    s->n++;
    s->count++;
    return 0;
}

int cw_xsort_finish(struct cw_xsort *s)
{
    if (s->failed)
        return s->failed;
    if (s->state != XS_ADDING)
        return CW_EINVAL;
    int rc;
    if (s->nruns == 0) {
        xs_sort(s);
        s->served = 0;
        s->state = XS_MEMORY;
        return 0;
    }
    if (s->n && (rc = xs_spill(s)) != 0)
        return rc;
    /* from here on the arena is only read and write buffers */
    while (s->nruns > s->max_fanin)
        if ((rc = xs_merge_pass(s)) != 0)
            return rc;
    s->slot_recs = xs_slot_recs(s, s->nruns + 1);
    if ((rc = xs_merge_begin(s, 0, s->nruns, s->slot_recs)) != 0)
        return rc;
    s->state = XS_MERGING;
    return 0;
}

int cw_xsort_next(struct cw_xsort *s, const void **rec)
{
    if (s->failed)
        return s->failed;
    if (s->state == XS_MEMORY) {
        if (s->served == s->n)
            return 0;
        *rec = s->recs + (size_t)s->pairs[s->served++].i * s->rec_size;
        return 1;
    }
    if (s->state != XS_MERGING)
        return CW_EINVAL;
    return xs_merge_next(s, s->slot_recs, rec);
}

uint64_t cw_xsort_count(const struct cw_xsort *s)
{
    return s->count;
}

uint64_t cw_xsort_runs(const struct cw_xsort *s)
{
    return s->spilled;
}

const char *cw_xsort_error(const struct cw_xsort *s)
{
    return s->err;
}

void cw_xsort_free(struct cw_xsort *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s->runs);
    free(s->arena);
    free(s->tmp_dir);
    free(s->err);
    free(s);
}
