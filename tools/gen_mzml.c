/* mzML fixtures with generated content. Pixel (x, y), scan type t:
 * m/z values omsi_gen_mz(k) + 0.25 t, intensities omsi_gen_intensity(x, y, k)
 * + t, for k < nz. Spectra are written pixel by pixel (x outer, y inner),
 * one per scan type. Types: 0 = "FTMS + p MALDI Full ms [100.00-1000.00]"
 * (ms level 1), 1 and 2 = ms2 of precursors 760.59 (cid 35) and 820.10
 * (hcd 30), with "Full ms2" in the filter as Thermo writes it.
 * Variants:
 *   scantypes=N    1..3 scan types (default 1)
 *   coords=spot|bruker|ims|none   positions as spotID "A1,<x>x<y>" (default),
 *                  Bruker ids "...0_R00X<x>Y<y>...", IMS:1000050/51 params,
 *                  or none (not imaging)
 *   zlib           zlib-compressed arrays
 *   numpress_linear, numpress_pic, numpress_slof
 *                  MS-Numpress arrays encoded with libmsnumpress: m/z always
 *                  linear, intensities with the named codec (optimal fixed
 *                  points); with zlib, zlib after numpress (MS:1002746-48)
 *   mz32           float32 m/z arrays (default float64); intensities p->dtype
 *                  (float32 or float64)
 *   gaps           pixel (x, y) lacks bins with (k + x + y) % 3 == 0
 *   nofilter       no filter strings (types then follow the ms level)
 *   empty=N        N more spectra "empty=<i>" with zero points at the end
 *                  (counted in spectrumList; readers skip them)
 * Every cvParam is named (MALDIquantForeign needs the name), the IMS cv is
 * listed, and the software and data processing the spectra refer to exist.
 * Broken: bad_base64, bad_zlib, numpress (declared over plain floats), truncated, billion_laughs,
 *   external_entity, duplicate_pixel, count_mismatch. */
#include "tools/gen.h"
#include "readers/numpress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static bool has(const omsi_gen_params *p, const char *v) { return omsi_gen_variant(p, v, 0, NULL); }

static void base64(FILE *f, const unsigned char *data, size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < n ? (uint32_t)data[i + 1] << 8 : 0) | (i + 2 < n ? data[i + 2] : 0);
        fputc(alphabet[v >> 18 & 63], f);
        fputc(alphabet[v >> 12 & 63], f);
        fputc(i + 1 < n ? alphabet[v >> 6 & 63] : '=', f);
        fputc(i + 2 < n ? alphabet[v & 63] : '=', f);
    }
}

static const char *const filters[] = {
    "FTMS + p MALDI Full ms [100.00-1000.00]",
    "ITMS + c MALDI Full ms2 760.59@cid35.00 [205.00-775.00]",
    "ITMS + c MALDI Full ms2 820.10@hcd30.00 [220.00-830.00]",
};

static int write_array(FILE *f, const omsi_gen_params *p, const double *values, size_t n, bool f64, bool is_mz,
                       omsi_error *err)
{
    size_t item = f64 ? 8 : 4;
    unsigned char *raw = malloc(n * item + 1);
    unsigned char *packed = NULL;
    if (!raw)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        if (f64) {
            memcpy(&bits, &values[i], 8);
        } else {
            float v = (float)values[i];
            uint32_t b;
            memcpy(&b, &v, 4);
            bits = b;
        }
        for (size_t b = 0; b < item; b++)
            raw[i * item + b] = (unsigned char)(bits >> (8 * b));
    }
    const unsigned char *data = raw;
    uLongf len = (uLongf)(n * item);
    bool zlib = has(p, "zlib") || has(p, "bad_zlib");
    int codec = has(p, "numpress_linear") ? NUMPRESS_LINEAR
                : has(p, "numpress_pic")  ? NUMPRESS_PIC
                : has(p, "numpress_slof") ? NUMPRESS_SLOF
                                          : -1;
    if (codec >= 0 && is_mz)
        codec = NUMPRESS_LINEAR; /* pic and slof are for intensities */
    if (codec >= 0) { /* numpress replaces the raw bytes (doubles in, whatever the type term) */
        size_t bytes = 0;
        unsigned char *np = malloc(numpress_encode_bound((numpress_codec)codec, n) + 1);
        if (!np || numpress_encode((numpress_codec)codec, values, n, np, &bytes) != 0) {
            free(raw);
            free(np);
            return omsi_error_set(err, OMSI_ERR_INTERNAL, "numpress encoding failed");
        }
        free(raw);
        raw = np;
        data = raw;
        len = (uLongf)bytes;
        f64 = true;
    }
    if (zlib) {
        uLongf cap = compressBound(len);
        packed = malloc(cap);
        if (!packed || compress(packed, &cap, raw, len) != Z_OK) {
            free(raw);
            free(packed);
            return omsi_error_set(err, OMSI_ERR_INTERNAL, "zlib compress failed");
        }
        if (has(p, "bad_zlib") && cap > 4)
            packed[cap / 2] ^= 0x5A;
        data = packed;
        len = cap;
    }
    fprintf(f, "          <binaryDataArray encodedLength=\"%zu\">\n", ((size_t)len + 2) / 3 * 4);
    fprintf(f, "            <cvParam cvRef=\"MS\" accession=\"%s\" name=\"%s\" value=\"\"/>\n",
            f64 ? "MS:1000523" : "MS:1000521", f64 ? "64-bit float" : "32-bit float");
    static const char *const numpress_terms[2][3] = {
        {"MS:1002312\" name=\"MS-Numpress linear prediction compression",
         "MS:1002313\" name=\"MS-Numpress positive integer compression",
         "MS:1002314\" name=\"MS-Numpress short logged float compression"},
        {"MS:1002746\" name=\"MS-Numpress linear prediction compression followed by zlib compression",
         "MS:1002747\" name=\"MS-Numpress positive integer compression followed by zlib compression",
         "MS:1002748\" name=\"MS-Numpress short logged float compression followed by zlib compression"}};
    fprintf(f, "            <cvParam cvRef=\"MS\" accession=\"%s\" value=\"\"/>\n",
            codec >= 0                   ? numpress_terms[zlib][codec]
            : has(p, "numpress") && !is_mz ? "MS:1002312\" name=\"MS-Numpress linear prediction compression"
            : zlib                       ? "MS:1000574\" name=\"zlib compression"
                                         : "MS:1000576\" name=\"no compression");
    fprintf(f, "            <cvParam cvRef=\"MS\" accession=\"%s\" name=\"%s\" value=\"\"/>\n",
            is_mz ? "MS:1000514" : "MS:1000515", is_mz ? "m/z array" : "intensity array");
    fputs("            <binary>", f);
    base64(f, data, len);
    if (has(p, "bad_base64") && !is_mz)
        fputs("!!**", f);
    fputs("</binary>\n          </binaryDataArray>\n", f);
    free(raw);
    free(packed);
    return 0;
}

int omsi_gen_mzml(const char *dir, const char *stem, const omsi_gen_params *p, char **dataset_path,
                  omsi_error *err)
{
    if (dataset_path)
        *dataset_path = NULL;
    if (p->dtype != OMSI_DT_FLOAT32 && p->dtype != OMSI_DT_FLOAT64)
        return omsi_error_set(err, OMSI_ERR_USAGE, "mzML fixtures store float32 or float64 intensities");
    long types = 1;
    omsi_gen_variant(p, "scantypes", 1, &types);
    if (types < 1 || types > 3)
        types = 1;
    const char *coords = "spot";
    if (p->variant && strstr(p->variant, "coords=bruker"))
        coords = "bruker";
    else if (p->variant && strstr(p->variant, "coords=ims"))
        coords = "ims";
    else if (p->variant && strstr(p->variant, "coords=none"))
        coords = "none";
    size_t n = strlen(stem) + 8;
    char *name = malloc(n);
    char *path = NULL;
    double *mz = malloc((size_t)p->nz * sizeof *mz), *in = malloc((size_t)p->nz * sizeof *in);
    double *full = malloc((size_t)p->nz * sizeof *full);
    bool gaps = has(p, "gaps"); /* once: the variant string is parsed per call */
    omsi_gen_tables *tables = NULL;
    FILE *f = NULL;
    int rc = 0;
    if (!name || !mz || !in || !full) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = omsi_gen_tables_new(p, &tables, err)))
        goto done;
    snprintf(name, n, "%s.mzML", stem);
    if ((rc = omsi_gen_mkdirs(dir, err)))
        goto done;
    path = omsi_path_join(dir, name);
    f = path ? fopen(path, "w") : NULL;
    if (!f) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", path ? path : name);
        goto done;
    }
    fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n", f);
    if (has(p, "billion_laughs"))
        fputs("<!DOCTYPE mzML [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
              "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]>\n", f);
    if (has(p, "external_entity"))
        fputs("<!DOCTYPE mzML [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n", f);
    fputs("<mzML xmlns=\"http://psi.hupo.org/ms/mzml\" version=\"1.1.0\" id=\"omsi-gen\">\n"
          "  <cvList count=\"2\"><cv id=\"MS\" fullName=\"PSI-MS\" URI=\"https://purl.obolibrary.org/obo/ms.obo\"/>\n"
          "    <cv id=\"IMS\" fullName=\"Mass Spectrometry Imaging Ontology\" "
          "URI=\"https://raw.githubusercontent.com/imzML/imzML/master/imagingMS.obo\"/></cvList>\n"
          "  <fileDescription><fileContent>\n"
          "    <cvParam cvRef=\"MS\" accession=\"MS:1000579\" name=\"MS1 spectrum\" value=\"\"/>\n"
          "  </fileContent></fileDescription>\n"
          "  <softwareList count=\"1\"><software id=\"omsi-gen\" version=\"1\">\n"
          "    <cvParam cvRef=\"MS\" accession=\"MS:1000799\" name=\"custom unreleased software tool\" value=\"omsi-gen\"/>\n"
          "  </software></softwareList>\n"
          "  <instrumentConfigurationList count=\"1\"><instrumentConfiguration id=\"IC1\">\n"
          "    <cvParam cvRef=\"MS\" accession=\"MS:1000449\" name=\"LTQ Orbitrap\" value=\"\"/>\n"
          "  </instrumentConfiguration></instrumentConfigurationList>\n"
          "  <dataProcessingList count=\"1\"><dataProcessing id=\"dp\">\n"
          "    <processingMethod order=\"0\" softwareRef=\"omsi-gen\">\n"
          "      <cvParam cvRef=\"MS\" accession=\"MS:1000544\" name=\"Conversion to mzML\" value=\"\"/>\n"
          "    </processingMethod>\n  </dataProcessing></dataProcessingList>\n"
          "  <run id=\"run1\" defaultInstrumentConfigurationRef=\"IC1\">\n", f);
    if (has(p, "billion_laughs"))
        fputs("    <userParam name=\"x\" value=\"&c;\"/>\n", f);
    if (has(p, "external_entity"))
        fputs("    <userParam name=\"x\" value=\"&e;\"/>\n", f);
    long empty = 0;
    omsi_gen_variant(p, "empty", 0, &empty);
    empty = empty > 0 ? empty : 0;
    fprintf(f, "    <spectrumList count=\"%llu\" defaultDataProcessingRef=\"dp\">\n",
            (unsigned long long)(p->nx * p->ny * (uint64_t)types + (uint64_t)empty));
    size_t index = 0;
    for (uint64_t x = 0; x < p->nx && !rc; x++)
        for (uint64_t y = 0; y < p->ny && !rc; y++) {
            omsi_gen_spectrum(tables, x, y, p->nz, full);
            for (long t = 0; t < types && !rc; t++) {
                size_t m = 0;
                for (uint64_t k = 0; k < p->nz; k++) {
                    if (gaps && (k + x + y) % 3 == 0)
                        continue;
                    mz[m] = omsi_gen_mz(p, k) + 0.25 * (double)t;
                    in[m++] = full[k] + (double)t;
                }
                uint64_t px = x, py = y;
                if (has(p, "duplicate_pixel") && index == (size_t)types)
                    px = py = 0;
                char id[256];
                if (strcmp(coords, "bruker") == 0)
                    snprintf(id, sizeof id, "file=run_x002f_0_R00X%03lluY%03llu_x002f_1_x002f_1SLin_x002f_fid t=%ld",
                             (unsigned long long)px, (unsigned long long)py, t);
                else
                    snprintf(id, sizeof id, "scan=%zu", index + 1);
                fprintf(f, "      <spectrum index=\"%zu\" id=\"%s\" defaultArrayLength=\"%zu\"", index, id,
                        m + (has(p, "count_mismatch") && index == 0 ? 1 : 0));
                if (strcmp(coords, "spot") == 0)
                    fprintf(f, " spotID=\"A%zu,%llux%llu\"", index + 1, (unsigned long long)px, (unsigned long long)py);
                fputs(">\n", f);
                fprintf(f, "        <cvParam cvRef=\"MS\" accession=\"MS:1000511\" name=\"ms level\" value=\"%d\"/>\n",
                        t == 0 ? 1 : 2);
                fprintf(f, "        <cvParam cvRef=\"MS\" accession=\"%s\" value=\"\"/>\n",
                        t == 0 ? "MS:1000128\" name=\"profile spectrum" : "MS:1000127\" name=\"centroid spectrum");
                fputs("        <cvParam cvRef=\"MS\" accession=\"MS:1000130\" name=\"positive scan\" value=\"\"/>\n", f);
                fputs("        <scanList count=\"1\"><scan>\n", f);
                if (!has(p, "nofilter"))
                    fprintf(f, "          <cvParam cvRef=\"MS\" accession=\"MS:1000512\" name=\"filter string\" value=\"%s\"/>\n",
                            filters[t]);
                if (strcmp(coords, "ims") == 0)
                    fprintf(f, "          <cvParam cvRef=\"IMS\" accession=\"IMS:1000050\" name=\"position x\" value=\"%llu\"/>\n"
                               "          <cvParam cvRef=\"IMS\" accession=\"IMS:1000051\" name=\"position y\" value=\"%llu\"/>\n",
                            (unsigned long long)px + 1, (unsigned long long)py + 1);
                fputs("        </scan></scanList>\n", f);
                if (t > 0)
                    fprintf(f, "        <precursorList count=\"1\"><precursor><selectedIonList count=\"1\"><selectedIon>\n"
                               "          <cvParam cvRef=\"MS\" accession=\"MS:1000744\" name=\"selected ion m/z\" value=\"%s\"/>\n"
                               "        </selectedIon></selectedIonList><activation>\n"
                               "          <cvParam cvRef=\"MS\" accession=\"MS:1000045\" name=\"collision energy\" value=\"%s\"/>\n"
                               "          <cvParam cvRef=\"MS\" accession=\"%s\" value=\"\"/>\n"
                               "        </activation></precursor></precursorList>\n",
                            t == 1 ? "760.59" : "820.10", t == 1 ? "35" : "30",
                            t == 1 ? "MS:1000133\" name=\"collision-induced dissociation"
                                   : "MS:1000422\" name=\"beam-type collision-induced dissociation");
                fputs("        <binaryDataArrayList count=\"2\">\n", f);
                rc = write_array(f, p, mz, m, !has(p, "mz32"), true, err);
                if (!rc)
                    rc = write_array(f, p, in, m, p->dtype == OMSI_DT_FLOAT64, false, err);
                fputs("        </binaryDataArrayList>\n      </spectrum>\n", f);
                index++;
            }
        }
    for (long e = 0; e < empty && !rc; e++, index++) {
        fprintf(f, "      <spectrum index=\"%zu\" id=\"empty=%ld\" defaultArrayLength=\"0\">\n"
                   "        <cvParam cvRef=\"MS\" accession=\"MS:1000511\" name=\"ms level\" value=\"1\"/>\n"
                   "        <binaryDataArrayList count=\"2\">\n",
                index, e);
        rc = write_array(f, p, mz, 0, !has(p, "mz32"), true, err);
        if (!rc)
            rc = write_array(f, p, in, 0, p->dtype == OMSI_DT_FLOAT64, false, err);
        fputs("        </binaryDataArrayList>\n      </spectrum>\n", f);
    }
    fputs("    </spectrumList>\n  </run>\n</mzML>\n", f);
done:
    if (f && fclose(f) != 0 && !rc)
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", path);
    if (!rc && has(p, "truncated")) {
        uint64_t size = 0;
        if (omsi_file_size(path, &size, err) == 0 && truncate(path, (off_t)(size * 7 / 10)) != 0)
            rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "truncate %s", path);
    }
    if (!rc && dataset_path) {
        *dataset_path = path;
        path = NULL;
    }
    free(path);
    free(name);
    omsi_gen_tables_free(tables);
    free(mz);
    free(in);
    free(full);
    return rc;
}
