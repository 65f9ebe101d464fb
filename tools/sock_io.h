/* Small socket and pipe helpers shared by the host tools and the harness (otasim upload,
 * bench net, the scenario engine's net steps and peer process, the sweep workers' pipes, the
 * QEMU runner's bridge pipes). */
#ifndef OTASIM_SOCK_IO_H
#define OTASIM_SOCK_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sends all `n` bytes (MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE; EINTR retried).
 * False on any other error or a zero-byte send. */
bool sock_send_all(int fd, const void *buf, size_t n);

/* A port of 127.0.0.1 free now (bound to port 0, the kernel's choice, then released), for a
 * device's forwarded UDP (udp) or TCP port; 0 when none could be had. Another process may
 * take it before it is used: callers report that as a clear bind error. */
uint16_t sock_free_port(bool udp);

/* write() all `n` bytes to a pipe or file (EINTR retried); false on an error or a zero-byte
 * write. */
bool fd_write_all(int fd, const void *buf, size_t n);

/* Milliseconds of CLOCK_MONOTONIC: the clock of fd_read_all's deadline. */
uint64_t mono_ms(void);

/* read() exactly `n` bytes from a pipe or socket, waiting until `deadline_ms` (a mono_ms()
 * time) at most; EINTR and EAGAIN retried. False on the deadline, EOF or an error. */
bool fd_read_all(int fd, void *buf, size_t n, uint64_t deadline_ms);

#endif
