// Hostile probes: this test binary doubles as the attacker inside the sandbox. Run as
//   host_hostile --hostile-probe NAME [ARGS...]
// it performs one attack before main() (and before GoogleTest sees the arguments), prints one
// "what=result" line per attempt (result: OK or the errno name) and exits 0. Plain libc only:
// it runs from .init_array, possibly before other static initialisers.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void report(const char* what, const char* result) {
  std::printf("%s=%s\n", what, result);
}

// OK for a call that returned something other than -1, else the errno name.
void report_call(const char* what, long result) {
  report(what, result != -1 ? "OK" : strerrorname_np(errno));
}

// For raw syscalls that return -errno (int 0x80).
void report_negative(const char* what, long result) {
  report(what, result >= 0 ? "OK" : strerrorname_np(static_cast<int>(-result)));
}

long clone_and_reap(unsigned long flags) {
  const long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid(static_cast<pid_t>(pid), nullptr, 0);
  return pid < 0 ? -1 : 0;
}

long int80(long number, long a = 0, long b = 0) {
  long result = 0;
  asm volatile("int $0x80"
               : "=a"(result)
               : "a"(number), "b"(a), "c"(b)
               : "r8", "r9", "r10", "r11", "memory", "cc");
  return result;
}

void probe_mount() {
  report_call("mount_tmpfs", mount("none", "/tmp", "tmpfs", 0, nullptr));
  report_call("umount_proc", umount2("/proc", MNT_DETACH));
  report_call("fsopen", syscall(SYS_fsopen, "tmpfs", 0));
  report_call("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp"));
}

void probe_module() {
  report_call("init_module", syscall(SYS_init_module, nullptr, 0, ""));
  const int fd = open("/dev/null", O_RDONLY);
  report_call("finit_module", syscall(SYS_finit_module, fd, "", 0));
  report_call("delete_module", syscall(SYS_delete_module, "ext4", O_NONBLOCK));
}

void probe_ptrace(pid_t supervisor) {
  report_call("ptrace_pid1", ptrace(PTRACE_ATTACH, 1, nullptr, nullptr));
  report_call("ptrace_parent", ptrace(PTRACE_ATTACH, getppid(), nullptr, nullptr));
  report_call("ptrace_supervisor", ptrace(PTRACE_ATTACH, supervisor, nullptr, nullptr));
  report_call("kill_supervisor", kill(supervisor, 0));
  char byte = 0;
  iovec local{&byte, 1}, remote{reinterpret_cast<void*>(0x400000), 1};
  report_call("process_vm_readv_pid1", process_vm_readv(1, &local, 1, &remote, 1, 0));
  report_call("open_proc_1_mem", open("/proc/1/mem", O_RDONLY));
}

// How many bytes (up to 4 KiB) a read of `path` gives, or the errno name.
void report_bytes(const char* what, const char* path) {
  const int fd = open(path, O_RDONLY);
  if (fd < 0) return report_call(what, -1);
  char buffer[4096];
  const long bytes = read(fd, buffer, sizeof buffer);
  close(fd);
  if (bytes < 0) return report_call(what, -1);
  report(what, std::to_string(bytes).c_str());
}

void probe_kernel_settings() {
  report_call("write_sysrq_trigger", open("/proc/sysrq-trigger", O_WRONLY));
  report_call("write_sysctl_hostname", open("/proc/sys/kernel/hostname", O_WRONLY));
  report_call("write_drop_caches", open("/proc/sys/vm/drop_caches", O_WRONLY));
  report_call("write_proc_keys", open("/proc/keys", O_WRONLY));
  report_bytes("proc_keys_bytes", "/proc/keys");
  report_bytes("timer_list_bytes", "/proc/timer_list");
  report_call("sethostname", sethostname("escaped", 7));
}

void probe_raw_socket() {
  report_call("inet_raw", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  report_call("inet6_raw", socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
  report_call("packet", socket(AF_PACKET, SOCK_RAW, 0));
}

void report_effective_capabilities() {
  FILE* status = std::fopen("/proc/self/status", "r");
  char line[256];
  while (status != nullptr && std::fgets(line, sizeof line, status) != nullptr) {
    if (std::strncmp(line, "CapEff:\t", 8) == 0) {
      line[std::strcspn(line, "\n")] = '\0';
      report("cap_eff", line + 8);
    }
  }
  if (status != nullptr) (void)std::fclose(status);  // read only
}

void probe_user_namespace() {
  report_call("unshare_user", unshare(CLONE_NEWUSER));
  report_call("clone_user", clone_and_reap(CLONE_NEWUSER));
  report_call("unshare_user_mount", unshare(CLONE_NEWUSER | CLONE_NEWNS));
  report_negative("i386_unshare_user", int80(310, CLONE_NEWUSER));
  report_call("clone3", syscall(SYS_clone3, nullptr, 0));
  report_call("setns", syscall(SYS_setns, 0, 0));
  report_effective_capabilities();
}

// Connects with a 2 s timeout; OK when a connection was made.
void report_connect(const char* what, const char* address, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return report_call(what, -1);
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address, &target.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0) {
    return report(what, "OK");
  }
  if (errno != EINPROGRESS) return report_call(what, -1);
  pollfd writable{fd, POLLOUT, 0};
  if (poll(&writable, 1, 2000) <= 0) return report(what, "TIMEOUT");
  int error = 0;
  socklen_t length = sizeof error;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  report(what, error == 0 ? "OK" : strerrorname_np(error));
}

void probe_network(int port, const char* host_address) {
  report_connect("connect_host_loopback", "127.0.0.1", port);
  if (std::strcmp(host_address, "none") != 0) {
    report_connect("connect_host_address", host_address, port);
  }
  report_connect("connect_internet", "1.1.1.1", 53);
  std::string names;
  struct if_nameindex* interfaces = if_nameindex();
  for (auto* each = interfaces; each != nullptr && each->if_index != 0; ++each) {
    names += (names.empty() ? "" : ",") + std::string(each->if_name);
  }
  if (interfaces != nullptr) if_freenameindex(interfaces);
  report("interfaces", names.c_str());
}

void probe_open_files() {
  long opened = 0;
  for (;;) {
    if (open("/dev/null", O_RDONLY) < 0) break;
    if (++opened > 100000) break;
  }
  report("opened", std::to_string(opened).c_str());
  report("error", strerrorname_np(errno));
}

// Allocates and touches memory in 16 MiB steps until the kernel stops it (up to 8 GiB).
void probe_memory_bomb() {
  constexpr size_t step = size_t{16} << 20;
  for (size_t total = 0; total < (size_t{8} << 30); total += step) {
    char* block = static_cast<char*>(std::malloc(step));
    if (block == nullptr) return report("malloc", "ENOMEM");
    std::memset(block, 0x5a, step);
  }
  report("allocated", "8GiB");
}

int run_probe(const char* name, int argc, char** argv) {
  const auto argument = [&](int index) { return index < argc ? argv[index] : ""; };
  const std::string probe = name;
  if (probe == "mount") {
    probe_mount();
  } else if (probe == "module") {
    probe_module();
  } else if (probe == "ptrace") {
    probe_ptrace(std::atoi(argument(0)));
  } else if (probe == "kernel_settings") {
    probe_kernel_settings();
  } else if (probe == "raw_socket") {
    probe_raw_socket();
  } else if (probe == "user_namespace") {
    probe_user_namespace();
  } else if (probe == "network") {
    probe_network(std::atoi(argument(0)), argument(1));
  } else if (probe == "open_files") {
    probe_open_files();
  } else if (probe == "memory_bomb") {
    probe_memory_bomb();
  } else {
    (void)std::fprintf(stderr, "unknown hostile probe '%s'\n", name);
    return 2;
  }
  return std::fflush(stdout) == 0 ? 0 : 1;  // the reports are the probe's whole output
}

void maybe_run_probe(int argc, char** argv, char** /*environment*/) {
  if (argc >= 3 && std::strcmp(argv[1], "--hostile-probe") == 0) {
    std::_Exit(run_probe(argv[2], argc - 3, argv + 3));
  }
}

}  // namespace

// glibc calls .init_array entries with (argc, argv, envp), before main().
[[gnu::section(".init_array"),
  gnu::used]] static void (*const hostile_probe_hook)(int, char**, char**) = &maybe_run_probe;
