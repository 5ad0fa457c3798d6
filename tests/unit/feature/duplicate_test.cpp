#include "gitops/feature/duplicate.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace gitops::feature {
namespace {

using testing::HasSubstr;

// What kustomize renders for upstream's TestDuplicateAndRemoveApplication fixture (base Deployment
// and Service labelled app: nginx), in kubectl's legacy order (Service first), plus an earlier
// feature's copy that must never be copied again.
const std::string k_rendered = R"(apiVersion: v1
kind: Service
metadata:
  labels:
    app: nginx
  name: nginx
spec:
  ports:
  - port: "80"
    targetPort: 8080
  selector:
    app: nginx
---
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: nginx
  name: nginx
spec:
  template:
    spec:
      initContainers:
      - image: ghcr.io/org/migrate:1
        name: migrate
      containers:
      - image: ghcr.io/org/nginx:app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        name: nginx
      - image: localhost:5000/sidecar
        name: sidecar
---
apiVersion: v1
kind: ConfigMap
metadata:
  labels:
    app: other
  name: other
---
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: nginx-old
    gitops-promotion.xenit.io/feature: old
  name: nginx-old
)";

const std::map<std::string, std::string> k_selector = {{"app", "nginx"}};

const CopyFile &file(const Copy &copy, const std::string &name) {
  for (const CopyFile &f : copy.files) {
    if (f.name == name) {
      return f;
    }
  }
  throw std::runtime_error("no file " + name);
}

TEST(Duplicate, UpstreamFilesAndKustomization) {
  const Copy copy = duplicate_application(k_rendered, k_selector, "feature", "1234", "apps/dev");
  ASSERT_EQ(copy.files.size(), 3U);
  EXPECT_EQ(copy.files[0].name, "apps_v1_Deployment--nginx.yaml");
  EXPECT_EQ(copy.files[1].name, "~G_v1_Service--nginx.yaml");
  EXPECT_EQ(copy.files[2].name, "kustomization.yaml");
  // Upstream's expected kustomization, compared as parsed YAML (upstream re-serialised it).
  const YAML::Node want = YAML::Load("commonLabels:\n  app: nginx-feature\n"
                                     "  gitops-promotion.xenit.io/feature: feature\n"
                                     "nameSuffix: -feature\nresources:\n"
                                     "- apps_v1_Deployment--nginx.yaml\n"
                                     "- ~G_v1_Service--nginx.yaml\n");
  const YAML::Node got = YAML::Load(copy.files[2].content);
  EXPECT_EQ(YAML::Dump(got), YAML::Dump(want)) << copy.files[2].content;
  EXPECT_EQ(copy.resources, (std::vector<std::string>{"apps_v1_Deployment--nginx.yaml",
                                                      "~G_v1_Service--nginx.yaml"}));
}

TEST(Duplicate, ContainersGetTheTagAndKeepTheirRegistry) {
  const Copy copy = duplicate_application(k_rendered, k_selector, "f1", "1234", "apps/dev");
  const YAML::Node d = YAML::Load(file(copy, "apps_v1_Deployment--nginx.yaml").content);
  const YAML::Node spec = d["spec"]["template"]["spec"];
  EXPECT_EQ(spec["containers"][0]["image"].as<std::string>(), "ghcr.io/org/nginx:1234");
  EXPECT_EQ(spec["containers"][1]["image"].as<std::string>(), "localhost:5000/sidecar:1234");
  // Init containers are not the app's image (upstream left them too).
  EXPECT_EQ(spec["initContainers"][0]["image"].as<std::string>(), "ghcr.io/org/migrate:1");
  // A quoted number stays a string, a plain one an int.
  const std::string service = file(copy, "~G_v1_Service--nginx.yaml").content;
  EXPECT_THAT(service, HasSubstr("port: \"80\""));
  EXPECT_THAT(service, HasSubstr("targetPort: 8080\n"));
}

TEST(Duplicate, HostsAndRouteBackends) {
  const std::string rendered = R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  rules:
  - host: web.example.com
  tls:
  - hosts: [web.example.com, www.example.com]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, labels: {app: web}}
spec:
  hostnames: [web.example.com]
  rules:
  - backendRefs:
    - name: web
      port: 80
    - name: other
      kind: Service
      group: ""
    - name: bucket
      group: storage.example.com
      kind: Bucket
    filters:
    - requestMirror:
        backendRef: {name: mirror}
    - requestRedirect: {hostname: old.example.com}
    - urlRewrite: {hostname: ""}
)";
  const Copy copy = duplicate_application(rendered, {{"app", "web"}}, "pr-7", "1", "web/dev");
  const YAML::Node ingress =
      YAML::Load(file(copy, "networking.k8s.io_v1_Ingress-shop-web.yaml").content);
  EXPECT_EQ(ingress["spec"]["rules"][0]["host"].as<std::string>(), "pr-7.web.example.com");
  EXPECT_EQ(ingress["spec"]["tls"][0]["hosts"][1].as<std::string>(), "pr-7.www.example.com");
  const YAML::Node route =
      YAML::Load(file(copy, "gateway.networking.k8s.io_v1_HTTPRoute--web.yaml").content);
  const YAML::Node rule = route["spec"]["rules"][0];
  EXPECT_EQ(route["spec"]["hostnames"][0].as<std::string>(), "pr-7.web.example.com");
  EXPECT_EQ(rule["backendRefs"][0]["name"].as<std::string>(), "web-pr-7");
  EXPECT_EQ(rule["backendRefs"][1]["name"].as<std::string>(), "other-pr-7");
  EXPECT_EQ(rule["backendRefs"][2]["name"].as<std::string>(), "bucket");
  EXPECT_EQ(rule["filters"][0]["requestMirror"]["backendRef"]["name"].as<std::string>(),
            "mirror-pr-7");
  EXPECT_EQ(rule["filters"][1]["requestRedirect"]["hostname"].as<std::string>(),
            "pr-7.old.example.com");
  EXPECT_EQ(rule["filters"][2]["urlRewrite"]["hostname"].as<std::string>(), "");
}

TEST(Duplicate, ClearErrors) {
  EXPECT_THAT([] { (void)duplicate_application(k_rendered, {}, "f", "1", "apps/dev"); },
              testing::ThrowsMessage<CommandError>(HasSubstr("selector is empty")));
  EXPECT_THAT(
      [] {
        (void)duplicate_application(k_rendered, {{"app", "nope"}}, "f", "1", "apps/dev");
      },
      testing::ThrowsMessage<CommandError>(
          HasSubstr("no resource in apps/dev matches the feature label selector "
                    "app=nope,!gitops-promotion.xenit.io/feature")));
  EXPECT_THAT([] { (void)duplicate_application("a: [", k_selector, "f", "1", "apps/dev"); },
              testing::ThrowsMessage<CommandError>(HasSubstr("cannot read what kustomize")));
  // A Service name is a DNS label: 63 characters at most once suffixed.
  const std::string long_feature(60, 'a');
  EXPECT_THAT(
      [&] { (void)duplicate_application(k_rendered, k_selector, long_feature, "1", "apps/dev"); },
      testing::ThrowsMessage<CommandError>(HasSubstr("over the 63 Kubernetes allows")));
}

TEST(FeatureName, MustBeADnsLabel) {
  EXPECT_FALSE(feature_name_problem("my-feature-1"));
  EXPECT_THAT(*feature_name_problem(""), HasSubstr("empty"));
  EXPECT_THAT(*feature_name_problem("-x"), HasSubstr("start and end"));
  EXPECT_THAT(*feature_name_problem("x-"), HasSubstr("start and end"));
  EXPECT_THAT(*feature_name_problem(std::string(64, 'a')), HasSubstr("64 characters"));
  EXPECT_EQ(selector_text({{"b", "2"}, {"a", "1"}}), "a=1,b=2,!gitops-promotion.xenit.io/feature");
}

} // namespace
} // namespace gitops::feature
