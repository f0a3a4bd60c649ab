/* leadlab init: infers each column's role in a CSV (id, target, number, integer codes, date,
 * unusable text) and writes a commented starter spec, then validates it as `run` would. */
#ifndef LL_CORE_INIT_H
#define LL_CORE_INIT_H

#include <stddef.h>

#include "error.h"

typedef struct {
    const char *data;     /* the CSV to describe */
    const char *target;   /* the label column */
    const char *positive; /* the positive label; NULL = inferred (1 of 0/1, else the minority) */
    const char *out;      /* the spec to write; never the data file */
    int force;            /* overwrite an existing `out` */
    int threads;          /* for the run-time estimate: cells at once; 0 = this machine's
                           * processors */
} ll_init_options;

typedef struct {
    size_t rows, positives;
    size_t features;  /* raw columns kept as features (the id and target excluded) */
    size_t dropped;   /* raw columns dropped */
    size_t cells;     /* configs x samplers x folds of the default study */
    double seconds;   /* the estimated run time */
    char estimate[32]; /* the same as text: "40 s", "3 min", "1.5 h" */
    char positive[128];
} ll_init_summary;

/* Reads opt->data, writes the spec to opt->out (atomically) and loads it back with
 * ll_spec_load and the data with its transforms; 0 or -1 with one line in err ("FILE:LINE:
 * column 'x': ..." for bad data). Refuses a target without exactly two distinct values, a
 * missing label, an existing `out` without force, and an `out` that is the data file. */
int ll_init_spec(const ll_init_options *opt, ll_init_summary *summary, ll_error *err);

#endif
