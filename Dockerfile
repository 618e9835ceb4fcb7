# Earmark control plane (and the filter module it ships beside): `docker build -t earmark/control-plane .`
# Stage 1 builds build/earmark.wasm with the dev tools; stage 2 holds the sources (run by tsx, no
# emit step) with runtime dependencies only. .dockerignore keeps node_modules, build/ and var/ out.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:plugin

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
COPY --from=build /app/build/earmark.wasm build/earmark.wasm
RUN mkdir -p /var/lib/earmark && chown 10001:10001 /var/lib/earmark
USER 10001
ENV EARMARK_API_HOST=0.0.0.0 EARMARK_GRPC_HOST=0.0.0.0 \
    EARMARK_DATA_DIR=/var/lib/earmark EARMARK_SPOOL_DIR=/var/lib/earmark/spool \
    EARMARK_API_TOKEN_FILE=/var/lib/earmark/api-token
EXPOSE 8080 18000
ENTRYPOINT ["node_modules/.bin/tsx", "control-plane/cli/main-run.ts"]
CMD ["serve"]
