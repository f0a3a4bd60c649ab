/* leadlab derived rows (see runner.h): leaderboard rows computed from the cells of other rows,
 * rebuilt after every collect so that a resumed or reloaded run renders them the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensemble.h"
#include "runner.h"
#include "select.h"

void ll_run_derived_free(ll_run_result *run)
{
    for (size_t d = 0; d < run->n_derived; d++)
        free(run->derived[d].cells);
    free(run->derived);
    run->derived = NULL;
    run->n_derived = 0;
}

ll_derived_row *ll_run_add_derived(ll_run_result *run, const char *label)
{
    size_t per_row = run->repeats * run->folds;
    ll_derived_row *grown = realloc(run->derived, (run->n_derived + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    run->derived = grown;
    ll_derived_row *row = &grown[run->n_derived];
    memset(row, 0, sizeof *row);
    if (!(row->cells = calloc(per_row ? per_row : 1, sizeof *row->cells)))
        return NULL;
    snprintf(row->label, sizeof row->label, "%s", label);
    run->n_derived++;
    return row;
}

int ll_run_derive(const ll_spec *spec, ll_run_result *run, ll_error *err)
{
    ll_run_derived_free(run);
    if (ll_run_select(spec, run, err) != 0)
        return -1;
    return ll_run_ensembles(spec, run, err);
}
