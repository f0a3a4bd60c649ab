/* leadlab worker slots (see slots.h). */
#include "slots.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define QUIT_INDEX UINT64_MAX

typedef struct {
    int fd;          /* the scheduler's end of the socket pair; -1 when no worker */
    pid_t pid;       /* process workers */
    pthread_t thread;
    int has_thread;
    long cell;       /* plan index running, or -1 */
    double started;
    long base_rss_kb;
    char limit_hit[160]; /* set when the scheduler killed the worker for a limit */
} slot;

struct ll_pool {
    ll_pool_config cfg;
    slot *slots;
    size_t n;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 0 when all n bytes arrived, -1 on end of stream or error. */
static int read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* ---- the worker side ---- */

/* A copy, not a pointer into the pool: an abandoned thread outlives ll_pool_stop. */
typedef struct {
    ll_pool_config cfg;
    int fd;
} worker_args;

/* Runs cells until told to quit or the scheduler goes away. */
static void worker_loop(const ll_pool_config *cfg, int fd)
{
    const ll_run_result *run = cfg->run;
    uint64_t index;
    while (read_full(fd, &index, sizeof index) == 0 && index != QUIT_INDEX) {
        if (index >= run->n_cells)
            break;
        ll_cell_message msg;
        memset(&msg, 0, sizeof msg);
        msg.magic = LL_CELL_MESSAGE_MAGIC;
        msg.index = index;
        msg.cell = ll_cell_pending_copy(&run->cells[index]);
        ll_split split = ll_plan_split(run, &msg.cell);
        ll_cell_run(cfg->spec, cfg->data, &split, &msg.cell, cfg->threads_per_cell);
        double *scores = msg.cell.scores, *importances = msg.cell.importances;
        msg.cell.scores = msg.cell.importances = NULL;
        int ok = write_full(fd, &msg, sizeof msg) == 0 &&
                 (msg.cell.status != LL_CELL_OK ||
                  (write_full(fd, scores, msg.cell.n_test * sizeof *scores) == 0 &&
                   write_full(fd, importances,
                              msg.cell.n_importances * sizeof *importances) == 0));
        free(scores);
        free(importances);
        if (!ok)
            break;
    }
}

static void *worker_thread(void *arg)
{
    worker_args a = *(worker_args *)arg;
    free(arg);
    worker_loop(&a.cfg, a.fd);
    close(a.fd);
    return NULL;
}

/* ---- the scheduler side ---- */

static void close_slot(slot *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

static int spawn(ll_pool *pool, slot *s, ll_error *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return ll_error_set(err, "cannot create a worker channel: %s", strerror(errno));
    s->cell = -1;
    s->limit_hit[0] = '\0';
    if (pool->cfg.isolation == LL_ISOLATION_NONE) {
        worker_args *a = malloc(sizeof *a);
        if (!a) {
            close(sv[0]);
            close(sv[1]);
            return ll_error_set(err, "out of memory");
        }
        a->cfg = pool->cfg;
        a->fd = sv[1];
        /* Signals are the scheduling thread's to handle, so its wait is the one interrupted. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        int rc = pthread_create(&s->thread, NULL, worker_thread, a);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (rc != 0) {
            free(a);
            close(sv[0]);
            close(sv[1]);
            return ll_error_set(err, "cannot start a worker thread: %s", strerror(rc));
        }
        s->has_thread = 1;
        s->fd = sv[0];
        return 0;
    }
    pid_t parent = getpid();
    fflush(NULL); /* or buffered output would be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return ll_error_set(err, "cannot start a worker process: %s", strerror(errno));
    }
    if (pid == 0) {
        /* The scheduler handles Ctrl-C and SIGTERM for the whole run and lets the running
         * cells finish; a worker outlives nothing: it dies with the scheduler. */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        if (getppid() != parent)
            _exit(0);
        for (size_t i = 0; i < pool->n; i++)
            if (pool->slots[i].fd >= 0)
                close(pool->slots[i].fd);
        close(sv[0]);
        worker_loop(&pool->cfg, sv[1]);
        _exit(0); /* no atexit handlers: they belong to the scheduler */
    }
    close(sv[1]);
    s->pid = pid;
    s->fd = sv[0];
    return 0;
}

int ll_pool_start(const ll_pool_config *cfg, size_t n_slots, ll_pool **out, ll_error *err)
{
    ll_pool *pool = calloc(1, sizeof *pool);
    if (!pool || !(pool->slots = calloc(n_slots ? n_slots : 1, sizeof *pool->slots))) {
        free(pool);
        return ll_error_set(err, "out of memory");
    }
    pool->cfg = *cfg;
    pool->n = n_slots;
    for (size_t i = 0; i < n_slots; i++) {
        pool->slots[i].fd = -1;
        pool->slots[i].cell = -1;
    }
    for (size_t i = 0; i < n_slots; i++)
        if (spawn(pool, &pool->slots[i], err) != 0) {
            ll_pool_stop(pool, 1);
            return -1;
        }
    *out = pool;
    return 0;
}

static void reap(slot *s, int *status)
{
    *status = 0;
    if (s->pid > 0) {
        while (waitpid(s->pid, status, 0) < 0 && errno == EINTR)
            continue;
        s->pid = 0;
    }
}

void ll_pool_stop(ll_pool *pool, int abandon)
{
    if (!pool)
        return;
    for (size_t i = 0; i < pool->n; i++) {
        slot *s = &pool->slots[i];
        if (s->fd < 0 && !s->pid && !s->has_thread)
            continue;
        int busy = s->cell >= 0;
        if (busy && abandon && s->pid > 0)
            kill(s->pid, SIGKILL);
        if (!busy && s->fd >= 0) {
            uint64_t quit = QUIT_INDEX;
            write_full(s->fd, &quit, sizeof quit);
        }
        if (s->has_thread) {
            if (busy && abandon) {
                pthread_detach(s->thread); /* left to finish or to die with the process */
            } else {
                close_slot(s); /* a busy thread sees its write fail, then quits */
                pthread_join(s->thread, NULL);
            }
            s->has_thread = 0;
        }
        close_slot(s);
        int status;
        reap(s, &status);
    }
    free(pool->slots);
    free(pool);
}

size_t ll_pool_slots(const ll_pool *pool) { return pool->n; }

int ll_pool_idle_slot(const ll_pool *pool)
{
    for (size_t i = 0; i < pool->n; i++)
        if (pool->slots[i].cell < 0)
            return (int)i;
    return -1;
}

/* Resident set size in KiB of a process, or -1 (the process is gone). */
static long resident_kb(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/statm", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long size, resident;
    int ok = fscanf(f, "%ld %ld", &size, &resident) == 2;
    fclose(f);
    return ok ? resident * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

int ll_pool_submit(ll_pool *pool, int slot_index, size_t index, ll_error *err)
{
    slot *s = &pool->slots[slot_index];
    if (s->fd < 0 && spawn(pool, s, err) != 0)
        return -1;
    uint64_t msg = index;
    if (write_full(s->fd, &msg, sizeof msg) != 0) {
        /* The idle worker died (it should not): start another and retry once. */
        int status;
        close_slot(s);
        reap(s, &status);
        if (spawn(pool, s, err) != 0)
            return -1;
        if (write_full(s->fd, &msg, sizeof msg) != 0)
            return ll_error_set(err, "cannot reach a worker: %s", strerror(errno));
    }
    s->cell = (long)index;
    s->started = now_seconds();
    s->base_rss_kb = s->pid > 0 && pool->cfg.cell_memory_mb > 0 ? resident_kb(s->pid) : 0;
    s->limit_hit[0] = '\0';
    return 0;
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGTRAP: return "SIGTRAP";
    default: return "signal";
    }
}

/* The outcome of a cell whose worker stopped answering. */
static void worker_lost(const ll_pool *pool, slot *s, ll_cell *out)
{
    int status;
    close_slot(s);
    reap(s, &status);
    *out = ll_cell_pending_copy(&pool->cfg.run->cells[s->cell]);
    out->seconds = now_seconds() - s->started;
    if (s->limit_hit[0])
        ll_cell_fail(out, "%s", s->limit_hit);
    else if (WIFSIGNALED(status))
        ll_cell_fail(out, "the worker process crashed: %s (%s)%s", signal_name(WTERMSIG(status)),
                     strsignal(WTERMSIG(status)),
                     WTERMSIG(status) == SIGKILL ? ", e.g. by the system's out-of-memory killer"
                                                 : "");
    else if (WIFEXITED(status))
        ll_cell_fail(out, "the plugin ended the worker process with exit status %d",
                     WEXITSTATUS(status));
    else
        ll_cell_fail(out, "the worker stopped answering");
}

/* Kills busy process workers that broke a limit; the kill shows up as their end of stream. */
static void enforce_limits(ll_pool *pool)
{
    double now = now_seconds();
    for (size_t i = 0; i < pool->n; i++) {
        slot *s = &pool->slots[i];
        if (s->cell < 0 || s->pid <= 0 || s->limit_hit[0])
            continue;
        if (pool->cfg.cell_seconds > 0 && now - s->started > pool->cfg.cell_seconds) {
            snprintf(s->limit_hit, sizeof s->limit_hit,
                     "exceeded limits.cell_seconds = %g (killed after %.1f s)",
                     pool->cfg.cell_seconds, now - s->started);
            kill(s->pid, SIGKILL);
            continue;
        }
        if (pool->cfg.cell_memory_mb > 0) {
            long rss = resident_kb(s->pid);
            double grown_mb = (double)(rss - s->base_rss_kb) / 1024.0;
            if (rss >= 0 && grown_mb > pool->cfg.cell_memory_mb) {
                snprintf(s->limit_hit, sizeof s->limit_hit,
                         "exceeded limits.cell_memory_mb = %g (the cell's resident memory grew "
                         "by %.0f MB)", pool->cfg.cell_memory_mb, grown_mb);
                kill(s->pid, SIGKILL);
            }
        }
    }
}

static int watching_limits(const ll_pool *pool)
{
    return pool->cfg.isolation == LL_ISOLATION_PROCESS &&
           (pool->cfg.cell_seconds > 0 || pool->cfg.cell_memory_mb > 0);
}

/* The arrays that follow an ok cell's message: its scores, then its importances (a count the
 * data bounds, so a garbled message cannot ask for a huge allocation). 0, or -1 (nothing left
 * allocated) when they do not arrive whole. */
static int read_outcome(const ll_pool *pool, slot *s, ll_cell *cell)
{
    cell->scores = cell->importances = NULL;
    cell->error[sizeof cell->error - 1] = '\0';
    cell->importance_kind[sizeof cell->importance_kind - 1] = '\0';
    cell->importance_note[sizeof cell->importance_note - 1] = '\0';
    if (cell->status != LL_CELL_OK)
        return 0;
    if (cell->n_test > pool->cfg.data->n_rows || cell->n_importances > pool->cfg.data->n_cols)
        return -1;
    size_t bytes = cell->n_test * sizeof *cell->scores;
    size_t imp_bytes = cell->n_importances * sizeof *cell->importances;
    cell->scores = malloc(bytes ? bytes : 1);
    cell->importances = cell->n_importances ? malloc(imp_bytes) : NULL;
    if (!cell->scores || (cell->n_importances && !cell->importances) ||
        read_full(s->fd, cell->scores, bytes) != 0 ||
        read_full(s->fd, cell->importances, imp_bytes) != 0) {
        free(cell->scores);
        free(cell->importances);
        cell->scores = cell->importances = NULL;
        return -1;
    }
    return 0;
}

int ll_pool_wait(ll_pool *pool, int timeout_ms, size_t *index, ll_cell *out, ll_error *err)
{
    struct pollfd *fds = calloc(pool->n ? pool->n : 1, sizeof *fds);
    size_t *which = calloc(pool->n ? pool->n : 1, sizeof *which);
    if (!fds || !which) {
        free(fds);
        free(which);
        return ll_error_set(err, "out of memory");
    }
    double deadline = timeout_ms < 0 ? -1 : now_seconds() + timeout_ms / 1000.0;
    int result = 0;
    for (;;) {
        if (watching_limits(pool))
            enforce_limits(pool);
        nfds_t n = 0;
        for (size_t i = 0; i < pool->n; i++)
            if (pool->slots[i].cell >= 0) {
                fds[n].fd = pool->slots[i].fd;
                fds[n].events = POLLIN;
                which[n++] = i;
            }
        if (n == 0)
            break;
        /* Rounded up: rounding down would spin on poll(0) for the last millisecond. */
        int wait_ms = timeout_ms < 0 ? -1 : (int)((deadline - now_seconds()) * 1000.0 + 0.999);
        if (timeout_ms >= 0 && wait_ms < 0)
            wait_ms = 0;
        /* Limits are checked every 20 ms: a cell cannot overshoot its memory by much more
         * than it allocates in that time. */
        if (watching_limits(pool) && (wait_ms < 0 || wait_ms > 20))
            wait_ms = 20;
        int ready = poll(fds, n, wait_ms);
        if (ready < 0 && errno == EINTR)
            break; /* a signal: let the caller look at its stop flag */
        if (ready < 0) {
            result = ll_error_set(err, "waiting for workers: %s", strerror(errno));
            break;
        }
        nfds_t k = 0;
        while (k < n && !fds[k].revents)
            k++;
        if (k < n) {
            slot *s = &pool->slots[which[k]];
            ll_cell_message msg;
            *index = (size_t)s->cell;
            if (read_full(s->fd, &msg, sizeof msg) != 0 || msg.magic != LL_CELL_MESSAGE_MAGIC ||
                msg.index != (uint64_t)s->cell) {
                worker_lost(pool, s, out);
            } else if (read_outcome(pool, s, &msg.cell) != 0) {
                worker_lost(pool, s, out);
            } else {
                *out = msg.cell;
            }
            s->cell = -1;
            result = 1;
            break;
        }
        if (timeout_ms >= 0 && now_seconds() >= deadline)
            break;
    }
    free(fds);
    free(which);
    return result;
}

size_t ll_pool_busy(const ll_pool *pool)
{
    size_t n = 0;
    for (size_t i = 0; i < pool->n; i++)
        n += pool->slots[i].cell >= 0;
    return n;
}

size_t ll_pool_running(const ll_pool *pool, size_t *cells, double *elapsed)
{
    size_t n = 0;
    double now = now_seconds();
    for (size_t i = 0; i < pool->n; i++)
        if (pool->slots[i].cell >= 0) {
            cells[n] = (size_t)pool->slots[i].cell;
            elapsed[n++] = now - pool->slots[i].started;
        }
    return n;
}
