#pragma once

#include "gp_test_paths.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace forge_sim::test {

// A small OpenAPI 3.0 schema checker for the simulator's answers: $ref, type, nullable, enum,
// required, properties, items, allOf/anyOf/oneOf. Formats are not checked (Prism checks them in
// the contract suite); the point here is required fields, types, enums and nullability.
class OpenApiCheck {
public:
  // Loads the project's vendored copy of GitHub's trimmed description (tests/data/specs/github);
  // nullopt when it is not there.
  static std::optional<OpenApiCheck> load_github() {
    std::ifstream in(GP_SOURCE_DIR "/tests/data/specs/github/api.github.com.trimmed.json");
    if (!in) {
      return std::nullopt;
    }
    return OpenApiCheck(nlohmann::json::parse(in));
  }

  // Errors of `value` against the JSON response schema of `method path_template` with `status`;
  // one error when the spec has no such response.
  [[nodiscard]] std::vector<std::string> check_response(const std::string &path_template,
                                                        const std::string &method, int status,
                                                        const nlohmann::json &value) const {
    const auto &paths = m_spec.at("paths");
    if (!paths.contains(path_template) || !paths.at(path_template).contains(method)) {
      return {"spec has no operation " + method + " " + path_template};
    }
    const auto &responses = paths.at(path_template).at(method).at("responses");
    std::string code = std::to_string(status);
    if (!responses.contains(code)) {
      return {"spec lists no " + code + " answer for " + method + " " + path_template};
    }
    nlohmann::json response = responses.at(code);
    if (response.contains("$ref")) {
      response = resolve(response.at("$ref").get<std::string>());
    }
    if (!response.contains("content")) {
      return value.is_null() ? std::vector<std::string>{}
                             : std::vector<std::string>{"spec says no body for " + code};
    }
    std::vector<std::string> errors;
    check(response.at("content").at("application/json").at("schema"), value, "body", errors);
    return errors;
  }

  // Errors of `value` against components/schemas/<name>.
  [[nodiscard]] std::vector<std::string> check_schema(const std::string &name,
                                                      const nlohmann::json &value) const {
    std::vector<std::string> errors;
    check(m_spec.at("components").at("schemas").at(name), value, name, errors);
    return errors;
  }

private:
  explicit OpenApiCheck(nlohmann::json spec) : m_spec(std::move(spec)) {}

  [[nodiscard]] const nlohmann::json &resolve(const std::string &ref) const {
    // "#/components/schemas/x" → JSON pointer "/components/schemas/x"
    return m_spec.at(nlohmann::json::json_pointer(ref.substr(1)));
  }

  static bool type_matches(const std::string &type, const nlohmann::json &v) {
    if (type == "string") {
      return v.is_string();
    }
    if (type == "integer") {
      return v.is_number_integer();
    }
    if (type == "number") {
      return v.is_number();
    }
    if (type == "boolean") {
      return v.is_boolean();
    }
    if (type == "array") {
      return v.is_array();
    }
    if (type == "object") {
      return v.is_object();
    }
    return true;
  }

  void check(const nlohmann::json &schema_in, const nlohmann::json &v, const std::string &where,
             std::vector<std::string> &errors) const {
    const nlohmann::json &schema =
        schema_in.contains("$ref") ? resolve(schema_in.at("$ref").get<std::string>()) : schema_in;
    if (v.is_null()) {
      if (!schema.value("nullable", false) && !schema.empty() && !schema.contains("anyOf") &&
          !schema.contains("oneOf") && !schema.contains("allOf")) {
        errors.push_back(where + ": null but not nullable");
      }
      if (schema.contains("anyOf") || schema.contains("oneOf")) {
        // nullable alternatives are spelled on the branches
        bool ok = schema.value("nullable", false);
        for (const char *key : {"anyOf", "oneOf"}) {
          if (schema.contains(key)) {
            for (const auto &alt : schema.at(key)) {
              const auto &a =
                  alt.contains("$ref") ? resolve(alt.at("$ref").get<std::string>()) : alt;
              ok = ok || a.value("nullable", false);
            }
          }
        }
        if (!ok) {
          errors.push_back(where + ": null but not nullable");
        }
      }
      return;
    }
    if (schema.contains("allOf")) {
      for (const auto &sub : schema.at("allOf")) {
        check(sub, v, where, errors);
      }
    }
    for (const char *key : {"anyOf", "oneOf"}) {
      if (!schema.contains(key)) {
        continue;
      }
      int matched = 0;
      for (const auto &sub : schema.at(key)) {
        std::vector<std::string> sub_errors;
        check(sub, v, where, sub_errors);
        matched += sub_errors.empty() ? 1 : 0;
      }
      if (matched == 0 || (std::string(key) == "oneOf" && matched > 1)) {
        errors.push_back(where + ": matches " + std::to_string(matched) + " branches of " + key);
      }
    }
    if (schema.contains("type") && !type_matches(schema.at("type").get<std::string>(), v)) {
      errors.push_back(where + ": expected " + schema.at("type").get<std::string>() + ", got " +
                       v.dump().substr(0, 60));
      return;
    }
    if (schema.contains("enum")) {
      bool found = false;
      for (const auto &e : schema.at("enum")) {
        found = found || e == v;
      }
      if (!found) {
        errors.push_back(where + ": " + v.dump() + " not in enum " + schema.at("enum").dump());
      }
    }
    if (v.is_object()) {
      if (schema.contains("required")) {
        for (const auto &r : schema.at("required")) {
          if (!v.contains(r.get<std::string>())) {
            errors.push_back(where + ": missing required '" + r.get<std::string>() + "'");
          }
        }
      }
      if (schema.contains("properties")) {
        for (const auto &[k, sub] : schema.at("properties").items()) {
          if (v.contains(k)) {
            check(sub, v.at(k), where + "." + k, errors);
          }
        }
      }
    }
    if (v.is_array() && schema.contains("items")) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        check(schema.at("items"), v.at(i), where + "[" + std::to_string(i) + "]", errors);
      }
    }
  }

  nlohmann::json m_spec;
};

} // namespace forge_sim::test
