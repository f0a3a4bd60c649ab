/* leadlab model files (see model_file.h). Layout, all integers u64 little-endian:
 *   "LEADLAB-MODEL\0\0\0" (16 bytes), format version, payload length, payload digest (2 x u64),
 *   payload: texts (labels, plugin, parameters, provenance), counts, the cut, the encoder
 *   (encoder_io.c), the column layout, the scaler, the calibrator (format 2 on; calibrate.c),
 *   the learned feature tables (format 3 on; fold_encoding.c), and the plugin's own bytes.
 * Formats 1 and 2 kept a count feature's counts over the training file in the encoder: as the
 * model was fitted on every training row, those are its fitted tables, and are read as such.
 * The digest covers the payload, so any flipped byte is caught before a plugin parses it. */
#include "model_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "encoder_io.h"
#include "hash.h"
#include "report.h"

static const char MAGIC[16] = "LEADLAB-MODEL\0\0";
enum { HEADER_BYTES = 16 + 4 * 8 };
#define MAX_MODEL_BYTES ((uint64_t)1 << 36) /* 64 GiB: anything larger is corruption */
#define MAX_TEXT ((size_t)1 << 24)

static int write_text(ll_writer *w, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return ll_write_u64(w, (uint64_t)n) || ll_write_bytes(w, s, n);
}

static int read_text(ll_reader *r, char **out)
{
    size_t n;
    if (ll_read_size(r, 1, MAX_TEXT, &n) != 0 || !(*out = malloc(n + 1)))
        return -1;
    if (ll_read_bytes(r, *out, n) != 0)
        return -1;
    (*out)[n] = '\0';
    return strlen(*out) == n ? 0 : -1;
}

static ll_digest payload_digest(const uint8_t *p, size_t n)
{
    ll_hash h;
    ll_hash_init(&h);
    ll_hash_bytes(&h, p, n);
    return ll_hash_final(&h);
}

int ll_model_save(const char *path, const ll_saved_model *info, const ll_encoder *encoder,
                  const ll_fitted *fitted, ll_error *err)
{
    const ll_plugin *plugin = fitted->model->plugin;
    if (!plugin->model->save)
        return ll_error_set(err, "%s: the %s plugin (%s) cannot save its models (no save "
                            "entry)", path, plugin->name, plugin->version);
    ll_blob payload = {0};
    ll_writer w = ll_blob_writer(&payload);
    const ll_scaler *sc = &fitted->scaler;
    int bad = write_text(&w, info->model_label) || write_text(&w, info->sampler_label) ||
              write_text(&w, plugin->name) || write_text(&w, plugin->version) ||
              write_text(&w, info->model_params) || write_text(&w, info->sampler_params) ||
              write_text(&w, info->leadlab_version) || write_text(&w, info->data_hash) ||
              ll_write_u64(&w, info->train_rows) || ll_write_u64(&w, info->train_positives) ||
              ll_write_f64(&w, info->cut) || ll_write_u64(&w, info->cut_tuned ? 1u : 0u) ||
              ll_encoder_save(encoder, &w) != 0 || ll_write_size(&w, fitted->n_cols) ||
              ll_write_bytes(&w, fitted->col_binary, fitted->col_binary ? fitted->n_cols : 0) ||
              ll_write_u64(&w, sc->mean ? 1u : 0u) ||
              (sc->mean && (ll_write_f64s(&w, sc->mean, sc->n_cols) ||
                            ll_write_f64s(&w, sc->scale, sc->n_cols)));
    ll_err cerr = {{0}};
    bad = bad || ll_calibrator_save(&fitted->calibrator, &w, &cerr) != LL_OK ||
          ll_fold_fitted_save(&fitted->encoding, &w) != 0;
    /* The plugin's bytes go last, behind their length, so they can be handed over alone. */
    ll_blob state = {0};
    ll_writer sw = ll_blob_writer(&state);
    ll_err perr = {{0}};
    ll_status st = bad ? LL_OK : plugin->model->save(fitted->state, &sw, &perr);
    if (st != LL_OK || state.failed) {
        perr.msg[sizeof perr.msg - 1] = '\0';
        ll_blob_free(&payload);
        ll_blob_free(&state);
        return ll_error_set(err, "%s: %s could not save its model: %s", path, plugin->name,
                            perr.msg[0] ? perr.msg : "out of memory");
    }
    bad = bad || ll_write_size(&w, state.len) || ll_write_bytes(&w, state.data, state.len);
    ll_blob_free(&state);
    if (bad || payload.failed) {
        ll_blob_free(&payload);
        return ll_error_set(err, "%s: out of memory while saving the model", path);
    }
    ll_blob file = {0};
    ll_writer fw = ll_blob_writer(&file);
    ll_digest d = payload_digest(payload.data, payload.len);
    bad = ll_write_bytes(&fw, MAGIC, sizeof MAGIC) || ll_write_u64(&fw, LL_MODEL_FORMAT) ||
          ll_write_u64(&fw, payload.len) || ll_write_u64(&fw, d.hi) || ll_write_u64(&fw, d.lo) ||
          ll_write_bytes(&fw, payload.data, payload.len);
    ll_blob_free(&payload);
    if (bad || file.failed) {
        ll_blob_free(&file);
        return ll_error_set(err, "%s: out of memory while saving the model", path);
    }
    ll_atomic_file af;
    int rc = ll_atomic_open(&af, path, err);
    if (rc == 0) {
        fwrite(file.data, 1, file.len, af.f); /* a short write leaves ferror for the commit */
        rc = ll_atomic_commit(&af, err);
    }
    ll_blob_free(&file);
    return rc;
}

void ll_saved_model_free(ll_saved_model *m)
{
    if (!m)
        return;
    uint8_t *col_binary = (uint8_t *)m->fitted.col_binary; /* ours; ll_fitted only borrows it */
    ll_fitted_free(&m->fitted);
    free(col_binary);
    ll_encoder_free(m->encoder);
    free(m->model_label);
    free(m->sampler_label);
    free(m->plugin_name);
    free(m->plugin_version);
    free(m->model_params);
    free(m->sampler_params);
    free(m->leadlab_version);
    free(m->data_hash);
    memset(m, 0, sizeof *m);
}

/* Everything after the header; fills m up to the plugin bytes, which it returns as a span of
 * the payload's last bytes. */
static int read_payload(ll_span *payload, uint64_t format, ll_saved_model *m, ll_span *state,
                        ll_error *err)
{
    ll_reader reader = ll_span_reader(payload);
    ll_reader *r = &reader;
    uint64_t tuned, scaled;
    size_t n_cols;
    int bad = read_text(r, &m->model_label) || read_text(r, &m->sampler_label) ||
              read_text(r, &m->plugin_name) || read_text(r, &m->plugin_version) ||
              read_text(r, &m->model_params) || read_text(r, &m->sampler_params) ||
              read_text(r, &m->leadlab_version) || read_text(r, &m->data_hash) ||
              ll_read_u64(r, &m->train_rows) || ll_read_u64(r, &m->train_positives) ||
              ll_read_f64(r, &m->cut) || ll_read_u64(r, &tuned) || tuned > 1 ||
              !(m->cut >= 0.0 && m->cut <= 1.0) || !m->plugin_name[0];
    if (bad)
        return ll_error_set(err, "its header fields are corrupt");
    m->cut_tuned = (int)tuned;
    if (ll_encoder_load(r, &m->encoder, format < 3 ? &m->fitted.encoding : NULL, err) != 0)
        return -1;
    if (ll_read_size(r, 1, MAX_TEXT, &n_cols) != 0 ||
        n_cols != ll_encoder_n_features(m->encoder))
        return ll_error_set(err, "its column layout does not match its feature pipeline");
    uint8_t *binary = malloc(n_cols ? n_cols : 1);
    m->fitted.col_binary = binary;
    m->fitted.n_cols = n_cols;
    m->fitted.col_names = ll_encoder_feature_names(m->encoder);
    if (!binary || ll_read_bytes(r, binary, n_cols) != 0 || ll_read_u64(r, &scaled) != 0 ||
        scaled > 1)
        return ll_error_set(err, "its column layout is corrupt");
    for (size_t j = 0; j < n_cols; j++)
        if (binary[j] > 1)
            return ll_error_set(err, "its column layout is corrupt");
    if (scaled) {
        ll_scaler *sc = &m->fitted.scaler;
        if (n_cols > r->remaining(r->ctx) / 16 ||
            !(sc->mean = malloc(n_cols * sizeof *sc->mean)) ||
            !(sc->scale = malloc(n_cols * sizeof *sc->scale)))
            return ll_error_set(err, "its scaler is truncated or corrupt");
        sc->n_cols = n_cols;
        if (ll_read_f64s(r, sc->mean, n_cols) != 0 || ll_read_f64s(r, sc->scale, n_cols) != 0)
            return ll_error_set(err, "its scaler is truncated or corrupt");
        for (size_t j = 0; j < n_cols; j++)
            if (!isfinite(sc->mean[j]) || !(sc->scale[j] > 0.0) || !isfinite(sc->scale[j]))
                return ll_error_set(err, "its scaler is corrupt");
    }
    ll_err cerr = {{0}};
    if (format >= 2 && ll_calibrator_load(r, &m->fitted.calibrator, &cerr) != LL_OK)
        return ll_error_set(err, "its calibrator: %s", cerr.msg);
    if (format >= 3) {
        ll_fold_encoding learned;
        if (ll_encoder_fold_encoding(m->encoder, &learned) != 0)
            return ll_error_set(err, "out of memory");
        ll_status st = ll_fold_fitted_load(r, &learned, &m->fitted.encoding, &cerr);
        ll_fold_encoding_free(&learned);
        if (st != LL_OK)
            return ll_error_set(err, "%s", cerr.msg);
    }
    size_t n_state;
    if (ll_read_size(r, 1, SIZE_MAX, &n_state) != 0 || n_state != r->remaining(r->ctx))
        return ll_error_set(err, "its model bytes are truncated or corrupt");
    *state = (ll_span){payload->data + payload->pos, n_state, 0};
    return 0;
}

int ll_model_load_bytes(const char *name, const uint8_t *bytes, size_t n, ll_registry *reg,
                        ll_saved_model *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    if (n < sizeof MAGIC || memcmp(bytes, MAGIC, sizeof MAGIC) != 0)
        return ll_error_set(err, "%s: not a leadlab model file", name);
    ll_span head = {bytes, n, sizeof MAGIC};
    ll_reader hr = ll_span_reader(&head);
    uint64_t format, length;
    ll_digest want;
    if (ll_read_u64(&hr, &format) != 0)
        return ll_error_set(err, "%s: truncated (%zu bytes)", name, n);
    /* Format 1 is format 2 without a calibrator, and 2 is 3 with its count tables in the
     * encoder: both still read. */
    if (format < 1 || format > LL_MODEL_FORMAT)
        return ll_error_set(err, "%s: model file format %llu, this leadlab reads formats 1 to "
                            "%u%s", name, (unsigned long long)format, LL_MODEL_FORMAT,
                            format > LL_MODEL_FORMAT ? " (saved by a newer leadlab)" : "");
    if (ll_read_u64(&hr, &length) != 0 || ll_read_u64(&hr, &want.hi) != 0 ||
        ll_read_u64(&hr, &want.lo) != 0)
        return ll_error_set(err, "%s: truncated (%zu bytes)", name, n);
    if (length > MAX_MODEL_BYTES || length != n - HEADER_BYTES)
        return ll_error_set(err, "%s: %s (%zu bytes, the header says %llu)", name,
                            length > n - HEADER_BYTES ? "truncated" : "corrupt", n,
                            (unsigned long long)(length + HEADER_BYTES));
    ll_digest got = payload_digest(bytes + HEADER_BYTES, (size_t)length);
    if (got.hi != want.hi || got.lo != want.lo)
        return ll_error_set(err, "%s: corrupt (checksum mismatch)", name);
    ll_span payload = {bytes + HEADER_BYTES, (size_t)length, 0};
    ll_span state;
    ll_error why;
    if (read_payload(&payload, format, out, &state, &why) != 0) {
        ll_saved_model_free(out);
        return ll_error_set(err, "%s: corrupt: %s", name, why.msg);
    }
    const ll_plugin *plugin = ll_registry_get(reg, out->plugin_name, &why);
    const char *problem = !plugin ? why.msg
                        : !plugin->model ? "it is a sampler, not a model"
                        : !plugin->model->load ? "it cannot load models (no load entry)" : NULL;
    if (problem) {
        ll_error_set(err, "%s: needs model plugin '%s' %s: %s", name, out->plugin_name,
                     out->plugin_version, problem);
        ll_saved_model_free(out);
        return -1;
    }
    ll_reader sr = ll_span_reader(&state);
    ll_err perr = {{0}};
    void *st = NULL;
    ll_status s = plugin->model->load(ll_host_default(), &sr, &st, &perr);
    perr.msg[sizeof perr.msg - 1] = '\0';
    if (s == LL_OK && state.pos != state.len) {
        plugin->model->destroy(st);
        s = LL_EINVAL;
        snprintf(perr.msg, sizeof perr.msg, "it left %zu of its bytes unread",
                 state.len - state.pos);
    }
    if (s != LL_OK) {
        ll_error_set(err, "%s: %s %s (saved by %s %s) could not load it: %s", name,
                     plugin->name, plugin->version, out->plugin_name, out->plugin_version,
                     perr.msg[0] ? perr.msg : "no message");
        ll_saved_model_free(out);
        return -1;
    }
    out->model_config.plugin = plugin;
    out->model_config.label = out->model_label;
    out->model_config.calibration = out->fitted.calibrator.method;
    out->fitted.model = &out->model_config;
    out->fitted.state = st;
    return 0;
}

int ll_model_load(const char *path, ll_registry *reg, ll_saved_model *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ll_error_io(err, "%s: cannot open: %s", path, strerror(errno));
    uint8_t *bytes = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *grown = cap <= MAX_MODEL_BYTES + HEADER_BYTES ? realloc(bytes, cap) : NULL;
            if (!grown) {
                free(bytes);
                fclose(f);
                return ll_error_set(err, "%s: too large to be a model file, or out of memory",
                                    path);
            }
            bytes = grown;
        }
        size_t got = fread(bytes + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(bytes);
        return ll_error_io(err, "%s: read error", path);
    }
    int rc = ll_model_load_bytes(path, bytes, n, reg, out, err);
    free(bytes);
    return rc;
}
