# Herald's container image: a static binary on distroless, running as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/herald ./cmd/herald
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/herald /herald
# The data folder (a development encryption key when HERALD_ENCRYPTION_KEYS is unset);
# owned by the non-root user so a volume mounted here is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV HERALD_ADDR=:8080 HERALD_DATA_DIR=/data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/herald"]
CMD ["serve"]
