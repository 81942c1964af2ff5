# A cladist image recipe. BASE: any Debian trixie image (see cladist/sandbox/images.py).
ARG BASE=cladist-base:trixie
FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \
 && apt-get install -y --no-install-recommends golang-go git bash procps \
 && rm -rf /var/lib/apt/lists/*
# Go >= 1.20 ships no compiled standard library: a build cache holding the packages tests
# use, copied into each grading's fresh cache, saves compiling them at every grading.
RUN mkdir -p /tmp/warm /opt/cladist-go && cd /tmp/warm \
 && printf 'module warm\n\ngo 1.24\n' > go.mod \
 && printf 'package warm\n\nimport (\n\t"bytes"\n\t"errors"\n\t"fmt"\n\t"math"\n\t"reflect"\n\t"regexp"\n\t"sort"\n\t"strconv"\n\t"strings"\n\t"sync"\n\t"testing"\n\t"time"\n\t"unicode"\n)\n\nvar _ = []any{bytes.MinRead, errors.New, fmt.Sprint, math.Pi, reflect.TypeOf, regexp.MustCompile,\n\tsort.Ints, strconv.Itoa, strings.ToUpper, sync.NewCond, time.Now, unicode.IsLetter}\n\nfunc TestWarm(t *testing.T) {}\n' > warm_test.go \
 && GOCACHE=/opt/cladist-go/cache GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
      go test -count=1 ./... \
 && go clean -testcache && rm -rf /tmp/warm /root/go && chmod -R a+rX /opt/cladist-go
RUN (id agent >/dev/null 2>&1 || useradd -m -u 1000 -s /bin/bash agent) \
 && mkdir -p /workspace && chown agent:agent /workspace
# cladist.workdir: this dir exists and belongs to the agent user (no setup per sandbox)
LABEL cladist.workdir=/workspace
WORKDIR /workspace
