/* leadlab model `dnn`: a multilayer perceptron (mlp.h) trained with Adam on mini-batches of
 * weighted binary cross-entropy, with optional early stopping on a stratified validation split
 * of the training rows. Saves the network for evaluation-mode prediction. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leadlab/plugin.h"
#include "adam.h"
#include "mlp.h"

/* The saved-model layout: this number, the activation's code, then the network (mlp.h). */
#define SAVE_FORMAT 1u
enum { ACTIVATION_RELU = 0 };

static const ll_param dnn_params[] = {
    {"hidden", LL_P_INT_LIST, "[64, 64]", 1, LL_MLP_MAX_WIDTH, NULL,
     "widths of the hidden layers; [] = logistic regression (no hidden layer)", 0},
    {"activation", LL_P_STR, "relu", 0, 0, "relu", "hidden activation", 0},
    {"batchnorm", LL_P_BOOL, "true", 0, 0, NULL,
     "batch norm after each hidden ReLU (batch statistics in training, running averages with "
     "momentum 0.1 at prediction)", 0},
    {"dropout", LL_P_REAL, "0.1", 0, 1, NULL,
     "probability of zeroing a unit of the last hidden block in training (inverted dropout)",
     LL_P_MAX_EXCLUSIVE},
    {"lr", LL_P_REAL, "1e-3", 0, 10, NULL, "Adam learning rate", LL_P_MIN_EXCLUSIVE},
    {"beta1", LL_P_REAL, "0.9", 0, 1, NULL, "Adam decay of the gradient mean",
     LL_P_MAX_EXCLUSIVE},
    {"beta2", LL_P_REAL, "0.999", 0, 1, NULL, "Adam decay of the squared gradient mean",
     LL_P_MAX_EXCLUSIVE},
    {"weight_decay", LL_P_REAL, "0", 0, 1e6, NULL,
     "decoupled weight decay (AdamW) on the weight matrices; biases and batch norm not decayed",
     0},
    {"batch_size", LL_P_INT, "64", 1, 1 << 20, NULL, "rows per Adam step", 0},
    {"epochs", LL_P_INT, "30", 1, 100000, NULL, "passes over the training rows", 0},
    {"pos_weight", LL_P_REAL, "1", 0, 1e6, "balanced",
     "loss weight of a positive row; balanced = negatives / positives", LL_P_MIN_EXCLUSIVE},
    {"early_stopping", LL_P_INT, "0", 0, 100000, NULL,
     "patience in epochs on the validation loss, keeping the best weights; 0 = off", 0},
    {"validation_fraction", LL_P_REAL, "0.1", 0, 1, NULL,
     "stratified share of the training rows held out when early_stopping > 0",
     LL_P_MIN_EXCLUSIVE | LL_P_MAX_EXCLUSIVE},
};

typedef struct {
    size_t *widths;
    size_t n_hidden;
    int batchnorm;
    double dropout;
    double lr, beta1, beta2, weight_decay;
    size_t batch_size, epochs;
    double pos_weight; /* NAN = balanced */
    size_t patience;   /* 0 = no early stopping */
    double validation_fraction;
} dnn_config;

typedef struct {
    const ll_host *host;
    dnn_config cfg;
    ll_mlp net;
    int fitted;
    int loaded; /* built by load: no training configuration */
} dnn_state;

/* Independent streams, so that e.g. turning dropout on does not change the initial weights. */
enum { STREAM_INIT = 1, STREAM_VALIDATION, STREAM_SHUFFLE, STREAM_DROPOUT };

/* Decoupled weight decay (AdamW, Loshchilov & Hutter 2019), applied before the Adam step as
 * torch.optim.AdamW does, to the weight matrices only. */
static void decay_weights(ll_mlp *net, double lr, double weight_decay)
{
    double keep = 1.0 - lr * weight_decay;
    for (size_t l = 0; l < net->n_layers; l++) {
        double *w = net->params + net->layers[l].weight;
        size_t count = net->layers[l].fan_in * net->layers[l].fan_out;
        for (size_t i = 0; i < count; i++)
            w[i] *= keep;
    }
}

/* ---- data splits ----------------------------------------------------------------------- */

/* Row indices of the training part and the validation part (stratified: the same share of
 * each class goes to validation, drawn at random). Without early stopping, every row trains. */
typedef struct {
    size_t *train, *valid;
    size_t n_train, n_valid;
} row_split;

static ll_status split_rows(const ll_data *data, const dnn_config *cfg, uint64_t seed,
                            row_split *split, ll_err *err)
{
    size_t n = data->n_rows;
    memset(split, 0, sizeof *split);
    split->train = malloc(n * sizeof *split->train);
    split->valid = malloc(n * sizeof *split->valid);
    if (!split->train || !split->valid)
        return ll_fail(err, LL_ENOMEM, "dnn: out of memory for %zu rows", n);
    if (cfg->patience == 0) {
        for (size_t i = 0; i < n; i++)
            split->train[i] = i;
        split->n_train = n;
        return LL_OK;
    }
    ll_rng rng;
    ll_rng_seed(&rng, ll_seed_mix(seed, STREAM_VALIDATION));
    /* valid[] temporarily holds each class's rows in turn, shuffled; the first share stays */
    for (int label = 1; label >= 0; label--) {
        size_t n_class = 0;
        size_t *rows = split->valid + split->n_valid;
        for (size_t i = 0; i < n; i++)
            if ((data->y[i] != 0) == label)
                rows[n_class++] = i;
        ll_rng_shuffle_size(&rng, rows, n_class);
        size_t n_held = (size_t)floor(cfg->validation_fraction * (double)n_class + 0.5);
        for (size_t i = n_held; i < n_class; i++)
            split->train[split->n_train++] = rows[i];
        split->n_valid += n_held;
    }
    if (split->n_valid == 0 || split->n_train == 0)
        return ll_fail(err, LL_EINVAL,
                       "dnn: validation_fraction=%g of %zu rows leaves %zu for validation and "
                       "%zu for training",
                       cfg->validation_fraction, n, split->n_valid, split->n_train);
    return LL_OK;
}

static void gather_rows(const ll_data *data, const size_t *rows, size_t count, double *x,
                        uint8_t *y)
{
    size_t d = data->n_cols;
    for (size_t i = 0; i < count; i++) {
        memcpy(x + i * d, data->x + rows[i] * d, d * sizeof *x);
        y[i] = data->y[rows[i]];
    }
}

static ll_status resolve_pos_weight(const dnn_config *cfg, const ll_data *data,
                                    const row_split *split, double *pos_weight, ll_err *err)
{
    if (!isnan(cfg->pos_weight)) {
        *pos_weight = cfg->pos_weight;
        return LL_OK;
    }
    size_t n_pos = 0;
    for (size_t i = 0; i < split->n_train; i++)
        n_pos += data->y[split->train[i]] != 0;
    if (n_pos == 0 || n_pos == split->n_train)
        return ll_fail(err, LL_EINVAL,
                       "dnn: pos_weight=balanced needs both classes; the %zu training rows have "
                       "%zu positives",
                       split->n_train, n_pos);
    *pos_weight = (double)(split->n_train - n_pos) / (double)n_pos;
    return LL_OK;
}

/* ---- training -------------------------------------------------------------------------- */

/* Everything fit allocates besides the network, freed in one place. */
typedef struct {
    row_split split;
    ll_adam opt;
    double *grad;
    double *batch_x, *valid_x, *valid_logits, *scratch;
    uint8_t *batch_y, *valid_y;
    double *best_params, *best_mean, *best_var;
    ll_mlp_batch *batch;
} fit_buffers;

static void fit_buffers_free(fit_buffers *b)
{
    free(b->split.train);
    free(b->split.valid);
    ll_adam_free(&b->opt);
    free(b->grad);
    free(b->batch_x);
    free(b->valid_x);
    free(b->valid_logits);
    free(b->scratch);
    free(b->batch_y);
    free(b->valid_y);
    free(b->best_params);
    free(b->best_mean);
    free(b->best_var);
    ll_mlp_batch_free(b->batch);
}

static int fit_buffers_alloc(fit_buffers *b, const ll_mlp *net, const ll_data *data,
                             size_t batch_rows)
{
    size_t d = data->n_cols, n_valid = b->split.n_valid, stats = net->n_stats ? net->n_stats : 1;
    size_t p = net->n_params;
    int opt_ok = ll_adam_init(&b->opt, p) == 0;
    b->grad = malloc(p * sizeof(double));
    b->batch_x = malloc(batch_rows * d * sizeof(double));
    b->batch_y = malloc(batch_rows);
    b->batch = ll_mlp_batch_new(net, batch_rows);
    int ok = opt_ok && b->grad && b->batch_x && b->batch_y && b->batch;
    if (n_valid) {
        b->valid_x = malloc(n_valid * d * sizeof(double));
        b->valid_y = malloc(n_valid);
        b->valid_logits = malloc(n_valid * sizeof(double));
        b->scratch = malloc(ll_mlp_scratch_size(net) * sizeof(double));
        b->best_params = malloc(p * sizeof(double));
        b->best_mean = malloc(stats * sizeof(double));
        b->best_var = malloc(stats * sizeof(double));
        ok = ok && b->valid_x && b->valid_y && b->valid_logits && b->scratch && b->best_params &&
             b->best_mean && b->best_var;
    }
    return ok ? 0 : -1;
}

static double validation_loss(const ll_mlp *net, fit_buffers *b, double pos_weight)
{
    size_t n = b->split.n_valid;
    ll_mlp_logits(net, b->valid_x, n, b->valid_logits, b->scratch);
    double loss = 0.0;
    for (size_t i = 0; i < n; i++)
        loss += (b->valid_y[i] ? pos_weight : 1.0) * ll_mlp_bce(b->valid_logits[i], b->valid_y[i]);
    return loss / (double)n;
}

/* Copies the network's current values into the best-so-far slots, or back (restore). */
static void keep_best(ll_mlp *net, fit_buffers *b, int restore)
{
    size_t stat_bytes = net->n_stats * sizeof(double);
    if (restore) {
        memcpy(net->params, b->best_params, net->n_params * sizeof(double));
        if (net->batchnorm) {
            memcpy(net->running_mean, b->best_mean, stat_bytes);
            memcpy(net->running_var, b->best_var, stat_bytes);
        }
        return;
    }
    memcpy(b->best_params, net->params, net->n_params * sizeof(double));
    if (net->batchnorm) {
        memcpy(b->best_mean, net->running_mean, stat_bytes);
        memcpy(b->best_var, net->running_var, stat_bytes);
    }
}

/* One pass over the training rows in a fresh random order; returns the mean batch loss
 * (NaN or Inf when training diverged). */
static double train_epoch(const dnn_config *cfg, ll_mlp *net, const ll_data *data,
                          fit_buffers *b, double pos_weight, ll_rng *shuffle, ll_rng *dropout)
{
    size_t n = b->split.n_train, batches = 0;
    double loss_sum = 0.0;
    ll_rng_shuffle_size(shuffle, b->split.train, n);
    for (size_t start = 0; start < n; start += cfg->batch_size) {
        size_t rows = n - start < cfg->batch_size ? n - start : cfg->batch_size;
        if (net->batchnorm && rows < 2)
            continue; /* batch statistics of one row are undefined (PyTorch refuses them) */
        gather_rows(data, b->split.train + start, rows, b->batch_x, b->batch_y);
        double loss = ll_mlp_loss_grad(net, b->batch, b->batch_x, b->batch_y, rows, pos_weight,
                                       dropout, b->grad);
        if (!isfinite(loss))
            return loss;
        ll_mlp_update_running(net, b->batch);
        if (cfg->weight_decay > 0.0)
            decay_weights(net, cfg->lr, cfg->weight_decay);
        ll_adam_step(&b->opt, net->params, b->grad, cfg->lr, cfg->beta1, cfg->beta2);
        loss_sum += loss;
        batches++;
    }
    return batches ? loss_sum / (double)batches : 0.0;
}

static ll_status train(dnn_state *s, const ll_data *data, uint64_t seed, fit_buffers *b,
                       ll_err *err)
{
    const dnn_config *cfg = &s->cfg;
    double pos_weight = 1.0;
    ll_status st = resolve_pos_weight(cfg, data, &b->split, &pos_weight, err);
    if (st != LL_OK)
        return st;
    if (s->net.batchnorm && b->split.n_train < 2)
        return ll_fail(err, LL_EINVAL, "dnn: batch norm needs at least 2 training rows, got %zu",
                       b->split.n_train);
    size_t batch_rows = cfg->batch_size < b->split.n_train ? cfg->batch_size : b->split.n_train;
    if (fit_buffers_alloc(b, &s->net, data, batch_rows) != 0)
        return ll_fail(err, LL_ENOMEM, "dnn: out of memory for %zu parameters",
                       s->net.n_params);
    if (cfg->patience)
        gather_rows(data, b->split.valid, b->split.n_valid, b->valid_x, b->valid_y);

    ll_rng shuffle, dropout;
    ll_rng_seed(&shuffle, ll_seed_mix(seed, STREAM_SHUFFLE));
    ll_rng_seed(&dropout, ll_seed_mix(seed, STREAM_DROPOUT));
    double best = INFINITY;
    size_t best_epoch = 0;
    for (size_t epoch = 1; epoch <= cfg->epochs; epoch++) {
        double loss = train_epoch(cfg, &s->net, data, b, pos_weight, &shuffle, &dropout);
        if (!isfinite(loss))
            return ll_fail(err, LL_ENUMERIC, "dnn: training diverged in epoch %zu (lr=%g)", epoch,
                           cfg->lr);
        if (!cfg->patience) {
            s->host->log(LL_LOG_DEBUG, "dnn: epoch %zu loss %.6f", epoch, loss);
            continue;
        }
        double valid = validation_loss(&s->net, b, pos_weight);
        /* %.17g: the test reads these back to check which epoch's weights were kept */
        s->host->log(LL_LOG_DEBUG, "dnn: epoch %zu loss %.6f validation %.17g", epoch, loss,
                     valid);
        if (!isfinite(valid))
            return ll_fail(err, LL_ENUMERIC, "dnn: validation loss diverged in epoch %zu (lr=%g)",
                           epoch, cfg->lr);
        if (valid < best) {
            best = valid;
            best_epoch = epoch;
            keep_best(&s->net, b, 0);
        } else if (epoch - best_epoch >= cfg->patience) {
            break;
        }
    }
    if (cfg->patience) {
        keep_best(&s->net, b, 1);
        s->host->log(LL_LOG_DEBUG, "dnn: early stopping kept epoch %zu (validation %.17g)",
                     best_epoch, best);
    }
    if (!ll_mlp_is_finite(&s->net))
        return ll_fail(err, LL_ENUMERIC, "dnn: training produced non-finite weights (lr=%g)",
                       cfg->lr);
    return LL_OK;
}

/* ---- the plugin interface -------------------------------------------------------------- */

static void dnn_destroy(void *state)
{
    dnn_state *s = state;
    if (!s)
        return;
    ll_mlp_free(&s->net);
    free(s->cfg.widths);
    free(s);
}

static ll_status dnn_create(const ll_host *host, const ll_params *params, void **state,
                            ll_err *err)
{
    *state = NULL;
    dnn_state *s = calloc(1, sizeof *s);
    if (!s)
        return ll_fail(err, LL_ENOMEM, "dnn: out of memory");
    s->host = host;
    dnn_config *cfg = &s->cfg;
    cfg->n_hidden = host->int_list(params, "hidden", NULL, 0);
    long *widths = malloc((cfg->n_hidden ? cfg->n_hidden : 1) * sizeof *widths);
    cfg->widths = malloc((cfg->n_hidden ? cfg->n_hidden : 1) * sizeof *cfg->widths);
    if (!widths || !cfg->widths) {
        free(widths);
        dnn_destroy(s);
        return ll_fail(err, LL_ENOMEM, "dnn: out of memory");
    }
    host->int_list(params, "hidden", widths, cfg->n_hidden);
    for (size_t l = 0; l < cfg->n_hidden; l++)
        cfg->widths[l] = (size_t)widths[l]; /* the schema guarantees >= 1 */
    free(widths);
    cfg->batchnorm = host->boolean(params, "batchnorm");
    cfg->dropout = host->real(params, "dropout");
    cfg->lr = host->real(params, "lr");
    cfg->beta1 = host->real(params, "beta1");
    cfg->beta2 = host->real(params, "beta2");
    cfg->weight_decay = host->real(params, "weight_decay");
    cfg->batch_size = (size_t)host->integer(params, "batch_size");
    cfg->epochs = (size_t)host->integer(params, "epochs");
    cfg->pos_weight = strcmp(host->string(params, "pos_weight"), "balanced") == 0
                          ? NAN
                          : host->real(params, "pos_weight");
    cfg->patience = (size_t)host->integer(params, "early_stopping");
    cfg->validation_fraction = host->real(params, "validation_fraction");
    if (cfg->lr * cfg->weight_decay >= 1.0) {
        ll_status st = ll_fail(err, LL_EINVAL,
                               "dnn: lr * weight_decay = %g must be below 1 (each step scales the "
                               "weights by 1 - lr * weight_decay)",
                               cfg->lr * cfg->weight_decay);
        dnn_destroy(s);
        return st;
    }
    *state = s;
    return LL_OK;
}

/* Training runs on one thread whatever the budget, so results cannot depend on it: a step of
 * 64 rows through 64-wide layers is ~70 us spread over a dozen small products, and sharing
 * those products between 2 OpenMP threads measured 17 times slower on the 2-core machine
 * (a fork/join per product). The runner already keeps every core busy with one cell each. */
static ll_status dnn_fit(void *state, const ll_data *train_data, uint64_t seed, int threads,
                         ll_err *err)
{
    (void)threads;
    dnn_state *s = state;
    const dnn_config *cfg = &s->cfg;
    if (s->loaded)
        return ll_fail(err, LL_EINVAL, "dnn: a loaded model cannot be fitted again; create one "
                       "from parameters");
    s->fitted = 0;
    ll_mlp_free(&s->net);
    if (train_data->n_rows == 0 || train_data->n_cols == 0)
        return ll_fail(err, LL_EINVAL, "dnn: no training data (%zu rows, %zu columns)",
                       train_data->n_rows, train_data->n_cols);
    ll_rng init;
    ll_rng_seed(&init, ll_seed_mix(seed, STREAM_INIT));
    if (ll_mlp_init(&s->net, train_data->n_cols, cfg->widths, cfg->n_hidden, cfg->batchnorm,
                    cfg->dropout, &init) != 0)
        return ll_fail(err, LL_ENOMEM, "dnn: out of memory for the network");
    fit_buffers buffers = {0};
    ll_status st = split_rows(train_data, cfg, seed, &buffers.split, err);
    if (st == LL_OK)
        st = train(s, train_data, seed, &buffers, err);
    fit_buffers_free(&buffers);
    s->fitted = st == LL_OK;
    return st;
}

static ll_status dnn_predict_proba(const void *state, const ll_data *x, int threads, double *out,
                     ll_err *err)
{
    (void)threads; /* single-threaded */
    const dnn_state *s = state;
    if (!s->fitted)
        return ll_fail(err, LL_EINVAL, "dnn: predict_proba before a successful fit");
    if (x->n_cols != s->net.layers[0].fan_in)
        return ll_fail(err, LL_EINVAL, "dnn: fitted on %zu columns, asked to predict %zu",
                       s->net.layers[0].fan_in, x->n_cols);
    double *scratch = malloc(ll_mlp_scratch_size(&s->net) * sizeof *scratch);
    if (!scratch)
        return ll_fail(err, LL_ENOMEM, "dnn: out of memory");
    ll_mlp_logits(&s->net, x->x, x->n_rows, out, scratch);
    free(scratch);
    for (size_t i = 0; i < x->n_rows; i++) {
        if (isnan(out[i]))
            return ll_fail(err, LL_ENUMERIC, "dnn: non-finite output for row %zu", i);
        out[i] = ll_mlp_sigmoid(out[i]);
    }
    return LL_OK;
}

static ll_status dnn_save(const void *state, ll_writer *out, ll_err *err)
{
    const dnn_state *s = state;
    if (!s->fitted)
        return ll_fail(err, LL_EINVAL, "dnn: save before fit");
    if (ll_write_u64(out, SAVE_FORMAT) != 0 || ll_write_u64(out, ACTIVATION_RELU) != 0 ||
        ll_mlp_save(&s->net, out) != 0)
        return ll_fail(err, LL_EFAIL, "dnn: could not write the model bytes");
    return LL_OK;
}

static ll_status dnn_load(const ll_host *host, ll_reader *in, void **state, ll_err *err)
{
    *state = NULL;
    uint64_t format, activation;
    if (ll_read_u64(in, &format) != 0)
        return ll_fail(err, LL_EINVAL, "dnn: model bytes truncated or corrupt (no format number)");
    if (format != SAVE_FORMAT)
        return ll_fail(err, LL_EINVAL, "dnn: model bytes in format %llu, this version reads "
                       "format %u", (unsigned long long)format, SAVE_FORMAT);
    if (ll_read_u64(in, &activation) != 0 || activation != ACTIVATION_RELU)
        return ll_fail(err, LL_EINVAL, "dnn: model bytes truncated or corrupt (activation)");
    dnn_state *s = calloc(1, sizeof *s);
    if (!s)
        return ll_fail(err, LL_ENOMEM, "dnn: out of memory loading the model");
    const char *why = NULL;
    ll_status st = ll_mlp_load(&s->net, in, &why);
    if (st != LL_OK) {
        dnn_destroy(s);
        if (st == LL_ENOMEM)
            return ll_fail(err, st, "dnn: out of memory loading the model");
        return ll_fail(err, LL_EINVAL, "dnn: model bytes truncated or corrupt (%s)", why);
    }
    s->host = host;
    s->fitted = 1;
    s->loaded = 1;
    *state = s;
    return LL_OK;
}

/* No importances entry: the host's permutation importance measures a network's features. */
static const ll_model_vt dnn_vt = {
    .struct_size = sizeof(ll_model_vt),
    .create = dnn_create,
    .fit = dnn_fit,
    .predict_proba = dnn_predict_proba,
    .destroy = dnn_destroy,
    .save = dnn_save,
    .load = dnn_load,
};

static const ll_plugin dnn_plugin = {
    LL_PLUGIN_ABI,
    .name = "dnn",
    .version = "1.1.0",
    .summary = "multilayer perceptron (ReLU, batch norm, dropout) trained with Adam",
    LL_PARAMS(dnn_params),
    .model = &dnn_vt,
};

LL_EXPORT const ll_plugin *leadlab_plugin(void) { return &dnn_plugin; }
