/* enc_sctp.c - SCTP packets and chunks (RFC 9260 3, 3.3) with the CRC32c checksum (RFC 9260
 * appendix A, RFC 3309).
 *
 *   common header: source port(2) destination port(2) verification tag(4) checksum(4)
 *   chunk:         type(1) flags(1) length(2) value, padded to 4 (length without padding)
 *   DATA value:    TSN(4) stream(2) stream sequence number(2) payload protocol id(4) data
 *
 * The checksum is CRC32c over the whole packet with the checksum field zero, stored least
 * significant byte first (the byte order of the reference code in RFC 9260 appendix A).
 */
#include "synth/enc.h"

/* CRC32c, reflected polynomial 0x82F63B78, four bits at a time. */
static const uint32_t crc32c_nibble[16] = {
    0x00000000u, 0x105EC76Fu, 0x20BD8EDEu, 0x30E349B1u, 0x417B1DBCu, 0x5125DAD3u,
    0x61C69362u, 0x7198540Du, 0x82F63B78u, 0x92A8FC17u, 0xA24BB5A6u, 0xB21572C9u,
    0xC38D26C4u, 0xD3D3E1ABu, 0xE330A81Au, 0xF36E6F75u,
};

uint32_t cw_crc32c(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ crc32c_nibble[crc & 15];
        crc = (crc >> 4) ^ crc32c_nibble[crc & 15];
    }
    return ~crc;
}

static void pad4(struct cw_wbuf *b)
{
    while (!b->err && (b->len & 3))
        cw_wb_u8(b, 0);
}

void cw_enc_sctp_data(struct cw_wbuf *b, uint8_t flags, uint32_t tsn, uint16_t stream,
                      uint16_t ssn, uint32_t ppid, const void *data, size_t n)
{
    if (n > 65535 - 16) {
        b->err = 1;
        return;
    }
    cw_wb_u8(b, 0);
    cw_wb_u8(b, flags & 7);
    cw_wb_u16(b, (unsigned)(16 + n));
    cw_wb_u32(b, tsn);
    cw_wb_u16(b, stream);
    cw_wb_u16(b, ssn);
    cw_wb_u32(b, ppid);
    cw_wb_mem(b, data, n);
    pad4(b);
}

void cw_enc_sctp_sack(struct cw_wbuf *b, uint32_t cum_tsn, uint32_t a_rwnd)
{
    cw_wb_u8(b, 3);
    cw_wb_u8(b, 0);
    cw_wb_u16(b, 16);
    cw_wb_u32(b, cum_tsn);
    cw_wb_u32(b, a_rwnd);
    cw_wb_u16(b, 0); /* gap ack blocks */
    cw_wb_u16(b, 0); /* duplicate TSNs */
}

void cw_enc_sctp_init(struct cw_wbuf *b, int ack, uint32_t init_tag, uint32_t init_tsn,
                      const uint8_t *cookie, size_t cookie_len)
{
    size_t cookie_param = ack ? 4 + cookie_len : 0;
    cw_wb_u8(b, ack ? 2 : 1);
    cw_wb_u8(b, 0);
    cw_wb_u16(b, (unsigned)(20 + cookie_param));
    cw_wb_u32(b, init_tag);
    cw_wb_u32(b, 106496); /* a_rwnd */
    cw_wb_u16(b, 16);     /* outbound streams */
    cw_wb_u16(b, 16);     /* maximum inbound streams */
    cw_wb_u32(b, init_tsn);
    if (ack) {
        cw_wb_u16(b, 7); /* State Cookie */
        cw_wb_u16(b, (unsigned)(4 + cookie_len));
        cw_wb_mem(b, cookie, cookie_len);
    }
    pad4(b);
}

void cw_enc_sctp_cookie(struct cw_wbuf *b, const uint8_t *cookie, size_t cookie_len)
{
    cw_wb_u8(b, cookie ? 10 : 11);
    cw_wb_u8(b, 0);
    cw_wb_u16(b, (unsigned)(4 + (cookie ? cookie_len : 0)));
    if (cookie)
        cw_wb_mem(b, cookie, cookie_len);
    pad4(b);
}

size_t cw_enc_sctp_packet(uint16_t sport, uint16_t dport, uint32_t vtag, const uint8_t *chunks,
                          size_t clen, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    cw_wb_u16(&b, sport);
    cw_wb_u16(&b, dport);
    cw_wb_u32(&b, vtag);
    cw_wb_u32(&b, 0);
    cw_wb_mem(&b, chunks, clen);
    if (b.err)
        return 0;
    uint32_t crc = cw_crc32c(0, out, b.len);
    out[8] = (uint8_t)crc;
    out[9] = (uint8_t)(crc >> 8);
    out[10] = (uint8_t)(crc >> 16);
    out[11] = (uint8_t)(crc >> 24);
    return b.len;
}
