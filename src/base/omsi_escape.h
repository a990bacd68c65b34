/* Text for terminals and logs. A file name may hold any byte but '/' and
 * NUL: printed raw, an ESC starts a terminal control sequence and a newline
 * forges a log line. omsi_escape writes such text with C-style escapes
 * (\n \t \r \e \\ and \xNN for other control bytes, C1 controls, bidi
 * overrides and bytes that are not valid UTF-8); valid printable UTF-8
 * passes unchanged. JSON and CSV output keep exact strings instead (their
 * own quoting is lossless). */
#ifndef OMSI_ESCAPE_H
#define OMSI_ESCAPE_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the escaped text into out (size > 0: always NUL-terminated, never
 * cut inside an escape) and returns the length the whole escaped text
 * needs, without the NUL (like snprintf). */
size_t omsi_escape(char *out, size_t size, const char *text);

/* malloc'ed escaped copy; NULL when out of memory. */
char *omsi_escape_dup(const char *text);

/* Whether omsi_escape would change text. */
bool omsi_needs_escape(const char *text);

/* fputs of the escaped text. */
void omsi_escape_fputs(const char *text, FILE *out);

/* Copies text into out (size > 0). When it does not fit, the middle is
 * replaced by "..." so that the start (what failed) and the end (usually
 * why) both survive; never cuts a UTF-8 sequence. Returns strlen(text). */
size_t omsi_copy_middle(char *out, size_t size, const char *text);

/* malloc'ed vsnprintf of any length; NULL when out of memory. */
char *omsi_vformat_alloc(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
