# A cladist image recipe. BASE: any Debian trixie image (see cladist/sandbox/images.py).
ARG BASE=cladist-base:trixie
FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
# OpenJDK with JUnit 5, AssertJ and the JUnit console launcher from Debian, in place of the
# Gradle build of Polyglot's Java exercises (which downloads them).
RUN apt-get update \
 && apt-get install -y --no-install-recommends default-jdk-headless junit5 \
      libassertj-core-java git bash procps \
 && rm -rf /var/lib/apt/lists/*
RUN (id agent >/dev/null 2>&1 || useradd -m -u 1000 -s /bin/bash agent) \
 && mkdir -p /workspace && chown agent:agent /workspace
# cladist.workdir: this dir exists and belongs to the agent user (no setup per sandbox)
LABEL cladist.workdir=/workspace
WORKDIR /workspace
