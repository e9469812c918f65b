/* flow.h - the flow table: both directions of a 5-tuple share one entry. Bounded size, idle
 * flows expire by packet time, a few at a time (no full scans on the packet path). */
#ifndef CW_FLOW_H
#define CW_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "capture/classify.h"
#include "capture/packet.h"
#include "event/event.h"

/* A TCP segment that came before the bytes it follows, held (copied) until the hole fills. */
struct cw_tcp_seg {
    uint32_t seq, len;
    uint8_t *data;
};

/* Segments held per direction while waiting for a hole to fill; beyond, the hole is lost. */
#define CW_TCP_OOO_MAX 8

/* An SCTP user message being joined from its DATA chunks (B ... E, consecutive TSNs). */
struct cw_sctp_part {
    uint8_t *buf;
    uint32_t len, cap;
    uint32_t next_tsn; /* the TSN of the next fragment */
    uint16_t stream;
    uint8_t used;
};

/* Fragmented SCTP messages in progress at once per direction: chunks of other messages may come
 * between those of one (other streams, or packets reordered). */
#define CW_SCTP_PARTS 4

/* One direction of a TCP stream being reassembled, or of an SCTP association. */
struct cw_tcp_dir {
    uint32_t next_seq; /* TCP: next sequence number */
    uint8_t has_seq;
    uint8_t *buf; /* partial message carried over to the next segment; allocated per flow */
    uint32_t len, cap;
    struct cw_tcp_seg *ooo; /* CW_TCP_OOO_MAX slots, allocated on the first out-of-order one */
    uint8_t nooo;
    /* TCP only (dissect.c): where the stream is. */
    uint8_t mode;   /* first bytes not seen yet / HTTP header block / WebSocket frames / app */
    uint8_t resync; /* the next bytes may not start a message: scan for one first */
    uint32_t skip;  /* bytes still to drop: the rest of a message too long to keep */
    /* SCTP only (dissect.c): the DATA TSNs delivered, to drop retransmissions. */
    uint32_t sctp_top_tsn;  /* highest TSN delivered */
    uint64_t sctp_seen;     /* bit i: TSN sctp_top_tsn - i was delivered */
    uint8_t sctp_has_tsn;
    struct cw_sctp_part *parts; /* SCTP: CW_SCTP_PARTS slots, allocated on the first fragment */
};

/** Free the out-of-order segments held in @p s (the flow keeps going). */
void cw_tcp_dir_drop_held(struct cw_tcp_dir *s);

struct cw_flow_key {
    uint8_t a[16], b[16]; /* a <= b (address, then port): both directions map to one key */
    uint16_t pa, pb;
    uint8_t ipver, proto;
};

struct cw_flow {
    struct cw_flow_key key;
    uint32_t hash;
    struct cw_flow *chain;            /* hash bucket chain */
    struct cw_flow *older, *newer;    /* idle list, oldest first */
    uint64_t last_ts_us;
    uint64_t packets;
    struct cw_classify_flow *ndpi;    /* until classified */
    uint16_t ndpi_proto;
    uint8_t ndpi_done;
    uint8_t ndpi_packets;
    uint8_t app;                      /* enum cw_app */
    char account[CW_ACCOUNT_MAX];     /* SMPP: the ESME's system_id from its bind */
    struct cw_tcp_dir tcp[2];         /* [0]: a->b, [1]: b->a */
};

struct cw_flow_table;

/** Table holding at most @p max_flows flows; flows idle for @p idle_us of packet time go. */
int cw_flow_table_new(size_t max_flows, uint64_t idle_us, struct cw_flow_table **out);
/** Frees the table; @p on_end is called for each flow still in it (may be NULL). */
void cw_flow_table_free(struct cw_flow_table *t, void (*on_end)(void *, struct cw_flow *),
                        void *user);

/**
 * Find or create the flow of @p pkt at packet time @p ts_us; *dir is 0 when the packet goes
 * a->b. Expires up to two idle flows first, calling @p on_end for each. Returns NULL when the
 * table is full and nothing could be evicted (never: the oldest flow is evicted then).
 */
struct cw_flow *cw_flow_get(struct cw_flow_table *t, const struct cw_pkt *pkt, uint64_t ts_us,
                            int *dir, int *created, void (*on_end)(void *, struct cw_flow *),
                            void *user);

struct cw_flow_stats {
    uint64_t created, expired, evicted, active, peak;
};
void cw_flow_table_stats(const struct cw_flow_table *t, struct cw_flow_stats *st);

#endif
