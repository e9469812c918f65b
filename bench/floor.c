/* floor.c - the floor for throughput comparisons: a bare libpcap read loop that touches every
 * byte of every packet and nothing else. Usage: cw_floor FILE... */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
    uint64_t pkts = 0, bytes = 0, sum = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 1; i < argc; i++) {
        char err[PCAP_ERRBUF_SIZE];
        pcap_t *p = pcap_open_offline(argv[i], err);
        if (!p) {
            fprintf(stderr, "cw_floor: %s: %s\n", argv[i], err);
            return 1;
        }
        struct pcap_pkthdr *h;
        const u_char *d;
        while (pcap_next_ex(p, &h, &d) == 1) {
            for (uint32_t k = 0; k < h->caplen; k++)
                sum += d[k];
            pkts++;
            bytes += h->caplen;
        }
        pcap_close(p);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("packets %llu bytes %llu seconds %.6f pps %.0f checksum %llu\n",
           (unsigned long long)pkts, (unsigned long long)bytes, s, s > 0 ? (double)pkts / s : 0,
           (unsigned long long)sum);
    return 0;
}
