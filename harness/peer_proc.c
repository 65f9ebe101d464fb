/* The peer process (peer_proc.h). */
#include "peer_proc.h"

#include "sock_io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

bool peer_proc_start(peer_proc_t *pp, void (*fn)(void *arg, int wr), void *arg,
                     const int *close_fds, size_t nclose)
{
    int fds[2];
    pp->pid = -1;
    pp->rd = -1;
    if (pipe2(fds, O_CLOEXEC))
        return false;
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        errno = e;
        return false;
    }
    if (pid == 0) {
        close(fds[0]);
        for (size_t i = 0; i < nclose; i++)
            if (close_fds[i] >= 0)
                close(close_fds[i]);
        fn(arg, fds[1]);
        fflush(NULL);
        _exit(0);
    }
    close(fds[1]);
    pp->pid = pid;
    pp->rd = fds[0];
    return true;
}

bool peer_proc_send(int wr, const void *msg, size_t len)
{
    return fd_write_all(wr, msg, len);
}

bool peer_proc_recv(peer_proc_t *pp, void *msg, size_t len, unsigned timeout_ms)
{
    return pp->rd >= 0 && fd_read_all(pp->rd, msg, len, mono_ms() + timeout_ms);
}

int peer_proc_end(peer_proc_t *pp, unsigned timeout_ms)
{
    int rc = -1;
    if (pp->pid > 0) {
        uint64_t end = mono_ms() + timeout_ms;
        int st = 0;
        pid_t w;
        while ((w = waitpid(pp->pid, &st, WNOHANG)) == 0 && mono_ms() < end)
            usleep(5000);
        if (w == 0) {
            kill(pp->pid, SIGKILL);
            while (waitpid(pp->pid, &st, 0) < 0 && errno == EINTR)
                ;
        } else if (w == pp->pid && WIFEXITED(st)) {
            rc = WEXITSTATUS(st);
        }
    }
    if (pp->rd >= 0)
        close(pp->rd);
    pp->pid = -1;
    pp->rd = -1;
    return rc;
}
