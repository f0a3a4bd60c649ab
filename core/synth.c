/* leadlab synthetic data: a lead-scoring table with train.csv's schema and a signal shaped like
 * the real one, so the quick start and the tests run without the (non-redistributable) data. */
#include "dataset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leadlab/rng.h"

/* Marginals measured on the real train.csv (counts per value, starting at the value given). */
static const unsigned campaign_1_counts[] = { 1593, 3486, 3784, 4018, 4060, 4061, 3756, 3407,
                                              2866, 2392, 1873, 1455, 1059, 714,  456,  181 };
static const unsigned campaign_2_counts[] = { 589,  1788, 2883, 4213, 5250, 5744, 5472, 4690,
                                              3537, 2298, 1410, 761,  351,  151,  24 };
static const unsigned products_counts[] = { 3643, 8867, 5024, 716 };   /* 1..4 */
static const unsigned activity_1_counts[] = { 23869, 14917, 374, 1 };  /* 0..3 */
static const unsigned activity_3_counts[] = { 35134, 4027 };
static const unsigned activity_5_counts[] = { 33244, 5901, 16 };
static const unsigned activity_6_counts[] = { 20777, 17209, 1160, 15 };
static const unsigned activity_7_counts[] = { 28001, 11096, 64 };
static const unsigned activity_8_counts[] = { 32333, 6825, 3 };
static const unsigned activity_11_counts[] = { 30859, 8055, 223, 23, 1 };
static const unsigned activity_12_counts[] = { 39139, 22 };

#define COUNT_OF(a) (sizeof(a) / sizeof *(a))

static unsigned draw_from_counts(ll_rng *rng, const unsigned *counts, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += counts[i];
    uint64_t r = ll_rng_below(rng, total);
    for (size_t i = 0; i < n; i++) {
        if (r < counts[i])
            return (unsigned)i;
        r -= counts[i];
    }
    return (unsigned)(n - 1);
}

static int bernoulli(ll_rng *rng, double p)
{
    return ll_rng_uniform(rng) < p;
}

/* Only +, *, / and sqrt (all exactly rounded by IEEE 754), no exp/log/cos: the same seed then
 * gives the same bytes with any libm. */
static double power(double base, int exponent)
{
    double result = 1.0;
    double factor = exponent >= 0 ? base : 1.0 / base;
    for (int i = 0; i < abs(exponent); i++)
        result *= factor;
    return result;
}

/* Roughly standard normal: the sum of four uniforms (Irwin-Hall) rescaled to unit variance. */
static double approx_normal(ll_rng *rng)
{
    double sum = 0.0;
    for (int i = 0; i < 4; i++)
        sum += ll_rng_uniform(rng);
    return (sum - 2.0) / 0.5773502691896258;
}

typedef struct {
    long created, signup; /* days since 1970-01-01 */
    int has_signup, products;
    unsigned campaign_1, campaign_2, activity[13]; /* activity[1..12] */
    int buy;
} lead;

/* Leads arrive more often as the year goes on (about 1,300 in January to 4,900 in December in
 * the real file): density 1 + a*t on [0, 1), so row i sits at quantile (i + 0.5) / rows, which
 * also keeps the file sorted by date like the real one. */
static long created_day(size_t row, size_t rows)
{
    const double a = 2.8;
    double q = ((double)row + 0.5) / (double)rows;
    double t = (-1.0 + sqrt(1.0 + 2.0 * a * q * (1.0 + a / 2.0))) / a;
    long offset = (long)(t * 365.0);
    return ll_days_from_civil(2021, 1, 1) + (offset > 364 ? 364 : offset);
}

static void draw_lead(ll_rng *rng, size_t row, size_t rows, lead *l)
{
    memset(l, 0, sizeof *l);
    l->created = created_day(row, rows);
    l->has_signup = !bernoulli(rng, 0.386);
    /* The two gaps overlap in the real data: 75 % of leads without a signup date also lack
     * products_purchased, against 40 % of the others. */
    int no_products = bernoulli(rng, l->has_signup ? 0.401 : 0.745);
    l->products = no_products ? 0 : 1 + (int)draw_from_counts(rng, products_counts,
                                                                 COUNT_OF(products_counts));
    if (l->has_signup) {
        double gap = 250.0 + 380.0 * approx_normal(rng); /* days before created_at, may be < 0 */
        long days = (long)(gap >= 0 ? gap + 0.5 : gap - 0.5);
        long latest = ll_days_from_civil(2022, 3, 31); /* the real file's latest signup */
        l->signup = l->created - (days < -450 ? -450 : days);
        if (l->signup > latest)
            l->signup = latest;
    }
    l->campaign_1 = 1 + draw_from_counts(rng, campaign_1_counts, COUNT_OF(campaign_1_counts));
    l->campaign_2 = 1 + draw_from_counts(rng, campaign_2_counts, COUNT_OF(campaign_2_counts));

    unsigned *a = l->activity;
    a[1] = draw_from_counts(rng, activity_1_counts, COUNT_OF(activity_1_counts));
    a[3] = draw_from_counts(rng, activity_3_counts, COUNT_OF(activity_3_counts));
    a[5] = draw_from_counts(rng, activity_5_counts, COUNT_OF(activity_5_counts));
    a[6] = draw_from_counts(rng, activity_6_counts, COUNT_OF(activity_6_counts));
    a[7] = draw_from_counts(rng, activity_7_counts, COUNT_OF(activity_7_counts));
    a[8] = draw_from_counts(rng, activity_8_counts, COUNT_OF(activity_8_counts));
    a[11] = draw_from_counts(rng, activity_11_counts, COUNT_OF(activity_11_counts));
    a[12] = draw_from_counts(rng, activity_12_counts, COUNT_OF(activity_12_counts));
    /* The near-deciding activities happen almost only to users who signed up, and hardly ever
     * together with activity 8 (whose buy rate is 0.4 % in the real data). */
    int engaged = l->has_signup && a[8] == 0;
    a[2] = (unsigned)bernoulli(rng, engaged ? 0.011 : 0.0004);
    a[4] = (unsigned)bernoulli(rng, engaged ? 0.018 : 0.0013);
    a[9] = (unsigned)bernoulli(rng, engaged ? 0.018 : 0.0003);
    a[10] = (unsigned)bernoulli(rng, engaged ? 0.0007 : 0.0);
    if (!engaged) {
        a[5] = a[5] > 1 ? 1 : a[5];
        a[11] = a[11] > 1 ? 1 : a[11];
    }

    /* Label: a few activities nearly decide it (as var_2, var_9 do in the real data); otherwise
     * a multiplicative risk falling with the campaign variables, rising with activity 5 and 11,
     * collapsing without a signup date or with activity 8. */
    double p;
    if (a[2] || a[9] || a[10] || a[5] >= 2 || a[11] >= 2) {
        p = 0.995;
    } else if (a[4]) {
        p = 0.86;
    } else {
        p = 0.021 * power(0.88, (int)l->campaign_1 - 6) * power(0.82, (int)l->campaign_2 - 6);
        if (a[5] == 1)
            p *= 2.4;
        if (a[11] == 1)
            p *= 3.0;
        if (a[8] >= 1)
            p *= 0.08;
        if (a[1] >= 1)
            p *= 1.6;
        if (l->products == 4)
            p *= 1.8;
        if (!l->has_signup)
            p *= 0.03;
        if (p > 0.95)
            p = 0.95;
    }
    l->buy = bernoulli(rng, p);
}

static int write_date(FILE *file, long days)
{
    int year, month, day;
    ll_civil_from_days(days, &year, &month, &day);
    return fprintf(file, "%04d-%02d-%02d", year, month, day) < 0 ? -1 : 0;
}

static int write_lead(FILE *file, size_t id, const lead *l)
{
    if (fprintf(file, "%zu,", id) < 0 || write_date(file, l->created) != 0 ||
        fprintf(file, ",%u,%u,", l->campaign_1, l->campaign_2) < 0)
        return -1;
    if (l->products && fprintf(file, "%d.0", l->products) < 0)
        return -1;
    if (fputc(',', file) == EOF || (l->has_signup && write_date(file, l->signup) != 0))
        return -1;
    for (int v = 1; v <= 12; v++)
        if (fprintf(file, ",%u", l->activity[v]) < 0)
            return -1;
    return fprintf(file, ",%d\n", l->buy) < 0 ? -1 : 0;
}

int ll_synth_write(const char *path, size_t rows, uint64_t seed, ll_error *err)
{
    static const char header[] =
        "id,created_at,campaign_var_1,campaign_var_2,products_purchased,signup_date,"
        "user_activity_var_1,user_activity_var_2,user_activity_var_3,user_activity_var_4,"
        "user_activity_var_5,user_activity_var_6,user_activity_var_7,user_activity_var_8,"
        "user_activity_var_9,user_activity_var_10,user_activity_var_11,user_activity_var_12,"
        "buy\n";
    if (rows == 0)
        return ll_error_set(err, "%s: a synthetic dataset needs at least one row", path);

    /* Written next to the target and renamed, so readers never see half a file. */
    size_t path_len = strlen(path);
    char *temp_path = malloc(path_len + sizeof ".XXXXXX");
    if (!temp_path)
        return ll_error_set(err, "%s: out of memory", path);
    memcpy(temp_path, path, path_len);
    memcpy(temp_path + path_len, ".XXXXXX", sizeof ".XXXXXX");
    int fd = mkstemp(temp_path);
    if (fd < 0) {
        int saved = errno;
        free(temp_path);
        return ll_error_set(err, "%s: cannot create a temporary file: %s", path, strerror(saved));
    }
    fchmod(fd, 0644); /* mkstemp's 0600 suits a temporary, not a dataset others read */
    FILE *file = fdopen(fd, "w");
    if (!file) {
        int saved = errno;
        close(fd);
        unlink(temp_path);
        free(temp_path);
        return ll_error_set(err, "%s: cannot write: %s", path, strerror(saved));
    }

    ll_rng rng;
    ll_rng_seed(&rng, seed);
    int failed = fputs(header, file) == EOF;
    for (size_t i = 0; i < rows && !failed; i++) {
        lead l;
        draw_lead(&rng, i, rows, &l);
        failed = write_lead(file, i + 1, &l) != 0;
    }
    int saved = errno;
    if (fclose(file) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (!failed && rename(temp_path, path) != 0) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        unlink(temp_path);
        free(temp_path);
        return ll_error_io(err, "%s: cannot write: %s", path, strerror(saved));
    }
    free(temp_path);
    return 0;
}
