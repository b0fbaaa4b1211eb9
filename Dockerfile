# syntax=docker/dockerfile:1
# mailmcp daemon image: serve --http on 0.0.0.0:8080, bearer token required.
#
#   docker run -d -p 127.0.0.1:8080:8080 \
#     -v mailmcp-state:/var/lib/mailmcp \
#     -v $HOME/.config/mailmcp/config.toml:/etc/mailmcp/config.toml:ro \
#     -v $HOME/.config/mailmcp/http-tokens:/run/secrets/mailmcp-tokens:ro \
#     ghcr.io/mailmcp/mailmcp
#
# Environment:
#   MAILMCP_HTTP_TOKEN_FILE  file of accepted bearer tokens, one per line
#                            (default /run/secrets/mailmcp-tokens); or
#   MAILMCP_HTTP_TOKEN       one token (at least 16 characters)
#   MAILMCP_CONFIG           config file (default /etc/mailmcp/config.toml)
#   MAILMCP_STATE_DIR        tokens, outbox, checkpoints (a volume)
#   MAILMCP_EMAIL, MAILMCP_PASSWORD, ...  an account without a config file
# Without a token the server refuses to start. It speaks plain HTTP and
# expects TLS from a reverse proxy (--behind-proxy); pass --tls-cert and
# --tls-key instead to serve HTTPS itself. Probes: /healthz, /readyz;
# Prometheus metrics at /metrics (token required).
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
LABEL org.opencontainers.image.title="mailmcp" \
      org.opencontainers.image.description="Email for AI agents over MCP (IMAP + SMTP)" \
      org.opencontainers.image.source="https://github.com/mailmcp/mailmcp" \
      io.modelcontextprotocol.server.name="io.github.mailmcp/mailmcp"
COPY --from=build /out/mailmcp /usr/local/bin/mailmcp
COPY --from=build --chown=nonroot:nonroot /out/state /var/lib/mailmcp
# Only defaults that exist in the image: a config file or token file named
# in the environment must exist, so mount one and set MAILMCP_CONFIG or
# MAILMCP_HTTP_TOKEN_FILE with it (or configure by environment only).
ENV MAILMCP_STATE_DIR=/var/lib/mailmcp
VOLUME ["/var/lib/mailmcp"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["mailmcp"]
CMD ["serve", "--http", "0.0.0.0:8080", "--behind-proxy"]
