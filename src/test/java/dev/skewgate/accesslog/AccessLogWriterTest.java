package dev.skewgate.accesslog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.config.Observability;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The writer side of the access log: dropping instead of waiting, rotation, and what a target keeps. */
class AccessLogWriterTest {

    @TempDir
    Path dir;

    private static AccessEntry entry(int n) {
        return new AccessEntry(0, "127.0.0.1", "shop", "shop.localhost", "GET", "/n/" + n, "HTTP/1.1", 200, 1, 1000,
                "dpl_x", "none", -1, "id" + n, null, null);
    }

    @Test
    void aStuckWriterMakesOfferDropAndCountInsteadOfWaiting() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    release.await(); // stdout piped to a reader that stopped reading
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                synchronized (written) {
                    written.write(b, off, len);
                }
            }
        };
        AccessLog log = AccessLog.toStream(Observability.Format.COMBINED, stuck, 4);
        for (int i = 0; i < 1000; i++) {
            log.offer(entry(i)); // returns at once: the test would hang here otherwise
        }
        assertThat(log.dropped()).as("at most the queue and one batch are held").isGreaterThanOrEqualTo(1000 - 4 - 256);
        release.countDown();
        log.close();
        long lines;
        synchronized (written) {
            lines = written.toString(StandardCharsets.UTF_8).lines().count();
        }
        assertThat(lines + log.dropped()).as("every request is written or counted as dropped").isEqualTo(1000);
    }

    @Test
    void theFileIsRotatedBySizeKeepingThreeFiles() throws Exception {
        Path path = dir.resolve("access.log");
        try (LogFile file = new LogFile(path, 100, 3)) {
            for (int i = 0; i < 20; i++) {
                file.write(String.format("line %02d %s\n", i, "x".repeat(20)).getBytes(StandardCharsets.UTF_8));
            }
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted())
                    .containsExactly("access.log", "access.log.1", "access.log.2");
        }
        for (String name : new String[] {"access.log", "access.log.1", "access.log.2"}) {
            assertThat(Files.size(dir.resolve(name))).isLessThanOrEqualTo(100);
        }
        assertThat(Files.readString(path)).contains("line 19").doesNotContain("line 15");
        assertThat(Files.readString(dir.resolve("access.log.2"))).doesNotContain("line 00");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            plain path kept                       | /assets/app.js                     | /assets/app.js
            the pin's value goes                  | /?_skewgate=dpl_01ABC              | /?_skewgate=REDACTED
            token                                 | /cb?access_token=abc&x=1           | /cb?access_token=REDACTED&x=1
            api key, any case                     | /a?API_KEY=abc                     | /a?API_KEY=REDACTED
            password                              | /l?user=bo&password=hunter2        | /l?user=bo&password=REDACTED
            signature of a presigned URL          | /f?X-Amz-Signature=deadbeef        | /f?X-Amz-Signature=REDACTED
            auth and oauth code                   | /o?code=xyz&state=s&auth=q         | /o?code=REDACTED&state=s&auth=REDACTED
            percent-encoded name                  | /t?%74oken=abc                     | /t?%74oken=REDACTED
            a flag without value stays            | /t?token                           | /t?token
            harmless values stay                  | /s?q=shoes&page=2                  | /s?q=shoes&page=2
            fragment dropped                      | /p?secret=1#frag                   | /p?secret=REDACTED
            quote and control escaped             | /a"b                               | /a\\x22b
            """)
    void targetsKeepThePathAndLoseSecretLookingValues(String why, String target, String logged) {
        assertThat(SafeTarget.of(target)).as(why).isEqualTo(logged.replace("\\\\", "\\"));
    }
}
