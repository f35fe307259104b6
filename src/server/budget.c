/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's memory budget: every byte a request makes the server allocate
 * for its body and its parse tree is charged here before it is allocated.
 * A request that does not fit waits, suspended, in arrival order, until
 * enough is released or its deadline passes; one thread of its own grants,
 * expires and resumes waiters, so libmicrohttpd is never called back while
 * it holds a lock of its own.
 */
#include "internal.h"

#include "hardpod/obs.h"

#include <errno.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    size_t total;
    size_t used; /* charged, waiters' holdings included */
    size_t held; /* what the waiters hold while they wait */
    struct srv_waiter *head, *tail;
    bool running;
    bool stopping;          /* closing: every waiter expires, no new one is queued */
    bool exiting;           /* the thread ends */
    bool resuming;          /* the thread is resuming connections outside the lock */
    pthread_cond_t settled; /* stopping, and nothing is queued or being resumed */
    pthread_t thread;
} B = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void publish(void)
{
    hp_metrics_memory(B.total, B.used);
}

static bool before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Unlinks w (prev is the waiter before it, or NULL). Lock held. */
static void unlink_waiter(struct srv_waiter *prev, struct srv_waiter *w)
{
    if (prev == NULL) {
        B.head = w->next;
    } else {
        prev->next = w->next;
    }
    if (B.tail == w) {
        B.tail = prev;
    }
    w->next = NULL;
    B.held -= w->held;
}

/* Settles the queue: grants the head while it fits, expires waiters past
 * their deadline (or all of them when stopping), and, when every byte in use
 * is held by a waiter (so nothing would ever be released), expires the newest
 * waiters until the oldest fits. Moves each settled waiter onto *done.
 * Lock held. */
static void settle(const struct timespec *now, struct srv_waiter **done)
{
    struct srv_waiter *prev = NULL;
    for (struct srv_waiter *w = B.head; w != NULL;) {
        struct srv_waiter *next = w->next;
        if (B.stopping || !before(now, &w->deadline)) {
            unlink_waiter(prev, w);
            atomic_store(&w->state, SRV_WAIT_EXPIRED);
            w->next = *done;
            *done = w;
        } else {
            prev = w;
        }
        w = next;
    }
    while (B.head != NULL && B.tail != NULL && B.used == B.held && B.head->next != NULL &&
           B.head->need > B.total - B.used) {
        struct srv_waiter *p = B.head;
        while (p->next != NULL && p->next != B.tail) {
            p = p->next;
        }
        struct srv_waiter *w = B.tail;
        unlink_waiter(p, w);
        atomic_store(&w->state, SRV_WAIT_EXPIRED);
        w->next = *done;
        *done = w;
    }
    while (B.head != NULL && B.head->need <= B.total - B.used) {
        struct srv_waiter *w = B.head;
        unlink_waiter(NULL, w);
        B.used += w->need;
        atomic_store(&w->state, SRV_WAIT_GRANTED);
        w->next = *done;
        *done = w;
    }
    publish();
}

static void *budget_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&B.lock);
    while (!B.exiting) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        struct srv_waiter *done = NULL;
        settle(&now, &done);
        if (done != NULL) {
            B.resuming = true;
            pthread_mutex_unlock(&B.lock);
            while (done != NULL) {
                /* w belongs to its request once resumed: read everything first. */
                struct srv_waiter *w = done;
                struct MHD_Connection *conn = w->conn;
                done = w->next;
                MHD_resume_connection(conn);
            }
            pthread_mutex_lock(&B.lock);
            B.resuming = false;
            continue;
        }
        if (B.stopping) {
            pthread_cond_broadcast(&B.settled);
        }
        if (B.head == NULL) {
            pthread_cond_wait(&B.wake, &B.lock);
        } else {
            struct timespec until = B.head->deadline;
            for (struct srv_waiter *w = B.head->next; w != NULL; w = w->next) {
                if (before(&w->deadline, &until)) {
                    until = w->deadline;
                }
            }
            pthread_cond_timedwait(&B.wake, &B.lock, &until);
        }
    }
    pthread_mutex_unlock(&B.lock);
    return NULL;
}

enum hp_err srv_budget_start(size_t total, struct hp_error *err)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&B.wake, &attr);
    pthread_cond_init(&B.settled, &attr);
    pthread_condattr_destroy(&attr);
    B.total = total;
    B.used = B.held = 0;
    B.head = B.tail = NULL;
    B.stopping = B.exiting = B.resuming = false;
    int rc = pthread_create(&B.thread, NULL, budget_thread, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&B.wake);
        pthread_cond_destroy(&B.settled);
        return hp_error_set(err, HP_ERR_IO, "cannot start the memory budget thread: %s",
                            strerror(rc));
    }
    B.running = true;
    publish();
    return HP_OK;
}

void srv_budget_close(void)
{
    if (!B.running) {
        return;
    }
    pthread_mutex_lock(&B.lock);
    B.stopping = true;
    pthread_cond_signal(&B.wake);
    while (B.head != NULL || B.resuming) {
        pthread_cond_wait(&B.settled, &B.lock);
    }
    pthread_mutex_unlock(&B.lock);
}

void srv_budget_stop(void)
{
    if (!B.running) {
        return;
    }
    srv_budget_close();
    pthread_mutex_lock(&B.lock);
    B.exiting = true;
    pthread_cond_signal(&B.wake);
    pthread_mutex_unlock(&B.lock);
    pthread_join(B.thread, NULL);
    pthread_cond_destroy(&B.wake);
    pthread_cond_destroy(&B.settled);
    B.running = false;
}

size_t srv_budget_total(void)
{
    return B.total;
}

bool srv_budget_take(size_t n)
{
    pthread_mutex_lock(&B.lock);
    /* Nobody overtakes a waiter: arrival order keeps large requests from
     * starving behind a stream of small ones. */
    bool ok = B.head == NULL && !B.stopping && n <= B.total - B.used;
    if (ok) {
        B.used += n;
        publish();
    }
    pthread_mutex_unlock(&B.lock);
    return ok;
}

void srv_budget_put(size_t n)
{
    if (n == 0) {
        return;
    }
    pthread_mutex_lock(&B.lock);
    B.used -= n < B.used ? n : B.used;
    publish();
    if (B.head != NULL) {
        pthread_cond_signal(&B.wake);
    }
    pthread_mutex_unlock(&B.lock);
}

bool srv_budget_wait(struct srv_waiter *w)
{
    pthread_mutex_lock(&B.lock);
    bool closed = B.stopping || !B.running;
    pthread_mutex_unlock(&B.lock);
    if (closed) {
        atomic_store(&w->state, SRV_WAIT_EXPIRED);
        return false;
    }
    atomic_store(&w->state, SRV_WAIT_QUEUED);
    w->next = NULL;
    /* Suspended before it is queued, so the budget thread can never resume
     * a connection that is not suspended yet. */
    MHD_suspend_connection(w->conn);
    pthread_mutex_lock(&B.lock);
    if (B.stopping) {
        /* closed meanwhile: never queued, resumed at once, answered as expired */
        pthread_mutex_unlock(&B.lock);
        atomic_store(&w->state, SRV_WAIT_EXPIRED);
        MHD_resume_connection(w->conn);
        return true;
    }
    if (B.tail == NULL) {
        B.head = w;
    } else {
        B.tail->next = w;
    }
    B.tail = w;
    B.held += w->held;
    pthread_cond_signal(&B.wake);
    pthread_mutex_unlock(&B.lock);
    hp_metrics_memory_wait();
    return true;
}
