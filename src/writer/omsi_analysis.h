/* The summaries of a dataset as an OpenMSI analysis (openmsi-hdf5.md 10):
 * /entry_N/analysis_K (omsi_file_analysis 0.2) with analysis_identifier,
 * analysis_type "omsi_catalog_summary", the result datasets tic_image,
 * base_peak_image (X x Y), mean_spectrum, max_spectrum (Z), peak_mz,
 * peak_intensity, peak_coverage, peak_bin (peaks of the mean spectrum),
 * parameter/ (noise, max_peaks, msidata), runinfo/, and dependency/msidata
 * linking to the data_M it summarises. */
#ifndef OMSI_ANALYSIS_H
#define OMSI_ANALYSIS_H

#include "writer/summary.h"

#include <hdf5.h>

int omsi_file_write_summary(hid_t experiment, size_t analysis_index, const char *data_path,
                            const omsi_summary *s, const omsi_peak *peaks, size_t n_peaks,
                            size_t max_peaks, omsi_error *err);

#endif
