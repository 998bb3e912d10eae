package dev.skewgate.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Fuzzes the webhook's {@code X-Skewgate-Signature} parser: it never throws, a parsed timestamp is the ASCII decimal
 * the sender wrote (so the signed string is the one the sender signed), the candidates are bounded, and a header
 * built from a real signature always parses back to it.
 */
class SignatureFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void signatureHeadersParseToBoundedCandidatesOrNothing(FuzzedDataProvider data) {
        if (data.consumeBoolean()) {
            long t = data.consumeLong(0, 99_999_999_999L);
            String body = data.consumeString(100);
            String sig = HexFormat.of().formatHex(NotifyWebhook.hmac("whsec_x", (t + "." + body)
                    .getBytes(StandardCharsets.UTF_8)));
            String junk = data.consumeString(600);
            String header = "t=" + t + "," + junk + ",v1=" + sig;
            var parsed = NotifyWebhook.Signature.parse(header);
            // Junk may carry its own t= (the last one wins, as before) or fill the bound with well-formed candidates.
            boolean roomLeft = java.util.regex.Pattern.compile("v1=[0-9a-fA-F]{64}").matcher(junk).results().count()
                    < NotifyWebhook.Signature.MAX_SIGNATURES;
            if (!junk.contains("t=") && roomLeft) {
                assertThat(parsed).isPresent();
                assertThat(parsed.get().timestamp()).isEqualTo(t);
                assertThat(parsed.get().v1()).contains(sig);
            }
            return;
        }
        String header = data.consumeRemainingAsString();
        NotifyWebhook.Signature.parse(header).ifPresent(s -> {
            assertThat(s.timestamp()).isNotNegative();
            assertThat(header).contains("t=" + s.timestamp());
            assertThat(s.v1()).isNotEmpty().hasSizeLessThanOrEqualTo(NotifyWebhook.Signature.MAX_SIGNATURES)
                    .allMatch(v -> v.matches("[0-9a-f]{64}"));
        });
    }
}
