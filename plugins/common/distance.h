/* Exact distances between blocks of rows (squared Euclidean, Manhattan), exact k-smallest
 * selection with ties going to the lower row index, and the k-nearest (or farthest) neighbour
 * search built on them: the one search engine of the kNN model and, through neighbors.h, of the
 * samplers. */
#ifndef LL_PLUGIN_DISTANCE_H
#define LL_PLUGIN_DISTANCE_H

#include <stddef.h>

typedef enum {
    LL_DIST_SQEUCLIDEAN, /* sum of squared coordinate differences */
    LL_DIST_MANHATTAN    /* sum of absolute coordinate differences */
} ll_dist_metric;

/* ---- block kernel --------------------------------------------------------------------- */

/* Reference rows per packed panel: a 15-column panel (30 KB) stays in L1/L2 while a block of
 * queries runs over it. */
#define LL_DIST_PANEL 256

/* Reference rows repacked column-major panel by panel (data[(p * n_cols + j) * LL_DIST_PANEL + r]
 * holds column j of row p * LL_DIST_PANEL + r), zero-padded to whole panels, so the distance
 * loop reads contiguous memory and vectorises over reference rows. Owns `data`. */
typedef struct {
    double *data;
    size_t n_rows, n_cols, n_panels;
} ll_dist_refs;

/* Packs x (n_rows x n_cols, row-major). Returns 0, or -1 when memory runs out (refs left empty). */
int ll_dist_refs_pack(ll_dist_refs *refs, const double *x, size_t n_rows, size_t n_cols);
void ll_dist_refs_free(ll_dist_refs *refs); /* leaves refs empty */

/* The packed rows back in row-major order (n_rows x n_cols, caller frees), e.g. to save them;
 * NULL when out of memory. */
double *ll_dist_refs_unpack(const ll_dist_refs *refs);

/* Number of real (not padding) rows in panel p. */
size_t ll_dist_panel_rows(const ll_dist_refs *refs, size_t panel);

/* out[q * LL_DIST_PANEL + r] = distance from query row q (of n_queries, row-major, refs->n_cols
 * columns) to reference row panel * LL_DIST_PANEL + r, for every r of the panel (values past
 * ll_dist_panel_rows are padding). Every distance is summed over columns 0..n_cols-1 in order,
 * so it is bitwise equal to ll_dist_pair and independent of the query's position in a block. */
void ll_dist_panel(ll_dist_metric metric, const ll_dist_refs *refs, size_t panel,
                   const double *queries, size_t n_queries, double *out);

/* The same distance for one pair of rows. */
double ll_dist_pair(ll_dist_metric metric, const double *a, const double *b, size_t n_cols);

/* ---- k smallest --------------------------------------------------------------------------- */

typedef struct {
    double dist;
    size_t index;
} ll_neighbor;

/* The k smallest (dist, index) pairs offered so far, ascending: a smaller distance wins, and at
 * equal distances the lower index, whatever order the candidates arrive in. */
typedef struct {
    ll_neighbor *best; /* caller-owned storage for k entries */
    size_t k, count;
} ll_kbest;

void ll_kbest_init(ll_kbest *kb, ll_neighbor *storage, size_t k);
/* Returns 1 when (dist, index) is kept (for now), 0 when it is not among the k smallest or dist
 * is NaN. */
int ll_kbest_offer(ll_kbest *kb, double dist, size_t index);

/* ---- k nearest (or farthest) neighbours --------------------------------------------------- */

/* Reference rows ready for the searches below. Identical rows are stored once and searched
 * once: on data with few distinct values (counts, codes, one-hots) that halves the work or
 * better, and it changes nothing in the result. */
typedef struct {
    ll_dist_refs distinct; /* the distinct rows, packed */
    size_t *group_start;   /* distinct.n_rows + 1 offsets into `members` */
    size_t *members;       /* the row indices of each distinct row, ascending within a group */
    size_t n_rows;
} ll_dist_index;

/* Indexes x (n_rows x n_cols, row-major, finite). Returns 0, or -1 when memory runs out (index
 * left empty). */
int ll_dist_index_build(ll_dist_index *index, const double *x, size_t n_rows, size_t n_cols);
void ll_dist_index_free(ll_dist_index *index); /* leaves index empty */

/* Which end of the distance order a search keeps. */
typedef enum {
    LL_DIST_NEAREST, /* the k nearest, nearest first */
    LL_DIST_FARTHEST /* the k farthest, farthest first (the k smallest of (-distance, index)) */
} ll_dist_order;

/* For every query row q (n_queries x n_cols, row-major, finite) writes its k nearest (or
 * farthest) reference rows to out[q * k .. q * k + k - 1], in `order`; at equal distances the
 * lower index comes first either way. Identical query rows are searched once. Parallel over query
 * blocks with at most `threads` OpenMP threads; the result does not depend on `threads`.
 * Requires 1 <= k <= index->n_rows. Returns 0, or -1 when memory runs out. */
int ll_dist_search(ll_dist_metric metric, ll_dist_order order, const ll_dist_index *index,
                   const double *queries, size_t n_queries, size_t k, int threads,
                   ll_neighbor *out);

/* Every indexed row's neighbours among the OTHER indexed rows (its exact duplicates included, at
 * distance 0): row i's k nearest (or farthest) to out[i * k .. i * k + k - 1], as in
 * ll_dist_search. Requires 1 <= k < index->n_rows. With one thread each pair of distinct rows
 * is computed once, which halves the distance work; with more, the rows are split in blocks as
 * in ll_dist_search; the result is the same. Returns 0, or -1 when memory runs out. */
int ll_dist_search_self(ll_dist_metric metric, ll_dist_order order, const ll_dist_index *index,
                        size_t k, int threads, ll_neighbor *out);

/* The kNN model's call: ll_dist_search with LL_DIST_NEAREST. */
int ll_dist_knn(ll_dist_metric metric, const ll_dist_index *index, const double *queries,
                size_t n_queries, size_t k, int threads, ll_neighbor *out);

#endif
