package dev.skewgate.push;

import io.vertx.core.json.Json;
import java.util.Optional;

/**
 * What open tabs are told after a change is live, one kind per record. Each carries the site and the number of the
 * audit event it reports (the SSE id, for {@code Last-Event-ID}); push encodes it for the wire ({@link #type},
 * {@link #data}), the wire contract in docs/design.md.
 */
public sealed interface ChangeNotice {

    String site();

    long seq();

    /** The SSE event name. */
    String type();

    /** The SSE data: one JSON object. */
    String data();

    /**
     * Another deployment serves unpinned clients now.
     *
     * @param reason {@code activate} or {@code rollback}; a rollback is required (the new version was bad)
     */
    record Switched(String site, long seq, String deployment, Optional<String> previous, String reason)
            implements ChangeNotice {
        @Override
        public String type() {
            return "deployment";
        }

        @Override
        public String data() {
            return "{\"deployment\":" + Json.encode(deployment) + ",\"previous\":"
                    + previous.map(Json::encode).orElse("null") + ",\"reason\":" + Json.encode(reason)
                    + ",\"required\":" + reason.equals("rollback") + "}";
        }
    }

    /**
     * The site's runtime config changed.
     *
     * @param config the new config's JSON when small enough to travel inside the event (thousands of tabs then need
     *     not fetch config.json at the same moment)
     */
    record ConfigChanged(String site, long seq, long revision, Optional<String> config) implements ChangeNotice {
        /** Configs up to this many bytes travel inside the event. */
        public static final int INLINE_LIMIT = 8192;

        @Override
        public String type() {
            return "config";
        }

        @Override
        public String data() {
            return "{\"revision\":" + revision + config.map(c -> ",\"config\":" + c).orElse("") + "}";
        }
    }

    /** A deployment was turned off for good: its tabs must reload. */
    record Retired(String site, long seq, String deployment) implements ChangeNotice {
        @Override
        public String type() {
            return "retired";
        }

        @Override
        public String data() {
            return "{\"deployment\":" + Json.encode(deployment) + "}";
        }
    }

    /** A frontend hosted elsewhere announced a new version through the signed deploy webhook. */
    record External(String site, long seq, String version) implements ChangeNotice {
        @Override
        public String type() {
            return "deployment";
        }

        @Override
        public String data() {
            return "{\"deployment\":" + Json.encode(version) + ",\"previous\":null,\"reason\":\"activate\","
                    + "\"required\":false,\"external\":true}";
        }
    }
}
