# The server as a container: one static binary on a distroless base, with the SQLite store and
# the uploaded photos in the volume /data.
#
#   docker build -t open311 .
#   docker run -d -p 8080:8080 -v open311-data:/data -e OPEN311_BASE_URL=http://localhost:8080 open311
#
# The first start prints an API key to the container's log (docker logs). Other commands run in
# the container, such as: docker exec CONTAINER /usr/local/bin/open311 keys create NAME

FROM golang:1.26-bookworm AS build
WORKDIR /src
# The modules get their own layer, so that a change in the code reuses the download.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/open311 . \
  && mkdir /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/open311 /usr/local/bin/open311
# The image has no shell to create the volume's folder, so an empty folder is copied in, owned
# by the nonroot user (65532) that the server runs as. A new named volume takes that owner.
COPY --from=build --chown=65532:65532 /out/data /data
ENV OPEN311_ADDR=:8080 \
    OPEN311_DB=/data/open311.db \
    OPEN311_MEDIA=file:/data/media
VOLUME /data
WORKDIR /data
EXPOSE 8080
USER nonroot:nonroot
# There is no curl either, so the binary checks its own /healthz on OPEN311_ADDR.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["/usr/local/bin/open311", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/open311"]
CMD ["serve"]
