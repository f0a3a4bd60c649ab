/* Check suite for the dataset layer: the CSV reader, the encoder (every transform, against
 * matrices worked out by hand), every load error, the synthetic generator and the real file. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "dataset.h"
#include "harness.h"
#include "text.h"

/* ---- fixtures ---------------------------------------------------------------------------- */

static char fixture_dir[256];

static void make_fixture_dir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(fixture_dir, sizeof fixture_dir, "%s/leadlab-dataset-XXXXXX",
             base && *base ? base : "/tmp");
    ck_assert_msg(mkdtemp(fixture_dir) != NULL, "mkdtemp failed");
}

static void remove_fixture_dir(void)
{
    DIR *dir = opendir(fixture_dir);
    if (!dir)
        return;
    struct dirent *entry;
    char path[512];
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", fixture_dir, entry->d_name);
        unlink(path);
    }
    closedir(dir);
    rmdir(fixture_dir);
}

/* Path of NAME in the fixture directory; a small ring so a test can hold a few at once. */
static const char *fixture_path(const char *name)
{
    static char paths[4][512];
    static unsigned next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s/%s", fixture_dir, name);
    return path;
}

static const char *write_fixture(const char *name, const char *content)
{
    const char *path = fixture_path(name);
    FILE *file = fopen(path, "wb");
    ck_assert_ptr_nonnull(file);
    ck_assert_int_eq(fwrite(content, 1, strlen(content), file), strlen(content));
    ck_assert_int_eq(fclose(file), 0);
    return path;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    ck_assert_ptr_nonnull(file);
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(fread(text, 1, (size_t)size, file), (size_t)size);
    text[size] = '\0';
    fclose(file);
    *len = (size_t)size;
    return text;
}

/* ---- spec builders (heap-owned, as the YAML loader makes them) ------------------------------ */

static ll_feature_spec new_spec(const char *target, const char *positive, const char *negative)
{
    ll_feature_spec spec = { 0 };
    spec.target = strdup(target);
    spec.positive = strdup(positive);
    spec.negative = negative ? strdup(negative) : NULL;
    return spec;
}

static void add_drop(ll_feature_spec *spec, const char *column)
{
    spec->drop = realloc(spec->drop, (spec->n_drop + 1) * sizeof *spec->drop);
    spec->drop[spec->n_drop++] = strdup(column);
}

static ll_column_transform *add_transform(ll_feature_spec *spec, const char *column)
{
    spec->transforms =
        realloc(spec->transforms, (spec->n_transforms + 1) * sizeof *spec->transforms);
    ll_column_transform *t = &spec->transforms[spec->n_transforms++];
    memset(t, 0, sizeof *t);
    t->column = strdup(column);
    return t;
}

/* A derived column of KIND over the NULL-terminated source columns. */
static ll_derived *add_derived(ll_feature_spec *spec, const char *name, ll_derived_kind kind, ...)
{
    spec->derived = realloc(spec->derived, (spec->n_derived + 1) * sizeof *spec->derived);
    ll_derived *d = &spec->derived[spec->n_derived++];
    memset(d, 0, sizeof *d);
    d->name = strdup(name);
    d->kind = kind;
    va_list ap;
    va_start(ap, kind);
    for (const char *column; (column = va_arg(ap, const char *)) != NULL;) {
        d->columns = realloc(d->columns, (d->n_columns + 1) * sizeof *d->columns);
        d->columns[d->n_columns++] = strdup(column);
    }
    va_end(ap);
    return d;
}

static ll_derived *add_days_between(ll_feature_spec *spec, const char *name, const char *from,
                                    const char *to)
{
    return add_derived(spec, name, LL_DERIVED_DAYS_BETWEEN, from, to, (const char *)NULL);
}

/* Loads path as a training file, expects failure and every NULL-terminated needle in the
 * message. */
static void expect_train_error(const char *path, const ll_feature_spec *spec, ...)
{
    ll_encoder *enc = (ll_encoder *)1;
    ll_dataset ds;
    ll_error err = {"", 0};
    ck_assert_int_eq(ll_dataset_load_train(path, spec, &enc, &ds, &err), -1);
    ck_assert_ptr_null(enc);
    ck_assert_ptr_null(ds.x);
    ck_assert_msg(strchr(err.msg, '\n') == NULL, "error spans lines: %s", err.msg);
    va_list ap;
    va_start(ap, spec);
    for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;)
        ck_assert_msg(strstr(err.msg, needle), "'%s' not in error: %s", needle, err.msg);
    va_end(ap);
}

static void load_train_ok(const char *path, const ll_feature_spec *spec, ll_encoder **enc,
                          ll_dataset *ds)
{
    ll_error err = {"", 0};
    ck_assert_msg(ll_dataset_load_train(path, spec, enc, ds, &err) == 0, "%s", err.msg);
}

/* The matrix a fit on every row of ds makes of it: its learned columns encoded from all its
 * rows (ll_fold_fit), the rest as they are. Caller frees. */
static double *fitted_on_all_rows(const ll_dataset *ds)
{
    double *x = malloc(ds->n_rows * ds->n_cols * sizeof *x);
    ck_assert_ptr_nonnull(x);
    memcpy(x, ds->x, ds->n_rows * ds->n_cols * sizeof *x);
    uint8_t *y = calloc(ds->n_rows, 1); /* labels play no part in count and frequency */
    ck_assert_ptr_nonnull(y);
    ll_fold_fitted fitted;
    ll_err err = {{0}};
    ck_assert_msg(ll_fold_fit(&ds->encoding, x, y, ds->n_rows, ds->n_cols, 1, &fitted, &err) ==
                  LL_OK, "%s", err.msg);
    ll_fold_fitted_free(&fitted);
    free(y);
    return x;
}

static void assert_row(const ll_dataset *ds, size_t row, const double *expected)
{
    for (size_t j = 0; j < ds->n_cols; j++)
        ck_assert_msg(ds->x[row * ds->n_cols + j] == expected[j],
                      "row %zu, %s: got %g, expected %g", row, ds->col_names[j],
                      ds->x[row * ds->n_cols + j], expected[j]);
}

/* ---- CSV reader ------------------------------------------------------------------------- */

START_TEST(csv_quoted_fields_and_crlf)
{
    const char *path = write_fixture("quoted.csv",
                                     "a, b ,c\r\n"
                                     "\"x, y\",\"say \"\"hi\"\"\",\r\n"
                                     "\"two\r\nlines\",,\"\"\r\n"
                                     "\r\n" /* blank line: skipped */
                                     "plain,\"3\",last");
    ll_csv csv;
    ll_error err = {"", 0};
    ck_assert_msg(ll_csv_read(path, &csv, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(csv.n_cols, 3);
    ck_assert_uint_eq(csv.n_rows, 3);
    ck_assert_str_eq(csv.header[1], "b"); /* header names lose surrounding spaces */
    ck_assert_str_eq(ll_csv_field(&csv, 0, 0), "x, y");
    ck_assert_str_eq(ll_csv_field(&csv, 0, 1), "say \"hi\"");
    ck_assert_str_eq(ll_csv_field(&csv, 0, 2), "");
    ck_assert_str_eq(ll_csv_field(&csv, 1, 0), "two\r\nlines");
    ck_assert_str_eq(ll_csv_field(&csv, 1, 1), "");
    ck_assert_str_eq(ll_csv_field(&csv, 1, 2), "");
    ck_assert_str_eq(ll_csv_field(&csv, 2, 0), "plain");
    ck_assert_str_eq(ll_csv_field(&csv, 2, 1), "3");
    ck_assert_str_eq(ll_csv_field(&csv, 2, 2), "last");
    /* Physical lines: the quoted newline spans lines 3-4, line 5 is blank. */
    ck_assert_uint_eq(csv.lines[0], 2);
    ck_assert_uint_eq(csv.lines[1], 3);
    ck_assert_uint_eq(csv.lines[2], 6);
    ck_assert_int_eq(ll_csv_column(&csv, "c"), 2);
    ck_assert_int_eq(ll_csv_column(&csv, "nope"), -1);
    ll_csv_free(&csv);

    /* Spreadsheet exports start with a UTF-8 byte order mark; it is not part of the name. */
    path = write_fixture("bom.csv", "\xEF\xBB\xBF" "a,b\n1,2");
    ck_assert_msg(ll_csv_read(path, &csv, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(csv.header[0], "a");
    ck_assert_uint_eq(csv.n_rows, 1);
    ll_csv_free(&csv);
}
END_TEST

START_TEST(csv_quote_errors)
{
    ll_csv csv;
    ll_error err = {"", 0};
    const char *path = write_fixture("open.csv", "a,b\n1,2\n3,\"never\nclosed\n");
    ck_assert_int_eq(ll_csv_read(path, &csv, &err), -1);
    ck_assert_msg(strstr(err.msg, "open.csv:3: field 2: unterminated quoted field"), "%s",
                  err.msg);
    path = write_fixture("after.csv", "a,b\n1,\"2\"x\n");
    ck_assert_int_eq(ll_csv_read(path, &csv, &err), -1);
    ck_assert_msg(strstr(err.msg, "after.csv:2: field 2: unexpected character 'x'"), "%s",
                  err.msg);
    ck_assert_ptr_null(csv.text);
}
END_TEST

/* A 20,000-column header (the duplicate check and the column lookup were quadratic: 100,000
 * columns took 112 s): every name found at its own index, absent names not, and a duplicate
 * at the far ends still named with both positions. Names are written in a scrambled order
 * (i * 7919 mod n) so that the sorted index differs from the file's order. */
START_TEST(csv_wide_header_lookup)
{
    enum { N = 20000 };
    size_t cap = (size_t)N * 12 + 64, len = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    for (size_t j = 0; j < N; j++)
        len += (size_t)snprintf(text + len, cap - len, "%sc%zu", j ? "," : "", j * 7919 % N);
    len += (size_t)snprintf(text + len, cap - len, "\n");
    for (size_t j = 0; j < N; j++)
        len += (size_t)snprintf(text + len, cap - len, "%s1", j ? "," : "");
    snprintf(text + len, cap - len, "\n");
    const char *path = write_fixture("wide.csv", text);
    ll_csv csv;
    ll_error err = {"", 0};
    ck_assert_msg(ll_csv_read(path, &csv, &err) == 0, "%s", err.msg);
    for (size_t j = 0; j < N; j += 7) {
        char name[32];
        snprintf(name, sizeof name, "c%zu", j * 7919 % N);
        ck_assert_int_eq(ll_csv_column(&csv, name), (long)j);
    }
    ck_assert_int_eq(ll_csv_column(&csv, "c20000"), -1);
    ck_assert_int_eq(ll_csv_column(&csv, "c"), -1);
    ck_assert_int_eq(ll_csv_column(&csv, ""), -1);
    ll_csv_free(&csv);
    /* the last column repeats the first */
    char *last = strrchr(text, ',');
    ck_assert_ptr_nonnull(last);
    char *header_end = strchr(text, '\n');
    char *comma = header_end;
    while (*--comma != ',')
        continue;
    memcpy(comma + 1, "c0   ", (size_t)(header_end - comma - 1) < 5 ? (size_t)(header_end - comma - 1) : 5);
    for (char *p = comma + 3; p < header_end; p++)
        *p = ' '; /* trailing spaces are trimmed from names */
    path = write_fixture("wide_dup.csv", text);
    ck_assert_int_eq(ll_csv_read(path, &csv, &err), -1);
    ck_assert_msg(strstr(err.msg, "duplicate column name 'c0' (columns 1 and 20000)"), "%s",
                  err.msg);
    free(text);
}
END_TEST

/* ---- calendar --------------------------------------------------------------------------- */

START_TEST(calendar)
{
    long days;
    ck_assert_int_eq(ll_parse_date("1970-01-01", &days), 0);
    ck_assert_int_eq(days, 0);
    ck_assert_int_eq(ll_parse_date("2021-01-01", &days), 0);
    ck_assert_int_eq(days, 18628); /* 51 years, 13 of them leap: 51 * 365 + 13 */
    ck_assert_int_eq(ll_weekday_from_days(days), 4); /* Friday */
    ck_assert_int_eq(ll_parse_date("2024-02-29", &days), 0);
    ck_assert_int_eq(ll_weekday_from_days(days), 3); /* Thursday */
    ck_assert_int_eq(ll_parse_date("2000-02-29", &days), 0); /* divisible by 400: leap */
    ck_assert_int_eq(ll_parse_date("1969-12-31", &days), 0);
    ck_assert_int_eq(days, -1);
    ck_assert_int_eq(ll_weekday_from_days(days), 2); /* Wednesday, before the epoch */
    ck_assert_int_eq(ll_parse_date("2021-02-29", &days), -1);
    ck_assert_int_eq(ll_parse_date("1900-02-29", &days), -1); /* divisible by 100: not leap */
    ck_assert_int_eq(ll_parse_date("2021-04-31", &days), -1);
    ck_assert_int_eq(ll_parse_date("2021-13-01", &days), -1);
    ck_assert_int_eq(ll_parse_date("2021-00-10", &days), -1);
    ck_assert_int_eq(ll_parse_date("2021-01-00", &days), -1);
    ck_assert_int_eq(ll_parse_date("2021-1-01", &days), -1);
    ck_assert_int_eq(ll_parse_date("2021-01-011", &days), -1);
    ck_assert_int_eq(ll_parse_date("2021/01/01", &days), -1);
    ck_assert_int_eq(ll_parse_date("", &days), -1);
    /* civil_from_days inverts days_from_civil across four centuries either side of 1970. */
    for (long d = -146097 * 2; d <= 146097 * 2; d += 13) {
        int y, m, dd;
        ll_civil_from_days(d, &y, &m, &dd);
        ck_assert_int_eq(ll_days_from_civil(y, m, dd), d);
    }
}
END_TEST

/* ---- encoding --------------------------------------------------------------------------- */

static const char all_transforms_csv[] = "id,created,amount,cat,signup,note,buy\n"
                                         "a1,2021-01-01,2.5,1,2020-12-30,x,1\n"
                                         "a2,2021-03-01,,3,,y,0\n"
                                         "a3,2024-02-29,4,1,2024-02-01,z,0\n"
                                         "a4,2021-01-04,1,NA,2021-01-01,w,1.0\n";

static ll_feature_spec all_transforms_spec(void)
{
    ll_feature_spec spec = new_spec("buy", "1", NULL);
    spec.id = strdup("id");
    add_drop(&spec, "note");
    ll_column_transform *t = add_transform(&spec, "amount");
    t->has_fill = 1;
    t->fill = 0;
    t->missing_flag = 1;
    t = add_transform(&spec, "cat");
    t->onehot = 1;
    t->missing_flag = 1;
    t = add_transform(&spec, "created");
    t->date_parts = LL_DATE_YEAR | LL_DATE_MONTH | LL_DATE_DAY | LL_DATE_DAYOFWEEK;
    t = add_transform(&spec, "signup");
    t->date_parts = LL_DATE_MONTH;
    t->has_fill = 1;
    t->fill = -1;
    t->missing_flag = 1;
    ll_derived *d = add_days_between(&spec, "tenure", "signup", "created");
    d->has_fill = 1;
    d->fill = -1;
    d->missing_flag = 1;
    return spec;
}

START_TEST(encode_every_transform)
{
    const char *path = write_fixture("all.csv", all_transforms_csv);
    ll_feature_spec spec = all_transforms_spec();
    ll_encoder *enc;
    ll_dataset ds;
    load_train_ok(path, &spec, &enc, &ds);

    static const char *names[] = { "created_year", "created_month", "created_day",
                                   "created_dayofweek", "amount", "amount_missing", "cat=1",
                                   "cat=3", "cat_missing", "signup_month", "signup_missing",
                                   "tenure", "tenure_missing" };
    ck_assert_uint_eq(ds.n_cols, 13);
    ck_assert_uint_eq(ds.n_rows, 4);
    for (size_t j = 0; j < 13; j++)
        ck_assert_str_eq(ds.col_names[j], names[j]);

    /* Worked out by hand. Weekdays: 2021-01-01 Friday (4); 2021-03-01 is 59 days later, a
     * Monday (0); 2024-02-29 is 28 days after Thursday 2024-02-01 (3); 2021-01-04 Monday (0).
     * tenure = created - signup: 2, missing -> fill -1, 28 (2024 is leap), 3.
     * cat categories learned from the file: {1, 3}; "NA" gives no indicator but the flag. */
    const double expected[4][13] = {
        { 2021, 1, 1, 4, 2.5, 0, 1, 0, 0, 12, 0, 2, 0 },
        { 2021, 3, 1, 0, 0, 1, 0, 1, 0, -1, 1, -1, 1 },
        { 2024, 2, 29, 3, 4, 0, 1, 0, 0, 2, 0, 28, 0 },
        { 2021, 1, 4, 0, 1, 0, 0, 0, 1, 1, 0, 3, 0 },
    };
    for (size_t i = 0; i < 4; i++)
        assert_row(&ds, i, expected[i]);
    const uint8_t binary[13] = { 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1 };
    for (size_t j = 0; j < 13; j++)
        ck_assert_msg(ds.col_binary[j] == binary[j], "col_binary[%s]", names[j]);
    /* "1.0" matches the positive label "1" numerically. */
    const uint8_t labels[4] = { 1, 0, 0, 1 };
    for (size_t i = 0; i < 4; i++)
        ck_assert_uint_eq(ds.y[i], labels[i]);
    ck_assert_uint_eq(ds.n_positive, 2);
    ck_assert_str_eq(ds.ids[0], "a1");
    ck_assert_str_eq(ds.ids[3], "a4");
    ll_dataset_free(&ds);
    ck_assert_ptr_null(ds.x);

    /* The encoder owns copies: the spec can go before apply(). Columns come in another order,
     * "extra" is ignored, the target is absent, cat=2 was never seen: all-zero indicators. */
    ll_feature_spec_free(&spec);
    path = write_fixture("apply.csv", "note,signup,cat,amount,created,id,extra\n"
                                      "q,2021-06-01,2,7,2021-06-15,b1,zz\n"
                                      "r,,3,,2021-01-01,b2,zz\n");
    ll_error err = {"", 0};
    ck_assert_msg(ll_dataset_load_apply(path, enc, &ds, &err) == 0, "%s", err.msg);
    ck_assert_ptr_null(ds.y);
    ck_assert_uint_eq(ds.n_positive, 0);
    ck_assert_uint_eq(ds.n_cols, 13);
    ck_assert_str_eq(ds.col_names[7], "cat=3");
    /* 2021-06-15: 165 days after Friday 2021-01-01, 165 = 23 * 7 + 4 -> Tuesday (1). */
    const double applied[2][13] = {
        { 2021, 6, 15, 1, 7, 0, 0, 0, 0, 6, 0, 14, 0 },
        { 2021, 1, 1, 4, 0, 1, 0, 1, 0, -1, 1, -1, 1 },
    };
    assert_row(&ds, 0, applied[0]);
    assert_row(&ds, 1, applied[1]);
    ck_assert_str_eq(ds.ids[1], "b2");
    ll_dataset_free(&ds);

    /* With the target present, apply() reads labels against the train file's labels. */
    path = write_fixture("apply_y.csv", "buy,id,created,amount,cat,signup\n"
                                        "0,c1,2021-02-02,1,1,2021-01-01\n"
                                        "1,c2,2021-02-02,1,1,2021-01-01\n"
                                        "2,c3,2021-02-02,1,1,2021-01-01\n");
    ck_assert_int_eq(ll_dataset_load_apply(path, enc, &ds, &err), -1);
    ck_assert_msg(strstr(err.msg, "apply_y.csv:4: column 'buy': value '2' is neither positive "
                                  "label '1' nor negative label '0'"), "%s", err.msg);

    /* A column the encoder needs is missing from the other file. */
    path = write_fixture("apply_missing.csv", "id,created,cat,signup\nd1,2021-01-01,1,\n");
    ck_assert_int_eq(ll_dataset_load_apply(path, enc, &ds, &err), -1);
    ck_assert_msg(strstr(err.msg, "apply_missing.csv: column needed by the encoder not found: "
                                  "'amount'"), "%s", err.msg);
    ll_encoder_free(enc);
}
END_TEST

START_TEST(onehot_explicit_and_plain_numbers)
{
    const char *path = write_fixture("plain.csv", "x,k,y\n"
                                                  " 1.5 ,2,yes\n"
                                                  "-2e1,7,no\n"
                                                  "3,\"5\",no\n");
    ll_feature_spec spec = new_spec("y", "yes", "no");
    ll_column_transform *t = add_transform(&spec, "k");
    t->onehot = 1;
    t->n_onehot_values = 3;
    t->onehot_values = malloc(3 * sizeof(double));
    t->onehot_values[0] = 5; /* unsorted and repeated on purpose */
    t->onehot_values[1] = 2;
    t->onehot_values[2] = 5;
    ll_encoder *enc;
    ll_dataset ds;
    load_train_ok(path, &spec, &enc, &ds);
    ck_assert_uint_eq(ds.n_cols, 3);
    ck_assert_str_eq(ds.col_names[0], "x");
    ck_assert_str_eq(ds.col_names[1], "k=2");
    ck_assert_str_eq(ds.col_names[2], "k=5");
    const double expected[3][3] = { { 1.5, 1, 0 }, { -20, 0, 0 }, { 3, 0, 1 } };
    for (size_t i = 0; i < 3; i++)
        assert_row(&ds, i, expected[i]);
    ck_assert_uint_eq(ds.n_positive, 1);
    ck_assert_ptr_null(ds.ids);
    ck_assert_uint_eq(ds.col_binary[0], 0);
    ck_assert_uint_eq(ds.col_binary[1], 1);
    ll_dataset_free(&ds);
    ll_encoder_free(enc);
    ll_feature_spec_free(&spec);
}
END_TEST

START_TEST(missing_value_tokens)
{
    /* Empty, NA, NaN and nan are missing (after trimming); "na" is text. */
    const char *path = write_fixture("tokens.csv", "x,buy\n,0\nNA,1\nNaN,0\nnan,0\n NA ,0\n"
                                                   "\"\",0\n5,0\n");
    ll_feature_spec spec = new_spec("buy", "1", NULL);
    ll_column_transform *t = add_transform(&spec, "x");
    t->has_fill = 1;
    t->fill = 9;
    t->missing_flag = 1;
    ll_encoder *enc;
    ll_dataset ds;
    load_train_ok(path, &spec, &enc, &ds);
    ck_assert_uint_eq(ds.n_rows, 7);
    for (size_t i = 0; i < 6; i++) {
        ck_assert_double_eq(ds.x[i * 2], 9);
        ck_assert_double_eq(ds.x[i * 2 + 1], 1);
    }
    ck_assert_double_eq(ds.x[12], 5);
    ck_assert_double_eq(ds.x[13], 0);
    ll_dataset_free(&ds);
    ll_encoder_free(enc);
    expect_train_error(write_fixture("na.csv", "x,buy\nna,0\n"), &spec,
                       "na.csv:2: column 'x': 'na' is not a number", NULL);
    expect_train_error(write_fixture("inf.csv", "x,buy\n1,0\ninf,0\n"), &spec,
                       "inf.csv:3: column 'x': 'inf' is not a number", NULL);
    expect_train_error(write_fixture("unit.csv", "x,buy\n2 kg,0\n"), &spec,
                       "unit.csv:2: column 'x': '2 kg' is not a number", NULL);
    ll_feature_spec_free(&spec);
}
END_TEST

/* ---- errors ----------------------------------------------------------------------------- */

START_TEST(file_errors)
{
    ll_feature_spec spec = new_spec("buy", "1", NULL);
    expect_train_error(fixture_path("absent.csv"), &spec, "absent.csv: cannot open: ",
                       "No such file or directory", NULL);
    expect_train_error(write_fixture("empty.csv", ""), &spec,
                       "empty.csv: empty file, expected a header line", NULL);
    expect_train_error(write_fixture("header.csv", "a,buy\r\n"), &spec,
                       "header.csv: no data rows after the header", NULL);
    expect_train_error(write_fixture("ragged.csv", "a,b,buy\n1,2,0\n1,0\n"), &spec,
                       "ragged.csv:3: expected 3 fields, found 2", NULL);
    expect_train_error(write_fixture("dup.csv", "a,b,a,buy\n1,2,3,0\n"), &spec,
                       "dup.csv:1: duplicate column name 'a' (columns 1 and 3)", NULL);
    expect_train_error(write_fixture("nofill.csv", "x,buy\n1,0\n,1\n"), &spec,
                       "nofill.csv:3: column 'x': missing value and no fill given", NULL);
    expect_train_error(write_fixture("nan.csv", "x,buy\n1,0\nNaN,1\n"), &spec,
                       "nan.csv:3: column 'x': missing value and no fill given", NULL);
    ll_feature_spec_free(&spec);

    /* The record after a quoted newline starts on physical line 4, not record 3. */
    spec = new_spec("buy", "1", NULL);
    add_drop(&spec, "note");
    expect_train_error(write_fixture("text.csv", "x,note,buy\n1,\"a\nb\",0\nabc,c,1\n"), &spec,
                       "text.csv:4: column 'x': 'abc' is not a number", NULL);
    ll_feature_spec_free(&spec);
}
END_TEST

START_TEST(target_errors)
{
    ll_feature_spec spec = new_spec("buy", "1", NULL);
    expect_train_error(write_fixture("notarget.csv", "a,b,label\n1,2,0\n"), &spec,
                       "notarget.csv: target column 'buy' not found (columns: a, b, label)",
                       NULL);
    expect_train_error(write_fixture("nolabel.csv", "a,buy\n1,0\n2,\n"), &spec,
                       "nolabel.csv:3: column 'buy': missing label", NULL);
    expect_train_error(write_fixture("third.csv", "a,buy\n1,0\n2,1\n3,2\n"), &spec,
                       "third.csv:4: column 'buy': value '2' is neither positive label '1' nor "
                       "negative label '0'", NULL);
    ll_feature_spec_free(&spec);

    spec = new_spec("buy", "yes", "no");
    expect_train_error(write_fixture("given.csv", "a,buy\n1,yes\n2,maybe\n"), &spec,
                       "given.csv:3: column 'buy': value 'maybe' is neither positive label "
                       "'yes' nor negative label 'no'", NULL);
    ll_feature_spec_free(&spec);

    spec = new_spec("buy", "1", "1.0");
    expect_train_error(write_fixture("same.csv", "a,buy\n1,1\n"), &spec,
                       "column 'buy': positive and negative labels are both '1'", NULL);
    ll_feature_spec_free(&spec);

    /* A long header is cut short rather than overflowing the one-line message. */
    char header[4096] = "";
    for (int j = 0; j < 200; j++)
        snprintf(header + strlen(header), sizeof header - strlen(header), "column_%03d,", j);
    strcat(header, "z\n");
    char content[8192];
    snprintf(content, sizeof content, "%s%s", header, header); /* any row of 201 fields */
    spec = new_spec("buy", "1", NULL);
    expect_train_error(write_fixture("wide.csv", content), &spec,
                       "target column 'buy' not found (columns: column_000, column_001",
                       "more)", NULL);
    ll_feature_spec_free(&spec);
}
END_TEST

START_TEST(spec_column_errors)
{
    const char *path = write_fixture("cols.csv", "a,d1,d2,buy\n1,2021-01-01,2021-01-02,0\n");
    ll_feature_spec spec = new_spec("buy", "1", NULL);
    add_drop(&spec, "nope");
    add_transform(&spec, "ghost")->has_fill = 1;
    add_days_between(&spec, "gap", "d1", "missing_to");
    spec.id = strdup("ident");
    expect_train_error(path, &spec, "cols.csv: columns named in the spec not found:",
                       "'ident' (id)", "'nope' (drop)", "'ghost' (transform)",
                       "'missing_to' (days_between to)", "(columns: a, d1, d2, buy)", NULL);
    ll_feature_spec_free(&spec);

    /* A transform on the target, and two transforms for one column, are spec mistakes. */
    spec = new_spec("buy", "1", NULL);
    add_transform(&spec, "buy")->missing_flag = 1;
    expect_train_error(path, &spec, "column 'buy' is the target", NULL);
    ll_feature_spec_free(&spec);
    spec = new_spec("buy", "1", NULL);
    add_transform(&spec, "a")->missing_flag = 1;
    add_transform(&spec, "a")->has_fill = 1;
    expect_train_error(path, &spec, "column 'a' has two transforms", NULL);
    ll_feature_spec_free(&spec);

    /* Two features of one name: raw "a_missing" next to a flagged "a". */
    spec = new_spec("buy", "1", NULL);
    add_transform(&spec, "a")->missing_flag = 1;
    expect_train_error(write_fixture("clash.csv", "a,a_missing,buy\n1,0,1\n"), &spec,
                       "feature name 'a_missing' would be produced twice", NULL);
    ll_feature_spec_free(&spec);
}
END_TEST

START_TEST(date_and_derived_errors)
{
    ll_feature_spec spec = new_spec("buy", "1", NULL);
    add_transform(&spec, "d")->date_parts = LL_DATE_YEAR;
    expect_train_error(write_fixture("leap.csv", "d,buy\n2024-02-29,0\n2021-02-29,1\n"), &spec,
                       "leap.csv:3: column 'd': '2021-02-29' is not a YYYY-MM-DD date", NULL);
    expect_train_error(write_fixture("slash.csv", "d,buy\n2021/01/01,0\n"), &spec,
                       "slash.csv:2: column 'd': '2021/01/01' is not a YYYY-MM-DD date", NULL);
    expect_train_error(write_fixture("dnofill.csv", "d,buy\n2021-01-01,0\n,1\n"), &spec,
                       "dnofill.csv:3: column 'd': missing value and no fill given", NULL);
    ll_feature_spec_free(&spec);

    /* days_between over dropped, untransformed columns; no fill -> a missing date is an error. */
    spec = new_spec("buy", "1", NULL);
    add_drop(&spec, "from");
    add_drop(&spec, "to");
    add_days_between(&spec, "gap", "from", "to");
    const char *path = write_fixture("gap.csv", "x,from,to,buy\n"
                                                "1,2020-12-31,2021-03-01,0\n"
                                                "2,2021-03-01,2020-12-31,1\n");
    ll_encoder *enc;
    ll_dataset ds;
    load_train_ok(path, &spec, &enc, &ds);
    ck_assert_uint_eq(ds.n_cols, 2);
    /* 2020-12-31 -> 2021-03-01: 1 + 31 + 28 = 60 days; reversed, -60. */
    const double expected[2][2] = { { 1, 60 }, { 2, -60 } };
    assert_row(&ds, 0, expected[0]);
    assert_row(&ds, 1, expected[1]);
    ll_dataset_free(&ds);
    ll_encoder_free(enc);
    expect_train_error(write_fixture("gapmiss.csv", "x,from,to,buy\n1,2021-01-01,,0\n"), &spec,
                       "gapmiss.csv:2: column 'gap': missing value and no fill given", NULL);
    expect_train_error(write_fixture("gapbad.csv", "x,from,to,buy\n1,yesterday,2021-01-01,0\n"),
                       &spec, "gapbad.csv:2: column 'from': 'yesterday' is not a YYYY-MM-DD date",
                       NULL);
    ll_feature_spec_free(&spec);
}
END_TEST

START_TEST(day_of_year_and_iso_week)
{
    /* Worked out by hand (Python's date.timetuple().tm_yday and isocalendar() agree). An ISO
     * week runs Monday to Sunday and belongs to the year of its Thursday; week = (day of year of
     * that Thursday - 1) / 7 + 1.
     *   2021-01-01 Fri: day 1; Thursday 2020-12-31 is day 366 of 2020 -> 365 / 7 + 1 = week 53.
     *   2021-01-04 Mon: day 4; Thursday 2021-01-07 is day 7 -> week 1.
     *   2020-12-31 Thu: day 366 (leap year) -> week 53.
     *   2024-12-30 Mon: day 365 of leap 2024; Thursday 2025-01-02 is day 2 -> week 1.
     *   2021-12-31 Fri: day 365; Thursday 2021-12-30 is day 364 -> 363 / 7 + 1 = week 52.
     *   2021-06-15 Tue: 31 + 28 + 31 + 30 + 31 + 15 = day 166; Thursday is day 168 -> week 24.
     *   2024-02-29 Thu: 31 + 29 = day 60 -> 59 / 7 + 1 = week 9.
     * The parts come in bit order whatever order the spec lists them in. */
    const char *path = write_fixture("doy.csv", "d,buy\n2021-01-01,0\n2021-01-04,1\n"
                                                "2020-12-31,0\n2024-12-30,0\n2021-12-31,0\n"
                                                "2021-06-15,0\n2024-02-29,0\n,0\n");
    ll_feature_spec spec = new_spec("buy", "1", NULL);
    ll_column_transform *t = add_transform(&spec, "d");
    t->date_parts = LL_DATE_WEEKOFYEAR | LL_DATE_YEAR | LL_DATE_DAYOFYEAR;
    t->has_fill = 1;
    t->fill = -1;
    ll_encoder *enc;
    ll_dataset ds;
    load_train_ok(path, &spec, &enc, &ds);
    ck_assert_uint_eq(ds.n_cols, 3);
    ck_assert_str_eq(ds.col_names[0], "d_year");
    ck_assert_str_eq(ds.col_names[1], "d_dayofyear");
    ck_assert_str_eq(ds.col_names[2], "d_weekofyear");
    const double expected[8][3] = { { 2021, 1, 53 },   { 2021, 4, 1 },  { 2020, 366, 53 },
                                    { 2024, 365, 1 },  { 2021, 365, 52 }, { 2021, 166, 24 },
                                    { 2024, 60, 9 },   { -1, -1, -1 } };
    for (size_t i = 0; i < 8; i++)
        assert_row(&ds, i, expected[i]);
    ll_dataset_free(&ds);
    ll_encoder_free(enc);
    ll_feature_spec_free(&spec);
}
END_TEST

START_TEST(derived_sum_and_count)
{
    const char *path = write_fixture("derived.csv", "id,a,b,tag,d,buy\n"
                                                    "r1,1,2,x,2021-01-01,0\n"
                                                    "r2,1.0,2,x,2021-01-01,1\n"
                                                    "r3,1,3,y,,0\n"
                                                    "r4,,2,x,2021-01-02,0\n"
                                                    "r5,NA,2.0,x,2021-01-01,0\n");
    ll_feature_spec spec = new_spec("buy", "1", NULL);
    spec.id = strdup("id");
    add_drop(&spec, "a");
    add_drop(&spec, "tag");
    add_drop(&spec, "d");
    ll_derived *d = add_derived(&spec, "total", LL_DERIVED_SUM, "a", "b", (const char *)NULL);
    d->has_fill = 1;
    d->fill = -1;
    d->missing_flag = 1;
    add_derived(&spec, "pair_n", LL_DERIVED_COUNT, "a", "b", (const char *)NULL);
    d = add_derived(&spec, "tag_day_n", LL_DERIVED_COUNT, "tag", "d", (const char *)NULL);
    d->has_fill = 1;
    d->fill = 0;
    d->missing_flag = 1;
    ll_encoder *enc;
    ll_dataset ds;
    load_train_ok(path, &spec, &enc, &ds);
    static const char *names[] = { "b", "total", "total_missing", "pair_n", "tag_day_n",
                                   "tag_day_n_missing" };
    ck_assert_uint_eq(ds.n_cols, 6);
    for (size_t j = 0; j < 6; j++)
        ck_assert_str_eq(ds.col_names[j], names[j]);
    /* Worked out by hand.
     * total = a + b: 3, 3, 4; a missing in r4 and r5 -> fill -1 and the flag.
     * The count columns hold key codes: the index of the row's key among the file's distinct
     * keys, sorted as text. A key is each value's length, ':', the value (numbers in shortest
     * form, missing empty).
     * pair_n: 1.0 is 1 and 2.0 is 2, empty and NA are both "missing", so the keys are
     * "1:11:2" (r1, r2), "1:11:3" (r3), "0:1:2" (r4, r5); sorted "0:1:2" < "1:11:2" <
     * "1:11:3": codes 1, 1, 2, 0, 0. Without a fill a missing source is a key like any other.
     * tag_day_n: "1:x10:2021-01-01" (r1, r2, r5) < "1:x10:2021-01-02" (r4) < "1:y0:" (r3):
     * three keys; r3 misses d and the column has a fill, so it holds the filled code 3 + 1. */
    const double expected[5][6] = {
        { 2, 3, 0, 1, 0, 0 }, { 2, 3, 0, 1, 0, 0 }, { 3, 4, 0, 2, 4, 1 },
        { 2, -1, 1, 0, 1, 0 }, { 2, -1, 1, 0, 0, 0 },
    };
    for (size_t i = 0; i < 5; i++)
        assert_row(&ds, i, expected[i]);
    ck_assert_uint_eq(ds.encoding.n, 2);
    ck_assert_uint_eq(ds.encoding.columns[0].column, 3);
    ck_assert_uint_eq(ds.encoding.columns[0].n_keys, 3);
    ck_assert_uint_eq(ds.encoding.columns[1].column, 4);
    ck_assert_int_eq(ds.encoding.columns[1].has_fill, 1);
    ck_assert_int_eq(ds.col_binary[3] | ds.col_binary[4], 0); /* codes are no 0/1 values */
    /* A fit on all five rows counts as the whole file would: pair_n counts 2, 2, 1, 2, 2;
     * tag_day_n (x,01-01) three times, (x,01-02) once, r3 the fill 0. */
    const double counted[5][6] = {
        { 2, 3, 0, 2, 3, 0 }, { 2, 3, 0, 2, 3, 0 }, { 3, 4, 0, 1, 0, 1 },
        { 2, -1, 1, 2, 1, 0 }, { 2, -1, 1, 2, 3, 0 },
    };
    double *x = fitted_on_all_rows(&ds);
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 6; j++)
            ck_assert_msg(x[i * 6 + j] == counted[i][j], "fitted row %zu, %s: got %g, "
                          "expected %g", i, ds.col_names[j], x[i * 6 + j], counted[i][j]);
    free(x);
    ll_dataset_free(&ds);
    ll_feature_spec_free(&spec);

    /* Another file gets the training file's codes: (1,2) is code 1; (7,2) and (z,01-01) were
     * never seen -> the unseen code 3 (= the number of keys); a missing d still takes the
     * filled code 4. */
    path = write_fixture("derived_apply.csv", "id,a,b,tag,d\n"
                                              "s1,1,2,x,2021-01-01\n"
                                              "s2,7,2,z,2021-01-01\n"
                                              "s3,,2,x,\n");
    ll_error err = {"", 0};
    ck_assert_msg(ll_dataset_load_apply(path, enc, &ds, &err) == 0, "%s", err.msg);
    const double applied[3][6] = {
        { 2, 3, 0, 1, 0, 0 }, { 2, 9, 0, 3, 3, 0 }, { 2, -1, 1, 0, 4, 1 },
    };
    for (size_t i = 0; i < 3; i++)
        assert_row(&ds, i, applied[i]);
    ck_assert_uint_eq(ds.encoding.n, 2); /* the training file's description, its key counts */
    ck_assert_uint_eq(ds.encoding.columns[1].n_keys, 3);
    ll_dataset_free(&ds);
    ll_encoder_free(enc);
}
END_TEST

START_TEST(count_keys_do_not_collide)
{
    /* Joined with a plain separator, ("a,b", "c") and ("a", "b,c") would be one key "a,b,c";
     * so would ("1:a", "") and ("1", ":a") with a colon. Each tuple occurs once, except the
     * last, repeated. */
    const char *path = write_fixture("collide.csv", "p,q,buy\n"
                                                    "\"a,b\",c,0\n"
                                                    "a,\"b,c\",1\n"
                                                    "1:a,,0\n"
                                                    "1,:a,0\n"
                                                    "1,:a,0\n");
    ll_feature_spec spec = new_spec("buy", "1", NULL);
    add_drop(&spec, "p");
    add_drop(&spec, "q");
    add_derived(&spec, "n", LL_DERIVED_COUNT, "p", "q", (const char *)NULL);
    ll_encoder *enc;
    ll_dataset ds;
    load_train_ok(path, &spec, &enc, &ds);
    const double expected[5] = { 1, 1, 1, 2, 2 };
    double *x = fitted_on_all_rows(&ds);
    for (size_t i = 0; i < 5; i++)
        ck_assert_double_eq(x[i], expected[i]);
    free(x);
    ll_dataset_free(&ds);
    ll_encoder_free(enc);
    ll_feature_spec_free(&spec);
}
END_TEST

START_TEST(derived_errors)
{
    const char *path = write_fixture("derr.csv", "a,b,tag,buy\n1,2,x,0\n3,,y,1\n");
    ll_feature_spec spec = new_spec("buy", "1", NULL);
    add_drop(&spec, "tag");
    add_transform(&spec, "b")->has_fill = 1;
    add_derived(&spec, "s", LL_DERIVED_SUM, "a", "tag", (const char *)NULL);
    expect_train_error(path, &spec, "derr.csv:2: column 'tag': 'x' is not a number", NULL);
    ll_feature_spec_free(&spec);

    spec = new_spec("buy", "1", NULL);
    add_drop(&spec, "tag");
    add_transform(&spec, "b")->has_fill = 1;
    add_derived(&spec, "s", LL_DERIVED_SUM, "a", "b", (const char *)NULL);
    expect_train_error(path, &spec, "derr.csv:3: column 's': missing value and no fill given",
                       NULL);
    ll_feature_spec_free(&spec);

    spec = new_spec("buy", "1", NULL);
    add_derived(&spec, "n", LL_DERIVED_COUNT, "a", "ghost", (const char *)NULL);
    add_derived(&spec, "s", LL_DERIVED_SUM, "phantom", (const char *)NULL);
    expect_train_error(path, &spec, "columns named in the spec not found", "'ghost' (count)",
                       "'phantom' (sum)", NULL);
    ll_feature_spec_free(&spec);

    /* A transform on a dropped column would silently do nothing. */
    spec = new_spec("buy", "1", NULL);
    add_drop(&spec, "tag");
    add_transform(&spec, "tag")->missing_flag = 1;
    expect_train_error(path, &spec, "column 'tag' is dropped and has a transform", NULL);
    ll_feature_spec_free(&spec);

    spec = new_spec("buy", "1", NULL);
    add_derived(&spec, "gap", LL_DERIVED_DAYS_BETWEEN, "a", "b", "tag", (const char *)NULL);
    expect_train_error(path, &spec, "column 'gap': days_between needs two date columns, got 3",
                       NULL);
    ll_feature_spec_free(&spec);

    spec = new_spec("buy", "1", NULL);
    add_derived(&spec, "s", LL_DERIVED_SUM, (const char *)NULL);
    expect_train_error(path, &spec, "column 's': sum needs at least one column, got 0", NULL);
    ll_feature_spec_free(&spec);

    /* target's m is a finite number > 0; no other kind has one */
    const double bad_m[] = { 0, -1, INFINITY, NAN };
    for (size_t i = 0; i < sizeof bad_m / sizeof *bad_m; i++) {
        spec = new_spec("buy", "1", NULL);
        add_derived(&spec, "r", LL_DERIVED_TARGET, "tag", (const char *)NULL)->smoothing = bad_m[i];
        expect_train_error(path, &spec, "column 'r': target smoothing must be a finite number > 0",
                           NULL);
        ll_feature_spec_free(&spec);
    }
    spec = new_spec("buy", "1", NULL);
    add_derived(&spec, "f", LL_DERIVED_FREQUENCY, "tag", (const char *)NULL)->smoothing = 2;
    expect_train_error(path, &spec, "column 'f': smoothing goes with target only", NULL);
    ll_feature_spec_free(&spec);
}
END_TEST

/* Every learned kind leaves key codes, and the dataset describes each learned column where it
 * sits (after the raw features and any earlier derived feature's missing flag), with its kind,
 * the training file's key count, its fill and smoothing; labels never enter the codes. */
START_TEST(learned_kinds_describe_their_columns)
{
    /* keys of tag: "1:a" < "1:b" < "1:c"; tag missing in r4 */
    const char *text = "tag,v,buy\n"
                       "b,1,0\n"
                       "a,2,1\n"
                       "c,3,0\n"
                       ",4,1\n"
                       "b,5,0\n";
    const char *path = write_fixture("learned.csv", text);
    ll_feature_spec spec = new_spec("buy", "1", NULL);
    add_drop(&spec, "tag");
    ll_derived *d = add_derived(&spec, "tag_n", LL_DERIVED_COUNT, "tag", (const char *)NULL);
    d->missing_flag = 1;
    add_derived(&spec, "tag_share", LL_DERIVED_FREQUENCY, "tag", (const char *)NULL);
    d = add_derived(&spec, "tag_rate", LL_DERIVED_TARGET, "tag", (const char *)NULL);
    d->smoothing = 3;
    d->has_fill = 1;
    d->fill = 0.25;
    add_derived(&spec, "vsum", LL_DERIVED_SUM, "v", (const char *)NULL);
    ll_encoder *enc;
    ll_dataset ds;
    load_train_ok(path, &spec, &enc, &ds);
    static const char *names[] = { "v", "tag_n", "tag_n_missing", "tag_share", "tag_rate",
                                   "vsum" };
    ck_assert_uint_eq(ds.n_cols, 6);
    for (size_t j = 0; j < 6; j++)
        ck_assert_str_eq(ds.col_names[j], names[j]);
    /* Without a fill the missing tag is a key, "0:", which sorts first: keys "0:" < "1:a" <
     * "1:b" < "1:c", codes b 2, a 1, c 3, missing 0. With a fill (tag_rate) the missing row
     * holds the filled code 4 + 1. */
    const double expected[5][6] = {
        { 1, 2, 0, 2, 2, 1 }, { 2, 1, 0, 1, 1, 2 }, { 3, 3, 0, 3, 3, 3 },
        { 4, 0, 1, 0, 5, 4 }, { 5, 2, 0, 2, 2, 5 },
    };
    for (size_t i = 0; i < 5; i++)
        assert_row(&ds, i, expected[i]);
    ck_assert_uint_eq(ds.encoding.n, 3);
    const ll_fold_column want[3] = {
        { .column = 1, .kind = LL_FOLD_COUNT, .n_keys = 4 },
        { .column = 3, .kind = LL_FOLD_FREQUENCY, .n_keys = 4 },
        { .column = 4, .kind = LL_FOLD_TARGET, .n_keys = 4, .smoothing = 3, .has_fill = 1,
          .fill = 0.25 },
    };
    for (size_t c = 0; c < 3; c++)
        ck_assert_msg(ll_fold_column_equal(&ds.encoding.columns[c], &want[c]),
                      "learned column %zu", c);
    ll_dataset_free(&ds);
    ll_encoder_free(enc);

    /* The same file with every label flipped gives the same matrix: codes know no labels. */
    char flipped[256];
    snprintf(flipped, sizeof flipped, "%s", text);
    for (char *p = flipped; (p = strchr(p, '\n')) != NULL; p++)
        if (p > flipped && (p[-1] == '0' || p[-1] == '1') && p[-2] == ',')
            p[-1] = p[-1] == '0' ? '1' : '0';
    ll_dataset other;
    load_train_ok(write_fixture("learned_flipped.csv", flipped), &spec, &enc, &other);
    ck_assert_uint_eq(other.n_positive, 3);
    for (size_t i = 0; i < 5; i++)
        assert_row(&other, i, expected[i]);
    ll_dataset_free(&other);
    ll_encoder_free(enc);
    ll_feature_spec_free(&spec);
}
END_TEST

static size_t feature_index(const ll_dataset *ds, const char *name)
{
    for (size_t j = 0; j < ds->n_cols; j++)
        if (strcmp(ds->col_names[j], name) == 0)
            return j;
    ck_abort_msg("no feature %s", name);
    return 0;
}

/* On the synthetic leads (and the real file: real_lead_data_sums_and_counts), sum and count
 * agree with a brute force tally of the raw columns, which the same encoding also carries. */
static void check_sum_and_count_invariants(const char *path)
{
    ll_feature_spec spec = new_spec("buy", "1", "0");
    spec.id = strdup("id");
    add_drop(&spec, "created_at");
    add_drop(&spec, "signup_date");
    ll_column_transform *t = add_transform(&spec, "products_purchased");
    t->has_fill = 1;
    t->fill = 0;
    add_derived(&spec, "activity", LL_DERIVED_SUM, "user_activity_var_1", "user_activity_var_5",
                "user_activity_var_11", (const char *)NULL);
    add_derived(&spec, "campaign_n", LL_DERIVED_COUNT, "campaign_var_1", "campaign_var_2",
                (const char *)NULL);
    add_derived(&spec, "products_n", LL_DERIVED_COUNT, "products_purchased", (const char *)NULL);
    ll_encoder *enc;
    ll_dataset ds;
    load_train_ok(path, &spec, &enc, &ds);
    size_t c1 = feature_index(&ds, "campaign_var_1"), c2 = feature_index(&ds, "campaign_var_2");
    size_t a1 = feature_index(&ds, "user_activity_var_1"),
           a5 = feature_index(&ds, "user_activity_var_5"),
           a11 = feature_index(&ds, "user_activity_var_11");
    size_t activity = feature_index(&ds, "activity"), campaign_n = feature_index(&ds, "campaign_n");
    size_t products = feature_index(&ds, "products_purchased"),
           products_n = feature_index(&ds, "products_n");
    /* Tally pairs of campaign values 0..63 and products 0..63 (both small integers). */
    static double pair_tally[64][64], products_tally[64];
    memset(pair_tally, 0, sizeof pair_tally);
    memset(products_tally, 0, sizeof products_tally);
    size_t n = ds.n_rows, k = ds.n_cols;
    for (size_t i = 0; i < n; i++) {
        const double *x = ds.x + i * k;
        ck_assert(x[c1] >= 0 && x[c1] < 64 && x[c2] >= 0 && x[c2] < 64 && x[products] < 64);
        pair_tally[(int)x[c1]][(int)x[c2]] += 1;
        products_tally[(int)x[products]] += 1;
    }
    /* The count columns hold key codes until a fit encodes them: one on every row. */
    double *fitted = fitted_on_all_rows(&ds);
    for (size_t i = 0; i < n; i++) {
        const double *x = fitted + i * k;
        ck_assert_double_eq(x[activity], x[a1] + x[a5] + x[a11]);
        ck_assert_double_eq(x[campaign_n], pair_tally[(int)x[c1]][(int)x[c2]]);
        /* products_purchased is empty in about half the rows: empty is one value of its own,
         * so the filled 0 and the count of empties agree (no row has a real 0). */
        ck_assert_double_eq(x[products_n], products_tally[(int)x[products]]);
    }
    free(fitted);
    ll_dataset_free(&ds);
    ll_encoder_free(enc);
    ll_feature_spec_free(&spec);
}

START_TEST(sum_and_count_match_a_brute_force_tally)
{
    ll_error err = {"", 0};
    const char *synth = fixture_path("synth_counts.csv");
    ck_assert_msg(ll_synth_write(synth, 3000, 5, &err) == 0, "%s", err.msg);
    check_sum_and_count_invariants(synth);
}
END_TEST

/* Generated names carry exact, plain numbers: one-hot columns read "campaign_var_1=10", not
 * "=1e+01"; every text reads back as the same double. */
START_TEST(numbers_in_names_are_exact_and_plain)
{
    const struct {
        double v;
        const char *text;
    } cases[] = {{10, "10"}, {-3, "-3"}, {0.1, "0.1"}, {2.5, "2.5"}, {1e14, "100000000000000"},
                 {0.0001, "0.0001"}, {1e-7, "1e-07"}, {1e20, "1e+20"}, {0.0, "0"},
                 {1.0 / 3.0, "0.3333333333333333"}, {123456.789, "123456.789"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        ll_shortest_number(buf, sizeof buf, cases[i].v);
        ck_assert_msg(strcmp(buf, cases[i].text) == 0, "%.17g: '%s', expected '%s'", cases[i].v,
                      buf, cases[i].text);
        ck_assert(strtod(buf, NULL) == cases[i].v);
    }
}
END_TEST

START_TEST(onehot_too_many_categories)
{
    char content[4096] = "k,buy\n";
    for (int v = 0; v < 65; v++)
        snprintf(content + strlen(content), sizeof content - strlen(content), "%d,0\n", v);
    ll_feature_spec spec = new_spec("buy", "1", NULL);
    add_transform(&spec, "k")->onehot = 1;
    /* Value 64 (the 65th distinct) sits on line 66. */
    expect_train_error(write_fixture("many.csv", content), &spec,
                       "many.csv:66: column 'k': too many categories for one-hot", NULL);
    expect_train_error(write_fixture("cattext.csv", "k,buy\n1,0\nred,1\n"), &spec,
                       "cattext.csv:3: column 'k': 'red' is not a number", NULL);
    ll_feature_spec_free(&spec);
}
END_TEST

/* ---- synthetic data --------------------------------------------------------------------- */

static const char synth_header[] =
    "id,created_at,campaign_var_1,campaign_var_2,products_purchased,signup_date,"
    "user_activity_var_1,user_activity_var_2,user_activity_var_3,user_activity_var_4,"
    "user_activity_var_5,user_activity_var_6,user_activity_var_7,user_activity_var_8,"
    "user_activity_var_9,user_activity_var_10,user_activity_var_11,user_activity_var_12,buy\n";

/* The transforms the lead-scoring experiment uses. */
static ll_feature_spec lead_spec(void)
{
    ll_feature_spec spec = new_spec("buy", "1", "0");
    spec.id = strdup("id");
    ll_column_transform *t = add_transform(&spec, "products_purchased");
    t->has_fill = 1;
    t->fill = 0;
    t->missing_flag = 1;
    t = add_transform(&spec, "signup_date");
    t->date_parts = LL_DATE_YEAR | LL_DATE_MONTH;
    t->has_fill = 1;
    t->fill = 0;
    t->missing_flag = 1;
    t = add_transform(&spec, "created_at");
    t->date_parts = LL_DATE_DAYOFWEEK | LL_DATE_MONTH;
    ll_derived *d = add_days_between(&spec, "signup_age", "signup_date", "created_at");
    d->has_fill = 1;
    d->fill = 0;
    return spec;
}

static double column_mean(const ll_dataset *ds, const char *name)
{
    for (size_t j = 0; j < ds->n_cols; j++)
        if (strcmp(ds->col_names[j], name) == 0) {
            double sum = 0;
            for (size_t i = 0; i < ds->n_rows; i++)
                sum += ds->x[i * ds->n_cols + j];
            return sum / (double)ds->n_rows;
        }
    ck_abort_msg("no feature %s", name);
    return NAN;
}

START_TEST(synth_is_deterministic_and_realistic)
{
    ll_error err = {"", 0};
    const char *a = fixture_path("synth_a.csv");
    ck_assert_msg(ll_synth_write(a, 5000, 42, &err) == 0, "%s", err.msg);
    char path_b[512], path_c[512];
    snprintf(path_b, sizeof path_b, "%s", fixture_path("synth_b.csv"));
    snprintf(path_c, sizeof path_c, "%s", fixture_path("synth_c.csv"));
    ck_assert_msg(ll_synth_write(path_b, 5000, 42, &err) == 0, "%s", err.msg);
    ck_assert_msg(ll_synth_write(path_c, 5000, 43, &err) == 0, "%s", err.msg);
    size_t len_a, len_b, len_c;
    char *text_a = read_all(a, &len_a), *text_b = read_all(path_b, &len_b),
         *text_c = read_all(path_c, &len_c);
    ck_assert_uint_eq(len_a, len_b);
    ck_assert_msg(memcmp(text_a, text_b, len_a) == 0, "same seed, different bytes");
    ck_assert_msg(len_a != len_c || memcmp(text_a, text_c, len_a) != 0,
                  "different seeds, same bytes");
    ck_assert_msg(strncmp(text_a, synth_header, strlen(synth_header)) == 0, "header differs");
    ck_assert_msg(strstr(text_a, "\n1,2021-01-01,"), "first lead not created 2021-01-01");
    ck_assert_msg(strstr(text_a, ",2021-12-"), "no lead from December");
    ck_assert_msg(strstr(text_a, ".0,"), "products_purchased not written like 2.0");
    free(text_a);
    free(text_b);
    free(text_c);
    /* real_lead_data checks that train.csv has this header too */

    ll_feature_spec spec = lead_spec();
    ll_encoder *enc;
    ll_dataset ds;
    load_train_ok(a, &spec, &enc, &ds);
    ck_assert_uint_eq(ds.n_rows, 5000);
    double rate = (double)ds.n_positive / (double)ds.n_rows;
    ck_assert_msg(rate >= 0.03 && rate <= 0.07, "positive rate %g", rate);
    double products_missing = column_mean(&ds, "products_purchased_missing");
    double signup_missing = column_mean(&ds, "signup_date_missing");
    ck_assert_msg(fabs(products_missing - 0.53) < 0.03, "products missing %g", products_missing);
    ck_assert_msg(fabs(signup_missing - 0.39) < 0.03, "signup missing %g", signup_missing);
    /* Leads grow through the year, so the average month lies past mid-year. */
    ck_assert_msg(column_mean(&ds, "created_at_month") > 6.5, "leads do not grow over 2021");
    ll_dataset_free(&ds);
    ll_encoder_free(enc);
    ll_feature_spec_free(&spec);

    ck_assert_int_eq(ll_synth_write(fixture_path("no/such/dir.csv"), 10, 1, &err), -1);
    ck_assert_msg(strstr(err.msg, "no/such/dir.csv: cannot create a temporary file"), "%s",
                  err.msg);
}
END_TEST

/* ---- the real file (tagged real_data: skipped when ../shared/data is absent) --------------- */

START_TEST(real_lead_data)
{
    char train[4096], test[4096]; /* th_require_real_data returns a static buffer */
    const char *path = th_require_real_data("train.csv");
    if (!path)
        return; /* skipped: the data is not redistributable, fresh checkouts lack it */
    snprintf(train, sizeof train, "%s", path);
    if (!(path = th_require_real_data("test.csv")))
        return;
    snprintf(test, sizeof test, "%s", path);
    size_t len;
    char *text = read_all(train, &len);
    ck_assert_msg(strncmp(text, synth_header, strlen(synth_header)) == 0,
                  "synthetic header differs from train.csv's");
    free(text);
    ll_feature_spec spec = lead_spec();
    ll_encoder *enc;
    ll_dataset ds;
    load_train_ok(train, &spec, &enc, &ds);
    ll_feature_spec_free(&spec);
    ck_assert_uint_eq(ds.n_rows, 39161);
    ck_assert_uint_eq(ds.n_positive, 1998);
    /* created_at 2, campaign 2, products 2, signup 3, activity 12, signup_age 1. */
    ck_assert_uint_eq(ds.n_cols, 22);
    ck_assert_str_eq(ds.col_names[0], "created_at_month");
    ck_assert_str_eq(ds.col_names[1], "created_at_dayofweek");
    ck_assert_str_eq(ds.col_names[21], "signup_age");
    ck_assert_str_eq(ds.ids[0], "1");
    /* Row 1: 2021-01-01 (Friday), 1, 2, 2.0, 2020-09-24 (99 days earlier). */
    const double first[8] = { 1, 4, 1, 2, 2, 0, 2020, 9 };
    for (size_t j = 0; j < 8; j++)
        ck_assert_double_eq(ds.x[j], first[j]);
    ck_assert_double_eq(ds.x[21], 99);
    ll_dataset_free(&ds);

    ll_error err = {"", 0};
    ck_assert_msg(ll_dataset_load_apply(test, enc, &ds, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(ds.n_rows, 13184);
    ck_assert_uint_eq(ds.n_cols, 22);
    ck_assert_ptr_null(ds.y);
    ck_assert_str_eq(ds.ids[0], "39162");
    ll_dataset_free(&ds);
    ll_encoder_free(enc);
}
END_TEST

START_TEST(real_lead_data_sums_and_counts)
{
    const char *train = th_require_real_data("train.csv");
    if (!train)
        return;
    check_sum_and_count_invariants(train);
}
END_TEST

static Suite *dataset_suite(void)
{
    Suite *suite = suite_create("dataset");
    TCase *tc = tcase_create("dataset");
    tcase_add_checked_fixture(tc, make_fixture_dir, remove_fixture_dir);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, csv_quoted_fields_and_crlf);
    tcase_add_test(tc, csv_quote_errors);
    tcase_add_test(tc, csv_wide_header_lookup);
    tcase_add_test(tc, calendar);
    tcase_add_test(tc, encode_every_transform);
    tcase_add_test(tc, onehot_explicit_and_plain_numbers);
    tcase_add_test(tc, missing_value_tokens);
    tcase_add_test(tc, file_errors);
    tcase_add_test(tc, target_errors);
    tcase_add_test(tc, spec_column_errors);
    tcase_add_test(tc, date_and_derived_errors);
    tcase_add_test(tc, day_of_year_and_iso_week);
    tcase_add_test(tc, derived_sum_and_count);
    tcase_add_test(tc, count_keys_do_not_collide);
    tcase_add_test(tc, derived_errors);
    tcase_add_test(tc, learned_kinds_describe_their_columns);
    tcase_add_test(tc, sum_and_count_match_a_brute_force_tally);
    tcase_add_test(tc, onehot_too_many_categories);
    tcase_add_test(tc, numbers_in_names_are_exact_and_plain);
    tcase_add_test(tc, synth_is_deterministic_and_realistic);
    suite_add_tcase(suite, tc);
    TCase *real = tcase_create("real_data");
    tcase_set_tags(real, "real_data");
    tcase_add_checked_fixture(real, make_fixture_dir, remove_fixture_dir);
    tcase_set_timeout(real, 120);
    tcase_add_test(real, real_lead_data);
    tcase_add_test(real, real_lead_data_sums_and_counts);
    suite_add_tcase(suite, real);
    return suite;
}

int main(void) { return th_run_suite(dataset_suite()); }
