// network: mode, and for bridged jobs the bridge, subnet, link capacity, cap and ports.
#include "names.hpp"
#include "settings.hpp"
#include "suggest.hpp"

namespace policies::detail {
namespace {

std::optional<PortForward> read_port(Reader& reader, const YAML::Node& node,
                                     const std::string& path) {
  if (!reader.expect_map(node, path)) return std::nullopt;
  PortForward port;
  bool ok = true, has_host = false, has_job = false;
  reader.for_each_entry(
      node, path, {"host", "job", "protocol"},
      [&](const std::string& key, const YAML::Node& value, const std::string& at) {
        if (key == "protocol") {
          auto protocol = reader.string(value, at);
          if (protocol && (*protocol == "tcp" || *protocol == "udp")) {
            port.protocol = *protocol;
          } else {
            if (protocol) reader.error(value, at, "expected tcp or udp, got " + describe(value));
            ok = false;
          }
          return;
        }
        auto number = reader.integer(value, at, 1, 65535);
        if (!number) {
          ok = false;
          return;
        }
        if (key == "host") {
          port.host_port = static_cast<uint16_t>(*number);
          has_host = true;
        } else {
          port.job_port = static_cast<uint16_t>(*number);
          has_job = true;
        }
      });
  if (!ok) return std::nullopt;
  if (!has_host || !has_job) {
    reader.error(node, child_path(path, has_host ? "job" : "host"),
                 std::string("missing key '") + (has_host ? "job" : "host") +
                     "' (a port forward is {host: 8080, job: 80})");
    return std::nullopt;
  }
  return port;
}

}  // namespace

void apply_network(Reader& reader, const YAML::Node& node, const std::string& path,
                   Network& network) {
  static const std::vector<std::string_view> modes{"none", "loopback", "bridged"};
  std::vector<std::string> bridged_only;  // paths of keys written here that need bridged mode
  reader.for_each_entry(
      node, path, {"mode", "bridge", "subnet", "link", "net_max", "ports"},
      [&](const std::string& key, const YAML::Node& value, const std::string& at) {
        if (key == "mode") {
          auto mode = reader.string(value, at);
          if (!mode) return;
          if (*mode == "none") {
            network.mode = Network::Mode::none;
          } else if (*mode == "loopback") {
            network.mode = Network::Mode::loopback;
          } else if (*mode == "bridged") {
            network.mode = Network::Mode::bridged;
          } else {
            reader.error(value, at,
                         "unknown network mode " + describe(value) + did_you_mean(*mode, modes) +
                             "; one of none, loopback, bridged");
          }
          return;
        }
        bridged_only.push_back(at);
        if (key == "bridge") {
          auto name = reader.string(value, at);
          if (!name) return;
          if (auto problem = check_interface_name(*name); !problem.empty()) {
            reader.error(value, at, "invalid bridge name '" + *name + "': " + problem);
          } else {
            network.bridge = *name;
          }
        } else if (key == "subnet") {
          auto text = reader.string(value, at);
          Ipv4Network parsed;
          if (!text) return;
          if (auto problem = check_ipv4_network(*text, parsed); !problem.empty()) {
            reader.error(value, at, "subnet '" + *text + "' " + problem);
          } else {
            network.subnet = *text;
          }
        } else if (key == "link") {
          reader.for_each_entry(
              value, at, {"rate"},
              [&](const std::string&, const YAML::Node& rate, const std::string& rate_at) {
                auto bps = reader.rate(rate, rate_at);
                if (bps && *bps == 0) {
                  reader.error(rate, rate_at, "must be above 0");
                } else if (bps) {
                  network.link_rate_bps = bps;
                }
              });
        } else if (key == "net_max") {
          network.net_max_bps.reset();
          if (Reader::is_unlimited(value)) return;
          auto bps = reader.rate(value, at);
          if (bps && *bps == 0) {
            reader.error(value, at, "must be above 0 (write `unlimited` for no cap)");
          } else {
            network.net_max_bps = bps;
          }
        } else if (key == "ports") {
          if (!reader.expect_list(value, at)) return;
          std::vector<PortForward> ports;
          reader.for_each_item(value, at,
                               [&](size_t, const YAML::Node& item, const std::string& item_at) {
                                 if (auto port = read_port(reader, item, item_at)) {
                                   ports.push_back(*port);
                                 }
                               });
          network.ports = std::move(ports);
        }
      });
  if (network.mode == Network::Mode::bridged) return;
  for (const auto& at : bridged_only) {
    reader.error(reader.location(at), at, "applies to bridged networks only (set mode: bridged)");
  }
  // A job that leaves a bridged default keeps none of its bridged settings.
  network.bridge.clear();
  network.link_rate_bps.reset();
  network.net_max_bps.reset();
  network.ports.clear();
}

}  // namespace policies::detail
