/* Saved models end to end: `leadlab fit` then `predict --model` scores a new file exactly as
 * refitting from the spec does, `--best` takes the last run's top row, `--rank`/`--top` write
 * the call list, and a model file that is truncated, corrupt, of another format or missing its
 * plugin is refused with one line. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "hash.h"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

/* Synthetic training data with the real file's schema, through every kind of transform: dates,
 * one-hot codes, fills with missing flags, a derived day count and the learned encodings
 * (count, frequency, target with a fill), whose tables the fit learns. */
#define SPEC_TEXT                                                                           \
    "name: saved\n"                                                                         \
    "data: {synth: {rows: 3000, seed: 11}, target: buy, positive: \"1\", id: id}\n"         \
    "features:\n"                                                                           \
    "  columns:\n"                                                                          \
    "    products_purchased: {fill: 0, missing_flag: true}\n"                               \
    "    signup_date: {date: [year, month], fill: 0, missing_flag: true}\n"                 \
    "    created_at: {date: [month, dayofweek]}\n"                                          \
    "    campaign_var_1: {onehot: true}\n"                                                  \
    "  derived:\n"                                                                          \
    "    signup_to_lead_days: {days_between: [signup_date, created_at], fill: -1}\n"        \
    "    same_campaign: {count: [campaign_var_1, campaign_var_2]}\n"                        \
    "    campaign_share: {frequency: campaign_var_2}\n"                                    \
    "    campaign_rate: {target: [campaign_var_1, campaign_var_2], smoothing: 5}\n"        \
    "    products_rate: {target: products_purchased, fill: -1, missing_flag: true}\n"      \
    "preprocess: {scale: zscore}\n"                                                         \
    "cv: {folds: 3, seed: 5}\n"                                                             \
    "samplers: [none, {smote: {k: 3}}]\n"                                                   \
    "models:\n"                                                                             \
    "  - logreg: {C: [0.1, 1.0]}\n"                                                         \
    "  - sgb: {n_estimators: 20}\n"                                                         \
    "threshold: {tune: f1, folds: 3}\n"                                                     \
    "output: {dir: out}\n"
static const char *SPEC = SPEC_TEXT;

static void run_ok(const char *args)
{
    char *err = NULL;
    int rc = th_run_leadlab(args, NULL, &err);
    ck_assert_msg(rc == 0, "leadlab %s: exit %d: %s", args, rc, err ? err : "");
    free(err);
}

static char *read_or_fail(const char *path)
{
    char *text = th_read_file(path);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    return text;
}

/* Writes the spec and a test file of 400 new rows; returns nothing, paths are dir/spec.yaml
 * and dir/test.csv. */
static void write_inputs(void)
{
    char path[512], args[1024];
    th_write_file(dir, "spec.yaml", SPEC, path, sizeof path);
    snprintf(args, sizeof args, "synth --out %s/test.csv --rows 400 --seed 99", dir);
    run_ok(args);
}

/* The saved model's predictions equal the spec's refit on the same rows, for a linear model
 * with a tuned cut and a boosted one behind SMOTE: the whole pipeline (encoder with its keys,
 * the learned feature tables, scaler, sampler-free model state, cut) travels in the file. */
START_TEST(saved_model_predicts_like_a_refit)
{
    write_inputs();
    const char *pairs[][2] = {{"logreg(C=0.1)", "none"}, {"sgb(n_estimators=20)", "smote(k=3)"}};
    for (size_t i = 0; i < 2; i++) {
        char args[2048], a_path[512], b_path[512];
        snprintf(args, sizeof args, "fit %s/spec.yaml --config '%s' --sampler '%s' --out %s/m.llm",
                 dir, pairs[i][0], pairs[i][1], dir);
        run_ok(args);
        for (int proba = 0; proba < 2; proba++) {
            snprintf(a_path, sizeof a_path, "%s/from_model.csv", dir);
            snprintf(b_path, sizeof b_path, "%s/from_spec.csv", dir);
            snprintf(args, sizeof args, "predict --model %s/m.llm --test %s/test.csv --out %s%s",
                     dir, dir, a_path, proba ? " --proba" : "");
            run_ok(args);
            snprintf(args, sizeof args,
                     "predict %s/spec.yaml --config '%s' --sampler '%s' --test %s/test.csv "
                     "--out %s%s", dir, pairs[i][0], pairs[i][1], dir, b_path,
                     proba ? " --proba" : "");
            run_ok(args);
            char *a = read_or_fail(a_path), *b = read_or_fail(b_path);
            ck_assert_msg(strcmp(a, b) == 0, "%s + %s: saved model and refit differ (proba %d)",
                          pairs[i][0], pairs[i][1], proba);
            ck_assert_msg(strncmp(a, proba ? "id,p_buy\n" : "id,buy\n", proba ? 9 : 7) == 0,
                          "header: %.20s", a);
            size_t lines = 0;
            for (const char *c = a; *c; c++)
                lines += *c == '\n';
            ck_assert_uint_eq(lines, 401);
            free(a);
            free(b);
        }
    }
}
END_TEST

/* Mean of the p_buy column of an id,p_buy file. */
static double mean_p(const char *csv)
{
    double sum = 0.0;
    size_t n = 0;
    for (const char *line = strchr(csv, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        sum += strtod(strchr(line + 1, ',') + 1, NULL);
        n++;
    }
    return n ? sum / (double)n : NAN;
}

/* A calibrated config's model file carries its calibrator: predict --model equals the refit,
 * and the probabilities are the calibrated ones (behind SMOTE the raw ones average far above
 * the base rate; calibrated ones near it). */
START_TEST(saved_model_carries_its_calibrator)
{
    char path[512], args[2048];
    th_write_file(dir, "spec.yaml", SPEC_TEXT "calibrate: {method: [none, isotonic, sigmoid]}\n",
                  path, sizeof path);
    snprintf(args, sizeof args, "synth --out %s/test.csv --rows 400 --seed 99", dir);
    run_ok(args);
    const char *configs[] = {"logreg(C=0.1)", "logreg(C=0.1) [isotonic]",
                             "logreg(C=0.1) [sigmoid]"};
    double means[3];
    for (size_t i = 0; i < 3; i++) {
        char a_path[512], b_path[512];
        snprintf(args, sizeof args, "fit %s/spec.yaml --config '%s' --sampler 'smote(k=3)' "
                 "--out %s/m.llm", dir, configs[i], dir);
        run_ok(args);
        snprintf(a_path, sizeof a_path, "%s/from_model.csv", dir);
        snprintf(b_path, sizeof b_path, "%s/from_spec.csv", dir);
        snprintf(args, sizeof args, "predict --model %s/m.llm --test %s/test.csv --out %s --proba",
                 dir, dir, a_path);
        run_ok(args);
        snprintf(args, sizeof args, "predict %s/spec.yaml --config '%s' --sampler 'smote(k=3)' "
                 "--test %s/test.csv --out %s --proba", dir, configs[i], dir, b_path);
        run_ok(args);
        char *a = read_or_fail(a_path), *b = read_or_fail(b_path);
        ck_assert_msg(strcmp(a, b) == 0, "%s: saved model and refit differ", configs[i]);
        means[i] = mean_p(a);
        free(a);
        free(b);
    }
    /* the synthetic leads buy at about 5 % */
    ck_assert_msg(means[0] > 0.15, "SMOTE's raw mean P %.3f", means[0]);
    ck_assert_msg(means[1] < 0.1 && means[2] < 0.1, "calibrated mean P %.3f (isotonic), %.3f "
                  "(sigmoid)", means[1], means[2]);
}
END_TEST

/* --best names the leaderboard's first row: fit --best equals fit with that row's labels. */
START_TEST(best_takes_the_top_row_of_the_last_run)
{
    write_inputs();
    char args[2048], path[512];
    snprintf(args, sizeof args, "fit %s/spec.yaml --best --out %s/best.llm", dir, dir);
    th_assert_refused(args, "run the spec first");
    snprintf(args, sizeof args, "run %s/spec.yaml", dir);
    run_ok(args);
    snprintf(path, sizeof path, "%s/out/leaderboard.csv", dir);
    char *board = read_or_fail(path);
    /* leaderboard.csv: header line, then rank,config,sampler,... of the best row */
    char *row = strchr(board, '\n');
    ck_assert_ptr_nonnull(row);
    row++;
    char config[256] = "", sampler[256] = "";
    const char *field = strchr(row, ',') + 1;
    const char *end;
    if (*field == '"') {
        end = strchr(field + 1, '"');
        snprintf(config, sizeof config, "%.*s", (int)(end - field - 1), field + 1);
        field = end + 2;
    } else {
        end = strchr(field, ',');
        snprintf(config, sizeof config, "%.*s", (int)(end - field), field);
        field = end + 1;
    }
    end = strpbrk(field[0] == '"' ? field + 1 : field, field[0] == '"' ? "\"" : ",");
    if (field[0] == '"')
        snprintf(sampler, sizeof sampler, "%.*s", (int)(end - field - 1), field + 1);
    else
        snprintf(sampler, sizeof sampler, "%.*s", (int)(end - field), field);
    free(board);
    ck_assert_msg(config[0] && sampler[0], "could not read the best row");
    snprintf(args, sizeof args, "fit %s/spec.yaml --best --out %s/best.llm", dir, dir);
    run_ok(args);
    snprintf(args, sizeof args, "fit %s/spec.yaml --config '%s' --sampler '%s' --out %s/named.llm",
             dir, config, sampler, dir);
    run_ok(args);
    char a_path[512], b_path[512];
    snprintf(a_path, sizeof a_path, "%s/best.llm", dir);
    snprintf(b_path, sizeof b_path, "%s/named.llm", dir);
    char *a = read_or_fail(a_path), *b = read_or_fail(b_path);
    free(a);
    free(b);
    /* Files are binary: compare them as predictions instead of as strings. */
    snprintf(args, sizeof args, "predict --model %s --test %s/test.csv --out %s/a.csv --proba",
             a_path, dir, dir);
    run_ok(args);
    snprintf(args, sizeof args, "predict --model %s --test %s/test.csv --out %s/b.csv --proba",
             b_path, dir, dir);
    run_ok(args);
    snprintf(a_path, sizeof a_path, "%s/a.csv", dir);
    snprintf(b_path, sizeof b_path, "%s/b.csv", dir);
    a = read_or_fail(a_path);
    b = read_or_fail(b_path);
    ck_assert_msg(strcmp(a, b) == 0, "--best (%s + %s) differs from naming it", config, sampler);
    free(a);
    free(b);
    snprintf(args, sizeof args, "fit %s/spec.yaml --best --config logreg --out %s/x.llm", dir,
             dir);
    th_assert_refused(args, "--best picks the config");
}
END_TEST

/* ---- the call list: predict --rank / --top ------------------------------------------------ */

/* dir/name, in one of four rotating buffers: a few paths may be in use at once. */
static const char *at(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof paths[0], "%s/%s", dir, name);
    return p;
}

/* One data row of a predictions file, its fields as written. */
typedef struct {
    char id[32], p[40];
    long rank, decile; /* call lists only */
} pred_row;

/* Reads a predictions file with header `header` and `fields` (2: id,p; 4: id,p,rank,decile)
 * comma-separated fields per row; fails the test on anything else. Caller frees. */
static pred_row *read_rows(const char *path, const char *header, int fields, size_t *n)
{
    char *text = read_or_fail(path);
    size_t len = strlen(header);
    ck_assert_msg(!strncmp(text, header, len) && text[len] == '\n', "%s: header %.40s", path,
                  text);
    size_t cap = 1;
    for (const char *c = text; *c; c++)
        cap += *c == '\n';
    pred_row *rows = calloc(cap, sizeof *rows);
    ck_assert_ptr_nonnull(rows);
    *n = 0;
    for (char *line = text + len + 1; *line;) {
        char *nl = strchr(line, '\n');
        ck_assert_msg(nl != NULL, "%s: last line unterminated", path);
        *nl = '\0';
        pred_row *r = &rows[(*n)++];
        int got = 0;
        if (fields == 2)
            got = sscanf(line, "%31[^,],%39[^,]", r->id, r->p);
        else
            got = sscanf(line, "%31[^,],%39[^,],%ld,%ld", r->id, r->p, &r->rank, &r->decile);
        ck_assert_msg(got == fields, "%s: bad row '%s'", path, line);
        line = nl + 1;
    }
    free(text);
    return rows;
}

/* The rows of a --proba file by descending p, ties in file order: an insertion sort (stable
 * by construction), independent of core/call_list.c's qsort. Caller frees. */
static size_t *expected_order(const pred_row *rows, size_t n)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    ck_assert_ptr_nonnull(order);
    for (size_t i = 0; i < n; i++) {
        double p = strtod(rows[i].p, NULL);
        size_t j = i;
        while (j > 0 && strtod(rows[order[j - 1]].p, NULL) < p) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    return order;
}

/* Fails unless the call list at `path` is the first `m` rows of the --proba rows in the
 * expected order, with their ids and p written exactly as --proba wrote them, ranks 1..m
 * and deciles 1 + floor((rank-1)*10/n) of all n rows. */
static void assert_call_list(const char *path, const pred_row *proba, const size_t *order,
                             size_t n, size_t m)
{
    size_t got = 0;
    pred_row *rows = read_rows(path, "id,p_buy,rank,decile", 4, &got);
    ck_assert_msg(got == m, "%s: %zu rows, expected %zu", path, got, m);
    for (size_t r = 0; r < m; r++) {
        const pred_row *want = &proba[order[r]];
        ck_assert_msg(!strcmp(rows[r].id, want->id) && !strcmp(rows[r].p, want->p),
                      "%s: rank %zu is %s (%s), expected %s (%s)", path, r + 1, rows[r].id,
                      rows[r].p, want->id, want->p);
        ck_assert_int_eq(rows[r].rank, (long)(r + 1));
        ck_assert_int_eq(rows[r].decile, (long)(1 + r * 10 / n));
        if (r)
            ck_assert_msg(strtod(rows[r - 1].p, NULL) >= strtod(rows[r].p, NULL),
                          "%s: p rises at rank %zu", path, r + 1);
    }
    free(rows);
}

/* Writes dir/ties.csv: three copies of test.csv's rows 1..3 with new ids (9001..9003) first,
 * then every row of test.csv; each copy scores exactly as its original, so the list must put
 * the copy (earlier in the file) right before it. Returns the number of data rows. */
static size_t write_ties(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/test.csv", dir);
    char *text = read_or_fail(path);
    char *body = strchr(text, '\n') + 1, *copy_end = body;
    for (int i = 0; i < 3; i++)
        copy_end = strchr(copy_end, '\n') + 1;
    snprintf(path, sizeof path, "%s/ties.csv", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fwrite(text, 1, (size_t)(body - text), f); /* the header */
    int id = 9001;
    for (const char *line = body; line < copy_end; id++) {
        const char *comma = strchr(line, ','), *nl = strchr(line, '\n');
        fprintf(f, "%d%.*s", id, (int)(nl + 1 - comma), comma);
        line = nl + 1;
    }
    fputs(body, f);
    ck_assert_int_eq(fclose(f), 0);
    size_t n = 0;
    for (const char *c = body; *c; c++)
        n += *c == '\n';
    free(text);
    return n + 3;
}

/* --rank lists every row best first, --top keeps the best share or count; both forms of
 * predict write the same list, and it agrees with --proba sorted here independently. */
START_TEST(rank_and_top_write_the_call_list)
{
    write_inputs();
    size_t n = write_ties();
    char args[2048];
    snprintf(args, sizeof args, "fit %s/spec.yaml --config 'logreg(C=0.1)' --sampler none "
                                "--out %s/m.llm", dir, dir);
    run_ok(args);
    char model[1100], spec[1100];
    snprintf(model, sizeof model, "--model %s/m.llm --test %s/ties.csv", dir, dir);
    snprintf(spec, sizeof spec, "%s/spec.yaml --config 'logreg(C=0.1)' --sampler none "
                                "--test %s/ties.csv", dir, dir);

    snprintf(args, sizeof args, "predict %s --out %s --proba", model, at("proba.csv"));
    run_ok(args);
    size_t n_proba = 0;
    pred_row *proba = read_rows(at("proba.csv"), "id,p_buy", 2, &n_proba);
    ck_assert_uint_eq(n_proba, n);
    size_t *order = expected_order(proba, n);
    /* the copies (rows 0..2) tie with their originals (rows 3..5) and, earlier in the file,
     * come right before them */
    for (size_t k = 0; k < 3; k++)
        ck_assert_str_eq(proba[k].p, proba[k + 3].p);
    size_t ties_seen = 0;
    for (size_t r = 0; r + 1 < n; r++)
        if (order[r] < 3) {
            ck_assert_uint_eq(order[r + 1], order[r] + 3);
            ties_seen++;
        }
    ck_assert_uint_eq(ties_seen, 3);

    /* --rank: all n rows, in both forms, and with --proba (redundant, accepted) */
    snprintf(args, sizeof args, "predict %s --out %s --rank", model, at("rank.csv"));
    run_ok(args);
    assert_call_list(at("rank.csv"), proba, order, n, n);
    snprintf(args, sizeof args, "predict %s --out %s --rank", spec, at("rank_spec.csv"));
    run_ok(args);
    snprintf(args, sizeof args, "predict %s --out %s --proba --rank", model, at("rank_proba.csv"));
    run_ok(args);
    char *a = read_or_fail(at("rank.csv")), *b = read_or_fail(at("rank_spec.csv")),
         *c = read_or_fail(at("rank_proba.csv"));
    ck_assert_msg(!strcmp(a, b), "predict --model --rank and predict SPEC --rank differ");
    ck_assert_msg(!strcmp(a, c), "--rank --proba differs from --rank");
    free(a);
    free(b);
    free(c);

    /* --top 0.1: round(0.1 n) rows (half away from zero), all in decile 1 */
    size_t m = (size_t)floor(0.1 * (double)n + 0.5);
    snprintf(args, sizeof args, "predict %s --out %s --rank --top 0.1", model, at("top.csv"));
    run_ok(args);
    assert_call_list(at("top.csv"), proba, order, n, m);
    size_t got = 0;
    pred_row *top = read_rows(at("top.csv"), "id,p_buy,rank,decile", 4, &got);
    for (size_t r = 0; r < got; r++)
        ck_assert_int_eq(top[r].decile, 1);
    free(top);
    /* without --rank, from the spec, and as the whole head of the full list */
    snprintf(args, sizeof args, "predict %s --out %s --top=0.1", spec, at("top_spec.csv"));
    run_ok(args);
    a = read_or_fail(at("top.csv"));
    b = read_or_fail(at("top_spec.csv"));
    c = read_or_fail(at("rank.csv"));
    ck_assert_msg(!strcmp(a, b), "--top 0.1: predict --model and predict SPEC differ");
    ck_assert_msg(!strncmp(a, c, strlen(a)), "--top 0.1 is not the head of --rank's list");
    free(a);
    free(b);
    free(c);

    /* --top 7: seven rows; --top N with N = n: all of them */
    snprintf(args, sizeof args, "predict %s --out %s --top 7", model, at("top7.csv"));
    run_ok(args);
    assert_call_list(at("top7.csv"), proba, order, n, 7);
    snprintf(args, sizeof args, "predict %s --out %s --top %zu", model, at("topn.csv"), n);
    run_ok(args);
    assert_call_list(at("topn.csv"), proba, order, n, n);

    /* refusals: exit 2, one line naming the option, nothing written */
    const char *bad[][2] = {
        {"0", "--top 0: expected a count of rows >= 1 or a fraction in (0, 1]"},
        {"-1", "--top -1: expected a count of rows >= 1 or a fraction in (0, 1]"},
        {"1.5", "--top 1.5: a fraction of the rows must be in (0, 1]"},
        {"abc", "--top abc: expected a count of rows"},
        {"5000", NULL},
    };
    char needle[128];
    snprintf(needle, sizeof needle, "--top 5000: the test file has only %zu rows", n);
    for (int form = 0; form < 2; form++)
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            snprintf(args, sizeof args, "predict %s --out %s --rank --top %s",
                     form ? spec : model, at("refused.csv"), bad[i][0]);
            th_assert_refused(args, bad[i][1] ? bad[i][1] : needle);
            ck_assert_msg(access(at("refused.csv"), F_OK) != 0, "%s: wrote its --out", args);
        }
    snprintf(args, sizeof args, "predict %s --out %s --top", model, at("refused.csv"));
    th_assert_refused(args, "option '--top' needs a value");
    /* fit has no call list */
    snprintf(args, sizeof args, "fit %s --best --out %s --rank", at("spec.yaml"),
             at("x.llm"));
    th_assert_refused(args, "unknown option '--rank'");
    ck_assert_msg(access(at("refused.csv"), F_OK) != 0 && access(at("x.llm"), F_OK) != 0,
                  "a refused command wrote a file");
    free(order);
    free(proba);
}
END_TEST

static unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Recomputes the payload digest (header bytes 32..47, see core/model_file.c) so a test can
 * change the payload and reach the checks behind the checksum. */
static void reseal(unsigned char *b, size_t n)
{
    ll_hash h;
    ll_hash_init(&h);
    ll_hash_bytes(&h, b + 48, n - 48);
    ll_digest d = ll_hash_final(&h);
    for (int i = 0; i < 8; i++) {
        b[32 + i] = (unsigned char)(d.hi >> (8 * i));
        b[40 + i] = (unsigned char)(d.lo >> (8 * i));
    }
}

static size_t find(const unsigned char *b, size_t n, const char *needle, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(b + i, needle, k) == 0)
            return i;
    ck_abort_msg("'%s' not in the model file", needle);
    return 0;
}

START_TEST(damaged_model_files_are_refused_with_one_line)
{
    write_inputs();
    char args[2048], path[512], bad[512];
    snprintf(args, sizeof args, "fit %s/spec.yaml --config 'logreg(C=1.0)' --sampler none "
                                "--out %s/m.llm", dir, dir);
    run_ok(args);
    snprintf(path, sizeof path, "%s/m.llm", dir);
    snprintf(bad, sizeof bad, "%s/bad.llm", dir);
    size_t n;
    unsigned char *good = read_bytes(path, &n);
    unsigned char *b = malloc(n);
    ck_assert_ptr_nonnull(b);
    snprintf(args, sizeof args, "predict --model %s --test %s/test.csv --out %s/p.csv", bad, dir,
             dir);

    write_bytes(bad, good, n / 2);
    th_assert_refused(args, "truncated");
    write_bytes(bad, good, 20);
    th_assert_refused(args, "truncated");
    memcpy(b, good, n);
    b[n - 3] ^= 0x40;
    write_bytes(bad, b, n);
    th_assert_refused(args, "corrupt (checksum mismatch)");
    memcpy(b, good, n);
    b[0] = 'X';
    write_bytes(bad, b, n);
    th_assert_refused(args, "not a leadlab model file");
    memcpy(b, good, n);
    b[16] = 9; /* format version 9 */
    write_bytes(bad, b, n);
    th_assert_refused(args, "model file format 9, this leadlab reads formats 1 to 3");
    /* Behind a valid checksum: a plugin nobody has, and a wrong column count. */
    memcpy(b, good, n);
    /* the plugin's name, a text of 6 bytes behind its u64 length (the labels come first) */
    size_t at = find(b, n, "\x06\0\0\0\0\0\0\0logreg", 14) + 8;
    memcpy(b + at, "nolreg", 6);
    reseal(b, n);
    write_bytes(bad, b, n);
    th_assert_refused(args, "needs model plugin 'nolreg'");
    /* every truncation of the plugin's own bytes is caught by a length check or the plugin */
    memcpy(b, good, n);
    b[n - 9] ^= 0x01;
    reseal(b, n);
    write_bytes(bad, b, n);
    char *err = NULL;
    int rc = th_run_leadlab(args, NULL, &err);
    ck_assert_msg(rc == 0 || rc == 2, "a flipped weight bit: exit %d: %s", rc, err ? err : "");
    free(err);
    /* a test file without a column the pipeline needs */
    th_write_file(dir, "short.csv", "id,created_at\n1,2022-01-01\n", bad, sizeof bad);
    snprintf(args, sizeof args, "predict --model %s --test %s --out %s/p.csv", path, bad, dir);
    th_assert_refused(args, "short.csv");
    /* --out may not overwrite an input */
    snprintf(args, sizeof args, "predict --model %s --test %s/test.csv --out %s", path, dir,
             path);
    th_assert_refused(args, "is one of the inputs");
    free(b);
    free(good);
}
END_TEST

/* A format 2 file (counts learned over the whole training file, held in the encoder; see
 * tests/fixtures/model_format2/README.md) reads as the count tables of a fit on every
 * training row, which is what it was: its predictions are those the leadlab that wrote it made,
 * byte for byte. */
START_TEST(format_2_models_still_predict_as_they_did)
{
    char args[2048], out[600], want_path[600];
    snprintf(args, sizeof args, "predict --model %s/tests/fixtures/model_format2/count.llm "
             "--test %s/tests/fixtures/model_format2/synth_rows.csv --out %s/p.csv --proba",
             LL_TEST_SOURCE_DIR, LL_TEST_SOURCE_DIR, dir);
    run_ok(args);
    snprintf(out, sizeof out, "%s/p.csv", dir);
    snprintf(want_path, sizeof want_path, "%s/tests/fixtures/model_format2/expected.csv",
             LL_TEST_SOURCE_DIR);
    char *got = read_or_fail(out), *want = read_or_fail(want_path);
    ck_assert_msg(strcmp(got, want) == 0, "a format 2 model predicts otherwise than it did");
    free(got);
    free(want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model_file");
    TCase *tc = tcase_create("model_file");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, saved_model_predicts_like_a_refit);
    tcase_add_test(tc, saved_model_carries_its_calibrator);
    tcase_add_test(tc, best_takes_the_top_row_of_the_last_run);
    tcase_add_test(tc, damaged_model_files_are_refused_with_one_line);
    tcase_add_test(tc, rank_and_top_write_the_call_list);
    tcase_add_test(tc, format_2_models_still_predict_as_they_did);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
