package dev.skewgate.app;

import dev.skewgate.cli.ActivateCommand;
import dev.skewgate.cli.CertCommand;
import dev.skewgate.cli.ConfigCommand;
import dev.skewgate.cli.EnvCommand;
import dev.skewgate.cli.WebhookCommand;
import dev.skewgate.cli.DeployCommand;
import dev.skewgate.cli.DashboardCommand;
import dev.skewgate.cli.EventsCommand;
import dev.skewgate.cli.LogsCommand;
import dev.skewgate.cli.RestartCommand;
import dev.skewgate.cli.PromoteCommand;
import dev.skewgate.cli.RetireCommand;
import dev.skewgate.cli.RollbackCommand;
import dev.skewgate.cli.SiteCommand;
import dev.skewgate.cli.StatusCommand;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code skewgate} command: {@code serve} runs the gateway, every other subcommand is a client of its admin API. */
@Command(name = "skewgate", mixinStandardHelpOptions = true, version = "skewgate 0.1.0",
        description = "A gateway that keeps running clients safe across deployments.")
public final class Main {

    /** Every subcommand, by name, in the order of the help. */
    private static final Map<String, Class<?>> COMMANDS = commands(ServeCommand.class, DemoCommand.class,
            SiteCommand.class, DeployCommand.class, ActivateCommand.class, RollbackCommand.class, RetireCommand.class,
            PromoteCommand.class, StatusCommand.class, EventsCommand.class, DashboardCommand.class, ConfigCommand.class, EnvCommand.class,
            WebhookCommand.class, CertCommand.class, LogsCommand.class, RestartCommand.class, StoreCommand.class,
            CommandLine.HelpCommand.class);

    public static void main(String[] args) {
        int code = run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        System.exit(code);
    }

    /** Runs a command line with the given output streams; returns its exit code (used by tests, too). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = commandLine(args);
        // Everything printed passes through Terminal.safe: it includes what the gateway sent (messages, names, errors).
        cli.setOut(dev.skewgate.cli.Terminal.safe(out));
        cli.setErr(dev.skewgate.cli.Terminal.safe(err));
        cli.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + e.getMessage());
            return 1;
        });
        // A bad flag or value: one line naming it and where the help is, exit 1 (as every other error), not the usage.
        cli.setParameterExceptionHandler((e, args2) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("error: " + e.getMessage() + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            return 1;
        });
        // A group ("skewgate", "skewgate site") run without a subcommand prints its usage: the list of what it has.
        cli.setExecutionStrategy(parseResult -> {
            CommandLine last = parseResult.asCommandLineList().get(parseResult.asCommandLineList().size() - 1);
            Object command = last.getCommand();
            if (!(command instanceof Runnable) && !(command instanceof java.util.concurrent.Callable)
                    && !last.isUsageHelpRequested() && !last.isVersionHelpRequested()) {
                last.usage(last.getOut());
                return 0;
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        return cli.execute(args);
    }

    /** The whole command tree, as the help shows it. */
    public static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /**
     * The command tree for a command line: when it names a command (or a group's command, {@code site list}),
     * only that one is built. picocli reads every command's annotations and creates every command object when it
     * builds a tree, which for the whole tree is most of a short command's start; the others cannot be reached
     * anyway; {@code --version} alone builds none. Anything else (no command, a typo, a group alone, {@code help})
     * gets the whole tree, for its usage and its suggestions.
     */
    private static CommandLine commandLine(String[] args) {
        CommandLine cli = new CommandLine(new Main());
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            return cli; // the version needs no command
        }
        Class<?> only = args.length == 0 || args[0].equals("help") ? null : COMMANDS.get(args[0]);
        if (only == null) {
            COMMANDS.forEach(cli::addSubcommand);
            return cli;
        }
        Map<String, Class<?>> group = commands(only.getAnnotation(Command.class).subcommands());
        Class<?> leaf = args.length > 1 ? group.get(args[1]) : null;
        if (group.isEmpty() || leaf == null) {
            cli.addSubcommand(args[0], only);
        } else {
            // A group holds no options of its own but the standard help ones: a bare one stands in for it.
            CommandLine lean = new CommandLine(new Group());
            lean.addSubcommand(args[1], leaf);
            cli.addSubcommand(args[0], lean);
        }
        return cli;
    }

    /** The stand-in of a command group when one of its commands runs (see {@link #commandLine(String[])}). */
    @Command(mixinStandardHelpOptions = true, version = "skewgate 0.1.0")
    static final class Group {
    }

    private static Map<String, Class<?>> commands(Class<?>... classes) {
        Map<String, Class<?>> byName = new LinkedHashMap<>();
        for (Class<?> c : classes) {
            byName.put(c.getAnnotation(Command.class).name(), c);
        }
        return byName;
    }
}
