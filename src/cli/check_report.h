/* `omsi-catalog check`: what is known about one path, built as a json-c
 * object (the --json output) and rendered as aligned text for people.
 *
 * Keys of one path object (JSON names map onto ../shared/testdata/expected.json):
 *   path, format ("unknown" when no reader claims it), validity
 *   ("valid"/"incomplete"/"broken"/"not-format"), valid (bool), error (text
 *   or null), size_bytes (or null), files [...], datasets [...], imaging
 *   (bool, only when the file was opened: false = the spectra carry no
 *   positions and the cube is one row, one pixel per spectrum)
 * Keys of one dataset/region entry:
 *   dataset, region (index or null = all), name, shape [x, y, n_mz],
 *   dtype, mz_dtype, n_mz, mz_min, mz_max, mz_first, mz_last,
 *   mz_strictly_increasing, imaging, n_spectra (spectra stored), pixel_count
 *   (grid cells x * y: more than n_spectra where the grid is sparse),
 *   n_skipped (spectra of the file left out: empty, zero points),
 *   skipped_spectra (their ids, the first few, or null), dependencies [...],
 *   region_origin/region_size (regions only);
 *   with --stats: total_intensity, spectra_read. */
#ifndef OMSI_CHECK_REPORT_H
#define OMSI_CHECK_REPORT_H

#include "base/omsi_log.h"
#include "readers/reader.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct check_options {
    bool stats;                 /* read every spectrum, sum intensities */
    const omsi_format *format;  /* NULL = auto-detect */
    bool force_unsigned;        /* Analyze datatype 4 as uint16 */
    const omsi_logger *log;
} check_options;

/* Describes path; *out (new json object, caller puts it) always set.
 * Returns true when the path is a valid dataset that was read without error. */
bool check_describe_path(const char *path, const check_options *opts, json_object **out);

/* Aligned human-readable rendering of one path object. */
void check_print_text(FILE *f, json_object *path_obj, bool stats);

#endif
