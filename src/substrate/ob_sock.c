/* ob_sock.c -- what the kernel knows of a client's socket.
 *
 * A file of its own because it reads the kernel's struct tcp_info
 * (<linux/tcp.h>), which glibc's <netinet/tcp.h> cannot sit beside. */
#include "config.h"

#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "ob_sock_internal.h"

uint64_t obi_sock_written(int fd)
{
    struct tcp_info ti = {0};
    socklen_t len = sizeof ti;
    int queued = 0;

    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
        ioctl(fd, SIOCOUTQ, &queued) < 0)
        return 0;
    return ti.tcpi_bytes_acked + (uint64_t)(queued > 0 ? queued : 0);
}
