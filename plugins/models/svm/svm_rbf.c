/* Gaussian kernel rows and decision values for the SVM plugin (see svm_rbf.h). */
#include "svm_rbf.h"

#include <stdlib.h>

/* Kernel rows are computed in blocks that stay in L1 while the d feature passes accumulate;
 * the block grid is fixed, so the thread count only decides who computes which block.
 * A row is split over threads only from RBF_PARALLEL_MIN entries (~80 us of work): the solver
 * asks for a row every few tens of microseconds, and on the lead data (15k-entry rows) a
 * parallel region per row made a fit 3-7x slower as soon as the other core was busy, for at
 * most a 10 % gain on an idle one. */
enum { RBF_BLOCK = 1024, RBF_PARALLEL_MIN = 65536, DECISION_ROWS_PER_TASK = 16 };

int ll_rbf_rows_init(ll_rbf_rows *k, const double *x, size_t n, size_t d, double gamma,
                     int threads)
{
    memset(k, 0, sizeof *k);
    size_t cells = n * d;
    k->xt = malloc((cells ? cells : 1) * sizeof *k->xt);
    if (!k->xt) {
        ll_rbf_rows_free(k);
        return -1;
    }
    for (size_t j = 0; j < n; j++)
        for (size_t f = 0; f < d; f++)
            k->xt[f * n + j] = (float)x[j * d + f];
    k->n = n;
    k->d = d;
    k->gamma = (float)gamma;
    k->threads = threads;
    return 0;
}

void ll_rbf_rows_free(ll_rbf_rows *k)
{
    free(k->xt);
    memset(k, 0, sizeof *k);
}

void ll_rbf_rows_swap(ll_rbf_rows *k, size_t i, size_t j)
{
    for (size_t f = 0; f < k->d; f++) {
        float *col = k->xt + f * k->n;
        float t = col[i];
        col[i] = col[j];
        col[j] = t;
    }
}

static void rbf_block(const ll_rbf_rows *k, size_t i, size_t from, size_t to, float *restrict out)
{
    const size_t n = k->n;
    for (size_t j = from; j < to; j++)
        out[j] = 0.0f;
    for (size_t f = 0; f < k->d; f++) {
        const float *restrict col = k->xt + f * n;
        const float xi = col[i];
        for (size_t j = from; j < to; j++) {
            float diff = col[j] - xi;
            out[j] += diff * diff;
        }
    }
    const float neg_gamma = -k->gamma;
    for (size_t j = from; j < to; j++)
        out[j] = ll_exp_negf(neg_gamma * out[j]);
}

void ll_rbf_rows_fill(const ll_rbf_rows *k, size_t i, size_t from, size_t to, float *out)
{
    if (to <= from)
        return;
    const long blocks = (long)((to - from + RBF_BLOCK - 1) / RBF_BLOCK);
    const int threads = k->threads;
#pragma omp parallel for num_threads(threads) if(threads > 1 && to - from >= RBF_PARALLEL_MIN) \
    schedule(static)
    for (long b = 0; b < blocks; b++) {
        size_t start = from + (size_t)b * RBF_BLOCK;
        size_t end = start + RBF_BLOCK < to ? start + RBF_BLOCK : to;
        rbf_block(k, i, start, end, out);
    }
}

/* One query row: squared distances to every support vector, then the weighted kernel sum. */
static double decision_row(const double *restrict sv_t, const double *restrict coef, size_t n_sv,
                           size_t d, double gamma, const double *restrict xq,
                           double *restrict dist)
{
    for (size_t s = 0; s < n_sv; s++)
        dist[s] = 0.0;
    for (size_t f = 0; f < d; f++) {
        const double *restrict col = sv_t + f * n_sv;
        const double v = xq[f];
        for (size_t s = 0; s < n_sv; s++) {
            double diff = col[s] - v;
            dist[s] += diff * diff;
        }
    }
    for (size_t s = 0; s < n_sv; s++)
        dist[s] = coef[s] * ll_exp_neg(-gamma * dist[s]);
    /* Eight interleaved partial sums: vectorisable without reassociation flags, and a fixed
     * order, so the result does not depend on how rows are spread over threads. */
    double part[8] = {0};
    size_t s = 0;
    for (; s + 8 <= n_sv; s += 8)
        for (int l = 0; l < 8; l++)
            part[l] += dist[s + (size_t)l];
    double sum = 0.0;
    for (; s < n_sv; s++)
        sum += dist[s];
    for (int l = 0; l < 8; l++)
        sum += part[l];
    return sum;
}

int ll_rbf_decision(const double *sv_t, const double *coef, size_t n_sv, size_t d, double gamma,
                    double rho, const double *x, size_t m, int threads, double *out)
{
    const long tasks = (long)((m + DECISION_ROWS_PER_TASK - 1) / DECISION_ROWS_PER_TASK);
    int failed = 0;
#pragma omp parallel num_threads(threads) if(threads > 1 && tasks > 1) reduction(| : failed)
    {
        double *dist = malloc((n_sv ? n_sv : 1) * sizeof *dist);
        if (!dist)
            failed = 1;
#pragma omp for schedule(static)
        for (long t = 0; t < tasks; t++) {
            if (!dist)
                continue;
            size_t first = (size_t)t * DECISION_ROWS_PER_TASK;
            size_t last = first + DECISION_ROWS_PER_TASK < m ? first + DECISION_ROWS_PER_TASK : m;
            for (size_t q = first; q < last; q++)
                out[q] = decision_row(sv_t, coef, n_sv, d, gamma, x + q * d, dist) - rho;
        }
        free(dist);
    }
    return failed ? -1 : 0;
}
