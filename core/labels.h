/* leadlab labels: config labels shortened to the parameters that vary within a plugin (for
 * tables people read), and one column per plugin parameter (for tables tools read). */
#ifndef LL_CORE_LABELS_H
#define LL_CORE_LABELS_H

#include <stddef.h>

#include "spec.h"

/* Shortens the labels of one list of configs ("knn(k=5,weights=distance)", as the spec names
 * them): each keeps only the parameters whose value differs between the configs of the same
 * plugin in the list (a parameter one config gives and another leaves at its default counts as
 * varying), so a plugin listed once shows its bare name. Should two configs of a plugin end up
 * with one short label (the same parameters written in another order), that plugin keeps its
 * full labels. out[i] is malloc'd; returns 0, or -1 when memory runs out (out then holds
 * nothing to free). */
int ll_short_labels(const char *const *labels, size_t n, char **out);
void ll_labels_free(char **labels, size_t n);

/* ll_short_labels of the spec's model and sampler configs: (*models)[spec->n_models] and
 * (*samplers)[spec->n_samplers], freed with ll_labels_free. Returns 0, or -1 when memory runs
 * out (both NULL then). */
int ll_spec_short_labels(const ll_spec *spec, char ***models, char ***samplers);

/* s cut to at most `max_chars` characters (UTF-8 aware), the last an ellipsis when it was
 * longer, into buf (len bytes, always terminated). Returns the characters written. */
size_t ll_label_trim(const char *s, size_t max_chars, char *buf, size_t len);

/* The parameter columns of a list of configs: "PREFIX.NAME" for every parameter of every
 * plugin in the list, in first-seen schema order (two plugins sharing a name, like logreg's
 * and svm's C, share the column). Returns a malloc'd array of *n_out malloc'd names (free with
 * ll_labels_free), or NULL when memory runs out (*n_out = 0 with an empty list is not NULL). */
char **ll_param_columns(const ll_config *list, size_t n, const char *prefix, size_t *n_out);

/* The value of column `column` ("PREFIX.NAME") for one config, as its text in the spec (or the
 * schema's default), e.g. "0.5", "balanced", "[64, 64]"; NULL when the plugin has no such
 * parameter. */
const char *ll_param_value(const ll_config *config, const char *column);

#endif
