/* leadlab CSV reader: RFC 4180 files (header row, quoted fields, CRLF or LF) read whole into
 * memory and tokenised in place, so a field is a NUL-terminated pointer into one buffer. */
#ifndef LL_CORE_CSV_H
#define LL_CORE_CSV_H

#include <stddef.h>

#include "error.h"

typedef struct {
    char *text;     /* the file's bytes, owned; every string below points into it */
    size_t n_cols;  /* fields per record, fixed by the header */
    size_t n_rows;  /* data records, header excluded */
    char **header;  /* n_cols names, surrounding spaces and tabs removed */
    size_t *by_name; /* n_cols column indexes in name order, for ll_csv_column */
    char **fields;  /* n_rows * n_cols values, row-major, exactly as in the file (unquoted) */
    size_t *lines;  /* n_rows physical line numbers (1-based) where each record starts */
    size_t header_line;
} ll_csv;

/* Reads and tokenises path. Blank lines are skipped (a trailing newline is not a record);
 * a UTF-8 byte order mark is ignored; a bare quote inside an unquoted field is kept as text.
 * Errors (one line, "path:line: ..."): unreadable, empty or header-only file, ragged record,
 * unterminated quote, text after a closing quote, NUL byte, duplicate or empty header name.
 * On success the caller owns *out (ll_csv_free); on failure *out is left empty. */
int ll_csv_read(const char *path, ll_csv *out, ll_error *err);

void ll_csv_free(ll_csv *csv); /* NULL-safe; leaves *csv empty */

static inline char *ll_csv_field(const ll_csv *csv, size_t row, size_t col)
{
    return csv->fields[row * csv->n_cols + col];
}

/* Index of the header column called name, or -1. */
long ll_csv_column(const ll_csv *csv, const char *name);

#endif
