package dev.skewgate.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The default Cache-Control per kind of file, one row per case (DESIGN.md "Cache policy"). */
class CachePolicyTest {

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            index.html                       | ENTRY  | HTML entry point is revalidated every time
            docs/about.html                  | ENTRY  | any HTML document is an entry point
            sw.js                            | ENTRY  | service worker script decides what the tab runs
            service-worker.js                | ENTRY  | service worker, long name
            firebase-messaging-sw.js         | ENTRY  | service worker with a prefix
            ngsw-worker.js                   | ENTRY  | Angular's service worker
            manifest.json                    | ENTRY  | web manifest by name
            app.webmanifest                  | ENTRY  | web manifest by extension
            assets/index-3f9a1c2b.js         | HASHED | Vite/Rollup hex hash after '-'
            assets/index-BpR0kXg2.js         | HASHED | Vite base64url hash
            assets/vendor-B_x3-k9Z.js        | HASHED | base64url hash with '_' and '-'
            main.a3f4c2.css                  | HASHED | webpack short hex hash after '.'
            main.3b9a1c7e5d2f4a6b.js         | HASHED | Angular 16-hex hash
            chunk.a3f4c2d1.js.map            | HASHED | source map of a hashed chunk
            assets/index-3f9a1c2b.js.br      | HASHED | precompressed hashed chunk
            favicon.ico                      | OTHER  | plain name
            robots.txt                       | OTHER  | plain name
            jquery-3.6.0.min.js              | OTHER  | version numbers are not a hash
            react-dom.production.min.js      | OTHER  | words are not a hash
            logo-2024.png                    | OTHER  | short number is not a hash
            assets/settings.js               | OTHER  | word of eight letters without a digit
            app.20240101.js                  | OTHER  | all-digit segment is a date, not a hash
            """)
    void classifiesFileKinds(String path, CachePolicy.Kind expected, String why) {
        assertThat(CachePolicy.kind(path, ContentTypes.forPath(path))).as(why).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            ENTRY  | no-cache
            HASHED | public, max-age=31536000, immutable
            OTHER  | public, max-age=0, must-revalidate
            """)
    void mapsKindsToCacheControl(CachePolicy.Kind kind, String expected) {
        assertThat(CachePolicy.cacheControl(kind)).isEqualTo(expected);
    }
}
