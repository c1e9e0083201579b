// hot_functions: the functions of a static binary that one run of it executes, in the order the
// linker should place them (lld's --symbol-ordering-file). bench/hot-functions runs it on
// `sandbox run` and writes sandbox/cli/hot-functions.txt.
//
//   hot_functions BINARY [ARGS...]     (prints symbol names, one per line)
//
// It runs BINARY under ptrace with a breakpoint (int3) on the entry of every function of its
// symbol table, and records each function the first time it is entered in each address space:
// the supervisor's, and pid 1's (which the job shares until it execs). Breakpoints fire once per
// address space: a hit puts the original byte back and the process goes on, so a run costs about
// one stop per function it executes. Sampling (perf) misses the code that runs once, which is most
// of a start-up; this sees all of it.
//
// The order written: functions both address spaces execute, then those only pid 1 executes, then
// those only the supervisor executes, each group in the order of first use. pid 1 is a fork: it
// faults the text in again on its own, so its code is kept in one block rather than spread across
// the supervisor's.
#include <elf.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// ptrace takes addresses and data as pointers.
void* as_pointer(uint64_t value) {
  return reinterpret_cast<void*>(value);  // NOLINT(performance-no-int-to-ptr)
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

// Function symbols with a body, by address (static-pie: relative to the load address). Aliases
// share an address and are all listed, so the ordering names whichever one the linker keeps.
std::map<uint64_t, std::vector<std::string>> function_symbols(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open " + path);
  struct stat st {};
  if (fstat(fd, &st) != 0) fail("stat " + path);
  void* map = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) fail("mmap " + path);
  const auto* base = static_cast<const unsigned char*>(map);
  const auto* header = reinterpret_cast<const Elf64_Ehdr*>(base);
  if (std::memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 ||
      header->e_ident[EI_CLASS] != ELFCLASS64) {
    throw std::runtime_error(path + ": not a 64-bit ELF file");
  }
  const auto* sections = reinterpret_cast<const Elf64_Shdr*>(base + header->e_shoff);
  std::map<uint64_t, std::vector<std::string>> symbols;
  for (int s = 0; s < header->e_shnum; ++s) {
    if (sections[s].sh_type != SHT_SYMTAB) continue;
    const auto* names =
        reinterpret_cast<const char*>(base + sections[sections[s].sh_link].sh_offset);
    const auto* first = reinterpret_cast<const Elf64_Sym*>(base + sections[s].sh_offset);
    const size_t count = sections[s].sh_size / sizeof(Elf64_Sym);
    for (size_t i = 0; i < count; ++i) {
      const Elf64_Sym& sym = first[i];
      const int type = ELF64_ST_TYPE(sym.st_info);
      if ((type == STT_FUNC || type == STT_GNU_IFUNC) && sym.st_size > 0 &&
          sym.st_shndx != SHN_UNDEF) {
        symbols[sym.st_value].push_back(names + sym.st_name);
      }
    }
  }
  munmap(map, st.st_size);
  for (auto& [address, names] : symbols) std::sort(names.begin(), names.end());  // stable lists
  if (symbols.empty()) throw std::runtime_error(path + ": no symbol table (stripped?)");
  return symbols;
}

// Where the binary's first segment (file offset 0) is mapped in `pid`.
uint64_t load_address(pid_t pid, const std::string& binary) {
  const std::string wanted = std::filesystem::canonical(binary).string();
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long start = 0, end = 0, offset = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %7s %lx", &start, &end, perms, &offset) != 4) continue;
    const auto slash = line.find('/');
    if (offset == 0 && slash != std::string::npos && line.substr(slash) == wanted) return start;
  }
  throw std::runtime_error(binary + " is not mapped in the traced process");
}

class Tracer {
 public:
  explicit Tracer(std::map<uint64_t, std::vector<std::string>> symbols)
      : symbols_(std::move(symbols)) {}

  void run(const std::string& binary, std::vector<char*> argv) {
    const pid_t root = root_ = fork();
    if (root < 0) fail("fork");
    if (root == 0) {
      ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    int status = 0;
    if (waitpid(root, &status, 0) != root || !WIFSTOPPED(status)) {
      throw std::runtime_error("the traced binary did not start");
    }
    const long options = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                         PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
    if (ptrace(PTRACE_SETOPTIONS, root, nullptr, options) != 0) fail("PTRACE_SETOPTIONS");
    bias_ = load_address(root, binary);
    for (const auto& [address, names] : symbols_) original_[address] = peek_byte(root, address);
    add_space(root);
    resume(root, 0);
    loop();
  }

  // The traced run's wait status: a list made from a failed run is not the start-up path.
  int root_status() const { return root_status_; }

  // The ordering described at the top of the file.
  std::vector<std::string> ordering() const {
    struct Entry {
      size_t spaces;
      int latest_space;
      size_t first_use;
      uint64_t address;
    };
    std::map<uint64_t, Entry> entries;
    for (size_t i = 0; i < hits_.size(); ++i) {
      const auto& [space, address] = hits_[i];
      auto [it, inserted] = entries.try_emplace(address, Entry{0, space, i, address});
      it->second.spaces++;
      it->second.latest_space = std::max(it->second.latest_space, space);
    }
    std::vector<Entry> sorted;
    sorted.reserve(entries.size());
    for (const auto& [address, entry] : entries) sorted.push_back(entry);
    std::sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
      if (a.spaces != b.spaces) return a.spaces > b.spaces;
      if (a.latest_space != b.latest_space) return a.latest_space > b.latest_space;
      return a.first_use < b.first_use;
    });
    // A local function's name can stand for several (`__tcf_0`, `.isra.0` clones in many files):
    // lld gives every section holding that name the priority of its first line, so the name is
    // listed once, where it first ran.
    std::vector<std::string> names;
    std::set<std::string> listed;
    for (const auto& entry : sorted) {
      for (const auto& name : symbols_.at(entry.address)) {
        if (listed.insert(name).second) names.push_back(name);
      }
    }
    return names;
  }

 private:
  uint64_t peek_word(pid_t pid, uint64_t at) {
    errno = 0;
    const long word = ptrace(PTRACE_PEEKTEXT, pid, as_pointer(at), nullptr);
    if (errno != 0) fail("PTRACE_PEEKTEXT");
    return static_cast<uint64_t>(word);
  }
  void poke_byte(pid_t pid, uint64_t address, unsigned char byte) {
    const uint64_t at = bias_ + address;
    const uint64_t word = (peek_word(pid, at) & ~uint64_t{0xff}) | byte;
    if (ptrace(PTRACE_POKETEXT, pid, as_pointer(at), as_pointer(word)) != 0) {
      fail("PTRACE_POKETEXT");
    }
  }
  unsigned char peek_byte(pid_t pid, uint64_t address) {
    return static_cast<unsigned char>(peek_word(pid, bias_ + address) & 0xff);
  }
  static void resume(pid_t pid, int signal) {
    if (ptrace(PTRACE_CONT, pid, nullptr, as_pointer(signal)) != 0 && errno != ESRCH) {
      fail("PTRACE_CONT");
    }
  }

  // A process with an address space of its own: every breakpoint armed in it.
  void add_space(pid_t pid) {
    space_of_[pid] = next_space_++;
    for (const auto& [address, byte] : original_) poke_byte(pid, address, 0xcc);
  }

  void add_child(pid_t parent, pid_t child) {
    if (!early_stops_.erase(child)) {
      int status = 0;
      if (waitpid(child, &status, __WALL) != child) fail("waitpid for a new child");
    }
    const bool shares_memory = syscall(SYS_kcmp, parent, child, KCMP_VM, 0, 0) == 0;
    if (shares_memory) {
      space_of_[child] = space_of_.at(parent);
    } else {
      add_space(child);
    }
    resume(child, 0);
  }

  void breakpoint(pid_t pid) {
    user_regs_struct regs{};
    if (ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) fail("PTRACE_GETREGS");
    const uint64_t address = regs.rip - 1 - bias_;
    const auto it = original_.find(address);
    if (it == original_.end()) {  // a SIGTRAP of the program's own
      resume(pid, SIGTRAP);
      return;
    }
    const int space = space_of_.at(pid);
    if (seen_.insert({space, address}).second) hits_.push_back({space, address});
    poke_byte(pid, address, it->second);
    regs.rip -= 1;
    if (ptrace(PTRACE_SETREGS, pid, nullptr, &regs) != 0) fail("PTRACE_SETREGS");
    resume(pid, 0);
  }

  void loop() {
    while (!space_of_.empty()) {
      int status = 0;
      const pid_t pid = waitpid(-1, &status, __WALL);
      if (pid < 0) {
        if (errno == EINTR) continue;
        if (errno == ECHILD) return;
        fail("waitpid");
      }
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        if (pid == root_) root_status_ = status;
        space_of_.erase(pid);
        continue;
      }
      if (!WIFSTOPPED(status)) continue;
      if (!space_of_.contains(pid)) {  // a new child, stopped before its parent's event arrived
        early_stops_.insert(pid);
        continue;
      }
      const int signal = WSTOPSIG(status);
      const int event = status >> 16;
      if (signal == SIGTRAP && (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
                                event == PTRACE_EVENT_CLONE)) {
        unsigned long child = 0;
        if (ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &child) != 0) fail("PTRACE_GETEVENTMSG");
        add_child(pid, static_cast<pid_t>(child));
        resume(pid, 0);
      } else if (signal == SIGTRAP && event == PTRACE_EVENT_EXEC) {
        // Another program now: nothing of ours runs in this process any more.
        space_of_.erase(pid);
        ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
      } else if (signal == SIGTRAP && event == 0) {
        breakpoint(pid);
      } else if (event == PTRACE_EVENT_STOP) {
        resume(pid, 0);
      } else {
        resume(pid, signal);  // the program's own signals go through
      }
    }
  }

  std::map<uint64_t, std::vector<std::string>> symbols_;
  std::map<uint64_t, unsigned char> original_;
  uint64_t bias_ = 0;
  pid_t root_ = -1;
  int root_status_ = -1;
  std::map<pid_t, int> space_of_;
  int next_space_ = 0;
  std::set<pid_t> early_stops_;
  std::set<std::pair<int, uint64_t>> seen_;
  std::vector<std::pair<int, uint64_t>> hits_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    (void)std::fprintf(stderr, "usage: hot_functions BINARY [ARGS...]\n");
    return 2;
  }
  try {
    Tracer tracer(function_symbols(argv[1]));
    std::vector<char*> args(argv + 1, argv + argc);
    args.push_back(nullptr);
    tracer.run(argv[1], args);
    const int status = tracer.root_status();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      (void)std::fprintf(stderr, "hot_functions: the traced run failed (wait status %#x)\n",
                         status);
      return 1;
    }
    for (const auto& name : tracer.ordering()) std::printf("%s\n", name.c_str());
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "hot_functions: %s\n", e.what());
    return 1;
  }
  return 0;
}
