/* The bearer token of `serve --token-file`: read once at start, compared in
 * constant time with what a request brings (an "Authorization: Bearer T"
 * header, or the page's "omsi_token" cookie, since an <img> cannot send a
 * header). Pure but for the file read. */
#ifndef OMSI_SERVE_TOKEN_H
#define OMSI_SERVE_TOKEN_H

#include "base/omsi_error.h"

#include <stdbool.h>

enum { SERVE_TOKEN_MIN = 16, SERVE_TOKEN_MAX = 256 };

/* The file's first line, trailing blanks cut: SERVE_TOKEN_MIN to
 * SERVE_TOKEN_MAX printable ASCII characters without blanks (nor ; , " \,
 * which a cookie cannot hold), or an error
 * naming the file. *token is malloc'ed. */
int serve_token_read(const char *path, char **token, omsi_error *err);

/* a equals b, in time that depends on their lengths only. */
bool serve_token_equal(const char *a, const char *b);

/* Whether a request with these headers (either may be NULL) carries token. */
bool serve_token_accepts(const char *token, const char *authorization, const char *cookie);

#endif
