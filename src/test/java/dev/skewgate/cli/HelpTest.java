package dev.skewgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.app.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Every command and group answers {@code --help}, and a group run alone lists what it has. The command lines come
 * from picocli's own command tree, so a new command is covered without touching this test.
 */
class HelpTest {

    record Run(int code, String out, String err) {
    }

    static Run run(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    /** Every command path in the tree, e.g. [], [site], [site, create], [config, set]. */
    static Stream<List<String>> commandPaths() {
        List<List<String>> paths = new ArrayList<>();
        walk(new CommandLine(new Main()), new ArrayList<>(), paths);
        return paths.stream();
    }

    private static void walk(CommandLine command, List<String> path, List<List<String>> out) {
        out.add(List.copyOf(path));
        command.getSubcommands().forEach((name, sub) -> {
            if (sub.getCommandName().equals(name)) { // aliases would repeat the same command
                List<String> next = new ArrayList<>(path);
                next.add(name);
                walk(sub, next, out);
            }
        });
    }

    @ParameterizedTest(name = "skewgate {0} --help")
    @MethodSource("commandPaths")
    void everyCommandAnswersHelp(List<String> path) {
        List<String> args = new ArrayList<>(path);
        args.add("--help");
        if (path.equals(List.of("help"))) {
            args.remove("--help"); // picocli's help command takes a command name, not --help
        }
        Run r = run(args);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).as(String.join(" ", path)).contains("Usage: skewgate");
        assertThat(r.err()).isEmpty();
    }

    @ParameterizedTest(name = "skewgate {0}")
    @MethodSource("groups")
    void aGroupRunAloneListsItsCommands(List<String> path) {
        Run r = run(path);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Usage: skewgate", "Commands:");
    }

    static Stream<List<String>> groups() {
        CommandLine root = new CommandLine(new Main());
        return commandPaths().filter(p -> {
            CommandLine c = root;
            for (String name : p) {
                c = c.getSubcommands().get(name);
            }
            return !c.getSubcommands().isEmpty();
        });
    }
}
