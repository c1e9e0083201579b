// Embedding sandbox in a build farm: load a policy, run its jobs, act on the report.
//
//   embed-example examples/farm-75-25.yaml
#include <iostream>

#include "policies/loader.hpp"
#include "sandbox/sandbox.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " POLICY [CMD ARGS...]\n";
    return sandbox::exit_code::usage;
  }
  auto loaded = policies::load_policy_file(argv[1]);
  if (!loaded.ok()) {
    for (const auto& diagnostic : loaded.diagnostics) std::cerr << diagnostic.to_string() << "\n";
    return sandbox::exit_code::invalid_policy;
  }

  sandbox::RunOptions options;
  options.command.assign(argv + 2, argv + argc);  // used when the policy has no jobs
  try {
    const sandbox::RunReport report = sandbox::run(*loaded.policy, options);
    for (const auto& job : report.jobs) {
      std::cout << job.name << ": " << job.status;
      if (job.cpu_share_achieved) std::cout << ", cpu share " << *job.cpu_share_achieved;
      std::cout << "\n";
    }
    for (const auto& tenant : report.tenants) {
      std::cout << "tenant " << tenant.name;
      if (tenant.cpu_share_achieved) std::cout << ": cpu share " << *tenant.cpu_share_achieved;
      std::cout << "\n";
    }
    std::cout << sandbox::to_json(report) << "\n";
    return report.exit_code;
  } catch (const sandbox::Error& e) {
    std::cerr << "sandbox: " << e.what() << "\n";
    return e.code;
  }
}
