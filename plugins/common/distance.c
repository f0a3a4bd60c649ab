/* Exact block distances, k-smallest selection and k-nearest/farthest search (see distance.h).
 *
 * Distances are summed coordinate differences rather than |a|^2 + |b|^2 - 2 a.b: as fast for
 * ~15 columns (4 query rows x 16 reference rows summed in registers), and exact, so identical
 * rows are at distance 0 and near-ties are never reordered by cancellation. */
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
_Static_assert(LL_DIST_PANEL % SKIP_RUN == 0 && SKIP_RUN % BLOCK_R == 0 && BLOCK_R % VEC == 0,
               "screening runs, kernel blocks and vectors tile a panel");

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

/* ll_dist_panel for the panel rows [r_begin, r_end) only, both multiples of BLOCK_R. */
static void panel_rows(ll_dist_metric metric, const ll_dist_refs *refs, size_t panel,
                       const double *queries, size_t n_queries, size_t r_begin, size_t r_end,
                       double *out)
{
    size_t n_cols = refs->n_cols;
    const double *data = refs->data + panel * n_cols * LL_DIST_PANEL;
    double discard[BLOCK_R]; /* the output of the repeated rows filling a short group */
    for (size_t q0 = 0; q0 < n_queries; q0 += BLOCK_Q) {
        const double *q[BLOCK_Q];
        size_t n = n_queries - q0 < BLOCK_Q ? n_queries - q0 : BLOCK_Q;
        for (size_t a = 0; a < BLOCK_Q; a++)
            q[a] = queries + (q0 + (a < n ? a : n - 1)) * n_cols;
        for (size_t r0 = r_begin; r0 < r_end; r0 += BLOCK_R) {
            double *o[BLOCK_Q];
            for (size_t a = 0; a < BLOCK_Q; a++)
                o[a] = a < n ? out + (q0 + a) * LL_DIST_PANEL + r0 : discard;
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
 * comparison (the searches below refuse most in vectorised runs before they get here). A NaN is
 * refused by that comparison, or explicitly while the list fills. */
int ll_kbest_offer(ll_kbest *kb, double dist, size_t index)
{
    size_t pos;
    if (kb->count < kb->k && !isnan(dist))
        pos = kb->count++;
    else if (kb->count == kb->k && kb->k > 0 && neighbor_before(dist, index, &kb->best[kb->k - 1]))
        pos = kb->k - 1;
    else
        return 0;
    for (; pos > 0 && kb->best[pos - 1].dist > dist; pos--) /* farther ones, then equal ones */
        kb->best[pos] = kb->best[pos - 1];
    for (; pos > 0 && kb->best[pos - 1].dist == dist && kb->best[pos - 1].index > index; pos--)
        kb->best[pos] = kb->best[pos - 1];
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

/* Offers every row of distinct reference row g at `key`. Its rows come in ascending index, so
 * the first one refused means the rest would be refused too. */
static void offer_group(ll_kbest *kb, const ll_dist_index *index, size_t g, double key)
{
    for (size_t m = index->group_start[g]; m < index->group_start[g + 1]; m++)
        if (!ll_kbest_offer(kb, key, index->members[m]))
            return;
}

/* Bit r set when key[r] <= bound (or bound[r]), r < SKIP_RUN: branch-free loops GCC
 * vectorises. */
static uint32_t below_one(const double *restrict key, double bound)
{
    uint32_t mask = 0;
    for (size_t r = 0; r < SKIP_RUN; r++)
        mask |= (uint32_t)(key[r] <= bound) << r;
    return mask;
}

static uint32_t below_each(const double *restrict key, const double *restrict bound)
{
    uint32_t mask = 0;
    for (size_t r = 0; r < SKIP_RUN; r++)
        mask |= (uint32_t)(key[r] <= bound[r]) << r;
    return mask;
}

/* The bits of the run starting at r0 (from - SKIP_RUN < r0 < to) that fall in [from, to). */
static uint32_t span_mask(size_t r0, size_t from, size_t to)
{
    uint32_t low = from > r0 ? UINT32_MAX << (from - r0) : UINT32_MAX;
    return to - r0 >= SKIP_RUN ? low : low & ((UINT32_C(1) << (to - r0)) - 1);
}

/* The key above which a candidate cannot enter the list. */
static double list_bound(const ll_kbest *kb)
{
    return kb->count < kb->k ? INFINITY : kb->best[kb->k - 1].dist;
}

/* Offers the distinct reference rows first + r, r in [from, to), at keys key[r], except the
 * distinct row `skip` (SIZE_MAX: none). A run is screened at once (keys are computed over whole
 * runs): once the list is full nearly every candidate fails the screen. ll_kbest_offer checks
 * again, as the bound drops while a run's candidates go in. */
static void offer_row(ll_kbest *kb, const ll_dist_index *index, const double *key, size_t from,
                      size_t to, size_t first, size_t skip)
{
    for (size_t r0 = from - from % SKIP_RUN; r0 < to; r0 += SKIP_RUN) {
        uint32_t mask = below_one(key + r0, list_bound(kb)) & span_mask(r0, from, to);
        if (skip >= first + r0 && skip < first + r0 + SKIP_RUN)
            mask &= ~(UINT32_C(1) << (skip - first - r0));
        for (; mask; mask &= mask - 1) {
            size_t r = r0 + (size_t)__builtin_ctz(mask);
            offer_group(kb, index, first + r, key[r]);
        }
    }
}

/* One search. Keys are the distances, or for the farthest their negations: the k smallest keys
 * are then the k farthest, ties still going to the lower index. */
typedef struct {
    ll_dist_metric metric;
    int farthest;
    int others_only; /* the queries are the distinct reference rows; each list skips its own */
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

/* Keys from distinct queries [s, s + n) to the rows [from, to) of reference panel p, rounded
 * out to whole runs of SKIP_RUN; query i's at strip[i * LL_DIST_PANEL + r]. */
static void strip_keys(const search_job *job, size_t p, size_t s, size_t n, size_t from,
                       size_t to, double *strip)
{
    const ll_dist_refs *refs = &job->index->distinct;
    size_t r_begin = from - from % SKIP_RUN, r_end = (to + SKIP_RUN - 1) / SKIP_RUN * SKIP_RUN;
    panel_rows(job->metric, refs, p, job->queries + s * refs->n_cols, n, r_begin, r_end, strip);
    for (size_t i = 0; job->farthest && i < n; i++)
        for (size_t r = r_begin; r < r_end; r++)
            strip[i * LL_DIST_PANEL + r] = -strip[i * LL_DIST_PANEL + r];
}

/* Distinct queries [q0, q1) into the lists kb[0 .. q1 - q0 - 1]: each panel is loaded once and
 * serves every strip of the block. */
static void search_block(const search_job *job, size_t q0, size_t q1, ll_kbest *kb)
{
    const ll_dist_refs *refs = &job->index->distinct;
    double strip[QUERY_STRIP * LL_DIST_PANEL];
    for (size_t q = q0; q < q1; q++)
        ll_kbest_init(&kb[q - q0], list_storage(job, q), job->k);
    for (size_t p = 0; p < refs->n_panels; p++) {
        size_t rows = ll_dist_panel_rows(refs, p);
        for (size_t s = q0; s < q1; s += QUERY_STRIP) {
            size_t n = q1 - s < QUERY_STRIP ? q1 - s : QUERY_STRIP;
            strip_keys(job, p, s, n, 0, rows, strip);
            for (size_t q = s; q < s + n; q++)
                offer_row(&kb[q - q0], job->index, strip + (q - s) * LL_DIST_PANEL, 0, rows,
                          p * LL_DIST_PANEL, job->others_only ? q : SIZE_MAX);
        }
    }
}

/* ---- self-join ------------------------------------------------------------------------------ */

/* Offers distinct row g, at key[r] from distinct row first + r, to that row's list for every r
 * in [from, to). bound[h] mirrors list_bound(&kb[h]) (with entries up to whole panels), so a
 * run of lists is screened at once. */
static void offer_column(ll_kbest *kb, double *bound, const ll_dist_index *index,
                         const double *key, size_t from, size_t to, size_t first, size_t g)
{
    for (size_t r0 = from - from % SKIP_RUN; r0 < to; r0 += SKIP_RUN) {
        uint32_t mask = below_each(key + r0, bound + first + r0) & span_mask(r0, from, to);
        for (; mask; mask &= mask - 1) {
            size_t h = first + r0 + (size_t)__builtin_ctz(mask);
            offer_group(&kb[h], index, g, key[h - first]);
            bound[h] = list_bound(&kb[h]);
        }
    }
}

/* search_block over all the distinct rows, each list skipping its own, in one thread: the keys
 * of the pair (g, h > g) are computed once and offered to both lists. ll_kbest keeps the same k
 * whatever order candidates come in, so the result is search_block's. kb holds one list per
 * distinct row, bound one entry per row of whole panels. */
static void search_self(const search_job *job, ll_kbest *kb, double *bound)
{
    const ll_dist_refs *refs = &job->index->distinct;
    size_t n = refs->n_rows;
    double strip[QUERY_STRIP * LL_DIST_PANEL];
    for (size_t g = 0; g < n; g++)
        ll_kbest_init(&kb[g], list_storage(job, g), job->k);
    for (size_t h = 0; h < refs->n_panels * LL_DIST_PANEL; h++)
        bound[h] = INFINITY;
    for (size_t q0 = 0; q0 < n; q0 += QUERY_BLOCK) {
        size_t q1 = q0 + QUERY_BLOCK < n ? q0 + QUERY_BLOCK : n;
        for (size_t p = q0 / LL_DIST_PANEL; p < refs->n_panels; p++) {
            size_t first = p * LL_DIST_PANEL, rows = ll_dist_panel_rows(refs, p);
            for (size_t s = q0; s < q1; s += QUERY_STRIP) {
                size_t m = q1 - s < QUERY_STRIP ? q1 - s : QUERY_STRIP;
                strip_keys(job, p, s, m, s > first ? s - first : 0, rows, strip);
                for (size_t g = s; g < s + m; g++) { /* g < first + rows */
                    const double *key = strip + (g - s) * LL_DIST_PANEL;
                    size_t from = g >= first ? g - first + 1 : 0;
                    offer_row(&kb[g], job->index, key, from, rows, first, SIZE_MAX);
                    bound[g] = list_bound(&kb[g]);
                    offer_column(kb, bound, job->index, key, from, rows, first, g);
                }
            }
        }
    }
}

/* ---- entry points ----------------------------------------------------------------------- */

/* Keys back to distances. */
static void keys_to_distances(const search_job *job, ll_neighbor *list, size_t n)
{
    for (size_t r = 0; job->farthest && r < n; r++)
        list[r].dist = -list[r].dist;
}

/* Gives identical queries their first query's list. */
static void finish(const search_job *job, size_t n_groups)
{
    size_t k = job->k;
    for (size_t g = 0; g < n_groups; g++) {
        ll_neighbor *found = list_storage(job, g);
        keys_to_distances(job, found, k);
        for (size_t m = job->group_start[g] + 1; m < job->group_start[g + 1]; m++)
            memcpy(job->out + job->members[m] * k, found, k * sizeof *found);
    }
}

/* Row `self`'s k neighbours among the other rows, into out: the other rows identical to it
 * (own[0 .. n_own - 1], ascending, all at key `zero`) merged with its distinct row's list of the
 * other distinct rows (`others`, `count` entries). */
static void merge_own_group(const ll_neighbor *others, size_t count, const size_t *own,
                            size_t n_own, size_t self, double zero, size_t k, ll_neighbor *out)
{
    size_t a = 0, b = 0;
    for (size_t r = 0; r < k; r++) {
        if (a < n_own && own[a] == self)
            a++;
        if (a < n_own && (b == count || neighbor_before(zero, own[a], &others[b])))
            out[r] = (ll_neighbor){zero, own[a++]};
        else
            out[r] = others[b++];
    }
}

/* The self search's lists (of the other distinct rows) into every row's final list. `spare`
 * holds k entries: a list is moved there before its first row's output overwrites it. */
static void finish_self(const search_job *job, const ll_kbest *kb, size_t n_groups,
                        ll_neighbor *spare)
{
    double zero = job->farthest ? -0.0 : 0.0; /* the key of an identical row */
    for (size_t g = 0; g < n_groups; g++) {
        const size_t *own = job->members + job->group_start[g];
        size_t n_own = job->group_start[g + 1] - job->group_start[g];
        memcpy(spare, kb[g].best, kb[g].count * sizeof *spare);
        for (size_t m = 0; m < n_own; m++) {
            ll_neighbor *found = job->out + own[m] * job->k;
            merge_own_group(spare, kb[g].count, own, n_own, own[m], zero, job->k, found);
            keys_to_distances(job, found, job->k);
        }
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
    search_job job = {metric, order == LL_DIST_FARTHEST, 0, index, distinct,
                      qgroups.start, qgroups.members, k, out};
    long n_blocks = (long)((qgroups.n_groups + QUERY_BLOCK - 1) / QUERY_BLOCK);
    threads = threads > 1 ? threads : 1;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (long b = 0; b < n_blocks; b++) {
        ll_kbest kb[QUERY_BLOCK];
        size_t q0 = (size_t)b * QUERY_BLOCK;
        size_t q1 = q0 + QUERY_BLOCK < qgroups.n_groups ? q0 + QUERY_BLOCK : qgroups.n_groups;
        search_block(&job, q0, q1, kb);
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

double *ll_dist_refs_unpack(const ll_dist_refs *refs)
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
                        size_t k, int threads, ll_neighbor *out)
{
    const ll_dist_refs *refs = &index->distinct;
    size_t n = refs->n_rows, n_slots = refs->n_panels ? refs->n_panels * LL_DIST_PANEL : 1;
    threads = threads > 1 ? threads : 1;
    double *rows = ll_dist_refs_unpack(refs); /* the queries of the self search */
    ll_kbest *kb = malloc((n ? n : 1) * sizeof *kb);
    ll_neighbor *spare = malloc(k * sizeof *spare);
    double *bound = threads == 1 ? malloc(n_slots * sizeof *bound) : NULL;
    int rc = rows && kb && spare && (bound || threads > 1) ? 0 : -1;
    if (rc == 0) {
        search_job job = {metric, order == LL_DIST_FARTHEST, 1, index, rows,
                          index->group_start, index->members, k, out};
        if (threads == 1) {
            search_self(&job, kb, bound);
        } else {
            long n_blocks = (long)((n + QUERY_BLOCK - 1) / QUERY_BLOCK);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
            for (long b = 0; b < n_blocks; b++) {
                size_t q0 = (size_t)b * QUERY_BLOCK;
                search_block(&job, q0, q0 + QUERY_BLOCK < n ? q0 + QUERY_BLOCK : n, kb + q0);
            }
        }
        finish_self(&job, kb, n, spare);
    }
    free(rows);
    free(kb);
    free(spare);
    free(bound);
    return rc;
}
