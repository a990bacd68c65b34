/* omsi_table_print: aligned columns through libsmartcols, which measures
 * display widths (non-ASCII text aligns), pads, aligns numbers right and
 * writes the table. The fitting to a terminal is done here, as smartcols
 * does not do it the way a catalog listing needs: it cuts values at their
 * end and gives the room to the first wide column, where a path has to
 * keep its start and its file name (cut in the middle) and two paths
 * (source, output) should share the room; and it never leaves out a
 * column, where an 80-column terminal cannot hold ten. */
#include "cli/catalog_output.h"
#include "base/omsi_escape.h"

#include <libsmartcols.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

/* A cut column keeps at least this many cells. */
enum { MIN_PATH_WIDTH = 16 };

/* Display width of UTF-8 text (escaped: printable; an undecodable byte
 * counts one). */
static size_t text_width(const char *s)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t w = 0;
    for (size_t n = strlen(s); n;) {
        wchar_t wc;
        size_t k = mbrtowc(&wc, s, n, &st);
        if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
            memset(&st, 0, sizeof st);
            k = 1;
            w++;
        } else {
            int cw = wcwidth(wc);
            w += cw > 0 ? (size_t)cw : 0;
        }
        s += k;
        n -= k;
    }
    return w;
}

/* Byte length of the longest start of s at most width cells wide (from the
 * end when from_end). */
static size_t fit_bytes(const char *s, size_t width, bool from_end)
{
    size_t len = strlen(s), best = 0;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t w = 0;
    /* Character boundaries, scanned forward once. */
    size_t *ends = malloc((len + 1) * sizeof *ends), n_ends = 0;
    size_t *widths = malloc((len + 1) * sizeof *widths);
    if (!ends || !widths) {
        free(ends);
        free(widths);
        return 0;
    }
    for (size_t i = 0; i < len;) {
        wchar_t wc;
        size_t k = mbrtowc(&wc, s + i, len - i, &st);
        int cw = 1;
        if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
            memset(&st, 0, sizeof st);
            k = 1;
        } else {
            cw = wcwidth(wc) > 0 ? wcwidth(wc) : 0;
        }
        i += k;
        ends[n_ends] = i;
        widths[n_ends++] = (size_t)cw;
    }
    if (!from_end) {
        for (size_t c = 0; c < n_ends && w + widths[c] <= width; c++) {
            w += widths[c];
            best = ends[c];
        }
    } else {
        for (size_t c = n_ends; c-- > 0 && w + widths[c] <= width;) {
            w += widths[c];
            best = len - (c ? ends[c - 1] : 0);
        }
    }
    free(ends);
    free(widths);
    return best;
}

/* s cut to width cells with "…" inside; malloc'ed, NULL on OOM. */
static char *cut_middle(const char *s, size_t width)
{
    static const char dots[] = "\xe2\x80\xa6"; /* U+2026, one cell */
    if (width < 2)
        return strdup(dots);
    /* A third for the start, the rest for the end: the file name. */
    size_t head = fit_bytes(s, (width - 1) / 3, false);
    size_t tail = fit_bytes(s, width - 1 - (width - 1) / 3, true);
    size_t len = strlen(s);
    char *out = malloc(head + sizeof dots + tail);
    if (!out)
        return NULL;
    memcpy(out, s, head);
    memcpy(out + head, dots, sizeof dots - 1);
    memcpy(out + head + sizeof dots - 1, s + len - tail, tail);
    out[head + sizeof dots - 1 + tail] = '\0';
    return out;
}

static size_t terminal_width(FILE *out)
{
    struct winsize ws;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *columns = getenv("COLUMNS");
    long n = columns ? strtol(columns, NULL, 10) : 0;
    return n >= 20 && n <= 10000 ? (size_t)n : 80;
}

/* Builds the smartcols table of the shown columns from the escaped cells. */
static struct libscols_table *build(const omsi_table *t, char **cells, const bool *shown, bool terminal,
                                    size_t width)
{
    struct libscols_table *tb = scols_new_table();
    if (!tb)
        return NULL;
    scols_table_set_termforce(tb, terminal ? SCOLS_TERMFORCE_ALWAYS : SCOLS_TERMFORCE_NEVER);
    if (terminal)
        scols_table_set_termwidth(tb, width);
    scols_table_set_column_separator(tb, "  ");
    scols_table_enable_noencoding(tb, 1); /* the cells are escaped already */
    struct libscols_column *cols[OMSI_TABLE_MAX_COLS] = {NULL};
    bool ok = true;
    for (size_t c = 0; c < t->n_cols && ok; c++) {
        if (!shown[c])
            continue;
        /* Cells are cut to fit already (omsi_table_print); TRUNC is the
         * safety net should a header still be too wide. */
        int flags = (t->middle[c] ? SCOLS_FL_TRUNC : 0) | (t->right[c] ? SCOLS_FL_RIGHT : 0);
        cols[c] = scols_table_new_column(tb, cells[c], 0, flags);
        ok = cols[c] != NULL;
    }
    for (size_t r = 1; r < t->n_rows && ok; r++) {
        struct libscols_line *ln = scols_table_new_line(tb, NULL);
        ok = ln != NULL;
        size_t k = 0;
        for (size_t c = 0; c < t->n_cols && ok; c++)
            if (shown[c])
                ok = scols_line_set_data(ln, k++, cells[r * t->n_cols + c]) == 0;
    }
    if (!ok) {
        scols_unref_table(tb);
        return NULL;
    }
    return tb;
}

void omsi_table_print(const omsi_table *t, FILE *out)
{
    if (t->n_cols == 0 || t->n_cols > OMSI_TABLE_MAX_COLS || t->n_rows == 0)
        return;
    size_t n = t->n_rows * t->n_cols;
    char **cells = calloc(n, sizeof *cells);
    size_t natural[OMSI_TABLE_MAX_COLS] = {0};
    bool shown[OMSI_TABLE_MAX_COLS];
    bool ok = cells != NULL;
    for (size_t i = 0; i < n && ok; i++) {
        cells[i] = omsi_escape_dup(t->cells[i]);
        ok = cells[i] != NULL;
        if (ok && text_width(cells[i]) > natural[i % t->n_cols])
            natural[i % t->n_cols] = text_width(cells[i]);
    }
    bool terminal = isatty(fileno(out));
    size_t width = terminal ? terminal_width(out) : 0;
    for (size_t c = 0; c < t->n_cols; c++)
        shown[c] = true;
    /* Column choice: while the columns that are never cut need more than
     * the width (cut ones counted at MIN_CUT_WIDTH), leave out the next
     * droppable one. */
    while (ok && terminal) {
        size_t need = 0, worst = t->n_cols;
        for (size_t c = 0; c < t->n_cols; c++) {
            if (!shown[c])
                continue;
            size_t least = t->middle[c] ? MIN_PATH_WIDTH : natural[c];
            need += (natural[c] < least ? natural[c] : least) + 2;
            if (t->drop_order[c] > 0 && (worst == t->n_cols || t->drop_order[c] > t->drop_order[worst]))
                worst = c;
        }
        if (need <= width + 2 || worst == t->n_cols)
            break;
        shown[worst] = false;
    }
    /* The width left by the other columns is shared among the middle-cut
     * ones (water-filling: a narrow one takes what it needs, the rest is
     * split evenly), and their long cells are cut to it. */
    if (ok && terminal) {
        size_t used = 0, n_middle = 0, n_shown = 0;
        size_t share[OMSI_TABLE_MAX_COLS] = {0};
        bool open[OMSI_TABLE_MAX_COLS] = {false};
        for (size_t c = 0; c < t->n_cols; c++) {
            if (!shown[c])
                continue;
            n_shown++;
            if (t->middle[c]) {
                open[c] = true;
                n_middle++;
            } else {
                used += natural[c];
            }
        }
        used += 2 * (n_shown - 1);
        size_t avail = width > used ? width - used : 0;
        for (bool changed = true; changed && n_middle;) {
            changed = false;
            size_t each = avail / n_middle;
            for (size_t c = 0; c < t->n_cols; c++)
                if (open[c] && natural[c] <= each) {
                    share[c] = natural[c];
                    avail -= natural[c];
                    open[c] = false;
                    n_middle--;
                    changed = true;
                }
        }
        for (size_t c = 0, k = 0; c < t->n_cols; c++) {
            if (!open[c])
                continue;
            /* what the even split leaves over goes to the first ones */
            share[c] = avail / n_middle + (k++ < avail % n_middle ? 1 : 0);
            if (share[c] < 4)
                share[c] = 4;
            for (size_t r = 1; r < t->n_rows; r++) {
                char **cell = &cells[r * t->n_cols + c];
                if (text_width(*cell) <= share[c])
                    continue;
                char *shorter = cut_middle(*cell, share[c]);
                if (shorter) {
                    free(*cell);
                    *cell = shorter;
                }
            }
        }
    }
    struct libscols_table *tb = ok ? build(t, cells, shown, terminal, width) : NULL;
    if (tb) {
        scols_table_set_stream(tb, out);
        scols_print_table(tb);
    }
    scols_unref_table(tb);
    for (size_t i = 0; cells && i < n; i++)
        free(cells[i]);
    free(cells);
}
