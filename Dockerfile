# The swarm-vip reconciler: `docker build -t swarm-vip/reconciler:0.1.0 .`
#
# Works with the classic builder (Docker 20.10) and with BuildKit: no BuildKit-only syntax.
# NODE_IMAGE: any image with Node.js >= 20.19, npm and a POSIX sh.
# NPM_OFFLINE=true: build without a registry. The build context must then carry a node_modules made
# by `npm ci` with the same Node and libc as NODE_IMAGE (.dockerignore keeps it out of a directory
# context, so send the context as a tar), as the e2e test does (test/cluster/reconciler-image.ts):
#   tar -c Dockerfile package.json package-lock.json tsconfig.json tsconfig.build.json src schemas \
#     node_modules | docker build --build-arg NPM_OFFLINE=true -t swarm-vip/reconciler:dev -
ARG NODE_IMAGE=node:20-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
ARG NPM_OFFLINE=false
# --ignore-scripts: `prepare` would compile before the sources are here; nothing we use needs an
# install script (ssh2's optional native speed-up is left out).
RUN if [ "$NPM_OFFLINE" = true ]; then echo "NPM_OFFLINE=true: node_modules comes with the context"; \
    else npm ci --ignore-scripts --no-audit --no-fund; fi
COPY . .
# --noCheck: emit only (the same JavaScript, in half the time); type checking is the CI's job
# (`npm run typecheck`).
RUN if [ ! -e node_modules/typescript/bin/tsc ]; then \
      echo "node_modules is missing: build with network, or run npm ci and send it in the context" >&2; \
      exit 1; \
    fi \
 && node node_modules/typescript/bin/tsc -p tsconfig.build.json --noCheck \
 && npm prune --omit=dev --ignore-scripts --offline --no-audit --no-fund

FROM ${NODE_IMAGE}
# The reconciler takes its host lock with flock(1) (busybox or util-linux).
RUN command -v flock >/dev/null || { echo "NODE_IMAGE has no flock (busybox or util-linux)" >&2; exit 1; }
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/schemas ./schemas
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# Root: the reconciler talks to the node's Docker socket, which is root-equivalent anyway; a
# non-root user would need the socket's group id, which differs from host to host.
# Manifests are read from /etc/swarm-vip/manifests (a swarm config or a volume); the daemon serves
# /status, /metrics, /livez and /readyz on SWARM_VIP_LISTEN, which the health check asks.
ENV SWARM_VIP_MANIFESTS=/etc/swarm-vip/manifests \
    SWARM_VIP_LISTEN=127.0.0.1:9107
# Generous bounds: an unhealthy task is killed and restarted, which a busy manager must not cause.
HEALTHCHECK --interval=15s --timeout=10s --start-period=60s --retries=3 \
  CMD ["node", "/app/dist/cli/healthcheck.js"]
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
