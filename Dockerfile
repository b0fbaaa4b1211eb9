# syntax=docker/dockerfile:1
# Multi-stage: a static, trimmed binary on a distroless non-root base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/mailmcp ./cmd/mailmcp && mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mailmcp /usr/local/bin/mailmcp
COPY --from=build --chown=nonroot:nonroot /out/state /var/lib/mailmcp
# State (tokens, outbox, checkpoints) lives in a volume.
ENV MAILMCP_STATE_DIR=/var/lib/mailmcp
VOLUME ["/var/lib/mailmcp"]
USER nonroot:nonroot
ENTRYPOINT ["mailmcp"]
CMD ["serve"]
