# syntax=docker/dockerfile:1
# One image for every process: `web` (the default command), `worker` and `migrate`, all through
# app/cli/start.ts (README.md, "Container image"). Built in stages so the runtime image holds
# production dependencies only. In the spirit of Shopify's Remix app template Dockerfile
# (https://github.com/Shopify/shopify-app-template-remix/blob/main/Dockerfile), with the
# migrations and signals handled by the start script instead of `npm run docker-start`.

FROM node:22-bookworm-slim AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Every dependency, for the build. `npm install` rather than `npm ci`: npm 11 leaves other
# platforms' optional native packages out of the lock file it writes, and `npm ci` then refuses
# that lock as out of sync (.ci/run); `npm install` installs the locked versions all the same.
# --ignore-scripts: the only install scripts are Prisma's (an engine download this app never
# uses: driver adapters and the TypeScript engine, prisma.config.ts; a `prisma generate` done
# below for both schemas) and esbuild's optional binary check (it finds its platform package
# without it).
FROM base AS deps
COPY package.json package-lock.json ./
RUN npm install --ignore-scripts && npm cache clean --force

# The Remix build and both Prisma clients: SQLite in node_modules/.prisma, PostgreSQL in
# node_modules/.prisma-postgres (app/db/postgres-client.server.ts picks one from DATABASE_URL).
FROM deps AS build
COPY . .
RUN node node_modules/prisma/build/index.js generate --schema prisma/schema.prisma \
 && node node_modules/prisma/build/index.js generate --schema prisma/postgresql/schema.prisma \
 && npm run build

# Production dependencies only (tsx and prisma are among them: the start script, the worker and
# the migrations run with them).
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN npm install --omit=dev --ignore-scripts && npm cache clean --force

FROM base AS runtime
# CHECKPOINT_DISABLE: no update check from the Prisma CLI on every start
# (https://www.npmjs.com/package/checkpoint-client).
ENV NODE_ENV=production \
    PORT=3000 \
    CHECKPOINT_DISABLE=1
# Owned by root, so read-only to the app's user.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/node_modules/.prisma ./node_modules/.prisma
COPY --from=build /app/node_modules/.prisma-postgres ./node_modules/.prisma-postgres
# The sources the worker, the start script and the Prisma CLI run from (.dockerignore keeps
# tests, the demo and secrets out), then the built server.
COPY . .
COPY --from=build /app/build ./build
# The only writable places, for SQLite: without DATABASE_URL the app uses prisma/dev.sqlite (and
# its -wal and -shm files beside it); /app/data is for a volume instead
# (DATABASE_URL=file:/app/data/app.sqlite) on a single host.
RUN mkdir -p /app/data && chown node:node /app/data /app/prisma
# The official image's unprivileged user.
USER node
EXPOSE 3000
# Not `npm start`: the start script is the process, so SIGTERM reaches the code that drains.
ENTRYPOINT ["node", "--import", "tsx", "app/cli/start.ts"]
CMD ["web"]
