# syntax=docker/dockerfile:1
# The sigma command line in a container: `docker build -t sigma .` where a container engine runs (see the README).
# Two stages: the build stage compiles sigma_native (Rust, native/) and installs sigma into a virtualenv; the
# runtime stage copies only that virtualenv, runs as an unprivileged user and has no compiler.

FROM python:3.11-slim-bookworm AS build
# Rust from the official Rust image (Debian's rustc is older than PyO3 needs), and a C linker for it
COPY --from=rust:1-slim-bookworm /usr/local/cargo /usr/local/cargo
COPY --from=rust:1-slim-bookworm /usr/local/rustup /usr/local/rustup
ENV CARGO_HOME=/usr/local/cargo RUSTUP_HOME=/usr/local/rustup PATH=/usr/local/cargo/bin:$PATH
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/sigma && /opt/sigma/bin/pip install --no-cache-dir --upgrade pip
WORKDIR /src
COPY native/ native/
RUN /opt/sigma/bin/pip install --no-cache-dir ./native
COPY pyproject.toml README.md ./
COPY runtime/ runtime/
COPY schemas/ schemas/
COPY compat/ compat/
COPY producers/ producers/
COPY consumers/ consumers/
COPY validator/ validator/
COPY sigma/ sigma/
RUN /opt/sigma/bin/pip install --no-cache-dir . && /opt/sigma/bin/sigma --version

FROM python:3.11-slim-bookworm
COPY --from=build /opt/sigma /opt/sigma
RUN groupadd --system --gid 10001 sigma \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/sigma --create-home sigma
# SIGMA_HOME: the validator's snapshots and the context file; a volume keeps them across containers
ENV PATH=/opt/sigma/bin:$PATH SIGMA_HOME=/var/lib/sigma PYTHONUNBUFFERED=1
VOLUME /var/lib/sigma
WORKDIR /var/lib/sigma
USER 10001:10001
# the metrics and health port of `sigma validate --metrics-port 9464 --metrics-address 0.0.0.0`
EXPOSE 9464
ENTRYPOINT ["sigma"]
CMD ["--help"]
