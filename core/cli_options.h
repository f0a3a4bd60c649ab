/* The command line's grammar: one table of commands with their options, help text and
 * examples, and the parser that reads argv against it. Compiled into the leadlab executable
 * only (not the library), so it may print: usage errors go to stderr, help to the FILE given. */
#ifndef LL_CLI_OPTIONS_H
#define LL_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    const char *name;  /* long name, without the leading "--" */
    char short_name;   /* 0 when the option has no short form */
    const char *arg;   /* what the value is called in help (N, DIR), NULL for a flag */
    const char *help;  /* one line */
} ll_cli_option;

typedef struct {
    const char *name;
    const char *synopsis;    /* what follows "leadlab NAME", one line per form */
    const char *summary;     /* one line, for the global help */
    const char *description; /* a paragraph, lines already wrapped */
    const ll_cli_option *options;
    size_t n_options;
    const char *examples;    /* one command per line */
} ll_cli_command;

/* One option as given: which one, and its value (NULL for a flag). */
typedef struct {
    const ll_cli_option *opt;
    const char *value;
} ll_cli_item;

/* What ll_cli_parse read; items and args point into argv and the table. */
typedef struct {
    const ll_cli_command *cmd;
    ll_cli_item *items; /* in the order given, repeats kept */
    size_t n_items;
    char **args; /* the operands (not options), in order */
    size_t n_args;
    int help;    /* -h or --help was given */
} ll_cli_parsed;

extern const ll_cli_command ll_cli_commands[];
extern const size_t ll_cli_n_commands;

/* The command called `name`, or NULL. */
const ll_cli_command *ll_cli_find(const char *name);

/* Reads argv[first..argc) against cmd's options: "--opt value", "--opt=value", "-j N", "-jN",
 * clustered short flags ("-vq"), and "--" ending the options. Returns 0 (free *out with
 * ll_cli_parsed_free), or -1 after printing a one-line error to stderr (an unknown option gets
 * the nearest valid one as a suggestion). -h/--help anywhere before "--" sets out->help. */
int ll_cli_parse(const ll_cli_command *cmd, int argc, char **argv, int first,
                 ll_cli_parsed *out);
void ll_cli_parsed_free(ll_cli_parsed *p);

/* Whether an item is the option with this long name. */
int ll_cli_is(const ll_cli_item *item, const char *name);

/* Prints the one-line-per-command summary, or one command's usage, options and examples. */
void ll_cli_print_global_help(FILE *out);
void ll_cli_print_command_help(FILE *out, const ll_cli_command *cmd);

/* "leadlab help X" for an X that is not a command: prints a one-line error with the nearest
 * command name when one is close. */
void ll_cli_unknown_command(const char *name);

#endif
