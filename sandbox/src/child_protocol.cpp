#include "child_protocol.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

#include "sys_error.hpp"

namespace sandbox {

namespace {
template <size_t N>
void copy_text(char (&out)[N], std::string_view text) {
  const size_t length = std::min(text.size(), N - 1);
  std::memcpy(out, text.data(), length);
  out[length] = '\0';
}
}  // namespace

Release Release::with(const std::optional<net::JobLink>& link) {
  Release release;
  if (link) {
    release.has_link = 1;
    copy_text(release.ifname, link->ifname);
    copy_text(release.address_cidr, link->address_cidr);
    copy_text(release.gateway, link->gateway);
  }
  return release;
}

std::optional<net::JobLink> Release::link() const {
  if (!has_link) return std::nullopt;
  return net::JobLink{ifname, address_cidr, gateway};
}

ChildMessage ChildMessage::failure(int exit_code, std::string_view text) {
  ChildMessage message;
  message.kind = Kind::failure;
  message.exit_code = exit_code;
  copy_text(message.text, text);
  return message;
}

ChildMessage ChildMessage::job_exited(int wait_status, const struct rusage& children) {
  ChildMessage message;
  message.kind = Kind::job_exited;
  message.wait_status = wait_status;
  const auto us = [](const timeval& t) { return int64_t{t.tv_sec} * 1000000 + t.tv_usec; };
  message.children_user_us = us(children.ru_utime);
  message.children_system_us = us(children.ru_stime);
  message.children_max_rss_kb = children.ru_maxrss;
  return message;
}

ChildMessage ChildMessage::job_stopped(int wait_status) {
  ChildMessage message;
  message.kind = Kind::job_stopped;
  message.wait_status = wait_status;
  return message;
}

void send(int fd, const ChildMessage& message) noexcept {
  static_assert(sizeof(ChildMessage) <= PIPE_BUF, "messages must be written atomically");
  ssize_t rc;
  do {
    rc = write(fd, &message, sizeof message);
  } while (rc < 0 && errno == EINTR);
}

Received receive(int fd) {
  ChildMessage message;
  ssize_t rc;
  do {
    rc = read(fd, &message, sizeof message);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno == EAGAIN) return {};
  if (rc < 0) throw_errno("read job channel");
  if (rc == 0) return {std::nullopt, true};
  if (static_cast<size_t>(rc) != sizeof message) {
    throw Error(exit_code::setup_failed, "read job channel: truncated message");
  }
  return {message, false};
}

void report_failure_and_exit(int channel, const char* step) noexcept {
  int code = exit_code::setup_failed;
  try {
    throw;
  } catch (const Error& e) {
    code = e.code;
    send(channel, ChildMessage::failure(code, e.what()));
  } catch (const std::exception& e) {
    send(channel, ChildMessage::failure(code, e.what()));
  } catch (...) {
    char text[128];  // no allocation: the failure may be std::bad_alloc's cousin
    (void)std::snprintf(text, sizeof text, "%s: unknown error", step);
    send(channel, ChildMessage::failure(code, text));
  }
  _exit(code);
}

}  // namespace sandbox
