#include "serve/serve_token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int serve_token_read(const char *path, char **token, omsi_error *err)
{
    *token = NULL;
    FILE *f = fopen(path, "re");
    if (!f)
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: cannot read the token file", path);
    char line[SERVE_TOKEN_MAX + 2];
    int rc = 0;
    if (!fgets(line, sizeof line, f)) {
        rc = omsi_error_set(err, OMSI_ERR_USAGE, "%s: the token file is empty", path);
        goto done;
    }
    size_t n = strlen(line);
    if (n == sizeof line - 1 && line[n - 1] != '\n') {
        rc = omsi_error_set(err, OMSI_ERR_USAGE, "%s: the token is longer than %d characters", path,
                            SERVE_TOKEN_MAX);
        goto done;
    }
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        line[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (line[i] <= ' ' || line[i] >= 0x7f || strchr(";,\"\\", line[i])) {
            /* The page keeps the token in a cookie: no ; , " or \ either. */
            rc = omsi_error_set(err, OMSI_ERR_USAGE,
                                "%s: the token holds a blank, a non-printable character or one of ; , \" \\", path);
            goto done;
        }
    if (n < SERVE_TOKEN_MIN) {
        rc = omsi_error_set(err, OMSI_ERR_USAGE, "%s: the token has %zu characters, at least %d are needed",
                            path, n, SERVE_TOKEN_MIN);
        goto done;
    }
    if (!(*token = strdup(line)))
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
done:
    fclose(f);
    return rc;
}

bool serve_token_equal(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    unsigned char diff = na != nb;
    /* Every byte of a is looked at whatever b holds. */
    for (size_t i = 0; i < na; i++)
        diff |= (unsigned char)(a[i] ^ (i < nb ? b[i] : 0));
    return diff == 0;
}

/* The value of "omsi_token=" in a Cookie header, copied into out. */
static bool cookie_token(const char *cookie, char *out, size_t size)
{
    static const char name[] = "omsi_token=";
    for (const char *p = cookie; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t len = strcspn(p, ";");
        if (len > sizeof name - 1 && strncmp(p, name, sizeof name - 1) == 0) {
            size_t v = len - (sizeof name - 1);
            if (v >= size)
                return false;
            memcpy(out, p + sizeof name - 1, v);
            out[v] = '\0';
            return true;
        }
        p += len;
    }
    return false;
}

bool serve_token_accepts(const char *token, const char *authorization, const char *cookie)
{
    static const char bearer[] = "Bearer ";
    if (authorization && strncmp(authorization, bearer, sizeof bearer - 1) == 0)
        return serve_token_equal(token, authorization + sizeof bearer - 1);
    char value[SERVE_TOKEN_MAX + 1];
    if (cookie && cookie_token(cookie, value, sizeof value))
        return serve_token_equal(token, value);
    return false;
}
