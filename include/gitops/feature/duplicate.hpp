#pragma once

// A review feature's copy of an app: its resources from the rendered first environment, pointed at
// the feature's image tag and hosts, under a kustomization that suffixes every name.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::feature {

// The label this tool puts on every resource of a feature copy (and selects against).
inline constexpr std::string_view k_feature_label = "gitops-promotion.xenit.io/feature";

// The file name of a feature copy's (and kustomize's preferred) kustomization.
inline constexpr std::string_view k_kustomization_file = "kustomization.yaml";

// Why `feature` (already sanitised) cannot name a feature copy: it must be a DNS label (lowercase
// letters, digits and '-', starting and ending with a letter or digit, at most 63 characters),
// since it becomes a host's first label and a suffix of names and label values. std::nullopt when
// it can.
[[nodiscard]] std::optional<std::string> feature_name_problem(std::string_view feature);

// The selector as Kubernetes writes it: `k=v,...` (sorted by key) plus `!<k_feature_label>`.
[[nodiscard]] std::string selector_text(const std::map<std::string, std::string> &selector);

// One file of a feature copy.
struct CopyFile {
  std::string name; // file name inside the copy's directory
  std::string content;
};

// A feature copy: the resource files sorted by name, then kustomization.yaml.
struct Copy {
  std::vector<CopyFile> files;
  std::vector<std::string>
      resources; // the resource file names, sorted, as the kustomization lists them
};

// Builds the copy of the resources of `rendered` (kustomize's output for the first environment)
// that carry every label of `selector` and not k_feature_label. Resource files are named
// `<group>_<version>_<kind>-<namespace>-<name>.yaml` (`~G`, `~V`, `~K` for an empty part, as
// upstream). In workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod)
// every container's image gets `tag`, keeping its registry and repository (a digest is dropped);
// Ingress rule and TLS hosts and HTTPRoute hostnames and redirect/rewrite hostnames get
// `<feature>.` in front; HTTPRoute backends that are Services get `-<feature>` behind. The
// kustomization has `commonLabels` (each selector label's value suffixed `-<feature>`, plus
// k_feature_label), `nameSuffix:
// -<feature>` and `resources`. `what` names the rendered directory in messages. Throws
// CommandError when the selector is empty, selects nothing, the stream does not parse, or a
// suffixed name, label value or host would not be valid for Kubernetes.
[[nodiscard]] Copy duplicate_application(std::string_view rendered,
                                         const std::map<std::string, std::string> &selector,
                                         const std::string &feature, const std::string &tag,
                                         const std::string &what);

} // namespace gitops::feature
