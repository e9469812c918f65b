/* test_capture_live.c - live capture on the loopback interface (errors that name the interface
 * and the filter, the timeout on an idle interface, a UDP datagram sent to 127.0.0.1 captured
 * with its bytes and counted, cw_capture_break from another thread, two captures sharing lo's
 * traffic through a fanout group) and the privilege drop (in a forked child only, where the
 * capture opened as root keeps working). Needs root: skipped otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "cli/privdrop.h"
#include "testutil.h"
#include "util/error.h"

#define SKIPPED 77 /* ctest's SKIP_RETURN_CODE */

static int need_root(void)
{
    if (geteuid() == 0)
        return 1;
    print_message("not root: live capture needs root or CAP_NET_RAW, skipped\n");
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int contains(const uint8_t *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (memcmp(p + i, needle, k) == 0)
            return 1;
    return 0;
}

/* A UDP socket bound to 127.0.0.1 on a free port: the datagrams' destination (so no ICMP port
 * unreachable comes back) and a port nothing else on this host uses. */
static int udp_sink(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Send one datagram from a fresh socket (a fresh source port: a new flow each time). */
static void udp_send(uint16_t port, const char *text)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(sendto(fd, text, strlen(text), 0, (struct sockaddr *)&a, sizeof a),
                     (ssize_t)strlen(text));
    close(fd);
}

static int open_lo(uint16_t port, int timeout_ms, int group, struct cw_capture **c)
{
    char bpf[64], err[256];
    snprintf(bpf, sizeof bpf, "udp dst port %u", (unsigned)port);
    struct cw_live_opts o = {.iface = "lo",
                             .bpf = bpf,
                             .buffer_mib = 4,
                             .timeout_ms = timeout_ms,
                             .fanout_group = group};
    int rc = cw_capture_open_live(&o, c, err, sizeof err);
    if (rc)
        print_message("open lo: %s\n", err);
    return rc;
}

/* cw_capture_next until a packet comes or @p ms pass. */
static int next_within(struct cw_capture *c, struct cw_raw_pkt *pkt, int ms)
{
    int64_t end = now_ms() + ms;
    int rc;
    while ((rc = cw_capture_next(c, pkt)) == 0 && now_ms() < end) {
    }
    return rc;
}

static void test_no_such_interface(void **state)
{
    (void)state;
    if (!need_root())
        skip();
    struct cw_live_opts o = {.iface = "cwnosuch9"};
    struct cw_capture *c = (struct cw_capture *)1;
    char err[256] = "";
    assert_int_equal(cw_capture_open_live(&o, &c, err, sizeof err), CW_ENOTFOUND);
    assert_null(c);
    assert_string_equal(err, "cwnosuch9: no such interface");
}

static void test_bad_filter_and_options(void **state)
{
    (void)state;
    if (!need_root())
        skip();
    struct cw_live_opts o = {.iface = "lo", .bpf = "tcp port", .buffer_mib = 4};
    struct cw_capture *c = NULL;
    char err[256] = "";
    assert_int_equal(cw_capture_open_live(&o, &c, err, sizeof err), CW_EINVAL);
    assert_null(c);
    print_message("%s\n", err);
    assert_non_null(strstr(err, "lo: filter 'tcp port': "));
    assert_non_null(strstr(err, "syntax error"));

    struct cw_live_opts bad = {.iface = "lo", .buffer_mib = -1};
    assert_int_equal(cw_capture_open_live(&bad, &c, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "lo: buffer of -1 MiB"));
    struct cw_live_opts none = {0};
    assert_int_equal(cw_capture_open_live(&none, &c, err, sizeof err), CW_EINVAL);
}

static void test_file_is_not_live(void **state)
{
    (void)state;
    /* an empty classic pcap: the global header alone (LINKTYPE_ETHERNET) */
    static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0, 0, 0, 0,
                                    0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
    char *dir = tu_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/empty.pcap", dir);
    tu_write_file(path, hdr, sizeof hdr);
    struct cw_capture *c = NULL;
    char err[256];
    assert_int_equal(cw_capture_open_file(path, &c, err, sizeof err), 0);
    assert_int_equal(cw_capture_is_live(c), 0);
    struct cw_capture_stats st;
    assert_int_equal(cw_capture_stats(c, &st), CW_EUNSUPPORTED);
    cw_capture_break(c); /* no-op */
    struct cw_raw_pkt pkt;
    assert_int_equal(cw_capture_next(c, &pkt), 0);
    cw_capture_free(c);
    cw_capture_break(NULL);
    tu_rmrf(dir);
    free(dir);
}

static void test_lo_timeout_then_packet(void **state)
{
    (void)state;
    if (!need_root())
        skip();
    uint16_t port;
    int sink = udp_sink(&port);
    struct cw_capture *c = NULL;
    assert_int_equal(open_lo(port, 100, 0, &c), 0);
    assert_int_equal(cw_capture_is_live(c), 1);
    assert_int_equal(cw_capture_linktype(c), 1); /* lo has an Ethernet header */
    uint64_t done = 1, total = 1;
    cw_capture_progress(c, &done, &total);
    assert_true(done == 0 && total == 0);

    /* idle: 0 after about the timeout, not a hang */
    struct cw_raw_pkt pkt;
    int64_t t0 = now_ms();
    assert_int_equal(cw_capture_next(c, &pkt), 0);
    int64_t waited = now_ms() - t0;
    print_message("idle next returned after %lld ms\n", (long long)waited);
    assert_true(waited >= 50 && waited < 2000);

    char marker[64];
    snprintf(marker, sizeof marker, "cardwatch-live-test-%d", (int)getpid());
    struct timeval tv;
    gettimeofday(&tv, NULL);
    uint64_t sent_us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
    udp_send(port, marker);
    assert_int_equal(next_within(c, &pkt, 3000), 1);
    assert_true(contains(pkt.data, pkt.caplen, marker));
    assert_int_equal(pkt.caplen, pkt.len);
    assert_int_equal(pkt.caplen, 14 + 20 + 8 + strlen(marker));
    assert_int_equal(pkt.frame, 1);
    assert_int_equal(pkt.linktype, 1);
    assert_true(pkt.ts_us + 1000000u > sent_us && pkt.ts_us < sent_us + 5000000u);
    /* once: libpcap hides lo's outgoing copy */
    assert_int_equal(next_within(c, &pkt, 300), 0);

    struct cw_capture_stats st;
    assert_int_equal(cw_capture_stats(c, &st), 0);
    print_message("stats: received %llu dropped %llu ifdropped %llu\n",
                  (unsigned long long)st.received, (unsigned long long)st.dropped,
                  (unsigned long long)st.ifdropped);
    assert_true(st.received >= 1);
    assert_int_equal(st.dropped, 0);
    /* running totals: read again, nothing new, nothing lost */
    struct cw_capture_stats st2;
    assert_int_equal(cw_capture_stats(c, &st2), 0);
    assert_true(st2.received == st.received && st2.dropped == 0);
    cw_capture_free(c);
    close(sink);
}

static void *break_later(void *arg)
{
    struct timespec d = {0, 150 * 1000000L};
    nanosleep(&d, NULL);
    cw_capture_break(arg);
    return NULL;
}

static void test_break(void **state)
{
    (void)state;
    if (!need_root())
        skip();
    uint16_t port;
    int sink = udp_sink(&port);
    struct cw_capture *c = NULL;
    assert_int_equal(open_lo(port, 20000, 0, &c), 0);
    struct cw_raw_pkt pkt;
    /* a break before the call: the next call returns at once */
    cw_capture_break(c);
    int64_t t0 = now_ms();
    assert_int_equal(cw_capture_next(c, &pkt), 0);
    assert_true(now_ms() - t0 < 1000);
    /* from another thread, while waiting */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, break_later, c), 0);
    t0 = now_ms();
    assert_int_equal(cw_capture_next(c, &pkt), 0);
    int64_t waited = now_ms() - t0;
    pthread_join(th, NULL);
    print_message("break woke the wait after %lld ms\n", (long long)waited);
    assert_true(waited >= 100 && waited < 5000);
    /* still usable afterwards */
    udp_send(port, "after-break");
    assert_int_equal(cw_capture_next(c, &pkt), 1);
    assert_true(contains(pkt.data, pkt.caplen, "after-break"));
    cw_capture_free(c);
    close(sink);
}

static void test_fanout_shares_traffic(void **state)
{
    (void)state;
    if (!need_root())
        skip();
    enum { N = 32 };
    uint16_t port;
    int sink = udp_sink(&port);
    int group = 0x4000 | (getpid() & 0x3fff);
    struct cw_capture *c[2] = {NULL, NULL};
    assert_int_equal(open_lo(port, 50, group, &c[0]), 0);
    assert_int_equal(open_lo(port, 50, group, &c[1]), 0);
    char text[64];
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "cwfanout-%03d;", i);
        udp_send(port, text);
    }
    int seen[N] = {0}, per[2] = {0, 0}, total = 0;
    int64_t end = now_ms() + 5000;
    while (now_ms() < end && total < N + 1) {
        for (int k = 0; k < 2; k++) {
            struct cw_raw_pkt pkt;
            int rc = cw_capture_next(c[k], &pkt);
            assert_true(rc >= 0);
            if (rc == 0)
                continue;
            int i = -1;
            for (int j = 0; j < N && i < 0; j++) {
                snprintf(text, sizeof text, "cwfanout-%03d;", j);
                if (contains(pkt.data, pkt.caplen, text))
                    i = j;
            }
            assert_true(i >= 0);
            seen[i]++;
            per[k]++;
            total++;
        }
        if (total == N) /* wait a little more: a duplicate would show now */
            end = end < now_ms() + 300 ? end : now_ms() + 300;
    }
    print_message("fanout: %d and %d of %d datagrams\n", per[0], per[1], N);
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    /* 32 flows all on one side: chance 2^-31 */
    assert_true(per[0] > 0 && per[1] > 0);
    cw_capture_free(c[0]);
    cw_capture_free(c[1]);
    close(sink);
}

static void test_drop_unknown_user(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(cw_drop_privileges("cw-no-such-user-q", err, sizeof err), CW_ENOTFOUND);
    assert_string_equal(err, "no such user 'cw-no-such-user-q'");
    /* root is refused before anything changes */
    assert_int_equal(cw_drop_privileges("root", err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "'root'"));
    assert_int_equal(cw_drop_privileges("", err, sizeof err), CW_EINVAL);
}

/* In a child: open a capture as root, become nobody, check the ids, that root cannot be
 * regained, and that the capture still works. The exit code says which step failed. */
static int child_drop(uint16_t port, uid_t uid, gid_t gid)
{
    struct cw_capture *c = NULL;
    if (open_lo(port, 100, 0, &c))
        return 10;
    char err[256];
    if (cw_drop_privileges("nobody", err, sizeof err)) {
        fprintf(stderr, "drop: %s\n", err);
        return 11;
    }
    if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
        return 12;
    if (setuid(0) == 0 || seteuid(0) == 0)
        return 13;
    gid_t groups[4];
    int n = getgroups(4, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == 0)
            return 14;
    udp_send(port, "dropped-but-capturing");
    struct cw_raw_pkt pkt;
    if (next_within(c, &pkt, 3000) != 1 || !contains(pkt.data, pkt.caplen, "dropped-but"))
        return 15;
    struct cw_capture_stats st;
    if (cw_capture_stats(c, &st) || st.received < 1)
        return 16;
    cw_capture_free(c);
    /* and a new capture is now refused, with the reason */
    struct cw_live_opts o = {.iface = "lo", .buffer_mib = 4};
    if (cw_capture_open_live(&o, &c, err, sizeof err) != CW_EIO ||
        strcmp(err, "lo: capture needs root or CAP_NET_RAW (permission denied)") != 0) {
        fprintf(stderr, "open after the drop: %s\n", err);
        return 17;
    }
    return 0;
}

static void test_drop_to_nobody_in_child(void **state)
{
    (void)state;
    if (!need_root())
        skip();
    const struct passwd *pw = getpwnam("nobody");
    if (!pw) {
        print_message("no user 'nobody': skipped\n");
        skip();
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    uint16_t port;
    int sink = udp_sink(&port);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_drop(port, uid, gid));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status))
        print_message("child failed at step %d (10 open, 11 drop, 12 ids, 13 root regained, "
                      "14 group 0 kept, 15 capture after the drop, 16 stats, 17 opening refused)\n",
                      WEXITSTATUS(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(getuid(), 0); /* the test process itself is untouched */
    close(sink);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_such_interface),
        cmocka_unit_test(test_bad_filter_and_options),
        cmocka_unit_test(test_file_is_not_live),
        cmocka_unit_test(test_lo_timeout_then_packet),
        cmocka_unit_test(test_break),
        cmocka_unit_test(test_fanout_shares_traffic),
        cmocka_unit_test(test_drop_unknown_user),
        cmocka_unit_test(test_drop_to_nobody_in_child),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    /* not root: the live cases were skipped, so say "skipped" to ctest */
    return rc == 0 && geteuid() != 0 ? SKIPPED : rc;
}
