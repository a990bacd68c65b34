/* Test helper: prints a PNG's size and its pixels, decoded by libpng, as
 * "W H" then one "x y r g b" line per pixel (for the end-to-end scripts). */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: png_pixels FILE.png\n");
        return 2;
    }
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, argv[1])) {
        fprintf(stderr, "png_pixels: %s: %s\n", argv[1], image.message);
        return 1;
    }
    image.format = PNG_FORMAT_RGB;
    unsigned char *buf = malloc(PNG_IMAGE_SIZE(image));
    if (!buf || !png_image_finish_read(&image, NULL, buf, 0, NULL)) {
        fprintf(stderr, "png_pixels: %s: %s\n", argv[1], buf ? image.message : "out of memory");
        free(buf);
        return 1;
    }
    printf("%u %u\n", image.width, image.height);
    for (unsigned y = 0; y < image.height; y++)
        for (unsigned x = 0; x < image.width; x++) {
            const unsigned char *p = buf + ((size_t)y * image.width + x) * 3;
            printf("%u %u %u %u %u\n", x, y, p[0], p[1], p[2]);
        }
    free(buf);
    return 0;
}
