/* leadlab cross-validation splits (see cv.h). */
#include "cv.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "dataset.h"

int ll_cv_stratified_folds(const uint8_t *y, size_t n, size_t k, uint64_t seed,
                           uint32_t *fold_of_row, ll_error *err)
{
    if (k < 2)
        return ll_error_set(err, "cv.folds must be at least 2, got %zu", k);
    size_t n_pos = 0;
    for (size_t i = 0; i < n; i++)
        n_pos += y[i] != 0;
    size_t n_neg = n - n_pos;
    if (n_pos < k || n_neg < k)
        return ll_error_set(err, "%zu folds need at least %zu rows of each class, the data has "
                            "%zu positives and %zu negatives", k, k, n_pos, n_neg);
    size_t *rows = malloc(n * sizeof *rows);
    if (!rows)
        return ll_error_set(err, "out of memory");
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    /* Positives are dealt from fold 0, negatives continue where positives stopped, so the
     * remainders of the two classes land in different folds and sizes stay balanced. */
    size_t next_fold = 0;
    for (int cls = 1; cls >= 0; cls--) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if ((y[i] != 0) == cls)
                rows[m++] = i;
        ll_rng_shuffle_size(&rng, rows, m);
        for (size_t j = 0; j < m; j++) {
            fold_of_row[rows[j]] = (uint32_t)next_fold;
            next_fold = (next_fold + 1) % k;
        }
    }
    free(rows);
    return 0;
}

uint64_t ll_cv_repeat_seed(uint64_t seed, size_t repeat)
{
    return ll_seed_mix(seed, 0xF01D0000u + repeat); /* apart from every cell seed's stream */
}

int ll_cv_inner_folds(const uint8_t *y, const ll_split *outer, size_t n, size_t k,
                      uint64_t seed, uint32_t *fold_of_row, ll_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += ll_split_is_train(outer, i);
    size_t *rows = malloc((m ? m : 1) * sizeof *rows);
    uint8_t *y_in = calloc(m ? m : 1, 1);
    uint32_t *fold_in = malloc((m ? m : 1) * sizeof *fold_in);
    int rc = -1;
    if (!rows || !y_in || !fold_in) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (ll_split_is_train(outer, i)) {
            rows[m] = i;
            y_in[m++] = y[i];
        }
    if (ll_cv_stratified_folds(y_in, m, k, seed, fold_in, err) != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        fold_of_row[i] = LL_FOLD_NONE;
    for (size_t j = 0; j < m; j++)
        fold_of_row[rows[j]] = fold_in[j];
    rc = 0;
out:
    free(rows);
    free(y_in);
    free(fold_in);
    return rc;
}

static int ascending_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

size_t ll_split_train_rows(const ll_split *s, const uint8_t *y, size_t n_rows, size_t *rows)
{
    size_t n = 0, n_pos = 0;
    for (size_t i = 0; i < n_rows; i++)
        if (ll_split_is_train(s, i)) {
            rows[n++] = i;
            n_pos += y[i] != 0;
        }
    if (!s->max_train || s->max_train >= n)
        return n;
    size_t n_neg = n - n_pos;
    size_t keep_pos = (size_t)llround((double)s->max_train * (double)n_pos / (double)n);
    if (keep_pos == 0 && n_pos)
        keep_pos = 1;
    size_t keep_neg = s->max_train - keep_pos;
    if (keep_neg == 0 && n_neg) {
        keep_neg = 1;
        keep_pos--;
    }
    size_t *train = malloc(n * sizeof *train), *by_class = malloc(n * sizeof *by_class);
    if (!train || !by_class) {
        free(train);
        free(by_class);
        return SIZE_MAX;
    }
    for (size_t j = 0; j < n; j++)
        train[j] = rows[j];
    /* Each class in a fixed shuffled order; a budget takes a prefix of each, so the rows of
     * a smaller budget stay in every larger one. */
    ll_rng rng;
    ll_rng_seed(&rng, s->subsample_seed);
    size_t kept = 0;
    for (int cls = 1; cls >= 0; cls--) {
        size_t m = 0;
        for (size_t j = 0; j < n; j++)
            if ((y[train[j]] != 0) == cls)
                by_class[m++] = train[j];
        ll_rng_shuffle_size(&rng, by_class, m);
        size_t take = cls ? keep_pos : keep_neg;
        for (size_t j = 0; j < take && j < m; j++)
            rows[kept++] = by_class[j];
    }
    free(train);
    free(by_class);
    qsort(rows, kept, sizeof *rows, ascending_size);
    return kept;
}

void ll_split_describe(const ll_split *s, const uint8_t *y, const long *days, size_t n,
                       ll_split_span *out)
{
    *out = (ll_split_span){0, 0, 0, 0, LONG_MAX, LONG_MIN, LONG_MAX, LONG_MIN};
    for (size_t i = 0; i < n; i++) {
        int test = ll_split_is_test(s, i);
        if (!test && !ll_split_is_train(s, i))
            continue;
        size_t *rows = test ? &out->n_test : &out->n_train;
        size_t *positives = test ? &out->test_positives : &out->train_positives;
        long *first = test ? &out->test_first : &out->train_first;
        long *last = test ? &out->test_last : &out->train_last;
        (*rows)++;
        *positives += y && y[i];
        if (days) {
            *first = days[i] < *first ? days[i] : *first;
            *last = days[i] > *last ? days[i] : *last;
        }
    }
}

typedef struct {
    long day;
    size_t row;
} dated_row;

static int by_day_then_row(const void *a, const void *b)
{
    const dated_row *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Moves a boundary (the sorted position of the first row of a block) that falls inside a day
 * to the nearer end of that day, to its start on a tie. */
static size_t whole_days(const dated_row *sorted, size_t n, size_t at)
{
    if (at == 0 || at >= n || sorted[at - 1].day != sorted[at].day)
        return at;
    size_t start = at - 1, end = at + 1;
    while (start > 0 && sorted[start - 1].day == sorted[at].day)
        start--;
    while (end < n && sorted[end].day == sorted[at].day)
        end++;
    return at - start <= end - at ? start : end;
}

int ll_cv_time_folds(const long *days, size_t n, size_t folds, double holdout,
                     uint32_t *fold_of_row, ll_error *err)
{
    int is_holdout = holdout > 0.0;
    if (is_holdout && !(holdout < 1.0))
        return ll_error_set(err, "the holdout must be a share in (0, 1), got %g", holdout);
    if (!is_holdout && folds < 2)
        return ll_error_set(err, "forward chaining needs at least 2 folds, got %zu", folds);
    size_t n_blocks = is_holdout ? 2 : folds + 1;
    dated_row *sorted = malloc((n ? n : 1) * sizeof *sorted);
    size_t *start = malloc((n_blocks + 1) * sizeof *start);
    size_t *nominal = malloc((n_blocks + 1) * sizeof *nominal);
    if (!sorted || !start || !nominal) {
        free(sorted);
        free(start);
        free(nominal);
        return ll_error_set(err, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = (dated_row){days[i], i};
    qsort(sorted, n, sizeof *sorted, by_day_then_row);
    /* Where each block would start if days could be split: the later blocks hold equal shares
     * (floor), the first one the remainder. */
    size_t n_last = is_holdout ? (size_t)ceil(holdout * (double)n) : n / n_blocks;
    int rc = 0;
    if (n_last == 0 || n_last >= n || (n_blocks - 1) * n_last >= n)
        rc = ll_error_set(err, "%zu rows cannot make %zu blocks%s", n, n_blocks,
                          is_holdout ? " (earlier rows to train on, the latest to test)" : "");
    for (size_t b = 1; b < n_blocks && rc == 0; b++)
        nominal[b] = n - (n_blocks - b) * n_last;
    start[0] = 0;
    start[n_blocks] = n;
    for (size_t b = 1; b < n_blocks && rc == 0; b++)
        start[b] = whole_days(sorted, n, nominal[b]);
    for (size_t b = 0; b < n_blocks && rc == 0; b++) {
        if (start[b] < start[b + 1])
            continue;
        /* Two boundaries fell into one day and moved to the same end of it. */
        long day = sorted[nominal[b ? b : 1]].day;
        size_t day_rows = 0;
        for (size_t i = 0; i < n; i++)
            day_rows += sorted[i].day == day;
        char date[16];
        ll_format_date(day, date, sizeof date);
        rc = ll_error_set(err, "%zu rows cannot make %zu blocks of whole days of about %zu rows: "
                          "%s alone has %zu rows", n, n_blocks, n_last, date, day_rows);
    }
    for (size_t b = 0; b < n_blocks && rc == 0; b++)
        for (size_t j = start[b]; j < start[b + 1]; j++)
            fold_of_row[sorted[j].row] = b == 0 ? LL_FOLD_EARLIEST : (uint32_t)(b - 1);
    free(sorted);
    free(start);
    free(nominal);
    return rc;
}
