package dev.skewgate.policy;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which missing files an old tab still gets from a retained deployment: every file a build tool emits, whatever its
 * name, and never a file that decides which version the tab runs.
 */
class RetainedLookupTest {

    private static final String BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            assets/Lazy-AbCdEfGh.js          | true  | Vite chunk whose hash has no digit (a quarter of them)
            assets/index-BpR0kXg2.js         | true  | Vite chunk with a digit
            assets/About-DfsLqXzA.css        | true  | Vite CSS of a lazy route, no digit
            static/js/787.d5f3e2a1.chunk.js  | true  | Create React App chunk
            static/media/logo.6ce24c58.svg   | true  | Create React App media
            js/chunk-vendors.7f9e2d1c.js     | true  | Vue CLI / webpack chunk
            main.3b9a1c7e5d2f4a6b.js         | true  | Angular hashed bundle
            chunk-ABCDEFGH.js                | true  | Angular esbuild chunk, all letters
            index.0f3a6c1e.js                | true  | Parcel bundle
            assets/settings.js               | true  | an unhashed script of the old build
            fonts/inter.woff2                | true  | an unhashed font
            locales/de.json                  | true  | a lazily fetched translation
            assets/logo.svg.br               | true  | a precompressed image
            robots.txt                       | false | no tab lazy-loads it: a removed one is gone
            .env                             | false | nor this
            downloads/report.pdf             | false | a document, not a subresource
            LICENSE                          | false | no extension
            ngsw.json                        | false | Angular's service-worker manifest, by its exact name
            index.html                       | false | entry point: always the served deployment's
            admin/index.html                 | false | nested entry point
            sw.js                            | true  | by name alone: the edge refuses Service-Worker: script fetches
            assets/index-Ab1_x-sw.js         | true  | a Vite hash that ends in -sw is a chunk, not a worker
            manifest.webmanifest             | false | the web manifest decides what an installed app starts
            """)
    void retainedFilesServeEverythingButEntryPoints(String path, boolean expected, String why) {
        assertThat(RetainedLookup.mayServeFromRetained(path, ContentTypes.forPath(path))).as(why).isEqualTo(expected);
    }

    /** Vite/Rollup's default chunk names: {@code [name]-[hash].js}, the hash 8 base64url characters. */
    @Provide
    Arbitrary<String> viteChunkNames() {
        return viteNames(BASE64URL);
    }

    /** The same names with hashes that have no digit (a quarter of Vite's), the case wave 1 missed. */
    @Provide
    Arbitrary<String> viteChunkNamesWithoutDigit() {
        return viteNames(BASE64URL.replaceAll("[0-9]", ""));
    }

    private static Arbitrary<String> viteNames(String hashAlphabet) {
        Arbitrary<String> name = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
                .ofMinLength(1).ofMaxLength(20);
        Arbitrary<String> hash = Arbitraries.strings().withChars(hashAlphabet).ofLength(8);
        Arbitrary<String> ext = Arbitraries.of("js", "css", "mjs", "svg", "woff2", "js.map");
        return Combinators.combine(name, hash, ext).as((n, h, e) -> "assets/" + n + "-" + h + "." + e);
    }

    @Property(tries = 2000)
    void everyViteChunkOfAnOldBuildIsStillServed(@ForAll("viteChunkNames") String path) {
        assertThat(RetainedLookup.mayServeFromRetained(path, ContentTypes.forPath(path))).isTrue();
    }

    @Property(tries = 500)
    void aHashWithoutADigitOnlyCostsARevalidationNeverAStaleFile(@ForAll("viteChunkNamesWithoutDigit") String path) {
        assertThat(RetainedLookup.mayServeFromRetained(path, ContentTypes.forPath(path))).isTrue();
        // The cache policy's guess may miss such a hash: missing it is safe (revalidated), never a stale file.
        assertThat(CachePolicy.kind(path, ContentTypes.forPath(path))).isNotEqualTo(CachePolicy.Kind.HASHED);
    }

    /** Webpack/CRA/Parcel/Angular: {@code [name].[contenthash].js}, lowercase hex of 8, 16 or 20 characters. */
    @Provide
    Arbitrary<String> webpackNames() {
        Arbitrary<String> name = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-").ofMinLength(1)
                .ofMaxLength(16).filter(n -> !n.startsWith("-") && !n.endsWith("-"));
        Arbitrary<String> hash = Arbitraries.of(8, 16, 20).flatMap(len ->
                Arbitraries.strings().withChars("0123456789abcdef").ofLength(len));
        return Combinators.combine(name, hash).as((n, h) -> "static/js/" + n + "." + h + ".chunk.js");
    }

    @Property(tries = 1000)
    void everyWebpackChunkOfAnOldBuildIsStillServed(@ForAll("webpackNames") String path) {
        assertThat(RetainedLookup.mayServeFromRetained(path, ContentTypes.forPath(path))).isTrue();
    }
}
