package dev.skewgate.routing;

import io.vertx.core.buffer.Buffer;

/**
 * The small JSON documents every site answers under {@code /_skewgate/}, encoded with their ETags when the snapshot
 * is built, so a polling tab costs a map lookup and usually a 304.
 */
public record GatewayDocuments(Buffer version, String versionEtag, Buffer config, String configEtag) {
}
