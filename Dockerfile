# syntax=docker/dockerfile:1
# kube-audit-forwarder image: `make image` builds it (see README, "Deploy on Kubernetes").
# Build, then a stage with production dependencies only, then a distroless runtime with no
# shell and no package manager. The Debian release matches across stages (trixie = debian13).

FROM node:24-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# The revision goes into dist/src/revision, where the build_info metric reads it.
ARG REVISION=unknown
RUN npm run build && printf '%s\n' "$REVISION" > dist/src/revision

# The full (not slim) image: the Kafka client's native addon is compiled here (gcc, make,
# python3, libssl and zlib headers). Install scripts are skipped because the client's own would
# download a prebuilt binary; scripts/kafka-addon.sh builds it from source instead.
FROM node:24-trixie AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/kafka-addon.sh ./scripts/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && bash scripts/kafka-addon.sh install

FROM gcr.io/distroless/nodejs24-debian13
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="kube-audit-forwarder" \
      org.opencontainers.image.description="Ships every Kubernetes API audit event from control-plane nodes to Kafka or Fluentd, at least once, across log rotations" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
ENV NODE_ENV=production
WORKDIR /app
# package.json makes Node load dist/ as ES modules ("type": "module").
COPY package.json ./
# The license and the notices of every package the image ships (scripts/third-party-notices.ts).
COPY LICENSE THIRD-PARTY-NOTICES.md ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The image's user is root on purpose: kube-apiserver writes the audit log as root with mode
# 0600. The DaemonSet drops every capability and forbids privilege escalation.
# No HEALTHCHECK: Kubernetes ignores it; the DaemonSet's probes use /healthz and /readyz.
# V8 flags: see bench/agent-node-flags.ts (a small young generation: less CPU and RSS per event).
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=8"]
CMD ["/app/dist/src/cli.js", "run"]
