/* Exact block distances, k-smallest selection and k-nearest/farthest search (see distance.h).
 *
 * Distances are summed coordinate differences rather than |a|^2 + |b|^2 - 2 a.b: measured here
 * as fast for ~15 columns (one query row streams a panel with the sums kept in L1), and exact, so
 * identical rows are at distance 0 and near-ties are never reordered by cancellation. */
#include "distance.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    QUERY_BLOCK = 64, /* queries sharing one pass over the reference panels */
    QUERY_STRIP = 8,  /* queries whose distances to one panel are computed before selection */
    SKIP_RUN = 32,    /* candidates screened together by one vectorised test (mask bits) */
    VEC = 8,          /* doubles per vector value (below) */
    BLOCK_Q = 4,      /* query rows x ... */
    BLOCK_R = 16      /* ... reference rows whose distances are summed in registers */
};

/* ---- block kernel --------------------------------------------------------------------- */

int ll_dist_refs_pack(ll_dist_refs *refs, const double *x, size_t n_rows, size_t n_cols)
{
    memset(refs, 0, sizeof *refs);
    size_t n_panels = (n_rows + LL_DIST_PANEL - 1) / LL_DIST_PANEL;
    size_t cells = n_panels * n_cols * LL_DIST_PANEL;
    double *data = calloc(cells ? cells : 1, sizeof *data); /* zero padding */
    if (!data)
        return -1;
    for (size_t i = 0; i < n_rows; i++) {
        double *panel = data + (i / LL_DIST_PANEL) * n_cols * LL_DIST_PANEL;
        size_t r = i % LL_DIST_PANEL;
        for (size_t j = 0; j < n_cols; j++)
            panel[j * LL_DIST_PANEL + r] = x[i * n_cols + j];
    }
    *refs = (ll_dist_refs){.data = data, .n_rows = n_rows, .n_cols = n_cols, .n_panels = n_panels};
    return 0;
}

void ll_dist_refs_free(ll_dist_refs *refs)
{
    free(refs->data);
    memset(refs, 0, sizeof *refs);
}

size_t ll_dist_panel_rows(const ll_dist_refs *refs, size_t panel)
{
    size_t first = panel * LL_DIST_PANEL;
    size_t left = refs->n_rows > first ? refs->n_rows - first : 0;
    return left < LL_DIST_PANEL ? left : LL_DIST_PANEL;
}

/* VEC doubles processed as one value (GNU C vector extension: plain lane-wise arithmetic, one
 * register or two); the _mem variant reads and writes double arrays in place, unaligned. */
typedef double vec __attribute__((vector_size(VEC * sizeof(double))));
typedef double vec_mem __attribute__((vector_size(VEC * sizeof(double)), aligned(8), may_alias));
typedef int64_t vec_bits __attribute__((vector_size(VEC * sizeof(int64_t))));

/* Distances from BLOCK_Q query rows to BLOCK_R consecutive reference rows: the BLOCK_Q x BLOCK_R
 * sums stay in registers over all columns, and each adds its columns in order 0..n_cols-1, so it
 * equals ll_dist_pair bit for bit ((c - q)^2 is (q - c)^2 exactly). */
static void block_sqeuclidean(const double *restrict col0, size_t n_cols,
                              const double *const q[BLOCK_Q], double *const out[BLOCK_Q])
{
    vec acc[BLOCK_Q][BLOCK_R / VEC] = {{{0}}};
    for (size_t j = 0; j < n_cols; j++) {
        const vec_mem *col = (const vec_mem *)(col0 + j * LL_DIST_PANEL);
        for (size_t a = 0; a < BLOCK_Q; a++) {
            const double qj = q[a][j];
            for (size_t h = 0; h < BLOCK_R / VEC; h++) {
                vec diff = col[h] - qj;
                acc[a][h] += diff * diff;
            }
        }
    }
    for (size_t a = 0; a < BLOCK_Q; a++)
        for (size_t h = 0; h < BLOCK_R / VEC; h++)
            *(vec_mem *)(out[a] + h * VEC) = acc[a][h];
}

/* The same with |c - q|: the sign bit cleared. */
static void block_manhattan(const double *restrict col0, size_t n_cols,
                            const double *const q[BLOCK_Q], double *const out[BLOCK_Q])
{
    const vec_bits magnitude = (vec_bits){0} + INT64_MAX;
    vec acc[BLOCK_Q][BLOCK_R / VEC] = {{{0}}};
    for (size_t j = 0; j < n_cols; j++) {
        const vec_mem *col = (const vec_mem *)(col0 + j * LL_DIST_PANEL);
        for (size_t a = 0; a < BLOCK_Q; a++) {
            const double qj = q[a][j];
            for (size_t h = 0; h < BLOCK_R / VEC; h++)
                acc[a][h] += (vec)((vec_bits)(col[h] - qj) & magnitude);
        }
    }
    for (size_t a = 0; a < BLOCK_Q; a++)
        for (size_t h = 0; h < BLOCK_R / VEC; h++)
            *(vec_mem *)(out[a] + h * VEC) = acc[a][h];
}

/* ll_dist_panel for the panel rows [r_begin, r_end) only, rounded out to whole BLOCK_R steps
 * (r_begin down, r_end up; entries outside the rounded range are left alone). */
static void panel_rows(ll_dist_metric metric, const ll_dist_refs *refs, size_t panel,
                       const double *queries, size_t n_queries, size_t r_begin, size_t r_end,
                       double *out)
{
    size_t n_cols = refs->n_cols;
    const double *data = refs->data + panel * n_cols * LL_DIST_PANEL;
    double spare[BLOCK_R]; /* the output of the repeated rows filling a short group */
    r_begin -= r_begin % BLOCK_R;
    for (size_t q0 = 0; q0 < n_queries; q0 += BLOCK_Q) {
        const double *q[BLOCK_Q];
        size_t n = n_queries - q0 < BLOCK_Q ? n_queries - q0 : BLOCK_Q;
        for (size_t a = 0; a < BLOCK_Q; a++)
            q[a] = queries + (q0 + (a < n ? a : n - 1)) * n_cols;
        for (size_t r0 = r_begin; r0 < r_end; r0 += BLOCK_R) {
            double *o[BLOCK_Q];
            for (size_t a = 0; a < BLOCK_Q; a++)
                o[a] = a < n ? out + (q0 + a) * LL_DIST_PANEL + r0 : spare;
            if (metric == LL_DIST_MANHATTAN)
                block_manhattan(data + r0, n_cols, q, o);
            else
                block_sqeuclidean(data + r0, n_cols, q, o);
        }
    }
}

void ll_dist_panel(ll_dist_metric metric, const ll_dist_refs *refs, size_t panel,
                   const double *queries, size_t n_queries, double *out)
{
    panel_rows(metric, refs, panel, queries, n_queries, 0, LL_DIST_PANEL, out);
}

double ll_dist_pair(ll_dist_metric metric, const double *a, const double *b, size_t n_cols)
{
    double sum = 0.0;
    for (size_t j = 0; j < n_cols; j++) {
        double diff = a[j] - b[j];
        sum += metric == LL_DIST_MANHATTAN ? fabs(diff) : diff * diff;
    }
    return sum;
}

/* ---- k smallest --------------------------------------------------------------------------- */

void ll_kbest_init(ll_kbest *kb, ll_neighbor *storage, size_t k)
{
    kb->best = storage;
    kb->k = k;
    kb->count = 0;
}

/* (dist, index) lexicographic order. */
static int neighbor_before(double dist, size_t index, const ll_neighbor *other)
{
    return dist < other->dist || (dist == other->dist && index < other->index);
}

/* Sorted insertion: k is small, and once k are kept almost every candidate is refused by one
 * comparison (ll_dist_knn refuses most in vectorised runs before they get here). */
int ll_kbest_offer(ll_kbest *kb, double dist, size_t index)
{
    if (isnan(dist) || kb->k == 0)
        return 0;
    if (kb->count == kb->k && !neighbor_before(dist, index, &kb->best[kb->k - 1]))
        return 0;
    size_t pos = kb->count < kb->k ? kb->count++ : kb->k - 1;
    while (pos > 0 && neighbor_before(dist, index, &kb->best[pos - 1])) {
        kb->best[pos] = kb->best[pos - 1];
        pos--;
    }
    kb->best[pos] = (ll_neighbor){dist, index};
    return 1;
}

/* ---- grouping identical rows -------------------------------------------------------------- */

/* The rows of a matrix grouped by content: group g holds the indices of identical rows,
 * members[start[g] .. start[g + 1] - 1], ascending. Groups are numbered in the order of their
 * first rows, so a search meets the reference rows in the data's own order (in content order
 * candidates would come ever closer, each one an insertion into the k best). */
typedef struct {
    size_t *members; /* n_rows */
    size_t *start;   /* n_groups + 1 */
    size_t n_groups;
} row_groups;

static int rows_equal(const double *a, const double *b, size_t n_cols)
{
    for (size_t j = 0; j < n_cols; j++)
        if (a[j] != b[j])
            return 0;
    return 1;
}

/* FNV-1a over the bits of the row; v + 0.0 turns -0.0 into 0.0, which it equals. */
static uint64_t row_hash(const double *row, size_t n_cols)
{
    uint64_t h = 14695981039346656037u;
    for (size_t j = 0; j < n_cols; j++) {
        double v = row[j] + 0.0;
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        h = (h ^ bits) * 1099511628211u;
    }
    return h ^ (h >> 32);
}

static void row_groups_free(row_groups *g)
{
    free(g->members);
    free(g->start);
    memset(g, 0, sizeof *g);
}

/* One pass in row order through an open-addressing table of the groups met so far (keyed by
 * their first row), then a counting sort of the rows by group. */
static int row_groups_build(row_groups *g, const double *x, size_t n_rows, size_t n_cols)
{
    memset(g, 0, sizeof *g);
    size_t n_slots = 2;
    while (n_slots < 2 * n_rows)
        n_slots *= 2;
    size_t *slot = malloc(n_slots * sizeof *slot); /* a group's first row, or SIZE_MAX */
    size_t *group_of = malloc((n_rows ? n_rows : 1) * sizeof *group_of);
    g->members = malloc((n_rows ? n_rows : 1) * sizeof *g->members);
    g->start = calloc(n_rows + 2, sizeof *g->start);
    int ok = slot && group_of && g->members && g->start;
    if (ok) {
        memset(slot, 0xff, n_slots * sizeof *slot);
        for (size_t i = 0; i < n_rows; i++) {
            const double *row = x + i * n_cols;
            size_t h = (size_t)row_hash(row, n_cols) & (n_slots - 1);
            while (slot[h] != SIZE_MAX && !rows_equal(x + slot[h] * n_cols, row, n_cols))
                h = (h + 1) & (n_slots - 1);
            if (slot[h] == SIZE_MAX) {
                slot[h] = i;
                group_of[i] = g->n_groups++;
            } else {
                group_of[i] = group_of[slot[h]];
            }
            g->start[group_of[i] + 2]++; /* shifted by one more for the walk below */
        }
        for (size_t r = 0; r < g->n_groups; r++)
            g->start[r + 2] += g->start[r + 1];
        for (size_t i = 0; i < n_rows; i++) /* start[r + 1] walks from group r's start to its end */
            g->members[g->start[group_of[i] + 1]++] = i;
    }
    free(slot);
    free(group_of);
    if (!ok)
        row_groups_free(g);
    return ok ? 0 : -1;
}

/* One row per group (its first), as a new n_groups x n_cols matrix; NULL when out of memory. */
static double *row_groups_gather(const row_groups *g, const double *x, size_t n_cols)
{
    size_t cells = g->n_groups * n_cols;
    double *out = malloc((cells ? cells : 1) * sizeof *out);
    if (!out)
        return NULL;
    for (size_t r = 0; r < g->n_groups; r++)
        memcpy(out + r * n_cols, x + g->members[g->start[r]] * n_cols, n_cols * sizeof *out);
    return out;
}

/* ---- k nearest neighbours ------------------------------------------------------------------ */

int ll_dist_index_build(ll_dist_index *index, const double *x, size_t n_rows, size_t n_cols)
{
    memset(index, 0, sizeof *index);
    row_groups g;
    if (row_groups_build(&g, x, n_rows, n_cols) != 0)
        return -1;
    double *distinct = row_groups_gather(&g, x, n_cols);
    int rc = distinct ? ll_dist_refs_pack(&index->distinct, distinct, g.n_groups, n_cols) : -1;
    free(distinct);
    if (rc != 0) {
        row_groups_free(&g);
        return -1;
    }
    index->group_start = g.start;
    index->members = g.members;
    index->n_rows = n_rows;
    return 0;
}

void ll_dist_index_free(ll_dist_index *index)
{
    ll_dist_refs_free(&index->distinct);
    free(index->group_start);
    free(index->members);
    memset(index, 0, sizeof *index);
}

/* Offers every row of distinct reference row g at distance `dist`. Its rows come in ascending
 * index, so the first one refused means the rest would be refused too. */
static void offer_group(ll_kbest *kb, const ll_dist_index *index, size_t g, double dist)
{
    for (size_t m = index->group_start[g]; m < index->group_start[g + 1]; m++)
        if (!ll_kbest_offer(kb, dist, index->members[m]))
            return;
}

/* Bit r set when key[r] <= bound (or bound[r]), for r < n <= SKIP_RUN. Whole runs take the
 * branch-free loops GCC vectorises. */
static uint32_t below_one(const double *restrict key, double bound, size_t n)
{
    uint32_t mask = 0;
    if (n == SKIP_RUN)
        for (size_t r = 0; r < SKIP_RUN; r++)
            mask |= (uint32_t)(key[r] <= bound) << r;
    else
        for (size_t r = 0; r < n; r++)
            mask |= (uint32_t)(key[r] <= bound) << r;
    return mask;
}

static uint32_t below_each(const double *restrict key, const double *restrict bound, size_t n)
{
    uint32_t mask = 0;
    if (n == SKIP_RUN)
        for (size_t r = 0; r < SKIP_RUN; r++)
            mask |= (uint32_t)(key[r] <= bound[r]) << r;
    else
        for (size_t r = 0; r < n; r++)
            mask |= (uint32_t)(key[r] <= bound[r]) << r;
    return mask;
}

/* The key above which a candidate cannot enter the list. */
static double list_bound(const ll_kbest *kb)
{
    return kb->count < kb->k ? INFINITY : kb->best[kb->k - 1].dist;
}

/* Offers the distinct reference rows first .. first + n - 1 at keys key[0 .. n-1], screening a
 * run at a time: once the list is full nearly every candidate fails the screen. ll_kbest_offer
 * checks again, as the bound drops while a run's candidates go in. */
static void offer_panel(ll_kbest *kb, const ll_dist_index *index, const double *key, size_t n,
                        size_t first)
{
    for (size_t i = 0; i < n; i += SKIP_RUN) {
        size_t run = n - i < SKIP_RUN ? n - i : SKIP_RUN;
        for (uint32_t mask = below_one(key + i, list_bound(kb), run); mask; mask &= mask - 1) {
            size_t r = i + (size_t)__builtin_ctz(mask);
            offer_group(kb, index, first + r, key[r]);
        }
    }
}

/* One search. Keys are the distances, or for the farthest their negations: the k smallest keys
 * are then the k farthest, ties still going to the lower index. */
typedef struct {
    ll_dist_metric metric;
    int farthest;
    const ll_dist_index *index;
    const double *queries;               /* the distinct query rows, row-major */
    const size_t *group_start, *members; /* the original queries each distinct row stands for */
    size_t k;
    ll_neighbor *out; /* n_queries * k; a distinct row's list lives at its first query's place */
} search_job;

static ll_neighbor *list_storage(const search_job *job, size_t q)
{
    return job->out + job->members[job->group_start[q]] * job->k;
}

/* Keys from distinct queries [s, s + n) to the rows [r_begin, r_end) of reference panel p
 * (rounded out to whole kernel blocks), row i at strip[i * LL_DIST_PANEL]. */
static void strip_keys(const search_job *job, size_t p, size_t s, size_t n, size_t r_begin,
                       size_t r_end, double *strip)
{
    const ll_dist_refs *refs = &job->index->distinct;
    panel_rows(job->metric, refs, p, job->queries + s * refs->n_cols, n, r_begin, r_end, strip);
    for (size_t i = 0; job->farthest && i < n; i++)
        for (size_t r = r_begin; r < r_end; r++)
            strip[i * LL_DIST_PANEL + r] = -strip[i * LL_DIST_PANEL + r];
}

/* Distinct queries [q0, q1): each panel is loaded once and serves every strip of the block. */
static void search_block(const search_job *job, size_t q0, size_t q1)
{
    const ll_dist_refs *refs = &job->index->distinct;
    ll_kbest kb[QUERY_BLOCK];
    double strip[QUERY_STRIP * LL_DIST_PANEL];
    for (size_t q = q0; q < q1; q++)
        ll_kbest_init(&kb[q - q0], list_storage(job, q), job->k);
    for (size_t p = 0; p < refs->n_panels; p++) {
        size_t rows = ll_dist_panel_rows(refs, p);
        for (size_t s = q0; s < q1; s += QUERY_STRIP) {
            size_t n = q1 - s < QUERY_STRIP ? q1 - s : QUERY_STRIP;
            strip_keys(job, p, s, n, 0, rows, strip);
            for (size_t i = 0; i < n; i++)
                offer_panel(&kb[s + i - q0], job->index, strip + i * LL_DIST_PANEL, rows,
                            p * LL_DIST_PANEL);
        }
    }
}

/* ---- self-join ------------------------------------------------------------------------------ */

/* Offers distinct row g, at key[i] from distinct row first + i, to that row's list for every i
 * in [from, to). bound[h] mirrors list_bound(&kb[h]), so a run of lists is screened at once. */
static void offer_transposed(ll_kbest *kb, double *bound, const ll_dist_index *index,
                             const double *key, size_t from, size_t to, size_t first, size_t g)
{
    for (size_t i = from; i < to; i += SKIP_RUN) {
        size_t run = to - i < SKIP_RUN ? to - i : SKIP_RUN;
        for (uint32_t mask = below_each(key + i, bound + first + i, run); mask;
             mask &= mask - 1) {
            size_t h = first + i + (size_t)__builtin_ctz(mask);
            offer_group(&kb[h], index, g, key[h - first]);
            bound[h] = list_bound(&kb[h]);
        }
    }
}

/* All distinct rows against each other in one thread: the keys of the pair (g, h >= g) are
 * computed once and offered to both lists. ll_kbest keeps the same k whatever order candidates
 * come in, so the result is search_block's. kb and bound hold one entry per distinct row. */
static void search_self(const search_job *job, ll_kbest *kb, double *bound)
{
    const ll_dist_refs *refs = &job->index->distinct;
    size_t n = refs->n_rows;
    double strip[QUERY_STRIP * LL_DIST_PANEL];
    for (size_t g = 0; g < n; g++) {
        ll_kbest_init(&kb[g], list_storage(job, g), job->k);
        bound[g] = INFINITY;
    }
    for (size_t q0 = 0; q0 < n; q0 += QUERY_BLOCK) {
        size_t q1 = q0 + QUERY_BLOCK < n ? q0 + QUERY_BLOCK : n;
        for (size_t p = q0 / LL_DIST_PANEL; p < refs->n_panels; p++) {
            size_t first = p * LL_DIST_PANEL, rows = ll_dist_panel_rows(refs, p);
            for (size_t s = q0; s < q1; s += QUERY_STRIP) {
                size_t m = q1 - s < QUERY_STRIP ? q1 - s : QUERY_STRIP;
                strip_keys(job, p, s, m, s > first ? s - first : 0, rows, strip);
                for (size_t g = s; g < s + m; g++) { /* first <= g < first + rows, or g < first */
                    const double *key = strip + (g - s) * LL_DIST_PANEL;
                    size_t from = g > first ? g - first : 0;
                    offer_panel(&kb[g], job->index, key + from, rows - from, first + from);
                    bound[g] = list_bound(&kb[g]);
                    offer_transposed(kb, bound, job->index, key, g >= first ? from + 1 : 0, rows,
                                     first, g);
                }
            }
        }
    }
}

/* ---- entry points ----------------------------------------------------------------------- */

/* Turns the keys back into distances and gives identical queries their first query's list. */
static void finish(const search_job *job, size_t n_groups)
{
    size_t k = job->k;
    for (size_t g = 0; g < n_groups; g++) {
        ll_neighbor *found = list_storage(job, g);
        for (size_t r = 0; job->farthest && r < k; r++)
            found[r].dist = -found[r].dist;
        for (size_t m = job->group_start[g] + 1; m < job->group_start[g + 1]; m++)
            memcpy(job->out + job->members[m] * k, found, k * sizeof *found);
    }
}

int ll_dist_search(ll_dist_metric metric, ll_dist_order order, const ll_dist_index *index,
                   const double *queries, size_t n_queries, size_t k, int threads,
                   ll_neighbor *out)
{
    size_t n_cols = index->distinct.n_cols;
    row_groups qgroups;
    if (row_groups_build(&qgroups, queries, n_queries, n_cols) != 0)
        return -1;
    double *distinct = row_groups_gather(&qgroups, queries, n_cols);
    if (!distinct) {
        row_groups_free(&qgroups);
        return -1;
    }
    search_job job = {metric, order == LL_DIST_FARTHEST, index, distinct,
                      qgroups.start, qgroups.members, k, out};
    long n_blocks = (long)((qgroups.n_groups + QUERY_BLOCK - 1) / QUERY_BLOCK);
    threads = threads > 1 ? threads : 1;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (long b = 0; b < n_blocks; b++) {
        size_t q0 = (size_t)b * QUERY_BLOCK;
        size_t q1 = q0 + QUERY_BLOCK < qgroups.n_groups ? q0 + QUERY_BLOCK : qgroups.n_groups;
        search_block(&job, q0, q1);
    }
    finish(&job, qgroups.n_groups);
    free(distinct);
    row_groups_free(&qgroups);
    return 0;
}

int ll_dist_knn(ll_dist_metric metric, const ll_dist_index *index, const double *queries,
                size_t n_queries, size_t k, int threads, ll_neighbor *out)
{
    return ll_dist_search(metric, LL_DIST_NEAREST, index, queries, n_queries, k, threads, out);
}

/* The distinct rows back in row-major order (the queries of a self-join); NULL when out of
 * memory. */
static double *unpack_rows(const ll_dist_refs *refs)
{
    size_t n_cols = refs->n_cols, cells = refs->n_rows * n_cols;
    double *x = malloc((cells ? cells : 1) * sizeof *x);
    if (!x)
        return NULL;
    for (size_t i = 0; i < refs->n_rows; i++) {
        const double *panel = refs->data + (i / LL_DIST_PANEL) * n_cols * LL_DIST_PANEL;
        for (size_t j = 0; j < n_cols; j++)
            x[i * n_cols + j] = panel[j * LL_DIST_PANEL + i % LL_DIST_PANEL];
    }
    return x;
}

int ll_dist_search_self(ll_dist_metric metric, ll_dist_order order, const ll_dist_index *index,
                        size_t k, ll_neighbor *out)
{
    size_t n = index->distinct.n_rows;
    double *rows = unpack_rows(&index->distinct);
    ll_kbest *kb = malloc((n ? n : 1) * sizeof *kb);
    double *bound = malloc((n ? n : 1) * sizeof *bound);
    int rc = rows && kb && bound ? 0 : -1;
    if (rc == 0) {
        search_job job = {metric, order == LL_DIST_FARTHEST, index, rows,
                          index->group_start, index->members, k, out};
        search_self(&job, kb, bound);
        finish(&job, n);
    }
    free(rows);
    free(kb);
    free(bound);
    return rc;
}
