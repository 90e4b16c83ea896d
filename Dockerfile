# syntax=docker/dockerfile:1
# vigie as a container: one static binary on a distroless base, running as an unprivileged user.
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t vigie .
#   docker run -d --name vigie -p 8443:8443/tcp -p 8443:8443/udp -p 8444:8444/tcp \
#     -p 3478:3478/udp -p 3478:3478/tcp -v vigie-data:/data vigie
#
# The data directory (/data) holds the database, the TLS CA and keys: keep it on a volume and back
# it up (see docs/operations.md).

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/vigie ./cmd/vigie
# An empty data directory, owned below by the run stage's user (distroless has no shell to chown).
RUN mkdir -p /out/data

# distroless/static: CA certificates, tzdata and a "nonroot" user (65532), no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/vigie /vigie
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
VOLUME /data
# HTTPS: the web client, the signaling WebSocket, the REST API, /healthz and /readyz.
EXPOSE 8443/tcp
# The SIA DC-09 alarm receiver, when dc09.listen is set to ":9000" in vigie.yaml (TCP and UDP).
EXPOSE 9000/tcp 9000/udp
# WebRTC media: all of it on one UDP port (media.udp), ICE over TCP (media.tcp) for networks
# that block UDP. Publish them on the same port numbers, and set media.public_ips to the host's
# address (see docs/operations.md, "Ports and firewalls").
EXPOSE 8443/udp 8444/tcp
# The embedded TURN server over UDP and TCP; TURN over TLS shares 8443/tcp. Its relays talk only to
# vigie's media port inside the container: they need no published port.
EXPOSE 3478/udp 3478/tcp
ENTRYPOINT ["/vigie"]
CMD ["serve", "--data", "/data", "--listen", ":8443"]
