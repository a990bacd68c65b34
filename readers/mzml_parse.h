/* mzML streaming: one <spectrum> at a time (spec section 3), with its
 * parameters resolved (own + referenceableParamGroups, by accession), its
 * position if it has one, and its m/z and intensity arrays decoded (base64,
 * optional zlib, little-endian float32/float64/int32/int64). */
#ifndef OMSI_MZML_PARSE_H
#define OMSI_MZML_PARSE_H

#include "readers/psi_xml.h"
#include "readers/reader.h"

typedef struct mzml_array {
    double *values;
    size_t count, capacity;
    bool float64;               /* stored as 64-bit (float64 or int64) */
} mzml_array;

typedef struct mzml_spectrum {
    char id[512];
    char filter[512];           /* MS:1000512, "" when absent */
    int ms_level;               /* MS:1000511, 1 when absent */
    int polarity;               /* +1, -1, 0 unknown */
    int representation;         /* 1 centroid, 2 profile, 0 unknown */
    double precursor_mz;        /* MS:1000744 of the first selected ion, 0 if none */
    char activation[16];        /* cid, hcd, etd, ... "" if none */
    double activation_energy;   /* MS:1000045, 0 if none */
    bool has_position;
    int64_t x, y, region;       /* region: R of a Bruker-style id, else -1 */
    uint64_t default_length;
    mzml_array mz, intensity;   /* filled when arrays are wanted */
} mzml_spectrum;

typedef struct mzml_parser {
    omsi_xml *x;
    const char *path;
    omsi_param_groups groups;
    omsi_cv_params file_content, instrument;
    bool header_done;
    uint64_t spectra_seen;
    uint64_t memory_limit;      /* omsi_budget_check; 0 = default */
} mzml_parser;

/* memory_limit bounds every buffer a spectrum makes us allocate (and the
 * text node libxml2 holds): checked from defaultArrayLength, arrayLength
 * and encodedLength before the arrays are read. */
int mzml_parser_open(mzml_parser *p, const char *path, uint64_t memory_limit, omsi_error *err);
/* The same, computing the SHA-1 of an indexed mzML's fileChecksum on the
 * way (omsi_xml_file_checksum on p->x gives the verdict). */
int mzml_parser_open_checksummed(mzml_parser *p, const char *path, uint64_t memory_limit, omsi_error *err);
void mzml_parser_close(mzml_parser *p);

/* Reads up to the next spectrum; 1 = *s filled, 0 = no more, < 0 = error.
 * With want_arrays the binary arrays are decoded into s (buffers reused). */
int mzml_next_spectrum(mzml_parser *p, mzml_spectrum *s, bool want_arrays, omsi_error *err);
void mzml_spectrum_free(mzml_spectrum *s);

/* Standard base64 (whitespace ignored) into a malloc'ed buffer. */
int mzml_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len);

#endif
