/* SPDX-License-Identifier: BSD-2-Clause */
/* Visibility classes and flags of a flow (visibility.h). */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "app/tls.h"
#include "app/visibility.h"

/* ps_flow.vis_tls bits */
enum { VT_ECH = 1, VT_MUTUAL = 2, VT_DOH = 4 };

/* data/doh-resolvers.txt, compiled in (the unit test keeps both equal). */
static const char *const doh_list[] = {
    "name cloudflare-dns.com",
    "name one.one.one.one",
    "name 1dot1dot1dot1.cloudflare-dns.com",
    "name security.cloudflare-dns.com",
    "name family.cloudflare-dns.com",
    "name mozilla.cloudflare-dns.com",
    "name dns.google",
    "name dns.google.com",
    "name dns64.dns.google",
    "name dns.quad9.net",
    "name dns9.quad9.net",
    "name dns10.quad9.net",
    "name dns11.quad9.net",
    "suffix .dns.nextdns.io",
    "name dns.nextdns.io",
    "name dns.adguard.com",
    "name dns.adguard-dns.com",
    "name unfiltered.adguard-dns.com",
    "name family.adguard-dns.com",
    "name doh.opendns.com",
    "name doh.cleanbrowsing.org",
    "addr 1.1.1.1",
    "addr 1.0.0.1",
    "addr 1.1.1.2",
    "addr 1.0.0.2",
    "addr 1.1.1.3",
    "addr 1.0.0.3",
    "addr 2606:4700:4700::1111",
    "addr 2606:4700:4700::1001",
    "addr 8.8.8.8",
    "addr 8.8.4.4",
    "addr 2001:4860:4860::8888",
    "addr 2001:4860:4860::8844",
    "addr 9.9.9.9",
    "addr 149.112.112.112",
    "addr 9.9.9.10",
    "addr 9.9.9.11",
    "addr 2620:fe::fe",
    "addr 2620:fe::9",
    "addr 45.90.28.0",
    "addr 45.90.30.0",
    "addr 94.140.14.14",
    "addr 94.140.15.15",
    "addr 94.140.14.140",
    "addr 94.140.14.141",
    "addr 208.67.222.222",
    "addr 208.67.220.220",
    "addr 185.228.168.168",
};

#define NDOH (sizeof(doh_list) / sizeof(doh_list[0]))

const char *ps_vis_doh_entry(size_t i)
{
    return i < NDOH ? doh_list[i] : NULL;
}

bool ps_vis_doh_name(const char *host, size_t n)
{
    while (n && host[n - 1] == '.')
        n--;
    for (size_t i = 0; i < NDOH; i++) {
        const char *e = doh_list[i];
        if (!strncmp(e, "name ", 5)) {
            e += 5;
            if (strlen(e) == n && !strncasecmp(e, host, n))
                return true;
        } else if (!strncmp(e, "suffix ", 7)) {
            e += 7;
            size_t m = strlen(e);
            if (n > m && !strncasecmp(e, host + n - m, m))
                return true;
        }
    }
    return false;
}

bool ps_vis_doh_addr(uint8_t ipver, const uint8_t *a)
{
    uint8_t b[16];
    for (size_t i = 0; i < NDOH; i++) {
        if (strncmp(doh_list[i], "addr ", 5))
            continue;
        const char *s = doh_list[i] + 5;
        bool v6 = strchr(s, ':') != NULL;
        if (v6 != (ipver == 6) || inet_pton(v6 ? AF_INET6 : AF_INET, s, b) != 1)
            continue;
        if (!memcmp(a, b, v6 ? 16 : 4))
            return true;
    }
    return false;
}

/* log2(x) for x >= 1, times 1024, from the integer part and a table-free
 * refinement (squaring): close enough for an entropy estimate. */
static uint32_t log2_q10(uint32_t x)
{
    uint32_t e = 0;
    while ((x >> e) > 1)
        e++;
    /* mantissa m in [1,2) as Q16 */
    uint64_t m = ((uint64_t)x << 16) >> e;
    uint32_t r = e << 10;
    for (uint32_t bit = 512; bit; bit >>= 1) {
        m = (m * m) >> 16;
        if (m >= (2u << 16)) {
            m >>= 1;
            r += bit;
        }
    }
    return r;
}

uint32_t ps_vis_entropy_milli(const uint8_t *d, size_t n)
{
    if (!n)
        return 0;
    uint32_t cnt[256] = {0};
    for (size_t i = 0; i < n; i++)
        cnt[d[i]]++;
    /* H = log2 n - (1/n) sum c log2 c */
    uint64_t sum = 0;
    for (int i = 0; i < 256; i++)
        if (cnt[i] > 1)
            sum += (uint64_t)cnt[i] * log2_q10(cnt[i]);
    uint64_t h = (uint64_t)log2_q10((uint32_t)n) * n - sum; /* Q10 * n */
    return (uint32_t)(h * 1000 / 1024 / n);
}

/* Bytes looked at for the entropy estimate. */
#define VIS_ENTROPY_BYTES 256
#define VIS_MIN_BYTES     16

static bool wireguard(const uint8_t *d, size_t n)
{
    if (n < 32 || d[1] || d[2] || d[3])
        return false;
    switch (d[0]) {
    case 1:
        return n == 148; /* handshake initiation */
    case 2:
        return n == 92; /* handshake response */
    case 3:
        return n == 64; /* cookie reply */
    case 4:
        return (n - 16) % 16 == 0; /* transport data: header + padded AEAD */
    default:
        return false;
    }
}

/* OpenVPN: the client's first packet is P_CONTROL_HARD_RESET_CLIENT_V2 or
 * V3 (opcode 7 or 10, key id 0) with an 8-byte session id; on TCP behind a
 * 16-bit length. */
static bool openvpn(bool tcp, const uint8_t *d, size_t n)
{
    if (tcp) {
        if (n < 16 || (size_t)(d[0] << 8 | d[1]) != n - 2)
            return false;
        d += 2;
        n -= 2;
    }
    return n >= 14 && n <= 512 && (d[0] == (7 << 3) || d[0] == (10 << 3));
}

void ps_vis_note_payload(struct ps_flow *f, int dir, const uint8_t *d, size_t n)
{
    if (f->vis_hint != PS_VIS_H_NONE || !n)
        return;
    bool udp = f->key.proto == 17;
    uint16_t plo = f->key.plo, phi = f->key.phi;
    if (udp && (plo == 500 || phi == 500 || plo == 4500 || phi == 4500))
        f->vis_hint = PS_VIS_H_IKE;
    else if (udp && wireguard(d, n))
        f->vis_hint = PS_VIS_H_WIREGUARD;
    else if (dir == 0 && openvpn(!udp, d, n))
        f->vis_hint = PS_VIS_H_OPENVPN;
    else if (n < VIS_MIN_BYTES)
        return; /* too few bytes to judge: wait for a longer payload */
    else {
        size_t m = n < VIS_ENTROPY_BYTES ? n : VIS_ENTROPY_BYTES;
        /* Random bytes reach about log2(m) bits (8 at 256); text about 4-5. */
        uint32_t max = log2_q10((uint32_t)m) * 1000 / 1024;
        if (max > 8000)
            max = 8000;
        f->vis_hint = ps_vis_entropy_milli(d, m) * 100 >= max * 85 ? PS_VIS_H_HIGH : PS_VIS_H_LOW;
    }
}

void ps_vis_note_tls(struct ps_flow *f, const struct ps_tls_info *ti)
{
    if (ti->ech)
        f->vis_tls |= VT_ECH;
    if (ti->client_cert.present || ti->cert_requested)
        f->vis_tls |= VT_MUTUAL;
    if (ti->sni_present && ps_vis_doh_name(ti->sni, ti->sni_len))
        f->vis_tls |= VT_DOH;
}

static uint16_t server_port(const struct ps_flow *f)
{
    return f->init_is_lo ? f->key.phi : f->key.plo;
}

enum ps_vis_class ps_vis_class(const struct ps_flow *f)
{
    const struct ps_flow_key *k = &f->key;
    const uint8_t *srv = f->init_is_lo ? k->hi : k->lo;
    if (k->proto == 50)
        return PS_VIS_IPSEC;
    if (k->proto == 1 || k->proto == 58)
        return PS_VIS_CLEARTEXT;
    switch (f->app_proto) {
    case PS_APP_DNS:
    case PS_APP_HTTP:
    case PS_APP_HTTP2:
        return PS_VIS_CLEARTEXT;
    case PS_APP_SSH:
        return PS_VIS_SSH;
    case PS_APP_TLS:
        if (server_port(f) == 853)
            return PS_VIS_DOT;
        if ((f->vis_tls & VT_DOH) || ps_vis_doh_addr(k->ipver, srv))
            return PS_VIS_DOH;
        if (f->vis_tls & VT_ECH)
            return PS_VIS_TLS_ECH;
        if (f->vis_tls & VT_MUTUAL)
            return PS_VIS_TLS_MUTUAL;
        return PS_VIS_TLS;
    case PS_APP_QUIC:
        if (server_port(f) == 853)
            return PS_VIS_DOQ;
        if ((f->vis_tls & VT_DOH) || ps_vis_doh_addr(k->ipver, srv))
            return PS_VIS_DOH;
        return PS_VIS_QUIC;
    default:
        break;
    }
    switch (f->vis_hint) {
    case PS_VIS_H_IKE:
        return PS_VIS_IPSEC;
    case PS_VIS_H_WIREGUARD:
        return PS_VIS_WIREGUARD;
    case PS_VIS_H_OPENVPN:
        return PS_VIS_OPENVPN;
    case PS_VIS_H_HIGH:
        return PS_VIS_ENCRYPTED_UNKNOWN;
    case PS_VIS_H_LOW:
        return PS_VIS_UNKNOWN;
    default:
        return PS_VIS_NONE;
    }
}

unsigned ps_vis_flags(const struct ps_flow *f)
{
    unsigned fl = 0;
    if (f->trunc_pkts)
        fl |= PS_VIS_F_TRUNCATED;
    if (f->dup_pkts)
        fl |= PS_VIS_F_DUPLICATED;
    if (f->missing[0] + f->missing[1])
        fl |= PS_VIS_F_GAPS;
    /* TCP seen from one side only, while that side's ACKs (or the SYN-ACK)
     * show the other exists: a lone unanswered SYN is not a mirroring gap. */
    if (f->key.proto == 6 && (!f->pkts[0] || !f->pkts[1])) {
        uint8_t seen = f->pkts[0] ? f->flags[0] : f->flags[1];
        if (seen & PS_TH_ACK)
            fl |= PS_VIS_F_ONE_SIDED;
    }
    return fl;
}

const char *ps_vis_class_name(enum ps_vis_class c)
{
    static const char *const names[PS_VIS__COUNT] = {
        [PS_VIS_NONE] = "none",
        [PS_VIS_CLEARTEXT] = "cleartext",
        [PS_VIS_TLS] = "tls",
        [PS_VIS_TLS_MUTUAL] = "tls-mutual",
        [PS_VIS_TLS_ECH] = "tls-ech",
        [PS_VIS_QUIC] = "quic",
        [PS_VIS_DOH] = "doh",
        [PS_VIS_DOT] = "dot",
        [PS_VIS_DOQ] = "doq",
        [PS_VIS_IPSEC] = "ipsec",
        [PS_VIS_WIREGUARD] = "wireguard",
        [PS_VIS_OPENVPN] = "openvpn",
        [PS_VIS_SSH] = "ssh",
        [PS_VIS_ENCRYPTED_UNKNOWN] = "encrypted-unknown",
        [PS_VIS_UNKNOWN] = "unknown",
    };
    return (unsigned)c < PS_VIS__COUNT ? names[c] : "unknown";
}

const char *ps_vis_flag_name(unsigned i)
{
    static const char *const names[PS_VIS_F__COUNT] = {"truncated", "one-sided", "gaps",
                                                       "duplicated"};
    return i < PS_VIS_F__COUNT ? names[i] : NULL;
}

const char *ps_vis_flags_str(unsigned flags, char out[64])
{
    size_t n = 0;
    out[0] = 0;
    for (unsigned i = 0; i < PS_VIS_F__COUNT; i++) {
        if (!(flags & (1u << i)))
            continue;
        const char *s = ps_vis_flag_name(i);
        size_t l = strlen(s);
        if (n + l + 2 > 64)
            break;
        if (n)
            out[n++] = ',';
        memcpy(out + n, s, l);
        n += l;
        out[n] = 0;
    }
    return out;
}
