/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters of one stack instance, like `netstat -s`. Types only, so that
 * the shared-memory contract can embed them: each secondary's stack writes
 * its counters straight into its own stats block, which the primary reads.
 */
#ifndef YS_STACK_STATS_H
#define YS_STACK_STATS_H

#include <stdint.h>

/* X(name, help): events counted by the stack. */
#define YS_STACK_COUNTERS(X)                                                   \
	X(eth_rx, "frames handed to the stack")                                \
	X(eth_tx, "frames the stack transmitted")                              \
	X(arp_rx, "ARP frames received")                                       \
	X(arp_requests_answered, "ARP requests answered by this instance")     \
	X(arp_requests_left_to_peer,                                           \
	  "ARP requests for us answered by another instance")                  \
	X(ip_rx, "IPv4 datagrams received")                                    \
	X(ip_rx_cksum_offloaded, "IPv4 header checksums the NIC verified")     \
	X(icmp_rx, "ICMP messages received")                                   \
	X(icmp_echo_requests, "ICMP echo requests received")                   \
	X(icmp_echo_replies, "ICMP echo replies sent")                         \
	X(ip_frag_out_datagrams,                                               \
	  "IPv4 datagrams fragmented on output (RFC 791 3.2)")                 \
	X(ip_frag_created, "IPv4 fragments created on output")                 \
	X(arp_requests_sent,                                                   \
	  "ARP requests sent: first tries, retries and unicast probes")        \
	X(arp_replies_received, "ARP replies received")                        \
	X(arp_gratuitous_sent, "gratuitous ARP announcements sent")            \
	X(arp_entries_learned,                                                 \
	  "ARP cache entries created or completed by an ARP packet")           \
	X(arp_entries_updated,                                                 \
	  "ARP cache entries refreshed by an ARP packet (RFC 826 merge)")      \
	X(arp_entries_evicted,                                                 \
	  "ARP cache entries evicted for room (least recently confirmed)")     \
	X(arp_entries_failed,                                                  \
	  "ARP cache entries removed after unanswered requests or probes")     \
	X(arp_address_conflicts,                                               \
	  "ARP packets from another MAC claiming one of our addresses")        \
	X(arp_queued, "datagrams queued waiting for ARP resolution")           \
	X(ip_out_requests, "IPv4 datagrams handed to the output path")         \
	X(eth_vlan_rx, "802.1Q-tagged frames taken by a VLAN interface")       \
	X(ip_options_seen, "IPv4 datagrams received with options (skipped)")   \
	X(icmp_errors_sent, "ICMP errors sent")                                \
	X(icmp_errors_rate_limited,                                            \
	  "ICMP errors not sent: the instance's token bucket was empty")       \
	X(icmp_errors_about_error,                                             \
	  "ICMP errors not sent: about an ICMP error (RFC 1122 3.2.2)")        \
	X(icmp_errors_about_bcast,                                             \
	  "ICMP errors not sent: about a broadcast or multicast datagram")     \
	X(icmp_errors_about_fragment,                                          \
	  "ICMP errors not sent: about a fragment other than the first")       \
	X(icmp_errors_about_bad_src,                                           \
	  "ICMP errors not sent: the source is not a unicast host address")    \
	X(icmp_rx_dest_unreach, "ICMP destination unreachable received")       \
	X(icmp_rx_source_quench,                                               \
	  "ICMP source quench received (ignored, RFC 6633)")                   \
	X(icmp_rx_time_exceeded, "ICMP time exceeded received")                \
	X(icmp_rx_param_problem, "ICMP parameter problem received")            \
	X(icmp_frag_needed_rx,                                                 \
	  "ICMP fragmentation needed received (RFC 1191)")                     \
	X(pmtu_updates, "path MTU estimates lowered (RFC 1191)")               \
	X(pmtu_expired, "path MTU estimates expired after 10 minutes")         \
	X(pmtu_entries, "path MTU estimates held now (a gauge)")               \
	X(udp_rx, "UDP datagrams delivered to a bound port")                   \
	X(udp_rx_bytes, "UDP payload bytes delivered to bound ports")          \
	X(udp_rx_no_checksum,                                                  \
	  "UDP datagrams received without a checksum (zero, RFC 768)")         \
	X(udp_rx_trimmed,                                                      \
	  "UDP datagrams shorter than their IPv4 payload: the rest ignored")   \
	X(udp_tx, "UDP datagrams sent (or waiting for ARP)")                   \
	X(udp_tx_bytes, "UDP payload bytes sent (or waiting for ARP)")         \
	X(diag_udp_echo_rx, "datagrams received by the diagnostic UDP echo")   \
	X(diag_udp_echo_tx, "replies sent by the diagnostic UDP echo")

/* X(name, help): every reason the stack drops a frame. */
#define YS_STACK_DROPS(X)                                                      \
	X(eth_runt, "frame shorter than an Ethernet header")                   \
	X(eth_not_for_us, "destination MAC neither ours nor broadcast")        \
	X(eth_bad_src, "source MAC multicast, broadcast or all zeros")         \
	X(eth_unsupported_type, "EtherType the stack does not handle")         \
	X(arp_malformed, "ARP frame too short or not Ethernet/IPv4")           \
	X(arp_not_for_us,                                                      \
	  "ARP packet neither for our address nor refreshing an entry")        \
	X(arp_unsupported_op, "ARP operation other than request/reply")        \
	X(ip_malformed, "IPv4 header fails validation")                        \
	X(ip_bad_checksum, "IPv4 header checksum mismatch")                    \
	X(ip_not_for_us, "IPv4 destination is not a local address")            \
	X(ip_link_broadcast,                                                   \
	  "unicast IPv4 datagram in a link-layer broadcast (RFC 1122 3.3.6)")  \
	X(ip_fragment, "IPv4 fragment (reassembly is the primary's job)")      \
	X(ip_unsupported_proto, "IPv4 protocol the stack does not handle")     \
	X(icmp_malformed, "ICMP message too short")                            \
	X(icmp_bad_checksum, "ICMP checksum mismatch")                         \
	X(icmp_unsupported_type, "ICMP type the stack does not handle")        \
	X(tx_alloc_failed, "no mbuf for a reply or an ARP request")            \
	X(ip_frag_df_set,                                                      \
	  "datagram larger than the interface MTU with DF set (RFC 791 3.2)")  \
	X(ip_frag_too_many,                                                    \
	  "datagram needing more than 64 fragments (YS_IPFRAG_MAX_FRAGS)")     \
	X(ip_frag_alloc_failed,                                                \
	  "no mbuf for a fragment: the whole datagram is dropped")             \
	X(tx_full, "transmit queue full")                                      \
	X(arp_queue_dropped,                                                   \
	  "datagram waiting for ARP dropped: the entry's or all queues full")  \
	X(arp_resolve_failed,                                                  \
	  "datagram waiting for ARP dropped: no reply, or next hop gone")      \
	X(arp_cache_full,                                                      \
	  "no ARP cache entry could be freed for a datagram's next hop")       \
	X(ip_no_route, "no route to the destination of an outgoing datagram")  \
	X(ip_out_bad_dst,                                                      \
	  "outgoing datagram to our own, a broadcast, multicast, 0/8 or "      \
	  "127/8 address")                                                     \
	X(ip_out_malformed,                                                    \
	  "outgoing datagram unusable: header, length, headroom or shared")    \
	X(ip_bad_source,                                                       \
	  "IPv4 source broadcast, multicast, loopback, 0/8 or class E "        \
	  "(RFC 1122 3.2.1.3)")                                                \
	X(ip_bad_options, "IPv4 option with a bad length (RFC 791 3.1)")       \
	X(eth_vlan_unknown,                                                    \
	  "802.1Q tag of no interface, QinQ, or untagged on a port with "      \
	  "only VLAN interfaces")                                              \
	X(eth_vlan_no_room, "no headroom to insert an outgoing 802.1Q tag")    \
	X(icmp_frag_needed_bogus,                                              \
	  "fragmentation needed quoting no datagram of ours, or an MTU "       \
	  "below 68")                                                          \
	X(udp_malformed,                                                       \
	  "IPv4 payload shorter than a UDP header, or the header split")       \
	X(udp_bad_length,                                                      \
	  "UDP length below 8 or beyond the IPv4 payload (RFC 768)")           \
	X(udp_bad_checksum, "UDP checksum mismatch (RFC 1122 4.1.3.4)")        \
	X(udp_no_port,                                                         \
	  "UDP datagram for a port nobody bound (ICMP port unreachable)")      \
	X(udp_tx_invalid,                                                      \
	  "UDP payload given to send refused: bad address, port or length")    \
	X(diag_udp_echo_refused,                                               \
	  "diagnostic UDP echo not sent: source port 0, 7, 13, 17, 19 or "     \
	  "the echo port (loops)")

enum ys_stack_drop_reason {
#define YS_X_ENUM(name, help) YS_STACK_DROP_##name,
	YS_STACK_DROPS(YS_X_ENUM)
#undef YS_X_ENUM
	        YS_STACK_DROP_MAX
};

struct ys_stack_stats {
#define YS_X_FIELD(name, help) uint64_t name;
	YS_STACK_COUNTERS(YS_X_FIELD)
#undef YS_X_FIELD
	uint64_t drops[YS_STACK_DROP_MAX];
};

#endif /* YS_STACK_STATS_H */
