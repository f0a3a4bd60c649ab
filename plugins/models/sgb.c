/* leadlab model `sgb`: Friedman's stochastic gradient boosting with the logistic loss. Each
 * tree is grown on a row subsample by second-order (XGBoost) gain with Newton leaf values;
 * P(y = 1) is the sigmoid of the initial log-odds plus the shrunken tree outputs. Saves its
 * trees, and reports each feature's summed second-order gain as its importance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binning.h"
#include "leadlab/plugin.h"
#include "tree.h"

#define MAX_TREES 100000

/* The saved-model layout: this number, n_cols, the initial log-odds, the tree count, then the
 * trees (tree.h) with the learning rate already in their leaves. */
#define SAVE_FORMAT 1u

static const ll_param sgb_params[] = {
    {"n_estimators", LL_P_INT, "100", 1, MAX_TREES, NULL, "boosting rounds (trees)", 0},
    {"learning_rate", LL_P_REAL, "0.1", 0, 1, NULL, "shrinkage of every tree's output",
     LL_P_MIN_EXCLUSIVE},
    {"max_depth", LL_P_INT, "3", 1, 32, NULL, "depth of each tree", 0},
    {"subsample", LL_P_REAL, "1.0", 0, 1, NULL,
     "fraction of the training rows drawn without replacement for each tree", LL_P_MIN_EXCLUSIVE},
    {"min_samples_leaf", LL_P_INT, "1", 1, 1e9, NULL,
     "fewest training rows in a leaf, among those drawn for the tree", 0},
    {"l2", LL_P_REAL, "0", 0, INFINITY, NULL,
     "L2 penalty on leaf values (XGBoost's lambda); 0 = scikit-learn's plain Newton step", 0},
    {"min_gain", LL_P_REAL, "0", 0, INFINITY, NULL,
     "smallest loss reduction a split must exceed (XGBoost's gamma)", 0},
    {"max_features", LL_P_REAL, "1.0", 0, 1, "sqrt",
     "features tried per split: a fraction of them, or sqrt", LL_P_MIN_EXCLUSIVE},
    {"max_bins", LL_P_INT, "255", 2, LL_BINNING_MAX_BINS, NULL,
     "quantile bins per feature, edges from the training rows", 0},
    {"early_stopping_rounds", LL_P_INT, "0", 0, 100000, NULL,
     "stop when the validation loss has not improved for this many trees; 0 = off", 0},
    {"validation_fraction", LL_P_REAL, "0.1", 0, 1, NULL,
     "stratified share of the training rows held out for early stopping",
     LL_P_MIN_EXCLUSIVE | LL_P_MAX_EXCLUSIVE},
    {"scale_pos_weight", LL_P_REAL, "1", 0, 1e6, NULL,
     "weight of positive rows in the loss (multiplies their gradients and hessians)",
     LL_P_MIN_EXCLUSIVE},
};

/* Seed stream of the early-stopping split, apart from the per-tree streams 0, 1, 2, ... */
#define VALIDATION_STREAM UINT64_MAX

typedef struct {
    long n_estimators;
    double learning_rate;
    int max_depth;
    double subsample;
    long min_samples_leaf;
    double l2, min_gain;
    char max_features[32];
    double max_features_fraction; /* NaN for sqrt */
    int max_bins;
    long early_stopping_rounds;
    double validation_fraction;
    double scale_pos_weight;
    /* the fitted model */
    size_t n_cols;
    double base_score; /* log-odds of the weighted positive rate */
    ll_tree *trees;    /* n_trees, leaf values already multiplied by the learning rate */
    size_t n_trees;
    int loaded;        /* built by load: no parameters to fit with */
} sgb_state;

static void free_trees(sgb_state *s)
{
    for (size_t t = 0; t < s->n_trees; t++)
        ll_tree_free(&s->trees[t]);
    free(s->trees);
    s->trees = NULL;
    s->n_trees = 0;
}

static void sgb_destroy(void *state)
{
    if (!state)
        return;
    free_trees(state);
    free(state);
}

static ll_status sgb_create(const ll_host *host, const ll_params *params, void **state,
                            ll_err *err)
{
    sgb_state *s = calloc(1, sizeof *s);
    if (!s)
        return ll_fail(err, LL_ENOMEM, "sgb: out of memory");
    s->n_estimators = host->integer(params, "n_estimators");
    s->learning_rate = host->real(params, "learning_rate");
    s->max_depth = (int)host->integer(params, "max_depth");
    s->subsample = host->real(params, "subsample");
    s->min_samples_leaf = host->integer(params, "min_samples_leaf");
    s->l2 = host->real(params, "l2");
    s->min_gain = host->real(params, "min_gain");
    snprintf(s->max_features, sizeof s->max_features, "%s", host->string(params, "max_features"));
    s->max_features_fraction = host->real(params, "max_features");
    s->max_bins = (int)host->integer(params, "max_bins");
    s->early_stopping_rounds = host->integer(params, "early_stopping_rounds");
    s->validation_fraction = host->real(params, "validation_fraction");
    s->scale_pos_weight = host->real(params, "scale_pos_weight");
    *state = s;
    return LL_OK;
}

/* Rows the trees learn from and, with early stopping, the rows that judge them. */
typedef struct {
    double *x_fit, *x_val; /* owned copies, only when a validation part is held out */
    uint8_t *y_fit, *y_val;
    ll_data fit, val;      /* fit may borrow the caller's data */
} sgb_split;

static void split_free(sgb_split *sp)
{
    free(sp->x_fit);
    free(sp->x_val);
    free(sp->y_fit);
    free(sp->y_val);
}

static void count_classes(const ll_data *d, size_t *pos, size_t *neg)
{
    *pos = 0;
    for (size_t i = 0; i < d->n_rows; i++)
        *pos += d->y[i] != 0;
    *neg = d->n_rows - *pos;
}

/* Holds out round(validation_fraction * class size) rows of each class, drawn from the seed. */
static ll_status split_validation(const sgb_state *s, const ll_data *train, uint64_t seed,
                                  sgb_split *sp, ll_err *err)
{
    size_t n = train->n_rows, n_cols = train->n_cols;
    uint8_t *in_val = calloc(n, 1);
    size_t *members = malloc(n * sizeof *members);
    if (!in_val || !members) {
        free(in_val);
        free(members);
        return ll_fail(err, LL_ENOMEM, "sgb: out of memory");
    }
    ll_rng rng;
    ll_rng_seed(&rng, ll_seed_mix(seed, VALIDATION_STREAM));
    size_t n_val = 0;
    for (int cls = 0; cls <= 1; cls++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if ((train->y[i] != 0) == cls)
                members[m++] = i;
        size_t k = (size_t)llround(s->validation_fraction * (double)m);
        if (k == 0 || k == m) {
            free(in_val);
            free(members);
            return ll_fail(err, LL_EINVAL,
                           "sgb: validation_fraction=%g holds out %zu of the %zu rows of class "
                           "%d; early stopping needs the class on both sides",
                           s->validation_fraction, k, m, cls);
        }
        ll_rng_shuffle_size(&rng, members, m);
        for (size_t j = 0; j < k; j++)
            in_val[members[j]] = 1;
        n_val += k;
    }
    free(members);
    size_t n_fit = n - n_val;
    sp->x_fit = malloc(n_fit * n_cols * sizeof *sp->x_fit);
    sp->x_val = malloc(n_val * n_cols * sizeof *sp->x_val);
    sp->y_fit = malloc(n_fit);
    sp->y_val = malloc(n_val);
    if (!sp->x_fit || !sp->x_val || !sp->y_fit || !sp->y_val) {
        free(in_val);
        return ll_fail(err, LL_ENOMEM, "sgb: out of memory");
    }
    size_t f = 0, v = 0;
    for (size_t i = 0; i < n; i++) {
        const double *row = train->x + i * n_cols;
        if (in_val[i]) {
            memcpy(sp->x_val + v * n_cols, row, n_cols * sizeof *row);
            sp->y_val[v++] = train->y[i];
        } else {
            memcpy(sp->x_fit + f * n_cols, row, n_cols * sizeof *row);
            sp->y_fit[f++] = train->y[i];
        }
    }
    free(in_val);
    sp->fit = (ll_data){sp->x_fit, sp->y_fit, n_fit, n_cols, train->col_binary,
                        train->col_names};
    sp->val = (ll_data){sp->x_val, sp->y_val, n_val, n_cols, train->col_binary,
                        train->col_names};
    return LL_OK;
}

static ll_status check_train(const sgb_state *s, const ll_data *train, ll_err *err)
{
    if (train->n_rows == 0 || train->n_cols == 0)
        return ll_fail(err, LL_EINVAL, "sgb: no training data (%zu rows, %zu columns)",
                       train->n_rows, train->n_cols);
    if (train->n_cols > LL_TREE_MAX_COLS || train->n_rows > LL_BINNING_MAX_ROWS)
        return ll_fail(err, LL_EINVAL, "sgb: %zu x %zu exceeds the %d features or %u rows a "
                       "tree can address", train->n_rows, train->n_cols, LL_TREE_MAX_COLS,
                       (unsigned)LL_BINNING_MAX_ROWS);
    if ((size_t)s->min_samples_leaf > train->n_rows)
        return ll_fail(err, LL_EINVAL, "sgb: min_samples_leaf=%ld exceeds the %zu training rows",
                       s->min_samples_leaf, train->n_rows);
    size_t pos, neg;
    count_classes(train, &pos, &neg);
    if (pos == 0 || neg == 0)
        return ll_fail(err, LL_EINVAL, "sgb: the training rows hold only class %d; the initial "
                       "log-odds needs both", pos ? 1 : 0);
    size_t cells = train->n_rows * train->n_cols;
    for (size_t i = 0; i < cells; i++)
        if (!isfinite(train->x[i]))
            return ll_fail(err, LL_EINVAL, "sgb: training row %zu has a non-finite value",
                           i / train->n_cols);
    return LL_OK;
}

/* log(1 + exp(z)) without overflow. */
static double softplus(double z) { return z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z)); }

/* Weighted logistic loss of scores against labels (positives weigh scale_pos_weight). */
static double log_loss(const double *score, const uint8_t *y, size_t n, double pos_weight)
{
    double sum = 0.0, weight = 0.0;
    for (size_t i = 0; i < n; i++) {
        double w = y[i] ? pos_weight : 1.0;
        sum += w * softplus(y[i] ? -score[i] : score[i]);
        weight += w;
    }
    return sum / weight;
}

/* Draws m of n rows without replacement, ascending (Knuth's selection sampling). */
static size_t subsample_rows(ll_rng *rng, size_t n, size_t m, size_t *rows)
{
    size_t chosen = 0;
    if (m >= n) {
        for (size_t r = 0; r < n; r++)
            rows[r] = r;
        return n;
    }
    /* Row r is taken with probability (still wanted) / (still left); once every remaining
     * row is wanted, (n - r) * u < n - r always holds, so exactly m come out. Branch-free
     * with the generator in registers: the take is a coin flip. */
    ll_rng local = *rng;
    for (size_t r = 0; r < n && chosen < m; r++) {
        rows[chosen] = r;
        chosen += (double)(n - r) * ll_rng_uniform(&local) < (double)(m - chosen);
    }
    *rng = local;
    return chosen;
}

/* Scratch of the boosting loop. Fit rows with equal bin codes share one binned row: they get
 * the same score from every tree, so their gradients are summed into that row's stats. */
typedef struct {
    ll_binned binned;
    uint32_t *group;      /* fit row -> binned row */
    ll_tree_workspace *ws;
    double *score;        /* per binned row: the model's raw score so far */
    double *prob;         /* per binned row: sigmoid(score) */
    ll_row_stats *stats;  /* per binned row: this round's summed gradients, hessians, rows */
    size_t *drawn;        /* fit rows drawn this round */
    size_t *rows;         /* binned rows drawn this round */
    double *val_score;    /* per validation row */
} booster;

static void booster_free(booster *b)
{
    ll_tree_workspace_free(b->ws);
    ll_binned_free(&b->binned);
    free(b->group);
    free(b->score);
    free(b->prob);
    free(b->stats);
    free(b->drawn);
    free(b->rows);
    free(b->val_score);
}

static int booster_init(booster *b, const sgb_state *s, const sgb_split *sp)
{
    size_t n = sp->fit.n_rows;
    if (ll_binned_build_merged(&b->binned, &b->group, sp->fit.x, n, sp->fit.n_cols,
                               s->max_bins) != LL_OK)
        return -1;
    size_t m = b->binned.n_rows;
    b->ws = ll_tree_workspace_new(&b->binned);
    b->score = malloc(m * sizeof *b->score);
    b->prob = malloc(m * sizeof *b->prob);
    b->stats = malloc(m * sizeof *b->stats);
    b->drawn = malloc(n * sizeof *b->drawn);
    b->rows = malloc(m * sizeof *b->rows);
    b->val_score = malloc((sp->val.n_rows + 1) * sizeof *b->val_score);
    if (!b->ws || !b->score || !b->prob || !b->stats || !b->drawn || !b->rows || !b->val_score)
        return -1;
    for (size_t u = 0; u < m; u++)
        b->score[u] = s->base_score;
    for (size_t i = 0; i < sp->val.n_rows; i++)
        b->val_score[i] = s->base_score;
    return 0;
}

/* Sums the weighted logistic loss's gradient and hessian of the drawn fit rows into their
 * binned rows; returns how many binned rows were hit (listed ascending in b->rows). */
static size_t gather_gradients(booster *b, const uint8_t *y, double pos_weight, size_t n_drawn)
{
    size_t m = b->binned.n_rows;
    for (size_t u = 0; u < m; u++)
        b->prob[u] = 1.0 / (1.0 + exp(-b->score[u]));
    memset(b->stats, 0, m * sizeof *b->stats);
    for (size_t i = 0; i < n_drawn; i++) {
        size_t r = b->drawn[i];
        double p = b->prob[b->group[r]];
        double w = y[r] ? pos_weight : 1.0;
        ll_row_stats *st = &b->stats[b->group[r]];
        st->g += w * (p - (y[r] ? 1.0 : 0.0));
        st->h += w * p * (1.0 - p);
        st->n++;
    }
    size_t n_rows = 0;
    for (size_t u = 0; u < m; u++)
        if (b->stats[u].n > 0)
            b->rows[n_rows++] = u;
    return n_rows;
}

/* The boosting rounds; with early stopping the trees after the best round are dropped. */
static ll_status boost(sgb_state *s, booster *b, const sgb_split *sp, uint64_t seed,
                       const ll_tree_params *tp, ll_err *err)
{
    size_t n = sp->fit.n_rows;
    size_t m = (size_t)floor(s->subsample * (double)n);
    int stopping = s->early_stopping_rounds > 0;
    double best_loss = INFINITY;
    size_t best_round = 0;
    for (long t = 0; t < s->n_estimators; t++) {
        ll_rng rng;
        ll_rng_seed(&rng, ll_seed_mix(seed, (uint64_t)t));
        size_t n_drawn = subsample_rows(&rng, n, m ? m : 1, b->drawn);
        size_t n_rows = gather_gradients(b, sp->fit.y, s->scale_pos_weight, n_drawn);
        ll_tree *tree = &s->trees[s->n_trees];
        ll_status st = ll_tree_fit(tree, b->ws, tp, b->stats, b->rows, n_rows, &rng);
        s->n_trees++;
        if (st != LL_OK)
            return ll_fail(err, st, "sgb: out of memory growing tree %ld", t);
        ll_tree_scale_leaves(tree, s->learning_rate);
        if (!ll_tree_is_finite(tree))
            return ll_fail(err, LL_ENUMERIC, "sgb: tree %ld has a non-finite leaf value", t);
        ll_tree_predict_binned_add(tree, &b->binned, b->score);
        if (!stopping)
            continue;
        ll_tree_predict_add(tree, sp->val.x, sp->val.n_rows, sp->val.n_cols, b->val_score);
        double loss = log_loss(b->val_score, sp->val.y, sp->val.n_rows, s->scale_pos_weight);
        if (loss < best_loss) {
            best_loss = loss;
            best_round = (size_t)t;
        } else if ((size_t)t - best_round >= (size_t)s->early_stopping_rounds) {
            break;
        }
    }
    if (stopping)
        while (s->n_trees > best_round + 1)
            ll_tree_free(&s->trees[--s->n_trees]);
    return LL_OK;
}

static ll_status sgb_fit(void *state, const ll_data *train, uint64_t seed, int threads,
                         ll_err *err)
{
    sgb_state *s = state;
    if (s->loaded)
        return ll_fail(err, LL_EINVAL, "sgb: a loaded model cannot be fitted again; create one "
                       "from parameters");
    ll_status st = check_train(s, train, err);
    if (st != LL_OK)
        return st;
    free_trees(s);
    sgb_split sp = {.fit = *train};
    if (s->early_stopping_rounds > 0) {
        st = split_validation(s, train, seed, &sp, err);
        if (st != LL_OK) {
            split_free(&sp);
            return st;
        }
    }
    size_t pos, neg;
    count_classes(&sp.fit, &pos, &neg);
    s->n_cols = train->n_cols;
    s->base_score = log(s->scale_pos_weight * (double)pos / (double)neg);
    s->trees = calloc((size_t)s->n_estimators, sizeof *s->trees);
    booster b = {0};
    if (!s->trees || booster_init(&b, s, &sp) != 0) {
        booster_free(&b);
        split_free(&sp);
        free_trees(s);
        return ll_fail(err, LL_ENOMEM, "sgb: out of memory for %zu rows", train->n_rows);
    }
    ll_tree_params tp = {
        .criterion = LL_TREE_NEWTON,
        .max_depth = s->max_depth,
        .min_samples_leaf = (size_t)s->min_samples_leaf,
        .min_gain = s->min_gain,
        .l2 = s->l2,
        .n_try = ll_tree_n_try(s->max_features, s->max_features_fraction, train->n_cols),
        .threads = threads,
    };
    st = boost(s, &b, &sp, seed, &tp, err);
    booster_free(&b);
    split_free(&sp);
    if (st != LL_OK)
        free_trees(s);
    return st;
}

static ll_status sgb_predict(const void *state, const ll_data *x, int threads, double *out,
                     ll_err *err)
{
    const sgb_state *s = state;
    if (!s->trees)
        return ll_fail(err, LL_EINVAL, "sgb: predict before fit");
    if (x->n_cols != s->n_cols)
        return ll_fail(err, LL_EINVAL, "sgb: %zu columns to predict, the model has %zu",
                       x->n_cols, s->n_cols);
    for (size_t i = 0; i < x->n_rows; i++)
        out[i] = s->base_score;
    ll_trees_predict_add(s->trees, s->n_trees, x->x, x->n_rows, x->n_cols, threads, out);
    for (size_t i = 0; i < x->n_rows; i++)
        out[i] = 1.0 / (1.0 + exp(-out[i]));
    return LL_OK;
}

/* Each feature's gain 0.5 * (GL^2/(HL+l2) + GR^2/(HR+l2) - G^2/(H+l2)) summed over the
 * splits of every tree, scaled to sum to 1. */
static ll_status sgb_importances(const void *state, size_t n_cols, double *out, ll_err *err)
{
    const sgb_state *s = state;
    if (!s->trees)
        return ll_fail(err, LL_EINVAL, "sgb: importances before fit");
    if (n_cols != s->n_cols)
        return ll_fail(err, LL_EINVAL, "sgb: importances for %zu columns, the model has %zu",
                       n_cols, s->n_cols);
    ll_trees_gain_importances(s->trees, s->n_trees, n_cols, out);
    return LL_OK;
}

static ll_status sgb_save(const void *state, ll_writer *out, ll_err *err)
{
    const sgb_state *s = state;
    if (!s->trees)
        return ll_fail(err, LL_EINVAL, "sgb: save before fit");
    int failed = ll_write_u64(out, SAVE_FORMAT) || ll_write_size(out, s->n_cols) ||
                 ll_write_f64(out, s->base_score) || ll_forest_save(s->trees, s->n_trees, out);
    return failed ? ll_fail(err, LL_EFAIL, "sgb: could not write the model bytes") : LL_OK;
}

static ll_status load_corrupt(sgb_state *s, ll_status st, const char *why, ll_err *err)
{
    sgb_destroy(s);
    if (st == LL_ENOMEM)
        return ll_fail(err, st, "sgb: out of memory loading the model");
    return ll_fail(err, LL_EINVAL, "sgb: model bytes truncated or corrupt (%s)", why);
}

static ll_status sgb_load(const ll_host *host, ll_reader *in, void **state, ll_err *err)
{
    (void)host;
    *state = NULL;
    uint64_t format;
    if (ll_read_u64(in, &format) != 0)
        return load_corrupt(NULL, LL_EINVAL, "no format number", err);
    if (format != SAVE_FORMAT)
        return ll_fail(err, LL_EINVAL, "sgb: model bytes in format %llu, this version reads "
                       "format %u", (unsigned long long)format, SAVE_FORMAT);
    size_t n_cols, n_trees;
    double base_score;
    if (ll_read_size(in, 0, LL_TREE_MAX_COLS, &n_cols) != 0 || n_cols == 0)
        return load_corrupt(NULL, LL_EINVAL, "feature count", err);
    if (ll_read_f64(in, &base_score) != 0 || !isfinite(base_score))
        return load_corrupt(NULL, LL_EINVAL, "initial log-odds", err);
    sgb_state *s = calloc(1, sizeof *s);
    if (!s)
        return load_corrupt(s, LL_ENOMEM, NULL, err);
    /* fit keeps at least one tree, and so does a saved model */
    char why[160];
    ll_status st = ll_forest_load(&s->trees, &n_trees, in, n_cols, MAX_TREES, why, sizeof why);
    if (st != LL_OK)
        return load_corrupt(s, st, why, err);
    s->n_trees = n_trees;
    s->n_cols = n_cols;
    s->base_score = base_score;
    s->loaded = 1;
    *state = s;
    return LL_OK;
}

static const ll_model_vt sgb_vt = {
    .struct_size = sizeof(ll_model_vt),
    .create = sgb_create,
    .fit = sgb_fit,
    .predict_proba = sgb_predict,
    .destroy = sgb_destroy,
    .save = sgb_save,
    .load = sgb_load,
    .importances = sgb_importances,
    .importance_kind = "gain",
};

static const ll_plugin sgb_plugin = {
    LL_PLUGIN_ABI,
    .name = "sgb",
    .version = "1.1.0",
    .summary = "stochastic gradient boosting (logistic loss, Newton leaves, histogram trees)",
    LL_PARAMS(sgb_params),
    .model = &sgb_vt,
};

LL_EXPORT const ll_plugin *leadlab_plugin(void) { return &sgb_plugin; }
