/* leadlab encoder layout: what the encoder learns from a training file, shared by dataset.c
 * (which learns and applies it) and encoder_io.c (which saves it into model files). Private to
 * core/: everything else sees ll_encoder as opaque. */
#ifndef LL_CORE_ENCODER_H
#define LL_CORE_ENCODER_H

#include <stddef.h>

#include "dataset.h"

typedef enum { RAW_NUMBER, RAW_DATE, RAW_ONEHOT } raw_kind;

/* One raw column that yields features; everything is copied so the spec can be freed. */
typedef struct {
    char *name;
    raw_kind kind;
    int has_fill;
    double fill;
    int missing_flag;
    unsigned date_parts;
    double *categories; /* ascending, distinct */
    size_t n_categories;
} raw_column;

/* What a learned feature keeps of the training file: its distinct keys (see row_key),
 * ascending; a row's key code is its key's index here. Counts and labels are learned per fit
 * (fold_encoding.h), never here. */
typedef struct {
    char **keys;
    size_t n;
} key_table;

typedef struct {
    char *name;
    ll_derived_kind kind;
    char **sources;
    size_t n_sources;
    size_t first_source; /* where sources[0] sits in column_map.source_at */
    int has_fill;
    double fill;
    int missing_flag;
    double smoothing; /* LL_DERIVED_TARGET only */
    key_table keys;   /* the learned kinds only */
} derived_column;

struct ll_encoder {
    char *target, *positive, *negative, *id; /* negative may be learned from the train file */
    raw_column *columns;                     /* in the training file's column order */
    size_t n_columns;
    derived_column *derived;
    size_t n_derived;
    size_t n_sources; /* over all derived columns */
    char **feature_names;
    size_t n_features;
};

/* Features the encoder writes per row, in the order dataset.c writes them. */
size_t ll_encoder_feature_count(const ll_encoder *enc);

#endif
