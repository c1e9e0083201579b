// Traffic control through netlink: HTB qdiscs and classes, byte fifos, the ingress qdisc, u32
// filters (classification by IPv4 address, redirection to an IFB) and class statistics.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/errno.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>

#include <algorithm>
#include <cstdio>
#include <limits>

#include "netlink.hpp"
#include "netlink_objects.hpp"

namespace sandbox::netlink {
namespace {

std::string handle_text(uint32_t handle) {
  if (handle == tc_root) return "root";
  if (handle == tc_ingress) return "ingress";
  char text[16];
  (void)std::snprintf(text, sizeof text, "%x:%x", handle >> 16, handle & 0xFFFFu);
  return text;
}

std::string on_link(int ifindex) {
  return " on link " + std::to_string(ifindex);
}

// Sets the fields every tc object needs and returns it cast to its common base.
template <typename T>
rtnl_tc* prepare(T* object, int ifindex, uint32_t parent, uint32_t handle, const char* kind) {
  rtnl_tc* tc = TC_CAST(object);
  rtnl_tc_set_ifindex(tc, ifindex);
  rtnl_tc_set_parent(tc, parent);
  if (handle != 0) rtnl_tc_set_handle(tc, handle);
  check(rtnl_tc_set_kind(tc, kind), std::string("select tc kind ") + kind);
  return tc;
}

// Bits per second to the bytes per second that HTB takes, rounding up so a tiny rate stays > 0.
uint64_t bytes_per_second(uint64_t bps) {
  return (bps + 7) / 8;
}

// How far behind a class may fall and still catch up, as time at its rate. HTB's own default
// (libnl's and tc's) is one frame beyond the rate, so every frame waits for a timer; when the
// timer fires late (a busy or virtualised CPU), the time lost is lost bandwidth. A class keeps at
// most this much of the tokens a stalled CPU could not spend: on this VM the hypervisor stalls
// the CPUs for 30-50 ms at 25-45 % steal, and 10 ms bursts then lost up to 7 % of the link (the
// tenants bandwidth test failed 5 runs of 30, all at 35-43 % steal); 60 ms bursts used the link
// in full at up to 44 % steal, with the same splits. Over a second of sharing, 60 ms of tokens is
// noise; over shorter windows a class that idled may send that much at its ceil.
constexpr uint64_t catch_up_microseconds = 60'000;
constexpr uint64_t smallest_burst_bytes = uint64_t{2} * 1514;

uint32_t burst_bytes(uint64_t bytes_per_second_rate) {
  const uint64_t burst = bytes_per_second_rate * catch_up_microseconds / 1'000'000;
  return static_cast<uint32_t>(
      std::clamp<uint64_t>(burst, smallest_burst_bytes, std::numeric_limits<uint32_t>::max()));
}

}  // namespace

void add_htb_qdisc(Socket& sock, int ifindex, uint32_t handle, uint32_t default_minor) {
  auto qdisc = allocate<QdiscPtr>(rtnl_qdisc_alloc);
  prepare(qdisc.get(), ifindex, tc_root, handle, "htb");
  check(rtnl_htb_set_defcls(qdisc.get(), default_minor), "set the default class of an htb qdisc");
  check(rtnl_qdisc_add(sock.get(), qdisc.get(), NLM_F_CREATE | NLM_F_EXCL),
        "add htb qdisc " + handle_text(handle) + on_link(ifindex));
}

void add_htb_class(Socket& sock, int ifindex, uint32_t parent, uint32_t classid, uint64_t rate_bps,
                   uint64_t ceil_bps, uint32_t quantum) {
  auto htb_class = allocate<ClassPtr>(rtnl_class_alloc);
  prepare(htb_class.get(), ifindex, parent, classid, "htb");
  const std::string what = "add htb class " + handle_text(classid) + on_link(ifindex);
  check(rtnl_htb_set_rate64(htb_class.get(), bytes_per_second(rate_bps)), what);
  check(rtnl_htb_set_ceil64(htb_class.get(), bytes_per_second(ceil_bps)), what);
  check(rtnl_htb_set_rbuffer(htb_class.get(), burst_bytes(bytes_per_second(rate_bps))), what);
  check(rtnl_htb_set_cbuffer(htb_class.get(), burst_bytes(bytes_per_second(ceil_bps))), what);
  if (quantum != 0) check(rtnl_htb_set_quantum(htb_class.get(), quantum), what);
  check(rtnl_class_add(sock.get(), htb_class.get(), NLM_F_CREATE | NLM_F_EXCL), what);
}

void add_bfifo_qdisc(Socket& sock, int ifindex, uint32_t parent, uint32_t handle,
                     uint32_t limit_bytes) {
  auto qdisc = allocate<QdiscPtr>(rtnl_qdisc_alloc);
  prepare(qdisc.get(), ifindex, parent, handle, "bfifo");
  const std::string what = "add bfifo qdisc under " + handle_text(parent) + on_link(ifindex);
  check(rtnl_qdisc_fifo_set_limit(qdisc.get(), static_cast<int>(limit_bytes)), what);
  check(rtnl_qdisc_add(sock.get(), qdisc.get(), NLM_F_CREATE | NLM_F_EXCL), what);
}

void add_ingress_qdisc(Socket& sock, int ifindex) {
  auto qdisc = allocate<QdiscPtr>(rtnl_qdisc_alloc);
  prepare(qdisc.get(), ifindex, tc_ingress, tc_handle(0xFFFF, 0), "ingress");
  check(rtnl_qdisc_add(sock.get(), qdisc.get(), NLM_F_CREATE | NLM_F_EXCL),
        "add ingress qdisc" + on_link(ifindex));
}

bool delete_qdisc(Socket& sock, int ifindex, uint32_t parent) {
  auto qdisc = allocate<QdiscPtr>(rtnl_qdisc_alloc);
  rtnl_tc_set_ifindex(TC_CAST(qdisc.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(qdisc.get()), parent);
  const int result = rtnl_qdisc_delete(sock.get(), qdisc.get());
  if (result == -NLE_OBJ_NOTFOUND || result == -NLE_NODEV) return false;
  check(result, "delete " + handle_text(parent) + " qdisc" + on_link(ifindex));
  return true;
}

void add_ipv4_class_filter(Socket& sock, int ifindex, uint32_t parent, Match match,
                           const std::string& address, uint32_t classid) {
  const std::string what =
      "add u32 filter for " + address + " to class " + handle_text(classid) + on_link(ifindex);
  in_addr ip{};
  if (inet_pton(AF_INET, address.c_str(), &ip) != 1) check(-NLE_INVAL, what);
  auto filter = allocate<ClsPtr>(rtnl_cls_alloc);
  prepare(filter.get(), ifindex, parent, 0, "u32");
  rtnl_cls_set_protocol(filter.get(), ETH_P_IP);
  rtnl_cls_set_prio(filter.get(), 1);
  // Offsets within the IPv4 header: source address at 12, destination at 16.
  const int offset = match == Match::source ? 12 : 16;
  check(rtnl_u32_add_key_in_addr(filter.get(), &ip, 32, offset, 0), what);
  // Without TC_U32_TERMINAL a matching u32 node does not apply its classid.
  check(rtnl_u32_set_cls_terminal(filter.get()), what);
  check(rtnl_u32_set_classid(filter.get(), classid), what);
  check(rtnl_cls_add(sock.get(), filter.get(), NLM_F_CREATE | NLM_F_EXCL), what);
}

void add_ingress_redirect(Socket& sock, int ifindex, uint16_t prio, IngressMatch match,
                          const std::string& address, int target_ifindex) {
  const std::string what = "redirect the ingress" + on_link(ifindex) +
                           (match == IngressMatch::any ? "" : " from " + address) + " to link " +
                           std::to_string(target_ifindex);
  auto redirect = allocate<ActPtr>(rtnl_act_alloc);
  check(rtnl_tc_set_kind(TC_CAST(redirect.get()), "mirred"), what);
  check(rtnl_mirred_set_action(redirect.get(), TCA_EGRESS_REDIR), what);
  check(rtnl_mirred_set_policy(redirect.get(), TC_ACT_STOLEN), what);
  check(rtnl_mirred_set_ifindex(redirect.get(), static_cast<uint32_t>(target_ifindex)), what);

  auto filter = allocate<ClsPtr>(rtnl_cls_alloc);
  prepare(filter.get(), ifindex, tc_handle(0xFFFF, 0), 0, "u32");
  rtnl_cls_set_prio(filter.get(), prio);
  in_addr ip{};
  if (match != IngressMatch::any && inet_pton(AF_INET, address.c_str(), &ip) != 1) {
    check(-NLE_INVAL, what);
  }
  switch (match) {
    case IngressMatch::ipv4_source:
      rtnl_cls_set_protocol(filter.get(), ETH_P_IP);
      check(rtnl_u32_add_key_in_addr(filter.get(), &ip, 32, 12, 0), what);  // IPv4 source
      break;
    case IngressMatch::arp_sender: {
      // The sender protocol address is at offset 14 of an Ethernet/IPv4 ARP packet: not 32-bit
      // aligned, so it is matched as two 16-bit halves.
      rtnl_cls_set_protocol(filter.get(), ETH_P_ARP);
      const uint32_t host = ntohl(ip.s_addr);
      check(rtnl_u32_add_key_uint16(filter.get(), static_cast<uint16_t>(host >> 16), 0xFFFF, 14, 0),
            what);
      check(rtnl_u32_add_key_uint16(filter.get(), static_cast<uint16_t>(host), 0xFFFF, 16, 0),
            what);
      break;
    }
    case IngressMatch::any:
      rtnl_cls_set_protocol(filter.get(), ETH_P_ALL);
      check(rtnl_u32_add_key(filter.get(), 0, 0, 0, 0), what);  // matches every packet
      break;
  }
  check(rtnl_u32_set_cls_terminal(filter.get()), what);
  check(rtnl_u32_add_action(filter.get(), redirect.get()), what);  // takes its own reference
  check(rtnl_cls_add(sock.get(), filter.get(), NLM_F_CREATE | NLM_F_EXCL), what);
}

uint64_t class_bytes(Socket& sock, int ifindex, uint32_t classid) {
  nl_cache* raw = nullptr;
  const int result = rtnl_class_alloc_cache(sock.get(), ifindex, &raw);
  if (result == -NLE_NODEV || result == -NLE_OBJ_NOTFOUND) return 0;
  check(result, "list tc classes" + on_link(ifindex));
  CachePtr cache(raw);
  ClassPtr found(rtnl_class_get(cache.get(), ifindex, classid));
  if (!found) return 0;
  return rtnl_tc_get_stat(TC_CAST(found.get()), RTNL_TC_BYTES);
}

uint64_t qdisc_drops(Socket& sock, int ifindex, uint32_t parent) {
  nl_cache* raw = nullptr;
  const int result = rtnl_qdisc_alloc_cache(sock.get(), &raw);
  check(result, "list qdiscs");
  CachePtr cache(raw);
  QdiscPtr found(rtnl_qdisc_get_by_parent(cache.get(), ifindex, parent));
  if (!found) return 0;
  return rtnl_tc_get_stat(TC_CAST(found.get()), RTNL_TC_DROPS);
}

}  // namespace sandbox::netlink
