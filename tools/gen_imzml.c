/* imzML fixtures (.imzML + .ibd) with generated content: pixel (x, y)
 * (0-based; written as positions x+1, y+1) has omsi_gen_intensity at bin k
 * of the axis omsi_gen_mz. Intensities in p->dtype (float32, float64,
 * int32, int64); m/z float64 (float32 with mz32).
 * Variants:
 *   processed      an m/z array per spectrum
 *   gaps           (processed) pixel (x, y) lacks bins k with (k + x + y) % 3 == 0
 *   empty=N        (processed) the last N spectra have zero points
 *   missing=N      pixels with (x * ny + y) % N == N - 1 are not acquired
 *   origin=N       positions start at N + 1 instead of 1
 *   zlib           arrays zlib-compressed (MS:1000574)
 *   mz32           float32 m/z arrays
 *   refgroups      array types only via referenceableParamGroups (else the
 *                  arrays repeat them inline after the group reference)
 *   no_uuid        no IMS:1000080
 *   md5, sha1      declare the .ibd's MD5 (IMS:1000090) or SHA-1 (IMS:1000091)
 *   bad_checksum   (with md5 or sha1) declare it with its first digit changed
 * Every file is schema-shaped the way pyimzML and MALDIquantForeign need
 * it: every cvParam named, the IMS cv listed, referenceableParamGroups
 * referenced from every array, software, instrument configuration and data
 * processing lists, and the spectrum count.
 * Broken: truncated_ibd, wrong_uuid, huge_offset, negative_offset,
 *   bad_xml (unclosed element), billion_laughs, external_entity,
 *   duplicate_pixel, no_ibd, numpress, length_mismatch. */
#include "tools/gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zlib.h>

typedef struct gen_array {
    uint64_t offset, length, encoded;
} gen_array;

static bool has(const omsi_gen_params *p, const char *v) { return omsi_gen_variant(p, v, 0, NULL); }

static bool point_present(bool gaps, uint64_t x, uint64_t y, uint64_t k)
{
    return !(gaps && (k + x + y) % 3 == 0);
}

static bool pixel_acquired(const omsi_gen_params *p, uint64_t x, uint64_t y)
{
    long n;
    return !(omsi_gen_variant(p, "missing", 0, &n) && n > 0 && (x * p->ny + y) % (uint64_t)n == (uint64_t)n - 1);
}

static void put_le(unsigned char *out, uint64_t bits, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(bits >> (8 * i));
}

static void encode(omsi_dtype t, double v, unsigned char *out)
{
    switch (t) {
    case OMSI_DT_FLOAT32: { float f = (float)v; uint32_t u; memcpy(&u, &f, 4); put_le(out, u, 4); break; }
    case OMSI_DT_INT32: put_le(out, (uint32_t)(int32_t)v, 4); break;
    case OMSI_DT_INT64: put_le(out, (uint64_t)(int64_t)v, 8); break;
    default: { uint64_t u; memcpy(&u, &v, 8); put_le(out, u, 8); break; }
    }
}

/* Appends n values to the .ibd (zlib when asked); fills the array record. */
static int append_array(FILE *ibd, uint64_t *pos, const double *values, size_t n, omsi_dtype t, bool zlib,
                        gen_array *a, omsi_error *err)
{
    size_t item = omsi_dtype_size(t);
    unsigned char *raw = malloc(n * item + 1);
    unsigned char *packed = NULL;
    int rc = 0;
    if (!raw)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        encode(t, values[i], raw + i * item);
    const unsigned char *data = raw;
    uLongf bytes = (uLongf)(n * item);
    if (zlib) {
        uLongf cap = compressBound(bytes);
        packed = malloc(cap);
        if (!packed || compress(packed, &cap, raw, bytes) != Z_OK) {
            rc = omsi_error_set(err, OMSI_ERR_INTERNAL, "zlib compress failed");
            goto done;
        }
        data = packed;
        bytes = cap;
    }
    if (bytes && fwrite(data, 1, bytes, ibd) != bytes) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "writing .ibd");
        goto done;
    }
    a->offset = *pos;
    a->length = n;
    a->encoded = bytes;
    *pos += bytes;
done:
    free(raw);
    free(packed);
    return rc;
}

static const char *type_term(omsi_dtype t)
{
    switch (t) {
    case OMSI_DT_FLOAT32: return "<cvParam cvRef=\"MS\" accession=\"MS:1000521\" name=\"32-bit float\" value=\"\"/>";
    case OMSI_DT_INT32: return "<cvParam cvRef=\"MS\" accession=\"MS:1000519\" name=\"32-bit integer\" value=\"\"/>";
    case OMSI_DT_INT64: return "<cvParam cvRef=\"MS\" accession=\"MS:1000522\" name=\"64-bit integer\" value=\"\"/>";
    default: return "<cvParam cvRef=\"MS\" accession=\"MS:1000523\" name=\"64-bit float\" value=\"\"/>";
    }
}

/* The compression term of an array, named. */
static const char *compression_term(const omsi_gen_params *p, bool is_mz, bool zlib)
{
    if (zlib)
        return "<cvParam cvRef=\"MS\" accession=\"MS:1000574\" name=\"zlib compression\" value=\"\"/>";
    if (has(p, "numpress") && !is_mz)
        return "<cvParam cvRef=\"MS\" accession=\"MS:1002312\" name=\"MS-Numpress linear prediction compression\" "
               "value=\"\"/>";
    return "<cvParam cvRef=\"MS\" accession=\"MS:1000576\" name=\"no compression\" value=\"\"/>";
}

static void write_array_xml(FILE *f, const omsi_gen_params *p, bool is_mz, omsi_dtype t, const gen_array *a,
                            bool zlib)
{
    fprintf(f, "      <binaryDataArray encodedLength=\"0\">\n");
    /* pyimzML finds the arrays by their group reference */
    fprintf(f, "        <referenceableParamGroupRef ref=\"%s\"/>\n", is_mz ? "mzArray" : "intensityArray");
    if (!has(p, "refgroups")) {
        fprintf(f, "        <cvParam cvRef=\"MS\" accession=\"%s\" name=\"%s\" value=\"\"/>\n",
                is_mz ? "MS:1000514" : "MS:1000515", is_mz ? "m/z array" : "intensity array");
        fprintf(f, "        %s\n", type_term(t));
        fprintf(f, "        %s\n", compression_term(p, is_mz, zlib));
    }
    long long offset = (long long)a->offset;
    if (has(p, "huge_offset"))
        offset = 1LL << 60;
    if (has(p, "negative_offset"))
        offset = -12345;
    uint64_t length = a->length + (has(p, "length_mismatch") && !is_mz ? 1 : 0);
    fprintf(f, "        <cvParam cvRef=\"IMS\" accession=\"IMS:1000102\" name=\"external offset\" value=\"%lld\"/>\n", offset);
    fprintf(f, "        <cvParam cvRef=\"IMS\" accession=\"IMS:1000103\" name=\"external array length\" value=\"%llu\"/>\n",
            (unsigned long long)length);
    fprintf(f, "        <cvParam cvRef=\"IMS\" accession=\"IMS:1000104\" name=\"external encoded length\" value=\"%llu\"/>\n",
            (unsigned long long)a->encoded);
    fprintf(f, "        <binary/>\n      </binaryDataArray>\n");
}

/* The digest of a whole file as lower-case hex. */
static int file_digest(const char *path, bool md5, char hex[41], omsi_error *err)
{
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = 0;
    if (!f || !ctx || !EVP_DigestInit_ex(ctx, md5 ? EVP_md5() : EVP_sha1(), NULL)) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: cannot compute its digest", path);
        goto done;
    }
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(ctx, buf, n);
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    for (unsigned int i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
done:
    EVP_MD_CTX_free(ctx);
    if (f)
        fclose(f);
    return rc;
}

static void write_header(FILE *f, const omsi_gen_params *p, const unsigned char uuid[16], omsi_dtype mz_t,
                         omsi_dtype int_t, bool zlib, long *checksum_at)
{
    if (has(p, "billion_laughs"))
        fputs("<?xml version=\"1.0\"?>\n<!DOCTYPE mzML [\n <!ENTITY a \"aaaaaaaaaa\">\n"
              " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
              " <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n]>\n", f);
    else if (has(p, "external_entity"))
        fputs("<?xml version=\"1.0\"?>\n<!DOCTYPE mzML [\n <!ENTITY e SYSTEM \"file:///etc/passwd\">\n]>\n", f);
    else
        fputs("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n", f);
    fputs("<mzML xmlns=\"http://psi.hupo.org/ms/mzml\" version=\"1.1.0\">\n"
          "  <cvList count=\"3\">\n"
          "    <cv id=\"MS\" fullName=\"Proteomics Standards Initiative Mass Spectrometry Ontology\" URI=\"http://psidev.cvs.sourceforge.net/obo/psi-ms.obo\"/>\n"
          "    <cv id=\"UO\" fullName=\"Unit Ontology\" URI=\"http://obo.cvs.sourceforge.net/obo/unit.obo\"/>\n"
          "    <cv id=\"IMS\" fullName=\"Mass Spectrometry Imaging Ontology\" URI=\"https://raw.githubusercontent.com/imzML/imzML/master/imagingMS.obo\"/>\n"
          "  </cvList>\n  <fileDescription>\n    <fileContent>\n", f);
    fprintf(f, "      <cvParam cvRef=\"IMS\" accession=\"%s\" name=\"%s\" value=\"\"/>\n",
            has(p, "processed") ? "IMS:1000031" : "IMS:1000030", has(p, "processed") ? "processed" : "continuous");
    if (!has(p, "no_uuid")) {
        fputs("      <cvParam cvRef=\"IMS\" accession=\"IMS:1000080\" name=\"universally unique identifier\" value=\"{", f);
        for (int i = 0; i < 16; i++)
            fprintf(f, "%s%02X", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", uuid[i]);
        fputs("}\"/>\n", f);
    }
    if (has(p, "md5") || has(p, "sha1")) { /* the value is filled in once the .ibd is written */
        bool md5 = has(p, "md5");
        fprintf(f, "      <cvParam cvRef=\"IMS\" accession=\"%s\" name=\"%s\" value=\"",
                md5 ? "IMS:1000090" : "IMS:1000091", md5 ? "ibd MD5" : "ibd SHA-1");
        *checksum_at = ftell(f);
        fprintf(f, "%0*d\"/>\n", md5 ? 32 : 40, 0);
    }
    fputs("    </fileContent>\n  </fileDescription>\n", f);
    fputs("  <referenceableParamGroupList count=\"2\">\n    <referenceableParamGroup id=\"mzArray\">\n"
          "      <cvParam cvRef=\"MS\" accession=\"MS:1000514\" name=\"m/z array\" value=\"\"/>\n", f);
    fprintf(f, "      %s\n      %s\n", type_term(mz_t), compression_term(p, true, zlib));
    fputs("    </referenceableParamGroup>\n    <referenceableParamGroup id=\"intensityArray\">\n"
          "      <cvParam cvRef=\"MS\" accession=\"MS:1000515\" name=\"intensity array\" value=\"\"/>\n", f);
    fprintf(f, "      %s\n      %s\n", type_term(int_t), compression_term(p, false, zlib));
    fputs("    </referenceableParamGroup>\n  </referenceableParamGroupList>\n"
          "  <softwareList count=\"1\">\n    <software id=\"omsi-gen\" version=\"1\">\n"
          "      <cvParam cvRef=\"MS\" accession=\"MS:1000799\" name=\"custom unreleased software tool\" value=\"omsi-gen\"/>\n"
          "    </software>\n  </softwareList>\n", f);
    fprintf(f, "  <scanSettingsList count=\"1\">\n    <scanSettings id=\"s1\">\n"
               "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000042\" name=\"max count of pixels x\" value=\"%llu\"/>\n"
               "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000043\" name=\"max count of pixels y\" value=\"%llu\"/>\n"
               "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000046\" name=\"pixel size (x)\" value=\"50\" unitCvRef=\"UO\" unitAccession=\"UO:0000017\" unitName=\"micrometer\"/>\n"
               "    </scanSettings>\n  </scanSettingsList>\n"
               "  <instrumentConfigurationList count=\"1\">\n    <instrumentConfiguration id=\"IC1\">\n"
               "      <cvParam cvRef=\"MS\" accession=\"MS:1000031\" name=\"instrument model\" value=\"\"/>\n"
               "    </instrumentConfiguration>\n  </instrumentConfigurationList>\n"
               "  <dataProcessingList count=\"1\">\n    <dataProcessing id=\"dp\">\n"
               "      <processingMethod order=\"0\" softwareRef=\"omsi-gen\">\n"
               "        <cvParam cvRef=\"MS\" accession=\"MS:1000544\" name=\"Conversion to mzML\" value=\"\"/>\n"
               "      </processingMethod>\n    </dataProcessing>\n  </dataProcessingList>\n",
            (unsigned long long)p->nx, (unsigned long long)p->ny);
}

int omsi_gen_imzml(const char *dir, const char *stem, const omsi_gen_params *p, char **dataset_path,
                   omsi_error *err)
{
    if (dataset_path)
        *dataset_path = NULL;
    omsi_dtype int_t = p->dtype;
    if (int_t != OMSI_DT_FLOAT32 && int_t != OMSI_DT_FLOAT64 && int_t != OMSI_DT_INT32 && int_t != OMSI_DT_INT64)
        return omsi_error_set(err, OMSI_ERR_USAGE, "imzML fixtures store float32, float64, int32 or int64, not %s",
                              omsi_dtype_name(int_t));
    omsi_dtype mz_t = has(p, "mz32") ? OMSI_DT_FLOAT32 : OMSI_DT_FLOAT64;
    bool zlib = has(p, "zlib"), processed = has(p, "processed");
    long origin = 0;
    omsi_gen_variant(p, "origin", 0, &origin);
    size_t n = strlen(stem) + 8;
    char *xml_name = malloc(n), *ibd_name = malloc(n);
    char *xml_path = NULL, *ibd_path = NULL;
    FILE *xml = NULL, *ibd = NULL;
    long checksum_at = -1; /* where the declared checksum's hex goes */
    double *mz = malloc((size_t)p->nz * sizeof *mz), *values = malloc((size_t)p->nz * sizeof *values);
    double *sub_mz = malloc((size_t)p->nz * sizeof *sub_mz), *full = malloc((size_t)p->nz * sizeof *full);
    /* looked up once: the variant string is parsed per call */
    bool gaps = processed && has(p, "gaps");
    omsi_gen_tables *tables = NULL;
    int rc = 0;
    if (!xml_name || !ibd_name || !mz || !values || !sub_mz || !full) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = omsi_gen_tables_new(p, &tables, err)))
        goto done;
    snprintf(xml_name, n, "%s.imzML", stem);
    snprintf(ibd_name, n, "%s.ibd", stem);
    if ((rc = omsi_gen_mkdirs(dir, err)))
        goto done;
    xml_path = omsi_path_join(dir, xml_name);
    ibd_path = omsi_path_join(dir, ibd_name);
    xml = xml_path ? fopen(xml_path, "w") : NULL;
    ibd = ibd_path && !has(p, "no_ibd") ? fopen(ibd_path, "wb") : NULL;
    if (!xml || (!ibd && !has(p, "no_ibd"))) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", xml ? ibd_path : xml_path);
        goto done;
    }
    FILE *sink = ibd ? ibd : fopen("/dev/null", "wb");
    if (!sink) {
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "/dev/null");
        goto done;
    }
    unsigned char uuid[16];
    for (int i = 0; i < 16; i++)
        uuid[i] = (unsigned char)(0x10 * (i + 1) + p->seed * 7 + i);
    unsigned char written_uuid[16];
    memcpy(written_uuid, uuid, 16);
    if (has(p, "wrong_uuid"))
        written_uuid[5] ^= 0xFF;
    fwrite(written_uuid, 1, 16, sink);
    uint64_t pos = 16;
    for (uint64_t k = 0; k < p->nz; k++)
        mz[k] = omsi_gen_mz(p, k);
    gen_array shared_mz = {0};
    if (!processed && (rc = append_array(sink, &pos, mz, (size_t)p->nz, mz_t, zlib, &shared_mz, err)))
        goto close_sink;
    write_header(xml, p, uuid, mz_t, int_t, zlib, &checksum_at);
    uint64_t acquired = 0;
    for (uint64_t x = 0; x < p->nx; x++)
        for (uint64_t y = 0; y < p->ny; y++)
            acquired += pixel_acquired(p, x, y);
    fprintf(xml,
            "  <run id=\"run1\" defaultInstrumentConfigurationRef=\"IC1\">\n"
            "    <spectrumList count=\"%llu\" defaultDataProcessingRef=\"dp\">\n",
            (unsigned long long)acquired);
    size_t index = 0;
    long empty = 0;
    omsi_gen_variant(p, "empty", 0, &empty);
    for (uint64_t x = 0; x < p->nx && !rc; x++)
        for (uint64_t y = 0; y < p->ny && !rc; y++) {
            if (!pixel_acquired(p, x, y))
                continue;
            size_t m = 0;
            omsi_gen_spectrum(tables, x, y, p->nz, full);
            for (uint64_t k = 0; k < p->nz; k++)
                if (point_present(gaps, x, y, k)) {
                    sub_mz[m] = mz[k];
                    values[m++] = full[k];
                }
            if (processed && empty > 0 && index + (uint64_t)empty >= acquired)
                m = 0; /* a spectrum without points */
            gen_array mz_a = shared_mz, int_a;
            if (processed && (rc = append_array(sink, &pos, sub_mz, m, mz_t, zlib, &mz_a, err)))
                break;
            if ((rc = append_array(sink, &pos, values, m, int_t, zlib, &int_a, err)))
                break;
            fprintf(xml, "    <spectrum id=\"Scan=%zu\" index=\"%zu\" defaultArrayLength=\"0\">\n", index + 1, index);
            uint64_t px = x + (uint64_t)origin + 1, py = y + (uint64_t)origin + 1;
            if (has(p, "duplicate_pixel") && index == 1)
                px = (uint64_t)origin + 1, py = (uint64_t)origin + 1;
            fprintf(xml, "      <scanList count=\"1\"><scan>\n"
                         "        <cvParam cvRef=\"IMS\" accession=\"IMS:1000050\" name=\"position x\" value=\"%llu\"/>\n"
                         "        <cvParam cvRef=\"IMS\" accession=\"IMS:1000051\" name=\"position y\" value=\"%llu\"/>\n"
                         "      </scan></scanList>\n      <binaryDataArrayList count=\"2\">\n",
                    (unsigned long long)px, (unsigned long long)py);
            write_array_xml(xml, p, true, mz_t, &mz_a, zlib);
            write_array_xml(xml, p, false, int_t, &int_a, zlib);
            fputs("      </binaryDataArrayList>\n    </spectrum>\n", xml);
            if (has(p, "billion_laughs") && index == 0)
                fputs("    <userParam name=\"x\" value=\"&d;\"/>\n", xml);
            if (has(p, "external_entity") && index == 0)
                fputs("    <userParam name=\"x\">&e;</userParam>\n", xml);
            index++;
        }
    if (!has(p, "bad_xml"))
        fputs("    </spectrumList>\n  </run>\n</mzML>\n", xml);
close_sink:
    if (sink != ibd)
        fclose(sink);
done:
    if (!rc && checksum_at >= 0 && ibd) {
        char hex[41] = "";
        if (fflush(ibd) != 0)
            rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", ibd_path);
        if (!rc)
            rc = file_digest(ibd_path, has(p, "md5"), hex, err);
        if (!rc && has(p, "bad_checksum"))
            hex[0] = hex[0] == '0' ? '1' : '0';
        if (!rc && (fseek(xml, checksum_at, SEEK_SET) != 0 || fputs(hex, xml) < 0))
            rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", xml_path);
    }
    if (xml && fclose(xml) != 0 && !rc)
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", xml_path);
    if (ibd && fclose(ibd) != 0 && !rc)
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "%s", ibd_path);
    if (!rc && has(p, "truncated_ibd") && ibd_path && truncate(ibd_path, (off_t)(pos - 3)) != 0)
        rc = omsi_error_errno(err, OMSI_ERR_IO, errno, "truncate %s", ibd_path);
    if (!rc && dataset_path) {
        *dataset_path = xml_path;
        xml_path = NULL;
    }
    free(xml_path);
    free(ibd_path);
    free(xml_name);
    free(ibd_name);
    free(mz);
    omsi_gen_tables_free(tables);
    free(values);
    free(sub_mz);
    free(full);
    return rc;
}
