/* leadlab schedule (see schedule.h). */
#include "schedule.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static size_t pair_of(const ll_schedule *s, const ll_cell *c)
{
    return (size_t)c->model * s->run->n_samplers + c->sampler;
}

int ll_schedule_init(ll_schedule *s, ll_run_result *run)
{
    size_t pairs = run->n_models * run->n_samplers;
    s->run = run;
    s->pending = malloc((run->n_cells ? run->n_cells : 1) * sizeof *s->pending);
    s->pair_seconds = calloc(pairs ? pairs : 1, sizeof *s->pair_seconds);
    s->pair_count = calloc(pairs ? pairs : 1, sizeof *s->pair_count);
    s->n_pending = 0;
    s->seen_seconds = s->seen_prior = 0;
    s->n_seen = 0;
    if (!s->pending || !s->pair_seconds || !s->pair_count) {
        ll_schedule_free(s);
        return -1;
    }
    for (size_t c = 0; c < run->n_cells; c++) {
        if (run->cells[c].status == LL_CELL_PENDING)
            s->pending[s->n_pending++] = c;
        else if (run->cells[c].status != LL_CELL_DORMANT)
            ll_schedule_learn(s, &run->cells[c]);
    }
    return 0;
}

void ll_schedule_free(ll_schedule *s)
{
    free(s->pending);
    free(s->pair_seconds);
    free(s->pair_count);
    s->pending = NULL;
    s->pair_seconds = NULL;
    s->pair_count = NULL;
}

void ll_schedule_learn(ll_schedule *s, const ll_cell *cell)
{
    if (!(cell->seconds > 0))
        return;
    size_t p = pair_of(s, cell);
    s->pair_seconds[p] += cell->seconds;
    s->pair_count[p]++;
    s->seen_seconds += cell->seconds;
    s->seen_prior += cell->expected_seconds;
    s->n_seen++;
}

double ll_schedule_estimate(const ll_schedule *s, const ll_cell *cell)
{
    size_t p = pair_of(s, cell);
    if (s->pair_count[p])
        return s->pair_seconds[p] / (double)s->pair_count[p];
    double scale = s->seen_prior > 0 ? s->seen_seconds / s->seen_prior : 1.0;
    return cell->expected_seconds * scale;
}

size_t ll_schedule_next(ll_schedule *s)
{
    if (!s->n_pending)
        return SIZE_MAX;
    size_t best = 0;
    double best_cost = -1;
    for (size_t i = 0; i < s->n_pending; i++) {
        double cost = ll_schedule_estimate(s, &s->run->cells[s->pending[i]]);
        if (cost > best_cost || (cost == best_cost && s->pending[i] < s->pending[best])) {
            best = i;
            best_cost = cost;
        }
    }
    size_t cell = s->pending[best];
    s->pending[best] = s->pending[--s->n_pending];
    return cell;
}

void ll_schedule_requeue(ll_schedule *s, size_t cell) { s->pending[s->n_pending++] = cell; }

double ll_schedule_eta(const ll_schedule *s, const size_t *running, const double *elapsed,
                       size_t n_running, size_t slots)
{
    if (!s->n_seen || !slots)
        return NAN;
    double work = 0, longest_left = 0;
    for (size_t i = 0; i < s->n_pending; i++)
        work += ll_schedule_estimate(s, &s->run->cells[s->pending[i]]);
    for (size_t i = 0; i < n_running; i++) {
        double left = ll_schedule_estimate(s, &s->run->cells[running[i]]) - elapsed[i];
        /* A cell past its estimate is assumed to need a tenth of it again. */
        if (left < 0.1 * ll_schedule_estimate(s, &s->run->cells[running[i]]))
            left = 0.1 * ll_schedule_estimate(s, &s->run->cells[running[i]]);
        work += left;
        if (left > longest_left)
            longest_left = left;
    }
    double eta = work / (double)slots;
    return eta > longest_left ? eta : longest_left;
}
