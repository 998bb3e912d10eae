package dev.skewgate.app;

import dev.skewgate.cli.ActivateCommand;
import dev.skewgate.cli.CertCommand;
import dev.skewgate.cli.ConfigCommand;
import dev.skewgate.cli.EnvCommand;
import dev.skewgate.cli.WebhookCommand;
import dev.skewgate.cli.DeployCommand;
import dev.skewgate.cli.EventsCommand;
import dev.skewgate.cli.LogsCommand;
import dev.skewgate.cli.RestartCommand;
import dev.skewgate.cli.PromoteCommand;
import dev.skewgate.cli.RetireCommand;
import dev.skewgate.cli.RollbackCommand;
import dev.skewgate.cli.SiteCommand;
import dev.skewgate.cli.StatusCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code skewgate} command: {@code serve} runs the gateway, every other subcommand is a client of its admin API. */
@Command(name = "skewgate", mixinStandardHelpOptions = true, version = "skewgate 0.1.0",
        description = "A gateway that keeps running clients safe across deployments.",
        subcommands = {ServeCommand.class, DemoCommand.class, SiteCommand.class, DeployCommand.class, ActivateCommand.class,
                RollbackCommand.class, RetireCommand.class, PromoteCommand.class, StatusCommand.class,
                EventsCommand.class, ConfigCommand.class, EnvCommand.class, WebhookCommand.class, CertCommand.class, LogsCommand.class, RestartCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        int code = run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        System.exit(code);
    }

    /** Runs a command line with the given output streams; returns its exit code (used by tests, too). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
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
}
