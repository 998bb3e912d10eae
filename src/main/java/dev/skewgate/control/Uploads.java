package dev.skewgate.control;

import dev.skewgate.model.Backend;
import dev.skewgate.model.BackendFile;
import dev.skewgate.model.Site;
import dev.skewgate.model.ConflictException;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentIds;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.ManifestRules;
import dev.skewgate.policy.ContentTypes;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * New deployments: a manifest first (answering which blobs are still missing), blobs in parallel, then finalize
 * (staged, in the snapshot for previews). Content-addressed: a blob the gateway has is never sent again.
 */
public final class Uploads {

    private final ChangeCore core;
    private final Store store;
    private final BlobStore blobs;
    private final Sites sites;
    private final OwnAddresses own;
    private final Clock clock;
    /** Every deployment id this gateway makes, by its clock (also the copies of a promotion, {@link Lifecycle}). */
    private final DeploymentIds.Generator ids;
    /** Manifests of deployments being uploaded: sha256 -> size, so a blob upload is checked without a query. */
    private final Map<String, Map<String, Long>> uploading = new ConcurrentHashMap<>();
    /**
     * Read while a manifest starts referencing blobs the gateway already has, written while unreferenced blobs are
     * deleted: the collector never deletes a blob a new manifest was just told it need not send.
     */
    private final ReadWriteLock references = new ReentrantReadWriteLock();

    Uploads(ChangeCore core, BlobStore blobs, Sites sites, OwnAddresses own, Clock clock) {
        this.core = core;
        this.store = core.store();
        this.blobs = blobs;
        this.sites = sites;
        this.own = own;
        this.clock = clock;
        this.ids = new DeploymentIds.Generator(clock);
    }

    /** A new deployment id, by this gateway's clock. */
    String newId() {
        return ids.next();
    }

    /** Stores the manifest of a new deployment and answers which blobs still have to be uploaded. */
    public NewDeployment begin(String siteName, List<ManifestEntry> manifest, DeploymentMeta meta) {
        Site site = sites.get(siteName);
        if (meta.backend().isPresent() && meta.managed().isPresent()) {
            throw new InvalidRequestException("INVALID_BACKEND", "a deployment brings either a backend folder to run "
                    + "or the upstream URLs of one running elsewhere, not both");
        }
        List<ManifestEntry> typed = new ArrayList<>(manifest.size());
        for (ManifestEntry e : ManifestRules.check(manifest)) {
            typed.add(new ManifestEntry(e.path(), e.sha256(), e.size(), ContentTypes.forPath(e.path())));
        }
        long total = typed.stream().mapToLong(ManifestEntry::size).sum();
        Optional<Backend> backend = meta.managed().isPresent()
                ? Optional.of(ManagedRules.resolve(meta.managed().get(), site.backendDefaults()))
                : meta.backend().map(own::check);
        List<BackendFile> folder = meta.managed().map(ManagedRequest::files).orElse(List.of());
        Deployment d = new Deployment(ids.next(), siteName, DeploymentState.UPLOADING, clock.instant(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), meta.message(), meta.gitSha(),
                meta.author(), typed.size(), total, Optional.empty(), backend);
        Map<String, Long> sizes = new HashMap<>();
        typed.forEach(e -> sizes.put(e.sha256(), e.size()));
        folder.stream().filter(f -> !f.isLink()).forEach(f -> sizes.put(f.sha256(), f.size()));
        return referencing(() -> {
            // An uploading deployment is not in the snapshot: no change to commit, only the manifest to keep.
            if (meta.managed().isPresent()) {
                store.insertDeployment(d, typed, folder, meta.managed().get().env());
            } else {
                store.insertDeployment(d, typed);
            }
            uploading.put(d.id(), sizes);
            List<String> missing = new ArrayList<>(blobs.missing(sizes.keySet()));
            long missingBytes = missing.stream().mapToLong(sizes::get).sum();
            return new NewDeployment(d, missing, missingBytes);
        });
    }

    /** Opens the upload of one blob of a deployment being uploaded; not serialized, so uploads run in parallel. */
    public BlobStore.BlobUpload openBlob(String deploymentId, String sha256) {
        Map<String, Long> sizes = uploading.get(deploymentId);
        if (sizes == null) {
            Deployment d = sites.deployment(deploymentId);
            if (d.state() != DeploymentState.UPLOADING) {
                throw new ConflictException("NOT_UPLOADING", "deployment " + deploymentId + " is " + d.state().wire()
                        + "; blobs can only be sent before it is finalized");
            }
            sizes = new HashMap<>();
            for (ManifestEntry e : store.files(deploymentId)) {
                sizes.put(e.sha256(), e.size());
            }
            for (BackendFile f : store.backendFiles(deploymentId)) {
                if (!f.isLink()) {
                    sizes.put(f.sha256(), f.size());
                }
            }
            uploading.put(deploymentId, sizes);
        }
        Long size = sizes.get(sha256);
        if (size == null) {
            throw new InvalidRequestException("BLOB_NOT_IN_MANIFEST",
                    "blob " + sha256 + " is not part of deployment " + deploymentId + "'s manifest");
        }
        try {
            return blobs.open(sha256, size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write blob " + sha256, e);
        }
    }

    /** Makes an uploaded deployment complete (staged), refusing while any blob is missing. */
    public Deployment finalizeDeployment(String deploymentId, String actor) {
        Deployment uploaded = sites.deployment(deploymentId);
        if (uploaded.state() != DeploymentState.UPLOADING) {
            throw new ConflictException("ALREADY_FINALIZED", "deployment " + deploymentId + " is already "
                    + uploaded.state().wire());
        }
        Instant at = clock.instant();
        Deployment staged = new Deployment(uploaded.id(), uploaded.site(), DeploymentState.STAGED, uploaded.createdAt(),
                Optional.of(at), Optional.empty(), Optional.empty(), Optional.empty(), uploaded.message(),
                uploaded.gitSha(), uploaded.author(), uploaded.fileCount(), uploaded.totalBytes(),
                uploaded.promotedFrom(), uploaded.backend());
        List<ManifestEntry> files = store.files(deploymentId);
        core.changeAdding(uploaded.site(), staged, files, () -> {
            Deployment d = sites.deployment(deploymentId);
            if (d.state() != DeploymentState.UPLOADING) {
                throw new ConflictException("ALREADY_FINALIZED", "deployment " + deploymentId + " is already "
                        + d.state().wire());
            }
            List<String> missing = List.copyOf(blobs.missing(java.util.stream.Stream.concat(
                            files.stream().map(ManifestEntry::sha256),
                            store.backendFiles(deploymentId).stream().filter(f -> !f.isLink()).map(BackendFile::sha256))
                    .distinct().toList()));
            if (!missing.isEmpty()) {
                throw new ConflictException("BLOBS_MISSING", missing.size() + " blob(s) of deployment " + deploymentId
                        + " have not been uploaded yet, e.g. " + missing.get(0));
            }
            return store.markStaged(deploymentId, at, EventDraft.about("deploy", deploymentId, actor, at,
                    d.fileCount() + (d.fileCount() == 1 ? " file, " : " files, ") + d.totalBytes()
                            + (d.totalBytes() == 1 ? " byte" : " bytes") + (d.message().isEmpty() ? "" : ": " + d.message())));
        }, e -> e);
        uploading.remove(deploymentId);
        return sites.deployment(deploymentId);
    }

    /** Forgets the manifest cache of an upload that retention removed. */
    void abandoned(String deploymentId) {
        uploading.remove(deploymentId);
    }

    /** Runs work that makes a manifest reference existing blobs; blob collection waits for it. */
    <T> T referencing(Supplier<T> work) {
        references.readLock().lock();
        try {
            return work.get();
        } finally {
            references.readLock().unlock();
        }
    }

    /** Runs the blob collector alone: no manifest starts referencing a blob meanwhile. */
    <T> T collecting(Supplier<T> work) {
        references.writeLock().lock();
        try {
            return work.get();
        } finally {
            references.writeLock().unlock();
        }
    }
}
