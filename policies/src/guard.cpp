#include "guard.hpp"

#include <yaml-cpp/eventhandler.h>

#include <sstream>
#include <utility>
#include <vector>

namespace policies::detail {
namespace {

// Counts values and nesting as the parser reports them; throws Stop at the first bound
// exceeded, which unwinds the parser before it reads any further.
class BoundedEvents : public YAML::EventHandler {
 public:
  struct Stop {
    ShapeProblem problem;
  };

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) stop(mark, "more than one YAML document: a policy file holds one");
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { value(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { value(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    value(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    open(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    open(mark);
  }
  void OnMapEnd() override { --depth_; }

 private:
  [[noreturn]] static void stop(const YAML::Mark& mark, std::string message) {
    throw Stop{ShapeProblem{mark, std::move(message)}};
  }
  void value(const YAML::Mark& mark) {
    if (++values_ > max_values) {
      stop(mark, "more than " + std::to_string(max_values) + " values: not a policy");
    }
  }
  void open(const YAML::Mark& mark) {
    value(mark);
    if (++depth_ > max_depth) {
      stop(mark, "nested deeper than " + std::to_string(max_depth) + " levels: not a policy");
    }
  }
  size_t documents_ = 0, values_ = 0, depth_ = 0;
};

}  // namespace

std::optional<ShapeProblem> check_flow_depth(const std::string& yaml) {
  enum class State { plain, single_quoted, double_quoted, comment } state = State::plain;
  size_t depth = 0;
  int line = 0, column = 0;
  // What precedes a quote that opens a string: start, space, or a flow or mapping indicator.
  char previous = '\n';
  for (size_t i = 0; i < yaml.size(); ++i, ++column) {
    char c = yaml[i];
    if (c == '\n') {
      ++line;
      column = -1;
      if (state == State::comment) state = State::plain;
      previous = c;
      continue;
    }
    switch (state) {
      case State::comment:
        break;
      case State::single_quoted:
        if (c == '\'') {
          if (i + 1 < yaml.size() && yaml[i + 1] == '\'') {
            ++i;  // '' is an escaped quote
            ++column;
          } else {
            state = State::plain;
          }
        }
        break;
      case State::double_quoted:
        if (c == '\\') {
          ++i;  // skip the escaped character
          ++column;
        } else if (c == '"') {
          state = State::plain;
        }
        break;
      case State::plain: {
        bool at_start = previous == '\n' || previous == ' ' || previous == '\t' ||
                        previous == '[' || previous == '{' || previous == ',' || previous == ':' ||
                        previous == '-';
        if (c == '#' && (previous == '\n' || previous == ' ' || previous == '\t')) {
          state = State::comment;
        } else if (c == '\'' && at_start) {
          state = State::single_quoted;
        } else if (c == '"' && at_start) {
          state = State::double_quoted;
        } else if (c == '[' || c == '{') {
          if (++depth > max_depth) {
            YAML::Mark where;  // its constructor with values is private
            where.pos = static_cast<int>(i);
            where.line = line;
            where.column = column;
            return ShapeProblem{
                where, "nested deeper than " + std::to_string(max_depth) + " levels: not a policy"};
          }
        } else if ((c == ']' || c == '}') && depth > 0) {
          --depth;
        }
        break;
      }
    }
    previous = c;
  }
  return std::nullopt;
}

std::optional<ShapeProblem> prescan(const std::string& yaml) {
  if (auto problem = check_flow_depth(yaml)) return problem;
  std::istringstream input(yaml);
  YAML::Parser parser(input);
  BoundedEvents events;
  try {
    while (parser.HandleNextDocument(events)) {
    }
  } catch (const BoundedEvents::Stop& stop) {
    return stop.problem;
  }
  return std::nullopt;
}

std::optional<ShapeProblem> check_shape(const YAML::Node& root) {
  std::vector<std::pair<YAML::Node, size_t>> pending{{root, 1}};
  size_t visited = 0;
  while (!pending.empty()) {
    auto [node, depth] = std::move(pending.back());
    pending.pop_back();
    if (++visited > max_walk) {
      return ShapeProblem{node.Mark(), "more than " + std::to_string(max_walk) +
                                           " values counting each use of an alias: not a policy"};
    }
    if (depth > max_depth) {
      return ShapeProblem{node.Mark(), "nested deeper than " + std::to_string(max_depth) +
                                           " levels (through aliases): not a policy"};
    }
    if (node.IsSequence()) {
      for (auto item = node.begin(); item != node.end(); ++item) {
        pending.emplace_back(*item, depth + 1);
      }
    } else if (node.IsMap()) {
      for (auto entry = node.begin(); entry != node.end(); ++entry) {
        pending.emplace_back(entry->first, depth + 1);
        pending.emplace_back(entry->second, depth + 1);
      }
    }
  }
  return std::nullopt;
}

}  // namespace policies::detail
