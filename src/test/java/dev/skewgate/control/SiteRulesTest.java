package dev.skewgate.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skewgate.model.CheckSettings;
import dev.skewgate.model.ClientSettings;
import dev.skewgate.model.HeaderRule;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.Retention;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Site validation as a table: each row changes one thing of valid settings and names the refusal (or none). */
class SiteRulesTest {

    static final SiteSettings VALID = SiteSettings.DEFAULT.withHosts(List.of("shop.example.com"));

    static SiteSettings retention(Retention r) {
        return new SiteSettings(VALID.hosts(), VALID.apiPrefixes(), VALID.spa(), VALID.entryPoint(), r,
                VALID.headerRules(), VALID.client(), VALID.defaultBackend(), VALID.checks(),
                VALID.backendDefaults(), VALID.responses());
    }

    static SiteSettings rules(HeaderRule... rules) {
        return new SiteSettings(VALID.hosts(), VALID.apiPrefixes(), VALID.spa(), VALID.entryPoint(), VALID.retention(),
                List.of(rules), VALID.client(), VALID.defaultBackend(), VALID.checks(),
                VALID.backendDefaults(), VALID.responses());
    }

    static SiteSettings client(UnaryOperator<ClientSettings> change) {
        return new SiteSettings(VALID.hosts(), VALID.apiPrefixes(), VALID.spa(), VALID.entryPoint(), VALID.retention(),
                VALID.headerRules(), change.apply(VALID.client()), VALID.defaultBackend(), VALID.checks(),
                VALID.backendDefaults(), VALID.responses());
    }

    static SiteSettings checks(int probes, Duration timeout, Duration interval, Map<String, String> samples) {
        CheckSettings c = VALID.checks();
        return new SiteSettings(VALID.hosts(), VALID.apiPrefixes(), VALID.spa(), VALID.entryPoint(), VALID.retention(),
                VALID.headerRules(), VALID.client(), VALID.defaultBackend(),
                new CheckSettings(probes, timeout, c.synthetic(), interval, c.autoRollback(), c.retireWhenIdle(), samples),
                VALID.backendDefaults(), VALID.responses());
    }

    static SiteSettings entry(String path) {
        return new SiteSettings(VALID.hosts(), VALID.apiPrefixes(), VALID.spa(), path, VALID.retention(),
                VALID.headerRules(), VALID.client(), VALID.defaultBackend(), VALID.checks(),
                VALID.backendDefaults(), VALID.responses());
    }

    static ClientSettings with(ClientSettings c, String strategy, Duration poll, List<String> origins, Optional<String> alias) {
        return new ClientSettings(c.injectSdk(), strategy, poll, origins, alias);
    }

    static final Duration S30 = Duration.ofSeconds(30);
    static final Duration M1 = Duration.ofMinutes(1);

    static Stream<Arguments> refusals() {
        ClientSettings c = VALID.client();
        return Stream.of(
                Arguments.of("no host name", SiteSettings.DEFAULT, "NO_HOSTS"),
                Arguments.of("a host name with a port", VALID.withHosts(List.of("shop.example.com:8080")), "INVALID_HOST"),
                Arguments.of("an entry point outside the build", entry("../index.html"), "INVALID_PATH"),
                Arguments.of("keepPrevious 0 (the rollback target is always kept)",
                        retention(new Retention(Duration.ofHours(1), 0, Duration.ofDays(7))), "INVALID_RETENTION"),
                Arguments.of("keepPrevious 1001", retention(new Retention(Duration.ofHours(1), 1001, Duration.ofDays(7))),
                        "INVALID_RETENTION"),
                Arguments.of("a negative skew window", retention(new Retention(Duration.ofHours(-1), 3, Duration.ofDays(7))),
                        "INVALID_RETENTION"),
                Arguments.of("a rule without headers", rules(new HeaderRule("assets/**", Map.of())), "INVALID_HEADER_RULE"),
                Arguments.of("a rule overriding Content-Length",
                        rules(new HeaderRule("**", Map.of("Content-Length", "1"))), "INVALID_HEADER_RULE"),
                Arguments.of("a rule setting cookies", rules(new HeaderRule("**", Map.of("Set-Cookie", "a=b"))),
                        "INVALID_HEADER_RULE"),
                Arguments.of("a header name with a space", rules(new HeaderRule("**", Map.of("X Bad", "1"))),
                        "INVALID_HEADER_RULE"),
                Arguments.of("a header value with a line break", rules(new HeaderRule("**", Map.of("X-A", "1\r\nX-B: 2"))),
                        "INVALID_HEADER_RULE"),
                Arguments.of("an unknown update strategy",
                        client(x -> with(x, "reload-now", x.pollInterval(), x.apiOrigins(), x.configAlias())),
                        "INVALID_STRATEGY"),
                Arguments.of("polling every 4 s", client(x -> with(x, x.strategy(), Duration.ofSeconds(4), x.apiOrigins(),
                        x.configAlias())), "INVALID_POLL_INTERVAL"),
                Arguments.of("an API origin with a path", client(x -> with(x, x.strategy(), x.pollInterval(),
                        List.of("https://api.example.com/v1"), x.configAlias())), "INVALID_ORIGIN"),
                Arguments.of("an API origin without scheme", client(x -> with(x, x.strategy(), x.pollInterval(),
                        List.of("api.example.com"), x.configAlias())), "INVALID_ORIGIN"),
                Arguments.of("a config alias under /_skewgate/", client(x -> with(x, x.strategy(), x.pollInterval(),
                        x.apiOrigins(), Optional.of("/_skewgate/x.json"))), "INVALID_CONFIG_ALIAS"),
                Arguments.of("21 readiness probes", checks(21, S30, M1, Map.of()), "INVALID_CHECKS"),
                Arguments.of("a readiness timeout under 1 s", checks(3, Duration.ofMillis(500), M1, Map.of()),
                        "INVALID_CHECKS"),
                Arguments.of("a readiness timeout over 10 m", checks(3, Duration.ofMinutes(11), M1, Map.of()),
                        "INVALID_CHECKS"),
                Arguments.of("a check interval of 4 s", checks(3, S30, Duration.ofSeconds(4), Map.of()), "INVALID_CHECKS"),
                Arguments.of("a wildcard sample the wildcard does not cover",
                        checks(3, S30, M1, Map.of("*.example.com", "a.b.example.com")), "INVALID_CHECKS"),
                Arguments.of("a sample for a name that is no wildcard",
                        checks(3, S30, M1, Map.of("shop.example.com", "shop.example.com")), "INVALID_CHECKS"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refused(String description, SiteSettings settings, String code) {
        assertThatThrownBy(() -> SiteRules.check(settings)).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> assertThat(e.code()).isEqualTo(code));
    }

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of("the defaults with one host", VALID, VALID),
                Arguments.of("host names are lowercased and deduplicated",
                        VALID.withHosts(List.of("Shop.Example.COM", "shop.example.com", "*.example.com")),
                        VALID.withHosts(List.of("shop.example.com", "*.example.com"))),
                Arguments.of("polling off is not a thing, but 0 s check interval is: continuous checks off",
                        checks(0, Duration.ofSeconds(1), Duration.ZERO, Map.of()),
                        checks(0, Duration.ofSeconds(1), Duration.ZERO, Map.of())),
                Arguments.of("an origin is normalized to scheme://host[:port]",
                        client(x -> with(x, x.strategy(), x.pollInterval(), List.of("https://API.example.com/"),
                                Optional.of("config.json"))),
                        client(x -> with(x, x.strategy(), x.pollInterval(), List.of("https://api.example.com"),
                                Optional.of("/config.json")))),
                Arguments.of("a wildcard's sample", checks(3, S30, M1, Map.of("*.Example.com", "www.example.com")),
                        checks(3, S30, M1, Map.of("*.example.com", "www.example.com"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void accepted(String description, SiteSettings settings, SiteSettings normalized) {
        assertThat(SiteRules.check(settings)).isEqualTo(normalized);
    }
}
