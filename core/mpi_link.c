/* leadlab MPI transport (see mpi_link.h). Built without MPI, the world is one process. */
#include "mpi_link.h"

#ifndef LL_HAVE_MPI

int ll_mpi_init(int *argc, char ***argv, ll_mpi **out, ll_error *err)
{
    (void)argc, (void)argv, (void)err;
    *out = NULL;
    return 0;
}
void ll_mpi_finalize(ll_mpi *mpi, int failed) { (void)mpi, (void)failed; }
int ll_mpi_rank(const ll_mpi *mpi) { (void)mpi; return 0; }
int ll_mpi_size(const ll_mpi *mpi) { (void)mpi; return 1; }
int ll_mpi_handshake(ll_mpi *mpi, ll_digest plan, size_t slots, size_t *capacity, ll_error *err)
{
    (void)mpi, (void)plan, (void)err;
    capacity[0] = slots;
    return 0;
}
int ll_mpi_send_cell(ll_mpi *mpi, int rank, size_t index, ll_error *err)
{
    (void)mpi, (void)rank, (void)index;
    return ll_error_set(err, "this leadlab was built without MPI");
}
int ll_mpi_poll_cell(ll_mpi *mpi, int *rank, size_t *index, ll_cell *out, ll_error *err)
{
    (void)mpi, (void)rank, (void)index, (void)out, (void)err;
    return 0;
}
int ll_mpi_send_stop(ll_mpi *mpi, int abandon, ll_error *err)
{
    (void)mpi, (void)abandon, (void)err;
    return 0;
}
int ll_mpi_serve(ll_mpi *mpi, ll_pool *pool, const ll_run_result *run, int *abandon,
                 ll_error *err)
{
    (void)mpi, (void)pool, (void)run;
    *abandon = 0;
    return ll_error_set(err, "this leadlab was built without MPI");
}

#else /* LL_HAVE_MPI */

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpi.h>

/* Tags on the run's own communicator, so nothing else in the process can match them. */
enum {
    TAG_JOB = 1,    /* rank 0 -> r: one uint64 cell index */
    TAG_STOP = 2,   /* rank 0 -> r: one uint64, 0 = the run is over, 1 = abandon it */
    TAG_RESULT = 3, /* r -> rank 0: an ll_cell_message, then its scores and importances */
    TAG_DONE = 4    /* r -> rank 0: STOP seen; nothing more comes from r */
};

/* Where the job stands, so that leaving it never leaves another rank waiting forever. */
enum {
    PHASE_JOINED,  /* no run yet: a rank leaving now may strand others in the handshake */
    PHASE_RUNNING, /* handshake done, stop not yet exchanged */
    PHASE_SETTLED, /* every rank is at the same point: safe to finalize */
    PHASE_BROKEN   /* the transport failed: only an abort ends the job */
};

struct ll_mpi {
    int rank, size, phase;
    MPI_Comm comm;
    unsigned char *buf; /* one cell message, grown to the largest seen */
    size_t buf_size;
};

static int mpi_fail(ll_mpi *mpi, ll_error *err, const char *what, int code)
{
    char text[MPI_MAX_ERROR_STRING + 1];
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS)
        len = 0;
    text[len] = '\0';
    mpi->phase = PHASE_BROKEN;
    return ll_error_set(err, "MPI %s failed: %s", what, len ? text : "unknown error");
}

static int grow(ll_mpi *mpi, size_t n, ll_error *err)
{
    if (n <= mpi->buf_size)
        return 0;
    unsigned char *p = realloc(mpi->buf, n);
    if (!p) {
        mpi->phase = PHASE_BROKEN;
        return ll_error_set(err, "out of memory");
    }
    mpi->buf = p;
    mpi->buf_size = n;
    return 0;
}

/* The world size the launcher announces, or 0 when no launcher is seen. Only these variables
 * decide whether MPI starts at all, so a plain run never pays MPI start-up. */
static long launcher_size(int *pmix_only)
{
    static const char *const names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
    *pmix_only = 0;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *v = getenv(names[i]);
        if (v && *v)
            return strtol(v, NULL, 10);
    }
    /* srun --mpi=pmix names only the rank; MPI itself tells the size. */
    if (getenv("PMIX_RANK")) {
        *pmix_only = 1;
        return 2;
    }
    return 0;
}

int ll_mpi_init(int *argc, char ***argv, ll_mpi **out, ll_error *err)
{
    *out = NULL;
    int pmix_only;
    long announced = launcher_size(&pmix_only);
    if (announced <= 1)
        return 0;
    /* Allocated first: after MPI_Init_thread, a failure would strand the other ranks. */
    ll_mpi *mpi = calloc(1, sizeof *mpi);
    if (!mpi)
        return ll_error_set(err, "out of memory");
    int provided = MPI_THREAD_SINGLE;
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    /* MPI_Error_string is not callable outside an initialised MPI, so these failures give
     * the bare code (the default MPI error handler aborts before they are seen anyway). */
    if (rc != MPI_SUCCESS) {
        free(mpi);
        return ll_error_set(err, "MPI initialisation failed (MPI error %d)", rc);
    }
    /* Every rank reaches the same verdicts below, so each may simply finalize on failure. */
    if ((rc = MPI_Comm_size(MPI_COMM_WORLD, &mpi->size)) != MPI_SUCCESS ||
        (rc = MPI_Comm_rank(MPI_COMM_WORLD, &mpi->rank)) != MPI_SUCCESS) {
        MPI_Finalize();
        free(mpi);
        return ll_error_set(err, "MPI world query failed (MPI error %d)", rc);
    }
    if (mpi->size == 1) {
        MPI_Finalize();
        free(mpi);
        if (pmix_only)
            return 0;
        /* Each of the launcher's processes would otherwise run the whole plan alone, all
         * writing the same store. */
        return ll_error_set(err, "started as one of %ld MPI ranks, but MPI sees only this "
                                 "process (mpirun of another MPI library than leadlab's?)",
                            announced);
    }
    /* Worker threads never call MPI; only the scheduling thread does. */
    if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        free(mpi);
        return ll_error_set(err, "this MPI library cannot run alongside threads "
                                 "(MPI_THREAD_FUNNELED not provided)");
    }
    if ((rc = MPI_Comm_dup(MPI_COMM_WORLD, &mpi->comm)) != MPI_SUCCESS) {
        MPI_Finalize();
        free(mpi);
        return ll_error_set(err, "MPI communicator duplication failed (MPI error %d)", rc);
    }
    mpi->phase = PHASE_JOINED;
    *out = mpi;
    return 0;
}

void ll_mpi_finalize(ll_mpi *mpi, int failed)
{
    if (!mpi)
        return;
    /* A rank leaving before or in the middle of a run would leave the others blocked in
     * a collective or waiting for cells; only an abort releases them. */
    if (failed || mpi->phase != PHASE_SETTLED) {
        MPI_Abort(mpi->comm, 2);
    } else {
        MPI_Comm_free(&mpi->comm);
        MPI_Finalize();
    }
    free(mpi->buf);
    free(mpi);
}

int ll_mpi_rank(const ll_mpi *mpi) { return mpi ? mpi->rank : 0; }
int ll_mpi_size(const ll_mpi *mpi) { return mpi ? mpi->size : 1; }

int ll_mpi_handshake(ll_mpi *mpi, ll_digest plan, size_t slots, size_t *capacity,
                     ll_error *err)
{
    uint64_t mine[4] = {plan.hi, plan.lo, slots, sizeof(ll_cell_message)};
    uint64_t *all = NULL;
    if (mpi->rank == 0 && !(all = malloc((size_t)mpi->size * sizeof mine))) {
        mpi->phase = PHASE_BROKEN;
        return ll_error_set(err, "out of memory");
    }
    int rc = MPI_Gather(mine, 4, MPI_UINT64_T, all, 4, MPI_UINT64_T, 0, mpi->comm);
    if (rc != MPI_SUCCESS) {
        free(all);
        return mpi_fail(mpi, err, "handshake", rc);
    }
    /* 0, or the first rank that differs plus one: broadcast so every rank fails alike. */
    int verdict = 0;
    capacity[0] = slots;
    if (mpi->rank == 0) {
        for (int r = 1; r < mpi->size && !verdict; r++) {
            const uint64_t *theirs = all + 4 * (size_t)r;
            if (theirs[0] != mine[0] || theirs[1] != mine[1] || theirs[3] != mine[3] ||
                theirs[2] == 0 || theirs[2] > SIZE_MAX)
                verdict = r + 1;
            else
                capacity[r] = (size_t)theirs[2];
        }
        free(all);
    }
    if ((rc = MPI_Bcast(&verdict, 1, MPI_INT, 0, mpi->comm)) != MPI_SUCCESS)
        return mpi_fail(mpi, err, "handshake", rc);
    if (verdict) {
        mpi->phase = PHASE_SETTLED;
        return ll_error_set(err, "MPI rank %d planned different cells (another spec, data file "
                                 "or leadlab build?)", verdict - 1);
    }
    mpi->phase = PHASE_RUNNING;
    return 0;
}

int ll_mpi_send_cell(ll_mpi *mpi, int rank, size_t index, ll_error *err)
{
    uint64_t msg = index;
    int rc = MPI_Send(&msg, 1, MPI_UINT64_T, rank, TAG_JOB, mpi->comm);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(mpi, err, "send", rc);
}

/* Receives the probed message into mpi->buf; *bytes is its length. */
static int receive_probed(ll_mpi *mpi, MPI_Status *probed, size_t *bytes, ll_error *err)
{
    int count = 0;
    int rc = MPI_Get_count(probed, MPI_BYTE, &count);
    if (rc != MPI_SUCCESS)
        return mpi_fail(mpi, err, "receive", rc);
    if (count < 0 || count == MPI_UNDEFINED) {
        mpi->phase = PHASE_BROKEN;
        return ll_error_set(err, "MPI rank %d sent a message of unknown size",
                            probed->MPI_SOURCE);
    }
    if (grow(mpi, count ? (size_t)count : 1, err) != 0)
        return -1;
    rc = MPI_Recv(mpi->buf, count, MPI_BYTE, probed->MPI_SOURCE, probed->MPI_TAG, mpi->comm,
                  MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS)
        return mpi_fail(mpi, err, "receive", rc);
    *bytes = (size_t)count;
    return 0;
}

int ll_mpi_poll_cell(ll_mpi *mpi, int *rank, size_t *index, ll_cell *out, ll_error *err)
{
    int flag = 0;
    MPI_Status st;
    int rc = MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, mpi->comm, &flag, &st);
    if (rc != MPI_SUCCESS)
        return mpi_fail(mpi, err, "probe", rc);
    if (!flag)
        return 0;
    size_t bytes;
    if (receive_probed(mpi, &st, &bytes, err) != 0)
        return -1;
    ll_cell_message msg;
    if (bytes < sizeof msg)
        goto malformed;
    memcpy(&msg, mpi->buf, sizeof msg);
    if (msg.magic != LL_CELL_MESSAGE_MAGIC || msg.index > SIZE_MAX ||
        (msg.cell.status != LL_CELL_OK && msg.cell.status != LL_CELL_FAILED))
        goto malformed;
    int ok = msg.cell.status == LL_CELL_OK;
    size_t n_scores = ok ? msg.cell.n_test : 0, n_imp = ok ? msg.cell.n_importances : 0;
    size_t room = (SIZE_MAX - sizeof msg) / sizeof(double);
    if (n_scores > room || n_imp > room - n_scores ||
        bytes != sizeof msg + (n_scores + n_imp) * sizeof(double))
        goto malformed;
    *out = msg.cell;
    out->error[sizeof out->error - 1] = '\0';
    out->importance_kind[sizeof out->importance_kind - 1] = '\0';
    out->importance_note[sizeof out->importance_note - 1] = '\0';
    out->scores = out->importances = NULL;
    if (ok) {
        out->scores = malloc(n_scores ? n_scores * sizeof(double) : 1);
        out->importances = n_imp ? malloc(n_imp * sizeof(double)) : NULL;
        if (!out->scores || (n_imp && !out->importances)) {
            free(out->scores);
            free(out->importances);
            out->scores = out->importances = NULL;
            mpi->phase = PHASE_BROKEN;
            return ll_error_set(err, "out of memory");
        }
        memcpy(out->scores, mpi->buf + sizeof msg, n_scores * sizeof(double));
        if (n_imp)
            memcpy(out->importances, mpi->buf + sizeof msg + n_scores * sizeof(double),
                   n_imp * sizeof(double));
    }
    *rank = st.MPI_SOURCE;
    *index = (size_t)msg.index;
    return 1;
malformed:
    mpi->phase = PHASE_BROKEN;
    return ll_error_set(err, "MPI rank %d sent a malformed cell message (%zu bytes)",
                        st.MPI_SOURCE, bytes);
}

int ll_mpi_send_stop(ll_mpi *mpi, int abandon, ll_error *err)
{
    if (mpi->phase != PHASE_RUNNING)
        return 0;
    int n = mpi->size - 1;
    MPI_Request *reqs = malloc((size_t)n * sizeof *reqs);
    if (!reqs) {
        mpi->phase = PHASE_BROKEN;
        return ll_error_set(err, "out of memory");
    }
    uint64_t stop = abandon ? 1 : 0;
    for (int r = 1; r <= n; r++) {
        int rc = MPI_Isend(&stop, 1, MPI_UINT64_T, r, TAG_STOP, mpi->comm, &reqs[r - 1]);
        if (rc != MPI_SUCCESS) {
            free(reqs);
            return mpi_fail(mpi, err, "send", rc);
        }
    }
    /* Until every rank confirms, a rank may still be sending a cell it finished before it
     * saw the stop; its send only completes once received here, so drain and drop them.
     * Messages from one rank arrive in order, so nothing follows its DONE. */
    int pending = n, late = -1;
    while (pending) {
        MPI_Status st;
        size_t bytes;
        int rc = MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, mpi->comm, &st);
        if (rc != MPI_SUCCESS) {
            free(reqs);
            return mpi_fail(mpi, err, "probe", rc);
        }
        if (receive_probed(mpi, &st, &bytes, err) != 0) {
            free(reqs);
            return -1;
        }
        if (st.MPI_TAG == TAG_DONE)
            pending--;
        else if (late < 0)
            late = st.MPI_SOURCE;
    }
    int rc = MPI_Waitall(n, reqs, MPI_STATUSES_IGNORE);
    free(reqs);
    if (rc != MPI_SUCCESS)
        return mpi_fail(mpi, err, "send", rc);
    mpi->phase = PHASE_SETTLED;
    /* At a normal end every handed-out cell came back, so anything more is a protocol bug. */
    if (late >= 0 && !abandon)
        return ll_error_set(err, "MPI rank %d sent a cell after the run ended", late);
    return 0;
}

/* Sends one finished cell to rank 0 as a single message, so header, scores and importances
 * never part. */
static int send_result(ll_mpi *mpi, size_t index, const ll_cell *cell, ll_error *err)
{
    ll_cell_message msg;
    memset(&msg, 0, sizeof msg);
    msg.magic = LL_CELL_MESSAGE_MAGIC;
    msg.index = index;
    msg.cell = *cell;
    msg.cell.scores = msg.cell.importances = NULL;
    int ok = cell->status == LL_CELL_OK;
    size_t n_scores = ok ? cell->n_test : 0, n_imp = ok ? cell->n_importances : 0;
    size_t room = ((size_t)INT_MAX - sizeof msg) / sizeof(double);
    if (n_scores > room || n_imp > room - n_scores) {
        mpi->phase = PHASE_BROKEN;
        return ll_error_set(err, "cell %zu has too many test rows for one MPI message", index);
    }
    size_t bytes = sizeof msg + (n_scores + n_imp) * sizeof(double);
    if (grow(mpi, bytes, err) != 0)
        return -1;
    memcpy(mpi->buf, &msg, sizeof msg);
    if (n_scores)
        memcpy(mpi->buf + sizeof msg, cell->scores, n_scores * sizeof(double));
    if (n_imp)
        memcpy(mpi->buf + sizeof msg + n_scores * sizeof(double), cell->importances,
               n_imp * sizeof(double));
    int rc = MPI_Send(mpi->buf, (int)bytes, MPI_BYTE, 0, TAG_RESULT, mpi->comm);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(mpi, err, "send", rc);
}

int ll_mpi_serve(ll_mpi *mpi, ll_pool *pool, const ll_run_result *run, int *abandon,
                 ll_error *err)
{
    size_t running = 0;
    *abandon = 0;
    for (;;) {
        int flag = 0;
        MPI_Status st;
        int rc;
        while ((rc = MPI_Iprobe(0, MPI_ANY_TAG, mpi->comm, &flag, &st)) == MPI_SUCCESS && flag) {
            uint64_t value;
            int count = 0;
            if (st.MPI_TAG != TAG_JOB && st.MPI_TAG != TAG_STOP) {
                mpi->phase = PHASE_BROKEN;
                return ll_error_set(err, "MPI rank 0 sent an unknown message (tag %d)",
                                    st.MPI_TAG);
            }
            if ((rc = MPI_Get_count(&st, MPI_UINT64_T, &count)) != MPI_SUCCESS)
                return mpi_fail(mpi, err, "receive", rc);
            if (count != 1) {
                mpi->phase = PHASE_BROKEN;
                return ll_error_set(err, "MPI rank 0 sent a malformed message (tag %d)",
                                    st.MPI_TAG);
            }
            if ((rc = MPI_Recv(&value, 1, MPI_UINT64_T, 0, st.MPI_TAG, mpi->comm,
                               MPI_STATUS_IGNORE)) != MPI_SUCCESS)
                return mpi_fail(mpi, err, "receive", rc);
            if (st.MPI_TAG == TAG_STOP) {
                /* Cells still running (an abandoned run) end when the caller stops the pool;
                 * their outcomes are no longer wanted. */
                if ((rc = MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_DONE, mpi->comm)) != MPI_SUCCESS)
                    return mpi_fail(mpi, err, "send", rc);
                mpi->phase = PHASE_SETTLED;
                *abandon = value != 0;
                return 0;
            }
            if (value >= run->n_cells) {
                mpi->phase = PHASE_BROKEN;
                return ll_error_set(err, "MPI rank 0 sent cell %llu of a %zu-cell plan",
                                    (unsigned long long)value, run->n_cells);
            }
            /* Rank 0 hands out at most as many cells as this rank has slots. */
            int slot = ll_pool_idle_slot(pool);
            if (slot < 0) {
                mpi->phase = PHASE_BROKEN;
                return ll_error_set(err, "MPI rank 0 sent more cells than rank %d has slots",
                                    mpi->rank);
            }
            if (ll_pool_submit(pool, slot, (size_t)value, err) != 0) {
                mpi->phase = PHASE_BROKEN;
                return -1;
            }
            running++;
        }
        if (rc != MPI_SUCCESS)
            return mpi_fail(mpi, err, "probe", rc);
        /* A zero timeout: ll_pool_wait spins through the last millisecond of a short timeout
         * (its poll rounds the remainder down to 0 ms), which starves the cells of a core. */
        size_t index;
        ll_cell cell;
        int got = running ? ll_pool_wait(pool, 0, &index, &cell, err) : 0;
        if (got < 0) {
            mpi->phase = PHASE_BROKEN;
            return -1;
        }
        if (got == 1) {
            running--;
            rc = send_result(mpi, index, &cell, err);
            free(cell.scores);
            free(cell.importances);
            if (rc != 0)
                return -1;
            continue; /* another cell may be done too */
        }
        /* MPI's own blocking waits spin a core; a short sleep keeps a waiting rank idle. */
        struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
    }
}

#endif
