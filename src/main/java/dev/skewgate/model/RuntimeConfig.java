package dev.skewgate.model;

/**
 * A site's runtime config: a JSON object kept outside every bundle, served to the browser, changed without a
 * rebuild. The revision increases with each change.
 *
 * @param json the object, compactly encoded
 */
public record RuntimeConfig(long revision, String json) {

    public static final RuntimeConfig EMPTY = new RuntimeConfig(0, "{}");
}
