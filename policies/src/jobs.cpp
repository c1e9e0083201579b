#include "jobs.hpp"

#include <algorithm>

#include "names.hpp"
#include "settings.hpp"
#include "suggest.hpp"

namespace policies::detail {

void apply_shares(Reader& reader, const YAML::Node& node, const std::string& path, Shares& shares) {
  reader.for_each_entry(
      node, path, {"cpu", "io", "net"},
      [&](const std::string& key, const YAML::Node& value, const std::string& at) {
        auto share = reader.integer(value, at, 1, max_share);
        if (!share) return;
        auto weight = static_cast<uint32_t>(*share);
        if (key == "cpu") shares.cpu = weight;
        if (key == "io") shares.io = weight;
        if (key == "net") shares.net = weight;
      });
}

void apply_output(Reader& reader, const YAML::Node& node, const std::string& path, Output& output) {
  if (node.IsScalar()) {
    const std::string& mode = node.Scalar();
    if (mode == "inherit") {
      output = {Output::Mode::inherit, {}};
    } else if (mode == "prefix") {
      output = {Output::Mode::prefix, {}};
    } else {
      reader.error(node, path,
                   "expected inherit, prefix or {file: path}, got " + describe(node) +
                       did_you_mean(mode, {"inherit", "prefix"}));
    }
    return;
  }
  if (node.IsMap() && node.size() == 0) {
    reader.error(node, path, "expected inherit, prefix or {file: path}, got an empty map");
    return;
  }
  reader.for_each_entry(
      node, path, {"file"},
      [&](const std::string&, const YAML::Node& value, const std::string& at) {
        auto file = reader.string(value, at);
        if (!file) return;
        if (file->empty()) {
          reader.error(value, at, "must not be empty");
          return;
        }
        // Only {name} is a placeholder; anything else in braces is most likely a typo of it.
        for (size_t open = file->find('{'); open != std::string::npos;
             open = file->find('{', open + 1)) {
          if (file->compare(open, 6, "{name}") != 0) {
            reader.error(value, at,
                         "unknown placeholder in '" + *file + "': only {name} is replaced");
            return;
          }
        }
        output = {Output::Mode::file, *file};
      });
}

std::string expand_output_path(const std::string& path, const std::string& job_name) {
  std::string expanded;
  for (size_t i = 0; i < path.size();) {
    if (path.compare(i, 6, "{name}") == 0) {
      expanded += job_name;
      i += 6;
    } else {
      expanded += path[i++];
    }
  }
  return expanded;
}

std::vector<Tenant> read_tenants(Reader& reader, const YAML::Node& node, const std::string& path) {
  std::vector<Tenant> tenants;
  reader.for_each_entry(
      node, path, [&](const std::string& name, const YAML::Node& value, const std::string& at) {
        if (auto problem = check_name(name); !problem.empty()) {
          reader.error(reader.location(at), at, "invalid tenant name '" + name + "': " + problem);
          return;
        }
        Tenant tenant{name, {}, reader.location(at)};
        // `name: {}` and `name:` (no settings) are both a tenant with default shares.
        if (!value.IsNull()) {
          reader.for_each_entry(
              value, at, {"shares"},
              [&](const std::string&, const YAML::Node& shares, const std::string& shares_at) {
                apply_shares(reader, shares, shares_at, tenant.shares);
              });
        }
        tenants.push_back(std::move(tenant));
      });
  return tenants;
}

std::optional<Job> read_job(Reader& reader, const YAML::Node& node, const std::string& path,
                            const JobDefaults& defaults, const std::vector<Tenant>& tenants) {
  static const std::vector<std::string_view> keys = [] {
    std::vector<std::string_view> all{"name", "command", "tenant", "shares", "output"};
    all.insert(all.end(), setting_keys().begin(), setting_keys().end());
    return all;
  }();
  if (!reader.expect_map(node, path)) return std::nullopt;
  Job job;
  job.settings = defaults.settings;
  job.output = defaults.output;
  job.where = reader.location(path);
  bool named = false, has_command = false;
  reader.for_each_entry(
      node, path, keys,
      [&](const std::string& key, const YAML::Node& value, const std::string& at) {
        if (key == "name") {
          named = true;
          auto name = reader.string(value, at);
          if (!name) return;
          if (auto problem = check_name(*name); !problem.empty()) {
            reader.error(value, at, "invalid job name '" + *name + "': " + problem);
          } else {
            job.name = *name;
          }
        } else if (key == "command") {
          has_command = true;
          auto command = reader.string_list(value, at);
          if (!command) return;
          if (command->empty()) {
            reader.error(value, at, "empty command: give at least the program, e.g. [make, -j2]");
          } else if (command->front().empty()) {
            reader.error(reader.location(item_path(at, 0)), item_path(at, 0),
                         "the program name is empty");
          }
          job.command = std::move(*command);
        } else if (key == "tenant") {
          auto tenant = reader.string(value, at);
          if (!tenant) return;
          bool known = std::any_of(tenants.begin(), tenants.end(),
                                   [&](const Tenant& t) { return t.name == *tenant; });
          if (!known) {
            std::vector<std::string_view> names;
            names.reserve(tenants.size());
            for (const auto& t : tenants) names.push_back(t.name);
            reader.error(value, at,
                         "tenant '" + *tenant +
                             "' is not defined under tenants:" + did_you_mean(*tenant, names));
          } else {
            job.tenant = *tenant;
          }
        } else if (key == "shares") {
          apply_shares(reader, value, at, job.shares);
        } else if (key == "output") {
          apply_output(reader, value, at, job.output);
        } else {
          apply_setting(reader, key, value, at, job.settings);
        }
      });
  if (!named) reader.error(node, child_path(path, "name"), "missing key 'name'");
  if (!has_command) reader.error(node, child_path(path, "command"), "missing key 'command'");
  if (job.output.mode == Output::Mode::file && !job.name.empty()) {
    job.output.path = expand_output_path(job.output.path, job.name);
  }
  return job;
}

}  // namespace policies::detail
