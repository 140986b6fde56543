/* An SD card's slow fsync, for benchmarks: fsync() and fdatasync() do their work and
 * then wait SLOW_FSYNC_US microseconds more (default 30000), in whatever thread calls
 * them. Nothing else changes: every other call goes straight to libc.
 *
 * Loaded with LD_PRELOAD; benchmarks/slow_fsync.py compiles it at run time:
 *     cc -shared -fPIC -O2 -o slow_fsync.so slow_fsync.c -ldl
 * (strace's fault injection does the same delay, but traces every system call of the
 * threads a process starts later, which costs far more than the delay it emulates.)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

typedef int (*sync_fn)(int);

static long delay_us(void)
{
    static long us = -1; /* read once; a racing first read just reads it twice */
    if (us < 0) {
        const char *s = getenv("SLOW_FSYNC_US");
        long v = s != NULL ? strtol(s, NULL, 10) : 30000;
        us = v < 0 ? 0 : v;
    }
    return us;
}

static void wait_after(void)
{
    long us = delay_us();
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
    while (us > 0 && nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static int slow(const char *name, sync_fn *real, int fd)
{
    if (*real == NULL)
        *real = (sync_fn)dlsym(RTLD_NEXT, name);
    if (*real == NULL) {
        errno = ENOSYS;
        return -1;
    }
    int rc = (*real)(fd);
    int err = errno;
    wait_after();
    errno = err; /* the caller sees the real call's outcome */
    return rc;
}

int fsync(int fd)
{
    static sync_fn real;
    return slow("fsync", &real, fd);
}

int fdatasync(int fd)
{
    static sync_fn real;
    return slow("fdatasync", &real, fd);
}
