/* Text search on PostgreSQL, made to match what SQLite's fts5 (unicode61
 * tokenizer) finds: PostgreSQL's parser keeps paths, file names and
 * numbers with dots as single tokens ("/data/kidney_01.img"), fts5 splits
 * them at every character that is not a letter or digit. So both the
 * document and the query words are split that way before PostgreSQL sees
 * them, and a query word becomes a phrase of its pieces. */
#include "catalog/catalog_internal.h"

#include <stdlib.h>
#include <string.h>

/* Letters and digits, and any byte of a UTF-8 sequence (kept whole). */
static bool token_char(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char *omsi_cat_search_document(const char *text)
{
    char *out = strdup(text);
    if (!out)
        return NULL;
    for (char *p = out; *p; p++)
        if (!token_char((unsigned char)*p))
            *p = ' ';
    return out;
}

char *omsi_cat_pg_tsquery(const char *words)
{
    /* Worst case per input byte: "'x' <-> " around each one. */
    size_t n = strlen(words);
    char *out = malloc(10 * n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    const char *p = words;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        size_t n_word = strcspn(p, " \t");
        bool prefix = n_word > 1 && p[n_word - 1] == '*';
        const char *end = p + n_word - (prefix ? 1 : 0);
        bool first_piece = true;
        while (p < end) {
            if (!token_char((unsigned char)*p)) {
                p++;
                continue;
            }
            if (first_piece && o) {
                memcpy(out + o, " & ", 3);
                o += 3;
            } else if (!first_piece) {
                memcpy(out + o, " <-> ", 5);
                o += 5;
            }
            first_piece = false;
            out[o++] = '\'';
            while (p < end && token_char((unsigned char)*p))
                out[o++] = *p++;
            out[o++] = '\'';
            if (prefix && p >= end) {
                memcpy(out + o, ":*", 2);
                o += 2;
            }
        }
        p = end + (prefix ? 1 : 0);
    }
    out[o] = '\0';
    return out;
}

int omsi_cat_bind_search(omsi_catalog *cat, omsi_db_stmt *st, int64_t source_id, const char *names,
                         const char *metadata, omsi_error *err)
{
    if (omsi_cat_dialect(cat) != OMSI_DB_POSTGRESQL)
        return omsi_cat_bind(cat, st, 1, err, "itt", source_id, names, metadata);
    char *n = omsi_cat_search_document(names), *m = omsi_cat_search_document(metadata);
    int rc = n && m ? omsi_cat_bind(cat, st, 1, err, "itt", source_id, n, m)
                    : omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    free(n);
    free(m);
    return rc;
}
