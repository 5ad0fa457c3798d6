#include "gitops/config/config.hpp"

#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iterator>
#include <memory>
#include <span>
#include <sstream>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <unordered_map>

namespace gitops::config {

namespace {

constexpr std::array<std::string_view, 9> k_top_keys{
    "environments", "prflow",      "status_timeout_minutes",
    "groups",       "base_branch", "remote",
    "commit",       "status",      "merge_method"};
constexpr std::array<std::string_view, 2> k_environment_keys{"name", "auto"};
constexpr std::array<std::string_view, 1> k_group_keys{"applications"};
constexpr std::array<std::string_view, 2> k_application_keys{"featureOverwrite",
                                                             "featureLabelSelector"};
constexpr std::array<std::string_view, 2> k_commit_keys{"author_name", "author_email"};
constexpr std::array<std::string_view, 2> k_status_keys{"poll_interval", "contexts"};
// A config file is a few hundred bytes; anything this large is the wrong file.
constexpr std::uintmax_t k_max_file_size = 1024 * 1024;

constexpr std::string_view k_tab_message =
    "tab character in indentation; YAML indentation must use spaces";

// Whether the 1-based `line` of `text` starts with a tab (after any spaces).
bool starts_with_tab(std::string_view text, int line) {
  std::size_t pos = 0;
  for (int n = 1; n < line; ++n) {
    pos = text.find('\n', pos);
    if (pos == std::string_view::npos) {
      return false;
    }
    ++pos;
  }
  while (pos < text.size() && text[pos] == ' ') {
    ++pos;
  }
  return pos < text.size() && text[pos] == '\t';
}

std::string quote(std::string_view value) {
  return util::quote_for_message(value);
}

// Counts the documents without building them. yaml-cpp 0.7's LoadAll loops forever, allocating,
// on a stray flow indicator such as a lone ',' (the parser starts a new empty document at the
// same position again and again), so a document that starts where the previous one did stops it.
class DocumentCounter final : public YAML::EventHandler {
public:
  void OnDocumentStart(const YAML::Mark &mark) override {
    stuck = documents > 0 && mark.pos == last_start;
    last_start = mark.pos;
    if (!stuck && ++documents == 2) {
      second_line = mark.line + 1;
    }
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark &, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark &, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark &, const std::string &, YAML::anchor_t,
                const std::string &) override {}
  void OnSequenceStart(const YAML::Mark &, const std::string &, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark &, const std::string &, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  int documents = 0;
  int second_line = 0;
  int last_start = -1;
  bool stuck = false;
};

struct DocumentScan {
  int documents = 0;
  int second_line = 0;
  int stuck_line = 0; // where the parser stopped making progress; 0 when it did not
  std::string stuck_text;
};

DocumentScan scan_documents(std::string_view text) {
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  DocumentCounter counter;
  while (parser.HandleNextDocument(counter)) {
    if (counter.stuck) {
      DocumentScan scan{counter.documents, counter.second_line, 1, {}};
      const auto pos = static_cast<std::size_t>(counter.last_start);
      for (std::size_t i = 0; i < pos && i < text.size(); ++i) {
        scan.stuck_line += text[i] == '\n' ? 1 : 0;
      }
      scan.stuck_text = std::string(text.substr(std::min(pos, text.size()), 1));
      return scan;
    }
  }
  return DocumentScan{counter.documents, counter.second_line, 0, {}};
}

std::string describe(const YAML::Node &node) {
  switch (node.Type()) {
  case YAML::NodeType::Scalar:
    return quote(node.Scalar());
  case YAML::NodeType::Sequence:
    return "a list";
  case YAML::NodeType::Map:
    return "a mapping";
  default:
    return "an empty value";
  }
}

std::string child_path(const std::string &parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

int line_of(const YAML::Node &node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  bool known = true;
  std::optional<std::string> suggestion; // for unknown keys
};

// One YAML mapping, checked for duplicate and unknown keys, in file order.
struct MapView {
  std::string path;
  int line = 0;
  std::vector<Entry> entries;

  [[nodiscard]] const Entry *find(std::string_view key) const {
    for (const auto &e : entries) {
      if (e.known && e.key == key) {
        return &e;
      }
    }
    return nullptr;
  }
};

class Loader {
public:
  explicit Loader(Config &config) : m_config(config) {}

  void load(std::string_view text);

private:
  [[noreturn]] void fail(int line, std::string_view path, std::string_view message) const {
    std::string out = m_config.file;
    if (line > 0) {
      out += ':' + std::to_string(line);
    }
    out += ": ";
    if (!path.empty()) {
      out += std::string(path) + ": ";
    }
    throw ConfigError(out + std::string(message));
  }

  void warn(int line, std::string message) {
    m_config.warnings.push_back(Diagnostic{m_config.file, line, std::move(message)});
  }

  // Empty values report the key's line: yaml-cpp marks them at the start of the next token.
  static int value_line(const Entry &e) {
    if (e.value.IsNull() || line_of(e.value) == 0) {
      return line_of(e.key_node);
    }
    return line_of(e.value);
  }

  MapView read_map(const YAML::Node &node, int line, const std::string &path,
                   std::span<const std::string_view> known);
  [[noreturn]] void fail_missing(const MapView &map, std::string_view key,
                                 std::string_view upstream_message = {}) const;
  std::string string_value(const Entry &e, const std::string &path) const;
  bool bool_value(const Entry &e, const std::string &path) const;
  std::string name_value(const Entry &e, const std::string &path, std::string_view what) const;
  std::string ref_value(const Entry &e, const std::string &path, std::string_view what) const;
  std::string identity_value(const Entry &e, const std::string &path) const;

  void check_tabs(std::string_view text) const;
  void read_environments(const MapView &top);
  void read_prflow(const Entry &e);
  void read_status_timeout(const Entry &e);
  void read_groups(const Entry &e);
  void read_commit(const Entry &e);
  void read_status(const Entry &e);
  void read_merge_method(const Entry &e);

  Config &m_config;
};

MapView Loader::read_map(const YAML::Node &node, int line, const std::string &path,
                         std::span<const std::string_view> known) {
  MapView view{path, line, {}};
  if (node.IsNull()) {
    return view;
  }
  if (!node.IsMap()) {
    fail(line, path, "expected a mapping, got " + describe(node));
  }
  if (const int own = line_of(node); own > 0) {
    view.line = own;
  }
  std::unordered_map<std::string, int> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    // Copies: the iterator's operator-> hands out a proxy that dies at the end of the statement.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const int key_line = line_of(key) > 0 ? line_of(key) : view.line;
    if (!key.IsScalar()) {
      fail(key_line, path, "keys must be plain strings, got " + describe(key));
    }
    Entry e{key.Scalar(), key, value, true, std::nullopt};
    const std::string full = child_path(path, e.key);
    if (auto [first, inserted] = seen.emplace(e.key, key_line); !inserted) {
      fail(key_line, full,
           "duplicate key (first defined on line " + std::to_string(first->second) + ")");
    }
    if (!known.empty() && std::find(known.begin(), known.end(), e.key) == known.end()) {
      e.known = false;
      e.suggestion = util::suggest(e.key, known);
      std::string message = full + ": unknown key, ignored";
      if (e.suggestion) {
        message += " (did you mean " + quote(*e.suggestion) + "?)";
      }
      warn(key_line, std::move(message));
    }
    view.entries.push_back(std::move(e));
  }
  return view;
}

void Loader::fail_missing(const MapView &map, std::string_view key,
                          std::string_view upstream_message) const {
  std::string message = upstream_message.empty() ? std::string("required key is missing")
                                                 : std::string(upstream_message) + ": the key " +
                                                       quote(key) + " is missing";
  // A key missing from the top level has no line to point at, unless a misspelling of it does.
  int line = map.path.empty() ? 0 : map.line;
  for (const auto &e : map.entries) {
    if (!e.known && e.suggestion == key) {
      message += "; did you mean " + quote(key) + " instead of " + quote(e.key) + "?";
      line = line_of(e.key_node);
      break;
    }
  }
  fail(line, upstream_message.empty() ? child_path(map.path, key) : map.path, message);
}

std::string Loader::string_value(const Entry &e, const std::string &path) const {
  if (e.value.IsNull()) {
    return {};
  }
  if (!e.value.IsScalar()) {
    fail(value_line(e), path, "expected a string, got " + describe(e.value));
  }
  return e.value.Scalar();
}

bool Loader::bool_value(const Entry &e, const std::string &path) const {
  // YAML 1.1 booleans, which is what upstream's yaml.v2 accepts.
  static constexpr std::array<std::string_view, 11> k_true{
      "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"};
  static constexpr std::array<std::string_view, 11> k_false{
      "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"};
  if (e.value.IsNull()) {
    return false;
  }
  if (e.value.IsScalar()) {
    const std::string &s = e.value.Scalar();
    if (std::find(k_true.begin(), k_true.end(), s) != k_true.end()) {
      return true;
    }
    if (std::find(k_false.begin(), k_false.end(), s) != k_false.end()) {
      return false;
    }
  }
  fail(value_line(e), path, "expected true or false, got " + describe(e.value));
}

std::string Loader::name_value(const Entry &e, const std::string &path,
                               std::string_view what) const {
  std::string name = string_value(e, path);
  if (auto problem = name_problem(name)) {
    fail(value_line(e), path,
         "invalid " + std::string(what) + " name " + quote(name) + ": " + *problem);
  }
  return name;
}

std::string Loader::ref_value(const Entry &e, const std::string &path,
                              std::string_view what) const {
  std::string value = string_value(e, path);
  if (value.empty()) {
    fail(value_line(e), path, "must not be empty (leave the key out to use the default)");
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = value.find('/', start);
    const std::string component = value.substr(start, slash - start);
    if (auto problem = name_problem(component)) {
      fail(value_line(e), path,
           "invalid " + std::string(what) + " " + quote(value) + ": " +
               (component.empty() ? std::string("must not contain empty '/'-separated parts")
                                  : "the part " + quote(component) + " " + *problem));
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  if (value == "HEAD") {
    fail(value_line(e), path, "invalid " + std::string(what) + " \"HEAD\"");
  }
  return value;
}

std::string Loader::identity_value(const Entry &e, const std::string &path) const {
  std::string value = string_value(e, path);
  if (value.empty()) {
    fail(value_line(e), path, "must not be empty (leave the key out to use the default)");
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '<' || c == '>' || u < 0x20 || u == 0x7f) {
      fail(value_line(e), path,
           "must not contain '<', '>' or control characters, got " + quote(value));
    }
  }
  return value;
}

void Loader::check_tabs(std::string_view text) const {
  int line = 1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    bool tab = false;
    std::size_t i = pos;
    for (; i < end && (text[i] == ' ' || text[i] == '\t'); ++i) {
      tab = tab || text[i] == '\t';
    }
    // A tab before content is indentation, which YAML forbids; yaml-cpp's own message for it
    // ("illegal map value" and the like) does not say so. Tabs on blank and comment lines are
    // left to the parser, which accepts some of them.
    if (tab && i < end && text[i] != '#' && text[i] != '\r') {
      fail(line, "", k_tab_message);
    }
    ++line;
    pos = end + 1;
  }
}

void Loader::load(std::string_view text) {
  check_tabs(text);
  DocumentScan scan;
  YAML::Node root;
  try {
    scan = scan_documents(text);
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception &e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    if (line > 0 && starts_with_tab(text, line)) {
      fail(line, "", k_tab_message);
    }
    fail(line, "", "invalid YAML: " + e.msg);
  }
  if (scan.stuck_line > 0) {
    fail(scan.stuck_line, "", "invalid YAML: unexpected " + quote(scan.stuck_text));
  }
  const bool blank = std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  });
  if (scan.documents == 0 || root.IsNull()) {
    fail(0, "",
         blank ? "the file is empty; it needs at least an \"environments\" list (see "
                 "gitops-promotion.yaml.example)"
               : "the file has no settings (only comments or an empty document); it needs at "
                 "least an \"environments\" list (see gitops-promotion.yaml.example)");
  }
  if (scan.documents > 1) {
    warn(scan.second_line, "only the first YAML document is read; " +
                               std::to_string(scan.documents - 1) + " more ignored");
  }
  if (!root.IsMap()) {
    fail(line_of(root), "",
         "expected a mapping of settings at the top level, got " + describe(root));
  }
  const MapView top = read_map(root, line_of(root), "", k_top_keys);

  read_environments(top);
  if (const Entry *e = top.find("prflow")) {
    read_prflow(*e);
  }
  if (const Entry *e = top.find("status_timeout_minutes")) {
    read_status_timeout(*e);
  }
  if (const Entry *e = top.find("groups")) {
    read_groups(*e);
  }
  if (const Entry *e = top.find("base_branch"); e != nullptr && !e->value.IsNull()) {
    m_config.base_branch = ref_value(*e, "base_branch", "branch name");
  }
  if (const Entry *e = top.find("remote"); e != nullptr && !e->value.IsNull()) {
    m_config.remote = ref_value(*e, "remote", "remote name");
  }
  if (const Entry *e = top.find("commit")) {
    read_commit(*e);
  }
  if (const Entry *e = top.find("status")) {
    read_status(*e);
  }
  if (const Entry *e = top.find("merge_method")) {
    read_merge_method(*e);
  }
  if (m_config.poll_interval > m_config.status_timeout) {
    const Entry *e = top.find("status");
    warn(e != nullptr ? line_of(e->key_node) : 0,
         "status.poll_interval (" + std::to_string(m_config.poll_interval.count()) +
             "s) is longer than status_timeout_minutes (" +
             std::to_string(m_config.status_timeout.count()) +
             "s): the status gate checks only once");
  }
}

void Loader::read_environments(const MapView &top) {
  const Entry *e = top.find("environments");
  if (e == nullptr) {
    fail_missing(top, "environments", "environments list cannot be empty");
  }
  const int line = value_line(*e);
  if (e->value.IsNull() || (e->value.IsSequence() && e->value.size() == 0)) {
    fail(line, "", "environments list cannot be empty");
  }
  if (!e->value.IsSequence()) {
    fail(line, "environments",
         "expected a list of environments (`- name: dev`), got " + describe(e->value));
  }
  std::unordered_map<std::string, std::pair<std::size_t, int>> seen;
  std::size_t index = 0;
  for (const auto &item : e->value) {
    const std::string path = "environments[" + std::to_string(index) + "]";
    const int item_line = line_of(item) > 0 ? line_of(item) : line;
    if (!item.IsMap()) {
      fail(item_line, path, "expected a mapping with \"name\" and \"auto\", got " + describe(item));
    }
    const MapView env = read_map(item, item_line, path, k_environment_keys);
    const Entry *name = env.find("name");
    if (name == nullptr) {
      fail_missing(env, "name");
    }
    Environment environment;
    environment.name = name_value(*name, path + ".name", "environment");
    if (auto [first, inserted] =
            seen.emplace(environment.name, std::make_pair(index, value_line(*name)));
        !inserted) {
      fail(value_line(*name), path + ".name",
           "duplicate environment name " + quote(environment.name) + " (also environments[" +
               std::to_string(first->second.first) + "] on line " +
               std::to_string(first->second.second) + ")");
    }
    if (const Entry *automated = env.find("auto")) {
      environment.automated = bool_value(*automated, path + ".auto");
    }
    m_config.environments.push_back(std::move(environment));
    ++index;
  }
}

void Loader::read_prflow(const Entry &e) {
  const std::string value = string_value(e, "prflow");
  if (value.empty() || value == "per-app") {
    m_config.prflow = PrFlow::per_app;
  } else if (value == "per-env") {
    m_config.prflow = PrFlow::per_env;
  } else {
    fail(value_line(e), "prflow",
         "invalid prflow value: " + value + " (expected per-app or per-env)");
  }
}

void Loader::read_status_timeout(const Entry &e) {
  const std::string path = "status_timeout_minutes";
  if (e.value.IsNull()) {
    return; // upstream: zero means the default
  }
  const std::string value = string_value(e, path);
  if (value.starts_with('-') && parse_duration(std::string_view(value).substr(1))) {
    fail(value_line(e), path, "must be greater than zero, got " + quote(value));
  }
  const auto parsed = parse_duration(value);
  if (!parsed) {
    fail(value_line(e), path,
         "expected a number of minutes or a duration like 90s, 10m or 1h30m, got " + quote(value));
  }
  if (parsed->count() == 0) {
    return; // `0` / `0s`: not set, so the default, as upstream read it
  }
  m_config.status_timeout = *parsed;
}

void Loader::read_groups(const Entry &e) {
  const MapView groups = read_map(e.value, value_line(e), "groups", {});
  for (const auto &g : groups.entries) {
    const std::string group_path = child_path("groups", g.key);
    if (auto problem = name_problem(g.key)) {
      fail(line_of(g.key_node), group_path, "invalid group name " + quote(g.key) + ": " + *problem);
    }
    Group group;
    const MapView group_map = read_map(g.value, value_line(g), group_path, k_group_keys);
    if (const Entry *apps = group_map.find("applications")) {
      const std::string apps_path = child_path(group_path, "applications");
      const MapView app_map = read_map(apps->value, value_line(*apps), apps_path, {});
      for (const auto &a : app_map.entries) {
        const std::string app_path = child_path(apps_path, a.key);
        if (auto problem = name_problem(a.key)) {
          fail(line_of(a.key_node), app_path, "invalid app name " + quote(a.key) + ": " + *problem);
        }
        Application application;
        const MapView fields = read_map(a.value, value_line(a), app_path, k_application_keys);
        if (const Entry *overwrite = fields.find("featureOverwrite")) {
          application.feature_overwrite =
              bool_value(*overwrite, child_path(app_path, "featureOverwrite"));
        }
        if (const Entry *selector = fields.find("featureLabelSelector")) {
          const std::string selector_path = child_path(app_path, "featureLabelSelector");
          const MapView labels =
              read_map(selector->value, value_line(*selector), selector_path, {});
          for (const auto &label : labels.entries) {
            application.feature_label_selector[label.key] =
                string_value(label, child_path(selector_path, label.key));
          }
        }
        group.applications.emplace(a.key, std::move(application));
      }
    }
    m_config.groups.emplace(g.key, std::move(group));
  }
}

void Loader::read_commit(const Entry &e) {
  const MapView commit = read_map(e.value, value_line(e), "commit", k_commit_keys);
  if (const Entry *name = commit.find("author_name"); name != nullptr && !name->value.IsNull()) {
    m_config.author_name = identity_value(*name, "commit.author_name");
  }
  if (const Entry *email = commit.find("author_email");
      email != nullptr && !email->value.IsNull()) {
    m_config.author_email = identity_value(*email, "commit.author_email");
    if (m_config.author_email.find_first_of(" \t") != std::string::npos) {
      fail(value_line(*email), "commit.author_email",
           "must not contain whitespace, got " + quote(m_config.author_email));
    }
  }
}

void Loader::read_status(const Entry &e) {
  const MapView status = read_map(e.value, value_line(e), "status", k_status_keys);
  if (const Entry *poll = status.find("poll_interval"); poll != nullptr && !poll->value.IsNull()) {
    const std::string path = "status.poll_interval";
    const std::string value = string_value(*poll, path);
    const bool bare_number =
        !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
    const auto parsed = bare_number ? std::nullopt : parse_duration(value);
    if (!parsed) {
      fail(value_line(*poll), path,
           "expected a duration with a unit like 10s or 1m, got " + quote(value));
    }
    if (parsed->count() <= 0) {
      fail(value_line(*poll), path, "must be greater than zero, got " + quote(value));
    }
    m_config.poll_interval = *parsed;
  }
  if (const Entry *contexts = status.find("contexts");
      contexts != nullptr && !contexts->value.IsNull()) {
    const std::string path = "status.contexts";
    if (!contexts->value.IsSequence()) {
      fail(value_line(*contexts), path,
           "expected a list of context patterns, got " + describe(contexts->value));
    }
    std::size_t index = 0;
    for (const auto &item : contexts->value) {
      const std::string item_path = path + "[" + std::to_string(index++) + "]";
      const int line = line_of(item) > 0 ? line_of(item) : value_line(*contexts);
      if (!item.IsScalar() || item.Scalar().empty()) {
        fail(line, item_path, "expected a non-empty pattern, got " + describe(item));
      }
      const std::string &pattern = item.Scalar();
      for (std::size_t i = 0; i < pattern.size(); ++i) {
        const auto c = static_cast<unsigned char>(pattern[i]);
        if (c < 0x20 || c == 0x7f) {
          fail(line, item_path, "must not contain control characters, got " + quote(pattern));
        }
        if (c == '}') {
          fail(line, item_path, "unmatched '}' in " + quote(pattern));
        }
        if (c == '{') {
          const std::size_t close = pattern.find('}', i);
          if (close == std::string::npos) {
            fail(line, item_path, "unmatched '{' in " + quote(pattern));
          }
          const std::string placeholder = pattern.substr(i, close - i + 1);
          if (placeholder != "{group}" && placeholder != "{env}") {
            fail(line, item_path,
                 "unknown placeholder " + quote(placeholder) + " in " + quote(pattern) +
                     " (known: {group}, {env})");
          }
          i = close;
        }
      }
      if (pattern.find("{env}") == std::string::npos) {
        warn(line, item_path + ": pattern " + quote(pattern) +
                       " has no {env}, so it matches the health status of every environment");
      }
      m_config.status_contexts.push_back(pattern);
    }
  }
}

void Loader::read_merge_method(const Entry &e) {
  const std::string value = string_value(e, "merge_method");
  if (value.empty() || value == "merge") {
    m_config.merge_method = MergeMethod::merge;
  } else if (value == "squash") {
    m_config.merge_method = MergeMethod::squash;
  } else if (value == "rebase") {
    m_config.merge_method = MergeMethod::rebase;
  } else {
    fail(value_line(e), "merge_method",
         "invalid merge_method value: " + value + " (expected merge, squash or rebase)");
  }
}

std::string environment_list(const Config &config) {
  std::string out;
  for (const auto &env : config.environments) {
    out += (out.empty() ? "" : ", ") + env.name;
  }
  return out;
}

[[noreturn]] void unknown_environment(const Config &config, std::string_view name) {
  throw ConfigError("environment named " + std::string(name) + " does not exist (" +
                    (config.file.empty() ? std::string("the config") : config.file) + " defines " +
                    environment_list(config) + ")");
}

std::size_t environment_index(const Config &config, std::string_view name) {
  for (std::size_t i = 0; i < config.environments.size(); ++i) {
    if (config.environments[i].name == name) {
      return i;
    }
  }
  unknown_environment(config, name);
}

} // namespace

const Environment *Config::find_environment(std::string_view name) const {
  for (const auto &env : environments) {
    if (env.name == name) {
      return &env;
    }
  }
  return nullptr;
}

std::optional<Environment> Config::next_environment(std::string_view name) const {
  const std::size_t i = environment_index(*this, name);
  if (i + 1 >= environments.size()) {
    return std::nullopt;
  }
  return environments[i + 1];
}

std::optional<Environment> Config::previous_environment(std::string_view name) const {
  const std::size_t i = environment_index(*this, name);
  if (i == 0) {
    return std::nullopt;
  }
  return environments[i - 1];
}

const Application &Config::application(std::string_view group, std::string_view app) const {
  const auto g = groups.find(std::string(group));
  if (g == groups.end()) {
    throw ConfigError("configuration does not contain group " + std::string(group) +
                      " (add groups." + std::string(group) + ".applications." + std::string(app) +
                      " to " + (file.empty() ? std::string(k_file_name) : file) + ")");
  }
  const auto a = g->second.applications.find(std::string(app));
  if (a == g->second.applications.end()) {
    throw ConfigError("configuration for group " + std::string(group) +
                      " does not contain application " + std::string(app) + " (add groups." +
                      std::string(group) + ".applications." + std::string(app) + " to " +
                      (file.empty() ? std::string(k_file_name) : file) + ")");
  }
  return a->second;
}

Config parse_config(std::string_view text, const std::string &file) {
  // The same limit as on disk (load_config), so a committed file cannot get around it.
  if (text.size() > k_max_file_size) {
    throw ConfigError(file + " is " + std::to_string(text.size()) +
                      " bytes; a config file larger than 1 MiB is refused");
  }
  Config config;
  config.file = file;
  Loader(config).load(text);
  return config;
}

namespace {

// Closes a file descriptor on every path out.
struct FdCloser {
  void operator()(const int *fd) const noexcept {
    if (fd != nullptr && *fd >= 0) {
      ::close(*fd);
    }
  }
};

} // namespace

Config load_config(const std::filesystem::path &root) {
  const std::filesystem::path path = root / k_file_name;
  const std::string name = path.string();
  // O_NOFOLLOW: a symbolic link is refused, never followed out of the repository (to /dev/zero, a
  // FIFO or someone's secrets); O_NONBLOCK: opening a FIFO cannot hang. What was opened is then
  // checked with fstat, so nothing can be swapped in between the check and the read.
  int raw = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (raw < 0) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      throw ConfigError(name +
                        " does not exist: --sourcedir must point at the root of the GitOps "
                        "repository (the directory that holds " +
                        std::string(k_file_name) + ")");
    }
    if (error == ELOOP) {
      throw ConfigError(name + " is a symbolic link; " + std::string(k_file_name) +
                        " must be a regular file in the repository (links are not followed)");
    }
    throw ConfigError("cannot read " + name + ": " + std::strerror(error));
  }
  const std::unique_ptr<const int, FdCloser> fd(&raw);
  struct stat st {};
  if (::fstat(raw, &st) != 0) {
    throw ConfigError("cannot read " + name + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    throw ConfigError(name + " is a directory, not a config file");
  }
  if (!S_ISREG(st.st_mode)) {
    throw ConfigError(name + " is not a regular file (a FIFO, socket or device); " +
                      std::string(k_file_name) + " must be a regular file in the repository");
  }
  if (static_cast<std::uintmax_t>(st.st_size) > k_max_file_size) {
    throw ConfigError(name + " is " + std::to_string(st.st_size) +
                      " bytes; a config file larger than 1 MiB is refused");
  }
  // Read at most one byte past the limit: a file that grows while it is read is still bounded.
  std::string text;
  std::array<char, 65536> chunk{};
  while (text.size() <= k_max_file_size) {
    const ssize_t got = ::read(raw, chunk.data(), chunk.size());
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw ConfigError("cannot read " + name + ": " + std::strerror(errno));
    }
    if (got == 0) {
      break;
    }
    text.append(chunk.data(), static_cast<std::size_t>(got));
  }
  return parse_config(text, name);
}

} // namespace gitops::config
