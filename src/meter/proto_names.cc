// Argus 3.0.8 protocol names (clients include/argus_util.h ip_proto_string); NULL there is
// printed as "unas".
#include "meter/proto_names.h"

#include <array>

namespace flowsentry::meter {
namespace {

constexpr std::array<std::string_view, 256> kNames{
    "ip",     "icmp",       "igmp",      "ggp",       "ipnip",     "st2",         "tcp",
    "cbt",    "egp",        "igp",       "bbn-rcc",   "nvp",       "pup",         "argus",
    "emcon",  "xnet",       "chaos",     "udp",       "mux",       "dcn",         "hmp",
    "prm",    "xns-idp",    "trunk-1",   "trunk-2",   "leaf-1",    "leaf-2",      "rdp",
    "irtp",   "iso-tp4",    "netblt",    "mfe-nsp",   "merit-inp", "sep",         "3pc",
    "idpr",   "xtp",        "ddp",       "idpr-cmtp", "tp++",      "il",          "ipv6",
    "sdrp",   "ipv6-route", "ipv6-frag", "idrp",      "rsvp",      "gre",         "mhrp",
    "bna",    "esp",        "ah",        "i-nlsp",    "swipe",     "narp",        "mobile",
    "tlsp",   "skip",       "ipv6-icmp", "ipv6-no",   "ipv6-opts", "any",         "cftp",
    "any",    "sat-expak",  "kryptolan", "rvd",       "ippc",      "any",         "sat-mon",
    "visa",   "ipcv",       "cpnx",      "cphb",      "wsn",       "pvp",         "br-sat-mon",
    "sun-nd", "wb-mon",     "wb-expak",  "iso-ip",    "vmtp",      "secure-vmtp", "vines",
    "ttp",    "nsfnet-igp", "dgp",       "tcf",       "eigrp",     "ospf",        "sprite-rpc",
    "larp",   "mtp",        "ax.25",     "ipip",      "micp",      "aes-sp3-d",   "etherip",
    "encap",  "pri-enc",    "gmtp",      "ifmp",      "pnni",      "pim",         "aris",
    "scps",   "qnx",        "a/n",       "ipcomp",    "snp",       "compaq-peer", "ipx-n-ip",
    "vrrp",   "pgm",        "zero",      "l2tp",      "ddx",       "iatp",        "stp",
    "srp",    "uti",        "smp",       "sm",        "ptp",       "isis",        "fire",
    "crtp",   "crudp",      "sccopmce",  "iplt",      "sps",       "pipe",        "sctp",
    "fc",     "rsvp",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "unas",       "unas",      "unas",      "unas",      "unas",        "unas",
    "unas",   "ib",         "unas",      "unas",
};

}  // namespace

std::string_view argus_proto_name(uint8_t proto) {
  return kNames[proto];
}

}  // namespace flowsentry::meter
