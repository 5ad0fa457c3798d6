// Fuzzes image reference parsing and the OCI syntax checks.
//
// Invariants (a violation aborts):
// - parse_image_ref throws nothing but gitops::Error; what it returns has a valid name, tag and
//   digest, and str() parses back to the same reference.
// - is_valid_name agrees with name_problem.
// - Built the other way round: when the input's lines 1-3 are a valid name, tag and (optional)
//   digest, the reference made of them prints to text that parses back to the same parts.
#include "fuzz_support.hpp"

#include "gitops/manifest/image_ref.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

using gitops::fuzz::fail;
using gitops::manifest::ImageRef;

bool same(const ImageRef &a, const ImageRef &b) {
  return a.name == b.name && a.tag == b.tag && a.digest == b.digest;
}

std::string describe(const ImageRef &r) {
  return "name='" + r.name + "' tag='" + r.tag +
         "' digest=" + (r.digest ? "'" + *r.digest + "'" : "none");
}

void check_name(std::string_view name) {
  const bool valid = gitops::manifest::is_valid_name(name);
  const auto problem = gitops::manifest::name_problem(name);
  if (valid == problem.has_value()) {
    fail("is_valid_name and name_problem disagree", name);
  }
}

void check_round_trip(std::string_view text, const ImageRef &ref) {
  if (!gitops::manifest::is_valid_name(ref.name) || !gitops::manifest::is_valid_tag(ref.tag) ||
      (ref.digest && !gitops::manifest::is_valid_digest(*ref.digest))) {
    fail("parse_image_ref returned an invalid part", std::string(text) + "\n" + describe(ref));
  }
  const std::string printed = ref.str();
  ImageRef again;
  if (!gitops::fuzz::only_gitops_errors(
          "parse_image_ref(str())", [&] { again = gitops::manifest::parse_image_ref(printed); })) {
    fail("str() of a parsed reference does not parse", std::string(text) + "\n" + printed);
  }
  if (!same(ref, again)) {
    fail("str() of a parsed reference parses to other parts",
         std::string(text) + "\n" + describe(ref) + "\n" + describe(again));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text = gitops::fuzz::as_text(data, size);

  (void)gitops::manifest::is_valid_tag(text);
  (void)gitops::manifest::is_valid_digest(text);
  check_name(text);

  ImageRef ref;
  if (gitops::fuzz::only_gitops_errors("parse_image_ref",
                                       [&] { ref = gitops::manifest::parse_image_ref(text); })) {
    check_round_trip(text, ref);
  }

  // name\ntag[\ndigest]: a reference assembled from valid parts must survive str() and parsing.
  const auto nl1 = text.find('\n');
  if (nl1 == std::string_view::npos) {
    return 0;
  }
  const auto nl2 = text.find('\n', nl1 + 1);
  ImageRef built;
  built.name = std::string(text.substr(0, nl1));
  built.tag =
      std::string(text.substr(nl1 + 1, nl2 == std::string_view::npos ? nl2 : nl2 - nl1 - 1));
  if (nl2 != std::string_view::npos) {
    built.digest = std::string(text.substr(nl2 + 1));
  }
  if (!gitops::manifest::is_valid_name(built.name) || !gitops::manifest::is_valid_tag(built.tag) ||
      (built.digest && !gitops::manifest::is_valid_digest(*built.digest))) {
    return 0;
  }
  ImageRef parsed;
  if (!gitops::fuzz::only_gitops_errors(
          "parse_image_ref", [&] { parsed = gitops::manifest::parse_image_ref(built.str()); })) {
    fail("a reference made of valid parts does not parse", built.str() + "\n" + describe(built));
  }
  if (!same(built, parsed)) {
    fail("a reference made of valid parts parses to other parts",
         built.str() + "\n" + describe(built) + "\n" + describe(parsed));
  }
  return 0;
}
