# syntax=docker/dockerfile:1
# funcX-TS service image: `funcx-service serve` as a non-root user, state in the
# /var/lib/funcx volume (SQLite file and quickstart.json; set FUNCX_DATABASE_URL=mysql://...
# for production). Not built on the development machines (no Docker engine there):
# `npm run lint` checks it with scripts/lint-dockerfile.ts.
#
#   docker build -t funcx-ts . && docker run -p 8080:8080 -v funcx:/var/lib/funcx funcx-ts

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles its native addon from source.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Dependencies first, so this layer is cached until the lockfile changes. Scripts are off
# because `prepare` (the build) needs the sources, which come in the next layer; the one
# native addon is then built explicitly. npm ci needs every workspace's package.json (shared/,
# sdk/, endpoint/: the packages of docs/architecture.md "Packages") to link them.
COPY package.json package-lock.json ./
COPY shared/package.json ./shared/
COPY sdk/package.json ./sdk/
COPY endpoint/package.json ./endpoint/
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 --build-from-source
# Everything `npm run build` compiles: json2ts over schemas/ (into shared/wire), the shared,
# endpoint and SDK packages (each folder's tsconfig.json), then tsc over tsconfig.json's
# "include" (the lint checks this list against it).
COPY tsconfig.json tsconfig.console.json ./
COPY schemas ./schemas
COPY migrations ./migrations
COPY shared ./shared
COPY src ./src
COPY action-provider ./action-provider
COPY endpoint ./endpoint
COPY sdk ./sdk
COPY scripts ./scripts
COPY test ./test
COPY bench ./bench
COPY console ./console
# Then drop dev dependencies and the addon's compile leftovers (objects, sqlite sources: ~30 MB).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
      node_modules/better-sqlite3/build/Release/obj node_modules/better-sqlite3/build/Release/obj.target \
      node_modules/better-sqlite3/build/Release/.deps node_modules/better-sqlite3/build/Release/*.a \
      node_modules/better-sqlite3/build/Release/test_extension.node

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    FUNCX_HOME=/var/lib/funcx \
    FUNCX_HOST=0.0.0.0 \
    FUNCX_PORT=8080
RUN groupadd --system --gid 10001 funcx \
 && useradd --system --uid 10001 --gid funcx --home-dir /var/lib/funcx --shell /usr/sbin/nologin funcx \
 && mkdir -p /var/lib/funcx \
 && chown funcx:funcx /var/lib/funcx
WORKDIR /app
# Only what `serve` needs: the compiled service and its migrations (dist/migrations), the
# schemas ajv loads at start, production node_modules, and package.json (the version, and
# how the service finds its root). quickstart.json (the admin token, written on first start)
# lands in the volume; the URL in it says 127.0.0.1 unless FUNCX_PUBLIC_URL is set.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
# The workspace packages the service imports (node_modules links to their folders): @funcx-ts/shared,
# and funcx-endpoint, whose public entry starts `serve --local-endpoint`'s endpoint.
COPY --from=build /app/shared/package.json ./shared/
COPY --from=build /app/shared/dist ./shared/dist
COPY --from=build /app/endpoint/package.json ./endpoint/
COPY --from=build /app/endpoint/dist ./endpoint/dist
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/migrations ./dist/migrations
# The web console (/console), bundled at build time; the OpenAPI document is in dist/src/openapi.
COPY --from=build /app/dist/console ./dist/console
# The Action Provider API, mounted by the service.
COPY --from=build /app/dist/action-provider ./dist/action-provider
# The endpoint's Python worker and Jinja renderer are read from source.
COPY --from=build /app/endpoint/workers/python_worker.py /app/endpoint/workers/globus_compute_serde.py ./endpoint/workers/
COPY --from=build /app/endpoint/templates/jinja_render.py ./endpoint/templates/
COPY --from=build /app/schemas ./schemas
USER funcx
VOLUME ["/var/lib/funcx"]
EXPOSE 8080
# No curl in the slim image: Node's fetch. /healthz also checks the database.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FUNCX_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--single-threaded-gc", "--no-memory-reducer", "dist/src/cli/funcx-service.js"]
CMD ["serve"]
