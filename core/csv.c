/* leadlab CSV reader (see csv.h): one read into memory, one pass that unquotes fields in place
 * and records where each field starts. */
#include "csv.h"
#include "text.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Data is held in memory: a file beyond this is refused rather than read until memory runs
 * out (a pipe from /dev/zero, say). */
#define LL_MAX_DATA_BYTES ((size_t)1 << 34) /* 16 GiB */

/* Reads the whole stream, so pipes and files whose size changes under us work too; devices
 * and folders are refused. */
static int read_whole_file(const char *path, char **text_out, size_t *len_out, ll_error *err)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return ll_error_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(file), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        fclose(file);
        return ll_error_set(err, "%s: not a regular file (%s)", path,
                            S_ISDIR(st.st_mode)   ? "a folder"
                            : S_ISCHR(st.st_mode) ? "a character device"
                            : S_ISBLK(st.st_mode) ? "a block device"
                                                  : "a socket or other special file");
    }
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    if (!text) {
        fclose(file);
        return ll_error_set(err, "%s: out of memory", path);
    }
    for (;;) {
        if (len + 1 >= cap) { /* keep one spare byte for the final terminator */
            if (cap >= LL_MAX_DATA_BYTES) {
                free(text);
                fclose(file);
                return ll_error_set(err, "%s: larger than %zu GiB, more than leadlab holds in "
                                    "memory", path, LL_MAX_DATA_BYTES >> 30);
            }
            char *grown = cap > SIZE_MAX / 2 ? NULL : realloc(text, cap * 2);
            if (!grown) {
                free(text);
                fclose(file);
                return ll_error_set(err, "%s: out of memory", path);
            }
            text = grown;
            cap *= 2;
        }
        size_t got = fread(text + len, 1, cap - 1 - len, file);
        len += got;
        if (got == 0) {
            if (ferror(file)) {
                int saved = errno;
                free(text);
                fclose(file);
                return ll_error_io(err, "%s: read error: %s", path, strerror(saved));
            }
            break;
        }
    }
    fclose(file);
    text[len] = '\0';
    *text_out = text;
    *len_out = len;
    return 0;
}

static size_t line_of_offset(const char *text, size_t offset)
{
    size_t line = 1;
    for (size_t i = 0; i < offset; i++)
        if (text[i] == '\n' || (text[i] == '\r' && text[i + 1] != '\n'))
            line++;
    return line;
}

/* Makes room for one more element in a growable array of `size`-byte elements. */
static int grow_for_one(void **items, size_t *cap, size_t len, size_t size)
{
    if (len < *cap)
        return 0;
    size_t new_cap = *cap ? *cap * 2 : 256;
    if (new_cap > SIZE_MAX / size)
        return -1;
    void *grown = realloc(*items, new_cap * size);
    if (!grown)
        return -1;
    *items = grown;
    *cap = new_cap;
    return 0;
}

typedef struct {
    char **items;
    size_t len, cap;
} pointer_list;

static int pointer_list_push(pointer_list *list, char *item)
{
    void *items = list->items;
    if (grow_for_one(&items, &list->cap, list->len, sizeof *list->items) != 0)
        return -1;
    list->items = items;
    list->items[list->len++] = item;
    return 0;
}

typedef struct {
    size_t *items;
    size_t len, cap;
} size_list;

static int size_list_push(size_list *list, size_t item)
{
    void *items = list->items;
    if (grow_for_one(&items, &list->cap, list->len, sizeof *list->items) != 0)
        return -1;
    list->items = items;
    list->items[list->len++] = item;
    return 0;
}

typedef struct {
    const char *path;
    char *p, *end;
    size_t line;
} scanner;

/* Consumes one record's fields onto fields; *count receives how many it had. The record's
 * terminator (CR, LF, CRLF or end of text) is consumed too. */
static int scan_record(scanner *sc, pointer_list *fields, size_t *count, ll_error *err)
{
    size_t n = 0;
    for (;;) {
        char *start = sc->p, *write = sc->p;
        if (sc->p < sc->end && *sc->p == '"') {
            size_t quote_line = sc->line;
            sc->p++;
            for (;;) {
                if (sc->p == sc->end)
                    return ll_error_set(err, "%s:%zu: field %zu: unterminated quoted field",
                                        sc->path, quote_line, n + 1);
                char c = *sc->p;
                if (c == '"') {
                    if (sc->p + 1 < sc->end && sc->p[1] == '"') {
                        *write++ = '"';
                        sc->p += 2;
                        continue;
                    }
                    sc->p++;
                    break;
                }
                if (c == '\n' || (c == '\r' && !(sc->p + 1 < sc->end && sc->p[1] == '\n')))
                    sc->line++;
                *write++ = c;
                sc->p++;
            }
            if (sc->p < sc->end && *sc->p != ',' && *sc->p != '\n' && *sc->p != '\r')
                return ll_error_set(err, "%s:%zu: field %zu: unexpected character '%c' after "
                                    "closing quote", sc->path, sc->line, n + 1, *sc->p);
        } else {
            while (sc->p < sc->end && *sc->p != ',' && *sc->p != '\n' && *sc->p != '\r')
                sc->p++;
            write = sc->p;
        }
        /* The terminator is read before the NUL overwrites it (write may equal p). */
        char terminator = sc->p < sc->end ? *sc->p : '\0';
        *write = '\0';
        if (pointer_list_push(fields, start) != 0)
            return ll_error_set(err, "%s: out of memory", sc->path);
        n++;
        if (terminator == ',') {
            sc->p++;
            continue;
        }
        if (terminator == '\r') {
            sc->p++;
            if (sc->p < sc->end && *sc->p == '\n')
                sc->p++;
            sc->line++;
        } else if (terminator == '\n') {
            sc->p++;
            sc->line++;
        }
        *count = n;
        return 0;
    }
}

/* Blank lines carry no record; skipping them also makes a trailing newline harmless. */
static void skip_blank_lines(scanner *sc)
{
    while (sc->p < sc->end && (*sc->p == '\n' || *sc->p == '\r')) {
        if (*sc->p == '\r' && sc->p + 1 < sc->end && sc->p[1] == '\n')
            sc->p++;
        sc->p++;
        sc->line++;
    }
}

/* Sorts the indexes idx[0..n) by the names they point at (a heap sort: no qsort context in C11,
 * and the names are unique by then, so stability does not matter). */
static void sort_by_name(size_t *idx, char *const *names, size_t n)
{
    for (size_t start = n / 2; n > 1;) {
        size_t root;
        if (start > 0) {
            root = --start;
        } else {
            n--;
            size_t t = idx[0];
            idx[0] = idx[n];
            idx[n] = t;
            root = 0;
        }
        for (size_t child; (child = 2 * root + 1) < n; root = child) {
            if (child + 1 < n && strcmp(names[idx[child + 1]], names[idx[child]]) > 0)
                child++;
            if (strcmp(names[idx[root]], names[idx[child]]) >= 0)
                break;
            size_t t = idx[root];
            idx[root] = idx[child];
            idx[child] = t;
        }
    }
}

static int check_header(const char *path, size_t header_line, char **names, size_t n,
                        ll_error *err)
{
    for (size_t j = 0; j < n; j++) {
        names[j] = ll_trim(names[j]);
        if (names[j][0] == '\0')
            return ll_error_set(err, "%s:%zu: column %zu has an empty name", path, header_line,
                                j + 1);
    }
    size_t k, j;
    int dup = ll_find_duplicate(names, n, &k, &j);
    if (dup < 0)
        return ll_error_set(err, "%s: out of memory", path);
    if (dup)
        return ll_error_set(err, "%s:%zu: duplicate column name '%s' (columns %zu and %zu)",
                            path, header_line, names[j], k + 1, j + 1);
    return 0;
}

int ll_csv_read(const char *path, ll_csv *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t len = 0;
    if (read_whole_file(path, &text, &len, err) != 0)
        return -1;

    const char *nul = memchr(text, '\0', len);
    if (nul) {
        size_t line = line_of_offset(text, (size_t)(nul - text));
        free(text);
        return ll_error_set(err, "%s:%zu: NUL byte in the file (not a text CSV?)", path, line);
    }

    scanner sc = { path, text, text + len, 1 };
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        sc.p += 3;

    pointer_list fields = { 0 };
    size_list lines = { 0 };
    size_t n_cols = 0, count = 0;

    skip_blank_lines(&sc);
    if (sc.p == sc.end) {
        ll_error_set(err, "%s: empty file, expected a header line", path);
        goto fail;
    }
    size_t header_line = sc.line;
    if (scan_record(&sc, &fields, &n_cols, err) != 0)
        goto fail;
    if (n_cols == 1 && strchr(fields.items[0], ';')) {
        ll_error_set(err, "%s:%zu: the header is one column '%.60s': the file looks "
                     "semicolon-delimited, and leadlab reads comma-separated CSV", path,
                     header_line, fields.items[0]);
        goto fail;
    }
    if (check_header(path, header_line, fields.items, n_cols, err) != 0)
        goto fail;

    for (;;) {
        skip_blank_lines(&sc);
        if (sc.p == sc.end)
            break;
        size_t record_line = sc.line;
        if (scan_record(&sc, &fields, &count, err) != 0)
            goto fail;
        if (count != n_cols) {
            ll_error_set(err, "%s:%zu: expected %zu fields, found %zu", path, record_line,
                         n_cols, count);
            goto fail;
        }
        if (size_list_push(&lines, record_line) != 0) {
            ll_error_set(err, "%s: out of memory", path);
            goto fail;
        }
    }
    if (lines.len == 0) {
        ll_error_set(err, "%s: no data rows after the header", path);
        goto fail;
    }

    /* One array holds the header then the rows; split it so both are plain arrays. */
    char **header = malloc(n_cols * sizeof *header);
    size_t *by_name = malloc(n_cols * sizeof *by_name);
    if (!header || !by_name) {
        free(header);
        free(by_name);
        ll_error_set(err, "%s: out of memory", path);
        goto fail;
    }
    memcpy(header, fields.items, n_cols * sizeof *header);
    for (size_t j = 0; j < n_cols; j++)
        by_name[j] = j;
    sort_by_name(by_name, header, n_cols);
    memmove(fields.items, fields.items + n_cols, lines.len * n_cols * sizeof *fields.items);

    out->text = text;
    out->n_cols = n_cols;
    out->n_rows = lines.len;
    out->header = header;
    out->by_name = by_name;
    out->fields = fields.items;
    out->lines = lines.items;
    out->header_line = header_line;
    return 0;

fail:
    free(fields.items);
    free(lines.items);
    free(text);
    return -1;
}

void ll_csv_free(ll_csv *csv)
{
    if (!csv)
        return;
    free(csv->text);
    free(csv->header);
    free(csv->by_name);
    free(csv->fields);
    free(csv->lines);
    memset(csv, 0, sizeof *csv);
}

long ll_csv_column(const ll_csv *csv, const char *name)
{
    /* Binary search: encoding looks up every column by name, and wide files have 100,000. */
    size_t lo = 0, hi = csv->n_cols;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(csv->header[csv->by_name[mid]], name);
        if (c == 0)
            return (long)csv->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
