/*
 * xmlreq.h — reading request bodies (SelectObjectContentRequest, Delete,
 * CompleteMultipartUpload) with expat.
 *
 * Each element is reported by its path of *local* names from the root ("Delete/Object/Key"),
 * so the namespace (present or not) never matters; entities and character references are
 * expanded by expat, and text is exact (CR/LF normalisation is expat's, as in any XML reader;
 * &#13; survives).  Documents with a DOCTYPE are refused: S3 bodies never carry one, and
 * refusing it rules out entity-expansion attacks.
 */
#ifndef PL_XMLREQ_H
#define PL_XMLREQ_H

#include <stddef.h>

/* Called at each element start (text NULL) and end (text = its character data).
 * Return 0 to go on; any other value stops parsing and is returned by pl_xml_parse. */
typedef int (*pl_xml_fn)(void *ctx, const char *path, int depth, const char *text, size_t len);

/* 0 when the whole document was read, -1 when it is not well-formed (message in err),
 * or the callback's non-zero value. */
int pl_xml_parse(const char *data, size_t len, pl_xml_fn fn, void *ctx, char *err, size_t cap);

#endif
