# syntax=docker/dockerfile:1
# tagbump's container image, built from source with Docker, kaniko or buildah:
#
#   docker build --build-arg VERSION=v1.2.3 -t tagbump .
#
# The result holds only the static binary, CA certificates and a passwd
# naming the non-root user 65532: no shell. `make image` assembles the same
# image without Docker (scripts/image), and Dockerfile.release is the variant
# goreleaser builds from its prebuilt binaries. Keep the three in step.
ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=1970-01-01T00:00:00Z
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath \
      -ldflags "-s -w -X github.com/tagbump/tagbump/internal/cli.version=${VERSION} -X github.com/tagbump/tagbump/internal/cli.commit=${COMMIT} -X github.com/tagbump/tagbump/internal/cli.date=${DATE}" \
      -o /rootfs/usr/local/bin/tagbump ./cmd/tagbump
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >/rootfs/etc/passwd \
 && printf 'root:x:0:\nnonroot:x:65532:\n' >/rootfs/etc/group \
 && chmod 1777 /rootfs/tmp \
 && mkdir -p /home-nonroot && chmod 700 /home-nonroot

FROM scratch
COPY --from=build /rootfs/ /
COPY --from=build --chown=65532:65532 /home-nonroot /home/nonroot
USER 65532:65532
ENV PATH=/usr/local/bin:/usr/bin:/bin
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /home/nonroot
ENTRYPOINT ["tagbump"]
