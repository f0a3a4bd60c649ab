/* Multilayer perceptron math (see mlp.h): parameter layout, He initialisation, the training
 * forward/backward passes over one mini-batch, chunked inference, saving and loading. Matrix
 * products go through ll_gemm; everything else is a row-major loop over units, which GCC
 * vectorises. */
#include "mlp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"

enum { INFER_CHUNK = 256 }; /* rows per inference pass: activations stay in L2 */

struct ll_mlp_batch {
    size_t capacity;
    size_t n;                /* rows of the last forward pass */
    size_t n_hidden;
    double **relu;           /* per hidden layer: ReLU outputs, n x width */
    double **normed;         /* per hidden layer with batch norm: (relu - mean) / std */
    double **block_out;      /* per hidden layer: gamma * normed + beta, or relu itself */
    double *mean, *var, *inv_std; /* batch statistics, laid out as running_mean */
    double *mask;            /* dropout multipliers of the last hidden block: 0 or 1/(1-p) */
    double *dropped;         /* the last block's output times mask */
    int dropout_used;
    double *logits, *grad_logits;
    double *grad_ping, *grad_pong; /* gradients w.r.t. a block's output and input */
    double *weight_t;              /* one layer's weights, transposed */
    double *unit_scale;            /* one per unit of a layer */
    double *arena;                 /* owns every buffer above */
};

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

static size_t n_hidden_of(const ll_mlp *net) { return net->n_layers - 1; }

/* ---- building ------------------------------------------------------------------------- */

/* Lays out and allocates a network: offsets, zeroed parameters, running mean 0 and variance 1.
 * Returns 0, or -1 when out of memory (net left zeroed). */
static int mlp_build(ll_mlp *net, size_t n_inputs, const size_t *widths, size_t n_hidden,
                     int batchnorm, double dropout)
{
    memset(net, 0, sizeof *net);
    net->n_layers = n_hidden + 1;
    net->batchnorm = batchnorm && n_hidden > 0;
    net->dropout = n_hidden > 0 ? dropout : 0.0;
    net->layers = calloc(net->n_layers, sizeof *net->layers);
    if (!net->layers)
        return -1;
    size_t offset = 0, stats = 0, fan_in = n_inputs;
    net->max_width = max_size(n_inputs, 1);
    for (size_t l = 0; l < net->n_layers; l++) {
        ll_mlp_layer *layer = &net->layers[l];
        layer->fan_in = fan_in;
        layer->fan_out = l < n_hidden ? widths[l] : 1;
        layer->weight = offset;
        offset += layer->fan_in * layer->fan_out;
        layer->bias = offset;
        offset += layer->fan_out;
        if (net->batchnorm && l < n_hidden) {
            layer->gamma = offset;
            offset += layer->fan_out;
            layer->beta = offset;
            offset += layer->fan_out;
            layer->stats = stats;
            stats += layer->fan_out;
        }
        net->max_width = max_size(net->max_width, layer->fan_out);
        fan_in = layer->fan_out;
    }
    net->n_params = offset;
    net->n_stats = stats;
    net->params = calloc(offset, sizeof *net->params);
    if (net->batchnorm) {
        net->running_mean = calloc(stats, sizeof *net->running_mean);
        net->running_var = malloc(stats * sizeof *net->running_var);
    }
    if (!net->params || (net->batchnorm && (!net->running_mean || !net->running_var))) {
        ll_mlp_free(net);
        return -1;
    }
    for (size_t i = 0; i < stats; i++)
        net->running_var[i] = 1.0;
    return 0;
}

int ll_mlp_init(ll_mlp *net, size_t n_inputs, const size_t *widths, size_t n_hidden,
                int batchnorm, double dropout, ll_rng *rng)
{
    if (mlp_build(net, n_inputs, widths, n_hidden, batchnorm, dropout) != 0)
        return -1;
    for (size_t l = 0; l < net->n_layers; l++) {
        const ll_mlp_layer *layer = &net->layers[l];
        double std = sqrt(2.0 / (double)layer->fan_in); /* He et al. 2015, fan-in mode */
        for (size_t i = 0; i < layer->fan_in * layer->fan_out; i++)
            net->params[layer->weight + i] = std * ll_rng_normal(rng);
        if (net->batchnorm && l < n_hidden)
            for (size_t j = 0; j < layer->fan_out; j++)
                net->params[layer->gamma + j] = 1.0;
    }
    return 0;
}

void ll_mlp_free(ll_mlp *net)
{
    if (!net)
        return;
    free(net->layers);
    free(net->params);
    free(net->running_mean);
    free(net->running_var);
    memset(net, 0, sizeof *net);
}

void ll_mlp_batch_free(ll_mlp_batch *batch)
{
    if (!batch)
        return;
    free(batch->relu); /* the three per-layer pointer tables are one allocation */
    free(batch->arena);
    free(batch);
}

/* The next `count` doubles of arena (NULL while only counting). */
static double *take(double *arena, size_t *used, size_t count)
{
    double *slice = arena ? arena + *used : NULL;
    *used += count;
    return slice;
}

/* Lays the buffers out in `arena` (NULL = only count) and returns the doubles needed. */
static size_t layout_batch(const ll_mlp *net, ll_mlp_batch *b, double *arena)
{
    size_t used = 0, cap = b->capacity, n_hidden = b->n_hidden;
    for (size_t l = 0; l < n_hidden; l++) {
        size_t cells = cap * net->layers[l].fan_out;
        double *relu = take(arena, &used, cells);
        double *normed = net->batchnorm ? take(arena, &used, cells) : NULL;
        double *out = net->batchnorm ? take(arena, &used, cells) : relu;
        if (arena) {
            b->relu[l] = relu;
            b->normed[l] = normed;
            b->block_out[l] = out;
        }
    }
    size_t stats = max_size(net->n_stats, 1);
    size_t last_cells = n_hidden ? cap * net->layers[n_hidden - 1].fan_out : 1;
    size_t grad_cells = cap * net->max_width;
    size_t weight_t_size = 1;
    for (size_t l = 1; l < net->n_layers; l++)
        weight_t_size = max_size(weight_t_size, net->layers[l].fan_in * net->layers[l].fan_out);
    b->mean = take(arena, &used, stats);
    b->var = take(arena, &used, stats);
    b->inv_std = take(arena, &used, stats);
    b->mask = take(arena, &used, last_cells);
    b->dropped = take(arena, &used, last_cells);
    b->logits = take(arena, &used, cap);
    b->grad_logits = take(arena, &used, cap);
    b->grad_ping = take(arena, &used, grad_cells);
    b->grad_pong = take(arena, &used, grad_cells);
    b->weight_t = take(arena, &used, weight_t_size);
    b->unit_scale = take(arena, &used, net->max_width);
    return used;
}

ll_mlp_batch *ll_mlp_batch_new(const ll_mlp *net, size_t capacity)
{
    ll_mlp_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->capacity = capacity;
    b->n_hidden = n_hidden_of(net);
    size_t tables = max_size(b->n_hidden, 1);
    b->relu = calloc(3 * tables, sizeof *b->relu);
    size_t doubles = layout_batch(net, b, NULL);
    b->arena = malloc(doubles * sizeof *b->arena);
    if (!b->relu || !b->arena) {
        ll_mlp_batch_free(b);
        return NULL;
    }
    b->normed = b->relu + tables;
    b->block_out = b->relu + 2 * tables;
    layout_batch(net, b, b->arena);
    return b;
}

/* ---- building blocks of the passes ------------------------------------------------------ */

/* out = in W + b for n rows, through a ReLU when `relu` is set (fused: one pass fewer). */
static void linear_forward(const ll_mlp *net, const ll_mlp_layer *layer, const double *in,
                           size_t n, int relu, double *restrict out)
{
    size_t width = layer->fan_out;
    ll_gemm(n, width, layer->fan_in, in, layer->fan_in, 1, net->params + layer->weight, width,
            out, width, 0);
    const double *restrict bias = net->params + layer->bias;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < width; j++) {
            double z = out[i * width + j] + bias[j];
            out[i * width + j] = relu && z < 0.0 ? 0.0 : z;
        }
}

/* Gradients of W and b from the gradient w.r.t. the layer's output; and, when grad_in is not
 * NULL, the gradient w.r.t. its input: grad_out W^T. */
static void linear_backward(const ll_mlp *net, const ll_mlp_layer *layer, const double *in,
                            const double *grad_out, size_t n, double *grad, double *grad_in,
                            double *weight_t)
{
    size_t fan_in = layer->fan_in, width = layer->fan_out;
    ll_gemm(fan_in, width, n, in, 1, fan_in, grad_out, width, grad + layer->weight, width, 0);
    double *restrict grad_bias = grad + layer->bias;
    memset(grad_bias, 0, width * sizeof *grad_bias);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < width; j++)
            grad_bias[j] += grad_out[i * width + j];
    if (grad_in) {
        ll_transpose(fan_in, width, net->params + layer->weight, weight_t);
        ll_gemm(n, fan_in, width, grad_out, width, 1, weight_t, fan_in, grad_in, fan_in, 0);
    }
}

/* grad *= ReLU'(pre-activation), read from the ReLU output: positive exactly where z was. */
static void relu_backward(const double *restrict relu, double *restrict grad, size_t count)
{
    for (size_t i = 0; i < count; i++)
        grad[i] = relu[i] > 0.0 ? grad[i] : 0.0;
}

typedef struct {
    const double *gamma, *beta;
    double *mean, *var, *inv_std; /* this layer's slice of the batch statistics */
} batchnorm_view;

static batchnorm_view batchnorm_of(const ll_mlp *net, const ll_mlp_batch *b,
                                   const ll_mlp_layer *layer)
{
    batchnorm_view v = {net->params + layer->gamma, net->params + layer->beta,
                        b->mean + layer->stats, b->var + layer->stats, b->inv_std + layer->stats};
    return v;
}

/* Normalises each unit over the n rows with the batch's mean and biased variance. */
static void batchnorm_forward(size_t n, size_t width, const double *restrict in,
                              batchnorm_view bn, double *restrict normed, double *restrict out)
{
    double *restrict mean = bn.mean, *restrict var = bn.var, *restrict inv_std = bn.inv_std;
    memset(mean, 0, width * sizeof *mean);
    memset(var, 0, width * sizeof *var);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < width; j++)
            mean[j] += in[i * width + j];
    for (size_t j = 0; j < width; j++)
        mean[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < width; j++) {
            double centred = in[i * width + j] - mean[j];
            var[j] += centred * centred;
        }
    for (size_t j = 0; j < width; j++) {
        var[j] /= (double)n;
        inv_std[j] = 1.0 / sqrt(var[j] + LL_MLP_BN_EPS);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < width; j++) {
            double z = (in[i * width + j] - mean[j]) * inv_std[j];
            normed[i * width + j] = z;
            out[i * width + j] = bn.gamma[j] * z + bn.beta[j];
        }
}

/* Turns grad (w.r.t. the block output) into the gradient w.r.t. the block input, through the
 * batch statistics (Ioffe & Szegedy 2015, eq. in section 3), after taking gamma's and beta's. */
static void batchnorm_backward(size_t n, size_t width, const double *restrict normed,
                               batchnorm_view bn, double *restrict grad,
                               double *restrict grad_gamma, double *restrict grad_beta,
                               double *restrict unit_scale)
{
    memset(grad_gamma, 0, width * sizeof *grad_gamma);
    memset(grad_beta, 0, width * sizeof *grad_beta);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < width; j++) {
            grad_gamma[j] += grad[i * width + j] * normed[i * width + j];
            grad_beta[j] += grad[i * width + j];
        }
    double rows = (double)n;
    for (size_t j = 0; j < width; j++)
        unit_scale[j] = bn.gamma[j] * bn.inv_std[j] / rows;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < width; j++)
            grad[i * width + j] = unit_scale[j] * (rows * grad[i * width + j] - grad_beta[j] -
                                                   normed[i * width + j] * grad_gamma[j]);
}

/* Each 64-bit draw decides two units: a unit is dropped when its 32-bit half falls below
 * p * 2^32, i.e. with probability p to within 2^-32. */
static void dropout_forward(size_t count, double p, ll_rng *rng, const double *restrict in,
                            double *restrict mask, double *restrict out)
{
    double keep_scale = 1.0 / (1.0 - p); /* inverted dropout: no rescaling at prediction */
    uint64_t threshold = (uint64_t)ldexp(p, 32);
    for (size_t i = 0; i < count; i += 2) {
        uint64_t bits = ll_rng_next(rng);
        mask[i] = (bits >> 32) < threshold ? 0.0 : keep_scale;
        if (i + 1 < count)
            mask[i + 1] = (bits & 0xFFFFFFFFu) < threshold ? 0.0 : keep_scale;
    }
    for (size_t i = 0; i < count; i++)
        out[i] = in[i] * mask[i];
}

double ll_mlp_sigmoid(double z)
{
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

double ll_mlp_bce(double logit, int positive)
{
    double z = positive ? -logit : logit; /* the loss is softplus(z) */
    return z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* ---- training passes -------------------------------------------------------------------- */

/* Runs the hidden blocks and the output layer; returns the input of the output layer. */
static const double *forward_train(const ll_mlp *net, ll_mlp_batch *b, const double *x, size_t n,
                                   ll_rng *dropout_rng)
{
    const double *in = x;
    for (size_t l = 0; l < b->n_hidden; l++) {
        const ll_mlp_layer *layer = &net->layers[l];
        linear_forward(net, layer, in, n, 1, b->relu[l]);
        if (net->batchnorm)
            batchnorm_forward(n, layer->fan_out, b->relu[l], batchnorm_of(net, b, layer),
                              b->normed[l], b->block_out[l]);
        in = b->block_out[l];
    }
    b->dropout_used = dropout_rng && net->dropout > 0.0;
    if (b->dropout_used) {
        dropout_forward(n * net->layers[b->n_hidden - 1].fan_out, net->dropout, dropout_rng, in,
                        b->mask, b->dropped);
        in = b->dropped;
    }
    linear_forward(net, &net->layers[b->n_hidden], in, n, 0, b->logits);
    return in;
}

/* Mean weighted cross-entropy of the batch; fills grad_logits with its derivative. */
static double output_loss(ll_mlp_batch *b, const uint8_t *y, size_t n, double pos_weight)
{
    double loss = 0.0, rows = (double)n;
    for (size_t i = 0; i < n; i++) {
        double weight = y[i] ? pos_weight : 1.0;
        loss += weight * ll_mlp_bce(b->logits[i], y[i]);
        b->grad_logits[i] = weight * (ll_mlp_sigmoid(b->logits[i]) - (y[i] ? 1.0 : 0.0)) / rows;
    }
    return loss / rows;
}

double ll_mlp_loss_grad(const ll_mlp *net, ll_mlp_batch *b, const double *x, const uint8_t *y,
                        size_t n, double pos_weight, ll_rng *dropout_rng, double *grad)
{
    b->n = n;
    size_t n_hidden = b->n_hidden;
    const double *head_in = forward_train(net, b, x, n, dropout_rng);
    double loss = output_loss(b, y, n, pos_weight);

    double *grad_out = b->grad_ping, *grad_in = b->grad_pong;
    linear_backward(net, &net->layers[n_hidden], head_in, b->grad_logits, n, grad,
                    n_hidden ? grad_out : NULL, b->weight_t);
    for (size_t l = n_hidden; l-- > 0;) {
        const ll_mlp_layer *layer = &net->layers[l];
        size_t cells = n * layer->fan_out;
        if (l == n_hidden - 1 && b->dropout_used)
            for (size_t i = 0; i < cells; i++)
                grad_out[i] *= b->mask[i];
        if (net->batchnorm)
            batchnorm_backward(n, layer->fan_out, b->normed[l], batchnorm_of(net, b, layer),
                               grad_out, grad + layer->gamma, grad + layer->beta, b->unit_scale);
        relu_backward(b->relu[l], grad_out, cells);
        const double *layer_in = l ? b->block_out[l - 1] : x;
        linear_backward(net, layer, layer_in, grad_out, n, grad, l ? grad_in : NULL,
                        b->weight_t);
        double *swap = grad_out;
        grad_out = grad_in;
        grad_in = swap;
    }
    return loss;
}

void ll_mlp_update_running(ll_mlp *net, const ll_mlp_batch *b)
{
    if (!net->batchnorm || b->n < 2)
        return;
    const double m = LL_MLP_BN_MOMENTUM;
    double unbias = (double)b->n / (double)(b->n - 1);
    for (size_t s = 0; s < net->n_stats; s++) {
        net->running_mean[s] = (1.0 - m) * net->running_mean[s] + m * b->mean[s];
        net->running_var[s] = (1.0 - m) * net->running_var[s] + m * b->var[s] * unbias;
    }
}

/* ---- inference -------------------------------------------------------------------------- */

size_t ll_mlp_scratch_size(const ll_mlp *net)
{
    return 2 * (size_t)INFER_CHUNK * net->max_width + 2 * net->max_width;
}

/* Batch norm with running statistics is an affine map per unit: v * scale + shift. */
static void batchnorm_infer(const ll_mlp *net, const ll_mlp_layer *layer, size_t n,
                            double *restrict v, double *restrict scale, double *restrict shift)
{
    size_t width = layer->fan_out;
    for (size_t j = 0; j < width; j++) {
        size_t s = layer->stats + j;
        scale[j] = net->params[layer->gamma + j] / sqrt(net->running_var[s] + LL_MLP_BN_EPS);
        shift[j] = net->params[layer->beta + j] - net->running_mean[s] * scale[j];
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < width; j++)
            v[i * width + j] = v[i * width + j] * scale[j] + shift[j];
}

void ll_mlp_logits(const ll_mlp *net, const double *x, size_t n, double *logits, double *scratch)
{
    size_t chunk_cells = (size_t)INFER_CHUNK * net->max_width;
    double *ping = scratch, *pong = scratch + chunk_cells;
    double *scale = pong + chunk_cells, *shift = scale + net->max_width;
    size_t n_hidden = n_hidden_of(net), n_inputs = net->layers[0].fan_in;
    for (size_t start = 0; start < n; start += INFER_CHUNK) {
        size_t rows = n - start < INFER_CHUNK ? n - start : INFER_CHUNK;
        const double *in = x + start * n_inputs;
        double *out = ping;
        for (size_t l = 0; l < n_hidden; l++) {
            const ll_mlp_layer *layer = &net->layers[l];
            linear_forward(net, layer, in, rows, 1, out);
            if (net->batchnorm)
                batchnorm_infer(net, layer, rows, out, scale, shift);
            in = out;
            out = out == ping ? pong : ping;
        }
        linear_forward(net, &net->layers[n_hidden], in, rows, 0, logits + start);
    }
}

/* ---- saving and loading ------------------------------------------------------------------ */

int ll_mlp_save(const ll_mlp *net, ll_writer *w)
{
    size_t n_hidden = n_hidden_of(net);
    if (ll_write_size(w, net->layers[0].fan_in) != 0 || ll_write_size(w, n_hidden) != 0)
        return -1;
    for (size_t l = 0; l < n_hidden; l++)
        if (ll_write_size(w, net->layers[l].fan_out) != 0)
            return -1;
    if (ll_write_u64(w, net->batchnorm ? 1 : 0) != 0 ||
        ll_write_f64s(w, net->params, net->n_params) != 0)
        return -1;
    if (net->batchnorm && (ll_write_f64s(w, net->running_mean, net->n_stats) != 0 ||
                           ll_write_f64s(w, net->running_var, net->n_stats) != 0))
        return -1;
    return 0;
}

/* *need += a * b when the result stays <= budget; -1 (and *need unchanged) otherwise. Keeps a
 * corrupt layer size from overflowing the count of values to read. */
static int add_bounded(size_t *need, size_t a, size_t b, size_t budget)
{
    if (b && a > (budget - *need) / b)
        return -1;
    *need += a * b;
    return 0;
}

/* How many doubles a network of these sizes saves (parameters and running statistics), or -1
 * when that is more than `budget`. */
static int saved_values(size_t n_inputs, const size_t *widths, size_t n_hidden, int batchnorm,
                        size_t budget, size_t *need)
{
    *need = 0;
    size_t fan_in = n_inputs;
    for (size_t l = 0; l <= n_hidden; l++) {
        size_t fan_out = l < n_hidden ? widths[l] : 1;
        /* weights and bias; with batch norm gamma, beta, running mean and variance */
        size_t per_unit = 1 + (batchnorm && l < n_hidden ? 4 : 0);
        if (add_bounded(need, fan_in, fan_out, budget) != 0 ||
            add_bounded(need, per_unit, fan_out, budget) != 0)
            return -1;
        fan_in = fan_out;
    }
    return 0;
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

int ll_mlp_is_finite(const ll_mlp *net)
{
    return all_finite(net->params, net->n_params) &&
           (!net->batchnorm || (all_finite(net->running_mean, net->n_stats) &&
                                all_finite(net->running_var, net->n_stats)));
}

static ll_status refuse(const char **why, const char *what)
{
    *why = what;
    return LL_EINVAL;
}

/* Reads the sizes and flag; *widths is the caller's to free. LL_EINVAL (with *why) or LL_ENOMEM
 * on failure. */
static ll_status load_shape(ll_reader *r, size_t *n_inputs, size_t **widths, size_t *n_hidden,
                            int *batchnorm, const char **why)
{
    /* every input and every hidden unit costs at least one saved double */
    if (ll_read_size(r, 8, SIZE_MAX, n_inputs) != 0 || *n_inputs == 0)
        return refuse(why, "input count");
    if (ll_read_size(r, 8, SIZE_MAX / sizeof **widths - 1, n_hidden) != 0)
        return refuse(why, "layer count");
    if (!(*widths = malloc((*n_hidden + 1) * sizeof **widths))) {
        *why = "out of memory";
        return LL_ENOMEM;
    }
    for (size_t l = 0; l < *n_hidden; l++)
        if (ll_read_size(r, 8, LL_MLP_MAX_WIDTH, &(*widths)[l]) != 0 || (*widths)[l] == 0)
            return refuse(why, "layer width");
    uint64_t flag;
    if (ll_read_u64(r, &flag) != 0 || flag > 1 || (flag && *n_hidden == 0))
        return refuse(why, "batch norm flag");
    *batchnorm = (int)flag;
    return LL_OK;
}

ll_status ll_mlp_load(ll_mlp *net, ll_reader *r, const char **why)
{
    memset(net, 0, sizeof *net);
    size_t n_inputs = 0, n_hidden = 0, *widths = NULL, need;
    int batchnorm = 0;
    ll_status st = load_shape(r, &n_inputs, &widths, &n_hidden, &batchnorm, why);
    if (st == LL_OK && saved_values(n_inputs, widths, n_hidden, batchnorm,
                                    r->remaining(r->ctx) / 8, &need) != 0) {
        *why = "sizes larger than the bytes";
        st = LL_EINVAL;
    }
    if (st == LL_OK && mlp_build(net, n_inputs, widths, n_hidden, batchnorm, 0.0) != 0) {
        *why = "out of memory";
        st = LL_ENOMEM;
    }
    free(widths);
    if (st != LL_OK)
        return st;
    const char *bad = NULL;
    if (ll_read_f64s(r, net->params, net->n_params) != 0 ||
        (net->batchnorm && (ll_read_f64s(r, net->running_mean, net->n_stats) != 0 ||
                            ll_read_f64s(r, net->running_var, net->n_stats) != 0)))
        bad = "truncated";
    else if (!ll_mlp_is_finite(net))
        bad = "a parameter or running statistic is not finite";
    /* fit's variances are never negative; one below -eps would take a square root of < 0 */
    for (size_t i = 0; !bad && i < net->n_stats; i++)
        if (net->running_var[i] < 0.0)
            bad = "a running variance is negative";
    if (bad) {
        ll_mlp_free(net);
        *why = bad;
        return LL_EINVAL;
    }
    return LL_OK;
}
