/* SPDX-License-Identifier: BSD-2-Clause */
/* The one table of counters: packet accounting, decoded layers, drops by
 * reason and anomalies. Names, kinds and meanings come from this list only,
 * so code, stats events and docs/events.md cannot drift apart.
 *
 * Invariant: pkts.received = pkts.decoded + sum of every DROP counter. */
#ifndef PS_CORE_COUNTERS_H
#define PS_CORE_COUNTERS_H

#include <stdint.h>

enum ps_counter_kind {
    PS_CK_COUNT = 0, /* informational: layers seen, flows, tunnels */
    PS_CK_DROP,      /* the packet was not decoded; exactly one per dropped packet */
    PS_CK_ANOMALY,   /* decoder oddity on a packet that was still decoded */
};

/* X(id, "dotted.name", kind, "meaning") */
#define PS_COUNTERS(X)                                                                             \
    X(PKTS_RECEIVED, "pkts.received", PS_CK_COUNT, "packets read from the source")                 \
    X(PKTS_DECODED, "pkts.decoded", PS_CK_COUNT, "packets decoded (received minus dropped)")       \
    X(BYTES_RECEIVED, "bytes.received", PS_CK_COUNT, "bytes on the wire of received packets")      \
    X(KERNEL_DROPS, "capture.kernel_drops", PS_CK_COUNT,                                           \
      "datagrams the kernel dropped before periscope read them (SO_RXQ_OVFL): never received")     \
    X(DEC_ETH, "decoder.ethernet", PS_CK_COUNT, "Ethernet frames")                                 \
    X(DEC_VLAN, "decoder.vlan", PS_CK_COUNT, "802.1Q/802.1ad tags")                                \
    X(DEC_ARP, "decoder.arp", PS_CK_COUNT, "ARP packets (no flow)")                                \
    X(DEC_SLL, "decoder.sll", PS_CK_COUNT, "Linux cooked capture v1 headers")                      \
    X(DEC_SLL2, "decoder.sll2", PS_CK_COUNT, "Linux cooked capture v2 headers")                    \
    X(DEC_IPV4, "decoder.ipv4", PS_CK_COUNT, "IPv4 headers")                                       \
    X(DEC_IPV6, "decoder.ipv6", PS_CK_COUNT, "IPv6 headers")                                       \
    X(DEC_IPV4_OPTS, "decoder.ipv4.options", PS_CK_COUNT, "IPv4 headers carrying options")         \
    X(DEC_IPV6_EXT, "decoder.ipv6.exthdr", PS_CK_COUNT, "IPv6 extension headers walked")           \
    X(DEC_IPV4_FRAG, "decoder.ipv4.frag", PS_CK_COUNT, "IPv4 fragments (to reassembly)")           \
    X(DEC_IPV6_FRAG, "decoder.ipv6.frag", PS_CK_COUNT, "IPv6 fragments (to reassembly)")           \
    X(DEC_TCP, "decoder.tcp", PS_CK_COUNT, "TCP segments")                                         \
    X(DEC_UDP, "decoder.udp", PS_CK_COUNT, "UDP datagrams")                                        \
    X(DEC_ICMP, "decoder.icmp", PS_CK_COUNT, "ICMP messages")                                      \
    X(DEC_ICMPV6, "decoder.icmpv6", PS_CK_COUNT, "ICMPv6 messages")                                \
    X(DEC_OTHER_L4, "decoder.other_l4", PS_CK_COUNT, "IP packets of other protocols")              \
    X(DEC_OTHER_L2, "decoder.other_l2", PS_CK_COUNT, "frames of other ethertypes (no flow)")       \
    X(DEC_VXLAN, "decoder.vxlan", PS_CK_COUNT, "VXLAN headers")                                    \
    X(DEC_GENEVE, "decoder.geneve", PS_CK_COUNT, "GENEVE headers")                                 \
    X(DEC_GWLB, "decoder.geneve.gwlb", PS_CK_COUNT, "GENEVE headers with AWS GWLB options")        \
    X(DEC_GRE, "decoder.gre", PS_CK_COUNT, "GRE headers")                                          \
    X(DEC_ERSPAN1, "decoder.erspan1", PS_CK_COUNT, "ERSPAN type I frames")                         \
    X(DEC_ERSPAN2, "decoder.erspan2", PS_CK_COUNT, "ERSPAN type II headers")                       \
    X(DEC_ERSPAN3, "decoder.erspan3", PS_CK_COUNT, "ERSPAN type III headers")                      \
    X(DEC_IPIP, "decoder.ipip", PS_CK_COUNT, "IPv4-in-IP and IPv6-in-IP")                          \
    X(DEC_TRUNC, "decoder.truncated", PS_CK_COUNT,                                                 \
      "packets captured shorter than their IP length (mirror packet-length, snaplen)")             \
    X(DROP_LINKTYPE, "drop.linktype", PS_CK_DROP, "link type not supported")                       \
    X(DROP_ETH_TRUNC, "drop.ethernet.trunc", PS_CK_DROP, "frame shorter than its L2 header")       \
    X(DROP_VLAN_DEPTH, "drop.vlan.depth", PS_CK_DROP, "more than 2 VLAN tags")                     \
    X(DROP_IPV4_TRUNC, "drop.ipv4.trunc", PS_CK_DROP, "IPv4 header cut by the capture")            \
    X(DROP_IPV4_INVALID, "drop.ipv4.invalid", PS_CK_DROP, "IPv4 version/IHL/total length invalid") \
    X(DROP_IPV6_TRUNC, "drop.ipv6.trunc", PS_CK_DROP, "IPv6 header cut by the capture")            \
    X(DROP_IPV6_INVALID, "drop.ipv6.invalid", PS_CK_DROP, "IPv6 version invalid")                  \
    X(DROP_IPV6_EXTHDR, "drop.ipv6.exthdr", PS_CK_DROP,                                            \
      "IPv6 extension header chain malformed or over the cap")                                     \
    X(DROP_TUNNEL_DEPTH, "drop.tunnel.depth", PS_CK_DROP, "tunnels nested deeper than the cap")    \
    X(DROP_VXLAN_INVALID, "drop.vxlan.invalid", PS_CK_DROP, "VXLAN header cut short")              \
    X(DROP_GENEVE_INVALID, "drop.geneve.invalid", PS_CK_DROP,                                      \
      "GENEVE header or options malformed, or version not 0")                                      \
    X(DROP_GRE_INVALID, "drop.gre.invalid", PS_CK_DROP, "GRE header malformed or cut short")       \
    X(DROP_ERSPAN_INVALID, "drop.erspan.invalid", PS_CK_DROP, "ERSPAN header malformed")           \
    X(DROP_SOURCE_DENIED, "drop.listen.source_denied", PS_CK_DROP,                                 \
      "datagrams from a source outside --allow-source")                                            \
    X(DROP_VNI_DENIED, "drop.listen.vni_denied", PS_CK_DROP,                                       \
      "datagrams of a VNI outside --allow-vni")                                                    \
    X(DROP_WORKER_QUEUE_FULL, "drop.listen.worker_queue_full", PS_CK_DROP,                         \
      "packets dropped because their worker's queue was full (the workers fall behind)")           \
    X(DROP_FLOW_FULL, "drop.flow.full", PS_CK_DROP,                                                \
      "flow table full and no flow could be evicted")                                              \
    X(ANOM_VXLAN_RESERVED, "anomaly.vxlan.reserved_bits", PS_CK_ANOMALY,                           \
      "VXLAN reserved bits not zero (RFC 7348 s5: ignored on receipt)")                            \
    X(ANOM_VXLAN_NO_I, "anomaly.vxlan.no_vni_flag", PS_CK_ANOMALY,                                 \
      "VXLAN I flag clear (RFC 7348 s5: MUST be 1)")                                               \
    X(ANOM_GENEVE_CRIT, "anomaly.geneve.critical_option", PS_CK_ANOMALY,                           \
      "GENEVE C bit set or unknown critical option (RFC 8926 s3.5)")                               \
    X(ANOM_GWLB_PARTIAL, "anomaly.geneve.gwlb_partial", PS_CK_ANOMALY,                             \
      "GENEVE GWLB options present but not all three")                                             \
    X(ANOM_GRE_PROTO, "anomaly.gre.ppp_protocol", PS_CK_ANOMALY,                                   \
      "PPP protocol inside enhanced GRE not IPv4/IPv6: payload not decoded")                       \
    X(ANOM_ERSPAN_FT, "anomaly.erspan.frame_type", PS_CK_ANOMALY,                                  \
      "ERSPAN III frame type not Ethernet (0) or IP (2): payload not decoded")                     \
    X(ANOM_IPV4_TRUNC, "anomaly.ipv4.trunc", PS_CK_ANOMALY,                                        \
      "IPv4 total length beyond the captured bytes (truncated copy)")                              \
    X(ANOM_IPV6_TRUNC, "anomaly.ipv6.trunc", PS_CK_ANOMALY,                                        \
      "IPv6 payload length beyond the captured bytes (truncated copy)")                            \
    X(ANOM_IPV4_CSUM, "anomaly.ipv4.bad_checksum", PS_CK_ANOMALY,                                  \
      "IPv4 header checksum wrong on a complete packet")                                           \
    X(ANOM_IPV4_OPT, "anomaly.ipv4.option_malformed", PS_CK_ANOMALY,                               \
      "IPv4 option length invalid (RFC 791 s3.1)")                                                 \
    X(ANOM_IPV6_ATOMIC, "anomaly.ipv6.atomic_fragment", PS_CK_ANOMALY,                             \
      "IPv6 atomic fragment: Fragment header with offset 0 and M clear (RFC 6946)")                \
    X(ANOM_IPV6_EXT_CAP, "anomaly.ipv6.exthdr_cap", PS_CK_ANOMALY,                                 \
      "more than 16 IPv6 extension headers: the chain is not followed to the transport header")    \
    X(ANOM_FRAG_LEN, "anomaly.frag.length", PS_CK_ANOMALY,                                         \
      "a fragment other than the last is not a multiple of 8 bytes (RFC 791 s3.2, RFC 8200 s4.5)") \
    X(ANOM_IPV6_JUMBO, "anomaly.ipv6.zero_length", PS_CK_ANOMALY,                                  \
      "IPv6 payload length 0 (jumbogram or BIG TCP): captured length used")                        \
    X(ANOM_IPV4_ZEROLEN, "anomaly.ipv4.zero_length", PS_CK_ANOMALY,                                \
      "IPv4 total length 0 (TSO/BIG TCP capture): captured length used")                           \
    X(ANOM_TCP_TRUNC, "anomaly.tcp.trunc", PS_CK_ANOMALY, "TCP header cut by the capture")         \
    X(ANOM_TCP_HLEN, "anomaly.tcp.header_length", PS_CK_ANOMALY, "TCP data offset below 5")        \
    X(ANOM_TCP_OPT, "anomaly.tcp.option_malformed", PS_CK_ANOMALY, "TCP option length invalid")    \
    X(ANOM_TCP_CSUM, "anomaly.tcp.bad_checksum", PS_CK_ANOMALY,                                    \
      "TCP checksum wrong on a complete packet")                                                   \
    X(ANOM_UDP_TRUNC, "anomaly.udp.trunc", PS_CK_ANOMALY, "UDP header cut by the capture")         \
    X(ANOM_UDP_LEN, "anomaly.udp.length", PS_CK_ANOMALY, "UDP length field disagrees with IP")     \
    X(ANOM_UDP_CSUM, "anomaly.udp.bad_checksum", PS_CK_ANOMALY,                                    \
      "UDP checksum wrong on a complete packet")                                                   \
    X(ANOM_ICMP_TRUNC, "anomaly.icmp.trunc", PS_CK_ANOMALY, "ICMP header cut by the capture")      \
    X(ANOM_ICMP_CSUM, "anomaly.icmp.bad_checksum", PS_CK_ANOMALY,                                  \
      "ICMP/ICMPv6 checksum wrong on a complete packet")                                           \
    X(ANOM_STREAM_OVERLAP, "anomaly.stream.overlap_conflict", PS_CK_ANOMALY,                       \
      "TCP segment overlapping bytes already received with different bytes")                       \
    X(FLOW_CREATED, "flow.created", PS_CK_COUNT, "flows created")                                  \
    X(FLOW_DUPLICATES, "flow.duplicates", PS_CK_COUNT,                                             \
      "second copies of a packet from another mirror source (both ends mirrored): not counted "    \
      "in flow packets and bytes")                                                                 \
    X(FLOW_END_TIMEOUT, "flow.end.timeout", PS_CK_COUNT, "flows ended by idle timeout")            \
    X(FLOW_END_CLOSED, "flow.end.closed", PS_CK_COUNT, "TCP flows ended after FIN/RST")            \
    X(FLOW_END_EVICTED, "flow.end.evicted", PS_CK_COUNT,                                           \
      "flows evicted because the table was full")                                                  \
    X(FLOW_END_SHUTDOWN, "flow.end.shutdown", PS_CK_COUNT, "flows flushed at end of input")        \
    X(MIRROR_SESSIONS_FULL, "mirror.sessions_full", PS_CK_COUNT,                                   \
      "tunnel packets not counted per session because the session table was full")                 \
    X(DEFRAG_FRAGMENTS, "defrag.fragments", PS_CK_COUNT, "IP fragments given to reassembly")       \
    X(DEFRAG_REASSEMBLED, "defrag.reassembled", PS_CK_COUNT,                                       \
      "datagrams reassembled and decoded again")                                                   \
    X(DEFRAG_DUPLICATE, "defrag.duplicate", PS_CK_COUNT,                                           \
      "exact duplicate fragments ignored (not overlaps)")                                          \
    X(DEFRAG_OVERLAP, "defrag.overlap", PS_CK_COUNT, "datagrams whose fragments overlapped")       \
    X(DEFRAG_DROPPED_OVERLAP, "defrag.dropped.overlap", PS_CK_COUNT,                               \
      "datagrams discarded for an overlap (policy drop, or IPv6: RFC 5722)")                       \
    X(DEFRAG_DROPPED_OVERSIZE, "defrag.dropped.oversize", PS_CK_COUNT,                             \
      "fragments reaching past 65535 bytes, not kept")                                             \
    X(DEFRAG_DROPPED_TOO_MANY, "defrag.dropped.too_many_fragments", PS_CK_COUNT,                   \
      "datagrams with more fragments than allowed, discarded")                                     \
    X(DEFRAG_DROPPED_INCONSISTENT, "defrag.dropped.inconsistent_end", PS_CK_COUNT,                 \
      "datagrams with two different last fragments, discarded")                                    \
    X(DEFRAG_DROPPED_MEMORY, "defrag.dropped.memory", PS_CK_COUNT,                                 \
      "datagrams discarded: larger than 96 KiB of fragment bytes or no memory left")               \
    X(DEFRAG_INVALID, "defrag.invalid", PS_CK_COUNT,                                               \
      "reassembled datagrams that do not decode (their headers are malformed)")                    \
    X(DEFRAG_TRUNCATED, "defrag.truncated", PS_CK_COUNT,                                           \
      "fragments whose copy was cut (mirror packet length): not reassembled")                      \
    X(DEFRAG_TIMEOUT, "defrag.timeout", PS_CK_COUNT, "incomplete datagrams given up at timeout")   \
    X(DEFRAG_EVICTED, "defrag.evicted", PS_CK_COUNT,                                               \
      "incomplete datagrams given up because the tables were full")                                \
    X(DEFRAG_MEMCAP, "defrag.memcap", PS_CK_COUNT,                                                 \
      "times the fragment memory was full (an eviction followed)")                                 \
    X(DEFRAG_INCOMPLETE_END, "defrag.incomplete_at_end", PS_CK_COUNT,                              \
      "incomplete datagrams pending at the end of input")                                          \
    X(DEFRAG_SOURCES_FULL, "defrag.sources_full", PS_CK_COUNT,                                     \
      "fragments whose source could not be tracked for frag_flood (table full)")                   \
    X(CH_ROWS_SENT, "clickhouse.rows_sent", PS_CK_COUNT, "records ClickHouse accepted (rows)")     \
    X(CH_BATCHES_SENT, "clickhouse.batches_sent", PS_CK_COUNT, "inserts ClickHouse accepted")      \
    X(CH_RETRIES, "clickhouse.retries", PS_CK_COUNT,                                               \
      "inserts that failed (server down, unreachable or refusing) and were tried again")           \
    X(CH_DROP_BUFFER_FULL, "clickhouse.dropped.buffer_full", PS_CK_COUNT,                          \
      "records not sent to ClickHouse: --clickhouse-buffer was full (the newest are dropped)")     \
    X(CH_DROP_REFUSED, "clickhouse.dropped.refused", PS_CK_COUNT,                                  \
      "records of batches ClickHouse refused 5 times (its error is in the summary)")               \
    X(CH_DROP_TOO_LARGE, "clickhouse.dropped.too_large", PS_CK_COUNT,                              \
      "records larger than one batch chunk (--clickhouse-buffer / 16; / 4 under 256 KiB)")         \
    X(CH_DROP_MALFORMED, "clickhouse.dropped.malformed", PS_CK_COUNT,                              \
      "records that are not a JSON object with an event_type (never expected)")                    \
    X(CH_DROP_SHUTDOWN, "clickhouse.dropped.shutdown", PS_CK_COUNT,                                \
      "records still unsent to ClickHouse when the wait at exit (--clickhouse-wait) ended")        \
    X(ALERTS, "alert.emitted", PS_CK_COUNT, "alerts written")                                      \
    X(ANOMALY_EVENTS, "alert.anomaly_events", PS_CK_COUNT, "anomaly events written")               \
    X(ANOMALY_EVENTS_SUPPRESSED, "alert.anomaly_events_suppressed", PS_CK_COUNT,                   \
      "anomaly events not written: over the rate per name per second (the counters still count)")  \
    X(ALERTS_SUPPRESSED, "alert.suppressed", PS_CK_COUNT,                                          \
      "alerts not written: the same signature, source and destination within 60 s")                \
    X(STREAM_SEGMENTS, "stream.segments", PS_CK_COUNT,                                             \
      "TCP segments with payload given to reassembly")                                             \
    X(STREAM_RETRANSMITTED, "stream.retransmitted", PS_CK_COUNT,                                   \
      "segments whose bytes had all been received already")                                        \
    X(STREAM_OUT_OF_ORDER, "stream.out_of_order", PS_CK_COUNT,                                     \
      "segments that arrived ahead of a hole and waited for it")                                   \
    X(STREAM_GAPS, "stream.gaps", PS_CK_COUNT,                                                     \
      "holes given up (acknowledged by the peer, or the buffer was full): parsers resume after")   \
    X(STREAM_BEYOND_WINDOW, "stream.beyond_window", PS_CK_COUNT,                                   \
      "segments too far ahead of a hole to hold (their bytes count as missing if never filled)")   \
    X(STREAM_NO_BUFFER, "stream.no_buffer", PS_CK_COUNT,                                           \
      "flow directions given up because every reassembly buffer was in use")                       \
    X(STREAM_STUCK, "stream.stuck", PS_CK_COUNT,                                                   \
      "flow directions given up: a message larger than the reassembly buffer")                     \
    X(STREAM_MISSING_BYTES, "stream.missing_bytes", PS_CK_COUNT,                                   \
      "TCP sequence space never mirrored, summed over ended flows (flow field missing_bytes)")     \
    X(APP_SLOTS_FULL, "app.slots_full", PS_CK_COUNT,                                               \
      "flows with payload not parsed because every parser slot was in use")                        \
    X(APP_BYPASSED, "app.bypassed", PS_CK_COUNT,                                                   \
      "flows whose parser had what it wanted: the rest was only counted (bypass)")                 \
    X(APP_UNKNOWN, "app.unknown", PS_CK_COUNT, "flows with payload that no parser recognised")     \
    X(APP_DNS, "app.dns", PS_CK_COUNT, "flows recognised as DNS (UDP or TCP, any port)")           \
    X(APP_TLS, "app.tls", PS_CK_COUNT, "flows recognised as TLS (any port)")                       \
    X(APP_HTTP, "app.http", PS_CK_COUNT, "flows recognised as HTTP/1.x (any port)")                \
    X(APP_HTTP2, "app.http2", PS_CK_COUNT,                                                         \
      "HTTP flows that switched to HTTP/2 (prior knowledge or h2c upgrade)")                       \
    X(APP_SSH, "app.ssh", PS_CK_COUNT, "flows recognised as SSH (any port)")                       \
    X(APP_QUIC, "app.quic", PS_CK_COUNT, "flows recognised as QUIC (any UDP port)")                \
    X(APP_DNS_MESSAGES, "app.dns.messages", PS_CK_COUNT, "DNS messages parsed")                    \
    X(APP_DNS_ERRORS, "app.dns.errors", PS_CK_COUNT,                                               \
      "DNS messages that did not parse (truncated, compression loop, lying counts...)")            \
    X(APP_TLS_MALFORMED, "app.tls.malformed", PS_CK_COUNT,                                         \
      "TLS records or handshake messages that did not parse")                                      \
    X(APP_TLS_OVERSIZE, "app.tls.oversize", PS_CK_COUNT,                                           \
      "TLS handshake messages larger than the reassembly buffer, skipped")                         \
    X(APP_TLS_CERT_FAIL, "app.tls.cert_unparsed", PS_CK_COUNT,                                     \
      "certificates that did not parse as X.509")                                                  \
    X(APP_HTTP_ERRORS, "app.http.errors", PS_CK_COUNT,                                             \
      "HTTP start lines, lengths or chunk sizes that did not parse, or headers too large")         \
    X(APP_SSH_ERRORS, "app.ssh.errors", PS_CK_COUNT,                                               \
      "SSH banners, packets or KEXINITs that did not parse")                                       \
    X(APP_QUIC_UNDECRYPTED, "app.quic.undecrypted", PS_CK_COUNT,                                   \
      "QUIC Initial packets that did not decrypt")                                                 \
    X(APP_QUIC_UNKNOWN_VERSION, "app.quic.unknown_version", PS_CK_COUNT,                           \
      "QUIC long-header packets of a version periscope cannot decrypt")                            \
    X(ICMP_TUNNEL_CONVERSATIONS, "icmp_tunnel.conversations", PS_CK_COUNT,                         \
      "echo conversations (requester, responder) icmp_tunnel began to follow")                     \
    X(ICMP_TUNNEL_EVICTED, "icmp_tunnel.evicted", PS_CK_COUNT,                                     \
      "echo conversations icmp_tunnel forgot because its table was full")                          \
    X(DNS_TUNNEL_MESSAGES, "dns_tunnel.messages", PS_CK_COUNT, "DNS messages dns_tunnel scored")   \
    X(DNS_TUNNEL_SKIPPED, "dns_tunnel.skipped", PS_CK_COUNT,                                       \
      "DNS messages dns_tunnel does not score: PTR and .arpa (reverse lookups)")                   \
    X(DNS_TUNNEL_KEYS, "dns_tunnel.keys", PS_CK_COUNT,                                             \
      "(client, registered domain) pairs dns_tunnel began to follow")                              \
    X(DNS_TUNNEL_EVICTED, "dns_tunnel.evicted", PS_CK_COUNT,                                       \
      "(client, registered domain) pairs dns_tunnel forgot because its table was full")            \
    X(DNS_TUNNEL_NO_PSL, "dns_tunnel.no_public_suffix_list", PS_CK_COUNT,                          \
      "1 when the public suffix list could not be read: registered domains are the last two "      \
      "labels")

enum ps_counter_id {
#define PS_X(id, name, kind, desc) PS_C_##id,
    PS_COUNTERS(PS_X)
#undef PS_X
        PS_C__COUNT
};

/* The anomaly counters are one run in the table: a packet marks its
 * anomalies in a 64-bit mask by their index in that run. */
#define PS_C_ANOM__FIRST PS_C_ANOM_VXLAN_RESERVED
#define PS_C_ANOM__LAST  PS_C_ANOM_STREAM_OVERLAP

struct ps_counter_info {
    const char *name;
    enum ps_counter_kind kind;
    const char *desc;
};

extern const struct ps_counter_info ps_counter_table[PS_C__COUNT];

struct ps_counters {
    uint64_t v[PS_C__COUNT];
};

/* Sum of every DROP counter. */
uint64_t ps_counters_dropped(const struct ps_counters *c);

#endif
