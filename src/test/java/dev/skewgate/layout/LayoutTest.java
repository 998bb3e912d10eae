package dev.skewgate.layout;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.skewgate.routing.RoutingHolder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layout of docs/design.md, enforced: the data plane never reaches the store, the control plane or the admin API;
 * the routing snapshot is plain values; the CLI is a client of the admin API only; no package cycles.
 */
class LayoutTest {

    private static final String ROOT = "dev.skewgate";
    private static final String[] DATA_PLANE = {"..edge..", "..staticfiles..", "..proxy..", "..push..", "..routing.."};
    static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT);
    }

    @Test
    void theDataPlaneNeverImportsTheStoreTheControlPlaneOrTheAdminApi() {
        ArchRule rule = noClasses().that().resideInAnyPackage(DATA_PLANE)
                .should().dependOnClassesThat().resideInAnyPackage("..store..", "..control..", "..admin..")
                .because("the data plane reads one immutable routing snapshot and nothing else of the control side");
        rule.check(classes);
    }

    @Test
    void metricsAndTheAccessLogOnlyReadWhatTheyAreGiven() {
        ArchRule rule = noClasses().that().resideInAnyPackage(ROOT + ".metrics..", ROOT + ".accesslog..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".store..", ROOT + ".control..",
                        ROOT + ".admin..", ROOT + ".edge..", ROOT + ".proxy..", ROOT + ".push..", ROOT + ".app..",
                        ROOT + ".staticfiles..", ROOT + ".snapshot..", ROOT + ".backends..")
                .because("the data plane reports to them on its hot path and the composition root wires their "
                        + "sources: they read the routing snapshot and the traffic meter, never the store or the "
                        + "control plane");
        rule.check(classes);
    }

    @Test
    void theRoutingSnapshotHoldsValuesOfModelAndPolicyOnly() {
        ArchRule rule = classes().that().resideInAPackage(ROOT + ".routing")
                .should().onlyDependOnClassesThat().resideInAnyPackage(ROOT + ".routing", ROOT + ".model",
                        ROOT + ".policy", "java..", "io.vertx.core.buffer", "io.vertx.core.net")
                // Two Vert.x value types are allowed, precomputed once per snapshot instead of once per request:
                // Buffer (file bytes in the form written to sockets without a copy) and SocketAddress (upstreams).
                .andShould().onlyDependOnClassesThat().resideOutsideOfPackages("io.vertx.core.net.impl..")
                .because("the snapshot package holds values, the holder and pin resolution (its compiler lives in "
                        + "snapshot)");
        rule.check(classes);
    }

    @Test
    void theCliTalksToTheAdminApiOnlyThroughItsOwnClient() {
        ArchRule rule = noClasses().that().resideInAPackage(ROOT + ".cli")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".admin..", ROOT + ".app..",
                        ROOT + ".config..", ROOT + ".control..", ROOT + ".store..", ROOT + ".routing..",
                        ROOT + ".snapshot..", ROOT + ".edge..", ROOT + ".staticfiles..", ROOT + ".proxy..",
                        ROOT + ".push..", ROOT + ".checks..", ROOT + ".traffic..", ROOT + ".demo..", ROOT + ".http..",
                        ROOT + ".policy..", ROOT + ".metrics..", ROOT + ".accesslog..")
                .because("the CLI is a client of the admin API over HTTP, like Caddy's reload (it may use model)");
        rule.check(classes);
    }

    @Test
    void onlyTheControlPlaneSwapsTheSnapshot() {
        ArchRule rule = noClasses().that().resideOutsideOfPackages(ROOT + ".control", ROOT + ".app")
                .should().callMethod(RoutingHolder.class, "swap", dev.skewgate.routing.RoutingTable.class)
                .orShould().callMethod(RoutingHolder.class, "update", java.util.function.UnaryOperator.class)
                .because("the control plane is the only writer of the routing holder");
        rule.check(classes);
    }

    @Test
    void theDemoRunsOnTheControlPlaneNotOnTheApp() {
        noClasses().that().resideInAPackage(ROOT + ".demo").should().dependOnClassesThat()
                .resideInAPackage(ROOT + ".app").check(classes);
    }

    @Test
    void noPackageCycles() {
        slices().matching(ROOT + ".(**)").should().beFreeOfCycles().check(classes);
    }
}
