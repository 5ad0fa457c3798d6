#include "gitops/feature/duplicate.hpp"

#include "gitops/manifest/image_ref.hpp"
#include "gitops/manifest/yaml_emit.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

namespace gitops::feature {

namespace {

constexpr std::size_t k_label_max = 63;      // a DNS label, a label value, a Service name
constexpr std::size_t k_subdomain_max = 253; // most object names, a host name

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

std::string text_of(const YAML::Node &node) {
  return node && node.IsScalar() ? node.Scalar() : std::string();
}

// apiVersion split as kustomize's Gvk: "apps/v1" → ("apps", "v1"), "v1" → ("", "v1").
std::pair<std::string, std::string> group_version(const std::string &api_version) {
  const auto slash = api_version.find('/');
  if (slash == std::string::npos) {
    return {"", api_version};
  }
  return {api_version.substr(0, slash), api_version.substr(slash + 1)};
}

std::string or_tilde(const std::string &part, const char *tilde) {
  return part.empty() ? std::string(tilde) : part;
}

// Upstream's file name: kustomize's `Group_Version_Kind` with ~G/~V/~K, then namespace and name.
std::string file_name(const YAML::Node &resource) {
  const auto [group, version] = group_version(text_of(resource["apiVersion"]));
  const YAML::Node metadata = resource["metadata"];
  return or_tilde(group, "~G") + "_" + or_tilde(version, "~V") + "_" +
         or_tilde(text_of(resource["kind"]), "~K") + "-" + text_of(metadata["namespace"]) + "-" +
         text_of(metadata["name"]) + ".yaml";
}

bool selected(const YAML::Node &resource, const std::map<std::string, std::string> &selector) {
  const YAML::Node labels = resource["metadata"]["labels"];
  if (!labels || !labels.IsMap()) {
    return false;
  }
  if (labels[std::string(k_feature_label)]) {
    return false; // another feature's copy
  }
  for (const auto &[key, value] : selector) {
    const YAML::Node label = labels[key];
    if (!label || text_of(label) != value) {
      return false;
    }
  }
  return true;
}

// The container image with the feature's tag: registry and repository kept, digest dropped.
std::string retagged(const std::string &image, const std::string &tag) {
  std::string name = image.substr(0, image.find('@'));
  const auto slash = name.rfind('/');
  const auto colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    name.resize(colon);
  }
  return manifest::ImageRef{name, tag, std::nullopt}.str();
}

void retag_containers(YAML::Node pod_spec, const std::string &tag) {
  if (!pod_spec || !pod_spec.IsMap()) {
    return;
  }
  YAML::Node containers = pod_spec["containers"];
  if (!containers || !containers.IsSequence()) {
    return;
  }
  for (YAML::Node container : containers) {
    if (container.IsMap() && container["image"] && container["image"].IsScalar()) {
      container["image"] = retagged(container["image"].Scalar(), tag);
    }
  }
}

// The pod spec of a workload kind, or an invalid node.
YAML::Node pod_spec_of(YAML::Node resource, const std::string &kind) {
  static const std::set<std::string> templated = {"Deployment", "StatefulSet", "DaemonSet",
                                                  "ReplicaSet", "Job"};
  if (!resource["spec"]) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  if (templated.contains(kind)) {
    return resource["spec"]["template"]["spec"];
  }
  if (kind == "CronJob") {
    return resource["spec"]["jobTemplate"]["spec"]["template"]["spec"];
  }
  if (kind == "Pod") {
    return resource["spec"];
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

struct Prefixer {
  const std::string &feature;
  const std::string &what;
  std::string host(const std::string &value, const std::string &where) const {
    std::string out = feature + "." + value;
    if (out.size() > k_subdomain_max) {
      throw CommandError(where + " would become " + util::quote_for_message(out) + " in " + what +
                         ", longer than the 253 characters of a host name; use a shorter feature "
                         "name");
    }
    return out;
  }
  void hosts_in(YAML::Node list, const std::string &where) const {
    if (!list || !list.IsSequence()) {
      return;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (list[i].IsScalar() && !list[i].Scalar().empty()) {
        list[i] = host(list[i].Scalar(), where);
      }
    }
  }
};

void patch_ingress(YAML::Node spec, const Prefixer &p) {
  if (!spec || !spec.IsMap()) {
    return;
  }
  if (YAML::Node rules = spec["rules"]; rules && rules.IsSequence()) {
    for (YAML::Node rule : rules) {
      if (rule.IsMap() && rule["host"] && rule["host"].IsScalar()) {
        rule["host"] = p.host(rule["host"].Scalar(), "Ingress host");
      }
    }
  }
  if (YAML::Node tls = spec["tls"]; tls && tls.IsSequence()) {
    for (YAML::Node entry : tls) {
      if (entry.IsMap()) {
        p.hosts_in(entry["hosts"], "Ingress TLS host");
      }
    }
  }
}

// A Gateway API backend reference to a Service of this namespace gets the suffixed name.
void suffix_service_ref(YAML::Node ref, const std::string &feature) {
  if (!ref || !ref.IsMap() || !ref["name"] || !ref["name"].IsScalar()) {
    return;
  }
  const std::string group = text_of(ref["group"]);
  const std::string kind = ref["kind"] ? text_of(ref["kind"]) : "Service";
  if (group.empty() && kind == "Service") {
    ref["name"] = ref["name"].Scalar() + "-" + feature;
  }
}

void patch_http_route(YAML::Node spec, const Prefixer &p) {
  if (!spec || !spec.IsMap()) {
    return;
  }
  p.hosts_in(spec["hostnames"], "HTTPRoute hostname");
  YAML::Node rules = spec["rules"];
  if (!rules || !rules.IsSequence()) {
    return;
  }
  for (YAML::Node rule : rules) {
    if (!rule.IsMap()) {
      continue;
    }
    if (YAML::Node refs = rule["backendRefs"]; refs && refs.IsSequence()) {
      for (YAML::Node ref : refs) {
        suffix_service_ref(ref, p.feature);
      }
    }
    YAML::Node filters = rule["filters"];
    if (!filters || !filters.IsSequence()) {
      continue;
    }
    for (YAML::Node filter : filters) {
      if (!filter.IsMap()) {
        continue;
      }
      if (YAML::Node mirror = filter["requestMirror"]; mirror && mirror.IsMap()) {
        suffix_service_ref(mirror["backendRef"], p.feature);
      }
      for (const char *key : {"requestRedirect", "urlRewrite"}) {
        YAML::Node f = filter[key];
        if (f && f.IsMap() && f["hostname"] && f["hostname"].IsScalar() &&
            !f["hostname"].Scalar().empty()) {
          f["hostname"] =
              p.host(f["hostname"].Scalar(), std::string("HTTPRoute ") + key + " hostname");
        }
      }
    }
  }
}

void check_suffixed_name(const YAML::Node &resource, const std::string &kind,
                         const std::string &feature, const std::string &what) {
  const std::string name = text_of(resource["metadata"]["name"]) + "-" + feature;
  // Service names are DNS labels; most other objects take a DNS subdomain.
  const std::size_t max = kind == "Service" ? k_label_max : k_subdomain_max;
  if (name.size() > max) {
    throw CommandError(kind + " " + util::quote_for_message(name) + " in " + what + " would be " +
                       std::to_string(name.size()) + " characters with the feature suffix, over " +
                       "the " + std::to_string(max) + " Kubernetes allows; use a shorter feature " +
                       "name");
  }
}

bool valid_label_value(std::string_view value) {
  if (value.size() > k_label_max) {
    return false;
  }
  if (value.empty()) {
    return true;
  }
  if (!is_alnum(value.front()) || !is_alnum(value.back())) {
    return false;
  }
  for (char c : value) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

} // namespace

std::optional<std::string> feature_name_problem(std::string_view feature) {
  if (feature.empty()) {
    return std::string("it is empty (only letters, digits and '-' are kept)");
  }
  if (feature.size() > k_label_max) {
    return "it has " + std::to_string(feature.size()) +
           " characters; a host's first label takes at most 63";
  }
  if (!is_lower_alnum(feature.front()) || !is_lower_alnum(feature.back())) {
    return std::string("it must start and end with a letter or a digit (it becomes a host's first "
                       "label and a name suffix)");
  }
  return std::nullopt;
}

std::string selector_text(const std::map<std::string, std::string> &selector) {
  std::vector<std::string> parts;
  for (const auto &[key, value] : selector) {
    parts.push_back(key + "=" + value);
  }
  parts.push_back("!" + std::string(k_feature_label));
  return util::join(parts, ",");
}

Copy duplicate_application(std::string_view rendered,
                           const std::map<std::string, std::string> &selector,
                           const std::string &feature, const std::string &tag,
                           const std::string &what) {
  if (selector.empty()) {
    throw CommandError("the feature label selector is empty, so nothing in " + what +
                       " can be told apart as the app's");
  }
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(rendered));
  } catch (const YAML::Exception &e) {
    throw CommandError("cannot read what kustomize rendered for " + what + ": " + e.what());
  }
  const Prefixer prefixer{feature, what};
  Copy copy;
  std::set<std::string> names;
  for (YAML::Node &resource : documents) {
    if (!resource.IsMap() || !selected(resource, selector)) {
      continue;
    }
    const std::string kind = text_of(resource["kind"]);
    check_suffixed_name(resource, kind, feature, what);
    if (YAML::Node pod = pod_spec_of(resource, kind); pod) {
      retag_containers(pod, tag);
    }
    if (kind == "Ingress") {
      patch_ingress(resource["spec"], prefixer);
    } else if (kind == "HTTPRoute") {
      patch_http_route(resource["spec"], prefixer);
    }
    std::string name = file_name(resource);
    if (!names.insert(name).second) {
      throw CommandError("two resources in " + what + " would both be written to " + name);
    }
    copy.resources.push_back(name);
    copy.files.push_back({std::move(name), manifest::emit_block(resource)});
  }
  // By file name, not kustomize's output order (which differs between versions and options): a
  // re-run with another kustomize rewrites nothing.
  std::sort(copy.files.begin(), copy.files.end(),
            [](const CopyFile &a, const CopyFile &b) { return a.name < b.name; });
  std::sort(copy.resources.begin(), copy.resources.end());
  if (copy.files.empty()) {
    throw CommandError("no resource in " + what + " matches the feature label selector " +
                       selector_text(selector));
  }

  std::string kustomization = "commonLabels:\n";
  std::map<std::string, std::string> labels;
  for (const auto &[key, value] : selector) {
    const std::string suffixed = value + "-" + feature;
    if (!valid_label_value(suffixed)) {
      throw CommandError("the label " + key + "=" + util::quote_for_message(suffixed) +
                         " of the feature copy is not a valid label value (at most 63 letters, "
                         "digits, '-', '_' or '.', starting and ending with a letter or digit); "
                         "use a shorter feature name");
    }
    labels[key] = suffixed;
  }
  labels[std::string(k_feature_label)] = feature;
  for (const auto &[key, value] : labels) {
    kustomization += "  " + manifest::emit_string(key) + ": " + manifest::emit_string(value) + "\n";
  }
  kustomization += "nameSuffix: " + manifest::emit_string("-" + feature) + "\nresources:\n";
  for (const std::string &name : copy.resources) {
    kustomization += "- " + manifest::emit_string(name) + "\n";
  }
  copy.files.push_back({std::string(k_kustomization_file), std::move(kustomization)});
  return copy;
}

} // namespace gitops::feature
