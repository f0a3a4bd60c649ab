/* leadlab spec schema: the experiment spec as a JSON Schema (draft-07), with every loaded
 * plugin's parameters, so YAML-aware editors complete and check specs as they are typed. */
#ifndef LL_CORE_SCHEMA_H
#define LL_CORE_SCHEMA_H

#include <stdio.h>

#include "registry.h"

/* Writes the schema of a spec to `out`: every key spec.c reads, and for `samplers` and
 * `models` the plugins loaded in `reg` (call ll_registry_load_all first) with their
 * parameters. Where the reader's rule cannot be said exactly in JSON Schema, the schema is
 * looser than the reader, never stricter. Returns 0, or -1 when writing to `out` failed. */
int ll_schema_write(FILE *out, const ll_registry *reg);

/* An ll_registry_load_all callback: writes "leadlab: MSG" and a newline to the FILE* ctx. */
void ll_schema_report_refusal(const char *msg, void *stream);

#endif
