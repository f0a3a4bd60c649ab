/* leadlab command line: the only place that prints results and decides exit codes
 * (0 success, 1 some cells failed, 2 bad input or usage). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "call_list.h"
#include "cli_options.h"
#include "compare.h"
#include "conformance.h"
#include "dataset.h"
#include "fit.h"
#include "encoder_io.h"
#include "hash.h"
#include "init.h"
#include "model_file.h"
#include "mpi_link.h"
#include "params.h"
#include "report.h"
#include "runner.h"
#include "schema.h"
#include "session.h"
#include "spec.h"
#include "store.h"
#include "summary.h"
#include "text.h"

#ifndef LL_VERSION
#define LL_VERSION "0"
#endif

enum { EXIT_CELLS_FAILED = 1, EXIT_BAD_INPUT = 2, EXIT_IO = 3 };

/* The world of this process: NULL, or the MPI job it belongs to (set once in main). */
static ll_mpi *mpi_world;

static int bad_input(const char *msg)
{
    fprintf(stderr, "leadlab: %s\n", msg);
    return EXIT_BAD_INPUT;
}

/* A library error: bad input (2), or a read or write the system refused (3). */
static int error_exit(const ll_error *err)
{
    fprintf(stderr, "leadlab: %s\n", err->msg);
    return err->io ? EXIT_IO : EXIT_BAD_INPUT;
}

/* Options shared by run, validate, fit and predict; which of them a command takes is its
 * table's business (cli_options.c), so an option here is never one the command refused. */
typedef struct {
    const char *spec;
    const char *sets[64];
    size_t n_sets;
    int threads, fresh;
    int verbose, quiet; /* -v counted: 1 info logs and progress, 2 debug logs too */
    const char *isolation; /* --isolation: overrides the spec's, like -j it changes no result */
    const char *sort;      /* --sort: overrides the spec's report.sort */
    const char *config, *sampler, *test, *out;
    const char *model, *plugin_dir; /* predict --model, --plugin-path */
    int best, proba; /* fit/predict: --best, --proba */
    int rank;        /* predict: --rank, or implied by --top */
    int top_given;   /* predict: --top, read into top (its row count is checked later) */
    ll_top_request top;
} options;

static int parse_options(const ll_cli_parsed *p, options *o)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < p->n_items; i++) {
        const ll_cli_item *it = &p->items[i];
        const char *v = it->value;
        if (ll_cli_is(it, "threads")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 1 || n > 1024) {
                fprintf(stderr, "leadlab: -j/--threads '%s': expected N from 1 to 1024\n", v);
                return -1;
            }
            o->threads = (int)n;
        } else if (ll_cli_is(it, "set")) {
            if (o->n_sets == sizeof o->sets / sizeof o->sets[0]) {
                fprintf(stderr, "leadlab: at most %zu --set options (put more in the spec)\n",
                        sizeof o->sets / sizeof o->sets[0]);
                return -1;
            }
            o->sets[o->n_sets++] = v;
        } else if (ll_cli_is(it, "verbose")) {
            o->verbose++;
        } else if (ll_cli_is(it, "quiet")) {
            o->quiet = 1;
        } else if (ll_cli_is(it, "fresh")) {
            o->fresh = 1;
        } else if (ll_cli_is(it, "isolation")) {
            if (strcmp(v, "process") && strcmp(v, "none")) {
                fprintf(stderr, "leadlab: --isolation expects process or none\n");
                return -1;
            }
            o->isolation = v;
        } else if (ll_cli_is(it, "sort")) {
            ll_at_metric at;
            if (ll_metric_parse(v, &at) < 0) {
                fprintf(stderr, "leadlab: --sort expects a metric: f1, precision, recall, roc_auc, "
                                "pr_auc, mcc, balanced_accuracy, brier, log_loss, ece, or "
                                "recall_at_K, precision_at_K, lift_at_K (K in (0, 1])\n");
                return -1;
            }
            o->sort = v;
        } else if (ll_cli_is(it, "best")) {
            o->best = 1;
        } else if (ll_cli_is(it, "proba")) {
            o->proba = 1;
        } else if (ll_cli_is(it, "rank")) {
            o->rank = 1;
        } else if (ll_cli_is(it, "top")) {
            /* Refused here, before a spec is read or a model fitted; only the row count waits
             * for the test file. */
            ll_error err;
            if (ll_call_list_parse_top(v, &o->top, &err) != 0) {
                fprintf(stderr, "leadlab: %s\n", err.msg);
                return -1;
            }
            o->rank = o->top_given = 1;
        } else {
            const char **slot = ll_cli_is(it, "config")  ? &o->config
                              : ll_cli_is(it, "sampler") ? &o->sampler
                              : ll_cli_is(it, "test")    ? &o->test
                              : ll_cli_is(it, "out")     ? &o->out
                              : ll_cli_is(it, "model")   ? &o->model
                                                         : &o->plugin_dir;
            *slot = v;
        }
    }
    if (o->quiet && o->verbose) {
        fprintf(stderr, "leadlab: -q and -v contradict each other; give one\n");
        return -1;
    }
    if (p->n_args > 1) {
        fprintf(stderr, "leadlab: unexpected argument '%s'\n", p->args[1]);
        return -1;
    }
    o->spec = p->n_args ? p->args[0] : NULL;
    if (!o->spec && !o->model) {
        fprintf(stderr, "leadlab: %s needs a spec file (see leadlab help %s)\n", p->cmd->name,
                p->cmd->name);
        return -1;
    }
    return 0;
}

/* A loaded experiment: what run, validate and predict all start from. */
typedef struct {
    options opt;
    ll_registry reg;
    ll_spec spec;
    ll_encoder *enc;
    ll_dataset data;
    /* Synthetic data is generated next to its final place and moved there only by a run the
     * result store accepted, so a refused run never replaces the data of a folder's results. */
    char *synth_file;
} experiment;

static void close_experiment(experiment *ex)
{
    if (ex->synth_file)
        remove(ex->synth_file); /* gone already when a run moved it into place */
    free(ex->synth_file);
    ll_dataset_free(&ex->data);
    ll_encoder_free(ex->enc);
    ll_spec_free(&ex->spec);
    ll_registry_free(&ex->reg);
}

/* Parses the command line, loads the spec and its training data (generating synthetic data
 * when the spec asks). Returns 0, or the exit code after printing why. */
static int open_experiment(const ll_cli_parsed *args, experiment *ex)
{
    memset(ex, 0, sizeof *ex);
    if (parse_options(args, &ex->opt) != 0)
        return EXIT_BAD_INPUT;
    ll_error err;
    const options *o = &ex->opt;
    if (ll_spec_load(o->spec, o->sets, o->n_sets, &ex->reg, &ex->spec, &err) != 0)
        return error_exit(&err); /* spec and registry already freed */
    ll_spec *spec = &ex->spec;
    int rc = 0;
    if (o->isolation) {
        spec->isolation = strcmp(o->isolation, "none") == 0 ? LL_ISOLATION_NONE
                                                             : LL_ISOLATION_PROCESS;
        if (spec->isolation == LL_ISOLATION_NONE &&
            (spec->cell_seconds > 0 || spec->cell_memory_mb > 0)) {
            close_experiment(ex);
            return bad_input("--isolation none: the spec's limits need isolation: process");
        }
    }
    if (o->sort && ll_spec_sort_by(spec, o->sort, &err) != 0) {
        close_experiment(ex);
        return error_exit(&err);
    }
    if (spec->synth) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", spec->train_path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        if (!(ex->synth_file = ll_format("%s.%ld.tmp", spec->train_path, (long)getpid())))
            rc = bad_input("out of memory");
        else if ((slash && ll_make_dirs(dir, &err) != 0) ||
                 ll_synth_write(ex->synth_file, spec->synth_rows, spec->synth_seed, &err) != 0)
            rc = error_exit(&err);
    }
    const char *data_file = ex->synth_file ? ex->synth_file : spec->train_path;
    if (rc == 0 && ll_dataset_load_train(data_file, &spec->features, &ex->enc, &ex->data,
                                         &err) != 0)
        rc = error_exit(&err);
    size_t pos = ex->data.n_positive, neg = ex->data.n_rows - pos;
    /* Time-ordered folds are checked fold by fold when the plan is built. */
    if (rc == 0 && spec->cv_method == LL_CV_STRATIFIED &&
        (pos < spec->folds || neg < spec->folds)) {
        fprintf(stderr, "leadlab: %s: %zu-fold CV needs at least %zu rows of each class, the "
                        "data has %zu positives and %zu negatives\n", spec->train_path,
                spec->folds, spec->folds, pos, neg);
        rc = EXIT_BAD_INPUT;
    }
    if (rc != 0)
        close_experiment(ex);
    return rc;
}

static void describe_machine(char *buf, size_t len)
{
    char model[256] = "";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "model name", 10)) {
                const char *colon = strchr(line, ':');
                if (colon) {
                    snprintf(model, sizeof model, "%s", colon + 2);
                    model[strcspn(model, "\n")] = '\0';
                }
                break;
            }
        fclose(f);
    }
    struct utsname u;
    const char *arch = uname(&u) == 0 ? u.machine : "unknown";
    snprintf(buf, len, "%s, %ld cores%s%s", arch, sysconf(_SC_NPROCESSORS_ONLN),
             model[0] ? ", " : "", model);
}

/* "build/leadlab run SPEC --set a=b", as typed: the thread count is left out, as it cannot
 * change results. */
/* Appends ' ' and `arg` quoted for a POSIX shell: as is when it holds only characters no shell
 * treats specially, else in single quotes (a quote inside becomes '\''), so pasting the line
 * into sh reruns the same thing. Returns the new length (>= len when truncated). */
static size_t append_shell_word(char *buf, size_t len, size_t used, const char *arg)
{
    int plain = arg[0] != '\0';
    for (const char *c = arg; *c; c++)
        plain &= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                 (*c >= '0' && *c <= '9') || strchr("_@%+=:,./-", *c) != NULL;
    if (used < len)
        used += (size_t)snprintf(buf + used, len - used, plain ? " %s" : " '", plain ? arg : "");
    for (const char *c = arg; !plain && *c && used < len; c++)
        used += (size_t)snprintf(buf + used, len - used, *c == '\'' ? "'\\''" : "%c", *c);
    if (!plain && used < len)
        used += (size_t)snprintf(buf + used, len - used, "'");
    return used;
}

static void describe_command(char *buf, size_t len, const char *exe, const char *verb,
                             const options *o)
{
    buf[0] = '\0';
    size_t used = append_shell_word(buf, len, 0, exe);
    used = append_shell_word(buf, len, used, verb);
    used = append_shell_word(buf, len, used, o->spec);
    for (size_t i = 0; i < o->n_sets && used < len; i++) {
        used = append_shell_word(buf, len, used, "--set");
        used = append_shell_word(buf, len, used, o->sets[i]);
    }
    if (o->sort && used < len) { /* it changes the ranking, so regenerating needs it */
        used = append_shell_word(buf, len, used, "--sort");
        append_shell_word(buf, len, used, o->sort);
    }
    if (buf[0] == ' ')
        memmove(buf, buf + 1, strlen(buf));
}

typedef struct {
    int tty, verbose;
    int line_open; /* a progress line without its newline is on the terminal */
} progress_state;

static void on_progress(const ll_progress *p, void *ctx)
{
    progress_state *ps = ctx;
    if (!ps->tty && !ps->verbose)
        return;
    char eta[32] = "--";
    if (!isnan(p->eta_seconds))
        snprintf(eta, sizeof eta, "%.0fs", p->eta_seconds);
    char failed[32] = "";
    if (p->failed)
        snprintf(failed, sizeof failed, " (%zu failed)", p->failed);
    /* On a terminal the line rewrites itself; the padding wipes a longer previous one. */
    fprintf(stderr, "%scells %zu/%zu%s  running %zu  elapsed %.1fs  eta %s%s",
            ps->tty ? "\r" : "", p->done, p->total, failed, p->running, p->elapsed_seconds, eta,
            !ps->tty ? "\n" : p->done < p->total ? "   " : "   \n");
    ps->line_open = ps->tty && p->done < p->total;
}

static int resolve_threads(const options *o, const ll_spec *spec)
{
    if (o->threads > 0)
        return o->threads;
    if (spec->threads > 0)
        return spec->threads;
    return omp_get_num_procs();
}

/* SIGINT / SIGTERM: the first stops handing out cells, the second abandons the running ones. */
static volatile sig_atomic_t stop_requests, stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
    if (stop_requests < 2)
        stop_requests++;
}

static void install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: the scheduler's wait returns and looks at the flag */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int cmd_run(const ll_cli_parsed *args, const char *exe)
{
    experiment ex;
    int rc = open_experiment(args, &ex);
    if (rc != 0)
        return rc;
    const options o = ex.opt;
    const ll_spec *spec = &ex.spec;
    ll_host_set_log_level(o.quiet ? LL_LOG_ERROR
                          : o.verbose > 1 ? LL_LOG_DEBUG
                          : o.verbose ? LL_LOG_INFO : LL_LOG_WARN);
    int rank = ll_mpi_rank(mpi_world);
    progress_state progress = {rank == 0 && !o.quiet && isatty(STDERR_FILENO),
                               rank == 0 && o.verbose, 0};
    char command[2048], machine[512];
    describe_command(command, sizeof command, exe, "run", &o);
    describe_machine(machine, sizeof machine);
    install_stop_handlers();
    ll_session_options sopt = {resolve_threads(&o, spec), o.fresh,  &stop_requests,
                               on_progress,             &progress, mpi_world,
                               command,                 machine,   ex.synth_file};
    ll_session_result res;
    ll_error err;
    int session_rc = ll_session_run(spec, &ex.data, &sopt, &res, &err);
    if (progress.line_open)
        fputc('\n', stderr);
    if (session_rc != 0) {
        fprintf(stderr, "leadlab: %s\n", err.msg);
        rc = err.io ? EXIT_IO : res.bad_input ? EXIT_BAD_INPUT : EXIT_CELLS_FAILED;
    } else if (!res.serving) {
        const ll_run_result *run = &res.run;
        ll_report_context ctx = {command, machine, NULL};
        ll_report_markdown(stdout, spec, &ex.data, run, &ctx);
        fprintf(stdout, "\nWrote %s/ (%.1f s, %d threads; %zu cells run, %zu reused from "
                        "results.db)\nReport: %s/report.html\n", spec->out_dir,
                res.engine.wall_seconds, run->threads, res.engine.ran, res.reused, spec->out_dir);
        if (run->n_failed) {
            fprintf(stderr, "leadlab: %zu cell%s failed; see %s/cells.csv\n", run->n_failed,
                    run->n_failed == 1 ? "" : "s", spec->out_dir);
            rc = EXIT_CELLS_FAILED;
        }
        if (res.engine.interrupted) {
            fprintf(stderr, "leadlab: interrupted by %s: %zu of %zu cells done%s; rerun the same "
                            "command to resume\n", stop_signal == SIGTERM ? "SIGTERM" : "SIGINT",
                    run->n_ok + run->n_failed, run->n_ok + run->n_failed + run->n_pending,
                    res.engine.abandoned ? " (running cells abandoned)" : "");
            rc = 128 + (stop_signal ? (int)stop_signal : SIGINT);
        }
    }
    if (res.engine.abandoned && spec->isolation == LL_ISOLATION_NONE) {
        /* Cells abandoned in threads of this process are still running plugin code on the
         * data and plan: leave now, freeing nothing, and run no exit handler they could race
         * with. */
        fflush(NULL);
        _exit(rc);
    }
    ll_run_result_free(&res.run);
    close_experiment(&ex);
    return rc;
}

static int cmd_status(const ll_cli_parsed *args)
{
    if (args->n_args != 1)
        return bad_input("usage: leadlab status OUTDIR");
    const char *dir = args->args[0];
    ll_store_status st;
    ll_error err;
    if (ll_store_read_status(dir, &st, &err) != 0)
        return error_exit(&err);
    printf("%s: run %lld, %s (started %s%s%s)\n", dir, (long long)st.run_id, st.status,
           st.started_at, st.ended_at[0] ? ", ended " : "", st.ended_at);
    printf("data: %s\n", st.data_file);
    printf("cells: %zu done, %zu failed, %zu pending, of %zu\n\n", st.done, st.failed,
           st.pending, st.done + st.failed + st.pending);
    printf("%6s %6s %7s %8s %9s  %s\n", "done", "failed", "pending", "mean F1", "seconds",
           "config | sampler");
    for (size_t i = 0; i < st.n_rows; i++) {
        const ll_status_row *r = &st.rows[i];
        char f1[16] = "–";
        if (r->done)
            snprintf(f1, sizeof f1, "%.4f", r->f1_sum / (double)r->done);
        printf("%6zu %6zu %7zu %8s %9.1f  %s | %s\n", r->done, r->failed, r->pending, f1,
               r->seconds, r->config, r->sampler);
    }
    ll_store_status_free(&st);
    return 0;
}

/* Columns of the terminal stdout is, else $COLUMNS, else 80. */
static size_t terminal_width(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *env = getenv("COLUMNS");
    long v = env ? strtol(env, NULL, 10) : 0;
    return v > 0 && v < 10000 ? (size_t)v : 80;
}

static int cmd_show(const ll_cli_parsed *args)
{
    static const char usage_line[] = "usage: leadlab show OUTDIR [--sort METRIC] [--width N]";
    int metric = LL_SUM_F1;
    size_t width = terminal_width();
    for (size_t i = 0; i < args->n_items; i++) {
        const char *v = args->items[i].value;
        char *end;
        long n;
        ll_at_metric at;
        int sort = ll_cli_is(&args->items[i], "sort") ? ll_metric_parse(v, &at) : -1;
        if (sort >= LL_SUM_BRIER)
            return bad_input("show --sort: results.db keeps per cell the metrics at the cut; "
                             "brier, log_loss, ece and top-k metrics come from the scores: rank "
                             "by them with `leadlab run --sort` (leaderboard.md)");
        if (sort >= 0)
            metric = sort;
        else if (ll_cli_is(&args->items[i], "width") && *v &&
                 (n = strtol(v, &end, 10), !*end) && n >= 20 && n <= 10000)
            width = (size_t)n;
        else
            return bad_input(usage_line);
    }
    if (args->n_args != 1)
        return bad_input(usage_line);
    const char *dir = args->args[0];
    ll_stored_run run;
    ll_error err;
    if (ll_store_read_run(dir, &run, &err) != 0)
        return error_exit(&err);
    int rc = ll_show(stdout, dir, &run, metric, width);
    ll_stored_run_free(&run);
    return rc == 0 ? 0 : bad_input("out of memory");
}

static int cmd_compare(const ll_cli_parsed *args)
{
    static const char usage_line[] = "usage: leadlab compare DIR_A DIR_B [--html OUT.html]";
    const char *html = NULL;
    for (size_t i = 0; i < args->n_items; i++) {
        if (html) /* --html is the only option: a second one is a mistake */
            return bad_input(usage_line);
        html = args->items[i].value;
    }
    if (args->n_args != 2)
        return bad_input(usage_line);
    const char *dirs[2] = {args->args[0], args->args[1]};
    ll_stored_run a, b;
    ll_error err;
    if (ll_store_read_run(dirs[0], &a, &err) != 0)
        return error_exit(&err);
    if (ll_store_read_run(dirs[1], &b, &err) != 0) {
        ll_stored_run_free(&a);
        return error_exit(&err);
    }
    ll_comparison cmp;
    int rc = 0;
    if (ll_compare_runs(&a, &b, &cmp, &err) != 0) {
        rc = error_exit(&err);
    } else {
        if (ll_compare_markdown(stdout, dirs[0], &a, dirs[1], &b, &cmp) != 0)
            rc = bad_input("out of memory");
        ll_atomic_file af;
        if (rc == 0 && html) {
            if (ll_atomic_open(&af, html, &err) != 0) {
                rc = error_exit(&err);
            } else if (ll_compare_html(af.f, dirs[0], &a, dirs[1], &b, &cmp) != 0 &&
                       !ferror(af.f)) { /* a write error is the commit's to report */
                fclose(af.f);
                remove(af.tmp);
                rc = bad_input("out of memory");
            } else if (ll_atomic_commit(&af, &err) != 0) {
                rc = error_exit(&err);
            } else {
                fprintf(stderr, "leadlab: wrote %s\n", html);
            }
        }
        ll_comparison_free(&cmp);
    }
    ll_stored_run_free(&a);
    ll_stored_run_free(&b);
    return rc;
}

/* validate on time-ordered folds: the days and rows of each fold of the plan. */
static void print_time_folds(const ll_dataset *data, const ll_run_result *run)
{
    for (size_t f = 0; f < run->folds; f++) {
        ll_split split = ll_plan_outer_split(run, 0, f);
        ll_split_span span;
        ll_split_describe(&split, run->y, data->order_days, run->n_rows, &span);
        char a[16], b[16], c[16], d[16];
        printf("  fold %zu: trains on %s .. %s (%zu rows, %zu positives), tests on %s .. %s "
               "(%zu rows, %zu positives)\n", f, ll_format_date(span.train_first, a, sizeof a),
               ll_format_date(span.train_last, b, sizeof b), span.n_train, span.train_positives,
               ll_format_date(span.test_first, c, sizeof c),
               ll_format_date(span.test_last, d, sizeof d), span.n_test, span.test_positives);
    }
}

static int cmd_validate(const ll_cli_parsed *args)
{
    experiment ex;
    int rc = open_experiment(args, &ex);
    if (rc != 0)
        return rc;
    const ll_spec spec = ex.spec;
    const ll_dataset data = ex.data;
    /* Time-ordered folds are planned here, so a fold the data cannot fill is refused too. */
    ll_run_result plan;
    memset(&plan, 0, sizeof plan);
    ll_error plan_err;
    ll_digest no_hash = {0, 0}; /* the cell keys are not needed */
    if (spec.cv_method == LL_CV_TIME &&
        ll_plan_build(&spec, &data, no_hash, &plan, &plan_err) != 0) {
        close_experiment(&ex);
        return error_exit(&plan_err);
    }
    printf("%s: ok\n", ex.opt.spec);
    printf("data: %s: %zu rows, %zu positives, %zu features:", spec.train_path, data.n_rows,
           data.n_positive, data.n_cols);
    for (size_t j = 0; j < data.n_cols; j++)
        printf(" %s", data.col_names[j]);
    char cv[256];
    printf("\ncv: %s; threshold: ", ll_spec_cv_label(&spec, cv, sizeof cv));
    if (spec.tune_threshold)
        printf("tuned for F1 on %zu inner folds\n", spec.tune_folds);
    else
        printf("%g\n", spec.threshold);
    if (spec.cv_method == LL_CV_TIME)
        print_time_folds(&data, &plan);
    ll_run_result_free(&plan);
    printf("models (%zu configs):\n", spec.n_models);
    for (size_t i = 0; i < spec.n_models; i++)
        printf("  %s\n", spec.models[i].label);
    printf("samplers (%zu configs):\n", spec.n_samplers);
    for (size_t i = 0; i < spec.n_samplers; i++)
        printf("  %s\n", spec.samplers[i].label);
    size_t outer = spec.n_models * spec.n_samplers * spec.repeats * spec.folds;
    printf("cells: %zu configs x %zu samplers x %zu repeats x %zu folds = %zu\n", spec.n_models,
           spec.n_samplers, spec.repeats, spec.folds, outer);
    if (spec.select || spec.n_ensembles) /* the inner cells they share (plan.c) */
        printf("inner cells (%s): %zu x %zu inner folds = %zu\n",
               spec.select && spec.n_ensembles ? "select, ensembles"
               : spec.select                   ? "select"
                                               : "ensembles",
               outer, spec.select_inner_folds, outer * spec.select_inner_folds);
    for (size_t i = 0; i < spec.n_ensembles; i++)
        printf("ensemble: %s\n", spec.ensembles[i].name);
    printf("isolation: %s", spec.isolation == LL_ISOLATION_NONE ? "none (threads)"
                                                                  : "process (worker processes)");
    if (spec.cell_seconds > 0)
        printf("; limit %g s per cell", spec.cell_seconds);
    if (spec.cell_memory_mb > 0)
        printf("; limit %g MB per cell", spec.cell_memory_mb);
    printf("\noutput: %s\n", spec.out_dir);
    ll_error err;
    if (ll_output_dir_ready(spec.out_dir, &err) != 0 ||
        ll_outputs_spare_inputs(&spec, &err) != 0)
        rc = error_exit(&err);
    close_experiment(&ex);
    return rc;
}

static const ll_config *find_config(const ll_config *list, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i].label, label))
            return &list[i];
    return NULL;
}

/* Whether two paths name one existing file (the same inode, whatever the spelling). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Refuses an --out that would overwrite one of the command's inputs. */
static int out_is_input(const char *out, const char *const *inputs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (same_file(out, inputs[i])) {
            fprintf(stderr, "leadlab: --out %s is one of the inputs; choose another file\n", out);
            return 1;
        }
    return 0;
}

/* The (model, sampler) indexes of the best row of `run` ranked by `metric`, when it has a
 * finished cell: 1, else 0 (also when memory runs out). */
static int top_row(const ll_run_result *run, int metric, size_t *model, size_t *sampler)
{
    size_t n_rows = 0;
    ll_summary_row *rows = ll_summarise_by(run, metric, &n_rows);
    int found = rows && n_rows && rows[0].cells > rows[0].failed + rows[0].pending;
    if (found) {
        *model = rows[0].model;
        *sampler = rows[0].sampler;
    }
    free(rows);
    return found;
}

/* The (model, sampler) pair fit and predict work on: --config/--sampler labels, or with --best
 * the top row of the last run in the spec's output folder (ranked as the spec ranks). Prints
 * why and returns EXIT_BAD_INPUT when there is none. */
static int choose_pair(const experiment *ex, const ll_config **model, const ll_config **sampler)
{
    const ll_spec *spec = &ex->spec;
    const options *o = &ex->opt;
    char model_label[1024] = "", sampler_label[1024] = "";
    if (o->best && (o->config || o->sampler))
        return bad_input("--best picks the config and the sampler; drop --config/--sampler");
    if (o->best && spec->sort_metric >= LL_SUM_BRIER) {
        /* Ranked by what the scores give: the store's cells of this spec, scores collected. */
        ll_run_result run;
        ll_error err;
        if (ll_session_load(spec, &ex->data, &run, &err) != 0) {
            fprintf(stderr, "leadlab: --best: %s\n", err.msg);
            return EXIT_BAD_INPUT;
        }
        size_t m, s;
        int found = top_row(&run, spec->sort_metric, &m, &s);
        if (found) {
            snprintf(model_label, sizeof model_label, "%s", spec->models[m].label);
            snprintf(sampler_label, sizeof sampler_label, "%s", spec->samplers[s].label);
        }
        ll_run_result_free(&run);
        if (!found) {
            fprintf(stderr, "leadlab: --best: %s holds no finished cell of this spec (run it "
                            "first)\n", spec->out_dir);
            return EXIT_BAD_INPUT;
        }
    } else if (o->best) {
        ll_stored_run stored;
        ll_error err;
        if (ll_store_read_run(spec->out_dir, &stored, &err) != 0) {
            fprintf(stderr, "leadlab: --best: %s (run the spec first)\n", err.msg);
            return EXIT_BAD_INPUT;
        }
        size_t m, s;
        int found = top_row(&stored.run, spec->sort_metric, &m, &s);
        if (found) {
            snprintf(model_label, sizeof model_label, "%s", stored.configs[m]);
            snprintf(sampler_label, sizeof sampler_label, "%s", stored.samplers[s]);
        }
        ll_stored_run_free(&stored);
        if (!found) {
            fprintf(stderr, "leadlab: --best: the last run in %s has no finished row\n",
                    spec->out_dir);
            return EXIT_BAD_INPUT;
        }
    } else if (!o->config) {
        return bad_input("name the config: --config MODEL (and --sampler SAMPLER when the spec "
                         "has several), or --best");
    } else {
        snprintf(model_label, sizeof model_label, "%s", o->config);
        snprintf(sampler_label, sizeof sampler_label, "%s", o->sampler ? o->sampler : "");
    }
    *model = find_config(spec->models, spec->n_models, model_label);
    *sampler = sampler_label[0] ? find_config(spec->samplers, spec->n_samplers, sampler_label)
               : spec->n_samplers == 1 ? &spec->samplers[0] : NULL;
    if (*model && *sampler)
        return 0;
    const ll_config *list = *model ? spec->samplers : spec->models;
    size_t n = *model ? spec->n_samplers : spec->n_models;
    if (*model && !sampler_label[0])
        fprintf(stderr, "leadlab: %s: the spec has several samplers; name one with --sampler "
                        "(have:", spec->path);
    else
        fprintf(stderr, "leadlab: %s: no %s '%s'%s in the spec (have:", spec->path,
                *model ? "sampler" : "model config", *model ? sampler_label : model_label,
                o->best ? " (the last run's best row)" : "");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", list[i].label);
    fputs(")\n", stderr);
    return EXIT_BAD_INPUT;
}

/* Fits the pair on all training rows, with the calibrator and the cut learned by inner CV
 * when the config calibrates or the spec tunes the cut.
 * On 0 the caller frees *fitted; otherwise the message is printed and the exit code returned. */
static int fit_pair(const experiment *ex, const ll_config *model, const ll_config *sampler,
                    ll_fitted *fitted, double *cut)
{
    const ll_spec *spec = &ex->spec;
    const ll_dataset *train = &ex->data;
    int threads = resolve_threads(&ex->opt, spec);
    omp_set_max_active_levels(2);
    uint64_t seed = ll_seed_mix(spec->seed, ll_hash_text(LL_HASH_INIT, "predict"));
    ll_fit_setup setup = {sampler, model, spec->scale_zscore, train->n_cols, train->col_binary,
                          seed, threads, (const char *const *)train->col_names,
                          &train->encoding};
    ll_err perr = {{0}};
    size_t cells = train->n_rows * train->n_cols;
    double *x = malloc((cells ? cells : 1) * sizeof *x);
    if (!x)
        return bad_input("out of memory");
    memcpy(x, train->x, cells * sizeof *x);
    ll_fit_stats stats;
    ll_nested_setup nested = {spec->tune_threshold, spec->threshold, spec->tune_folds};
    ll_status st = ll_fit_nested(&setup, &nested, (ll_rows){x, train->y, train->n_rows}, fitted,
                                 cut, &stats, &perr);
    free(x);
    if (st != LL_OK) {
        fprintf(stderr, "leadlab: %s + %s failed: %s\n", model->label, sampler->label, perr.msg);
        return EXIT_CELLS_FAILED;
    }
    return 0;
}

/* Parameters as one JSON text, for the model file. Caller frees; NULL out of memory. */
static char *params_json(const ll_params *params)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    ll_params_write_json(params, f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static int cmd_fit(const ll_cli_parsed *args)
{
    experiment ex;
    int rc = open_experiment(args, &ex);
    if (rc != 0)
        return rc;
    const ll_config *model = NULL, *sampler = NULL;
    const char *inputs[] = {ex.spec.train_path, ex.spec.path};
    if (!ex.opt.out)
        rc = bad_input("fit needs --out MODEL.llm");
    else if (!out_is_input(ex.opt.out, inputs, 2))
        rc = choose_pair(&ex, &model, &sampler);
    else
        rc = EXIT_BAD_INPUT;
    ll_fitted fitted;
    double cut;
    if (rc == 0 && (rc = fit_pair(&ex, model, sampler, &fitted, &cut)) == 0) {
        ll_error err;
        ll_digest data;
        char hex[33] = "";
        if (ll_hash_file(ex.synth_file ? ex.synth_file : ex.spec.train_path, &data, &err) == 0)
            ll_digest_hex(data, hex);
        ll_saved_model info = {
            .model_label = model->label, .sampler_label = sampler->label,
            .model_params = params_json(model->params),
            .sampler_params = params_json(sampler->params),
            .leadlab_version = LL_VERSION, .data_hash = hex,
            .train_rows = ex.data.n_rows, .train_positives = ex.data.n_positive,
            .cut = cut, .cut_tuned = ex.spec.tune_threshold};
        if (!info.model_params || !info.sampler_params)
            rc = bad_input("out of memory");
        else if (ll_model_save(ex.opt.out, &info, ex.enc, &fitted, &err) != 0)
            rc = error_exit(&err);
        else
            fprintf(stderr, "leadlab: %s + %s fitted on %zu rows (%zu positive), cut %.4f (%s) "
                            "-> %s\n", model->label, sampler->label, ex.data.n_rows,
                    ex.data.n_positive, cut, ex.spec.tune_threshold ? "tuned" : "fixed",
                    ex.opt.out);
        free(info.model_params);
        free(info.sampler_params);
        ll_fitted_free(&fitted);
    }
    close_experiment(&ex);
    return rc;
}

/* How many rows a call list keeps of the test file's n: all with --rank, the --top share or
 * count with --top (0 when there is no call list). Run once the test file is read and before
 * anything is fitted or written; prints why and returns EXIT_BAD_INPUT when --top asks for
 * more rows than the file has. */
static int call_list_rows(const options *o, size_t n_rows, size_t *listed)
{
    *listed = o->rank ? n_rows : 0;
    ll_error err;
    if (o->top_given && ll_call_list_top_rows(&o->top, n_rows, listed, &err) != 0)
        return error_exit(&err);
    return 0;
}

/* What the summary line adds for a call list ("" without one). Static buffer. */
static const char *call_list_note(int rank, size_t listed)
{
    static char note[64];
    note[0] = '\0';
    if (rank)
        snprintf(note, sizeof note, "; call list of the best %zu", listed);
    return note;
}

/* The row's id, or its line number when the pipeline has no id column. */
static void write_row_id(FILE *f, const ll_dataset *test, size_t i)
{
    if (test->ids)
        ll_csv_field(f, test->ids[i]);
    else
        fprintf(f, "%zu", i + 1);
}

/* id,TARGET (0/1 at the cut) or id,p_TARGET per test row, in the test file's order; or, with
 * rank, the call list id,p_TARGET,rank,decile: the best `listed` rows by descending score
 * (ties in input order), deciles over all rows. *n_positive counts every row at the cut. */
static int write_predictions(const char *path, const char *id, const char *target,
                             const ll_dataset *test, const double *scores, double cut,
                             int proba, int rank, size_t listed, size_t *n_positive)
{
    ll_error err;
    size_t n = test->n_rows, *order = NULL;
    /* Ranked before the file is opened, so running out of memory leaves nothing behind. */
    if (rank) {
        if (!(order = malloc((n ? n : 1) * sizeof *order)))
            return bad_input("out of memory");
        if (ll_call_list_order(scores, n, order, &err) != 0) {
            free(order);
            return error_exit(&err);
        }
    }
    ll_atomic_file af;
    if (ll_atomic_open(&af, path, &err) != 0) {
        free(order);
        return error_exit(&err);
    }
    ll_csv_field(af.f, id ? id : "row");
    fputs(proba || rank ? ",p_" : ",", af.f);
    ll_csv_field(af.f, target);
    fputs(rank ? ",rank,decile\n" : "\n", af.f);
    *n_positive = 0;
    for (size_t i = 0; i < n; i++)
        *n_positive += scores[i] >= cut;
    if (rank) {
        for (size_t r = 0; r < listed; r++) {
            write_row_id(af.f, test, order[r]);
            fprintf(af.f, ",%.17g,%zu,%zu\n", scores[order[r]], r + 1,
                    ll_call_list_decile(r + 1, n));
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            write_row_id(af.f, test, i);
            if (proba)
                fprintf(af.f, ",%.17g\n", scores[i]);
            else
                fprintf(af.f, ",%d\n", scores[i] >= cut);
        }
    }
    free(order);
    return ll_atomic_commit(&af, &err) != 0 ? error_exit(&err) : 0;
}

/* predict --model M.llm --test X.csv --out Y.csv [--proba] [--rank] [--top X] [-j N]
 * [--plugin-path DIR] */
static int predict_from_model(const options *o)
{
    const char *model_path = o->model, *test_path = o->test, *out = o->out;
    const char *plugin_dir = o->plugin_dir;
    int proba = o->proba, threads = o->threads ? o->threads : 1;
    const char *spec_only = o->spec ? o->spec : o->config ? "--config" : o->sampler ? "--sampler"
                          : o->best ? "--best" : o->n_sets ? "--set" : NULL;
    if (spec_only) {
        fprintf(stderr, "leadlab: predict --model: unexpected argument '%s' (a saved model "
                        "takes --test, --out, --proba, --rank, --top, -j and --plugin-path; "
                        "the spec options go to fit)\n", spec_only);
        return EXIT_BAD_INPUT;
    }
    if (!model_path || !test_path || !out)
        return bad_input("predict --model MODEL.llm needs --test FILE.csv --out FILE.csv");
    const char *inputs[] = {model_path, test_path};
    if (out_is_input(out, inputs, 2))
        return EXIT_BAD_INPUT;
    ll_registry reg;
    ll_error err;
    const char *extra[] = {plugin_dir};
    if (ll_registry_init(&reg, extra, plugin_dir ? 1 : 0, &err) != 0)
        return error_exit(&err);
    ll_saved_model m;
    int rc = ll_model_load(model_path, &reg, &m, &err) != 0 ? error_exit(&err) : 0;
    ll_dataset test = {0};
    double *scores = NULL;
    size_t listed = 0;
    if (rc == 0 && ll_dataset_load_apply(test_path, m.encoder, &test, &err) != 0)
        rc = error_exit(&err);
    if (rc == 0)
        rc = call_list_rows(o, test.n_rows, &listed);
    if (rc == 0 && !(scores = malloc((test.n_rows ? test.n_rows : 1) * sizeof *scores)))
        rc = bad_input("out of memory");
    if (rc == 0) {
        ll_err perr = {{0}};
        omp_set_max_active_levels(2);
        if (ll_fitted_predict(&m.fitted, (ll_rows){test.x, NULL, test.n_rows}, threads, scores,
                              &perr) != LL_OK) {
            fprintf(stderr, "leadlab: %s: %s\n", model_path, perr.msg);
            rc = EXIT_CELLS_FAILED;
        }
    }
    size_t n_pos = 0;
    if (rc == 0)
        rc = write_predictions(out, ll_encoder_id(m.encoder), ll_encoder_target(m.encoder), &test,
                               scores, m.cut, proba, o->rank, listed, &n_pos);
    if (rc == 0)
        fprintf(stderr, "leadlab: %s + %s (saved model), cut %.4f: %zu of %zu rows predicted "
                        "positive%s -> %s\n", m.model_label, m.sampler_label, m.cut, n_pos,
                test.n_rows, call_list_note(o->rank, listed), out);
    free(scores);
    ll_dataset_free(&test);
    if (m.encoder)
        ll_saved_model_free(&m);
    ll_registry_free(&reg);
    return rc;
}

static int cmd_predict(const ll_cli_parsed *args)
{
    options o;
    if (parse_options(args, &o) != 0)
        return EXIT_BAD_INPUT;
    if (o.model)
        return predict_from_model(&o);
    if (o.plugin_dir)
        return bad_input("predict: --plugin-path goes with --model (a spec has plugin_path)");
    experiment ex;
    int rc = open_experiment(args, &ex);
    if (rc != 0)
        return rc;
    const ll_config *model = NULL, *sampler = NULL;
    const char *inputs[] = {ex.opt.test, ex.spec.train_path, ex.spec.path};
    if (!ex.opt.test || !ex.opt.out)
        rc = bad_input("predict needs --test FILE.csv --out FILE.csv, and --config MODEL "
                       "(with --sampler when the spec has several) or --best");
    else if (out_is_input(ex.opt.out, inputs, 3))
        rc = EXIT_BAD_INPUT;
    else
        rc = choose_pair(&ex, &model, &sampler);
    ll_dataset test = {0};
    ll_error err;
    size_t listed = 0;
    if (rc == 0 && ll_dataset_load_apply(ex.opt.test, ex.enc, &test, &err) != 0)
        rc = error_exit(&err);
    if (rc == 0)
        rc = call_list_rows(&ex.opt, test.n_rows, &listed);
    ll_fitted fitted;
    double cut = 0.5, *scores = NULL;
    int fitted_ok = rc == 0 && (rc = fit_pair(&ex, model, sampler, &fitted, &cut)) == 0;
    if (rc == 0 && !(scores = malloc((test.n_rows ? test.n_rows : 1) * sizeof *scores)))
        rc = bad_input("out of memory");
    if (rc == 0) {
        ll_err perr = {{0}};
        if (ll_fitted_predict(&fitted, (ll_rows){test.x, NULL, test.n_rows},
                              resolve_threads(&ex.opt, &ex.spec), scores, &perr) != LL_OK) {
            fprintf(stderr, "leadlab: %s + %s failed: %s\n", model->label, sampler->label,
                    perr.msg);
            rc = EXIT_CELLS_FAILED;
        }
    }
    size_t n_pos = 0;
    if (rc == 0)
        rc = write_predictions(ex.opt.out, ex.spec.features.id, ex.spec.features.target, &test,
                               scores, cut, ex.opt.proba, ex.opt.rank, listed, &n_pos);
    if (rc == 0)
        fprintf(stderr, "leadlab: %s + %s, cut %.4f: %zu of %zu test rows predicted positive%s "
                        "-> %s\n", model->label, sampler->label, cut, n_pos, test.n_rows,
                call_list_note(ex.opt.rank, listed), ex.opt.out);
    if (fitted_ok)
        ll_fitted_free(&fitted);
    free(scores);
    ll_dataset_free(&test);
    close_experiment(&ex);
    return rc;
}

/* The spec's JSON Schema on stdout, with the parameters of every plugin found. */
static int cmd_schema(const ll_cli_parsed *args)
{
    const char *extra[16];
    size_t n_extra = 0;
    if (args->n_args || args->n_items > 16)
        return bad_input("usage: leadlab schema [--plugin-path DIR]... (at most 16)");
    for (size_t i = 0; i < args->n_items; i++)
        extra[n_extra++] = args->items[i].value;
    ll_registry reg;
    ll_error err;
    if (ll_registry_init(&reg, extra, n_extra, &err) != 0)
        return error_exit(&err);
    ll_registry_load_all(&reg, ll_schema_report_refusal, stderr);
    int rc = ll_schema_write(stdout, &reg);
    ll_registry_free(&reg);
    if (rc != 0) {
        fprintf(stderr, "leadlab: schema: writing to stdout failed\n");
        return EXIT_IO;
    }
    return 0;
}

/* init DATA.csv --target COL [--positive V] [--out SPEC.yaml] [--force] */
static int cmd_init(const ll_cli_parsed *args)
{
    static const char usage_line[] =
        "usage: leadlab init DATA.csv --target COL [--positive V] [--out SPEC.yaml] [--force]";
    ll_init_options o = {.out = "spec.yaml"};
    for (size_t i = 0; i < args->n_items; i++) {
        const ll_cli_item *it = &args->items[i];
        const char **slot = ll_cli_is(it, "target")     ? &o.target
                          : ll_cli_is(it, "positive") ? &o.positive
                          : ll_cli_is(it, "out")      ? &o.out : NULL;
        if (slot && it->value && it->value[0])
            *slot = it->value;
        else if (ll_cli_is(it, "force"))
            o.force = 1;
        else
            return bad_input(usage_line);
    }
    if (args->n_args != 1 || !o.target)
        return bad_input(usage_line);
    o.data = args->args[0];
    ll_init_summary sum;
    ll_error err;
    if (ll_init_spec(&o, &sum, &err) != 0)
        return error_exit(&err);
    fprintf(stderr, "leadlab: wrote %s: %zu rows, %zu positive ('%s', %.1f %%), %zu feature "
                    "columns, %zu dropped; %zu cells, about %s. Read its comments, then "
                    "leadlab run %s\n", o.out, sum.rows, sum.positives, sum.positive,
            100.0 * (double)sum.positives / (double)sum.rows, sum.features, sum.dropped,
            sum.cells, sum.estimate, o.out);
    return 0;
}

static void print_refusal(const char *msg, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "leadlab: %s\n", msg);
}

static int cmd_plugins(const ll_cli_parsed *args)
{
    const char *extra[16];
    size_t n_extra = 0;
    if (args->n_args || args->n_items > 16)
        return bad_input("usage: leadlab plugins [--plugin-path DIR]... (at most 16)");
    for (size_t i = 0; i < args->n_items; i++)
        extra[n_extra++] = args->items[i].value;
    ll_registry reg;
    ll_error err;
    if (ll_registry_init(&reg, extra, n_extra, &err) != 0)
        return error_exit(&err);
    ll_registry_load_all(&reg, print_refusal, NULL);
    printf("search path:");
    for (size_t d = 0; d < reg.n_dirs; d++)
        printf(" %s", reg.dirs[d]);
    printf("\n");
    static const char *const type_names[] = {"int", "real", "string", "bool", "int list",
                                             "real list", "word list"};
    for (int kind = 0; kind < 2; kind++)
        for (size_t i = 0; i < reg.n_loaded; i++) {
            const ll_plugin *p = &reg.loaded[i]->desc;
            if (!!p->model == kind)
                continue;
            printf("\n%s %s (%s, %s)\n  %s\n", p->name, p->version,
                   p->model ? "model" : "sampler", reg.loaded[i]->path, p->summary ? p->summary : "");
            if (p->model)
                printf("  ABI 2.%u; save/load: %s; importances: %s\n", p->abi_minor,
                       p->model->save ? "yes" : "no",
                       p->model->importances ? (p->model->importance_kind
                                                    ? p->model->importance_kind : "yes")
                                             : "permutation (by leadlab)");
            for (size_t k = 0; k < p->n_params; k++) {
                const ll_param *d = &p->params[k];
                printf("  %-22s %-8s default %-8s", d->name, type_names[d->type],
                       d->dflt ? d->dflt : "(required)");
                if (d->type == LL_P_INT || d->type == LL_P_REAL || d->type == LL_P_INT_LIST ||
                    d->type == LL_P_REAL_LIST)
                    printf(" %c%g, %g%c", d->flags & LL_P_MIN_EXCLUSIVE ? '(' : '[', d->min,
                           d->max, d->flags & LL_P_MAX_EXCLUSIVE ? ')' : ']');
                if (d->choices)
                    printf(" %s", d->choices);
                printf("  %s\n", d->doc ? d->doc : "");
            }
        }
    ll_registry_free(&reg);
    return 0;
}

/* A whole decimal number in [min, max], or -1 (overflow, trailing text and signs refused). */
static int parse_count(const char *text, unsigned long long min, unsigned long long max,
                       unsigned long long *out)
{
    if (!text || !(*text >= '0' && *text <= '9'))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end || errno == ERANGE || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int cmd_synth(const ll_cli_parsed *args)
{
    static const char usage_line[] =
        "usage: leadlab synth --out FILE.csv [--rows N in 100..10000000] [--seed S in 0..2^64-1]";
    const char *out = NULL;
    unsigned long long rows = 20000, seed = 7;
    for (size_t i = 0; i < args->n_items; i++) {
        const ll_cli_item *it = &args->items[i];
        if (ll_cli_is(it, "out"))
            out = it->value;
        else if (ll_cli_is(it, "rows") && parse_count(it->value, 100, 10000000, &rows) == 0)
            continue; /* the spec's data.synth.rows has the same bound */
        else if (ll_cli_is(it, "seed") && parse_count(it->value, 0, ULLONG_MAX, &seed) == 0)
            continue;
        else
            return bad_input(usage_line);
    }
    if (!out || args->n_args)
        return bad_input(usage_line);
    ll_error err;
    if (ll_synth_write(out, (size_t)rows, (uint64_t)seed, &err) != 0)
        return error_exit(&err);
    fprintf(stderr, "leadlab: wrote %llu synthetic rows (seed %llu) to %s\n", rows, seed, out);
    return 0;
}

/* check-plugin: one line per property, then a summary; exit 0 when nothing failed (skips
 * allowed), 1 when something did, 2 when the plugin cannot be loaded. */
static int cmd_check_plugin(const ll_cli_parsed *args)
{
    static const char usage_line[] =
        "usage: leadlab check-plugin PLUGIN.so|NAME [-j N in 1..1024]";
    unsigned long long threads = 4;
    for (size_t i = 0; i < args->n_items; i++)
        if (parse_count(args->items[i].value, 1, 1024, &threads) != 0)
            return bad_input(usage_line);
    if (args->n_args != 1)
        return bad_input(usage_line);
    const char *path = args->args[0];
    char *found = NULL;
    size_t len = strlen(path);
    if (!strchr(path, '/') && !(len > 3 && !strcmp(path + len - 3, ".so"))) {
        /* a plugin's name: its NAME.so on the search path, as a spec would find it */
        ll_registry reg;
        ll_error err;
        if (ll_registry_init(&reg, NULL, 0, &err) != 0)
            return error_exit(&err);
        found = ll_registry_find(&reg, path);
        if (!found) {
            char *avail = ll_registry_available(&reg);
            char sugg[64];
            const char *s = avail ? ll_suggest(path, avail, sugg, sizeof sugg) : NULL;
            fprintf(stderr, "leadlab: check-plugin: no plugin '%s' on the search path%s%s%s "
                            "(available: %s)\n", path, s ? " (did you mean '" : "", s ? s : "",
                    s ? "'?)" : "", avail && *avail ? avail : "none found");
            free(avail);
            ll_registry_free(&reg);
            return EXIT_BAD_INPUT;
        }
        ll_registry_free(&reg);
        path = found;
    }
    ll_check_options opt = ll_check_defaults();
    opt.threads = (int)threads;
    ll_check_summary sum;
    ll_error err;
    int rc = ll_check_plugin(path, &opt, ll_check_write_line, stdout, &sum, &err);
    free(found);
    if (rc != 0)
        return error_exit(&err);
    printf("%s %s (%s): %zu passed, %zu failed, %zu skipped\n", sum.name, sum.version,
           sum.is_model ? "model" : "sampler", sum.passed, sum.failed, sum.skipped);
    return sum.failed ? EXIT_CELLS_FAILED : 0;
}

/* `leadlab help [COMMAND]`: the summary, or one command's help; 2 for a command that is none. */
static int cmd_help(int argc, char **argv)
{
    if (argc < 3) {
        ll_cli_print_global_help(stdout);
        return 0;
    }
    const ll_cli_command *c = ll_cli_find(argv[2]);
    if (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))
        c = ll_cli_find("help");
    if (!c) {
        ll_cli_unknown_command(argv[2]);
        return EXIT_BAD_INPUT;
    }
    if (argc > 3)
        return bad_input("usage: leadlab help [COMMAND]");
    ll_cli_print_command_help(stdout, c);
    return 0;
}

/* The command's own function, with the options and operands ll_cli_parse read. */
static int dispatch(const char *cmd, const ll_cli_parsed *args, const char *exe)
{
    if (!strcmp(cmd, "run"))
        return cmd_run(args, exe);
    if (!strcmp(cmd, "status"))
        return cmd_status(args);
    if (!strcmp(cmd, "show"))
        return cmd_show(args);
    if (!strcmp(cmd, "compare"))
        return cmd_compare(args);
    if (!strcmp(cmd, "validate"))
        return cmd_validate(args);
    if (!strcmp(cmd, "fit"))
        return cmd_fit(args);
    if (!strcmp(cmd, "predict"))
        return cmd_predict(args);
    if (!strcmp(cmd, "schema"))
        return cmd_schema(args);
    if (!strcmp(cmd, "plugins"))
        return cmd_plugins(args);
    if (!strcmp(cmd, "init"))
        return cmd_init(args);
    if (!strcmp(cmd, "synth"))
        return cmd_synth(args);
    if (!strcmp(cmd, "check-plugin"))
        return cmd_check_plugin(args);
    return bad_input("no such command"); /* main looked it up in the same table */
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        ll_cli_print_global_help(stderr);
        return EXIT_BAD_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help"))
        return cmd_help(argc, argv);
    if (!strcmp(cmd, "--version")) {
        printf("leadlab %s (plugin ABI %u.%u)\n", LL_VERSION, LL_ABI_VERSION, LL_ABI_MINOR);
        return 0;
    }
    const ll_cli_command *command = ll_cli_find(cmd);
    if (!command) {
        ll_cli_unknown_command(cmd);
        return EXIT_BAD_INPUT;
    }
    int is_run = !strcmp(cmd, "run");
    ll_error err;
    if (is_run && ll_mpi_init(&argc, &argv, &mpi_world, &err) != 0)
        return error_exit(&err);
    ll_cli_parsed args;
    int rc = ll_cli_parse(command, argc, argv, 2, &args) != 0 ? EXIT_BAD_INPUT : 0;
    if (rc == 0 && args.help) {
        ll_cli_print_command_help(stdout, command);
    } else if (rc == 0) {
        rc = dispatch(cmd, &args, argv[0]);
    }
    ll_cli_parsed_free(&args);
    if (is_run)
        ll_mpi_finalize(mpi_world, rc == EXIT_BAD_INPUT);
    return rc;
}
