#include "gitops/manifest/detail/marker_comment.hpp"
#include "gitops/manifest/detail/yaml_text.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

namespace gitops::manifest::detail {
namespace {

TEST(YamlText, NonStringPlainScalars) {
  for (const char *s : {"",
                        "~",
                        "null",
                        "Null",
                        "NULL",
                        "y",
                        "Y",
                        "yes",
                        "Yes",
                        "YES",
                        "n",
                        "N",
                        "no",
                        "No",
                        "NO",
                        "true",
                        "True",
                        "TRUE",
                        "false",
                        "False",
                        "FALSE",
                        "on",
                        "On",
                        "ON",
                        "off",
                        "Off",
                        "OFF",
                        "=",
                        "<<",
                        "0",
                        "1234",
                        "-12",
                        "+12",
                        "1_000",
                        "017",
                        "0o17",
                        "0O17",
                        "0x1F",
                        "0X1f",
                        "0b1010",
                        "0x_1F",
                        "1.5",
                        "1.",
                        ".5",
                        "-.5",
                        "1e3",
                        "1E3",
                        "0e5",
                        "1e+3",
                        "1.5e-3",
                        "6.8523015e+5",
                        "685.230_15e+03",
                        ".inf",
                        "-.inf",
                        "+.Inf",
                        ".INF",
                        ".nan",
                        ".NaN",
                        ".NAN",
                        "inf",
                        "-inf",
                        "+Infinity",
                        "nan",
                        "NaN",
                        "0x1p-2",
                        "0x1.8P3",
                        "12:30",
                        "190:20:30",
                        "1:2:3",
                        "190:20:30.15",
                        "2001-12-14",
                        "2001-1-1",
                        "2001-12-14t21:59:43.10-05:00",
                        "2001-12-14 21:59:43.10 -5",
                        "2001-12-15T02:59:43.1Z"}) {
    EXPECT_TRUE(is_non_string_plain(s)) << s;
    EXPECT_FALSE(is_safe_plain(s)) << s;
  }
  for (const char *s : {"v1.0.1",  "1.0.0",       "1.2.3-rc1", "latest",   "e5",
                        "1e",      "1e+",         "0x",        "0xZZ",     "0b2",
                        "0o8",     "12:60",       "12:3a",     "1:",       "2001-12-14-1",
                        "2001-12", "20011-12-14", "yesterday", "nope",     "onion",
                        "+",       "-",           ".",         "..",       "1..2",
                        "1.2.3e4", "sha256:abc",  "a=b",       "infinite", "nano"}) {
    EXPECT_FALSE(is_non_string_plain(s)) << s;
  }
}

TEST(YamlText, SafePlain) {
  for (const char *s : {"v1.0.1", "ghcr.io/org/app:1.0", "localhost:5000/a", "sha256:abc", "a#b",
                        "a:b", "it's", "say \"hi\"", "a b", "x-y", "a!b", "a&b"}) {
    EXPECT_TRUE(is_safe_plain(s)) << s;
  }
  for (const char *s :
       {"",    "-x",   "?x",   ":x",    ",x",  "[x",   "]x",    "{x",          "}x",
        "#x",  "&x",   "*x",   "!x",    "|x",  ">x",   "'x",    "\"x",         "%x",
        "@x",  "`x",   "a: b", "a:\tb", "a:",  "a #b", "a\t#b", " a",          "a ",
        "\ta", "a\nb", "a\tb", "a,b",   "a[b", "a{b",  "...x",  "caf\xC3\xA9", "\x7F"}) {
    EXPECT_FALSE(is_safe_plain(s)) << s;
  }
}

TEST(YamlText, QuotingReadsBack) {
  for (const std::string &s :
       {std::string("plain"), std::string("a\"b"), std::string("a\\b"), std::string("it's"),
        std::string("tab\there"), std::string("new\nline"), std::string("bell\x07"),
        std::string("a: b # c"), std::string("caf\xC3\xA9"), std::string(), std::string("1234"),
        std::string("del\x7F")}) {
    SCOPED_TRACE(s);
    const std::string dq = double_quoted(s);
    EXPECT_EQ(YAML::Load("k: " + dq)["k"].as<std::string>(), s);
    EXPECT_EQ(decode_double_quoted(dq), s);
    if (const auto sq = single_quoted(s)) {
      EXPECT_EQ(YAML::Load("k: " + *sq)["k"].as<std::string>(), s);
      EXPECT_EQ(decode_single_quoted(*sq), s);
    }
  }
  EXPECT_EQ(double_quoted("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(single_quoted("it's"), "'it''s'");
  EXPECT_FALSE(single_quoted("a\nb").has_value());
}

TEST(YamlText, DecodesDoubleQuotedEscapes) {
  EXPECT_EQ(decode_double_quoted(R"("a\tb\n\\\"\/\x41\u00e9\U0001F600\ \_\N\0")"),
            std::string("a\tb\n\\\"/A\xC3\xA9\xF0\x9F\x98\x80 \xC2\xA0\xC2\x85") +
                std::string(1, '\0'));
  EXPECT_FALSE(decode_double_quoted(R"("\q")").has_value());
  EXPECT_FALSE(decode_double_quoted(R"("\x4")").has_value());
  EXPECT_FALSE(decode_double_quoted(R"("\u12")").has_value());
  EXPECT_FALSE(decode_double_quoted(R"("\U00110000")").has_value());
  EXPECT_FALSE(decode_double_quoted(R"("abc\")").has_value());
  EXPECT_FALSE(decode_double_quoted("no quotes").has_value());
  EXPECT_EQ(decode_single_quoted("'a''b'''"), "a'b'");
  EXPECT_EQ(decode_single_quoted("''"), "");
}

TEST(YamlText, ReadsMarkerComments) {
  struct Case {
    std::string comment;
    CommentKind kind;
    std::string setter_or_problem;
  };
  for (const auto &c : {
           Case{R"(# {"$imagepolicy": "g:a"})", CommentKind::marker, "g:a"},
           Case{R"(## {"$imagepolicy": "g:a:tag"})", CommentKind::marker, "g:a:tag"},
           Case{R"(#{"$imagepolicy":"g:a"}   )", CommentKind::marker, "g:a"},
           Case{R"(# {"x": "1", "$imagepolicy": "g:a", "y": ""})", CommentKind::marker, "g:a"},
           Case{R"(# {"$imagepolicy": "g:a", "$imagepolicy": "g:b"})", CommentKind::marker, "g:b"},
           Case{R"(# {"\u0024imagepolicy": "g:\u0061"})", CommentKind::marker, "g:a"},
           Case{R"(# {"$ref": "#/definitions/io.k8s.cli.setters.g:a:tag"})", CommentKind::marker,
                "g:a:tag"},
           Case{R"(# {"$imagepolicy": "g:a"} # later)", CommentKind::malformed, "text after"},
           Case{R"(# {"$imagepolicy": "g:a"} {})", CommentKind::malformed, "text after"},
           Case{R"(# {'$imagepolicy': 'g:a'})", CommentKind::malformed, "single quotes"},
           Case{R"(# {"$imagepolicy": 'g:a'})", CommentKind::malformed, "single quotes"},
           Case{R"(# {"$imagepolicy": 1})", CommentKind::malformed, "not a string"},
           Case{R"(# {"$imagepolicy": null})", CommentKind::malformed, "not a string"},
           Case{R"(# {"$imagepolicy": ["g:a"]})", CommentKind::malformed, "not a string"},
           Case{R"(# {"$imagepolicy" "g:a"})", CommentKind::malformed, "expected ':'"},
           Case{R"(# {"$imagepolicy": "g:a",})", CommentKind::malformed, "double quotes"},
           Case{R"(# {"$imagepolicy": "g:a")", CommentKind::malformed, "expected ',' or '}'"},
           Case{R"(# {"$imagepolicy": "g:a)", CommentKind::malformed, "unterminated"},
           Case{R"(# {"$imagepolicy": "g:\a"})", CommentKind::malformed, "bad escape"},
           Case{R"(# {"$imagepolicy": "g:\u00"})", CommentKind::malformed, "\\u"},
           Case{"# {\"$imagepolicy\": \"g:\ta\"}", CommentKind::malformed, "unterminated"},
           Case{R"(# {"imagePolicy": "g:a"})", CommentKind::malformed, "imagePolicy"},
           Case{R"(# "$imagepolicy": "g:a")", CommentKind::malformed, "not a JSON object"},
           Case{R"(# the "$imagepolicy" marker)", CommentKind::not_marker, ""},
           Case{R"(# image: x # {"$imagepolicy": "g:a"})", CommentKind::not_marker, ""},
           Case{R"(# {"note": "imagepolicy"})", CommentKind::not_marker, ""},
           Case{R"(# {"a": "b"})", CommentKind::not_marker, ""},
           Case{"#", CommentKind::not_marker, ""},
           Case{"#   ", CommentKind::not_marker, ""},
       }) {
    SCOPED_TRACE(c.comment);
    const MarkerComment r = read_marker_comment(c.comment);
    EXPECT_EQ(r.kind, c.kind);
    if (c.kind == CommentKind::marker) {
      EXPECT_EQ(r.setter, c.setter_or_problem);
    } else if (c.kind == CommentKind::malformed) {
      EXPECT_NE(r.problem.find(c.setter_or_problem), std::string::npos) << r.problem;
    }
  }
  EXPECT_TRUE(
      read_marker_comment(R"(# {"$ref": "#/definitions/io.k8s.cli.setters.g:a"})").longhand);
  EXPECT_TRUE(read_marker_comment(R"(# {"$imagepolicy": "g:a", "$ref": "x"})").both_forms);
}

TEST(YamlText, MentionsImagepolicy) {
  EXPECT_TRUE(mentions_imagepolicy("x $ImagePolicy y"));
  EXPECT_TRUE(mentions_imagepolicy("imagepolicy"));
  EXPECT_FALSE(mentions_imagepolicy("imagepolic"));
  EXPECT_FALSE(mentions_imagepolicy(""));
}

} // namespace
} // namespace gitops::manifest::detail
