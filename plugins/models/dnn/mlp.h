/* A multilayer perceptron for binary classification, the math behind the dnn plugin:
 * hidden blocks Linear -> ReLU -> [BatchNorm], inverted dropout after the last block, then
 * Linear -> one logit. Forward and backward passes over a mini-batch, batched inference, and
 * the network as bytes. The optimiser and the training loop live in the plugin. */
#ifndef LL_PLUGIN_MLP_H
#define LL_PLUGIN_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "leadlab/plugin.h"
#include "leadlab/rng.h"

#define LL_MLP_BN_EPS 1e-5     /* as torch.nn.BatchNorm1d */
#define LL_MLP_MAX_WIDTH 65536 /* units in one hidden layer */
#define LL_MLP_BN_MOMENTUM 0.1 /* running = (1 - m) running + m batch, as PyTorch */

/* One Linear layer (and, for a hidden layer with batch norm, its gamma and beta), as offsets
 * into the network's parameter vector. W is fan_in x fan_out, row-major, so a batch's
 * pre-activations are X W. */
typedef struct {
    size_t fan_in, fan_out;
    size_t weight, bias;
    size_t gamma, beta; /* meaningful only when the network has batch norm */
    size_t stats;       /* offset of this layer's units in running_mean / running_var */
} ll_mlp_layer;

typedef struct {
    size_t n_layers; /* hidden layers + the output layer; 1 = logistic regression */
    ll_mlp_layer *layers;
    int batchnorm;
    double dropout; /* probability of zeroing a unit of the last hidden block in training */
    size_t n_params;
    double *params; /* every trainable value; gradients use the same layout */
    size_t n_stats;
    double *running_mean, *running_var; /* n_stats each; NULL without batch norm */
    size_t max_width;                   /* widest layer input or output */
} ll_mlp;

/* Builds the network for n_inputs features and n_hidden hidden widths (n_hidden may be 0)
 * with He initialisation: weights ~ N(0, 2 / fan_in) drawn in layer order from rng, biases
 * and beta 0, gamma 1, running mean 0 and variance 1. Returns 0, or -1 when out of memory. */
int ll_mlp_init(ll_mlp *net, size_t n_inputs, const size_t *widths, size_t n_hidden,
                int batchnorm, double dropout, ll_rng *rng);
void ll_mlp_free(ll_mlp *net); /* NULL-safe; leaves *net zeroed */
/* 1 when every parameter and running statistic is finite. */
int ll_mlp_is_finite(const ll_mlp *net);

/* The network as bytes (the ABI's little-endian helpers): input count, hidden widths, batch
 * norm flag, every parameter, and with batch norm the running means and variances: all that
 * inference reads (dropout acts in training only). 0, or -1 when the writer fails. */
int ll_mlp_save(const ll_mlp *net, ll_writer *w);
/* Rebuilds into *net (overwritten, not freed; ll_mlp_free releases it) a network ll_mlp_save
 * wrote, whose ll_mlp_logits are then bit-identical. Sizes are checked against the remaining
 * bytes before anything is allocated, and non-finite parameters or statistics (or a negative
 * variance) are refused. Returns LL_OK, LL_ENOMEM, or LL_EINVAL with *why saying what was
 * wrong (a static string); on failure *net is left zeroed. */
ll_status ll_mlp_load(ll_mlp *net, ll_reader *r, const char **why);

/* Per-batch buffers of the training passes, sized for up to `capacity` rows. */
typedef struct ll_mlp_batch ll_mlp_batch;
ll_mlp_batch *ll_mlp_batch_new(const ll_mlp *net, size_t capacity);
void ll_mlp_batch_free(ll_mlp_batch *batch);

/* One training step's math on rows x (n x n_inputs) with labels y: forward pass with
 * batch statistics (needs n >= 2 with batch norm) and, when dropout_rng is not NULL and the
 * network has dropout, a fresh dropout mask; then the backward pass. Writes the gradient of
 * the loss into grad (n_params) and returns the loss: the mean over rows of binary
 * cross-entropy on the logit, positives weighted by pos_weight. */
double ll_mlp_loss_grad(const ll_mlp *net, ll_mlp_batch *batch, const double *x,
                        const uint8_t *y, size_t n, double pos_weight, ll_rng *dropout_rng,
                        double *grad);

/* Moves the running statistics towards the batch statistics of the last ll_mlp_loss_grad
 * (PyTorch's rule: the unbiased batch variance feeds running_var). No-op without batch norm. */
void ll_mlp_update_running(ll_mlp *net, const ll_mlp_batch *batch);

/* Inference: logits of n rows, batch norm from the running statistics, no dropout. Rows are
 * independent: a row's logit is the same whatever else is in x. scratch holds
 * ll_mlp_scratch_size(net) doubles. */
size_t ll_mlp_scratch_size(const ll_mlp *net);
void ll_mlp_logits(const ll_mlp *net, const double *x, size_t n, double *logits, double *scratch);

/* Binary cross-entropy of one logit, and the logistic function, computed without overflow. */
double ll_mlp_bce(double logit, int positive);
double ll_mlp_sigmoid(double logit);

#endif
