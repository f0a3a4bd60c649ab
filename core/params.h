/* leadlab plugin parameters: a YAML mapping validated against a plugin's schema (type, range,
 * allowed words, unknown keys with a suggestion), list values expanded into a grid or
 * distributions sampled for random search, and the host services through which plugins read
 * the result. */
#ifndef LL_CORE_PARAMS_H
#define LL_CORE_PARAMS_H

#include <stdio.h>

#include "error.h"
#include "hash.h"
#include "leadlab/plugin.h"
#include "yaml_tree.h"

/* Validates `map` (a mapping node, or NULL for all defaults) against the schema of `plugin` and
 * expands every list value into a grid (for INT_LIST params, a list of lists); a distribution
 * (see ll_params_sample) is validated, then refused. On success
 * *out is a malloc'd array of *n_out parameter sets, freed with ll_params_free_all.
 * `file` and `where` (e.g. "models.knn") prefix messages: "FILE:LINE:COL: WHERE.KEY: ...". */
int ll_params_expand(const ll_plugin *plugin, const ll_ynode *map, const char *file,
                     const char *where, ll_params ***out, size_t *n_out, ll_error *err);
/* Random search: draws `trials` parameter sets from `map`, whose values may be distributions
 * as well as values and grids: {uniform: [a, b]} and {loguniform: [a, b]} (REAL, a < b,
 * loguniform 0 < a), {int: [a, b]} (INT, a <= b, both inclusive) and {choice: [v, ...]}
 * (any type); a grid list is drawn from as a {choice: list}. Every bound and choice is
 * validated as a single value of its parameter. Trial t's value of key K comes from a stream
 * seeded with ll_seed_mix(ll_seed_mix(seed, t), hash of K's name): the same seed gives the same
 * sets, and other keys do not move K's draws. Two trials may draw the same set: both are kept
 * (the caller decides). Drawn reals are labelled with their shortest round-trip text. */
int ll_params_sample(const ll_plugin *plugin, const ll_ynode *map, const char *file,
                     const char *where, size_t trials, uint64_t seed, ll_params ***out,
                     size_t *n_out, ll_error *err);
/* Whether a parameter mapping gives a distribution (a mapping value) for some key; such a
 * mapping is refused by ll_params_expand ("a distribution needs search: ..."). */
int ll_params_has_distribution(const ll_ynode *map);
void ll_params_free(ll_params *params);
void ll_params_free_all(ll_params **params, size_t n);

/* "k=5,weights=distance": the values the spec gave, in spec order ("" if none). Owned by params. */
const char *ll_params_label(const ll_params *params);
/* A hash of the plugin name and every parameter value (given or default) in schema order:
 * the same configuration gets the same hash however the spec orders its keys. */
uint64_t ll_params_hash(const ll_params *params);
/* Feeds the same canonical content (name, every value in schema order) into a 128-bit hash,
 * for cell keys. */
void ll_params_hash_into(const ll_params *params, ll_hash *h);
/* Writes every parameter (given or default) as a JSON object. */
void ll_params_write_json(const ll_params *params, FILE *out);

/* Checks a plugin's schema as the loader must before trusting it: names present, well formed
 * and unique, known types and flags, words for STR, min <= max, and every default a valid
 * single value of its own parameter (in range, an allowed word). */
int ll_params_check_schema(const ll_plugin *plugin, ll_error *err);

/* The services handed to plugins. */
const ll_host *ll_host_default(void);
/* Where plugin log lines go (default: stderr for ERROR and WARN only). Not thread-safe to
 * change while cells run. */
void ll_host_set_log_level(int max_level);
/* What this thread is running, named in the plugin log lines it prints ("knn(k=5) x smote,
 * repeat 0, fold 2"); NULL or "" clears it. Per thread, so concurrent cells keep their own;
 * threads a plugin starts itself log without one. */
void ll_host_set_log_context(const char *context);

/* Levenshtein distance, for "did you mean" suggestions. */
size_t ll_edit_distance(const char *a, const char *b);
/* The candidate closest to `word` if it is close enough to be a likely typo, else NULL.
 * `candidates` is a '|'-separated list. */
const char *ll_suggest(const char *word, const char *candidates, char *buf, size_t buflen);
/* Whether a candidate `distance` edits from `word` is near enough to be its typo: the rule
 * ll_suggest applies (a third of the word's length plus one, and at least 2). */
int ll_close_enough(const char *word, size_t distance);

#endif
