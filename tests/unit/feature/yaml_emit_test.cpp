#include "gitops/manifest/yaml_emit.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace gitops::manifest {
namespace {

// Same structure, same scalars, same tags (a quoted "1" has tag "!", a plain 1 has "?").
bool same(const YAML::Node &a, const YAML::Node &b) {
  if (a.Type() != b.Type() || a.Tag() != b.Tag() || a.size() != b.size()) {
    return false;
  }
  if (a.IsScalar()) {
    return a.Scalar() == b.Scalar();
  }
  if (a.IsSequence()) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same(a[i], b[i])) {
        return false;
      }
    }
  }
  if (a.IsMap()) {
    auto i = a.begin();
    auto j = b.begin();
    for (; i != a.end(); ++i, ++j) {
      if (!same(i->first, j->first) || !same(i->second, j->second)) {
        return false;
      }
    }
  }
  return true;
}

// Whatever goes in comes back with the same meaning: scalar types, nesting, empty collections.
TEST(YamlEmit, RoundTripsMeaning) {
  const std::string text = R"(a: "1"
b: 1
c: true
d: 'yes'
e: null
f: ""
g: {}
h: []
i:
- x: "0x10"
  y: [1, "2"]
- - nested
- "multi\nline"
j: "a: b # c"
k: !!str 5
)";
  const YAML::Node in = YAML::Load(text);
  const std::string out = emit_block(in);
  const YAML::Node back = YAML::Load(out);
  EXPECT_TRUE(same(back, in)) << out;
  EXPECT_FALSE(same(YAML::Load("a: \"1\""), YAML::Load("a: 1"))); // the comparison can fail
  EXPECT_EQ(back["a"].Tag(), "!") << out;                         // still a quoted string
  EXPECT_EQ(back["b"].as<int>(), 1);
  EXPECT_EQ(back["d"].Tag(), "!") << out; // 'yes' is not YAML 1.1's true
  EXPECT_TRUE(back["e"].IsNull());
  EXPECT_EQ(back["i"][2].as<std::string>(), "multi\nline");
  EXPECT_EQ(back["k"].Tag(), "tag:yaml.org,2002:str");
  EXPECT_EQ(emit_block(YAML::Load("a:\n- 1\n")), "a:\n- 1\n"); // kustomize's sequence style
}

} // namespace
} // namespace gitops::manifest
