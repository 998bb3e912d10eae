package dev.skewgate.app;

import dev.skewgate.store.postgres.StoreCopy;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code skewgate store}: tools that work on a store directly, with no gateway running on it. */
@Command(name = "store", mixinStandardHelpOptions = true, description = "Work on a store directly (no gateway).",
        subcommands = StoreCommand.Copy.class)
public final class StoreCommand {

    /** {@code skewgate store copy}: the embedded store of a data directory into PostgreSQL. */
    @Command(name = "copy", mixinStandardHelpOptions = true,
            description = "Copy a data directory's SQLite store and blobs into PostgreSQL (stop the gateway first). "
                    + "Copies sites, deployments, files, server-side env, events and blobs, then compares row counts "
                    + "and reads every blob back to check its sha256. Safe to re-run: it adds and updates, never "
                    + "deletes. The nodes on PostgreSQL need this data directory's secret-key file.")
    static final class Copy implements Callable<Integer> {

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--from", paramLabel = "DIR", defaultValue = "${env:SKEWGATE_DATA_DIR:-./skewgate-data}",
                description = "The data directory to copy from. Default: ${DEFAULT-VALUE}")
        Path from;

        @Option(names = "--to", paramLabel = "URL", required = true,
                description = "The PostgreSQL store URL, postgresql://user:password@host:5432/database")
        String to;

        @Override
        public Integer call() throws Exception {
            var out = spec.commandLine().getOut();
            StoreCopy.Report report = StoreCopy.copy(from, to, line -> {
                out.println(line);
                out.flush();
            });
            out.println("verified: row counts of " + report.rows().size() + " tables, sha256 of " + report.blobsVerified()
                    + " blob(s) read back from PostgreSQL (" + report.blobsCopied() + " copied, "
                    + (report.blobBytes() >> 10) + " KiB; " + report.blobsPresent() + " were there already)");
            return 0;
        }
    }
}
