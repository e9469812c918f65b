/* run_files.h - feed capture files, in the order given, through a dissector. */
#ifndef CW_RUN_FILES_H
#define CW_RUN_FILES_H

#include <stdint.h>

#include "capture/dissect.h"
#include "output/summary.h"

/**
 * Read every file into @p d (file_idx = position in @p files). A file that cannot be opened,
 * or is damaged part-way, is reported on stderr naming the file (and frame) and the run goes on
 * with the next. @p progress: show a progress line on stderr (only when it is a terminal).
 */
void cw_run_files(struct cw_dissector *d, char *const *files, int nfiles, int progress,
                  struct cw_run_result *res);

/** Check that all files can be opened as captures before a long run; prints each error.
 *  "-" (standard input) is not opened, so as not to consume it; it may appear once.
 *  Returns the number of files that cannot. */
int cw_run_check_files(char *const *files, int nfiles);

double cw_now_seconds(void);

#endif
