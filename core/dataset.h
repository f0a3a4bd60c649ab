/* leadlab dataset: a CSV file plus the spec's column transforms become a dense feature matrix.
 * The encoder (one-hot categories, column layout, the keys of learned features) is learned from
 * the training file and reused unchanged for any other file with the same schema (e.g. a test
 * set to predict). Learned features leave key codes in the matrix: each fit encodes them from
 * its own training rows (fold_encoding.h). */
#ifndef LL_CORE_DATASET_H
#define LL_CORE_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "fold_encoding.h"

enum {
    LL_DATE_YEAR = 1u,
    LL_DATE_MONTH = 2u,
    LL_DATE_DAY = 4u,
    LL_DATE_DAYOFWEEK = 8u,  /* Monday = 0 ... Sunday = 6 */
    LL_DATE_DAYOFYEAR = 16u, /* 1 ... 366 */
    LL_DATE_WEEKOFYEAR = 32u /* ISO 8601 week, 1 ... 53: weeks start on Monday and week 1 holds
                              * the year's first Thursday, so 2021-01-01 is in week 53 */
};

/* What to do with one raw column. A column without a transform is read as a number. */
typedef struct {
    char *column;
    int has_fill;          /* missing -> fill (for a date column: each of its parts) */
    double fill;
    int missing_flag;      /* adds COLUMN_missing = 1 when the value is missing */
    int onehot;            /* replaces the column by COLUMN=v indicators */
    double *onehot_values; /* the categories; NULL = the sorted distinct values of the train file */
    size_t n_onehot_values;
    unsigned date_parts;   /* LL_DATE_* mask; nonzero = the column holds YYYY-MM-DD dates */
} ll_column_transform;

typedef enum {
    LL_DERIVED_DAYS_BETWEEN = 1, /* [from, to]: days from `from` to `to`, both YYYY-MM-DD */
    LL_DERIVED_SUM,              /* [a, b, ...]: a + b + ..., all numbers */
    /* Learned: the row's values in a, b, ... form a key, encoded by each fit from its training
     * rows only (fold_encoding.h) */
    LL_DERIVED_COUNT,            /* training rows with this row's key (unseen: 0) */
    LL_DERIVED_FREQUENCY,        /* that count over the training rows (unseen: 0) */
    LL_DERIVED_TARGET            /* the training rows' smoothed positive rate for the key */
} ll_derived_kind;

/* Whether the kind is learned from training rows (count, frequency, target). */
int ll_derived_is_learned(ll_derived_kind kind);

/* A feature computed from several raw columns, which may be dropped or transformed
 * themselves. The learned kinds compare values as text, except that numbers compare as numbers
 * (2.0 and 2 are one value) and every missing spelling is one value of its own. */
typedef struct {
    char *name;
    ll_derived_kind kind;
    char **columns; /* the sources, in the order the kind reads them */
    size_t n_columns;
    int has_fill; /* the value when any source is missing; without it, missing is an error
                   * (days_between, sum) or a value like any other (learned kinds) */
    double fill;
    int missing_flag; /* adds NAME_missing: 1 when any source is missing */
    double smoothing; /* target: m of the m-estimate, > 0 (the spec's default is
                       * LL_TARGET_SMOOTHING_DEFAULT); 0 for every other kind */
} ll_derived;

typedef struct {
    char *target;   /* label column */
    char *positive; /* the positive label's text, e.g. "1" */
    char *negative; /* the other label; NULL = whatever the other value is (a third is an error) */
    char *id;       /* id column, kept as text for prediction files; NULL = none */
    char **drop;    /* raw columns not used as features */
    size_t n_drop;
    ll_column_transform *transforms;
    size_t n_transforms;
    ll_derived *derived;
    size_t n_derived;
    char *order_column; /* a YYYY-MM-DD column whose date the training file must give in every
                         * row, kept per row in ll_dataset.order_days whatever the features do
                         * with it (cv.column: time-ordered folds); NULL = none */
} ll_feature_spec;

typedef struct ll_encoder ll_encoder; /* opaque, learned from the training file */

typedef struct {
    double *x;          /* n_rows * n_cols, row-major */
    uint8_t *y;         /* n_rows labels (1 = positive); NULL when the file had no target */
    size_t n_rows, n_cols;
    char **col_names;   /* n_cols feature names */
    uint8_t *col_binary;/* n_cols flags: 1 when every value is 0 or 1 (never a learned column's:
                         * its codes are no values) */
    char **ids;         /* n_rows id texts, or NULL when the spec names no id column */
    long *order_days;   /* n_rows days since 1970-01-01 of the spec's order_column (training
                           file only), or NULL when it names none */
    size_t n_positive;
    ll_fold_encoding encoding; /* the learned columns, which hold key codes (n == 0: none) */
} ll_dataset;

/* Reads the training file, learns the encoder from it and encodes it (target required).
 * On success the caller owns *out and *encoder (free with ll_dataset_free / ll_encoder_free).
 * Errors name the file, line and column, e.g. "train.csv:17: column 'x': 'abc' is not a number". */
int ll_dataset_load_train(const char *path, const ll_feature_spec *spec, ll_encoder **encoder,
                          ll_dataset *out, ll_error *err);

/* Encodes another file with a learned encoder. The target column is optional there: when
 * absent, out->y is NULL. */
int ll_dataset_load_apply(const char *path, const ll_encoder *encoder, ll_dataset *out,
                          ll_error *err);

void ll_dataset_free(ll_dataset *ds);
void ll_encoder_free(ll_encoder *enc);

/* The learned columns of the matrices the encoder writes: where each sits, its kind, its
 * training keys, fill and smoothing. 0, or -1 out of memory; the caller frees *out. */
int ll_encoder_fold_encoding(const ll_encoder *enc, ll_fold_encoding *out);
void ll_feature_spec_free(ll_feature_spec *spec); /* frees the members, not spec itself */

/* Writes a synthetic lead-scoring table with train.csv's schema (id, created_at, campaign_var_1,
 * campaign_var_2, products_purchased, signup_date, user_activity_var_1..12, buy), about 5 %
 * positives and a learnable signal; identical output for identical (rows, seed). */
int ll_synth_write(const char *path, size_t rows, uint64_t seed, ll_error *err);

/* Calendar arithmetic on the proleptic Gregorian calendar, in days since 1970-01-01, with no
 * time zone involved (H. Hinnant's days_from_civil / civil_from_days). */
long ll_days_from_civil(int year, int month, int day);
void ll_civil_from_days(long days, int *year, int *month, int *day);
int ll_weekday_from_days(long days); /* Monday = 0 ... Sunday = 6 */
/* Strict YYYY-MM-DD with a real calendar date (2024-02-29 yes, 2021-02-29 no): 0 or -1. */
int ll_parse_date(const char *text, long *days);
/* Writes days as YYYY-MM-DD into buf (11 bytes suffice); returns buf. */
char *ll_format_date(long days, char *buf, size_t len);

#endif
