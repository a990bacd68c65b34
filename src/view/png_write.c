#include "view/png_write.h"
#include "base/omsi_atomic_file.h"

#include <png.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

typedef struct png_failure {
    char message[256];
} png_failure;

static void on_error(png_structp png, png_const_charp message)
{
    png_failure *f = png_get_error_ptr(png);
    snprintf(f->message, sizeof f->message, "%s", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message)
{
    (void)png;
    (void)message;
}

/* A growing memory buffer as libpng's output. */
typedef struct memory_out {
    unsigned char *data;
    size_t size, cap;
    bool failed;
} memory_out;

static void memory_write(png_structp png, png_bytep bytes, png_size_t n)
{
    memory_out *m = png_get_io_ptr(png);
    if (m->failed)
        return;
    if (m->size + n > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap < m->size + n)
            cap *= 2;
        unsigned char *p = realloc(m->data, cap);
        if (!p) {
            m->failed = true;
            png_error(png, "out of memory");
        }
        m->data = p;
        m->cap = cap;
    }
    memcpy(m->data + m->size, bytes, n);
    m->size += n;
}

static void memory_flush(png_structp png) { (void)png; }

/* The libpng part on its own, so that nothing in it needs to survive
 * longjmp except what lives in the caller. fp NULL: into mem. */
static int encode(FILE *fp, memory_out *mem, uint32_t width, uint32_t height, const uint8_t *rgb,
                  const char *title, png_failure *failure)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, failure, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        snprintf(failure->message, sizeof failure->message, "out of memory");
        png_destroy_write_struct(&png, NULL);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    if (fp)
        png_init_io(png, fp);
    else
        png_set_write_fn(png, mem, memory_write, memory_flush);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_text text[2] = {
        {.compression = PNG_TEXT_COMPRESSION_NONE, .key = "Title", .text = (char *)title},
        {.compression = PNG_TEXT_COMPRESSION_NONE, .key = "Software", .text = PACKAGE_STRING},
    };
    if (title && *title)
        png_set_text(png, info, text, 2);
    else
        png_set_text(png, info, text + 1, 1);
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; y++)
        png_write_row(png, rgb + (size_t)y * width * 3);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int omsi_png_write(const char *path, uint32_t width, uint32_t height, const uint8_t *rgb,
                   const char *title, omsi_error *err)
{
    if (width == 0 || height == 0 || width > 1u << 20 || height > 1u << 20)
        return omsi_error_set(err, OMSI_ERR_USAGE, "%s: cannot write a %ux%u image", path, width,
                              height);
    omsi_atomic_file f;
    int rc = omsi_atomic_file_open(path, &f, err);
    if (rc)
        return rc;
    png_failure failure = {""};
    if (encode(f.fp, NULL, width, height, rgb, title, &failure) != 0) {
        omsi_atomic_file_abort(&f);
        return omsi_error_set(err, OMSI_ERR_IO, "%s: writing the PNG failed: %s", path, failure.message);
    }
    return omsi_atomic_file_commit(&f, err);
}

int omsi_png_encode(uint32_t width, uint32_t height, const uint8_t *rgb, const char *title,
                    unsigned char **png, size_t *bytes, omsi_error *err)
{
    *png = NULL;
    *bytes = 0;
    if (width == 0 || height == 0 || width > 1u << 20 || height > 1u << 20)
        return omsi_error_set(err, OMSI_ERR_USAGE, "cannot encode a %ux%u image", width, height);
    memory_out mem = {0};
    png_failure failure = {""};
    if (encode(NULL, &mem, width, height, rgb, title, &failure) != 0) {
        free(mem.data);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "encoding a PNG failed: %s", failure.message);
    }
    *png = mem.data;
    *bytes = mem.size;
    return 0;
}
