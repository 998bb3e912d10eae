package dev.skewgate.backends;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which run commands the shell replaces itself with (exec), and which it must run as written. */
class ExecIfSimpleTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiterString = " => ", value = {
            "node server.js => exec node server.js",
            "python3 -m http.server => exec python3 -m http.server",
            "./bin/start --port 1 => exec ./bin/start --port 1",
            "cd api && node index.js => cd api && node index.js",
            "node a.js; node b.js => node a.js; node b.js",
            "npm start | tee x => npm start | tee x",
            "node -e \"console.log(1)\" => node -e \"console.log(1)\"",
            "node $APP => node $APP",
            "FOO=1 node a.js => FOO=1 node a.js",
            "exec node a.js => exec node a.js",
            "node *.js => node *.js",
            "node a.js > out => node a.js > out",
            "(node a.js) => (node a.js)",
            "node ~/a.js => node ~/a.js",
    })
    void onlyOneSimpleCommandIsExeced(String run, String expected) {
        assertThat(Instance.execIfSimple(run)).isEqualTo(expected);
    }
}
