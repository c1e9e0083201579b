#include "guard.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <sstream>
#include <string_view>
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
    if (++documents_ > 1) {
      throw Stop{ShapeProblem{mark, "more than one YAML document: a policy file holds one", true}};
    }
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

bool bounded_by_its_text(const std::string& yaml) {
  if (yaml.size() > max_values / 2) return false;
  long flow = 0;       // flow collections open at the end of the line before
  size_t carried = 0;  // that line's bound, while one is open
  for (size_t start = 0; start < yaml.size();) {
    const size_t end = std::min(yaml.find('\n', start), yaml.size());
    const std::string_view line(yaml.data() + start, end - start);
    start = end + 1;
    if (line.starts_with("---") || line.starts_with("...") || line.starts_with("%")) return false;
    size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ') ++indent;
    if (indent < line.size() && line[indent] == '\t') return false;

    // Inside a flow collection indentation means nothing: go on from where it was opened.
    size_t bound = flow > 0 ? carried : 2 * (indent + 1);
    char quote = 0;
    char previous = ' ';
    for (size_t i = indent; i < line.size(); ++i) {
      const char c = line[i];
      const char next = i + 1 < line.size() ? line[i + 1] : ' ';
      // Indicators count wherever they are, in quotes too: counting too many is safe.
      if (c == '[' || c == '{') {
        ++bound;
        ++flow;
      } else if (c == ']' || c == '}') {
        --flow;
      } else if ((c == '-' || c == '?' || c == ':') && (next == ' ' || next == '\t')) {
        ++bound;
      }
      // Quotes only decide where a comment starts and whether a string goes on past the line.
      if (quote == '"' && c == '\\') {
        ++i;
      } else if (quote != 0 && c == quote) {
        if (quote == '\'' && next == '\'') {
          ++i;  // '' is an escaped quote
        } else {
          quote = 0;
        }
      } else if (quote == 0 && (c == '\'' || c == '"')) {
        quote = c;
      } else if (quote == 0 && c == '#' && (previous == ' ' || previous == '\t')) {
        break;
      }
      previous = c;
    }
    if (quote != 0 || flow < 0 || bound > max_depth) return false;
    carried = bound;
  }
  return flow == 0;
}

std::optional<ShapeProblem> prescan_events(const std::string& yaml) {
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

bool text_goes_on_after(const YAML::Node& root, const std::string& yaml) {
  // The line of the last node to start, walking the tree (a bounded walk: aliases may repeat
  // nodes; past the bound the answer is "maybe", and that is safe).
  int last_node = -1;
  std::vector<YAML::Node> pending{root};
  for (size_t visited = 0; !pending.empty(); ++visited) {
    if (visited > max_walk) return true;
    const YAML::Node node = pending.back();
    pending.pop_back();
    last_node = std::max(last_node, node.Mark().line);
    if (node.IsSequence() || node.IsMap()) {
      for (auto item = node.begin(); item != node.end(); ++item) {
        if (node.IsMap()) {
          pending.push_back(item->first);
          pending.push_back(item->second);
        } else {
          pending.push_back(*item);
        }
      }
    }
  }
  // The last line with more than blanks, a comment, or the ends of flow collections.
  int line = 0, last_content = -1;
  for (size_t start = 0; start < yaml.size(); ++line) {
    const size_t end = std::min(yaml.find('\n', start), yaml.size());
    const std::string_view text(yaml.data() + start, end - start);
    start = end + 1;
    const size_t first = text.find_first_not_of(" ]},");
    if (first != std::string_view::npos && text[first] != '#') last_content = line;
  }
  return last_content > last_node;
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
