/* SPDX-License-Identifier: BSD-2-Clause */
/* The contract between the TCP stream layer (src/stream) and the
 * application parsers (src/app/dns.c, tls.c, http.c, ssh.c; quic.c for UDP).
 *
 * A stream parser is called with the contiguous, in-order bytes of one
 * direction that it has not consumed yet: `data` starts where it stopped
 * last time, and bytes it leaves are offered again with more appended. It
 * returns how many bytes it consumed (0..len). It never allocates, keeps its
 * state in its own fixed-size struct, and may be stopped at any byte.
 *
 *  - Direction 0 is the client (the side that opened the connection, or
 *    sent the first datagram), 1 the server.
 *  - The buffer is bounded (PS_APP_BUF bytes per direction): a parser that
 *    cannot progress with a full buffer gets no more data (the flow is
 *    bypassed and counted), so a single message larger than the buffer must
 *    be skipped by consuming it, not waited for.
 *  - After a gap (bytes never mirrored) the stream calls the parser's gap
 *    function, if it has one, and then offers the bytes after the gap: a
 *    parser that cannot resynchronise returns PS_APP_ERR from its status.
 *  - When a parser says it is done (nothing more worth learning: encrypted
 *    records, bulk bodies), the stream stops reassembling the flow and only
 *    counts its bytes and gaps (bypass).
 */
#ifndef PS_APP_APP_H
#define PS_APP_APP_H

#include <stddef.h>
#include <stdint.h>

/* Per-direction reassembly buffer offered to stream parsers. */
#define PS_APP_BUF (32 * 1024)

enum ps_app_status {
    PS_APP_MORE = 0, /* wants more bytes */
    PS_APP_DONE = 1, /* has what it wanted; bypass the rest of the flow */
    PS_APP_ERR = 2,  /* not this protocol, or malformed beyond recovery */
};

enum ps_app_proto {
    PS_APP_UNKNOWN = 0,
    PS_APP_DNS,
    PS_APP_TLS,
    PS_APP_HTTP,
    PS_APP_HTTP2,
    PS_APP_SSH,
    PS_APP_QUIC,
    PS_APP__COUNT
};

#endif
