/* leadlab probability calibration: isotonic regression and Platt's sigmoid fitted on a model's
 * scores, as scikit-learn 1.2's CalibratedClassifierCV fits them, and saved with a model. */
#ifndef LL_CORE_CALIBRATE_H
#define LL_CORE_CALIBRATE_H

#include <stddef.h>
#include <stdint.h>

#include "leadlab/plugin.h" /* ll_status, ll_err, ll_fail, ll_writer, ll_reader */

enum { LL_CALIBRATE_NONE = 0, LL_CALIBRATE_ISOTONIC = 1, LL_CALIBRATE_SIGMOID = 2 };

typedef struct {
    int method;    /* LL_CALIBRATE_* */
    double *x, *y; /* isotonic: n_points knots, x strictly increasing, y non-decreasing in [0,1];
                    * owned */
    size_t n_points;
    double a, b; /* sigmoid: p = 1 / (1 + exp(a * s + b)) (Platt's parametrisation, a < 0 for a
                  * useful score) */
} ll_calibrator;

/* "none", "isotonic", "sigmoid"; "unknown" for any other value. */
const char *ll_calibration_name(int method);
/* LL_CALIBRATE_* of a name (exact, lower case), or -1 (also for NULL). */
int ll_calibration_parse(const char *name);

/* Fits `method` (ISOTONIC or SIGMOID) on scores (any finite reals; here probabilities from a
 * model) against labels y (0/1), n rows.
 * ISOTONIC is IsotonicRegression(out_of_bounds="clip"): scores closer than 1e-15 to the first
 * of their group are one point (scikit-learn's _make_unique), pooled adjacent violators, and
 * only the ends of each constant run kept as knots. SIGMOID is Platt scaling with Platt's
 * smoothed targets, minimised by Newton's method with a backtracking line search (Lin, Lin and
 * Weng 2007) from scikit-learn's start; when every score is the same, the optimum is a line and
 * the fit is the point of it nearest the start, where scikit-learn's BFGS ends too.
 * Fails with LL_EINVAL and a one-line message (never produces NaN) when: n == 0, the labels hold
 * one class only, a label is not 0 or 1, a score is not finite, or the fit does not converge or
 * produces non-finite parameters (LL_ENOMEM when out of memory). On LL_OK the caller frees *out
 * with ll_calibrator_free; on failure *out holds nothing to free (zeroed). NONE is allowed and
 * gives the identity without looking at the rows. */
ll_status ll_calibrator_fit(int method, const double *score, const uint8_t *y, size_t n,
                            ll_calibrator *out, ll_err *err);

/* out[i] = calibrated probability of in[i], in [0, 1]; in == out allowed. Identity for NONE.
 * A NaN score gives NaN (no probability can be told for it). */
void ll_calibrator_apply(const ll_calibrator *c, const double *in, double *out, size_t n);

/* NULL-safe, leaves it zeroed. */
void ll_calibrator_free(ll_calibrator *c);

/* Little-endian serialisation for saved models (.llm), through plugin.h's helpers:
 *   u64 method; ISOTONIC: size n_points, n_points f64 x, n_points f64 y; SIGMOID: f64 a, f64 b;
 *   NONE: nothing more.
 * save fails with LL_EINVAL on a calibrator fit could not have made, LL_EFAIL when the writer
 * fails. load is defensive: it bounds counts by the bytes left (ll_read_size), refuses
 * non-finite values, x not strictly increasing, y outside [0,1] or decreasing, no knots, an
 * unknown method, and leaves *c zeroed on failure, with a one-line message (LL_EINVAL, or
 * LL_ENOMEM). It reads exactly what save wrote and nothing after it. */
ll_status ll_calibrator_save(const ll_calibrator *c, ll_writer *w, ll_err *err);
ll_status ll_calibrator_load(ll_reader *r, ll_calibrator *c, ll_err *err);

#endif
