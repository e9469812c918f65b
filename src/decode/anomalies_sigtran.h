/* anomalies_sigtran.h - what the M3UA / M2PA / MTP3 / SCCP layers could not decode, by reason:
 * X(ID, "json_name"). Part of CW_DECODE_ANOMALIES in decode.h; owned by sigtran.c.
 *
 * m3ua_bad_header    version not 1, or a length shorter than the header or past the end
 * m3ua_bad_param     a parameter whose length runs past the message, or a Protocol Data
 *                    parameter shorter than its 12-byte routing part
 * m2pa_bad_header    M2PA version not 1, or a length that does not fit
 * sccp_bad_message   an SCCP message whose pointers or lengths run outside it
 * sccp_bad_address   a called or calling party address that does not fit its length
 * sccp_unsupported   an SCCP message type we do not read (connection-oriented classes)
 * sccp_reasm_lost    an XUDT segment whose other segments never came, or came out of order
 *                    (the message is dropped), or a reassembly evicted for lack of room
 * sccp_returned_segment  a segment of a message the network returned (XUDTS, LUDTS): not
 *                    joined (nor does tshark); the message was not delivered */
#ifndef CW_ANOMALIES_SIGTRAN_H
#define CW_ANOMALIES_SIGTRAN_H

#define CW_SIGTRAN_ANOMALIES(X)                                                          \
    X(M3UA_BAD_HEADER, "m3ua_bad_header")                                                \
    X(M3UA_BAD_PARAM, "m3ua_bad_param")                                                  \
    X(M2PA_BAD_HEADER, "m2pa_bad_header")                                                \
    X(SCCP_BAD_MESSAGE, "sccp_bad_message")                                              \
    X(SCCP_BAD_ADDRESS, "sccp_bad_address")                                              \
    X(SCCP_UNSUPPORTED, "sccp_unsupported")                                              \
    X(SCCP_REASM_LOST, "sccp_reasm_lost")                                                \
    X(SCCP_RETURNED_SEGMENT, "sccp_returned_segment")

#endif
