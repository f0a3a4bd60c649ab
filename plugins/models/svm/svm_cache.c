/* LRU kernel-row cache for the SMO solver (see svm_cache.h). Fixed-size slots of n floats: one
 * allocation, no realloc churn, and no allocation failure once the solver is running. */
#include "svm_cache.h"

#include <stdint.h>
#include <stdlib.h>

#define NO_SLOT SIZE_MAX

typedef struct {
    size_t lo, hi;
} swap_entry;

struct ll_svm_cache {
    size_t n, n_slots, used; /* slots [used, n_slots) have never been handed out */
    float *rows;             /* n_slots * n */
    size_t *slot_of;         /* per variable: its slot or NO_SLOT */
    size_t *owner;           /* per slot: the variable whose row it holds */
    size_t *len;             /* per slot: computed prefix length */
    size_t *prev, *next;     /* circular LRU list over slots; node n_slots is the sentinel */
    swap_entry *log;         /* swaps not yet replayed on every row, oldest first */
    size_t log_len, log_cap;
    size_t *replayed;        /* per slot: how many log entries its row already reflects */
};

ll_svm_cache *ll_svm_cache_new(size_t n, size_t budget_bytes)
{
    ll_svm_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    size_t row_bytes = (n ? n : 1) * sizeof(float);
    size_t slots = budget_bytes / row_bytes;
    if (slots > n)
        slots = n;
    if (slots < 2)
        slots = 2;
    c->n = n;
    c->n_slots = slots;
    c->log_cap = n > 64 ? n : 64;
    c->rows = malloc(slots * row_bytes);
    c->slot_of = malloc((n ? n : 1) * sizeof *c->slot_of);
    c->owner = malloc(slots * sizeof *c->owner);
    c->len = malloc(slots * sizeof *c->len);
    c->prev = malloc((slots + 1) * sizeof *c->prev);
    c->next = malloc((slots + 1) * sizeof *c->next);
    c->log = malloc(c->log_cap * sizeof *c->log);
    c->replayed = malloc(slots * sizeof *c->replayed);
    if (!c->rows || !c->slot_of || !c->owner || !c->len || !c->prev || !c->next || !c->log ||
        !c->replayed) {
        ll_svm_cache_free(c);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        c->slot_of[i] = NO_SLOT;
    c->prev[slots] = c->next[slots] = slots; /* empty list */
    return c;
}

void ll_svm_cache_free(ll_svm_cache *c)
{
    if (!c)
        return;
    free(c->rows);
    free(c->slot_of);
    free(c->owner);
    free(c->len);
    free(c->prev);
    free(c->next);
    free(c->log);
    free(c->replayed);
    free(c);
}

static void lru_unlink(ll_svm_cache *c, size_t s)
{
    c->next[c->prev[s]] = c->next[s];
    c->prev[c->next[s]] = c->prev[s];
}

static void lru_push_recent(ll_svm_cache *c, size_t s)
{
    size_t sentinel = c->n_slots;
    c->prev[s] = c->prev[sentinel];
    c->next[s] = sentinel;
    c->next[c->prev[sentinel]] = s;
    c->prev[sentinel] = s;
}

/* Applies the logged swaps this slot's row has not seen yet. An entry whose partner lies beyond
 * the computed prefix invalidates the row from the lower position on. */
static void replay(ll_svm_cache *c, size_t s)
{
    float *row = c->rows + s * c->n;
    size_t len = c->len[s];
    for (size_t k = c->replayed[s]; k < c->log_len; k++) {
        size_t lo = c->log[k].lo, hi = c->log[k].hi;
        if (len > hi) {
            float t = row[lo];
            row[lo] = row[hi];
            row[hi] = t;
        } else if (len > lo) {
            len = lo;
        }
    }
    c->len[s] = len;
    c->replayed[s] = c->log_len;
}

float *ll_svm_cache_get(ll_svm_cache *c, size_t index, size_t len, size_t *valid)
{
    size_t s = c->slot_of[index];
    if (s != NO_SLOT) {
        lru_unlink(c, s);
        replay(c, s);
    } else {
        if (c->used < c->n_slots) {
            s = c->used++;
        } else { /* evict the least recently used row */
            s = c->next[c->n_slots];
            lru_unlink(c, s);
            c->slot_of[c->owner[s]] = NO_SLOT;
        }
        c->slot_of[index] = s;
        c->owner[s] = index;
        c->len[s] = 0;
        c->replayed[s] = c->log_len;
    }
    lru_push_recent(c, s);
    *valid = c->len[s] < len ? c->len[s] : len;
    if (c->len[s] < len)
        c->len[s] = len;
    return c->rows + s * c->n;
}

void ll_svm_cache_swap(ll_svm_cache *c, size_t i, size_t j)
{
    if (i == j)
        return;
    size_t si = c->slot_of[i], sj = c->slot_of[j];
    c->slot_of[i] = sj;
    c->slot_of[j] = si;
    if (si != NO_SLOT)
        c->owner[si] = j;
    if (sj != NO_SLOT)
        c->owner[sj] = i;
    if (c->log_len == c->log_cap) { /* log full: bring every row up to date and start over */
        for (size_t s = 0; s < c->used; s++)
            replay(c, s);
        c->log_len = 0;
        for (size_t s = 0; s < c->used; s++)
            c->replayed[s] = 0;
    }
    c->log[c->log_len++] = (swap_entry){i < j ? i : j, i < j ? j : i};
}
