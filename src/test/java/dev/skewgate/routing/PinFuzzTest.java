package dev.skewgate.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes pin resolution from the header, the raw query and the Cookie header: it never throws, a navigation is never
 * pinned by the cookie, and a pin taken from the query or a cookie is bounded however long the input.
 */
class PinFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void pinsResolveWithoutFailingAndStayBounded(FuzzedDataProvider data) {
        boolean navigation = data.consumeBoolean();
        String header = data.consumeBoolean() ? null : data.consumeString(200);
        String query = data.consumeBoolean() ? null : data.consumeString(400);
        String cookies = data.consumeBoolean() ? null : data.consumeRemainingAsString();
        Pin pin = Pin.resolve(header, query, cookies, navigation);
        assertThat(pin.value().isPresent()).isEqualTo(pin.source() != Pin.Source.NONE);
        if (header != null) {
            assertThat(pin.source()).isEqualTo(Pin.Source.HEADER);
        }
        if (navigation) {
            assertThat(pin.source()).isNotEqualTo(Pin.Source.COOKIE);
        }
        if (pin.source() == Pin.Source.QUERY || pin.source() == Pin.Source.COOKIE) {
            assertThat(pin.value().orElseThrow().length()).isLessThanOrEqualTo(Pin.MAX_LENGTH + 1);
        }
    }
}
