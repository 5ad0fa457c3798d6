# gitops-promotion container image: `docker build -t gitops-promotion .`
#   docker run --rm -v "$PWD:/repo" -e GITHUB_TOKEN gitops-promotion new --sourcedir /repo --group G --app A --tag T
# Also the image of the GitHub Action (action.yml), whose entrypoint is /usr/local/bin/action-entrypoint.sh.
# tests/packaging/dockerfile_test.sh checks the package lists below against the built binary.

# ---- build stage: compilers and the -dev packages; only the executable is built (no tests) ----
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libgit2-dev libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev \
      libcpp-httplib-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DGP_BUILD_TESTS=OFF \
 && cmake --build /build --target gitops-promotion -j"$(nproc)" \
 && strip /build/gitops-promotion

# ---- runtime stage: the binary, the packages of the shared libraries it links (their own
# dependencies come with them), the CA bundle for HTTPS and tini as PID 1 ----
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgit2-1.5 libcurl4 libyaml-cpp0.7 \
      ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/gitops-promotion /usr/local/bin/gitops-promotion
COPY scripts/action-entrypoint.sh /usr/local/bin/action-entrypoint.sh
# uid 1001 is the `runner` user of GitHub-hosted runners: the workspace and the $GITHUB_OUTPUT and
# $GITHUB_STEP_SUMMARY files it mounts into a Docker action are writable by that uid.
RUN useradd --uid 1001 --user-group --create-home --shell /usr/sbin/nologin gitops \
 && chmod 0755 /usr/local/bin/gitops-promotion /usr/local/bin/action-entrypoint.sh
USER 1001:1001
WORKDIR /home/gitops
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/gitops-promotion"]
CMD ["--help"]
