/*
 * _pluck.c — the CPython face of libpluck: a thin client of include/pluck.h only.
 *
 * Query compiles SQL once (keywords come from the library's parameter table, so Python,
 * the CLI and the server accept the same fields); Query.scan(source) returns a Scan, an
 * iterator of bytes chunks that end on record boundaries.  The pure-Python layer
 * (pluck/__init__.py) picks the source kind and turns TYPED output into Python values.
 *
 * Memory stays flat: input is taken a block at a time and pushed to the run in small
 * pieces, and __next__ returns as soon as about YIELD_AT bytes of output are waiting, so
 * what is held is one input block plus one output chunk whatever the source's size.
 *
 * The GIL is released around every libpluck call that does work (feed, finish) and around
 * read(2) of a file; the write callback only appends to a C buffer, so it needs no GIL.
 * Reading from a Python file object happens with the GIL held, between C steps.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "pluck.h"

#define IN_BLOCK (256 * 1024) /* bytes taken from the source at a time */
#define FEED_PIECE (32 * 1024) /* bytes pushed per pluck_run_feed: bounds output per step */
#define YIELD_AT (256 * 1024)  /* return a chunk once this much output is waiting */

static PyObject *ErrorType; /* pluck.Error, created at module init */

/* Raise pluck.Error from a pluck_error: str(e) is "Code: message"; the attributes give the
 * code name, the message and the position (0 where not applicable). */
static PyObject *raise_error(const pluck_error *e)
{
    const char *name = pluck_code_name(e->code);
    PyObject *msg = PyUnicode_FromFormat("%s: %s", name, e->message);
    if (!msg)
        return NULL;
    PyObject *exc = PyObject_CallOneArg(ErrorType, msg);
    Py_DECREF(msg);
    if (!exc)
        return NULL;
    struct {
        const char *attr;
        PyObject *v;
    } a[] = {
        {"code", PyUnicode_FromString(name)},
        {"message", PyUnicode_DecodeUTF8(e->message, (Py_ssize_t)strlen(e->message), "replace")},
        {"sql_offset", PyLong_FromUnsignedLong(e->sql_offset)},
        {"sql_line", PyLong_FromUnsignedLong(e->sql_line)},
        {"sql_column", PyLong_FromUnsignedLong(e->sql_column)},
        {"record", PyLong_FromUnsignedLongLong(e->record)},
        {"byte_offset", PyLong_FromUnsignedLongLong(e->byte_offset)},
        {"http_status", PyLong_FromLong(pluck_code_http_status(e->code))},
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
        if (!a[i].v || PyObject_SetAttrString(exc, a[i].attr, a[i].v) < 0)
            ok = 0;
        Py_XDECREF(a[i].v);
    }
    if (ok)
        PyErr_SetObject(ErrorType, exc);
    Py_DECREF(exc);
    return NULL;
}

/* The Python keyword of a parameter: its CLI name in snake case ("field_delimiter"). */
static void snake_name(const pluck_param_info *pi, char *buf, size_t cap)
{
    size_t i = 0;
    for (; pi->cli_name[i] && i + 1 < cap; i++)
        buf[i] = pi->cli_name[i] == '-' ? '_' : pi->cli_name[i];
    buf[i] = '\0';
}

static pluck_param param_by_keyword(const char *kw)
{
    char name[64];
    for (int i = 0; i < PLUCK_PARAM_COUNT; i++) {
        snake_name(pluck_param_get_info((pluck_param)i), name, sizeof name);
        if (!strcmp(name, kw))
            return (pluck_param)i;
    }
    return PLUCK_PARAM_COUNT;
}

/* Text of a keyword's value: str (UTF-8), bytes, bool (TRUE/FALSE) or int (decimal). */
static PyObject *value_bytes(PyObject *v)
{
    if (PyBool_Check(v))
        return PyBytes_FromString(v == Py_True ? "TRUE" : "FALSE");
    if (PyLong_Check(v)) {
        PyObject *s = PyObject_Str(v);
        PyObject *b = s ? PyUnicode_AsUTF8String(s) : NULL;
        Py_XDECREF(s);
        return b;
    }
    if (PyUnicode_Check(v))
        return PyUnicode_AsUTF8String(v);
    if (PyBytes_Check(v))
        return Py_NewRef(v);
    PyErr_Format(PyExc_TypeError, "serialization values are str, bytes, bool or int, not %.100s",
                 Py_TYPE(v)->tp_name);
    return NULL;
}

/* ---- Query ----------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    pluck_query *q;
    pluck_params *p;  /* the parameters compiled in (pluck_splits_find needs them) */
    PyObject *sql;
    PyObject *params; /* dict keyword -> value as given, for repr and pickling */
} QueryObject;

static int query_init(QueryObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *sql;
    if (!PyArg_ParseTuple(args, "U:Query", &sql))
        return -1;
    pluck_params *p = pluck_params_create();
    if (!p) {
        PyErr_NoMemory();
        return -1;
    }
    PyObject *given = PyDict_New();
    if (!given)
        goto fail;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (kwds && PyDict_Next(kwds, &pos, &k, &v)) {
        const char *kw = PyUnicode_AsUTF8(k);
        if (!kw)
            goto fail;
        pluck_param id = param_by_keyword(kw);
        if (id == PLUCK_PARAM_COUNT) {
            PyErr_Format(PyExc_TypeError, "unknown serialization keyword '%s' (see pluck.PARAMS)",
                         kw);
            goto fail;
        }
        if (v == Py_None)
            continue; /* None: the default */
        PyObject *b = value_bytes(v);
        if (!b)
            goto fail;
        pluck_error err;
        pluck_code rc = pluck_params_set(p, id, PyBytes_AS_STRING(b),
                                         (size_t)PyBytes_GET_SIZE(b), &err);
        Py_DECREF(b);
        if (rc != PLUCK_OK) {
            raise_error(&err);
            goto fail;
        }
        if (PyDict_SetItem(given, k, v) < 0)
            goto fail;
    }
    Py_ssize_t len;
    const char *text = PyUnicode_AsUTF8AndSize(sql, &len);
    if (!text)
        goto fail;
    pluck_error err;
    pluck_query *q;
    Py_BEGIN_ALLOW_THREADS
    q = pluck_query_compile(text, (size_t)len, p, &err);
    Py_END_ALLOW_THREADS
    if (!q) {
        raise_error(&err);
        goto fail;
    }
    pluck_query_free(self->q);
    self->q = q;
    pluck_params_free(self->p);
    self->p = p;
    p = NULL;
    Py_XSETREF(self->sql, Py_NewRef(sql));
    Py_XSETREF(self->params, given);
    return 0;
fail:
    pluck_params_free(p);
    Py_XDECREF(given);
    return -1;
}

static void query_dealloc(QueryObject *self)
{
    pluck_query_free(self->q);
    pluck_params_free(self->p);
    Py_XDECREF(self->sql);
    Py_XDECREF(self->params);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *query_get_sql(QueryObject *self, void *c)
{
    return Py_NewRef(self->sql ? self->sql : Py_None);
}

static PyObject *query_get_params(QueryObject *self, void *c)
{
    return self->params ? PyDict_Copy(self->params) : PyDict_New();
}

static PyObject *query_get_is_aggregate(QueryObject *self, void *c)
{
    return PyBool_FromLong(self->q && pluck_query_is_aggregate(self->q));
}

/* ---- Scan: one run over one source ----------------------------------------------------- */

enum { SRC_FD, SRC_FILE, SRC_BUFFER, SRC_SPLIT };
enum { ST_RUNNING, ST_DONE };

typedef struct {
    PyObject_HEAD
    QueryObject *query;
    pluck_run *run;
    int kind;
    int fd;          /* SRC_FD: owned, closed at the end */
    PyObject *file;  /* SRC_FILE: an object with read(n) */
    PyObject *chunk; /* the object whose buffer `in` views (a read() result or the source) */
    Py_buffer view;
    int have_view;
    const char *in;  /* current input block */
    size_t in_len, in_pos;
    char *fdbuf;     /* SRC_FD's block */
    pluck_split *splits; /* SRC_SPLIT: the file's splits (fd is the file), run split `split` */
    size_t nsplits, split;
    pluck_index *index;  /* SRC_SPLIT: PATH.pluckidx when there is one (outlives the run) */
    char *out;       /* output waiting to be returned */
    size_t out_len, out_cap;
    int state;
    int busy;        /* __next__ running (another thread may not enter) */
    int failed;      /* the run ended with an error, raised once the output is drained */
} ScanObject;

static int scan_write(void *opaque, const char *data, size_t len)
{
    ScanObject *s = opaque;
    if (s->out_len + len > s->out_cap) {
        size_t cap = s->out_cap ? s->out_cap : 64 * 1024;
        while (cap < s->out_len + len)
            cap *= 2;
        char *p = PyMem_RawRealloc(s->out, cap);
        if (!p)
            return -1;
        s->out = p;
        s->out_cap = cap;
    }
    memcpy(s->out + s->out_len, data, len);
    s->out_len += len;
    return 0;
}

static void drop_view(ScanObject *s)
{
    if (s->have_view) {
        PyBuffer_Release(&s->view);
        s->have_view = 0;
    }
    Py_CLEAR(s->chunk);
    s->in = NULL;
    s->in_len = s->in_pos = 0;
}

static void close_source(ScanObject *s)
{
    drop_view(s);
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    Py_CLEAR(s->file);
    PyMem_RawFree(s->fdbuf);
    s->fdbuf = NULL;
    PyMem_RawFree(s->splits);
    s->splits = NULL;
}

static void scan_dealloc(ScanObject *s)
{
    close_source(s);
    pluck_run_free(s->run);
    pluck_index_free(s->index);
    PyMem_RawFree(s->out);
    Py_XDECREF(s->query);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

/* Next input block into s->in.  Returns 1 with data, 0 at end of input, -1 with a Python
 * exception set. */
static int refill(ScanObject *s)
{
    drop_view(s);
    if (s->kind == SRC_BUFFER)
        return 0; /* the one block was the whole buffer */
    if (s->kind == SRC_FD) {
        ssize_t n;
        int e = 0;
        for (;;) {
            Py_BEGIN_ALLOW_THREADS
            n = read(s->fd, s->fdbuf, IN_BLOCK);
            e = errno;
            Py_END_ALLOW_THREADS
            if (n >= 0 || e != EINTR)
                break;
            if (PyErr_CheckSignals() < 0) /* Ctrl-C while a pipe or FIFO blocks */
                return -1;
        }
        if (n < 0) {
            errno = e;
            PyErr_SetFromErrno(PyExc_OSError);
            return -1;
        }
        s->in = s->fdbuf;
        s->in_len = (size_t)n;
        return n > 0;
    }
    PyObject *r = PyObject_CallMethod(s->file, "read", "n", (Py_ssize_t)IN_BLOCK);
    if (!r)
        return -1;
    if (PyObject_GetBuffer(r, &s->view, PyBUF_SIMPLE) < 0) {
        Py_DECREF(r);
        PyErr_SetString(PyExc_TypeError, "the source's read() must return bytes");
        return -1;
    }
    s->chunk = r;
    s->have_view = 1;
    s->in = s->view.buf;
    s->in_len = (size_t)s->view.len;
    return s->in_len > 0;
}

/* Push the current block until it is used up or enough output waits.  GIL released. */
static pluck_code push(ScanObject *s)
{
    pluck_code rc = PLUCK_OK;
    while (s->in_pos < s->in_len && s->out_len < YIELD_AT) {
        size_t n = s->in_len - s->in_pos;
        if (n > FEED_PIECE)
            n = FEED_PIECE;
        rc = pluck_run_feed(s->run, s->in + s->in_pos, n);
        s->in_pos += n;
        if (rc != PLUCK_OK)
            break;
    }
    return rc;
}

static PyObject *scan_next(ScanObject *s)
{
    if (s->busy) {
        PyErr_SetString(PyExc_ValueError, "pluck scan already executing in another thread");
        return NULL;
    }
    s->busy = 1;
    if (s->state == ST_RUNNING && s->kind == SRC_SPLIT) {
        /* one call runs the whole split; its output is gathered (see query_scan) */
        pluck_code rc;
        Py_BEGIN_ALLOW_THREADS
        rc = pluck_run_split(s->run, s->fd, s->splits, s->nsplits, s->split);
        Py_END_ALLOW_THREADS
        s->state = ST_DONE;
        s->failed = pluck_is_error(rc);
        close_source(s);
    }
    while (s->state == ST_RUNNING && s->out_len < YIELD_AT) {
        if (s->in_pos == s->in_len) {
            int more = refill(s);
            if (more < 0) {
                /* the source failed: end the run so nothing half-done stays */
                s->state = ST_DONE;
                close_source(s);
                s->busy = 0;
                return NULL;
            }
            if (!more) {
                pluck_code rc;
                Py_BEGIN_ALLOW_THREADS
                rc = pluck_run_finish(s->run);
                Py_END_ALLOW_THREADS
                s->state = ST_DONE;
                s->failed = pluck_is_error(rc);
                close_source(s);
                break;
            }
        }
        pluck_code rc;
        Py_BEGIN_ALLOW_THREADS
        rc = push(s);
        if (rc != PLUCK_OK) /* STOP (LIMIT met) or an error: finish hands out what is done */
            pluck_run_finish(s->run);
        Py_END_ALLOW_THREADS
        if (rc != PLUCK_OK) {
            s->state = ST_DONE;
            s->failed = pluck_is_error(rc) || pluck_is_error(pluck_run_error(s->run)->code);
            close_source(s);
        } else if (PyErr_CheckSignals() < 0) {
            /* Ctrl-C (KeyboardInterrupt) or another signal handler's exception: a scan that
             * writes little (COUNT over a huge file) would otherwise hold the interpreter
             * until the end of its input.  The scan stops; its output is dropped. */
            s->state = ST_DONE;
            s->out_len = 0;
            close_source(s);
            s->busy = 0;
            return NULL;
        }
    }
    s->busy = 0;
    if (s->out_len) {
        PyObject *b = PyBytes_FromStringAndSize(s->out, (Py_ssize_t)s->out_len);
        if (b)
            s->out_len = 0;
        return b;
    }
    if (s->failed) {
        s->failed = 0; /* raised once; then the iterator is exhausted */
        return raise_error(pluck_run_error(s->run));
    }
    return NULL; /* StopIteration */
}

static PyObject *scan_stats(ScanObject *s, PyObject *unused)
{
    pluck_stats st;
    pluck_run_stats(s->run, &st);
    return Py_BuildValue("{sKsKsKsKsKss}", "bytes_scanned", (unsigned long long)st.bytes_scanned,
                         "bytes_processed", (unsigned long long)st.bytes_processed,
                         "bytes_returned", (unsigned long long)st.bytes_returned,
                         "records_scanned", (unsigned long long)st.records_scanned,
                         "records_returned", (unsigned long long)st.records_returned, "codec",
                         st.codec ? st.codec : "");
}

static PyObject *scan_close(ScanObject *s, PyObject *unused)
{
    if (s->busy) {
        PyErr_SetString(PyExc_ValueError, "pluck scan already executing in another thread");
        return NULL;
    }
    s->state = ST_DONE;
    s->failed = 0;
    s->out_len = 0;
    close_source(s);
    Py_RETURN_NONE;
}

static PyObject *scan_enter(PyObject *s, PyObject *unused) { return Py_NewRef(s); }

static PyObject *scan_exit(ScanObject *s, PyObject *args) { return scan_close(s, NULL); }

static PyMethodDef scan_methods[] = {
    {"stats", (PyCFunction)scan_stats, METH_NOARGS,
     "stats() -> dict\n\nS3's Stats so far: bytes_scanned (compressed bytes read), "
     "bytes_processed,\nbytes_returned, records_scanned, records_returned, and the codec."},
    {"close", (PyCFunction)scan_close, METH_NOARGS,
     "close()\n\nStop the scan and release its source (a file it opened is closed)."},
    {"__enter__", scan_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)scan_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ScanType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pluck.Scan",
    .tp_basicsize = sizeof(ScanObject),
    .tp_dealloc = (destructor)scan_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An iterator of bytes chunks: the query's output over one source, each chunk\n"
              "ending on a record boundary.  Raises pluck.Error after the records produced\n"
              "before an error.  Made by Query.scan(); also a context manager.",
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)scan_next,
    .tp_methods = scan_methods,
};

/* Open a path (str, bytes or PathLike) read-only; -1 with OSError set. */
static int open_path(PyObject *src)
{
    PyObject *path;
    if (!PyUnicode_FSConverter(src, &path))
        return -1;
    const char *p = PyBytes_AS_STRING(path);
    int fd, e;
    Py_BEGIN_ALLOW_THREADS
    fd = open(p, O_RDONLY | O_CLOEXEC);
    e = errno;
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (fd < 0) {
        errno = e;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, src);
    }
    return fd;
}

/* The checkpoint index PATH.pluckidx of the gzip file open on fd, as the CLI reads it
 * (pluck-index(5)): *ix NULL when there is none; one that does not load (stale, damaged)
 * is ignored with a RuntimeWarning, as the CLI ignores it with a warning.  -1 with an
 * exception set (a warning turned into an error, out of memory). */
static int load_index(PyObject *path, int fd, pluck_index **ix)
{
    *ix = NULL;
    PyObject *bpath;
    if (!PyUnicode_FSConverter(path, &bpath))
        return -1;
    PyObject *name = PyBytes_FromFormat("%s.pluckidx", PyBytes_AS_STRING(bpath));
    Py_DECREF(bpath);
    if (!name)
        return -1;
    char *data = NULL;
    size_t len = 0;
    int ifd, ok = 1;
    Py_BEGIN_ALLOW_THREADS
    ifd = open(PyBytes_AS_STRING(name), O_RDONLY | O_CLOEXEC);
    if (ifd >= 0) {
        off_t size = lseek(ifd, 0, SEEK_END);
        if (size > 0 && (data = malloc((size_t)size)))
            while (len < (size_t)size) {
                ssize_t n = pread(ifd, data + len, (size_t)size - len, (off_t)len);
                if (n <= 0)
                    break;
                len += (size_t)n;
            }
        ok = data && len == (size_t)size;
        close(ifd);
    }
    Py_END_ALLOW_THREADS
    int rc = 0;
    pluck_error err;
    if (ifd >= 0) {
        pluck_code c = ok ? pluck_index_load(data, len, fd, ix, &err) : PLUCK_E_READ_ERROR;
        if (c != PLUCK_OK) {
            *ix = NULL;
            rc = PyErr_WarnFormat(PyExc_RuntimeWarning, 1, "%s: ignored: %s",
                                  PyBytes_AS_STRING(name),
                                  ok ? err.message : "cannot be read");
        }
    }
    free(data);
    Py_DECREF(name);
    return rc;
}

/* kind "split": src is (path, table, index), table the file's splits as (offset, length)
 * pairs from Query.splits() with the same parameters. */
static int fill_split(ScanObject *s, PyObject *src)
{
    PyObject *path, *table;
    Py_ssize_t index;
    if (!PyArg_ParseTuple(src, "OOn:split", &path, &table, &index))
        return -1;
    PyObject *seq = PySequence_Fast(table, "a split's table is a sequence of (offset, length)");
    if (!seq)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (index < 0 || index >= n) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_IndexError, "split index out of range");
        return -1;
    }
    s->splits = PyMem_RawMalloc((size_t)n * sizeof *s->splits);
    if (!s->splits) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned long long off, len;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "KK:split", &off, &len)) {
            Py_DECREF(seq);
            return -1;
        }
        s->splits[i] = (pluck_split){.offset = off, .length = len};
    }
    Py_DECREF(seq);
    s->nsplits = (size_t)n;
    s->split = (size_t)index;
    s->fd = open_path(path);
    if (s->fd < 0 || load_index(path, s->fd, &s->index) < 0)
        return -1;
    pluck_run_set_index(s->run, s->index);
    s->kind = SRC_SPLIT;
    pluck_run_set_source_size(s->run, s->splits[index].length);
    return 0;
}

/* Query.splits(path, target=0) -> tuple of (offset, length): pluck_splits_find with the
 * query's parameters. */
static PyObject *query_splits(QueryObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"path", "target", NULL};
    PyObject *path;
    unsigned long long target = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|K:splits", kwlist, &path, &target))
        return NULL;
    if (!self->q) {
        PyErr_SetString(PyExc_ValueError, "Query is not compiled");
        return NULL;
    }
    int fd = open_path(path);
    if (fd < 0)
        return NULL;
    pluck_index *ix;
    if (load_index(path, fd, &ix) < 0) {
        close(fd);
        return NULL;
    }
    pluck_split *v = NULL;
    size_t n = 0;
    pluck_error err;
    pluck_code rc;
    Py_BEGIN_ALLOW_THREADS
    rc = pluck_splits_find_indexed(fd, self->p, ix, target, &v, &n, &err);
    close(fd);
    pluck_index_free(ix);
    Py_END_ALLOW_THREADS
    if (rc != PLUCK_OK)
        return raise_error(&err);
    PyObject *t = PyTuple_New((Py_ssize_t)n);
    for (size_t i = 0; t && i < n; i++) {
        PyObject *pair = Py_BuildValue("(KK)", (unsigned long long)v[i].offset,
                                       (unsigned long long)v[i].length);
        if (!pair)
            Py_CLEAR(t);
        else
            PyTuple_SET_ITEM(t, (Py_ssize_t)i, pair);
    }
    pluck_splits_free(v);
    return t;
}

/* Query.scan(source, kind): kind "path" (str/bytes/PathLike), "file" (has read()) or
 * "buffer" (bytes-like data). */
static PyObject *query_scan(QueryObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"source", "kind", "partial", NULL};
    PyObject *src;
    const char *kind;
    int partial = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "Os|p:scan", kwlist, &src, &kind, &partial))
        return NULL;
    if (!self->q) {
        PyErr_SetString(PyExc_ValueError, "Query is not compiled");
        return NULL;
    }
    ScanObject *s = PyObject_New(ScanObject, &ScanType);
    if (!s)
        return NULL;
    s->query = (QueryObject *)Py_NewRef(self);
    s->run = NULL;
    s->fd = -1;
    s->file = s->chunk = NULL;
    s->have_view = 0;
    s->in = NULL;
    s->in_len = s->in_pos = 0;
    s->fdbuf = s->out = NULL;
    s->splits = NULL;
    s->nsplits = s->split = 0;
    s->index = NULL;
    s->out_len = s->out_cap = 0;
    s->state = ST_RUNNING;
    s->busy = s->failed = 0;
    s->run = pluck_run_create(self->q, scan_write, s);
    if (!s->run) {
        Py_DECREF(s);
        return PyErr_NoMemory();
    }
    if (partial && pluck_run_set_partial(s->run) != PLUCK_OK) {
        raise_error(pluck_run_error(s->run));
        Py_DECREF(s);
        return NULL;
    }
    if (!strcmp(kind, "split")) {
        if (fill_split(s, src) < 0) {
            Py_DECREF(s);
            return NULL;
        }
    } else if (!strcmp(kind, "path")) {
        int fd = open_path(src);
        if (fd < 0) {
            Py_DECREF(s);
            return NULL;
        }
        s->kind = SRC_FD;
        s->fd = fd;
        s->fdbuf = PyMem_RawMalloc(IN_BLOCK);
        if (!s->fdbuf) {
            Py_DECREF(s);
            return PyErr_NoMemory();
        }
        off_t size = lseek(fd, 0, SEEK_END);
        if (size > 0 && lseek(fd, 0, SEEK_SET) == 0)
            pluck_run_set_source_size(s->run, (uint64_t)size);
        else
            lseek(fd, 0, SEEK_SET);
    } else if (!strcmp(kind, "file")) {
        s->kind = SRC_FILE;
        s->file = Py_NewRef(src);
    } else if (!strcmp(kind, "buffer")) {
        s->kind = SRC_BUFFER;
        if (PyObject_GetBuffer(src, &s->view, PyBUF_SIMPLE) < 0) {
            Py_DECREF(s);
            return NULL;
        }
        s->have_view = 1;
        s->chunk = Py_NewRef(src);
        s->in = s->view.buf;
        s->in_len = (size_t)s->view.len;
        pluck_run_set_source_size(s->run, (uint64_t)s->in_len);
        if (s->in_len == 0)
            drop_view(s); /* an empty buffer: finish at once */
    } else {
        Py_DECREF(s);
        PyErr_Format(PyExc_ValueError, "unknown source kind '%s'", kind);
        return NULL;
    }
    return (PyObject *)s;
}

static PyMethodDef query_methods[] = {
    {"scan", (PyCFunction)(void (*)(void))query_scan, METH_VARARGS | METH_KEYWORDS,
     "scan(source, kind, partial=False) -> Scan\n\nLow level: run the query over one source; "
     "kind is 'path', 'file' or 'buffer';\npartial: write the partial state "
     "(pluck-partial(5)) instead of the result.\nUse Query.select() / Query.partial().\n"
     "kind 'split': source is (path, table, index), table from Query.splits(); the\n"
     "split's output is gathered in memory and returned as one chunk."},
    {"splits", (PyCFunction)(void (*)(void))query_splits, METH_VARARGS | METH_KEYWORDS,
     "splits(path, target=0) -> tuple of (offset, length)\n\nThe splits of a file "
     "(libpluck's pluck_splits_find) for this query's\nparameters: BGZF members, zstd frames, "
     "byte ranges of a plain file, a gzip file's\ncheckpoints when PATH.pluckidx is there "
     "(pluck index), ... grouped to about\ntarget compressed bytes each (0: 4 MiB); one split "
     "when the file has no split\npoints.  Use pluck.splits()."},
    {NULL, NULL, 0, NULL}};

static PyObject *query_get_columns(QueryObject *self, void *c)
{
    uint32_t n = pluck_query_column_count(self->q);
    PyObject *t = PyTuple_New(n);
    for (uint32_t i = 0; t && i < n; i++) {
        PyObject *s = PyUnicode_DecodeUTF8(pluck_query_column_name(self->q, i),
                                           (Py_ssize_t)strlen(pluck_query_column_name(self->q, i)),
                                           "replace");
        if (!s) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

static PyObject *query_get_limit(QueryObject *self, void *c)
{
    return PyLong_FromLongLong(self->q ? (long long)pluck_query_limit(self->q) : -1);
}

static PyGetSetDef query_getset[] = {
    {"columns", (getter)query_get_columns, NULL,
     "Names of the output columns (alias, name as written, or _N); () for SELECT *.", NULL},
    {"limit", (getter)query_get_limit, NULL, "The query's LIMIT, or -1 without one.", NULL},
    {"sql", (getter)query_get_sql, NULL, "The SQL text as given.", NULL},
    {"params", (getter)query_get_params, NULL, "The serialization keywords as given.", NULL},
    {"is_aggregate", (getter)query_get_is_aggregate, NULL,
     "True when the query aggregates (returns exactly one record).", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject QueryType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pluck._pluck.Query",
    .tp_basicsize = sizeof(QueryObject),
    .tp_dealloc = (destructor)query_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Query(sql, **serialization): S3 Select SQL compiled once (the C core).",
    .tp_init = (initproc)query_init,
    .tp_new = PyType_GenericNew,
    .tp_methods = query_methods,
    .tp_getset = query_getset,
};

/* ---- merge ----------------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
} membuf;

static int membuf_write(void *opaque, const char *data, size_t len)
{
    membuf *b = opaque;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len)
            cap *= 2;
        char *n = PyMem_RawRealloc(b->p, cap);
        if (!n)
            return -1;
        b->p = n;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return 0;
}

/* merge(partials) -> bytes: partials is an iterable of bytes-like objects. */
static PyObject *merge(PyObject *m, PyObject *partials)
{
    membuf out = {0};
    pluck_merge *mg = pluck_merge_create(membuf_write, &out);
    if (!mg)
        return PyErr_NoMemory();
    PyObject *it = PyObject_GetIter(partials), *item, *res = NULL;
    if (!it)
        goto done;
    pluck_code rc = PLUCK_OK;
    while (!pluck_is_error(rc) && (item = PyIter_Next(it))) {
        Py_buffer v;
        if (PyObject_GetBuffer(item, &v, PyBUF_SIMPLE) < 0) {
            Py_DECREF(item);
            goto done;
        }
        Py_BEGIN_ALLOW_THREADS
        rc = pluck_merge_feed(mg, v.buf, (size_t)v.len);
        Py_END_ALLOW_THREADS
        PyBuffer_Release(&v);
        Py_DECREF(item);
    }
    if (PyErr_Occurred())
        goto done;
    if (!pluck_is_error(rc)) {
        Py_BEGIN_ALLOW_THREADS
        rc = pluck_merge_finish(mg);
        Py_END_ALLOW_THREADS
    }
    if (pluck_is_error(rc))
        raise_error(pluck_merge_error(mg));
    else
        res = PyBytes_FromStringAndSize(out.p ? out.p : "", (Py_ssize_t)out.len);
done:
    Py_XDECREF(it);
    pluck_merge_free(mg);
    PyMem_RawFree(out.p);
    return res;
}

/* ---- module ---------------------------------------------------------------------------- */

static const char *kind_name(pluck_param_kind k)
{
    switch (k) {
    case PLUCK_KIND_ENUM: return "enum";
    case PLUCK_KIND_BOOL: return "bool";
    case PLUCK_KIND_CHAR: return "char";
    case PLUCK_KIND_CHARS: return "chars";
    case PLUCK_KIND_SIZE: return "size";
    case PLUCK_KIND_INT: return "int";
    case PLUCK_KIND_PATH: return "path";
    }
    return "?";
}

/* The parameter table as a tuple of (keyword, s3_name, xml_path, kind, values, default,
 * help). */
static PyObject *param_table(PyObject *m, PyObject *unused)
{
    PyObject *t = PyTuple_New(PLUCK_PARAM_COUNT);
    if (!t)
        return NULL;
    for (int i = 0; i < PLUCK_PARAM_COUNT; i++) {
        const pluck_param_info *pi = pluck_param_get_info((pluck_param)i);
        char name[64];
        snake_name(pi, name, sizeof name);
        PyObject *row = Py_BuildValue("(szzszss)", name, pi->s3_name, pi->xml_path,
                                      kind_name(pi->kind),
                                      pi->values, pi->default_value, pi->help);
        if (!row) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, row);
    }
    return t;
}

static PyMethodDef module_methods[] = {
    {"merge", merge, METH_O,
     "merge(partials) -> bytes\n\nCombine partials (bytes from Query.partial(), in input "
     "order) into the result\none run over all their inputs writes (pluck-partial(5))."},
    {"param_table", param_table, METH_NOARGS,
     "param_table() -> tuple of (keyword, s3_name, xml_path, kind, values, default, help)\n\n"
     "libpluck's serialization-parameter table, the one the CLI and the server use."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "pluck._pluck",
    "The C core of the pluck package (libpluck); use the pluck module.", -1, module_methods,
    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__pluck(void);
PyMODINIT_FUNC PyInit__pluck(void)
{
    if (PyType_Ready(&QueryType) < 0 || PyType_Ready(&ScanType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    if (!ErrorType)
        ErrorType = PyErr_NewExceptionWithDoc(
            "pluck.Error",
            "A pluck error.  str(e) is 'Code: message'.  Attributes: code (S3's error code "
            "name,\ne.g. 'CastFailed'), message, http_status (what S3 answers with), and the "
            "position:\nsql_line, sql_column, sql_offset (in the SQL text) or record, "
            "byte_offset (in the\ndecompressed input); 0 where not applicable.",
            NULL, NULL);
    if (!ErrorType || PyModule_AddObjectRef(m, "Error", ErrorType) < 0 ||
        PyModule_AddObjectRef(m, "Query", (PyObject *)&QueryType) < 0 ||
        PyModule_AddObjectRef(m, "Scan", (PyObject *)&ScanType) < 0 ||
        PyModule_AddStringConstant(m, "LIBPLUCK_VERSION", pluck_version_string()) < 0 ||
        PyModule_AddStringConstant(m, "FEATURES", pluck_features()) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
