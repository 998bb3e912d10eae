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
        walk(Main.commandLine(), new ArrayList<>(), paths);
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

    /** The managed-backend flags are where a user looks for them. */
    @ParameterizedTest(name = "skewgate {0} --help names {1}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', textBlock = """
            deploy      | --backend-dir --run --instances --health --env-file --release --max-memory --kill-timeout --idle-stop --[no-]auto-rollback
            site update | --run --instances --health --default-health --release --max-memory --kill-timeout --idle-stop --[no-]backend-auto-rollback
            site create | --run --instances --health --release --kill-timeout
            """)
    void managedBackendFlagsAreInTheHelp(String command, String flags) {
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        args.add("--help");
        Run r = run(args);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains(flags.split(" "));
    }

    /**
     * {@code logs} and {@code restart} answer {@code --help} on their own too: the walk above covers them once the
     * main command lists them (they are in its {@code subcommands}).
     */
    @ParameterizedTest(name = "{0} --help")
    @org.junit.jupiter.params.provider.ValueSource(classes = {LogsCommand.class, RestartCommand.class})
    void newCommandsAnswerHelp(Class<?> type) throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(type.getDeclaredConstructor().newInstance());
        cli.setOut(new PrintWriter(out, true));
        assertThat(cli.execute("--help")).isZero();
        assertThat(out.toString()).contains("Usage: " + cli.getCommandName(), "--admin-url");
    }

    static Stream<List<String>> groups() {
        CommandLine root = Main.commandLine();
        return commandPaths().filter(p -> {
            CommandLine c = root;
            for (String name : p) {
                c = c.getSubcommands().get(name);
            }
            return !c.getSubcommands().isEmpty();
        });
    }
}
