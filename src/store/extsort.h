/* extsort.h - external merge sort of fixed-size records in bounded memory, for the registry
 * import: records are buffered up to a memory budget, each full buffer is sorted and spilled
 * as a run to an unlinked temporary file, and the runs are merged with a heap. Records compare
 * by memcmp over their first key_size bytes; records with equal keys come out in the order
 * they were added (stable).
 */
#ifndef CW_EXTSORT_H
#define CW_EXTSORT_H

#include <stddef.h>
#include <stdint.h>

struct cw_xsort;

/**
 * A sorter of @p rec_size-byte records (1..4096) compared over the first @p key_size bytes
 * (1..rec_size), using about @p mem_bytes of memory (at least 1 MiB is used; it is allocated
 * here, and its pages are touched only as records arrive), spilling runs to temporary files in
 * @p tmp_dir (not NULL; created with mkstemp and unlinked at once, so nothing is left behind on
 * a crash). Returns 0, CW_EINVAL or CW_ENOMEM; *out is the sorter (the caller frees it with
 * cw_xsort_free), NULL on error. Once a call has failed with CW_EIO or CW_ENOMEM the sorter
 * returns that code from every later add, finish and next.
 */
int cw_xsort_new(size_t rec_size, size_t key_size, size_t mem_bytes, const char *tmp_dir,
                 struct cw_xsort **out);

/** Add one record (copied). May sort and spill a run. Returns 0, CW_EIO (temporary file: the
 *  message is in cw_xsort_error), CW_ENOMEM (growing the list of runs) or CW_EINVAL (called
 *  after cw_xsort_finish). */
int cw_xsort_add(struct cw_xsort *s, const void *rec);

/** No more records: sort what is buffered and get ready to read in order (with many runs this
 *  does the intermediate merge passes). Returns 0, CW_EIO/CW_ENOMEM, or CW_EINVAL when called
 *  twice. */
int cw_xsort_finish(struct cw_xsort *s);

/** The next record in order: 1 and *rec (valid until the next call to cw_xsort_next or
 *  cw_xsort_free), 0 at the end, or a negative CW_E* code (CW_EIO: a read error, message in
 *  cw_xsort_error; CW_EINVAL: before cw_xsort_finish). */
int cw_xsort_next(struct cw_xsort *s, const void **rec);

/** Records added; runs spilled to disk so far (0 when everything fit in memory). */
uint64_t cw_xsort_count(const struct cw_xsort *s);
uint64_t cw_xsort_runs(const struct cw_xsort *s);
/** What the last CW_EIO was about ("tmp_dir: No space left on device"), "" when none. */
const char *cw_xsort_error(const struct cw_xsort *s);

/** Free buffers and close (and so delete) the temporary files. NULL is fine. */
void cw_xsort_free(struct cw_xsort *s);

#endif
