/* PNG files through libpng: 8-bit RGB, written whole or not at all
 * (base/omsi_atomic_file), with a tEXt "Title" and "Software" entry. */
#ifndef OMSI_PNG_WRITE_H
#define OMSI_PNG_WRITE_H

#include "base/omsi_error.h"

#include <stddef.h>
#include <stdint.h>

/* rgb holds height rows of width * 3 bytes. path "-" writes to stdout. */
int omsi_png_write(const char *path, uint32_t width, uint32_t height, const uint8_t *rgb,
                   const char *title, omsi_error *err);

/* The same PNG into memory: *png (malloc'ed) of *bytes bytes. */
int omsi_png_encode(uint32_t width, uint32_t height, const uint8_t *rgb, const char *title,
                    unsigned char **png, size_t *bytes, omsi_error *err);

#endif
