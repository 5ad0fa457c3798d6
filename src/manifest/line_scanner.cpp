#include "gitops/manifest/detail/line_scanner.hpp"

#include "gitops/manifest/detail/marker_comment.hpp"
#include "gitops/manifest/detail/yaml_text.hpp"

#include <cstddef>

namespace gitops::manifest::detail {

namespace {

constexpr std::size_t k_npos = std::string_view::npos;

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::size_t skip_blanks(std::string_view t, std::size_t p) {
  while (p < t.size() && is_blank(t[p])) {
    ++p;
  }
  return p;
}

bool is_candidate(std::string_view comment) {
  return mentions_imagepolicy(comment) || comment.find("io.k8s.cli.setters") != k_npos;
}

// The state of a flow collection being read; it may span lines.
struct FlowState {
  int depth = 0;
  char quote = 0;      // inside a quoted scalar: '"' or '\''
  char last = '[';     // last significant character, to tell a quote that opens a scalar
  bool inside = false; // depth > 0 after a line ended
};

// Reads flow text from `p`; returns one past the bracket that closes the outermost collection, or
// npos when the line ends first. `comment` receives the start of a comment that ends the line.
std::size_t scan_flow(std::string_view t, std::size_t p, FlowState &st, std::size_t &comment) {
  comment = k_npos;
  while (p < t.size()) {
    const char c = t[p];
    if (st.quote == '"') {
      if (c == '\\') {
        p += 2;
        continue;
      }
      if (c == '"') {
        st.quote = 0;
        st.last = '"';
      }
      ++p;
      continue;
    }
    if (st.quote == '\'') {
      if (c == '\'') {
        if (p + 1 < t.size() && t[p + 1] == '\'') {
          p += 2;
          continue;
        }
        st.quote = 0;
        st.last = '\'';
      }
      ++p;
      continue;
    }
    if (c == '#' && (p == 0 || is_blank(t[p - 1]))) {
      comment = p;
      return k_npos;
    }
    if ((c == '"' || c == '\'') &&
        (st.last == '[' || st.last == '{' || st.last == ',' || st.last == ':' || st.last == '?')) {
      st.quote = c;
    } else if (c == '[' || c == '{') {
      ++st.depth;
      st.last = c;
    } else if (c == ']' || c == '}') {
      st.last = c;
      if (--st.depth <= 0) {
        st.depth = 0;
        return p + 1;
      }
    } else if (!is_blank(c)) {
      st.last = (c == ',' || c == ':' || c == '?') ? c : 'x';
    }
    ++p;
  }
  return k_npos;
}

// One node on a line of block context, in line-relative offsets.
struct Node {
  enum class Kind {
    none,         // only properties, or nothing
    plain,        // plain scalar
    single_q,     // 'single'
    double_q,     // "double"
    alias,        // *name
    block_header, // | or >
    flow,         // [..] or {..} closed on this line
    open_single,  // 'single... continuing on the next line
    open_double,  // "double... continuing on the next line
    open_flow,    // flow collection continuing on the next line
    invalid,
  };
  Kind kind = Kind::none;
  std::size_t begin = 0;          // first property or content
  std::size_t content_begin = 0;  // scalar/collection start
  std::size_t end = 0;            // one past the content
  std::size_t tag_begin = k_npos; // tag property [tag_begin, tag_end), if any
  std::size_t tag_end = k_npos;
  int indicator = 0; // block scalar indentation indicator
  [[nodiscard]] bool is_scalar() const {
    return kind == Kind::plain || kind == Kind::single_q || kind == Kind::double_q;
  }
};

Node parse_node(std::string_view t, std::size_t p, FlowState &flow) {
  Node n;
  n.begin = p;
  while (p < t.size() && (t[p] == '!' || t[p] == '&')) {
    std::size_t q = p;
    while (q < t.size() && !is_blank(t[q])) {
      ++q;
    }
    if (t[p] == '!') {
      n.tag_begin = p;
      n.tag_end = q;
    }
    p = skip_blanks(t, q);
  }
  n.content_begin = p;
  n.end = p;
  if (p >= t.size() || (t[p] == '#' && (p == 0 || is_blank(t[p - 1])))) {
    n.end = p;
    // Properties without content end at the last property, not at the comment.
    while (n.end > n.begin && is_blank(t[n.end - 1])) {
      --n.end;
    }
    n.kind = Node::Kind::none;
    return n;
  }
  const char c = t[p];
  if (c == '*') {
    std::size_t q = p;
    while (q < t.size() && !is_blank(t[q])) {
      ++q;
    }
    n.kind = Node::Kind::alias;
    n.end = q;
    return n;
  }
  if (c == '"') {
    for (std::size_t q = p + 1; q < t.size(); ++q) {
      if (t[q] == '\\') {
        ++q;
        continue;
      }
      if (t[q] == '"') {
        n.kind = Node::Kind::double_q;
        n.end = q + 1;
        return n;
      }
    }
    n.kind = Node::Kind::open_double;
    n.end = t.size();
    return n;
  }
  if (c == '\'') {
    for (std::size_t q = p + 1; q < t.size(); ++q) {
      if (t[q] == '\'') {
        if (q + 1 < t.size() && t[q + 1] == '\'') {
          ++q;
          continue;
        }
        n.kind = Node::Kind::single_q;
        n.end = q + 1;
        return n;
      }
    }
    n.kind = Node::Kind::open_single;
    n.end = t.size();
    return n;
  }
  if (c == '|' || c == '>') {
    std::size_t q = p + 1;
    for (int i = 0; i < 2 && q < t.size(); ++i, ++q) {
      if (t[q] >= '1' && t[q] <= '9') {
        n.indicator = t[q] - '0';
      } else if (t[q] != '+' && t[q] != '-') {
        break;
      }
    }
    n.kind = (q == t.size() || is_blank(t[q])) ? Node::Kind::block_header : Node::Kind::invalid;
    n.end = q;
    return n;
  }
  if (c == '[' || c == '{') {
    flow = FlowState{};
    flow.depth = 0;
    std::size_t comment = k_npos;
    const std::size_t end = scan_flow(t, p, flow, comment);
    if (end == k_npos) {
      n.kind = Node::Kind::open_flow;
      n.end = comment == k_npos ? t.size() : comment;
      flow.inside = true;
      return n;
    }
    n.kind = Node::Kind::flow;
    n.end = end;
    return n;
  }
  if (c == ']' || c == '}' || c == ',' || c == '%' || c == '@' || c == '`') {
    n.kind = Node::Kind::invalid;
    n.end = t.size();
    return n;
  }
  std::size_t last = p;
  for (std::size_t q = p; q < t.size(); ++q) {
    const char d = t[q];
    if (d == ':' && (q + 1 == t.size() || is_blank(t[q + 1]))) {
      break;
    }
    if (d == '#' && q > p && is_blank(t[q - 1])) {
      break;
    }
    if (d == '\r') {
      n.kind = Node::Kind::invalid; // a lone CR is a line break to YAML; do not guess
      n.end = t.size();
      return n;
    }
    if (!is_blank(d)) {
      last = q + 1;
    }
  }
  n.kind = Node::Kind::plain;
  n.end = last;
  return n;
}

// A mapping key as written (quotes included); decoded only when a site needs it.
struct RawKey {
  int column = 0;
  std::string_view text;
  char quote = 0;
};

std::string decode_key(const RawKey &key) {
  if (key.quote == '"') {
    return decode_double_quoted(key.text).value_or(std::string(key.text));
  }
  if (key.quote == '\'') {
    return decode_single_quoted(key.text);
  }
  return std::string(key.text);
}

// The `- ` indicators that open a line, without allocating.
struct Dashes {
  std::size_t count = 0;
  std::size_t first = 0;
  std::size_t last = 0;
  void push_back(std::size_t column) {
    first = count == 0 ? column : first;
    last = column;
    ++count;
  }
  [[nodiscard]] bool empty() const { return count == 0; }
  [[nodiscard]] std::size_t size() const { return count; }
  [[nodiscard]] std::size_t front() const { return first; }
  [[nodiscard]] std::size_t back() const { return last; }
};

class Scanner {
public:
  explicit Scanner(std::string_view content) : m_content(content) {}

  std::vector<MarkerSite> run() {
    std::size_t offset = bom_length(m_content);
    int number = 0;
    while (offset <= m_content.size()) {
      const std::size_t nl = m_content.find('\n', offset);
      const std::size_t stop = nl == k_npos ? m_content.size() : nl;
      std::string_view text = m_content.substr(offset, stop - offset);
      if (!text.empty() && text.back() == '\r') {
        text.remove_suffix(1);
      }
      ++number;
      m_line = text;
      m_offset = offset;
      m_number = number;
      line();
      if (nl == k_npos) {
        break;
      }
      offset = nl + 1;
    }
    flush_pending(Place::head_detached);
    return std::move(m_sites);
  }

private:
  enum class Mode { block, block_scalar, quoted, flow, plain };

  struct Pending {
    MarkerSite site;
    bool after_comment = false;
  };

  void line() {
    switch (m_mode) {
    case Mode::block_scalar:
      if (block_scalar_line()) {
        return;
      }
      break;
    case Mode::quoted:
      quoted_line();
      return;
    case Mode::flow:
      flow_line();
      return;
    case Mode::plain:
      if (plain_line()) {
        return;
      }
      break;
    case Mode::block:
      break;
    }
    m_mode = Mode::block;
    block_line();
  }

  [[nodiscard]] bool is_document_marker() const {
    return m_line.size() >= 3 && (m_line.starts_with("---") || m_line.starts_with("...")) &&
           (m_line.size() == 3 || is_blank(m_line[3]));
  }

  [[nodiscard]] std::size_t indent() const {
    std::size_t i = 0;
    while (i < m_line.size() && m_line[i] == ' ') {
      ++i;
    }
    return i;
  }

  [[nodiscard]] bool is_blank_line() const { return skip_blanks(m_line, 0) == m_line.size(); }

  MarkerSite make_site(std::size_t comment_pos, Place place) const {
    MarkerSite site;
    site.line = m_number;
    site.value_line = m_number;
    site.column = static_cast<int>(comment_pos);
    site.comment = std::string(m_line.substr(comment_pos));
    site.place = place;
    site.document = m_document;
    return site;
  }

  // Records the comment at `pos` as a site when it looks like a marker.
  void add_site(std::size_t pos, Place place) {
    if (pos < m_line.size() && is_candidate(m_line.substr(pos))) {
      m_sites.push_back(make_site(pos, place));
    }
  }

  // The comment start in a plain-text line (a '#' at the start or after a blank), or npos.
  [[nodiscard]] std::size_t plain_comment(std::size_t from) const {
    for (std::size_t p = from; p < m_line.size(); ++p) {
      if (m_line[p] == '#' && (p == 0 || is_blank(m_line[p - 1]))) {
        return p;
      }
    }
    return k_npos;
  }

  void flush_pending(Place place) {
    if (m_pending) {
      m_pending->site.place = place;
      m_sites.push_back(std::move(m_pending->site));
      m_pending.reset();
    }
  }

  void reset_document() {
    flush_pending(Place::head_detached);
    m_mode = Mode::block;
    m_keys.clear();
    m_prev_comment = false;
  }

  bool block_scalar_line() {
    if (is_blank_line()) {
      return true;
    }
    const auto ind = static_cast<int>(indent());
    if (ind == 0 && is_document_marker()) {
      return false;
    }
    if (m_content_indent < 0) {
      if (ind <= m_parent_indent) {
        return false;
      }
      m_content_indent = ind;
    }
    if (ind < m_content_indent) {
      return false;
    }
    if (mentions_imagepolicy(m_line)) {
      // Text, not a comment: report it from the '#' before the JSON, if any.
      const std::size_t brace = m_line.find('{');
      const std::size_t hash = brace == k_npos ? k_npos : m_line.rfind('#', brace);
      const std::size_t from = hash == k_npos ? static_cast<std::size_t>(ind) : hash;
      m_sites.push_back(make_site(from, Place::block_scalar_text));
    }
    return true;
  }

  void quoted_line() {
    if (is_document_marker()) {
      reset_document();
      block_line();
      return;
    }
    std::size_t close = k_npos;
    for (std::size_t q = 0; q < m_line.size(); ++q) {
      if (m_quote == '"' && m_line[q] == '\\') {
        ++q;
        continue;
      }
      if (m_line[q] == m_quote) {
        if (m_quote == '\'' && q + 1 < m_line.size() && m_line[q + 1] == '\'') {
          ++q;
          continue;
        }
        close = q;
        break;
      }
    }
    if (close == k_npos) {
      return;
    }
    m_mode = Mode::block;
    const std::size_t q = skip_blanks(m_line, close + 1);
    if (q < m_line.size() && m_line[q] == '#' && q > close + 1) {
      add_site(q, Place::multi_line_scalar);
    }
  }

  void flow_line() {
    if (is_document_marker()) {
      reset_document();
      block_line();
      return;
    }
    std::size_t comment = k_npos;
    const std::size_t end = scan_flow(m_line, 0, m_flow, comment);
    if (end == k_npos) {
      if (comment != k_npos) {
        add_site(comment, Place::flow_multi_line);
      }
      return;
    }
    m_mode = Mode::block;
    const std::size_t q = skip_blanks(m_line, end);
    if (q < m_line.size() && m_line[q] == '#') {
      add_site(q, Place::flow_multi_line);
    }
  }

  bool plain_line() {
    if (is_blank_line()) {
      return true;
    }
    const std::size_t ind = indent();
    if (m_line[ind] == '#' || (ind == 0 && is_document_marker()) ||
        static_cast<int>(ind) <= m_plain_parent) {
      return false;
    }
    const std::size_t comment = plain_comment(ind);
    if (comment != k_npos) {
      add_site(comment, Place::multi_line_scalar);
      m_mode = Mode::block;
    }
    return true;
  }

  void comment_line(std::size_t pos) {
    if (m_pending) {
      m_pending->after_comment = true;
      flush_pending(Place::head_not_single);
    }
    if (is_candidate(m_line.substr(pos))) {
      m_pending = Pending{make_site(pos, Place::head_detached), m_prev_comment};
    }
    m_prev_comment = true;
  }

  void pop_keys(int column, bool inclusive) {
    while (!m_keys.empty() &&
           (inclusive ? m_keys.back().column >= column : m_keys.back().column > column)) {
      m_keys.pop_back();
    }
  }

  [[nodiscard]] std::string key_at(std::size_t index) const {
    return index < m_keys.size() ? decode_key(m_keys[index]) : std::string();
  }

  void block_line() {
    const std::string_view t = m_line;
    const std::size_t ind = indent();
    std::size_t p = ind;
    if (is_blank_line()) {
      flush_pending(Place::head_detached);
      m_prev_comment = false;
      return;
    }
    if (t[p] == '\t') {
      p = skip_blanks(t, p);
      if (t[p] == '#') {
        comment_line(p);
        return;
      }
      flush_pending(Place::head_detached);
      m_prev_comment = false;
      const std::size_t c = plain_comment(p);
      if (c != k_npos) {
        add_site(c, Place::unreadable);
      }
      return;
    }
    if (t[p] == '#') {
      comment_line(p);
      return;
    }
    if (ind == 0 && is_document_marker()) {
      const bool start = t[0] == '-';
      reset_document();
      if (!start) {
        return;
      }
      ++m_document;
      p = skip_blanks(t, 3);
      if (p >= t.size()) {
        return;
      }
      if (t[p] == '#') {
        add_site(p, Place::bare_scalar);
        return;
      }
      value_on_line(p, -1, std::nullopt, {});
      return;
    }
    if (ind == 0 && t[0] == '%') {
      return; // a directive
    }
    std::optional<Pending> pending = std::move(m_pending);
    m_pending.reset();
    m_prev_comment = false;

    Dashes dashes;
    while (p < t.size() && t[p] == '-' && (p + 1 == t.size() || is_blank(t[p + 1]))) {
      dashes.push_back(p);
      p = skip_blanks(t, p + 1);
    }
    if (!dashes.empty()) {
      pop_keys(static_cast<int>(dashes.front()), false);
    }
    const auto resolve_head = [&](Place place) {
      if (pending) {
        pending->site.place = pending->after_comment ? Place::head_not_single : place;
        m_sites.push_back(std::move(pending->site));
        pending.reset();
      }
    };
    if (p >= t.size()) {
      resolve_head(Place::head_detached);
      return;
    }
    if (t[p] == '#') {
      resolve_head(Place::head_detached);
      add_site(p, dashes.empty() ? Place::bare_scalar : Place::empty_item);
      return;
    }
    if ((t[p] == '?' || t[p] == ':') && (p + 1 == t.size() || is_blank(t[p + 1]))) {
      resolve_head(Place::head_detached);
      const std::size_t c = plain_comment(p + 1);
      if (c != k_npos) {
        add_site(c, Place::complex_key);
      }
      m_mode = Mode::block;
      return;
    }
    value_on_line(p, dashes.empty() ? static_cast<int>(ind) - 1 : static_cast<int>(dashes.back()),
                  std::move(pending), dashes);
  }

  // Reads `[key:] value [# comment]` from `p`; `parent` is the indentation the value's lines must
  // exceed when no key is on the line.
  void value_on_line(std::size_t p, int parent, std::optional<Pending> pending,
                     const Dashes &dashes) {
    const std::string_view t = m_line;
    Node node = parse_node(t, p, m_flow);
    std::size_t q = skip_blanks(t, node.end);
    bool has_key = false;
    std::size_t parent_index = m_keys.size() - 1; // npos when empty
    std::size_t key_index = k_npos;
    bool garbage = node.kind == Node::Kind::invalid;
    std::size_t comment = k_npos;

    if ((node.is_scalar() || node.kind == Node::Kind::alias || node.kind == Node::Kind::flow) &&
        q < t.size() && t[q] == ':' && (q + 1 == t.size() || is_blank(t[q + 1]))) {
      has_key = true;
      const auto key_col = static_cast<int>(node.begin);
      pop_keys(key_col, true);
      parent_index = m_keys.size() - 1;
      key_index = m_keys.size();
      const char quote = node.kind == Node::Kind::double_q   ? '"'
                         : node.kind == Node::Kind::single_q ? '\''
                                                             : 0;
      m_keys.push_back(
          RawKey{key_col, t.substr(node.content_begin, node.end - node.content_begin), quote});
      parent = key_col;
      p = skip_blanks(t, q + 1);
      node = parse_node(t, p, m_flow);
      q = skip_blanks(t, node.end);
      if (node.kind == Node::Kind::invalid || (node.is_scalar() && q < t.size() && t[q] == ':' &&
                                               (q + 1 == t.size() || is_blank(t[q + 1])))) {
        garbage = true;
      }
    }
    const bool open = node.kind == Node::Kind::open_double ||
                      node.kind == Node::Kind::open_single || node.kind == Node::Kind::open_flow;
    if (node.kind == Node::Kind::none) {
      q = node.end;
      const std::size_t c = skip_blanks(t, q);
      if (c < t.size() && t[c] == '#') {
        comment = c;
      } else if (c < t.size()) {
        garbage = true;
      }
    } else if (!open && q < t.size()) {
      if (t[q] == '#' && q > node.end) {
        comment = q;
      } else {
        garbage = true;
        comment = plain_comment(q);
      }
    }

    // The comment on this line.
    Place place = Place::unreadable;
    if (garbage) {
      place = Place::unreadable;
    } else if (node.kind == Node::Kind::none) {
      place = has_key ? Place::key_only : (dashes.empty() ? Place::bare_scalar : Place::empty_item);
    } else if (node.is_scalar()) {
      place = has_key           ? Place::mapping_value
              : !dashes.empty() ? Place::sequence_item
                                : Place::bare_scalar;
    } else if (node.kind == Node::Kind::alias) {
      place = Place::alias;
    } else if (node.kind == Node::Kind::block_header) {
      place = Place::block_scalar_header;
    } else if (node.kind == Node::Kind::flow) {
      place = Place::flow;
    }
    const bool candidate = comment != k_npos && is_candidate(t.substr(comment));
    std::optional<ScalarToken> token;
    if (!garbage && node.is_scalar() && (candidate || pending)) {
      token = make_token(node);
    }
    if (candidate) {
      MarkerSite site = make_site(comment, place);
      site.key = key_at(key_index);
      site.parent_key = key_at(parent_index);
      if (place == Place::mapping_value || place == Place::sequence_item) {
        site.scalar = token;
      }
      m_sites.push_back(std::move(site));
    }

    // A marker alone on the line above.
    if (pending) {
      Place head = Place::head_detached;
      if (pending->after_comment) {
        head = Place::head_not_single;
      } else if (garbage) {
        head = Place::head_detached;
      } else if (dashes.size() == 1 && !has_key && !garbage && node.is_scalar()) {
        head = static_cast<int>(dashes.front()) == pending->site.column ? Place::head_sequence_item
                                                                        : Place::head_misaligned;
      } else if (!dashes.empty()) {
        head = Place::head_collection_item;
      } else if (has_key) {
        head = Place::head_mapping_value;
      }
      MarkerSite site = std::move(pending->site);
      site.place = head;
      site.value_line = m_number;
      site.key = key_at(key_index);
      site.parent_key = key_at(parent_index);
      if (head == Place::head_sequence_item) {
        site.scalar = token;
        site.item_comment = comment == k_npos ? std::string() : std::string(t.substr(comment));
      }
      m_sites.push_back(std::move(site));
    }

    // What the following lines are.
    if (garbage) {
      return;
    }
    if (node.kind == Node::Kind::block_header) {
      m_mode = Mode::block_scalar;
      m_parent_indent = parent;
      m_content_indent = node.indicator > 0 ? parent + node.indicator : -1;
      if (m_content_indent < 0 && node.indicator > 0) {
        m_content_indent = 0;
      }
    } else if (node.kind == Node::Kind::plain && comment == k_npos) {
      m_mode = Mode::plain;
      m_plain_parent = parent;
    } else if (node.kind == Node::Kind::open_double || node.kind == Node::Kind::open_single) {
      m_mode = Mode::quoted;
      m_quote = node.kind == Node::Kind::open_double ? '"' : '\'';
    } else if (node.kind == Node::Kind::open_flow) {
      m_mode = Mode::flow;
      if (node.end < t.size()) {
        add_site(node.end, Place::flow_multi_line);
      }
    }
  }

  [[nodiscard]] ScalarToken make_token(const Node &node) const {
    ScalarToken token;
    token.node_begin = m_offset + node.begin;
    token.value_begin = m_offset + node.content_begin;
    token.value_end = m_offset + node.end;
    if (node.tag_begin != k_npos) {
      token.tag = std::make_pair(m_offset + node.tag_begin, m_offset + node.tag_end);
      token.tag_text = std::string(m_line.substr(node.tag_begin, node.tag_end - node.tag_begin));
    }
    const std::string_view text = m_line.substr(node.content_begin, node.end - node.content_begin);
    switch (node.kind) {
    case Node::Kind::single_q:
      token.style = ScalarStyle::single_quoted;
      token.value = decode_single_quoted(text);
      break;
    case Node::Kind::double_q:
      token.style = ScalarStyle::double_quoted;
      token.value = decode_double_quoted(text);
      break;
    default:
      token.style = ScalarStyle::plain;
      token.value = std::string(text);
      break;
    }
    return token;
  }

  std::string_view m_content;
  std::string_view m_line;
  std::size_t m_offset = 0;
  int m_number = 0;
  int m_document = 0;

  Mode m_mode = Mode::block;
  int m_parent_indent = -1;
  int m_content_indent = -1;
  char m_quote = 0;
  FlowState m_flow;
  int m_plain_parent = -1;

  std::optional<Pending> m_pending;
  bool m_prev_comment = false;
  std::vector<RawKey> m_keys;
  std::vector<MarkerSite> m_sites;
};

} // namespace

std::size_t bom_length(std::string_view content) {
  return content.starts_with("\xEF\xBB\xBF") ? 3 : 0;
}

std::vector<MarkerSite> find_marker_sites(std::string_view content) {
  return Scanner(content).run();
}

} // namespace gitops::manifest::detail
