# The meshsim image for sweeps on Kubernetes (`meshsim sweep … --k8s-job DIR`).
# Build stage: compile TypeScript with the dev dependencies.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --ignore-scripts && npx tsc -p tsconfig.build.json

# Run stage: production dependencies only, the compiled code, the cost profiles.
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY profiles ./profiles
RUN ln -s /app/bin/meshsim.js /usr/local/bin/meshsim
USER node
ENTRYPOINT []
CMD ["meshsim", "--help"]
