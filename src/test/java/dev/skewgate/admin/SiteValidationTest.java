package dev.skewgate.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.testing.TestGateway;
import dev.skewgate.testing.TestGateway.Answer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The site rules as a table, through the admin API: every row is a {@code POST /v1/sites} or a
 * {@code PATCH /v1/sites/{site}} body with the answer it gets. A refused row also proves nothing changed; an accepted
 * row names the field of the returned site it changed and the value it must have. Rows marked "today:" record what
 * the API does now, chosen or not, so a change to it is seen.
 */
class SiteValidationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger SITES = new AtomicInteger();
    private static final String ABSENT = "<absent>";

    @TempDir
    static Path dir;
    static TestGateway gw;

    @BeforeAll
    static void start() throws IOException {
        gw = TestGateway.start(dir);
        gw.createSite("shop", "taken.test"); // owns a host name, and a site name, the rows can collide with
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    enum Op { CREATE, UPDATE }

    /**
     * One case. In bodies, {@code '} stands for {@code "}, {@code $name} / {@code $host} for this row's fresh site
     * name and host name, {@code $edge} / {@code $admin} for the gateway's own ports.
     *
     * @param before for UPDATE rows, a PATCH applied first (null: none), e.g. to set what the row then removes
     * @param code the error code of a refused row (null for an accepted one)
     * @param pointer the JSON pointer into the returned site of an accepted row
     * @param value the JSON the pointer must hold ({@value ABSENT}: no such field)
     */
    record Row(String description, Op op, String before, String body, int status, String code, String pointer,
               String value) {
        @Override
        public String toString() {
            return description;
        }
    }

    static Row refused(String description, Op op, String body, int status, String code) {
        return new Row(description, op, null, body, status, code, null, null);
    }

    static Row accepted(String description, Op op, String body, String pointer, String value) {
        return new Row(description, op, null, body, op == Op.CREATE ? 201 : 200, null, pointer, value);
    }

    static Row acceptedAfter(String description, String before, String body, String pointer, String value) {
        return new Row(description, Op.UPDATE, before, body, 200, null, pointer, value);
    }

    static final Op CREATE = Op.CREATE;
    static final Op UPDATE = Op.UPDATE;

    static Stream<Row> rows() {
        return Stream.of(
                // ---- site name and hosts (create) ----
                accepted("a site with one host", CREATE, "{'name':'$name','hosts':['$host']}", "/hosts", "['$host']"),
                refused("name missing", CREATE, "{'hosts':['$host']}", 400, "MISSING_FIELD"),
                refused("name with upper case and punctuation", CREATE, "{'name':'Shop!','hosts':['$host']}", 400,
                        "INVALID_SITE_NAME"),
                refused("name starting with a dash", CREATE, "{'name':'-shop','hosts':['$host']}", 400, "INVALID_SITE_NAME"),
                refused("name of 64 characters", CREATE, "{'name':'" + "a".repeat(64) + "','hosts':['$host']}", 400,
                        "INVALID_SITE_NAME"),
                // today: a number is taken as its text (Vert.x's JsonObject.getString)
                accepted("today: a number as the name is taken as text", CREATE, "{'name':7,'hosts':['$host']}", "/name",
                        "'7'"),
                refused("name already taken", CREATE, "{'name':'shop','hosts':['$host']}", 409, "SITE_EXISTS"),
                refused("hosts missing", CREATE, "{'name':'$name'}", 400, "NO_HOSTS"),
                refused("hosts empty", CREATE, "{'name':'$name','hosts':[]}", 400, "NO_HOSTS"),
                refused("host taken by another site", CREATE, "{'name':'$name','hosts':['TAKEN.test']}", 409, "HOST_TAKEN"),
                refused("host as a URL", CREATE, "{'name':'$name','hosts':['http://$host/']}", 400, "INVALID_HOST"),
                refused("host with a port", CREATE, "{'name':'$name','hosts':['$host:8080']}", 400, "INVALID_HOST"),
                refused("host blank", CREATE, "{'name':'$name','hosts':['  ']}", 400, "INVALID_HOST"),
                refused("wildcard inside a host", CREATE, "{'name':'$name','hosts':['a.*.test']}", 400, "INVALID_HOST"),
                refused("wildcard over a single label", CREATE, "{'name':'$name','hosts':['*.test']}", 400, "INVALID_HOST"),
                refused("host longer than 253 characters", CREATE, "{'name':'$name','hosts':['"
                        + "abcdefghi.".repeat(26) + "test']}", 400, "INVALID_HOST"),
                refused("hosts not an array", CREATE, "{'name':'$name','hosts':'$host'}", 400, "INVALID_FIELD"),
                refused("hosts not strings", CREATE, "{'name':'$name','hosts':[1]}", 400, "INVALID_FIELD"),
                accepted("hosts lower-cased, IDN to ASCII, duplicates dropped", CREATE,
                        "{'name':'$name','hosts':['$host','$HOST','bücher.$host','*.W.$host']}",
                        "/hosts", "['$host','xn--bcher-kva.$host','*.w.$host']"),
                refused("create checks the same rules as update", CREATE,
                        "{'name':'$name','hosts':['$host'],'client':{'pollInterval':'4s'}}", 400, "INVALID_POLL_INTERVAL"),
                refused("create checks the default backend", CREATE,
                        "{'name':'$name','hosts':['$host'],'defaultBackend':{'upstreams':['http://127.0.0.1:$edge']}}",
                        400, "BACKEND_IS_GATEWAY"),
                refused("body not JSON", CREATE, "{'name':", 400, "INVALID_JSON"),
                refused("body not an object", CREATE, "['$name']", 400, "INVALID_JSON"),

                // ---- hosts and API prefixes (update) ----
                refused("update to no hosts", UPDATE, "{'hosts':[]}", 400, "NO_HOSTS"),
                // a merge patch's null resets a field to a new site's default: for hosts, none
                refused("hosts null resets them to none", UPDATE, "{'hosts':null}", 400, "NO_HOSTS"),
                accepted("api prefix gets its trailing slash", UPDATE, "{'apiPrefixes':['/api','/v2/rpc/','/api/']}",
                        "/apiPrefixes", "['/api/','/v2/rpc/']"),
                accepted("no api prefixes", UPDATE, "{'apiPrefixes':[]}", "/apiPrefixes", "[]"),
                refused("api prefix without a leading slash", UPDATE, "{'apiPrefixes':['api/']}", 400, "INVALID_API_PREFIX"),
                refused("api prefix under /_skewgate/", UPDATE, "{'apiPrefixes':['/_skewgate/x/']}", 400,
                        "INVALID_API_PREFIX"),
                refused("api prefix with a dot-dot segment", UPDATE, "{'apiPrefixes':['/a/../b/']}", 400,
                        "INVALID_API_PREFIX"),
                refused("api prefix with a space", UPDATE, "{'apiPrefixes':['/a b/']}", 400, "INVALID_API_PREFIX"),
                refused("api prefix of only a slash", UPDATE, "{'apiPrefixes':['/']}", 400, "INVALID_API_PREFIX"),

                // ---- entry point and spa ----
                accepted("entry point in a folder", UPDATE, "{'entryPoint':'app/index.html'}", "/entryPoint",
                        "'app/index.html'"),
                refused("entry point absolute", UPDATE, "{'entryPoint':'/index.html'}", 400, "INVALID_PATH"),
                refused("entry point with a dot-dot segment", UPDATE, "{'entryPoint':'../index.html'}", 400, "INVALID_PATH"),
                refused("entry point with a backslash", UPDATE, "{'entryPoint':'app\\\\index.html'}", 400, "INVALID_PATH"),
                refused("entry point empty", UPDATE, "{'entryPoint':''}", 400, "INVALID_PATH"),
                refused("entry point with a control character", UPDATE, "{'entryPoint':'a\\u0001.html'}", 400,
                        "INVALID_PATH"),
                refused("entry point not a string", UPDATE, "{'entryPoint':1}", 400, "INVALID_FIELD"),
                accepted("spa off", UPDATE, "{'spa':false}", "/spa", "false"),
                refused("spa not a boolean", UPDATE, "{'spa':'no'}", 400, "INVALID_FIELD"),
                acceptedAfter("spa null resets spa to its default", "{'spa':false}", "{'spa':null}", "/spa", "true"),
                acceptedAfter("today: an unknown field is ignored", "{'spa':false}", "{'colour':'red'}", "/colour", ABSENT),

                // ---- retention ----
                accepted("keepPrevious 1", UPDATE, "{'retention':{'keepPrevious':1}}", "/retention/keepPrevious", "1"),
                accepted("keepPrevious 1000", UPDATE, "{'retention':{'keepPrevious':1000}}", "/retention/keepPrevious",
                        "1000"),
                refused("keepPrevious 0: the rollback target is always kept", UPDATE, "{'retention':{'keepPrevious':0}}",
                        400, "INVALID_RETENTION"),
                refused("keepPrevious 1001", UPDATE, "{'retention':{'keepPrevious':1001}}", 400, "INVALID_RETENTION"),
                refused("keepPrevious a string", UPDATE, "{'retention':{'keepPrevious':'3'}}", 400, "INVALID_FIELD"),
                // today: any JSON number is taken by its int value
                accepted("today: keepPrevious 2.7 is taken as 2", UPDATE, "{'retention':{'keepPrevious':2.7}}",
                        "/retention/keepPrevious", "2"),
                refused("keepPrevious past the int range", UPDATE, "{'retention':{'keepPrevious':4294967297}}", 400,
                        "INVALID_FIELD"),
                accepted("skew window 0s", UPDATE, "{'retention':{'skewWindow':'0s'}}", "/retention/skewWindow", "'0s'"),
                accepted("skew window written in the largest unit", UPDATE, "{'retention':{'skewWindow':'120m'}}",
                        "/retention/skewWindow", "'2h'"),
                // today: the duration parser refuses the sign before the "not negative" rule is reached
                refused("negative skew window", UPDATE, "{'retention':{'skewWindow':'-1s'}}", 400, "INVALID_DURATION"),
                refused("negative purgeAfter", UPDATE, "{'retention':{'purgeAfter':'-1d'}}", 400, "INVALID_DURATION"),
                refused("duration with an unknown unit", UPDATE, "{'retention':{'purgeAfter':'1w'}}", 400,
                        "INVALID_DURATION"),
                refused("duration as a number", UPDATE, "{'retention':{'skewWindow':60}}", 400, "INVALID_FIELD"),
                refused("retention not an object", UPDATE, "{'retention':5}", 400, "INVALID_FIELD"),
                acceptedAfter("a nested partial update keeps the other retention fields",
                        "{'retention':{'skewWindow':'2h','purgeAfter':'3d'}}", "{'retention':{'keepPrevious':2}}",
                        "/retention", "{'skewWindow':'2h','keepPrevious':2,'purgeAfter':'3d'}"),

                // ---- header rules ----
                accepted("a header rule", UPDATE,
                        "{'headerRules':[{'glob':'assets/**','headers':{'X-Frame-Options':'DENY','X-A':'a\\tb'}}]}",
                        "/headerRules", "[{'glob':'assets/**','headers':{'X-A':'a\\tb','X-Frame-Options':'DENY'}}]"),
                accepted("no header rules", UPDATE, "{'headerRules':[]}", "/headerRules", "[]"),
                refused("header rule without a glob", UPDATE, "{'headerRules':[{'headers':{'X-A':'1'}}]}", 400,
                        "INVALID_HEADER_RULE"),
                refused("header rule with a blank glob", UPDATE, "{'headerRules':[{'glob':'  ','headers':{'X-A':'1'}}]}",
                        400, "INVALID_HEADER_RULE"),
                // today: a number is taken as its text (Vert.x's JsonObject.getString)
                accepted("today: a number as the glob is taken as text", UPDATE,
                        "{'headerRules':[{'glob':5,'headers':{'X-A':'1'}}]}", "/headerRules/0/glob", "'5'"),
                refused("header rule without headers", UPDATE, "{'headerRules':[{'glob':'*','headers':{}}]}", 400,
                        "INVALID_HEADER_RULE"),
                refused("header rule headers not an object", UPDATE, "{'headerRules':[{'glob':'*','headers':['X-A']}]}",
                        400, "INVALID_HEADER_RULE"),
                refused("header rule not an object", UPDATE, "{'headerRules':['X-A: 1']}", 400, "INVALID_HEADER_RULE"),
                refused("header rules not an array", UPDATE, "{'headerRules':{'glob':'*'}}", 400, "INVALID_FIELD"),
                refused("header name with a space", UPDATE, "{'headerRules':[{'glob':'*','headers':{'X A':'1'}}]}", 400,
                        "INVALID_HEADER_RULE"),
                refused("header name with a colon", UPDATE, "{'headerRules':[{'glob':'*','headers':{'X-A:':'1'}}]}", 400,
                        "INVALID_HEADER_RULE"),
                refused("header name empty", UPDATE, "{'headerRules':[{'glob':'*','headers':{'':'1'}}]}", 400,
                        "INVALID_HEADER_RULE"),
                refused("header value with a line feed", UPDATE, "{'headerRules':[{'glob':'*','headers':{'X-A':'a\\nb'}}]}",
                        400, "INVALID_HEADER_RULE"),
                refused("header value with a carriage return", UPDATE,
                        "{'headerRules':[{'glob':'*','headers':{'X-A':'a\\rb'}}]}", 400, "INVALID_HEADER_RULE"),
                refused("header value with DEL", UPDATE, "{'headerRules':[{'glob':'*','headers':{'X-A':'a\\u007fb'}}]}",
                        400, "INVALID_HEADER_RULE"),
                refused("header Content-Length is the gateway's", UPDATE,
                        "{'headerRules':[{'glob':'*','headers':{'Content-Length':'1'}}]}", 400, "INVALID_HEADER_RULE"),
                refused("header Transfer-Encoding is the gateway's", UPDATE,
                        "{'headerRules':[{'glob':'*','headers':{'transfer-encoding':'chunked'}}]}", 400,
                        "INVALID_HEADER_RULE"),
                refused("header Connection is the gateway's", UPDATE,
                        "{'headerRules':[{'glob':'*','headers':{'Connection':'close'}}]}", 400, "INVALID_HEADER_RULE"),
                refused("header ETag is the gateway's", UPDATE, "{'headerRules':[{'glob':'*','headers':{'ETAG':'x'}}]}",
                        400, "INVALID_HEADER_RULE"),
                refused("header Content-Encoding is the gateway's", UPDATE,
                        "{'headerRules':[{'glob':'*','headers':{'Content-Encoding':'gzip'}}]}", 400, "INVALID_HEADER_RULE"),
                refused("header X-Skewgate-Deployment is the gateway's", UPDATE,
                        "{'headerRules':[{'glob':'*','headers':{'X-Skewgate-Deployment':'dpl_x'}}]}", 400,
                        "INVALID_HEADER_RULE"),
                refused("header Set-Cookie is refused", UPDATE,
                        "{'headerRules':[{'glob':'*','headers':{'Set-Cookie':'a=1'}}]}", 400, "INVALID_HEADER_RULE"),
                // today: a header value that is not a string is written out as text
                accepted("today: a number header value becomes text", UPDATE,
                        "{'headerRules':[{'glob':'*','headers':{'X-A':5}}]}", "/headerRules/0/headers/X-A", "'5'"),

                // ---- client ----
                accepted("strategy banner", UPDATE, "{'client':{'strategy':'banner'}}", "/client/strategy", "'banner'"),
                accepted("strategy reload-on-navigation", UPDATE, "{'client':{'strategy':'reload-on-navigation'}}",
                        "/client/strategy", "'reload-on-navigation'"),
                accepted("strategy reload-when-hidden", UPDATE, "{'client':{'strategy':'reload-when-hidden'}}",
                        "/client/strategy", "'reload-when-hidden'"),
                accepted("strategy callback", UPDATE, "{'client':{'strategy':'callback'}}", "/client/strategy", "'callback'"),
                refused("strategy unknown", UPDATE, "{'client':{'strategy':'sometimes'}}", 400, "INVALID_STRATEGY"),
                refused("strategy in upper case", UPDATE, "{'client':{'strategy':'BANNER'}}", 400, "INVALID_STRATEGY"),
                refused("strategy not a string", UPDATE, "{'client':{'strategy':1}}", 400, "INVALID_FIELD"),
                accepted("poll interval 5s", UPDATE, "{'client':{'pollInterval':'5s'}}", "/client/pollInterval", "'5s'"),
                refused("poll interval 4s", UPDATE, "{'client':{'pollInterval':'4s'}}", 400, "INVALID_POLL_INTERVAL"),
                refused("poll interval 0s", UPDATE, "{'client':{'pollInterval':'0s'}}", 400, "INVALID_POLL_INTERVAL"),
                accepted("sdk off", UPDATE, "{'client':{'injectSdk':false}}", "/client/injectSdk", "false"),
                refused("injectSdk as a string", UPDATE, "{'client':{'injectSdk':'false'}}", 400, "INVALID_FIELD"),
                refused("client not an object", UPDATE, "{'client':'banner'}", 400, "INVALID_FIELD"),
                accepted("api origins normalized and deduplicated", UPDATE,
                        "{'client':{'apiOrigins':['https://API.Example.com','https://api.example.com/','http://localhost:3000']}}",
                        "/client/apiOrigins", "['https://api.example.com','http://localhost:3000']"),
                refused("api origin with a path", UPDATE, "{'client':{'apiOrigins':['https://api.example.com/v1']}}", 400,
                        "INVALID_ORIGIN"),
                refused("api origin without a scheme", UPDATE, "{'client':{'apiOrigins':['api.example.com']}}", 400,
                        "INVALID_ORIGIN"),
                refused("api origin not http(s)", UPDATE, "{'client':{'apiOrigins':['ftp://api.example.com']}}", 400,
                        "INVALID_ORIGIN"),
                refused("api origin not a URL", UPDATE, "{'client':{'apiOrigins':['https://exa mple.com']}}", 400,
                        "INVALID_ORIGIN"),
                accepted("config alias", UPDATE, "{'client':{'configAlias':'/config.json'}}", "/client/configAlias",
                        "'/config.json'"),
                accepted("config alias gets its leading slash", UPDATE, "{'client':{'configAlias':'env/config.json'}}",
                        "/client/configAlias", "'/env/config.json'"),
                refused("config alias under /_skewgate/", UPDATE, "{'client':{'configAlias':'/_skewgate/config.json'}}",
                        400, "INVALID_CONFIG_ALIAS"),
                refused("config alias under _skewgate/ without the slash", UPDATE,
                        "{'client':{'configAlias':'_skewgate/x.json'}}", 400, "INVALID_CONFIG_ALIAS"),
                refused("config alias with a dot-dot segment", UPDATE, "{'client':{'configAlias':'/a/../config.json'}}",
                        400, "INVALID_PATH"),
                refused("config alias of only a slash", UPDATE, "{'client':{'configAlias':'/'}}", 400, "INVALID_PATH"),
                refused("config alias not a string", UPDATE, "{'client':{'configAlias':true}}", 400, "INVALID_FIELD"),
                acceptedAfter("null removes the config alias", "{'client':{'configAlias':'/config.json'}}",
                        "{'client':{'configAlias':null}}", "/client/configAlias", "null"),
                acceptedAfter("another client field keeps the config alias", "{'client':{'configAlias':'/config.json'}}",
                        "{'client':{'strategy':'callback'}}", "/client/configAlias", "'/config.json'"),

                // ---- checks ----
                accepted("readiness probes 0 (off)", UPDATE, "{'checks':{'readinessProbes':0}}", "/checks/readinessProbes",
                        "0"),
                accepted("readiness probes 20", UPDATE, "{'checks':{'readinessProbes':20}}", "/checks/readinessProbes", "20"),
                refused("readiness probes -1", UPDATE, "{'checks':{'readinessProbes':-1}}", 400, "INVALID_CHECKS"),
                refused("readiness probes 21", UPDATE, "{'checks':{'readinessProbes':21}}", 400, "INVALID_CHECKS"),
                refused("readiness probes past the int range", UPDATE, "{'checks':{'readinessProbes':4294967296}}", 400,
                        "INVALID_FIELD"),
                refused("readiness probes a string", UPDATE, "{'checks':{'readinessProbes':'3'}}", 400, "INVALID_FIELD"),
                accepted("readiness timeout 1s", UPDATE, "{'checks':{'readinessTimeout':'1s'}}",
                        "/checks/readinessTimeout", "'1s'"),
                accepted("readiness timeout 10m", UPDATE, "{'checks':{'readinessTimeout':'600s'}}",
                        "/checks/readinessTimeout", "'10m'"),
                refused("readiness timeout 0s", UPDATE, "{'checks':{'readinessTimeout':'0s'}}", 400, "INVALID_CHECKS"),
                refused("readiness timeout 601s", UPDATE, "{'checks':{'readinessTimeout':'601s'}}", 400, "INVALID_CHECKS"),
                accepted("check interval 0 (off)", UPDATE, "{'checks':{'interval':'0s'}}", "/checks/interval", "'0s'"),
                accepted("check interval 5s", UPDATE, "{'checks':{'interval':'5s'}}", "/checks/interval", "'5s'"),
                refused("check interval 4s", UPDATE, "{'checks':{'interval':'4s'}}", 400, "INVALID_CHECKS"),
                accepted("synthetic checks off", UPDATE, "{'checks':{'synthetic':false}}", "/checks/synthetic", "false"),
                accepted("auto-rollback on", UPDATE, "{'checks':{'autoRollback':true}}", "/checks/autoRollback", "true"),
                refused("autoRollback as a number", UPDATE, "{'checks':{'autoRollback':1}}", 400, "INVALID_FIELD"),
                accepted("retire when idle", UPDATE, "{'checks':{'retireWhenIdle':'90s'}}", "/checks/retireWhenIdle",
                        "'90s'"),
                refused("retire when idle negative", UPDATE, "{'checks':{'retireWhenIdle':'-5m'}}", 400, "INVALID_DURATION"),
                acceptedAfter("null removes retire-when-idle", "{'checks':{'retireWhenIdle':'1h'}}",
                        "{'checks':{'retireWhenIdle':null}}", "/checks/retireWhenIdle", "null"),
                acceptedAfter("another check field keeps retire-when-idle", "{'checks':{'retireWhenIdle':'1h'}}",
                        "{'checks':{'readinessProbes':1}}", "/checks/retireWhenIdle", "'1h'"),
                // merge patch: objects merge member by member, a member's null removes it
                acceptedAfter("wildcard samples merge: a second one is added",
                        "{'checks':{'wildcardSamples':{'*.a.$host':'www.a.$host'}}}",
                        "{'checks':{'wildcardSamples':{'*.b.$host':'www.b.$host'}}}", "/checks/wildcardSamples",
                        "{'*.a.$host':'www.a.$host','*.b.$host':'www.b.$host'}"),
                acceptedAfter("a wildcard sample's null removes it",
                        "{'checks':{'wildcardSamples':{'*.a.$host':'www.a.$host'}}}",
                        "{'checks':{'wildcardSamples':{'*.a.$host':null}}}", "/checks/wildcardSamples", "{}"),
                accepted("wildcard sample, normalized", UPDATE, "{'checks':{'wildcardSamples':{'*.W.$host':'WWW.w.$host'}}}",
                        "/checks/wildcardSamples", "{'*.w.$host':'www.w.$host'}"),
                refused("wildcard sample of a name that is no wildcard", UPDATE,
                        "{'checks':{'wildcardSamples':{'w.$host':'www.w.$host'}}}", 400, "INVALID_CHECKS"),
                refused("wildcard sample two labels deep", UPDATE,
                        "{'checks':{'wildcardSamples':{'*.w.$host':'a.b.w.$host'}}}", 400, "INVALID_CHECKS"),
                refused("wildcard sample of another domain", UPDATE,
                        "{'checks':{'wildcardSamples':{'*.w.$host':'www.other.test'}}}", 400, "INVALID_CHECKS"),
                refused("wildcard sample that is itself a wildcard", UPDATE,
                        "{'checks':{'wildcardSamples':{'*.w.$host':'*.w.$host'}}}", 400, "INVALID_CHECKS"),
                refused("wildcard sample not a host name", UPDATE,
                        "{'checks':{'wildcardSamples':{'*.w.$host':'www w.$host'}}}", 400, "INVALID_HOST"),
                refused("wildcard samples not an object", UPDATE, "{'checks':{'wildcardSamples':['www.$host']}}", 400,
                        "INVALID_FIELD"),
                refused("checks not an object", UPDATE, "{'checks':[]}", 400, "INVALID_FIELD"),

                // ---- default backend ----
                accepted("default backend normalized", UPDATE,
                        "{'defaultBackend':{'upstreams':['HTTP://127.0.0.1:9','http://127.0.0.1:9/'],'healthPath':'/api/health'}}",
                        "/defaultBackend", "{'upstreams':['http://127.0.0.1:9'],'healthPath':'/api/health'}"),
                accepted("default backend health path defaults to /", UPDATE,
                        "{'defaultBackend':{'upstreams':['https://api.example.com']}}", "/defaultBackend/healthPath", "'/'"),
                refused("default backend at the gateway's edge port", UPDATE,
                        "{'defaultBackend':{'upstreams':['http://127.0.0.1:$edge']}}", 400, "BACKEND_IS_GATEWAY"),
                refused("default backend at the gateway's admin port", UPDATE,
                        "{'defaultBackend':{'upstreams':['http://localhost:$admin']}}", 400, "BACKEND_IS_GATEWAY"),
                refused("default backend at a host this gateway serves, on its port", UPDATE,
                        "{'defaultBackend':{'upstreams':['http://taken.test:$edge']}}", 400, "BACKEND_IS_GATEWAY"),
                refused("default backend without upstreams", UPDATE, "{'defaultBackend':{'healthPath':'/'}}", 400,
                        "INVALID_BACKEND"),
                refused("default backend with no upstream", UPDATE, "{'defaultBackend':{'upstreams':[]}}", 400,
                        "INVALID_BACKEND"),
                refused("default backend with a path", UPDATE,
                        "{'defaultBackend':{'upstreams':['http://127.0.0.1:9/api']}}", 400, "INVALID_BACKEND"),
                refused("default backend with credentials", UPDATE,
                        "{'defaultBackend':{'upstreams':['http://u:p@127.0.0.1:9']}}", 400, "INVALID_BACKEND"),
                refused("default backend not http(s)", UPDATE, "{'defaultBackend':{'upstreams':['ftp://127.0.0.1:9']}}",
                        400, "INVALID_BACKEND"),
                refused("default backend not an object", UPDATE, "{'defaultBackend':'http://127.0.0.1:9'}", 400,
                        "INVALID_BACKEND"),
                refused("health path relative", UPDATE,
                        "{'defaultBackend':{'upstreams':['http://127.0.0.1:9'],'healthPath':'health'}}", 400,
                        "INVALID_HEALTH_PATH"),
                refused("health path with a dot-dot", UPDATE,
                        "{'defaultBackend':{'upstreams':['http://127.0.0.1:9'],'healthPath':'/a/../b'}}", 400,
                        "INVALID_HEALTH_PATH"),
                refused("health path with a space", UPDATE,
                        "{'defaultBackend':{'upstreams':['http://127.0.0.1:9'],'healthPath':'/a b'}}", 400,
                        "INVALID_HEALTH_PATH"),
                acceptedAfter("null removes the default backend", "{'defaultBackend':{'upstreams':['http://127.0.0.1:9']}}",
                        "{'defaultBackend':null}", "/defaultBackend", "null"),
                acceptedAfter("another field keeps the default backend",
                        "{'defaultBackend':{'upstreams':['http://127.0.0.1:9']}}", "{'spa':false}",
                        "/defaultBackend/upstreams", "['http://127.0.0.1:9']"),

                // ---- HSTS and compression of proxied responses ----
                accepted("HSTS off by default", UPDATE, "{'spa':true}", "/hsts", "null"),
                accepted("HSTS with max-age alone", UPDATE, "{'hsts':{'maxAge':600}}", "/hsts",
                        "{'maxAge':600,'includeSubDomains':false,'preload':false}"),
                accepted("HSTS max-age 0 (tells browsers to forget it)", UPDATE, "{'hsts':{'maxAge':0}}", "/hsts/maxAge",
                        "0"),
                accepted("HSTS preload with includeSubDomains and a year", UPDATE,
                        "{'hsts':{'maxAge':31536000,'includeSubDomains':true,'preload':true}}", "/hsts/preload", "true"),
                refused("HSTS negative max-age", UPDATE, "{'hsts':{'maxAge':-1}}", 400, "INVALID_HSTS"),
                refused("HSTS fractional max-age", UPDATE, "{'hsts':{'maxAge':1.5}}", 400, "INVALID_HSTS"),
                refused("HSTS max-age as a string", UPDATE, "{'hsts':{'maxAge':'31536000'}}", 400, "INVALID_HSTS"),
                refused("HSTS without max-age", UPDATE, "{'hsts':{'includeSubDomains':true}}", 400, "INVALID_HSTS"),
                refused("HSTS preload without includeSubDomains", UPDATE,
                        "{'hsts':{'maxAge':63072000,'preload':true}}", 400, "INVALID_HSTS"),
                refused("HSTS preload under a year", UPDATE,
                        "{'hsts':{'maxAge':31535999,'includeSubDomains':true,'preload':true}}", 400, "INVALID_HSTS"),
                refused("HSTS not an object", UPDATE, "{'hsts':'max-age=600'}", 400, "INVALID_FIELD"),
                refused("HSTS includeSubDomains not a boolean", UPDATE, "{'hsts':{'maxAge':600,'includeSubDomains':1}}",
                        400, "INVALID_FIELD"),
                acceptedAfter("HSTS partial update keeps max-age", "{'hsts':{'maxAge':600}}",
                        "{'hsts':{'includeSubDomains':true}}", "/hsts",
                        "{'maxAge':600,'includeSubDomains':true,'preload':false}"),
                acceptedAfter("HSTS null turns it off", "{'hsts':{'maxAge':600}}", "{'hsts':null}", "/hsts", "null"),
                accepted("compressProxied off by default", UPDATE, "{'spa':true}", "/compressProxied", "false"),
                accepted("compressProxied on", UPDATE, "{'compressProxied':true}", "/compressProxied", "true"),
                refused("compressProxied not a boolean", UPDATE, "{'compressProxied':'yes'}", 400, "INVALID_FIELD"),

                // ---- the body itself ----
                refused("update body not JSON", UPDATE, "{'spa':", 400, "INVALID_JSON"),
                refused("update body an array", UPDATE, "[]", 400, "INVALID_JSON"),
                accepted("an empty update changes only the revision", UPDATE, "{}", "/revision", "2"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void siteBodiesAreCheckedByTheRules(Row row) throws IOException {
        String name = "t" + SITES.incrementAndGet();
        String host = name + ".test";
        JsonNode prior = null;
        if (row.op() == Op.UPDATE) {
            gw.ok("POST", "/v1/sites", Map.of("name", name, "hosts", List.of(host)));
            if (row.before() != null) {
                gw.ok("PATCH", "/v1/sites/" + name, fill(row.before(), name, host));
            }
            prior = gw.ok("GET", "/v1/sites/" + name, null).body();
        }
        String path = row.op() == Op.CREATE ? "/v1/sites" : "/v1/sites/" + name;
        Answer a = gw.admin(row.op() == Op.CREATE ? "POST" : "PATCH", path, fill(row.body(), name, host));
        assertThat(a.status()).as(a.body().toString()).isEqualTo(row.status());
        if (row.code() != null) {
            assertThat(a.error()).as(a.body().toString()).isEqualTo(row.code());
            assertThat(a.body().path("message").asText()).isNotBlank();
            Answer after = gw.admin("GET", "/v1/sites/" + name, null);
            if (prior == null) {
                assertThat(after.status()).as("a refused create stores nothing").isEqualTo(404);
            } else {
                assertThat(after.body()).as("a refused update changes nothing").isEqualTo(prior);
            }
            return;
        }
        JsonNode actual = a.body().at(row.pointer());
        if (row.value().equals(ABSENT)) {
            assertThat(actual.isMissingNode()).as(row.pointer() + " in " + a.body()).isTrue();
        } else {
            assertThat(actual).as(row.pointer() + " in " + a.body()).isEqualTo(JSON.readTree(fill(row.value(), name, host)));
        }
        assertThat(gw.ok("GET", "/v1/sites/" + a.body().path("name").asText(), null).body())
                .as("what was answered is what is stored")
                .isEqualTo(a.body());
    }

    private static String fill(String template, String name, String host) {
        return template.replace('\'', '"').replace("$name", name).replace("$HOST", host.toUpperCase())
                .replace("$host", host).replace("$edge", String.valueOf(gw.edgePort()))
                .replace("$admin", String.valueOf(gw.adminPort()));
    }
}
