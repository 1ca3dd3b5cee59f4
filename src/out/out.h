/*
 * out.h — output writers: CSV per S3's CSVOutput and JSON per JSONOutput.  They append to a
 * pl_buf that the run flushes to the caller's write callback on record boundaries.
 *
 * CSV: fields joined by FieldDelimiter, every record (the last too) followed by
 * RecordDelimiter.  QuoteFields ALWAYS quotes every field; ASNEEDED quotes a field only when
 * it contains the quote or escape character, CR, LF, or a byte of the field or record
 * delimiter (the empty string is never quoted).  Inside quotes each quote character is
 * written as QuoteEscapeCharacter + QuoteCharacter (doubling by default) and, when the escape
 * character is distinct, each escape character is doubled.  NULL and MISSING are empty.
 *
 * JSON: one object per record, then RecordDelimiter; strings escaped per RFC 8259, numbers
 * and booleans bare, NULL as null, MISSING members omitted.
 */
#ifndef PL_OUT_H
#define PL_OUT_H

#include "exec/value.h"

typedef struct pl_writer {
    pl_out_dialect d;
    bool special[256]; /* bytes that force quoting under ASNEEDED */
    pl_buf buf;
} pl_writer;

void pl_writer_init(pl_writer *w, const pl_out_dialect *d);
void pl_writer_free(pl_writer *w);

/* CSV.  `first` is true for the first field of a record. */
bool pl_csv_field(pl_writer *w, const char *p, size_t n, bool first);
bool pl_csv_value(pl_writer *w, const pl_value *v, bool first);
bool pl_csv_end(pl_writer *w);

/* JSON.  pl_json_member skips MISSING values; *first tracks the comma. */
bool pl_json_begin(pl_writer *w);
bool pl_json_member(pl_writer *w, const char *key, size_t keylen, const pl_value *v, bool *first);
bool pl_json_end(pl_writer *w);

#endif /* PL_OUT_H */
