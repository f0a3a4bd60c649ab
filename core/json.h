/* leadlab JSON text: the two writers every JSON output shares. */
#ifndef LL_CORE_JSON_H
#define LL_CORE_JSON_H

#include <stdio.h>

/* Writes s as a JSON string literal (bytes that are not UTF-8 become U+FFFD). */
void ll_json_string(FILE *out, const char *s);
/* Writes a number the user spelled `text` (value its reading) as valid JSON: the text itself
 * when JSON allows it, else the shortest round-trip form; a non-finite value as a string. */
void ll_json_number(FILE *out, const char *text, double value);

#endif
