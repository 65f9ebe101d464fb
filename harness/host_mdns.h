/* otasim device --mdns: the simulated device announced on the host through Avahi, so that the
 * Arduino IDE's network-port list (which browses _arduino._tcp on the host's network) shows it.
 * Uses avahi-publish (Debian's avahi-utils) as a child process: no library to link, and the
 * announcement ends with the child. Without an Avahi daemon (or avahi-publish) nothing is
 * announced and the device runs on. */
#ifndef OTASIM_HOST_MDNS_H
#define OTASIM_HOST_MDNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Publishes service `name` of type _arduino._tcp on `port` with the ArduinoOTA TXT records
 * (board, tcp_check=no, ssh_upload=no, auth_upload). Waits up to wait_ms for Avahi to confirm.
 * Returns the child's pid (> 0) when the service is established, else 0 with the reason in
 * why (e.g. "no Avahi daemon is running"). AVAHI_PUBLISH in the environment names the
 * program (tests). */
pid_t host_mdns_start(const char *name, uint16_t port, bool auth, unsigned wait_ms, char *why,
                      size_t whylen);

/* Withdraws the announcement (ends the child). */
void host_mdns_stop(pid_t pid);

#endif
