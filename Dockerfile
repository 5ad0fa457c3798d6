# gitops-promotion container image: `make image` (buildah) or `docker build -t gitops-promotion .`
#   docker run --rm -v "$PWD:/repo" -w /repo -e GITHUB_TOKEN gitops-promotion new --group G --app A --tag T
# Also the image of the GitHub Action (action.yml), whose entrypoint is /usr/local/bin/action-entrypoint.sh.
# tests/packaging/dockerfile_test.sh checks the package lists below against the built binary, and
# tests/container/ builds this file and runs the image.

# ---- build stage: compilers and the -dev packages; only the executable is built (no tests) ----
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config ccache \
      libgit2-dev libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The compiler cache is a build cache mount: a rebuild after a source change compiles only what
# changed (BuildKit and buildah keep it between builds; it never enters an image layer).
ENV CCACHE_DIR=/ccache
RUN --mount=type=cache,target=/ccache \
    cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DGP_BUILD_TESTS=OFF \
 && cmake --build /build --target gitops-promotion -j"$(nproc)" \
 && strip /build/gitops-promotion

# ---- runtime stage: the binary, the packages of the shared libraries it links (their own
# dependencies come with them), the CA bundle for HTTPS, tini as PID 1 and Debian's kubectl for
# `feature` (kubectl 1.20's kustomize v2.0.3; GITOPS_PROMOTION_KUSTOMIZE names a newer one) ----
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgit2-1.5 libcurl4 libyaml-cpp0.7 \
      ca-certificates tini kubernetes-client \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/gitops-promotion /usr/local/bin/gitops-promotion
COPY scripts/action-entrypoint.sh /usr/local/bin/action-entrypoint.sh
COPY scripts/run-as-owner.sh /usr/local/bin/run-as-owner
RUN chmod 0755 /usr/local/bin/gitops-promotion /usr/local/bin/action-entrypoint.sh \
      /usr/local/bin/run-as-owner
# No USER: GitHub runs a Docker action as the image's user and documents root, and the workspace
# belongs to whoever runs the runner (uid 1001 on hosted runners, often 1000 or root elsewhere).
# run-as-owner starts as root and drops to the owner of the repository, so libgit2's ownership
# check passes and every file written belongs to that owner.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/run-as-owner", "/usr/local/bin/gitops-promotion"]
CMD ["--help"]
