# The three servers in one image, built in stages: the dependencies alone (cached until
# Cargo.lock changes), then the workspace, then a small runtime image that runs as a non-root
# user. `docker compose` picks the binary with each service's command.

FROM rust:1.95-slim-bookworm AS chef
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential pkg-config libssl-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/* \
    && cargo install cargo-chef --locked
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin command-api --bin query-api --bin projectors

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl libssl3 zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin identity
COPY --from=builder /src/target/release/command-api /src/target/release/query-api /src/target/release/projectors /usr/local/bin/
USER 10001
EXPOSE 8080 8082 8083
CMD ["command-api", "--help"]
